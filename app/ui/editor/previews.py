"""The fields anchors will become, shown where they will be placed.

An anchor is a promise: "a signature field for Jane, 180 × 48 pt, wherever {{sign_here}} is".
:class:`AnchorFieldItem` draws that field at each match, in the recipient's colour with its type,
dashed so it reads as not yet placed, and never takes a click (the user edits the anchor, not
the preview). The one the user jumped to (Next/Previous match) is drawn bolder.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.domain.editing import TYPE_LABELS
from app.domain.geometry import Rect
from app.domain.model import FieldType
from app.ui.style import recipient_color

#: Above the text highlights, below the placed fields.
PREVIEW_Z = 7.0


@dataclass(frozen=True)
class AnchorField:
    """The field an anchor places at one match: page, rectangle (canonical points) and what it
    is."""

    page: int
    rect: Rect
    type: FieldType
    recipient_index: int
    anchor: str
    required: bool
    recipient_name: str = ""


class AnchorFieldItem(QGraphicsItem):
    def __init__(self, preview: AnchorField, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.current = False
        r = preview.rect
        self._rect = QRectF(0, 0, r.width, r.height)
        self.setPos(r.x, r.y)
        self.setZValue(PREVIEW_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        who = preview.recipient_name or f"recipient {preview.recipient_index + 1}"
        self.setToolTip(
            f"{TYPE_LABELS[preview.type]} field for {who}, placed by the anchor "
            f"{preview.anchor!r} ({r.width:g} × {r.height:g} pt)"
        )

    def label(self) -> str:
        """What the preview says: its type, as a placed field does ("Signature *")."""
        text = TYPE_LABELS[self.preview.type]
        return text + (" *" if self.preview.required else "")

    def set_current(self, on: bool) -> None:
        if on != self.current:
            self.current = on
            self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = recipient_color(self.preview.recipient_index)
        fill = QColor(colour)
        fill.setAlpha(60 if self.current else 28)
        painter.fillRect(self._rect, fill)
        pen = QPen(colour)
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        pen.setWidthF(2.5 if self.current else 1.25)
        painter.setPen(pen)
        painter.drawRect(self._rect)
        box = painter.worldTransform().mapRect(self._rect).adjusted(4, 1, -3, -1)
        pixels = int(min(12.0, box.height() * 0.6))
        if pixels < 6 or box.width() < 8:
            return
        painter.save()
        painter.resetTransform()
        font = QFont()
        font.setPixelSize(pixels)
        font.setItalic(True)
        painter.setFont(font)
        painter.setPen(QColor(colour).darker(150))
        text = painter.fontMetrics().elidedText(
            self.label(), Qt.TextElideMode.ElideRight, int(box.width())
        )
        painter.drawText(box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        painter.restore()
