"""The archive place: every archived request, searchable and verifiable with no network.

The list comes from the store's archive rows alone (``sealbox archive reindex`` rebuilds them
from the folder), so it works with no provider configured. The search box runs the store's
full-text search (names, recipients, emails and the words inside the signed PDFs and
certificates) once typing pauses. Verification re-hashes the files and validates their
signatures with pyHanko in the bridge's thread pool, one request at a time, and each result
shows as a coloured badge as soon as it is known. A line above the list says how many
documents' timestamps are due for renewal, with Renew now (:mod:`app.ui.archive.renewing`).
The selected request's signed PDF (or its completion certificate) is previewed in the
editor's :class:`~app.ui.pdfview.view.PageView`.

Messages about what the page did (exported, reindexed, a failure) appear in a line above the
table rather than in dialogs, so nothing modal interrupts a long verification.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.archive.audit import trust_roots
from app.context import Context
from app.errors import SealboxError
from app.ui.archive.exporting import ExportPart
from app.ui.archive.model import (
    BADGE,
    COLUMNS,
    COMPLETED,
    ID_ROLE,
    NAME,
    ArchiveModel,
    PreviewKind,
    badge_text,
    provider_name,
)
from app.ui.archive.preview import PreviewPart
from app.ui.archive.renewing import RenewingPart
from app.ui.archive.table import ArchiveTable, BadgeDelegate
from app.ui.archive.verifying import VerifyingPart
from app.ui.bridge import AsyncBridge
from app.ui.columns import ElidedLabel, MiddleElideDelegate
from app.ui.desktop import NoFileManagerDialog
from app.ui.live import store_unread
from app.ui.pdfview.view import PageView
from app.ui.signatures.panel import FieldHighlight, SignaturePanel
from app.ui.style import BADGE_COLOURS, DANGER, text_style
from app.ui.widgets import SearchBox

log = logging.getLogger(__name__)


class ArchivePage(PreviewPart, VerifyingPart, ExportPart, RenewingPart, QWidget):
    """Browse, search, preview, verify, renew and export the archive."""

    verifyFinished = Signal(int)
    """A verification run ended (cancelled or not): how many requests got a badge."""
    previewChanged = Signal(str)
    """The preview shows another file (its path), or nothing (an empty string)."""
    messageChanged = Signal(str)

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.model = ArchiveModel(ctx)
        self._verify_task: asyncio.Task[int] | None = None
        self._verify_pool: ProcessPoolExecutor | None = None
        self._verify_broken = 0
        self._checking: str | None = None
        self._verified = 0
        self._verify_total = 0
        self._busy_task: asyncio.Task[Any] | None = None
        self._preview_generation = 0
        self.preview_kind: PreviewKind = "signed"
        self.preview_id: str | None = None
        #: What Show in folder opened where no file manager could show the folder.
        self.folder_dialog: NoFileManagerDialog | None = None
        self._build()
        self.refresh()

    # layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        top = self._filter_bar()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)
        renewal = self._build_renewal_bar()
        left = self._build_list()
        right = self._build_preview()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(renewal)
        layout.addWidget(self.splitter, 1)
        self._show_preview_note("Select an archived request to see its signed document.")
        self._update_actions()

    def _filter_bar(self) -> QHBoxLayout:
        """The search, the provider and year filters and Reindex."""
        self.search = SearchBox(
            "Search names, recipients and the words inside signed documents and certificates"
        )
        self.search_timer = self.search.timer
        self.search.searched.connect(self.apply_filters)
        self.provider_box = QComboBox()
        self.provider_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year_box = QComboBox()
        self.year_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.provider_box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.year_box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.reindex_button = QPushButton("Reindex from folder")
        self.reindex_button.setToolTip(
            "Rebuild the list from the archive folder alone (after "
            "restoring a backup or losing the database)"
        )
        self.reindex_button.clicked.connect(self.reindex)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.provider_box)
        top.addWidget(self.year_box)
        top.addWidget(self.reindex_button)
        return top

    def _build_list(self) -> QWidget:
        """The table (or what it would say when empty) and the actions under it."""
        self._build_table()
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty)

        actions = self._build_actions()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_stack, 1)
        left_layout.addLayout(actions)
        return left

    def _build_table(self) -> None:
        """The archive's table: its columns, sorting, and what follows its selection."""
        self.table = ArchiveTable()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(BADGE, BadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(NAME, MiddleElideDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # The name takes what the other columns leave (see ArchiveTable.fit_columns); long
        # signer subjects are elided in the pill (the tooltip has the whole sentence).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        header.setSortIndicator(COMPLETED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.dataChanged.connect(lambda *_: self._show_verification(self.preview_id))
        # A badge that says more ("Intact — signer not trusted") widens its column.
        self.model.dataChanged.connect(lambda *_: self.table.fit_columns())
        self.model.modelReset.connect(self.table.fit_columns)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    def _build_actions(self) -> QHBoxLayout:
        """The buttons under the table: Verify, Verify all, the progress, Cancel, Export."""
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip(
            "Re-hash the selected requests' files and check their signatures, offline"
        )
        self.verify_button.clicked.connect(self.verify_selected)
        self.verify_all_button = QPushButton("Verify all")
        self.verify_all_button.clicked.connect(self.verify_all)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the selected requests and an index.csv in a zip")
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("Verifying %v of %m")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_verify)
        self.cancel_button.setVisible(False)
        actions = QHBoxLayout()
        actions.addWidget(self.verify_button)
        actions.addWidget(self.verify_all_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        actions.addStretch()
        actions.addWidget(self.export_button)
        return actions

    def _build_preview(self) -> QWidget:
        """The preview pane: title, last verification, buttons and the pages."""
        # A long name is elided (whole in the tooltip): it never makes the window wider.
        self.preview_title = ElidedLabel()
        font = self.preview_title.font()
        font.setBold(True)
        self.preview_title.setFont(font)
        self.certificate_button = QPushButton("Open certificate")
        self.certificate_button.clicked.connect(self.toggle_certificate)
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.clicked.connect(self.show_in_folder)
        # The title on a line of its own; under it the verdict and the buttons.
        preview_bar = QHBoxLayout()
        #: The previewed request's last verification and when it was done.
        self.verification_label = QLabel()
        self.verification_label.setWordWrap(True)
        self.verification_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.view = PageView()
        self.view.fit_width()
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.preview_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview_note)
        self.preview_stack.addWidget(self.view)
        # Beside the pages, the signatures of the file shown (as PDF readers show them).
        self.signature_panel = SignaturePanel(self.bridge, lambda: trust_roots(self.ctx))
        self.field_highlight = FieldHighlight(self.view)
        self.signature_panel.placeRequested.connect(self.field_highlight.show)
        self.preview_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.preview_splitter.addWidget(self.preview_stack)
        self.preview_splitter.addWidget(self.signature_panel)
        self.preview_splitter.setStretchFactor(0, 3)
        self.preview_splitter.setStretchFactor(1, 2)
        right = self.preview_pane = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        preview_bar.addWidget(self.verification_label, 1)
        preview_bar.addWidget(self.certificate_button)
        preview_bar.addWidget(self.folder_button)
        right_layout.addWidget(self.preview_title)
        right_layout.addLayout(preview_bar)
        right_layout.addWidget(self.preview_splitter, 1)
        return right

    # list ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the archive list from the store again, keeping the filters and the selection."""
        if self._show_unread():
            return
        current = self.current_id()
        try:
            self.model.refresh()
        except SealboxError as exc:  # the store cannot be opened (busy, damaged, newer)
            self.say(exc.for_app(), error=True)
        self._fill_filters()
        self._apply_model_filters()
        self._after_reset(current)
        self.check_renewals()

    def apply_filters(self) -> None:
        """Apply the provider, year and search box now (typing applies them after a pause)."""
        self.search_timer.stop()
        if self._show_unread():
            return
        current = self.current_id()
        self._apply_model_filters()
        self._after_reset(current)

    def _show_unread(self) -> bool:
        """While the shared store has not been read since the start: say so instead of the
        list (True), nothing being read."""
        text = store_unread(self.ctx, "the archive")
        if text is None:
            return False
        self.empty.setText(f"<p>{html.escape(text, quote=False)}</p>")
        self._fill_filters()
        self.list_stack.setCurrentWidget(self.empty)
        self.preview_pane.setVisible(False)
        return True

    def _apply_model_filters(self) -> None:
        text = self.search.text().strip()
        matches: set[str] | None = None
        if text:
            try:
                matches = set(self.ctx.store.search.matches(text, archived_only=True))
            except SealboxError as exc:
                self.say(exc.for_app(), error=True)
                matches = set()
        provider = self.provider_box.currentData()
        year = self.year_box.currentData()
        self.model.set_filters(
            provider=provider if isinstance(provider, str) else None,
            year=year if isinstance(year, str) else None,
            matches=matches,
        )

    def _fill_filters(self) -> None:
        for box, everything, values, label in (
            (self.provider_box, "All providers", self.model.providers(), provider_name),
            (self.year_box, "All years", self.model.years(), str),
        ):
            chosen = box.currentData()
            box.blockSignals(True)
            try:
                box.clear()
                box.addItem(everything, None)
                for value in values:
                    box.addItem(label(value), value)
                at = box.findData(chosen) if chosen is not None else 0
                box.setCurrentIndex(max(at, 0))
            finally:
                box.blockSignals(False)

    def _after_reset(self, current: str | None) -> None:
        has_any = bool(self.model.all_rows)
        if not has_any:
            self.empty.setText(
                "<h3>Nothing archived yet</h3><p>When a request is completed, Sealbox keeps "
                "its signed PDF and completion certificate in the archive folder:</p><p><code>"
                f"{self.ctx.paths.archive_dir}</code></p><p>Restored a backup of that folder? "
                "Click <b>Reindex from folder</b>.</p>"
            )
        elif not self.model.rows:
            self.empty.setText("<p>No archived request matches the search and filters.</p>")
        self.list_stack.setCurrentWidget(self.table if self.model.rows else self.empty)
        self.preview_pane.setVisible(has_any)
        row = self.model.row_of(current) if current else -1
        if row >= 0:
            self.table.selectRow(row)
        elif self.preview_id is not None and self.model.row_of(self.preview_id) < 0:
            self._clear_preview()
        self._update_actions()

    def show_request(self, request_id: str) -> bool:
        """Select ``request_id`` (clearing filters that hide it); False if it is not archived."""
        if self.model.row_by_id(request_id) is None:
            self.refresh()
        if self.model.row_by_id(request_id) is None:
            return False
        if self.model.row_of(request_id) < 0:
            self.search.clear_quietly()
            for box in (self.provider_box, self.year_box):
                box.blockSignals(True)
                box.setCurrentIndex(0)
                box.blockSignals(False)
            self.apply_filters()
        row = self.model.row_of(request_id)
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def current_id(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(
            index.row(), QModelIndex()
        ):
            rows = self.table.selectionModel().selectedRows()
            if not rows:
                return None
            index = rows[0]
        value = self.model.data(index, ID_ROLE)
        return str(value) if value else None

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.rows[r].id for r in rows if 0 <= r < len(self.model.rows)]

    def select_ids(self, ids: Sequence[str]) -> None:
        selection = QItemSelection()
        for rid in ids:
            row = self.model.row_of(rid)
            if row >= 0:
                selection.select(self.model.index(row, 0), self.model.index(row, len(COLUMNS) - 1))
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().select(selection, flags)
        if ids and self.model.row_of(ids[0]) >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(self.model.row_of(ids[0]), 0),
                QItemSelectionModel.SelectionFlag.NoUpdate,
            )

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()
        current = self.current_id()
        if current != self.preview_id:
            self._preview(current, "signed")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rid = self.model.data(current, ID_ROLE) if current.isValid() else None
        if isinstance(rid, str) and rid != self.preview_id:
            self._preview(rid, "signed")

    def say(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` above the list (red for an error); an empty text hides the line."""
        self.message.setText(text)
        self.message.setStyleSheet(text_style(DANGER) if error else "")
        self.message.setVisible(bool(text))
        self.messageChanged.emit(text)

    def _update_actions(self) -> None:
        verifying = self.verifying
        busy = self._busy_task is not None and not self._busy_task.done()
        has_selection = bool(self.selected_ids())
        for widget in (self.search, self.provider_box, self.year_box, self.reindex_button):
            widget.setEnabled(not busy and not (verifying and widget is self.reindex_button))
        self.verify_button.setEnabled(has_selection and not verifying and not busy)
        self.verify_all_button.setEnabled(bool(self.model.all_rows) and not verifying and not busy)
        self.export_button.setEnabled(has_selection and not busy)
        self.progress.setVisible(verifying)
        self.cancel_button.setVisible(verifying)
        row = self.model.row_by_id(self.preview_id) if self.preview_id else None
        self._show_verification(row.id if row is not None else None)
        self.folder_button.setEnabled(row is not None)
        self.certificate_button.setEnabled(row is not None and "certificate" in row.files)
        self.certificate_button.setText(
            "Show signed document"
            if self.preview_kind == "certificate" and row
            else "Open certificate"
        )

    def _show_verification(self, request_id: str | None) -> None:
        """The previewed request's verdict and its time: "Signature valid — verified 6 Dec 2026
        14:05", or that it has not been verified."""
        label = self.verification_label
        if request_id is None:
            label.setText("")  # keeps its room: the buttons stay on the right
            label.setToolTip("")
            return
        badge = self.model.badge(request_id)
        kind = self.model.badge_kind(request_id)
        if kind == "checking":
            text, colour = "Checking…", None
        elif badge is None:
            text, colour = "Not verified yet: click Verify to check its files and signatures.", None
        else:
            checked = self.model.checked_text(request_id) or "Verified"
            text = f"{badge_text(badge)} — {checked[:1].lower()}{checked[1:]}"
            colour = BADGE_COLOURS[badge.state][0]
        label.setText(text)
        label.setToolTip(badge.detail if badge is not None else "")
        label.setStyleSheet(text_style(colour))

    # life ------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop verifying and the preview's renderer (before the window goes)."""
        self.search_timer.stop()
        self.cancel_verify()
        self.cancel_renewal()
        self.close_verify_pool()
        try:
            self.model.keep_badges()
        except SealboxError as exc:  # the store went away: the badges are only lost
            log.warning("the last badges could not be kept: %s", exc)
        self.signature_panel.shutdown()
        self.view.close_document()
