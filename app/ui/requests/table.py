"""The requests table: the status painted as a coloured pill, and the Name column taking the
width the others leave."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.domain.lifecycle import Status
from app.ui.columns import fit_columns
from app.ui.requests.model import (
    CHANGED_COLUMN,
    NAME_COLUMN,
    PROVIDER_COLUMN,
    SENT_COLUMN,
    STATUS_ROLE,
)
from app.ui.style import paint_status_pill
from app.ui.table_model import ModelIndex
from app.ui.widgets import paint_bare_cell


class StatusBadgeDelegate(QStyledItemDelegate):
    """Paints the status as a rounded pill in the status's colour, with white text."""

    PAD_X = 9
    PAD_Y = 2
    MARGIN = 5

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        opt, text = paint_bare_cell(self, painter, option, index)
        value = index.data(STATUS_ROLE)
        if not text or value is None:
            return
        cell = QRectF(opt.rect).adjusted(self.MARGIN, 1, -self.MARGIN, -1)
        paint_status_pill(painter, cell, text, Status(str(value)), opt.font, self.PAD_X, self.PAD_Y)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return QSize(
            metrics.horizontalAdvance(text) + 2 * (self.PAD_X + self.MARGIN) + 4,
            metrics.height() + 2 * self.PAD_Y + 8,
        )


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
            fit_columns(
                self, NAME_COLUMN, self.widths, self.GIVE_WAY, self.NAME_WANTED, self.NAME_MIN
            )
