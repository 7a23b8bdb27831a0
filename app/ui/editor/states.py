"""What Prepare shows when no document is being edited (and the list of recent documents).

:class:`EmptyPage`: open a PDF, the recent documents, and the drafts (requests prepared but not
sent) to carry on with or delete. :class:`SentPage`: the request just sent, with the way to it
and to the next document, instead of the sent document with Send still under the pointer.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import Request
from app.services.desk_outbox import KeptSend
from app.store.drafts import Draft
from app.ui.editor.drafting import and_list, when_text
from app.ui.editor.preflight import ready_icon

#: The draft id of a row of the drafts list.
DRAFT_ROLE = Qt.ItemDataRole.UserRole + 1
CONTENT_WIDTH = 520


def draft_line(draft: Draft) -> str:
    """Two lines: "Lease", then "contract.pdf · 2 recipients, 3 fields · changed 6 Dec 2026 at
    14:02"."""
    people = len(draft.spec.recipients)
    fields = len(draft.spec.fields)
    return (
        f"{draft.title}\n{draft.document_name} · {people} "
        f"recipient{'s' if people != 1 else ''}, {fields} field{'s' if fields != 1 else ''}"
        f" · changed {when_text(draft.updated_at)}"
    )


def recent_files(settings: QSettings) -> list[str]:
    """The documents opened lately (newest first) that are still there."""
    value = settings.value("recentFiles", [])
    items: list[object] = (
        [value]
        if isinstance(value, str)
        else list(value)
        if isinstance(value, list | tuple)
        else []
    )
    return [str(p) for p in items if Path(str(p)).is_file()]


def remember_recent(settings: QSettings, path: Path) -> None:
    """``path`` was opened: first among the recent documents (ten are kept)."""
    items = [p for p in recent_files(settings) if p != str(path)]
    settings.setValue("recentFiles", [str(path), *items][:10])


