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

import re
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.domain.clock import now
from app.domain.lifecycle import TERMINAL, Status
from app.domain.model import Designation, Request
from app.errors import SealboxError
from app.providers import registry
from app.providers.info import Capabilities
from app.services.requests import cancel_request, check_cancel, download_request, refresh_request
from app.store.interface import Store
from app.store.records import APP_DETAIL, Event, RequestFilter
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.cancel_dialog import CancelRequestDialog
from app.ui.columns import MiddleElideDelegate, fit_columns
from app.ui.table_model import ModelIndex, RowTableModel

COLUMNS = ("Name", "Provider", "Progress", "Status", "Sent", "Last change")
NAME_COLUMN, PROVIDER_COLUMN, PROGRESS_COLUMN, STATUS_COLUMN, SENT_COLUMN, CHANGED_COLUMN = range(6)
#: Rows read from the store at a time as the view scrolls.
PAGE_SIZE = 200
#: Rows read when the filter changes: a tall window's worth (the view reads on as it needs),
#: so a search shows its first rows at once (reading a row costs ~0.15 ms).
FIRST_PAGE = 50
#: At most this many rows are read again by a refresh; rows further down are dropped and read
#: again as the view scrolls to them.
REFRESH_LIMIT = 5000
#: How long the search box waits for typing to pause before it searches.
SEARCH_DELAY_MS = 250

#: The request's id (``UserRole``, as before) and its :class:`Status`.
ID_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1

STATUS_COLOURS: dict[Status, str] = {
    Status.QUEUED: "#607d8b",
    Status.RECONCILING: "#ef6c00",
    Status.SENT: "#1565c0",
    Status.VIEWED: "#00838f",
    Status.COMPLETED: "#2e7d32",
    Status.DECLINED: "#c62828",
    Status.EXPIRED: "#8d6e63",
    Status.CANCELLED: "#757575",
    Status.FAILED: "#ad1457",
}

STATUS_LABELS: dict[Status, str] = {
    Status.QUEUED: "Queued",
    Status.RECONCILING: "Unconfirmed",
    Status.SENT: "Sent",
    Status.VIEWED: "Viewed",
    Status.COMPLETED: "Completed",
    Status.DECLINED: "Declined",
    Status.EXPIRED: "Expired",
    Status.CANCELLED: "Cancelled",
    Status.FAILED: "Failed",
}

STATUS_HINTS: dict[Status, str] = {
    Status.QUEUED: "Waiting to be sent: it goes out with the next sync.",
    Status.RECONCILING: "The send was interrupted: the next sync checks whether the provider "
                        "received it.",
    Status.SENT: "Sent: nobody has opened it yet.",
    Status.VIEWED: "Opened by a recipient; not everyone has signed yet.",
    Status.COMPLETED: "Everyone has signed.",
    Status.DECLINED: "A recipient declined to sign.",
    Status.EXPIRED: "It expired before everyone had signed.",
    Status.CANCELLED: "Cancelled before everyone had signed.",
    Status.FAILED: "The provider refused it.",
}

#: The status filter: its entries and the statuses each lets through ("In flight" is every
#: status that has not finished, including requests still queued or being confirmed).
STATUS_FILTERS: tuple[tuple[str, frozenset[Status]], ...] = (
    ("All", frozenset()),
    ("In flight", frozenset(Status) - TERMINAL),
    ("Completed", frozenset({Status.COMPLETED})),
    ("Declined", frozenset({Status.DECLINED})),
    ("Expired", frozenset({Status.EXPIRED})),
    ("Cancelled", frozenset({Status.CANCELLED})),
    ("Failed", frozenset({Status.FAILED})),
)

#: The date filter: its entries and how far back each goes (days; "year": since 1 January).
DATE_RANGES: tuple[tuple[str, int | str | None], ...] = (
    ("Any time", None),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("This year", "year"),
)

EMPTY_STORE = "No requests yet: prepare a document and send it for signature."
NO_MATCH = "No request matches these filters."


