"""The requests place: every request Sealbox has sent, newest first, with its details.

:class:`RequestsModel` is a table over the store read a page (200 rows) at a time as the view
scrolls (``canFetchMore``/``fetchMore``), so 100,000 requests open as fast as 100: only the first
page is read before the first paint. Filters (status, provider, date range, a full-text search
over names, recipients and emails) go to the store as one :class:`RequestFilter`.

:class:`RequestsPage` adds the filter bar (the search runs once typing pauses for 250 ms), the
table with each status painted as a coloured pill, and a details pane for the selected request:
its times, its recipients with their own progress and signing links, its history, and the
actions Refresh, Cancel…, Download, Open in Archive and (for requests signed in person) Sign now.
Actions run through the :class:`~app.ui.bridge.AsyncBridge` with the same services as the
command line (:mod:`app.services.requests`); a refusal is shown with its message.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Sequence
from typing import Any

from PySide6.QtCore import (
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.errors import SealboxError, UnavailableError
from app.providers import registry
from app.services.requests import cancel_request, check_cancel, download_request, refresh_request
from app.store.actor import current_actor
from app.store.records import Event, RequestFilter
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.cancel_dialog import CancelRequestDialog

# --- the page ----------------------------------------------------------------------------------
from app.ui.columns import MiddleElideDelegate
from app.ui.live import store_unread
from app.ui.requests.details import RequestDetails
from app.ui.requests.filters import (
    DATE_RANGES,
    EMPTY_STORE,
    NO_MATCH,
    STATUS_FILTERS,
    WHOSE_FILTERS,
    start_of_range,
)
from app.ui.requests.model import (
    CHANGED_COLUMN,
    COLUMNS,
    ID_ROLE,
    NAME_COLUMN,
    PROGRESS_COLUMN,
    PROVIDER_COLUMN,
    SENT_COLUMN,
    STATUS_COLUMN,
    STATUS_LABELS,
    RequestsModel,
    capabilities_of,
)
from app.ui.requests.runs import RunFilter
from app.ui.requests.table import RequestsTable, StatusBadgeDelegate
from app.ui.style import MUTED_STYLE, text_style
from app.ui.widgets import SearchBox

log = logging.getLogger(__name__)


class RequestsPage(QWidget):
    """The requests place: filters, the table, and the selected request's details."""

    #: The user asked to see this request's folder in the archive place.
    openInArchive = Signal(str)
    #: The user asked to sign this (``local``) request on this computer now.
    signNow = Signal(str)
    #: An action on this request finished (its row and details are read again).
    requestChanged = Signal(str)

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        #: Requests with an action running (their buttons wait for it).
        self.busy: set[str] = set()
        #: The history last read of each request shown (shown again while the store is out
        #: of reach).
        self._events_read: dict[str, Sequence[Event]] = {}
        #: The Cancel request dialog while it is open.
        self.cancel_dialog: CancelRequestDialog | None = None
        self.model = RequestsModel(ctx.store, self)
        self._build()
        self.model.modelReset.connect(self._update_empty_state)
        self.model.rowsInserted.connect(self._update_empty_state)
        self.model.rowsRemoved.connect(self._update_empty_state)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        bar = self._filter_bar()
        self._build_table()

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel(EMPTY_STORE)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(text_style(None, "font-size: 14px;"))
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)

        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty)

        self.details = RequestDetails()
        self.details.clear()
        self.details.refresh_button.clicked.connect(self.refresh_selected)
        self.details.refresh_button.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.details.cancel_button.clicked.connect(self.cancel_selected)
        self.details.download_button.clicked.connect(self.download_selected)
        self.details.archive_button.clicked.connect(self._open_in_archive)
        self.details.sign_button.clicked.connect(self._sign_now)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setChildrenCollapsible(False)
        self.details.setMinimumWidth(300)
        self.splitter.setSizes([860, 400])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.run_filter.bar)
        layout.addWidget(self.splitter, 1)

    def _filter_bar(self) -> QHBoxLayout:
        """The filters above the table: status, provider, dates, the search and the count."""
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.status_box = QComboBox()
        for label, statuses in STATUS_FILTERS:
            self.status_box.addItem(label, statuses)
        self.status_box.setToolTip("Show requests in this state")
        self.provider_box = QComboBox()
        self.provider_box.addItem("All providers", None)
        for info in registry.providers():
            self.provider_box.addItem(info.name, info.id)
        self.provider_box.setToolTip("Show requests sent through this service")
        self.date_box = QComboBox()
        for label, since in DATE_RANGES:
            self.date_box.addItem(label, since)
        self.date_box.setToolTip("Show requests created in this period")
        self.whose_box = QComboBox()
        for label, mine in WHOSE_FILTERS:
            self.whose_box.addItem(label, mine)
        self.whose_box.setToolTip(
            "Show everyone's requests, or only those you created at this computer"
        )
        self.whose_box.setAccessibleName("Whose requests")
        self.search = SearchBox("Search names, recipients and emails")
        self.search.setMinimumWidth(220)
        self.count_label = QLabel()
        self.count_label.setStyleSheet(MUTED_STYLE)
        bar.addWidget(QLabel("Status:"))
        bar.addWidget(self.status_box)
        bar.addWidget(self.provider_box)
        bar.addWidget(self.date_box)
        bar.addWidget(self.whose_box)
        self.run_filter = RunFilter(self.ctx, self.bridge, self)
        self.run_filter.changed.connect(self.apply_filters)
        self.run_filter.runChanged.connect(self.refresh)
        bar.addWidget(self.run_filter.box)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)

        self.search_timer = self.search.timer
        self.search.searched.connect(self.apply_filters)
        for box in (self.status_box, self.provider_box, self.date_box, self.whose_box):
            box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        return bar

    def _build_table(self) -> None:
        """The table, its status pills and its columns' widths."""
        self.table = RequestsTable()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.badges = StatusBadgeDelegate(self.table)
        self.table.setItemDelegateForColumn(STATUS_COLUMN, self.badges)
        metrics = self.table.fontMetrics()
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(metrics.height() + 12)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Fixed)
        # Widths from the longest value each column can hold: no pass over the rows.
        samples = {
            PROVIDER_COLUMN: "Signature.nc",
            PROGRESS_COLUMN: "10 of 12 signed",
            STATUS_COLUMN: max(STATUS_LABELS.values(), key=metrics.horizontalAdvance),
            SENT_COLUMN: "30 Sep 2026",
            CHANGED_COLUMN: "30 Sep 23:59",
        }
        samples[SENT_COLUMN] = max(
            samples[SENT_COLUMN], samples[CHANGED_COLUMN], key=metrics.horizontalAdvance
        )
        samples[CHANGED_COLUMN] = samples[SENT_COLUMN]
        for column, sample in samples.items():
            extra = (
                2 * (StatusBadgeDelegate.PAD_X + StatusBadgeDelegate.MARGIN) + 8
                if column == STATUS_COLUMN
                else 24
            )
            width = (
                max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(COLUMNS[column]))
                + extra
            )
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
            self.table.widths[column] = width
        self.table.setItemDelegateForColumn(NAME_COLUMN, MiddleElideDelegate(self.table))
        header.sectionResized.connect(self._column_resized)
        self.table.selectionModel().selectionChanged.connect(
            lambda _selected, _deselected: self._show_selected()
        )

    def _column_resized(self, column: int, _old: int, new: int) -> None:
        if column != NAME_COLUMN and new > 0 and not self.table.isColumnHidden(column):
            self.table.widths[column] = new  # the user's width, kept
            self.table.fit_name_column()

    # --- filters ------------------------------------------------------------------------------

    def current_filter(self) -> RequestFilter:
        statuses = self.status_box.currentData()
        provider = self.provider_box.currentData()
        me = current_actor()
        return RequestFilter(
            statuses=statuses if isinstance(statuses, frozenset) else frozenset(),
            provider=provider if isinstance(provider, str) else None,
            since=start_of_range(self.date_box.currentData(), now()),
            search=self.search.text().strip(),
            run=self.run_filter.run_id(),
            mine=(me.desk, me.user) if self.whose_box.currentData() is True else None,
        )

    def apply_filters(self) -> None:
        """Show the requests the filter bar lets through, keeping the selected one if it is
        still among the rows read."""
        self.search_timer.stop()
        if self._show_unread():
            return
        keep = self.selected_id()
        self.model.set_filter(self.current_filter())
        if keep is not None:
            self.select(keep, load=False)
        self._update_empty_state()
        self._show_selected()

    def clear_filters(self) -> None:
        boxes = (self.status_box, self.provider_box, self.date_box, self.whose_box)
        for box in (*boxes, self.run_filter.box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.search.clear_quietly()
        self.run_filter.reload()
        self.apply_filters()

    def show_run(self, run_id: str) -> None:
        """Show exactly the requests of one run of send to many (the other filters cleared)."""
        self.clear_filters()
        self.run_filter.choose(run_id)

    def _update_empty_state(self) -> None:
        total = self.model.total
        self.count_label.setText(
            f"{total:,} request{'s' if total != 1 else ''}" if self.model.loaded else ""
        )
        if self.model.rowCount() > 0 or not self.model.loaded:
            self.list_stack.setCurrentWidget(self.table)
            return
        anything = not self.model.filters.is_empty and self.ctx.store.search.count() > 0
        self.empty_label.setText(NO_MATCH if anything else EMPTY_STORE)
        self.clear_button.setVisible(anything)
        self.list_stack.setCurrentWidget(self.empty)

    # --- rows and selection -------------------------------------------------------------------

    def _show_unread(self) -> bool:
        """While the shared store has not been read since the start: say so instead of the
        rows (True), nothing being read."""
        text = store_unread(self.ctx, "the requests")
        if text is None:
            return False
        self.count_label.setText("")
        self.empty_label.setText(text)
        self.clear_button.setVisible(False)
        self.list_stack.setCurrentWidget(self.empty)
        return True

    def showEvent(self, event: Any) -> None:
        if not self.model.loaded:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Read the rows again, keeping the selection (the window calls this when the place is
        shown)."""
        if self._show_unread():
            return
        self.run_filter.reload()
        if not self.model.loaded:
            self.model.set_filter(self.current_filter())
        else:
            keep = self.selected_id()
            self.model.refresh()
            # A selected row further down than a refresh reads is dropped (and the view
            # moves to a neighbour): read down to it again.
            if keep is not None and self.selected_id() != keep and not self.select(keep):
                self.table.clearSelection()
        self._update_empty_state()
        self._show_selected()

    def show_request(self, request_id: str) -> bool:
        """Select ``request_id`` (reading pages down to it; clearing the filters if they leave
        it out); False when there is no such request."""
        self.refresh()
        if not self.ctx.requests.exists(request_id):
            return False
        if not self.select(request_id):
            self.clear_filters()
            if not self.select(request_id):
                return False
        return True

    def select(self, request_id: str, *, load: bool = True) -> bool:
        row = self.model.ensure_row(request_id) if load else self.model.row_of(request_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(self.model.data(rows[0], ID_ROLE)) if rows else None

    def _show_selected(self) -> None:
        request_id = self.selected_id()
        try:
            if request_id is None or not self.ctx.requests.exists(request_id):
                self.details.clear()
                return
            request = self.ctx.requests.get(request_id)
            # As recorded: the pane orders them itself, and events of one moment keep the
            # order they were recorded in (sorting them twice would turn those ties around).
            events = self.ctx.requests.events(request_id)
        except UnavailableError as exc:
            # The shared store cannot be reached (the window says so): the request as its row
            # last read it, with the history last read of it, and no actions until it is back.
            log.info("the selected request could not be read: %s", exc)
            self._show_as_last_read(request_id)
            return
        self._events_read[request_id] = events
        self.details.show_request(request, events)
        self._update_actions(request)

    def _show_as_last_read(self, request_id: str | None) -> None:
        request = self.model.request_at(self.model.row_of(request_id or ""))
        if request is None:
            return
        self.details.show_request(request, self._events_read.get(request.id, []))
        for button in self.details.action_buttons():
            button.setEnabled(False)

    def _update_actions(self, request: Request) -> None:
        d = self.details
        idle = request.id not in self.busy
        caps = capabilities_of(request.provider)
        can_cancel = caps is not None and caps.cancel
        d.refresh_button.setEnabled(idle)
        d.cancel_button.setEnabled(idle and can_cancel and request.status.in_flight)
        d.cancel_button.setToolTip(
            "Cancel this request at the provider"
            if can_cancel
            else f"{caps.name if caps else request.provider} does not offer cancelling a request"
        )
        d.download_button.setEnabled(idle and request.status == Status.COMPLETED)
        d.archive_button.setEnabled(self.ctx.store.archive.folder(request.id) is not None)
        d.sign_button.setVisible(
            caps is not None
            and caps.in_person
            and request.status.in_flight
            and request.next_recipient() is not None
        )
        d.sign_button.setEnabled(idle)

    def reload_request(self, request_id: str) -> None:
        """Read one request again: its row, and the details if it is the selected one."""
        self.model.reload_row(request_id)
        if self.selected_id() == request_id:
            self._show_selected()

    # --- actions ------------------------------------------------------------------------------

    def _selected_request(self) -> Request | None:
        request_id = self.selected_id()
        return self.ctx.requests.get(request_id) if request_id is not None else None

    def refresh_selected(self) -> None:
        request = self._selected_request()
        if request is not None:
            self._run(request, "Refresh", refresh_request(self.ctx, request.id))

    def cancel_selected(self) -> None:
        request = self._selected_request()
        if request is None:
            return
        try:
            check_cancel(self.ctx, request)
        except SealboxError as exc:
            self._warn("Cancel request", exc)
            return
        dialog = CancelRequestDialog(request.name, self)
        self.cancel_dialog = dialog
        dialog.accepted.connect(
            lambda: self._run(
                request, "Cancel request", cancel_request(self.ctx, request.id, dialog.reason())
            )
        )
        dialog.finished.connect(lambda _code: self._cancel_dialog_closed(dialog))
        dialog.open()

    def _cancel_dialog_closed(self, dialog: CancelRequestDialog) -> None:
        if self.cancel_dialog is dialog:
            self.cancel_dialog = None
        dialog.deleteLater()

    def download_selected(self) -> None:
        request = self._selected_request()
        if request is not None:
            self._run(request, "Download", download_request(self.ctx, request.id))

    def _open_in_archive(self) -> None:
        request_id = self.selected_id()
        if request_id is not None and self.ctx.store.archive.folder(request_id) is not None:
            self.openInArchive.emit(request_id)

    def _sign_now(self) -> None:
        request_id = self.selected_id()
        if request_id is not None:
            self.signNow.emit(request_id)

    def _run(self, request: Request, title: str, work: Coroutine[Any, Any, object]) -> None:
        """Run one action on ``request`` through the bridge; then read it again, and show a
        refusal or failure with its message."""
        request_id = request.id
        self.busy.add(request_id)
        self._update_actions(request)

        def finished() -> None:
            self.busy.discard(request_id)
            self.reload_request(request_id)
            self.requestChanged.emit(request_id)

        def failed(exc: BaseException) -> None:
            finished()
            self._warn(title, exc)

        self.bridge.start(work, on_done=lambda _result: finished(), on_error=failed, label=title)

    def _warn(self, title: str, exc: BaseException) -> None:
        QMessageBox.warning(self, title, describe_error(exc))
