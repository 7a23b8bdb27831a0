"""Sends kept on this desk while the shared store could not be reached: a button in the status bar
while there are any ("1 send waits for the shared store"), and the list it opens, where a send
the store would not take shows why and can be discarded. The sync sends them (it commits them to
the shared outbox first, :mod:`app.services.desk_outbox`), starting the moment the app is back
online."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.providers import registry
from app.services import desk_outbox
from app.services.desk_outbox import KeptSend
from app.services.sync import SyncResult
from app.ui.style import DANGER

log = logging.getLogger(__name__)

WAITING = "Waiting for the shared store"


def button_text(kept: list[KeptSend]) -> str:
    """What the status bar says of the kept sends ("" when there are none)."""
    refused = sum(1 for k in kept if k.problem)
    if not kept:
        return ""
    if refused == len(kept):
        return f"{refused} kept send{'s' if refused != 1 else ''} could not be sent"
    waiting = f"{len(kept)} send{' waits' if len(kept) == 1 else 's wait'} for the shared store"
    return f"{waiting} ({refused} could not be sent)" if refused else waiting


def provider_name(provider_id: str) -> str:
    info = registry.find(provider_id)
    return info.name if info is not None else provider_id


def _kept_at(kept: KeptSend) -> str:
    try:
        return datetime.fromisoformat(kept.kept_at).astimezone().strftime("%d %b %Y %H:%M")
    except ValueError:
        return kept.kept_at


class KeptSendsButton(QPushButton):
    """The status bar's button for the kept sends; hidden while there are none."""

    #: A sentence for the status bar (kept sends were sent).
    said = Signal(str)

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("keptSends")
        self.setFlat(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Sends made while the shared store could not be reached")
        self.setVisible(False)
        self.clicked.connect(self.show_list)
        self.dialog: KeptSendsDialog | None = None

    def refresh(self) -> None:
        try:
            kept = desk_outbox.kept(self.ctx)
        except OSError as exc:
            log.warning("the kept sends cannot be listed: %s", exc)
            kept = []
        text = button_text(kept)
        self.setText(text)
        self.setStyleSheet(f"color: {DANGER};" if any(k.problem for k in kept) else "")
        self.setVisible(bool(text))

    def synced(self, result: SyncResult) -> None:
        """A sync ended: it may have sent kept sends."""
        self.refresh()
        if result.from_desk:
            count = len(result.from_desk)
            self.said.emit(
                f"Sent {count} request{'s' if count != 1 else ''} kept on this desk while the "
                "shared store could not be reached."
            )

    def show_list(self) -> None:
        self.dialog = KeptSendsDialog(self.ctx, self.window())
        self.dialog.finished.connect(lambda _code: self.refresh())
        self.dialog.open()


class KeptSendsDialog(QDialog):
    """The sends kept on this desk, with Discard for one the user no longer wants sent."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("keptSendsDialog")
        self.setWindowTitle("Sends Kept on This Desk")
        intro = QLabel(
            "These were sent while the shared store could not be reached. Sealbox sends them "
            "by itself as soon as it can reach the store again; one the store would not take "
            "says why, and can be discarded."
        )
        intro.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Request", "To", "Through", "Kept", "State"])
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selection)
        #: The selected send's whole state (a refusal's reason can be long).
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.discard_button = QPushButton("Discard…")
        self.discard_button.setEnabled(False)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.discard_button.clicked.connect(self.discard)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(self.detail)
        layout.addWidget(buttons)
        self.resize(760, 320)
        self.kept: list[KeptSend] = []
        self.load()

    def load(self) -> None:
        self.table.clear()
        self.kept = desk_outbox.kept(self.ctx)
        for kept in self.kept:
            to = ", ".join(r.name or r.email for r in kept.spec.recipients)
            state = f"Not sent: {kept.problem}" if kept.problem else WAITING
            item = QTreeWidgetItem(
                [kept.name, to, provider_name(kept.provider_id), _kept_at(kept), state]
            )
            item.setToolTip(4, state)
            self.table.addTopLevelItem(item)
        for column in range(4):
            self.table.resizeColumnToContents(column)
        self._selection()

    def _selection(self) -> None:
        kept = self.selected()
        self.discard_button.setEnabled(kept is not None)
        if kept is None:
            self.detail.setText("")
        elif kept.problem:
            self.detail.setText(f"{kept.name} was not sent: {kept.problem}")
        else:
            self.detail.setText(f"{kept.name} waits for the shared store.")

    def selected(self) -> KeptSend | None:
        item = self.table.currentItem()
        if item is None or not item.isSelected():
            return None
        index = self.table.indexOfTopLevelItem(item)
        return self.kept[index] if 0 <= index < len(self.kept) else None

    def discard(self) -> None:
        kept = self.selected()
        if kept is None:
            return
        answer = QMessageBox.question(
            self,
            "Discard the send?",
            f"Discard {kept.name!r}? It will not be sent to anyone.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Discard:
            return
        desk_outbox.discard(kept)
        self.load()
