"""Table columns that fit the width a table has, and names that stay told apart.

The Requests and Archive tables share one rule: the name column takes what the others leave;
while that is less than the name should have, the least useful columns give way, in order, and
are hidden (what they say is also in the name's tooltip); the status or verification column never
gives way. A name too long for its column is elided in the middle, so that names that differ at
their end ("… 2026-01", "… 2026-02") still look different.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)


class MiddleElideDelegate(QStyledItemDelegate):
    """Text elided in the middle ("Service agreement — AC…s 2026-01")."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class ElidedLabel(QLabel):
    """One line of text elided in the middle to the width the label has: a long name never
    makes its window wider (``text()`` is the whole text)."""

    def minimumSizeHint(self) -> QSize:
        return QSize(60, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)

    def shown_text(self) -> str:
        """The text as drawn now."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, self.contentsRect().width()
        )


def fit_columns(
    table: QTableView,
    name: int,
    widths: Mapping[int, int],
    give_way: Sequence[int],
    name_wanted: int,
    name_least: int = 180,
) -> list[int]:
    """Size ``table``'s columns to its width: every column of ``widths`` at its width, the
    ``name`` column what is left (at least ``name_least``: the table scrolls sideways then);
    columns of ``give_way`` are hidden, in that order, while the name would get less than
    ``name_wanted``. Returns the hidden columns."""
    available = table.viewport().width()
    shown = set(widths)
    for column in give_way:
        if sum(widths[c] for c in shown) + name_wanted <= available:
            break
        shown.discard(column)
    header = table.horizontalHeader()
    hidden = []
    for column, width in widths.items():
        table.setColumnHidden(column, column not in shown)
        if column not in shown:
            hidden.append(column)
        elif header.sectionSize(column) != width:
            header.resizeSection(column, width)
    if header.sectionResizeMode(name) != QHeaderView.ResizeMode.Stretch:
        rest = available - sum(widths[c] for c in shown)
        header.resizeSection(name, max(name_least, rest))
    return hidden
