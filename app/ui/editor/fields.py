"""The fields on the pages: one item per field of the editor document, and the snapping guides.

:class:`FieldLayer` mirrors the document: it listens to the document's changes and creates,
moves or deletes :class:`FieldItem`s to match. Items are children of their page's item, so an
item's position is the field's canonical position (points from the page's top-left as shown).
Interactions preview by moving items and then commit one command; the next document change
puts every item back where the document says.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.domain.editing import TYPE_LABELS, Change, EditorDocument, FieldId
from app.domain.model import Field, FieldType
from app.ui.pdfview.scene import DocumentScene, PageItem
from app.ui.style import ERROR, SNAP_GUIDE, recipient_color

#: Handle positions, as fractions of the rectangle: (fx, fy).
HANDLES: tuple[tuple[float, float], ...] = (
    (0, 0),
    (0.5, 0),
    (1, 0),
    (1, 0.5),
    (1, 1),
    (0.5, 1),
    (0, 1),
    (0, 0.5),
)
HANDLE_PX = 8.0
FIELD_Z = 10.0
GUIDE_Z = 50.0


def _screen_scale(painter_or_item: QPainter | QGraphicsItem) -> float:
    """Device pixels per scene unit of the first view (for sizes constant on screen)."""
    if isinstance(painter_or_item, QPainter):
        return max(painter_or_item.worldTransform().m11(), 1e-6)
    scene = painter_or_item.scene()
    if scene is None or not scene.views():
        return 1.0
    return max(scene.views()[0].transform().m11(), 1e-6)


class FieldItem(QGraphicsObject):
    """One field drawn on its page: a tinted box in its recipient's colour, named by type."""

    def __init__(
        self, fid: FieldId, field: Field, recipient_name: str, parent: PageItem | None = None
    ) -> None:
        super().__init__(parent)
        # The rectangle exists before anything below can make Qt ask for the bounding rect
        # (setCursor does on a real display).
        self._rect = QRectF(0, 0, field.width, field.height)
        self.fid = fid
        self.field = field
        self.recipient_name = recipient_name
        self.supported = True
        self.problem = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable, False)
        self.setAcceptHoverEvents(True)
        self.setZValue(FIELD_Z)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        # Each field is drawn once into a pixmap at the screen's resolution and blitted after
        # that: a page with hundreds of fields repaints fast while one of them is dragged.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.apply(field, recipient_name)

    # geometry -----------------------------------------------------------------------------------

    def apply(self, field: Field, recipient_name: str) -> None:
        self.prepareGeometryChange()
        self.field = field
        self.recipient_name = recipient_name
        self._rect = QRectF(0, 0, field.width, field.height)
        self.setPos(field.x, field.y)
        tip = f"{TYPE_LABELS[field.type]} for {recipient_name}"
        if field.label:
            tip += f" — {field.label}"
        if not field.required:
            tip += " (optional)"
        if not self.supported:
            tip += "\nThe chosen provider cannot take this type of field."
        self.setToolTip(tip)
        self.update()

    def set_rect(self, rect: QRectF) -> None:
        """Preview a new page rectangle (during a drag); the document is not touched."""
        self.prepareGeometryChange()
        self.setPos(rect.topLeft())
        self._rect = QRectF(0, 0, rect.width(), rect.height())

    def page_rect(self) -> QRectF:
        return QRectF(self.pos(), self._rect.size())

    def boundingRect(self) -> QRectF:
        pad = HANDLE_PX / _screen_scale(self)
        return self._rect.adjusted(-pad, -pad, pad, pad)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect() if self.isSelected() else self._rect)
        return path

    def handle_at(self, pos: QPointF) -> int | None:
        """The index of the resize handle under ``pos`` (item coordinates), if selected."""
        if not self.isSelected():
            return None
        scale = _screen_scale(self)
        reach = HANDLE_PX / scale
        small = min(self._rect.width(), self._rect.height()) * scale < 4 * HANDLE_PX
        for i, (fx, fy) in enumerate(HANDLES):
            if small and 0.5 in (fx, fy):
                continue
            centre = QPointF(self._rect.width() * fx, self._rect.height() * fy)
            if abs(pos.x() - centre.x()) <= reach and abs(pos.y() - centre.y()) <= reach:
                return i
        return None

    # painting -----------------------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = recipient_color(self.field.recipient_index)
        scale = _screen_scale(painter)
        fill = QColor(colour)
        fill.setAlpha(46 if self.supported else 20)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(self._rect, fill)
        pen = QPen(colour if self.supported else QColor(ERROR))
        pen.setCosmetic(True)
        pen.setWidthF(2.0 if self.isSelected() else 1.25)
        if not self.supported or self.problem:
            pen.setStyle(Qt.PenStyle.DashLine)
            pen.setColor(QColor(ERROR))
        painter.setPen(pen)
        painter.drawRect(self._rect)
        if not self.supported:
            painter.fillRect(
                self._rect, QBrush(QColor(211, 47, 47, 70), Qt.BrushStyle.BDiagPattern)
            )
        self._paint_label(painter, colour, scale)
        if self.isSelected():
            self._paint_handles(painter, colour, scale)

    def _paint_label(self, painter: QPainter, colour: QColor, scale: float) -> None:
        kind = self.field.type
        text = TYPE_LABELS[kind]
        if kind == FieldType.CHECKBOX:
            text = "✓"
        elif self.field.label and kind not in (FieldType.SIGNATURE, FieldType.INITIALS):
            text = self.field.label
        if self.field.required and kind != FieldType.CHECKBOX:
            text += " *"
        # Drawn in device pixels so the name stays crisp and readable at every zoom.
        box = painter.worldTransform().mapRect(self._rect).adjusted(4, 1, -3, -1)
        pixels = int(min(13.0, box.height() * 0.7))
        if pixels < 6 or box.width() < 8:
            return
        painter.save()
        painter.resetTransform()
        font = QFont()
        font.setPixelSize(pixels)
        font.setItalic(kind in (FieldType.SIGNATURE, FieldType.INITIALS))
        painter.setFont(font)
        painter.setPen(QColor(colour).darker(160))
        shown = painter.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, int(box.width())
        )
        align = Qt.AlignmentFlag.AlignVCenter | (
            Qt.AlignmentFlag.AlignHCenter
            if kind == FieldType.CHECKBOX
            else Qt.AlignmentFlag.AlignLeft
        )
        painter.drawText(box, int(align), shown)
        painter.restore()

    def _paint_handles(self, painter: QPainter, colour: QColor, scale: float) -> None:
        half = HANDLE_PX / 2 / scale
        pen = QPen(colour.darker(130))
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QColor("white"))
        small = min(self._rect.width(), self._rect.height()) * scale < 4 * HANDLE_PX
        for fx, fy in HANDLES:
            if small and 0.5 in (fx, fy):
                continue  # a small field keeps only its corner handles
            c = QPointF(self._rect.width() * fx, self._rect.height() * fy)
            painter.drawRect(QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half))


