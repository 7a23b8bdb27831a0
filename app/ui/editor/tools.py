"""The page view's tools: moving, resizing and drawing fields with the mouse.

Each mouse interaction is a small mode object with ``move``/``finish``/``cancel`` (after
orange-canvas-core's interaction modes): it previews on the scene's items while the mouse moves
and commits exactly one undoable edit when the button is released, so one drag is one undo step.
The document stays the truth: a cancelled mode puts every item back where the document says.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsRectItem

from app.domain.editing import FieldId
from app.domain.geometry import Rect
from app.domain.model import FieldType
from app.ui.commands import Editing
from app.ui.editor.fields import HANDLES, FieldItem, FieldLayer, SnapLines
from app.ui.pdfview.scene import DocumentScene, PageItem
from app.ui.style import recipient_color

SNAP_PX = 6.0
MIN_SIZE = 6.0

#: Movements smaller than this (points) are no movement: a click is not a move.
EPSILON = 1e-6


class ToolHost(Protocol):
    """What a tool needs of the page view it works in (:class:`~app.ui.editor.view.EditorView`)."""

    editing: Editing
    layer: FieldLayer
    snapping: bool
    current_recipient: int

    @property
    def doc_scene(self) -> DocumentScene: ...

    def scale_px(self) -> float: ...

    def past_drag_distance(self, dx: float, dy: float) -> bool: ...

    def place_field(self, kind: FieldType, page: int, centre: QPointF) -> FieldId | None: ...

    def add_field(self, kind: FieldType, page: int, rect: Rect) -> FieldId | None: ...

    def arm(self, kind: FieldType | None) -> None: ...


class Mode:
    """A mouse interaction: previews while the mouse moves, one undoable edit when it ends."""

    def move(self, scene_pos: QPointF, modifiers: Qt.KeyboardModifier) -> None: ...

    def finish(self) -> None: ...

    def cancel(self) -> None: ...


class MoveMode(Mode):
    """Drag the selected fields; snaps the pressed one to edges and centres on its page."""

    def __init__(
        self, view: ToolHost, items: list[FieldItem], primary: FieldItem, press: QPointF
    ) -> None:
        self.view = view
        self.items = items
        self.primary = primary
        self.press = press
        self.start = {item.fid: item.page_rect() for item in items}
        moving = {item.fid for item in items}
        page = primary.field.page
        geom = view.editing.doc.page(page)
        self.lines = SnapLines.for_page(
            (f for fid, f in view.editing.doc.fields_on_page(page) if fid not in moving),
            geom.width,
            geom.height,
        )
        self.dx = self.dy = 0.0
        self.started = False

    def _limits(self) -> tuple[float, float, float, float]:
        lo_x = lo_y = -1e12
        hi_x = hi_y = 1e12
        for item in self.items:
            r = self.start[item.fid]
            geom = self.view.editing.doc.page(item.field.page)
            lo_x, hi_x = max(lo_x, -r.x()), min(hi_x, geom.width - r.right())
            lo_y, hi_y = max(lo_y, -r.y()), min(hi_y, geom.height - r.bottom())
        return lo_x, hi_x, lo_y, hi_y

    def move(self, scene_pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        dx = scene_pos.x() - self.press.x()
        dy = scene_pos.y() - self.press.y()
        if not self.started:
            # A click (or a tremble of the hand) is not a drag: nothing moves, nothing snaps.
            if not self.view.past_drag_distance(dx, dy):
                return
            self.started = True
        lo_x, hi_x, lo_y, hi_y = self._limits()
        dx, dy = min(max(dx, lo_x), hi_x), min(max(dy, lo_y), hi_y)
        guides: list[QLineF] = []
        r = self.start[self.primary.fid]
        geom = self.view.editing.doc.page(self.primary.field.page)
        if self.view.snapping and not modifiers & Qt.KeyboardModifier.AltModifier:
            reach = SNAP_PX / self.view.scale_px()
            x0 = r.x() + dx
            sx, line_x = self.lines.snap(
                (x0, x0 + r.width() / 2, x0 + r.width()), self.lines.xs, reach
            )
            y0 = r.y() + dy
            sy, line_y = self.lines.snap(
                (y0, y0 + r.height() / 2, y0 + r.height()), self.lines.ys, reach
            )
            if line_x is not None and lo_x <= dx + sx <= hi_x:
                dx += sx
                guides.append(QLineF(line_x, 0, line_x, geom.height))
            if line_y is not None and lo_y <= dy + sy <= hi_y:
                dy += sy
                guides.append(QLineF(0, line_y, geom.width, line_y))
        self.dx, self.dy = dx, dy
        for item in self.items:
            item.set_rect(self.start[item.fid].translated(dx, dy))
        self.view.layer.show_guides(self.view.doc_scene.page_item(self.primary.field.page), guides)

    def finish(self) -> None:
        self.view.layer.show_guides(None, [])
        if not self.started or (abs(self.dx) < EPSILON and abs(self.dy) < EPSILON):
            self.cancel()  # nothing moved: no undo step, and Redo stays as it was
            return
        doc = self.view.editing.doc
        new = {}
        for item in self.items:
            f = doc.field(item.fid)
            rect = self.start[item.fid].translated(self.dx, self.dy)
            new[item.fid] = replace(f, x=rect.x(), y=rect.y(), anchor=None)
        text = "Move field" if len(new) == 1 else f"Move {len(new)} fields"
        self.view.editing.perform(text, lambda d: d.update_fields(new))

    def cancel(self) -> None:
        self.view.layer.show_guides(None, [])
        doc = self.view.editing.doc
        for item in self.items:
            item.apply(doc.field(item.fid), item.recipient_name)


class ResizeMode(Mode):
    """Drag one handle of one field; the moving edges snap to other fields' lines."""

    def __init__(self, view: ToolHost, item: FieldItem, handle: int, press: QPointF) -> None:
        self.view = view
        self.item = item
        self.fx, self.fy = HANDLES[handle]
        self.press = press
        self.start = item.page_rect()
        self.rect = QRectF(self.start)
        self.started = False
        page = item.field.page
        geom = view.editing.doc.page(page)
        self.geom = geom
        self.lines = SnapLines.for_page(
            (f for fid, f in view.editing.doc.fields_on_page(page) if fid != item.fid),
            geom.width,
            geom.height,
        )

    def move(self, scene_pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        dx = scene_pos.x() - self.press.x()
        dy = scene_pos.y() - self.press.y()
        if not self.started:
            if not self.view.past_drag_distance(dx, dy):
                return
            self.started = True
        left, top, right, bottom = (
            self.start.left(),
            self.start.top(),
            self.start.right(),
            self.start.bottom(),
        )
        snap = self.view.snapping and not modifiers & Qt.KeyboardModifier.AltModifier
        reach = SNAP_PX / self.view.scale_px()
        guides: list[QLineF] = []

        def edge(value: float, lines: list[float], vertical: bool) -> float:
            if snap:
                shift, line = self.lines.snap((value,), lines, reach)
                if line is not None:
                    guides.append(
                        QLineF(line, 0, line, self.geom.height)
                        if vertical
                        else QLineF(0, line, self.geom.width, line)
                    )
                    return value + shift
            return value

        if self.fx == 0:
            left = min(max(edge(left + dx, self.lines.xs, True), 0.0), right - MIN_SIZE)
        elif self.fx == 1:
            right = max(
                min(edge(right + dx, self.lines.xs, True), self.geom.width), left + MIN_SIZE
            )
        if self.fy == 0:
            top = min(max(edge(top + dy, self.lines.ys, False), 0.0), bottom - MIN_SIZE)
        elif self.fy == 1:
            bottom = max(
                min(edge(bottom + dy, self.lines.ys, False), self.geom.height), top + MIN_SIZE
            )
        self.rect = QRectF(QPointF(left, top), QPointF(right, bottom))
        self.item.set_rect(self.rect)
        self.view.layer.show_guides(self.view.doc_scene.page_item(self.item.field.page), guides)

    def finish(self) -> None:
        self.view.layer.show_guides(None, [])
        if not self.started or all(
            abs(a - b) < EPSILON
            for a, b in (
                (self.rect.left(), self.start.left()),
                (self.rect.top(), self.start.top()),
                (self.rect.right(), self.start.right()),
                (self.rect.bottom(), self.start.bottom()),
            )
        ):
            self.cancel()
            return
        f = self.view.editing.doc.field(self.item.fid)
        new = replace(
            f,
            x=self.rect.x(),
            y=self.rect.y(),
            width=self.rect.width(),
            height=self.rect.height(),
            anchor=None,
        )
        fid = self.item.fid
        self.view.editing.perform("Resize field", lambda d: d.update_fields({fid: new}))

    def cancel(self) -> None:
        self.view.layer.show_guides(None, [])
        self.item.apply(self.view.editing.doc.field(self.item.fid), self.item.recipient_name)


class DrawMode(Mode):
    """Click-drag on a page to draw a field of the armed type (a click places the default size)."""

    def __init__(self, view: ToolHost, page: PageItem, kind: FieldType, press: QPointF) -> None:
        self.view = view
        self.page = page
        self.kind = kind
        self.origin = page.mapFromScene(press)
        self.rect = QRectF(self.origin, self.origin)
        self.preview = QGraphicsRectItem(page)
        pen = QPen(recipient_color(view.current_recipient))
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.preview.setPen(pen)
        self.preview.setZValue(100)

    def move(self, scene_pos: QPointF, modifiers: Qt.KeyboardModifier) -> None:
        p = self.page.mapFromScene(scene_pos)
        geom = self.page.geometry
        p = QPointF(min(max(p.x(), 0.0), geom.width), min(max(p.y(), 0.0), geom.height))
        self.rect = QRectF(self.origin, p).normalized()
        self.preview.setRect(self.rect)

    def finish(self) -> None:
        self._drop_preview()
        scale = self.view.scale_px()
        try:
            if self.rect.width() * scale < 4 and self.rect.height() * scale < 4:
                self.view.place_field(self.kind, self.page.number, self.origin)
            else:
                r = self.rect
                self.view.add_field(
                    self.kind,
                    self.page.number,
                    Rect(r.x(), r.y(), max(r.width(), MIN_SIZE), max(r.height(), MIN_SIZE)),
                )
        finally:
            self.view.arm(None)  # drawn or refused, the tool is put down

    def cancel(self) -> None:
        self._drop_preview()

    def _drop_preview(self) -> None:
        if self.preview.scene() is not None:
            self.preview.scene().removeItem(self.preview)