def provider_label(provider_id: str) -> str:
    """The provider's one display name (the same in the table, the filter and the details)."""
    return registry.display_name(provider_id)


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def short_when(value: datetime | None, today: datetime | None = None) -> str:
    """A compact local time for the table: "21 Nov 09:06" this year, "21 Nov 2025" before."""
    if value is None:
        return ""
    local = value.astimezone()
    year = (today or now()).astimezone().year
    return local.strftime("%d %b %H:%M" if local.year == year else "%d %b %Y")


def _since(choice: int | str | None, moment: datetime) -> datetime | None:
    if choice is None:
        return None
    if choice == "year":
        local = moment.astimezone()
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    assert isinstance(choice, int)
    return moment - timedelta(days=choice)


def capabilities_of(provider_id: str) -> Capabilities | None:
    """What the provider can do, from its registry entry (no client is created); None for a
    provider this Sealbox does not have."""
    return registry.capabilities(provider_id)


def progress_text(request: Request) -> str:
    done, total = request.progress()
    return f"{done} of {total} signed"


# --- the model ---------------------------------------------------------------------------------


class RequestsModel(RowTableModel):
    """Requests of the store under a :class:`RequestFilter`, newest first, read a page at a
    time. Nothing is read until :meth:`refresh` or :meth:`set_filter`."""

    COLUMN_TITLES = COLUMNS

    def __init__(self, store: Store, parent: QObject | None = None, *,
                 page_size: int = PAGE_SIZE, first_page: int = FIRST_PAGE) -> None:
        super().__init__(parent)
        self.store = store
        self.page_size = page_size
        self.first_page = first_page
        self.filters = RequestFilter()
        self.rows: list[Request] = []
        #: How many requests the filter lets through (as of the last count).
        self.total = 0
        self.loaded = False
        self._rows_by_id: dict[str, int] = {}
        #: Set while the model changes and announces it: no fetching from inside a change
        #: (a view or tester asking ``canFetchMore`` from a ``rowsInserted`` or ``modelReset``
        #: slot would otherwise insert rows while the first insertion is still announced).
        self._changing = False

    # --- reading the store ------------------------------------------------------------------

    def set_filter(self, filters: RequestFilter) -> None:
        """Show the requests ``filters`` lets through, from the first page."""
        with self._change():
            self.beginResetModel()
            self.filters = filters
            self.total = self.store.search.count(filters)
            self.rows = self.store.search.page(filters, 0, self.first_page)
            self._reindex()
            self.loaded = True
            self.endResetModel()

    def refresh(self) -> None:
        """Read the rows shown again (at least a page, at most ``REFRESH_LIMIT``). Rows that
        stay keep their place in any selection: new rows are inserted, gone ones removed, the
        rest updated in place."""
        if not self.loaded:
            self.set_filter(self.filters)
            return
        total = self.store.search.count(self.filters)
        wanted = min(max(len(self.rows), self.page_size), max(REFRESH_LIMIT, self.page_size))
        fresh = self.store.search.page(self.filters, 0, wanted)
        old_ids = [r.id for r in self.rows]
        new_ids = [r.id for r in fresh]
        root = QModelIndex()
        ops = SequenceMatcher(a=old_ids, b=new_ids, autojunk=False).get_opcodes()
        with self._change():
            # From the end backwards, so the old positions of earlier ranges still hold.
            for tag, i1, i2, j1, j2 in reversed(ops):
                if tag == "equal":
                    self.rows[i1:i2] = fresh[j1:j2]
                    continue
                if tag in ("delete", "replace"):
                    self.beginRemoveRows(root, i1, i2 - 1)
                    del self.rows[i1:i2]
                    self._reindex()
                    self.endRemoveRows()
                if tag in ("insert", "replace"):
                    self.beginInsertRows(root, i1, i1 + (j2 - j1) - 1)
                    self.rows[i1:i1] = fresh[j1:j2]
                    self._reindex()
                    self.endInsertRows()
            self.total = max(total, len(self.rows))
            self._reindex()
            if self.rows:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def reload_row(self, request_id: str) -> bool:
        """Read one request again (after an action); False when it is not shown."""
        row = self.row_of(request_id)
        if row < 0:
            return False
        self.rows[row] = self.store.requests.get(request_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return (not parent.isValid() and self.loaded and not self._changing
                and len(self.rows) < self.total)

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._fetch(self.page_size)

    @contextmanager
    def _change(self) -> Iterator[None]:
        self._changing = True
        try:
            yield
        finally:
            self._changing = False

    def _fetch(self, count: int) -> int:
        """Read up to ``count`` more rows; returns how many were added."""
        batch = self.store.search.page(self.filters, len(self.rows), count)
        # A request stored meanwhile shifts the pages by one: skip what is already shown.
        batch = [r for r in batch if r.id not in self._rows_by_id]
        if not batch:
            self.total = len(self.rows)  # the store has fewer than counted: stop asking
            return 0
        first = len(self.rows)
        with self._change():
            self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
            self.rows.extend(batch)
            for i, request in enumerate(batch, start=first):
                self._rows_by_id[request.id] = i
            self.endInsertRows()
        return len(batch)

    def ensure_row(self, request_id: str) -> int:
        """The row of ``request_id``, reading pages until it is there; -1 when the filter
        leaves it out."""
        row = self.row_of(request_id)
        if row >= 0:
            return row
        position = self.store.search.position(self.filters, request_id)
        if position is None:
            return -1
        while len(self.rows) <= position:
            wanted = position + 1 - len(self.rows)
            pages = -(-wanted // self.page_size)
            if not self._fetch(pages * self.page_size):
                break
        return self.row_of(request_id)

    def _reindex(self) -> None:
        self._rows_by_id = {r.id: i for i, r in enumerate(self.rows)}

    # --- lookups ------------------------------------------------------------------------------

    def row_of(self, request_id: str) -> int:
        return self._rows_by_id.get(request_id, -1)

    def request_at(self, row: int) -> Request | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # --- the Qt model -------------------------------------------------------------------------

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        request = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NAME_COLUMN:
                return request.name
            if column == PROVIDER_COLUMN:
                return provider_label(request.provider)
            if column == PROGRESS_COLUMN:
                return progress_text(request)
            if column == STATUS_COLUMN:
                return STATUS_LABELS[request.status]
            if column == SENT_COLUMN:
                return short_when(request.sent_at) or "—"
            if column == CHANGED_COLUMN:
                return short_when(request.updated_at or request.created_at)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == NAME_COLUMN:
                return f"{request.name}\n{request.document_name}"
            if column == STATUS_COLUMN:
                hint = STATUS_HINTS[request.status]
                return f"{hint}\n{request.error_message}" if request.error_message else hint
            if column == PROVIDER_COLUMN:
                return provider_label(request.provider)
            if column == SENT_COLUMN:
                return (f"Sent {_when(request.sent_at)}" if request.sent_at
                        else "Not sent yet") + f"; created {_when(request.created_at)}"
            if column == CHANGED_COLUMN:
                return f"Last change {_when(request.updated_at or request.created_at)}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN:
            return QColor(STATUS_COLOURS[request.status])
        if role == ID_ROLE:
            return request.id
        if role == STATUS_ROLE:
            return request.status.value
        return None


def badge_font(base: QFont) -> QFont:
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(max(font.pointSizeF() * 0.92, 7.0))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def paint_pill(painter: QPainter, area: QRectF, text: str, status: Status, base: QFont,
               pad_x: float, pad_y: float) -> None:
    """Paint ``text`` as a rounded pill in ``status``'s colour, left and vertically centred in
    ``area`` (elided to fit)."""
    font = badge_font(base)
    metrics = QFontMetrics(font)
    shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                               max(int(area.width() - 2 * pad_x), 0))
    width = min(area.width(), metrics.horizontalAdvance(shown) + 2 * pad_x)
    height = min(area.height(), metrics.height() + 2 * pad_y)
    pill = QRectF(area.left(), area.center().y() - height / 2, width, height)
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATUS_COLOURS[status]))
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), shown)
    finally:
        painter.restore()


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the status as a rounded pill in the status's colour, with white text."""

    PAD_X = 9
    PAD_Y = 2
    MARGIN = 5

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:  # the cell's background, selection and focus, without text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        value = index.data(STATUS_ROLE)
        if not text or value is None:
            return
        cell = QRectF(opt.rect).adjusted(self.MARGIN, 1, -self.MARGIN, -1)
        paint_pill(painter, cell, text, Status(str(value)), opt.font, self.PAD_X, self.PAD_Y)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return QSize(metrics.horizontalAdvance(text) + 2 * (self.PAD_X + self.MARGIN) + 4,
                     metrics.height() + 2 * self.PAD_Y + 8)