class GuideItem(QGraphicsItem):
    """The snapping guides shown while a field moves: lines across its page."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[QLineF] = []
        self.setZValue(GUIDE_Z)

    def set_lines(self, lines: list[QLineF]) -> None:
        self.prepareGeometryChange()
        self.lines = lines
        self.update()

    def boundingRect(self) -> QRectF:
        if not self.lines:
            return QRectF()
        xs = [v for ln in self.lines for v in (ln.x1(), ln.x2())]
        ys = [v for ln in self.lines for v in (ln.y1(), ln.y2())]
        return QRectF(min(xs) - 1, min(ys) - 1, max(xs) - min(xs) + 2, max(ys) - min(ys) + 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pen = QPen(QColor(SNAP_GUIDE))
        pen.setCosmetic(True)
        pen.setWidthF(1.0)
        painter.setPen(pen)
        painter.drawLines(self.lines)


@dataclass
class SnapLines:
    """Lines a moving edge or centre can snap to on one page, sorted for bisection."""

    xs: list[float]
    ys: list[float]

    @classmethod
    def for_page(cls, fields: Iterable[Field], width: float, height: float) -> SnapLines:
        xs = {0.0, width / 2, width}
        ys = {0.0, height / 2, height}
        for f in fields:
            xs.update((f.x, f.x + f.width / 2, f.x + f.width))
            ys.update((f.y, f.y + f.height / 2, f.y + f.height))
        return cls(sorted(xs), sorted(ys))

    @staticmethod
    def _nearest(lines: list[float], value: float) -> float | None:
        i = bisect.bisect_left(lines, value)
        best: float | None = None
        for j in (i - 1, i):
            if 0 <= j < len(lines) and (best is None or abs(lines[j] - value) < abs(best - value)):
                best = lines[j]
        return best

    def snap(
        self, values: Iterable[float], lines: list[float], reach: float
    ) -> tuple[float, float | None]:
        """The shift that brings the closest of ``values`` onto a line within ``reach``."""
        best_shift = 0.0
        best_line: float | None = None
        for v in values:
            line = self._nearest(lines, v)
            if (
                line is not None
                and abs(line - v) <= reach
                and (best_line is None or abs(line - v) < abs(best_shift))
            ):
                best_shift, best_line = line - v, line
        return best_shift, best_line


class FieldLayer:
    """Keeps one :class:`FieldItem` per document field on the scene's pages."""

    def __init__(self, doc: EditorDocument, scene: DocumentScene) -> None:
        self.doc = doc
        self.scene = scene
        self.items: dict[FieldId, FieldItem] = {}
        self.supported: frozenset[FieldType] = frozenset(FieldType)
        self.problem_ids: frozenset[FieldId] = frozenset()
        self.guides = GuideItem()
        self.on_changed: Callable[[], None] | None = None
        self._unsubscribe = doc.subscribe(self._changed)

    def close(self) -> None:
        self._unsubscribe()
        self.clear()

    def clear(self) -> None:
        for item in self.items.values():
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.items.clear()
        if self.guides.scene() is not None:
            self.guides.scene().removeItem(self.guides)

    def rebuild(self) -> None:
        """Make items for every field (after the pages were laid out again)."""
        self.clear()
        self.guides = GuideItem()
        for fid, _ in self.doc.fields():
            self._add(fid)

    def _recipient_name(self, index: int) -> str:
        if 0 <= index < len(self.doc.recipients):
            r = self.doc.recipients[index]
            return r.name or r.email or f"Recipient {index + 1}"
        return f"Recipient {index + 1}"

    def _remove(self, fid: FieldId) -> None:
        item = self.items.pop(fid, None)
        if item is not None and item.scene() is not None:
            item.scene().removeItem(item)

    def _add(self, fid: FieldId) -> None:
        self._remove(fid)  # never two items for one field (a change heard again after a failure)
        f = self.doc.field(fid)
        if not 1 <= f.page <= len(self.scene.page_items):
            return
        # Built whole before it goes on its page: an item that fails half-way is never shown.
        item = FieldItem(fid, f, self._recipient_name(f.recipient_index))
        try:
            item.supported = f.type in self.supported
            item.problem = fid in self.problem_ids
            item.apply(f, item.recipient_name)
            item.setParentItem(self.scene.page_item(f.page))
        except Exception:
            if item.scene() is not None:
                item.scene().removeItem(item)
            raise
        self.items[fid] = item

    def _changed(self, change: Change) -> None:
        for fid in change.removed:
            self._remove(fid)
        for fid in change.added:
            self._add(fid)
        for fid in change.changed:
            item = self.items.get(fid)
            f = self.doc.field(fid)
            if item is None:
                self._add(fid)
                continue
            if item.field.page != f.page:
                selected = item.isSelected()
                item.setParentItem(self.scene.page_item(f.page))
                item.setSelected(selected)
            item.supported = f.type in self.supported
            item.apply(f, self._recipient_name(f.recipient_index))
        if change.recipients:
            for fid, item in self.items.items():
                item.apply(
                    self.doc.field(fid), self._recipient_name(self.doc.field(fid).recipient_index)
                )
        if self.on_changed is not None:
            self.on_changed()

    def set_supported(self, types: frozenset[FieldType]) -> None:
        """Mark (never delete) the fields the chosen provider cannot take."""
        self.supported = types
        for item in self.items.values():
            item.supported = item.field.type in types
            item.apply(item.field, item.recipient_name)

    def set_problems(self, ids: frozenset[FieldId]) -> None:
        self.problem_ids = ids
        for fid, item in self.items.items():
            if item.problem != (fid in ids):
                item.problem = fid in ids
                item.update()

    def selected_ids(self) -> list[FieldId]:
        return [item.fid for item in self.scene.selectedItems() if isinstance(item, FieldItem)]

    def select(self, ids: Iterable[FieldId]) -> None:
        wanted = set(ids)
        self.scene.clearSelection()
        for fid in wanted:
            item = self.items.get(fid)
            if item is not None:
                item.setSelected(True)

    def show_guides(self, page: PageItem | None, lines: list[QLineF]) -> None:
        if page is None or not lines:
            self.guides.set_lines([])
            self.guides.setVisible(False)
            return
        if self.guides.parentItem() is not page:
            self.guides.setParentItem(page)
        self.guides.setVisible(True)
        self.guides.set_lines(lines)
