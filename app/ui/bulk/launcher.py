"""Send to many… in Prepare: the menu action and the button beside Send, enabled while a
document is open, opening :class:`~app.ui.bulk.dialog.SendToManyDialog` on it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.bulk.dialog import SendToManyDialog
from app.ui.editor.editor import EditorWidget

TIP = "Send a copy of this document to every row of a spreadsheet (CSV or Excel)"


class BulkLauncher(QObject):
    #: The user asked to see a run's requests in Requests (the run's id).
    showRun = Signal(str)

    def __init__(
        self, ctx: Context, bridge: AsyncBridge, editor: EditorWidget, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.bridge, self.editor = ctx, bridge, editor
        self.dialog: SendToManyDialog | None = None
        self.action = QAction("Send to &Many…", self)
        self.action.setToolTip(TIP)
        self.action.triggered.connect(self.open)
        self.button = editor.side.bulk_button
        self.button.setToolTip(TIP)
        self.button.clicked.connect(self.open)
        editor.documentChanged.connect(lambda _name: self.update())
        self.update()

    def update(self) -> None:
        on = self.editor.path is not None
        self.action.setEnabled(on)
        self.button.setEnabled(on)

    def open(self) -> SendToManyDialog | None:
        editor = self.editor
        if editor.path is None or self.dialog is not None:
            return self.dialog
        dialog = SendToManyDialog(
            self.ctx,
            self.bridge,
            editor.path,
            editor.doc.to_spec(),
            editor.provider_id,
            editor.render_id.text().strip() or None,
            editor.window(),
        )
        self.dialog = dialog
        dialog.showRun.connect(self.showRun)
        dialog.finished.connect(lambda _code: self._closed(dialog))
        dialog.open()
        return dialog

    def _closed(self, dialog: SendToManyDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