class StatusBadge(QWidget):
    """The status pill of the table, as a widget (the details pane's header)."""

    PAD_X = 12
    PAD_Y = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = Status.QUEUED
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_status(self, status: Status) -> None:
        self.status = status
        self.setToolTip(STATUS_HINTS[status])
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        return STATUS_LABELS[self.status]

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(badge_font(self.font()))
        return QSize(metrics.horizontalAdvance(self.text()) + 2 * self.PAD_X + 2,
                     metrics.height() + 2 * self.PAD_Y)

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        paint_pill(painter, QRectF(self.rect()), self.text(), self.status, self.font(),
                   self.PAD_X, self.PAD_Y)
        painter.end()


class FlowLayout(QLayout):
    """Lays its widgets out in a row and wraps them onto more rows when the width runs out
    (the action buttons of a narrow details pane)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size

    def _visible(self) -> list[QLayoutItem]:
        visible = []
        for item in self._items:
            widget = item.widget()
            if widget is None or not widget.isHidden():
                visible.append(item)
        return visible

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._visible():
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y()


class RequestsTable(QTableView):
    """The table: the Name column takes the width the others leave, elided in the middle; while
    that is less than ``NAME_WANTED``, the last change, provider and sent columns give way in
    that order (the status never does); below ``NAME_MIN`` the table scrolls sideways."""

    NAME_MIN = 200
    NAME_WANTED = 240
    GIVE_WAY = (CHANGED_COLUMN, PROVIDER_COLUMN, SENT_COLUMN)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: The width of each column but the name (from its longest value, or the user's).
        self.widths: dict[int, int] = {}

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit_name_column()

    def fit_name_column(self) -> None:
        if self.widths:
            fit_columns(self, NAME_COLUMN, self.widths, self.GIVE_WAY, self.NAME_WANTED,
                        self.NAME_MIN)


# --- the details pane --------------------------------------------------------------------------


def recipient_state_lines(request: Request, index: int) -> list[str]:
    """What happened to recipient ``index``, one line each: viewed, signed or approved,
    declined (with the reason); or where they stand."""
    recipient = request.spec.recipients[index]
    state = request.recipients[index]
    if recipient.designation == Designation.CC:
        return ["Receives a copy when everyone has signed"]
    lines: list[str] = []
    if state.viewed_at:
        lines.append(f"Viewed {_when(state.viewed_at)}")
    if state.signed_at:
        verb = "Approved" if recipient.designation == Designation.APPROVER else "Signed"
        lines.append(f"{verb} {_when(state.signed_at)}")
    if state.declined_at:
        reason = f": “{state.decline_reason}”" if state.decline_reason else ""
        lines.append(f"Declined {_when(state.declined_at)}{reason}")
    if not lines or not (state.signed_at or state.declined_at):
        if request.status.terminal:
            lines.append("Did not sign")
        elif request.next_recipient() == index:
            lines.append("Next to sign" if recipient.designation == Designation.SIGNER
                         else "Next to approve")
        else:
            lines.append("Waiting for their turn")
    return lines


EVENT_LABELS = {
    "queued": "Queued", "requeued": "Queued again", "sent": "Sent", "viewed": "Viewed",
    "signed": "Signed", "approved": "Approved", "declined": "Declined",
    "completed": "Completed", "expired": "Expired", "cancelled": "Cancelled",
    "failed": "Failed", "refresh": "Status changed", "archived": "Downloaded into the archive",
    "send-error": "Could not send (will retry)", "reconciling": "Send unconfirmed",
}


def newest_first(events: Sequence[Event]) -> list[Event]:
    """The history newest first: by the time each event happened (a provider may report a
    signature some time after it), and of events at the same time the one recorded last."""
    order = sorted(enumerate(events), key=lambda item: (item[1].at, item[0]), reverse=True)
    return [event for _, event in order]


#: A status change's detail that only repeats the change ("sent → viewed").
_TRANSITION = re.compile(r"^\w+ → \w+$")
#: Statuses a recipient's own act brings about (its line says it, by whom).
_BY_RECIPIENT = {Status.VIEWED.value: "viewed", Status.DECLINED.value: "declined"}


def history(request: Request, events: Sequence[Event]) -> list[tuple[datetime, str]]:
    """The history as the details pane lists it, newest first: each thing that happened once.
    A status change brought about by a recipient ("Viewed", "Declined") is said by that
    recipient's own line ("Viewed by Jane Doe"), not a second time in other words."""
    acted = {e.kind for e in events if e.recipient_index is not None}
    shown = [e for e in events
             if not (e.recipient_index is None and e.status in _BY_RECIPIENT
                     and _BY_RECIPIENT[e.status] in acted)]
    return [(e.at, describe_event(request, e)) for e in newest_first(shown)]


