"""The editor's page view: placing, drawing, moving, resizing and nudging fields.

The mouse interactions are the tools of :mod:`app.ui.editor.tools` (one drag is one undo step);
this view picks the tool a press starts, takes fields dropped from the palette, handles the
keyboard (nudging, deleting, the clipboard) and shows the anchors' matches.
"""

from __future__ import annotations

from dataclasses import replace

import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPen,
)
from PySide6.QtWidgets import QApplication, QGraphicsRectItem, QGraphicsView, QWidget

from app.domain.editing import DEFAULT_FIELD_SIZE, TYPE_LABELS, FieldId
from app.domain.geometry import Rect
from app.domain.model import Field, FieldType
from app.ui.commands import Editing
from app.ui.editor.fields import HANDLES, FieldItem, FieldLayer
from app.ui.editor.previews import AnchorField, AnchorFieldItem
from app.ui.editor.tools import DrawMode, Mode, MoveMode, ResizeMode
from app.ui.pdfview.view import PageView
from app.ui.style import SEARCH_HIGHLIGHT, recipient_color

#: The drag-and-drop type a palette entry carries: the field type's value.
FIELD_MIME = "application/x-sealbox-field-type"
HIGHLIGHT_Z = 5.0


def field_mime(kind: FieldType) -> QMimeData:
    data = QMimeData()
    data.setData(FIELD_MIME, kind.value.encode())
    return data


def _mime_type(mime: QMimeData) -> FieldType | None:
    if not mime.hasFormat(FIELD_MIME):
        return None
    try:
        return FieldType(bytes(mime.data(FIELD_MIME).data()).decode())
    except ValueError:
        return None


