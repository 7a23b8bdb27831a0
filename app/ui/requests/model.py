"""The requests place's table model: requests of the store read a page (200 rows) at a time as
the view scrolls (``canFetchMore``/``fetchMore``), so 100,000 requests open as fast as 100, and
what each column shows (labels and hints of each status, the provider's name, compact times)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from difflib import SequenceMatcher

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QColor

from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.providers import registry
from app.providers.info import Capabilities
from app.store.interface import Store
from app.store.records import RequestFilter
from app.ui.style import STATUS_COLOURS
from app.ui.table_model import ModelIndex, RowTableModel
from app.wording import when

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

#: The request's id (``UserRole``, as before) and its :class:`Status`.
ID_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1

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


def provider_label(provider_id: str) -> str:
    """The provider's one display name (the same in the table, the filter and the details)."""
    return registry.display_name(provider_id)


def short_when(value: datetime | None, today: datetime | None = None) -> str:
    """A compact local time for the table: "21 Nov 09:06" this year, "21 Nov 2025" before."""
    if value is None:
        return ""
    local = value.astimezone()
    year = (today or now()).astimezone().year
    return local.strftime("%d %b %H:%M" if local.year == year else "%d %b %Y")


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

    def __init__(
        self,
        store: Store,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        first_page: int = FIRST_PAGE,
    ) -> None:
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
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1)
                )

    def reload_row(self, request_id: str) -> bool:
        """Read one request again (after an action); False when it is not shown."""
        row = self.row_of(request_id)
        if row < 0:
            return False
        self.rows[row] = self.store.requests.get(request_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        return True

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return (
            not parent.isValid()
            and self.loaded
            and not self._changing
            and len(self.rows) < self.total
        )

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
                return (
                    f"Sent {when(request.sent_at)}" if request.sent_at else "Not sent yet"
                ) + f"; created {when(request.created_at)}"
            if column == CHANGED_COLUMN:
                return f"Last change {when(request.updated_at or request.created_at)}"
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN:
            return QColor(STATUS_COLOURS[request.status])
        if role == ID_ROLE:
            return request.id
        if role == STATUS_ROLE:
            return request.status.value
        return None