def describe_event(request: Request, event: Event) -> str:
    """One line of the history: what happened, by whom, and the detail (in the app's words)."""
    if event.kind == "queued":
        return f"Queued to send through {provider_label(request.provider)}"
    text = EVENT_LABELS.get(event.kind, event.kind.replace("-", " ").capitalize())
    status_change = event.status is not None and event.recipient_index is None
    if event.status is not None and status_change and (
            event.kind == "refresh" or event.kind.startswith("webhook")):
        text = STATUS_LABELS.get(Status(event.status), text)
    index = event.recipient_index
    if index is not None and 0 <= index < len(request.spec.recipients):
        text += f" by {request.spec.recipients[index].name}"
    payload = event.payload or {}
    detail = payload.get(APP_DETAIL) if isinstance(payload.get(APP_DETAIL), str) else event.detail
    if status_change and detail and _TRANSITION.match(detail):
        detail = None  # the label says it
    if (event.status == Status.CANCELLED.value and request.status == Status.CANCELLED
            and request.error_message and not detail):
        detail = f"“{request.error_message}”"
    if (event.kind == "declined" and index is not None and not detail
            and 0 <= index < len(request.recipients)):
        detail = request.recipients[index].decline_reason
    if detail:
        text += f" — {detail}"
    return text


def _note(request: Request, events: Sequence[Event]) -> str:
    """Why the request failed or was declined, in the app's words where the event that
    recorded it keeps them."""
    note = request.error_message or request.archive_error or ""
    if request.status == Status.FAILED:
        for event in newest_first(events):
            said = (event.payload or {}).get(APP_DETAIL)
            if event.status == Status.FAILED.value and isinstance(said, str):
                return said
    return note