class EditorView(PageView):
    """The page view with the field-editing interactions."""

    #: The armed drawing tool changed (None: back to selecting).
    armedChanged = Signal(object)
    #: The selected fields changed (their ids).
    selectionChanged = Signal(list)

    def __init__(self, editing: Editing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.layer = FieldLayer(editing.doc, self.doc_scene)
        self.current_recipient = 0
        self.armed: FieldType | None = None
        self.snapping = True
        self._mode: Mode | None = None
        self._ghost: QGraphicsRectItem | None = None
        self._highlights: list[QGraphicsRectItem] = []
        self._previews: list[AnchorFieldItem] = []
        self._clipboard: list[Field] = []
        self._nudge_run = 0
        self._nudge_selection: list[FieldId] = []
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.doc_scene.selectionChanged.connect(self._selection_changed)

    # --- helpers --------------------------------------------------------------------------------

    def scale_px(self) -> float:
        """Logical pixels per point at the current zoom."""
        return max(self.transform().m11(), 1e-6)

    def _selection_changed(self) -> None:
        self.selectionChanged.emit(self.layer.selected_ids())

    def selected_ids(self) -> list[FieldId]:
        return self.layer.selected_ids()

    def past_drag_distance(self, dx: float, dy: float) -> bool:
        """Whether a pointer that moved (dx, dy) points since the press is dragging."""
        scale = self.scale_px()
        return abs(dx * scale) + abs(dy * scale) >= QApplication.startDragDistance()

    def arm(self, kind: FieldType | None) -> None:
        """Arm the drawing tool: the next click-drag on a page draws a field of ``kind``."""
        self.armed = kind
        self.viewport().setCursor(
            Qt.CursorShape.CrossCursor if kind else Qt.CursorShape.ArrowCursor
        )
        self.armedChanged.emit(kind)

    def _field_item_at(self, pos: QPoint) -> FieldItem | None:
        for item in self.items(pos):
            if isinstance(item, FieldItem):
                return item
        return None

    def _scene_pos(self, event: QMouseEvent | QDropEvent | QDragMoveEvent) -> QPointF:
        return self.mapToScene(event.position().toPoint())

    # --- adding fields ---------------------------------------------------------------------------

    def default_rect(self, kind: FieldType, page: int, centre: QPointF) -> Rect:
        width, height = DEFAULT_FIELD_SIZE[kind]
        return Rect(centre.x() - width / 2, centre.y() - height / 2, width, height)

    def place_field(self, kind: FieldType, page: int, centre: QPointF) -> FieldId | None:
        """Add a field of the default size centred on ``centre`` (page coordinates)."""
        return self.add_field(kind, page, self.default_rect(kind, page, centre))

    def add_field(self, kind: FieldType, page: int, rect: Rect) -> FieldId | None:
        doc = self.editing.doc
        recipient = self.current_recipient
        if not 0 <= recipient < len(doc.recipients):
            recipient = 0
        f = doc.clamped(
            Field(
                recipient,
                kind,
                page,
                rect.x,
                rect.y,
                rect.width,
                rect.height,
                options=("Option 1", "Option 2") if kind.has_options else (),
            )
        )
        ids: list[FieldId] = []
        self.editing.perform(
            f"Add {TYPE_LABELS[kind].lower()} field", lambda d: ids.extend(d.add_fields([f]))
        )
        self.layer.select(ids)
        self.setFocus()
        return ids[0] if ids else None

    # --- mouse -----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._mode is not None:
            super().mousePressEvent(event)
            return
        scene_pos = self._scene_pos(event)
        if self.armed is not None:
            page = self.doc_scene.page_at(scene_pos)
            if page is not None:
                self._mode = DrawMode(self, page, self.armed, scene_pos)
                event.accept()
                return
        item = self._field_item_at(event.position().toPoint())
        if item is not None:
            ctrl = event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier
            )
            selected = [i for i in self.doc_scene.selectedItems() if isinstance(i, FieldItem)]
            handle = item.handle_at(item.mapFromScene(scene_pos))
            if handle is not None and selected == [item] and not ctrl:
                self._mode = ResizeMode(self, item, handle, scene_pos)
            elif ctrl:
                item.setSelected(not item.isSelected())
            else:
                if not item.isSelected():
                    self.doc_scene.clearSelection()
                    item.setSelected(True)
                chosen = [i for i in self.doc_scene.selectedItems() if isinstance(i, FieldItem)]
                self._mode = MoveMode(self, chosen, item, scene_pos)
            self.setFocus()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._mode is not None:
            self._mode.move(self._scene_pos(event), event.modifiers())
            event.accept()
            return
        if self.armed is None:
            item = self._field_item_at(event.position().toPoint())
            handle = (
                item.handle_at(item.mapFromScene(self._scene_pos(event)))
                if item is not None
                else None
            )
            if handle is not None:
                fx, fy = HANDLES[handle]
                shape = (
                    Qt.CursorShape.SizeHorCursor
                    if fy == 0.5
                    else Qt.CursorShape.SizeVerCursor
                    if fx == 0.5
                    else Qt.CursorShape.SizeFDiagCursor
                    if fx == fy
                    else Qt.CursorShape.SizeBDiagCursor
                )
                self.viewport().setCursor(shape)
            else:
                self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._mode is not None and event.button() == Qt.MouseButton.LeftButton:
            mode, self._mode = self._mode, None
            mode.move(self._scene_pos(event), event.modifiers())
            mode.finish()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def cancel_interaction(self) -> bool:
        if self._mode is not None:
            mode, self._mode = self._mode, None
            mode.cancel()
            return True
        if self.armed is not None:
            self.arm(None)
            return True
        return False

    # --- drag and drop from the palette ----------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _mime_type(event.mimeData()) is None:
            event.ignore()  # a PDF from the file manager: the window opens it
            return
        event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        kind = _mime_type(event.mimeData())
        if kind is None:
            event.ignore()
            return
        scene_pos = self._scene_pos(event)
        page = self.doc_scene.page_at(scene_pos)
        if page is None:
            self._clear_ghost()
            event.ignore()
            return
        event.acceptProposedAction()
        rect = self.default_rect(kind, page.number, page.mapFromScene(scene_pos))
        f = self.editing.doc.clamped(
            Field(0, kind, page.number, rect.x, rect.y, rect.width, rect.height)
        )
        if self._ghost is None or self._ghost.parentItem() is not page:
            self._clear_ghost()
            self._ghost = QGraphicsRectItem(page)
            colour = QColor(recipient_color(self.current_recipient))
            pen = QPen(colour)
            pen.setCosmetic(True)
            pen.setStyle(Qt.PenStyle.DashLine)
            self._ghost.setPen(pen)
            colour.setAlpha(40)
            self._ghost.setBrush(colour)
            self._ghost.setZValue(100)
        self._ghost.setRect(QRectF(f.x, f.y, f.width, f.height))

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._clear_ghost()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._clear_ghost()
        kind = _mime_type(event.mimeData())
        scene_pos = self._scene_pos(event)
        page = self.doc_scene.page_at(scene_pos)
        if kind is None or page is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.place_field(kind, page.number, page.mapFromScene(scene_pos))

    def _clear_ghost(self) -> None:
        if self._ghost is not None and self._ghost.scene() is not None:
            self._ghost.scene().removeItem(self._ghost)
        self._ghost = None

    # --- keyboard --------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        mods = event.modifiers()
        arrows = {
            Qt.Key.Key_Left: (-1, 0),
            Qt.Key.Key_Right: (1, 0),
            Qt.Key.Key_Up: (0, -1),
            Qt.Key.Key_Down: (0, 1),
        }
        ids = self.selected_ids()
        if key in arrows and ids:
            step = 10.0 if mods & Qt.KeyboardModifier.ShiftModifier else 1.0
            ux, uy = arrows[Qt.Key(key)]
            self.nudge(
                ids, ux * step, uy * step, resize=bool(mods & Qt.KeyboardModifier.AltModifier)
            )
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and ids:
            self.delete_selection()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            if not self.cancel_interaction():
                self.doc_scene.clearSelection()
            event.accept()
            return
        super().keyPressEvent(event)

    def nudge(self, ids: list[FieldId], dx: float, dy: float, *, resize: bool = False) -> None:
        """Move (or with ``resize`` grow) fields; a run of nudges on one selection is one step."""
        if ids != self._nudge_selection:
            self._nudge_run += 1
            self._nudge_selection = list(ids)
        merge = 1000 + 2 * self._nudge_run + (1 if resize else 0)
        if resize:
            self.editing.perform(
                "Resize field", lambda d: d.resize_fields(ids, dx, dy), merge_id=merge
            )
        else:
            self.editing.perform("Move field", lambda d: d.move_fields(ids, dx, dy), merge_id=merge)

    # --- clipboard and bulk edits ----------------------------------------------------------------

    def delete_selection(self) -> None:
        ids = self.selected_ids()
        if ids:
            text = "Delete field" if len(ids) == 1 else f"Delete {len(ids)} fields"
            self.editing.perform(text, lambda d: d.remove_fields(ids))

    def copy_selection(self) -> int:
        doc = self.editing.doc
        self._clipboard = [doc.field(fid) for fid in self.selected_ids()]
        return len(self._clipboard)

    def cut_selection(self) -> int:
        count = self.copy_selection()
        self.delete_selection()
        return count

    def can_paste(self) -> bool:
        return bool(self._clipboard)

    def paste(self) -> list[FieldId]:
        """Paste on the current page: in place on another page, offset on the same page."""
        if not self._clipboard:
            return []
        page = self.current_page()
        doc = self.editing.doc
        offset = 12.0 if any(f.page == page for f in self._clipboard) else 0.0
        fields = [
            doc.clamped(replace(f, page=page, x=f.x + offset, y=f.y + offset, anchor=None))
            for f in self._clipboard
        ]
        ids: list[FieldId] = []
        text = "Paste field" if len(fields) == 1 else f"Paste {len(fields)} fields"
        self.editing.perform(text, lambda d: ids.extend(d.add_fields(fields)))
        # The next paste lands offset again, like a stack of copies.
        self._clipboard = [replace(f, x=f.x + offset, y=f.y + offset) for f in self._clipboard]
        self.layer.select(ids)
        return ids

    def duplicate(self) -> list[FieldId]:
        doc = self.editing.doc
        ids = self.selected_ids()
        if not ids:
            return []
        fields = [
            doc.clamped(
                replace(
                    doc.field(fid), x=doc.field(fid).x + 12, y=doc.field(fid).y + 12, anchor=None
                )
            )
            for fid in ids
        ]
        new: list[FieldId] = []
        self.editing.perform("Duplicate", lambda d: new.extend(d.add_fields(fields)))
        self.layer.select(new)
        return new

    def copy_to_pages(self, pages: list[int]) -> list[FieldId]:
        ids = self.selected_ids()
        if not ids:
            return []
        new: list[FieldId] = []
        self.editing.perform("Copy to pages", lambda d: new.extend(d.copy_to_pages(ids, pages)))
        return new

    def select_all_on_page(self) -> None:
        page = self.current_page()
        self.layer.select(fid for fid, _ in self.editing.doc.fields_on_page(page))

    def reveal_field(self, fid: FieldId) -> None:
        """Select a field and scroll it into view (from a preflight problem)."""
        item = self.layer.items.get(fid)
        if item is None:
            return
        self.layer.select([fid])
        self.ensureVisible(item.sceneBoundingRect(), 40, 40)

    # --- anchor highlights -----------------------------------------------------------------------

    def show_highlights(self, matches: list[tuple[int, Rect, int]]) -> None:
        """Highlight text matches: (page, rectangle, recipient index for the colour)."""
        for item in self._highlights:
            if shiboken6.isValid(item) and item.scene() is not None:
                item.scene().removeItem(item)
        self._highlights = []
        count = len(self.doc_scene.page_items)
        for page, rect, recipient in matches:
            if not 1 <= page <= count:
                continue
            item = QGraphicsRectItem(
                rect.x - 1,
                rect.y - 1,
                rect.width + 2,
                rect.height + 2,
                self.doc_scene.page_item(page),
            )
            colour = (
                QColor(SEARCH_HIGHLIGHT) if recipient < 0 else QColor(recipient_color(recipient))
            )
            colour.setAlpha(90)
            item.setBrush(colour)
            pen = QPen(colour.darker(140))
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(HIGHLIGHT_Z)
            self._highlights.append(item)

    def highlight_count(self) -> int:
        return len(self._highlights)

    def show_anchor_fields(self, previews: list[AnchorField]) -> None:
        """Show the field each anchor places at each of its matches (see previews.py)."""
        for item in self._previews:
            if shiboken6.isValid(item) and item.scene() is not None:
                item.scene().removeItem(item)
        self._previews = []
        count = len(self.doc_scene.page_items)
        for preview in previews:
            if 1 <= preview.page <= count:
                self._previews.append(
                    AnchorFieldItem(preview, self.doc_scene.page_item(preview.page))
                )

    def anchor_fields(self) -> list[AnchorFieldItem]:
        return list(self._previews)

    def reveal_match(self, page: int, rect: Rect) -> None:
        """Scroll the match at ``rect`` of ``page`` into the middle of the view and mark the
        anchor's field there as the current one."""
        if not 1 <= page <= len(self.doc_scene.page_items):
            return
        item = self.doc_scene.page_item(page)
        scene_rect = item.mapRectToScene(QRectF(rect.x, rect.y, rect.width, rect.height))
        for preview in self._previews:
            preview.set_current(
                preview.preview.page == page
                and abs(preview.preview.rect.x - rect.x) < 1e-6
                and abs(preview.preview.rect.y - rect.y) < 1e-6
            )
        self.centerOn(scene_rect.center())
