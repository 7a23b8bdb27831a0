"""The requests place: every request Sealbox has sent, newest first.

A table over the store. It is refreshed when a request is sent from the editor; the tracking
work (paging, filters, details, background sync) grows it further.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.lifecycle import Status
from app.domain.model import Request
from app.store.requests import Requests

COLUMNS = ("Name", "Provider", "Progress", "Status", "Sent", "Last change")
LIMIT = 1000
ModelIndex = QModelIndex | QPersistentModelIndex

STATUS_COLOURS: dict[Status, str] = {
    Status.COMPLETED: "#2e7d32",
    Status.DECLINED: "#c62828",
    Status.EXPIRED: "#8d6e63",
    Status.CANCELLED: "#757575",
    Status.FAILED: "#c62828",
}


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


class RequestsModel(QAbstractTableModel):
    """The most recent requests of the store, one row each."""

    def __init__(self, requests: Requests) -> None:
        super().__init__()
        self.requests = requests
        self.rows: list[Request] = []

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = self.requests.find(limit=LIMIT)
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        request = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            done, total = request.progress()
            values = (request.name, request.provider, f"{done} of {total} signed",
                      request.status.value, _when(request.sent_at or request.created_at),
                      _when(request.updated_at))
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            colour = STATUS_COLOURS.get(request.status)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.UserRole:
            return request.id
        return None

    def row_of(self, request_id: str) -> int:
        for i, request in enumerate(self.rows):
            if request.id == request_id:
                return i
        return -1


class RequestsPage(QWidget):
    def __init__(self, requests: Requests, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RequestsModel(requests)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No requests yet: prepare a document and send it for signature.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)

    def refresh(self) -> None:
        self.model.refresh()
        self.empty.setVisible(not self.model.rows)
        self.table.setVisible(bool(self.model.rows))
        self.table.resizeColumnsToContents()

    def show_request(self, request_id: str) -> bool:
        self.refresh()
        row = self.model.row_of(request_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(self.model.data(rows[0], Qt.ItemDataRole.UserRole)) if rows else None