class RecipientView(QFrame):
    """One recipient in the details pane: who, where they stand, their signing link."""

    def __init__(self, request: Request, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recipient")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        recipient = request.spec.recipients[index]
        state = request.recipients[index]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        self.name_label = QLabel(f"<b>{_escape(recipient.name)}</b> "
                                 f"&lt;{_escape(recipient.email)}&gt;")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setWordWrap(True)
        role = QLabel(f"{recipient.designation.value}, order {recipient.order}")
        role.setStyleSheet("color: palette(placeholder-text);")
        self.state_label = QLabel("\n".join(recipient_state_lines(request, index)))
        self.state_label.setWordWrap(True)
        if state.declined_at:
            self.state_label.setStyleSheet(f"color: {STATUS_COLOURS[Status.DECLINED]};")
        elif state.signed_at:
            self.state_label.setStyleSheet(f"color: {STATUS_COLOURS[Status.COMPLETED]};")
        layout.addWidget(self.name_label)
        layout.addWidget(role)
        layout.addWidget(self.state_label)
        self.link_edit: QLineEdit | None = None
        self.copy_button: QPushButton | None = None
        if state.signing_url:
            row = QHBoxLayout()
            row.setSpacing(4)
            self.link_edit = QLineEdit(state.signing_url)
            self.link_edit.setReadOnly(True)
            self.link_edit.setCursorPosition(0)
            self.link_edit.setToolTip("Signing link: send it to this recipient if they cannot "
                                      "find the provider's email.")
            self.copy_button = QPushButton("Copy")
            self.copy_button.setToolTip("Copy the signing link")
            url = state.signing_url
            self.copy_button.clicked.connect(lambda: self._copy(url))
            row.addWidget(self.link_edit, 1)
            row.addWidget(self.copy_button)
            layout.addLayout(row)

    def _copy(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        if self.copy_button is not None:
            self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _discard(widget: QWidget) -> None:
    """Take ``widget`` off the screen now and delete it once control returns to the loop."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setContentsMargins(0, 10, 0, 2)
    return label


class RequestDetails(QWidget):
    """The selected request: its name and status, times, recipients, history and actions.
    The page connects the action buttons."""

    FACTS = ("Provider", "Document", "Message", "Created", "Sent", "Finished", "Expires", "Note",
             "ID")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request: Request | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)

        self.placeholder = QLabel("Select a request to see its recipients, signing links and "
                                  "history.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); padding: 24px;")
        self.stack.addWidget(self.placeholder)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        layout.addWidget(self.title)

        badge_row = QHBoxLayout()
        self.badge = StatusBadge()
        self.progress = QLabel()
        badge_row.addWidget(self.badge)
        badge_row.addWidget(self.progress)
        badge_row.addStretch(1)
        layout.addLayout(badge_row)

        actions = FlowLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask the provider for news of this request (F5)")
        self.cancel_button = QPushButton("Cancel…")
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download the signed PDF and the completion "
                                        "certificate into the archive")
        self.archive_button = QPushButton("Open in Archive")
        self.sign_button = QPushButton("Sign now")
        self.sign_button.setToolTip("Let the next recipient sign on this computer")
        for button in (self.sign_button, self.refresh_button, self.cancel_button,
                       self.download_button, self.archive_button):
            actions.addWidget(button)
        layout.addLayout(actions)

        self.facts_form = QFormLayout()
        self.facts_form.setHorizontalSpacing(12)
        self.facts_form.setVerticalSpacing(3)
        self.facts: dict[str, QLabel] = {}
        for name in self.FACTS:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[name] = value
            self.facts_form.addRow(f"{name}:", value)
        layout.addLayout(self.facts_form)

        layout.addWidget(_section_title("Recipients"))
        self.recipients_box = QVBoxLayout()
        self.recipients_box.setSpacing(4)
        layout.addLayout(self.recipients_box)
        self.recipient_views: list[RecipientView] = []

        layout.addWidget(_section_title("History"))
        self.history_grid = QGridLayout()
        self.history_grid.setHorizontalSpacing(10)
        self.history_grid.setVerticalSpacing(2)
        self.history_grid.setColumnStretch(1, 1)
        layout.addLayout(self.history_grid)
        self.history_labels: list[QLabel] = []
        layout.addStretch(1)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        self.stack.addWidget(self.scroll_area)

    def clear(self) -> None:
        self.request = None
        self.stack.setCurrentWidget(self.placeholder)

    def show_request(self, request: Request, events: Sequence[Event]) -> None:
        """Show ``request`` with its ``events`` (newest first)."""
        self.request = request
        self.stack.setCurrentWidget(self.scroll_area)
        self.title.setText(request.name)
        self.badge.set_status(request.status)
        self.progress.setText(progress_text(request))
        finished = request.completed_at if request.status.terminal else None
        expires = request.expires_at if not request.status.terminal else None
        overdue = expires is not None and request.is_overdue(now())
        values = {
            "Provider": provider_label(request.provider),
            "Document": f"{request.document_name}"
                        + (f" ({request.page_count} pages)" if request.page_count else ""),
            "Created": _when(request.created_at),
            "Sent": _when(request.sent_at),
            "Finished": (f"{STATUS_LABELS[request.status]} {_when(finished)}"
                         if finished else ""),
            "Expires": (_when(expires) + (" (overdue: the next refresh expires it)"
                                          if overdue else "")) if expires else "",
            "Message": request.spec.message or "",
            "Note": _note(request, events),
            "ID": request.id,
        }
        for name, text in values.items():
            self.facts[name].setText(text)
            self.facts_form.setRowVisible(self.facts[name], bool(text))

        for view in self.recipient_views:
            self.recipients_box.removeWidget(view)
            _discard(view)
        self.recipient_views = [RecipientView(request, i)
                                for i in range(len(request.spec.recipients))]
        for view in self.recipient_views:
            self.recipients_box.addWidget(view)

        for label in self.history_labels:
            self.history_grid.removeWidget(label)
            _discard(label)
        self.history_labels = []
        for row, (moment, line) in enumerate(history(request, events)):
            at = QLabel(_when(moment))
            at.setStyleSheet("color: palette(placeholder-text);")
            at.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            what = QLabel(line)
            what.setWordWrap(True)
            what.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.history_grid.addWidget(at, row, 0)
            self.history_grid.addWidget(what, row, 1)
            self.history_labels += [at, what]

    def history_texts(self) -> list[str]:
        """The history as shown, newest first (the description of each event)."""
        return [label.text() for label in self.history_labels[1::2]]


# --- the page ----------------------------------------------------------------------------------


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
        #: The Cancel request dialog while it is open.
        self.cancel_dialog: CancelRequestDialog | None = None
        self.model = RequestsModel(ctx.store, self)
        self._build()
        self.model.modelReset.connect(self._update_empty_state)
        self.model.rowsInserted.connect(self._update_empty_state)
        self.model.rowsRemoved.connect(self._update_empty_state)

    # --- building -----------------------------------------------------------------------------

    def _build(self) -> None:
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
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names, recipients and emails")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.count_label = QLabel()
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        bar.addWidget(QLabel("Status:"))
        bar.addWidget(self.status_box)
        bar.addWidget(self.provider_box)
        bar.addWidget(self.date_box)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count_label)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        for box in (self.status_box, self.provider_box, self.date_box):
            box.currentIndexChanged.connect(lambda _i: self.apply_filters())

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
        samples = {PROVIDER_COLUMN: "Signature.nc", PROGRESS_COLUMN: "10 of 12 signed",
                   STATUS_COLUMN: max(STATUS_LABELS.values(), key=metrics.horizontalAdvance),
                   SENT_COLUMN: "30 Sep 2026", CHANGED_COLUMN: "30 Sep 23:59"}
        samples[SENT_COLUMN] = max(samples[SENT_COLUMN], samples[CHANGED_COLUMN],
                                   key=metrics.horizontalAdvance)
        samples[CHANGED_COLUMN] = samples[SENT_COLUMN]
        for column, sample in samples.items():
            extra = 2 * (StatusBadgeDelegate.PAD_X + StatusBadgeDelegate.MARGIN) + 8 \
                if column == STATUS_COLUMN else 24
            width = max(metrics.horizontalAdvance(sample),
                        metrics.horizontalAdvance(COLUMNS[column])) + extra
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
            self.table.widths[column] = width
        self.table.setItemDelegateForColumn(NAME_COLUMN, MiddleElideDelegate(self.table))
        header.sectionResized.connect(self._column_resized)
        self.table.selectionModel().selectionChanged.connect(
            lambda _selected, _deselected: self._show_selected())

        self.empty = QWidget()
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        self.empty_label = QLabel(EMPTY_STORE)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text); font-size: 14px;")
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
        layout.addWidget(self.splitter, 1)

    def _column_resized(self, column: int, _old: int, new: int) -> None:
        if column != NAME_COLUMN and new > 0 and not self.table.isColumnHidden(column):
            self.table.widths[column] = new  # the user's width, kept
            self.table.fit_name_column()

    # --- filters ------------------------------------------------------------------------------

    def current_filter(self) -> RequestFilter:
        statuses = self.status_box.currentData()
        provider = self.provider_box.currentData()
        return RequestFilter(
            statuses=statuses if isinstance(statuses, frozenset) else frozenset(),
            provider=provider if isinstance(provider, str) else None,
            since=_since(self.date_box.currentData(), now()),
            search=self.search.text().strip(),
        )

    def apply_filters(self) -> None:
        """Show the requests the filter bar lets through, keeping the selected one if it is
        still among the rows read."""
        self.search_timer.stop()
        keep = self.selected_id()
        self.model.set_filter(self.current_filter())
        if keep is not None:
            self.select(keep, load=False)
        self._update_empty_state()
        self._show_selected()

    def clear_filters(self) -> None:
        for box in (self.status_box, self.provider_box, self.date_box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.apply_filters()

    def _update_empty_state(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} request{'s' if total != 1 else ''}"
                                 if self.model.loaded else "")
        if self.model.rowCount() > 0 or not self.model.loaded:
            self.list_stack.setCurrentWidget(self.table)
            return
        anything = not self.model.filters.is_empty and self.ctx.store.search.count() > 0
        self.empty_label.setText(NO_MATCH if anything else EMPTY_STORE)
        self.clear_button.setVisible(anything)
        self.list_stack.setCurrentWidget(self.empty)

    # --- rows and selection -------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:
        if not self.model.loaded:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """Read the rows again, keeping the selection (the window calls this when the place is
        shown)."""
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
        if request_id is None or not self.ctx.requests.exists(request_id):
            self.details.clear()
            return
        request = self.ctx.requests.get(request_id)
        events = newest_first(self.ctx.requests.events(request_id))
        self.details.show_request(request, events)
        self._update_actions(request)

    def _update_actions(self, request: Request) -> None:
        d = self.details
        idle = request.id not in self.busy
        caps = capabilities_of(request.provider)
        can_cancel = caps is not None and caps.cancel
        d.refresh_button.setEnabled(idle)
        d.cancel_button.setEnabled(idle and can_cancel and request.status.in_flight)
        d.cancel_button.setToolTip(
            "Cancel this request at the provider" if can_cancel else
            f"{caps.name if caps else request.provider} does not offer cancelling a request")
        d.download_button.setEnabled(idle and request.status == Status.COMPLETED)
        d.archive_button.setEnabled(self.ctx.store.archive.folder(request.id) is not None)
        d.sign_button.setVisible(caps is not None and caps.in_person
                                 and request.status.in_flight
                                 and request.next_recipient() is not None)
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
        dialog.accepted.connect(lambda: self._run(
            request, "Cancel request", cancel_request(self.ctx, request.id, dialog.reason())))
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

        self.bridge.start(work, on_done=lambda _result: finished(), on_error=failed,
                          label=title)

    def _warn(self, title: str, exc: BaseException) -> None:
        QMessageBox.warning(self, title, describe_error(exc))
