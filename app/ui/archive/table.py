"""The archive table: the verification badge painted as a coloured pill, and the columns fitted
to the width the table has."""

from __future__ import annotations

from PySide6.QtCore import (
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from app.providers import registry
from app.ui.archive.model import (
    BADGE,
    BADGE_ROLE,
    CHECKED_ROLE,
    COLUMNS,
    COMPLETED,
    FILES,
    GIVE_WAY,
    NAME,
    NAME_WANTED_WIDTH,
    PROVIDER,
    RECIPIENTS,
    ArchiveModel,
)
from app.ui.columns import fit_columns
from app.ui.style import BADGE_COLOURS, draw_pill
from app.ui.table_model import ModelIndex
from app.ui.widgets import paint_bare_cell


class BadgeDelegate(QStyledItemDelegate):
    """Paints the verification column as a coloured pill: green, amber, red or grey; "Not
    checked" and "Checking…" as plain grey text."""

    PAD_X = 8
    PAD_Y = 3
    GAP = 8

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        kind = index.data(BADGE_ROLE)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        opt, _ = paint_bare_cell(self, painter, option, index)
        rect = QRectF(opt.rect).adjusted(4, 3, -4, -3)
        metrics = QFontMetrics(opt.font)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            colours = BADGE_COLOURS.get(str(kind))
            if colours is None:
                palette: QPalette = opt.palette
                selected = bool(opt.state & QStyle.StateFlag.State_Selected)
                role = (
                    QPalette.ColorRole.HighlightedText
                    if selected
                    else QPalette.ColorRole.PlaceholderText
                )
                painter.setPen(palette.color(role))
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
                painter.drawText(
                    rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), shown
                )
                return
            fill, ink = (QColor(c) for c in colours)
            pill = draw_pill(
                painter,
                rect,
                text,
                opt.font,
                fill,
                ink,
                self.PAD_X,
                self.PAD_Y,
                border=fill.darker(115),
            )
            # When it was checked, after the pill where there is room for it.
            checked = index.data(CHECKED_ROLE)
            rest = QRectF(
                pill.right() + self.GAP,
                rect.top(),
                rect.right() - pill.right() - self.GAP,
                rect.height(),
            )
            if isinstance(checked, str) and rest.width() >= metrics.horizontalAdvance(checked):
                selected = bool(opt.state & QStyle.StateFlag.State_Selected)
                role = (
                    QPalette.ColorRole.HighlightedText
                    if selected
                    else QPalette.ColorRole.PlaceholderText
                )
                painter.setPen(opt.palette.color(role))
                painter.drawText(
                    rest, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), checked
                )
        finally:
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return QSize(
            min(metrics.horizontalAdvance(text) + 2 * self.PAD_X + 12, 420),
            max(hint.height(), metrics.height() + 2 * self.PAD_Y + 6),
        )


class ArchiveTable(QTableView):
    """The archive list. Its columns fit the width it has: the name takes what is left; while
    that is less than :data:`NAME_WANTED_WIDTH`, the files, recipients and provider columns give
    way in that order (their values are in the name's tooltip). The verification badge always
    shows."""

    # At 1024×700 the name keeps about 250 px next to Completed and the badge; at 1600×1000 only
    # the files column gives way.

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def wanted_width(self, column: int) -> int:
        """The width ``column`` asks for, from the longest value it can hold (no pass over the
        rows)."""
        metrics = self.fontMetrics()
        header = metrics.horizontalAdvance(COLUMNS[column]) + 24
        if column == BADGE:
            # As wide as the widest pill the rows show (a long signer's name is elided).
            model = self.model()
            texts = model.badge_texts() if isinstance(model, ArchiveModel) else set()
            pills = [metrics.horizontalAdvance(t) + 2 * BadgeDelegate.PAD_X + 16 for t in texts]
            return max([header, *pills]) if max(pills, default=0) < 240 else 240
        samples = {
            COMPLETED: "2026-12-30 23:59",
            PROVIDER: max(
                (info.name for info in registry.providers()), key=metrics.horizontalAdvance
            ),
            RECIPIENTS: "Anne-Marie Lee, Bob Roe",
            FILES: "PDF + certificate",
        }
        return max(header, metrics.horizontalAdvance(samples.get(column, "")) + 24)

    def fit_columns(self) -> None:
        widths = {c: self.wanted_width(c) for c in range(len(COLUMNS)) if c != NAME}
        fit_columns(self, NAME, widths, GIVE_WAY, NAME_WANTED_WIDTH)