def _centred(widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(widget, 100)
    row.addStretch(1)
    return row


class EmptyPage(QWidget):
    """Open a PDF (button, drop, recent) or carry on with a draft."""

    openRequested = Signal()
    #: A recent document was clicked (its path).
    recentChosen = Signal(str)
    #: Open the draft (its id).
    draftChosen = Signal(str)
    #: Delete the draft (its id); the editor asks first.
    draftDeleteRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h2>Prepare a document for signature</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            "Open a PDF or drop one here. Add who signs, drag the fields onto the "
            "pages, check, and send."
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open a PDF…")
        self.open_button.setMinimumWidth(180)
        self.open_button.clicked.connect(self.openRequested)
        self.recent_label = QLabel("")
        self.recent_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_label.setTextFormat(Qt.TextFormat.RichText)
        self.recent_label.linkActivated.connect(self.recentChosen)

        self._build_drafts()

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.recent_label)
        layout.addWidget(self.drafts_box)
        layout.addStretch(2)

        self.drafts_list.itemActivated.connect(self._activated)
        self.drafts_list.itemSelectionChanged.connect(self._update_buttons)
        self.open_draft_button.clicked.connect(lambda: self._emit_selected(self.draftChosen))
        self.delete_draft_button.clicked.connect(
            lambda: self._emit_selected(self.draftDeleteRequested)
        )
        self.set_drafts([])

    def _build_drafts(self) -> None:
        """The drafts to carry on with, and their buttons."""
        self.drafts_title = QLabel("<b>Drafts</b> — prepared, not sent yet")
        self.drafts_list = QListWidget()
        self.drafts_list.setObjectName("drafts")
        self.drafts_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.drafts_list.setFixedWidth(CONTENT_WIDTH)
        self.drafts_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.drafts_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.drafts_list.setSpacing(2)
        self.drafts_list.setUniformItemSizes(True)
        self.drafts_list.setAlternatingRowColors(True)
        self.drafts_list.setToolTip("Double-click a draft to carry on with it")
        self.open_draft_button = QPushButton("Open Draft")
        self.delete_draft_button = QPushButton("Delete Draft…")
        draft_buttons = QHBoxLayout()
        draft_buttons.addStretch(1)
        draft_buttons.addWidget(self.open_draft_button)
        draft_buttons.addWidget(self.delete_draft_button)
        draft_buttons.addStretch(1)
        self.drafts_box = QWidget()
        drafts_layout = QVBoxLayout(self.drafts_box)
        drafts_layout.setContentsMargins(0, 12, 0, 0)
        drafts_layout.setSpacing(6)
        drafts_layout.addWidget(self.drafts_title, 0, Qt.AlignmentFlag.AlignHCenter)
        drafts_layout.addWidget(self.drafts_list, 0, Qt.AlignmentFlag.AlignHCenter)
        drafts_layout.addLayout(draft_buttons)

    def set_recent(self, paths: Sequence[str]) -> None:
        if paths:
            links = "<br>".join(
                f'<a href="{html.escape(p)}">{html.escape(Path(p).name)}</a>' for p in paths[:6]
            )
            self.recent_label.setText(f"<p>Recent documents</p><p>{links}</p>")
        else:
            self.recent_label.setText("")

    def set_drafts(self, drafts: Sequence[Draft]) -> None:
        self.drafts_list.clear()
        for draft in drafts:
            item = QListWidgetItem(draft_line(draft))
            item.setData(DRAFT_ROLE, draft.id)
            item.setToolTip(f"{draft.title}: prepared from {draft.document_name}, not sent")
            self.drafts_list.addItem(item)
        if drafts:
            self.drafts_list.setCurrentRow(0)
        rows = min(max(len(drafts), 1), 6)  # as tall as its drafts, up to six, then it scrolls
        row_height = max(self.drafts_list.sizeHintForRow(0), 2 * self.fontMetrics().height() + 6)
        self.drafts_list.setFixedHeight(
            rows * (row_height + 4) + 2 * self.drafts_list.frameWidth() + 2
        )
        self.drafts_box.setVisible(bool(drafts))
        self._update_buttons()

    def draft_ids(self) -> list[str]:
        return [
            str(self.drafts_list.item(i).data(DRAFT_ROLE)) for i in range(self.drafts_list.count())
        ]

    def _activated(self, item: QListWidgetItem) -> None:
        self.draftChosen.emit(str(item.data(DRAFT_ROLE)))

    def _emit_selected(self, signal: SignalInstance) -> None:
        item = self.drafts_list.currentItem()
        if item is not None:
            signal.emit(str(item.data(DRAFT_ROLE)))

    def _update_buttons(self) -> None:
        chosen = self.drafts_list.currentItem() is not None
        self.open_draft_button.setEnabled(chosen)
        self.delete_draft_button.setEnabled(chosen)


class SentPage(QWidget):
    """The request just sent: go to it, or prepare another document."""

    showRequest = Signal(str)
    prepareAnother = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request_id = ""
        self.icon = QLabel()
        self.icon.setPixmap(ready_icon(48))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("sentTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.show_button = QPushButton("Go to the Request")
        self.show_button.setDefault(True)
        self.another_button = QPushButton("Prepare Another Document…")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.another_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.icon)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)
        self.show_button.clicked.connect(lambda: self.showRequest.emit(self.request_id))
        self.another_button.clicked.connect(self.prepareAnother)

    def set_kept(self, kept: KeptSend, provider_name: str, host: str) -> None:
        """A send kept on this desk while the shared store at ``host`` could not be reached."""
        self.request_id = ""
        self.show_button.setVisible(False)
        self.another_button.setDefault(True)
        self.title.setText(f"<h2>{html.escape(kept.name)} will be sent</h2>")
        who = and_list([r.name or r.email for r in kept.spec.recipients]) or "nobody"
        self.detail.setText(
            f"The shared store at {host} cannot be reached right now, so {kept.document_name} "
            f"waits on this computer. Sealbox sends it to {who} through {provider_name} as soon "
            "as it can reach the store again, even after a restart: you need do nothing more."
        )

    def set_request(self, request: Request, provider_name: str) -> None:
        self.show_button.setVisible(True)
        self.show_button.setDefault(True)
        self.request_id = request.id
        self.title.setText(f"<h2>Sent {html.escape(request.name)}</h2>")
        who = and_list([r.name or r.email for r in request.spec.recipients]) or "nobody"
        self.detail.setText(
            f"{request.document_name} went to {who} through {provider_name}. Follow it in Requests."
        )
