"""A field on the signing screen's pages, and the current recipient's entry for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QLineEdit,
    QPlainTextEdit,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.domain.model import Field, FieldType
from app.services.signing_values import (
    Checked,
    Choice,
    FieldInput,
    Mark,
    Signature,
    TextValue,
    is_filled,
)
from app.ui.signing.style import DIM_COLOR, INK, draw_fitted_text, handwriting_font

FIELD_Z = 10.0

#: What each field type is called on the page and in the side panel.
FIELD_NAMES: dict[FieldType, str] = {
    FieldType.SIGNATURE: "Signature",
    FieldType.INITIALS: "Initials",
    FieldType.TEXT: "Text",
    FieldType.DATE: "Date",
    FieldType.CHECKBOX: "Checkbox",
    FieldType.DROPDOWN: "Choice",
    FieldType.RADIO_BUTTONS: "Choice",
    FieldType.TEXT_AREA: "Text",
}
#: The invitation shown in an empty active field.
PROMPTS: dict[FieldType, str] = {
    FieldType.SIGNATURE: "Sign here",
    FieldType.INITIALS: "Initial",
    FieldType.DROPDOWN: "Choose…",
    FieldType.RADIO_BUTTONS: "Choose…",
}


@dataclass
class FieldEntry:
    """One field of the current recipient and what they have given for it."""

    index: int
    field: Field
    #: Text, the date shown, or the chosen option.
    value: str | None = None
    #: A checkbox: ticked.
    ticked: bool = False
    #: Signature and initials: the adopted signature has been put in this field.
    placed: bool = False

    @property
    def is_signature(self) -> bool:
        return self.field.type in (FieldType.SIGNATURE, FieldType.INITIALS)

    def title(self) -> str:
        f = self.field
        return f.label if f.label and not self.is_signature else FIELD_NAMES[f.type]

    def given(self, adopted: Mapping[FieldType, Signature]) -> FieldInput | None:
        """What the signer gave for this field, as the signing service takes it (None for a
        date: the service fills in the signing date)."""
        kind = self.field.type
        if self.is_signature:
            return Mark(adopted.get(kind) if self.placed else None)
        if kind == FieldType.DATE:
            return None
        if kind == FieldType.CHECKBOX:
            return Checked(self.ticked)
        if kind.has_options:
            return None if self.value is None else Choice(self.value)
        return TextValue((self.value or "").strip())

    def is_done(self, adopted: Mapping[FieldType, Signature]) -> bool:
        """Whether the field is filled by the service's own rule."""
        return is_filled(self.field, self.given(adopted))


class SigningFieldItem(QGraphicsObject):
    """A field on its page: the current recipient's, clickable and showing its value, or
    another recipient's, dimmed (with the value they gave, if they have signed)."""

    clicked = Signal(int)

    def __init__(
        self,
        index: int,
        field: Field,
        parent: QGraphicsItem,
        *,
        active: bool,
        colour: QColor,
        owner: str,
    ) -> None:
        super().__init__(parent)
        self.index = index
        self.field = field
        self.active = active
        self.colour = QColor(colour)
        self.owner = owner
        self.current = False
        self.done = False
        self.shown_text: str | None = None
        self.shown_image: QImage | None = None
        self.shown_typed: str | None = None
        self.checked: bool | None = None
        self.editor: QLineEdit | QPlainTextEdit | None = None
        self._rect = QRectF(0, 0, field.width, field.height)
        self.setPos(field.x, field.y)
        self.setZValue(FIELD_Z + (1 if active else 0))
        if active:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
            tip = f"{entry_tip(field)} for {owner}"
        else:
            self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.setOpacity(0.55)
            tip = f"{FIELD_NAMES[field.type]} for {owner}"
        self.setToolTip(tip)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-8, -8, 8, 8)  # room for the highlight's glow

    def field_rect(self) -> QRectF:
        return QRectF(self._rect)

    def show_value(
        self,
        *,
        text: str | None = None,
        image: bytes | None = None,
        typed: str | None = None,
        checked: bool | None = None,
        done: bool = False,
    ) -> None:
        self.shown_text = text
        self.shown_typed = typed
        self.checked = checked
        self.shown_image = None
        if image is not None:
            loaded = QImage.fromData(image)
            self.shown_image = None if loaded.isNull() else loaded
        self.done = done
        self.update()

    def set_current(self, current: bool) -> None:
        if current != self.current:
            self.current = current
            self.update()

    # painting -----------------------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self._rect
        has_value = (
            self.shown_text is not None
            or self.shown_image is not None
            or self.shown_typed is not None
            or bool(self.checked)
        )
        colour = self.colour if self.active else DIM_COLOR
        self._paint_frame(painter, colour, has_value)
        ink = QColor(INK) if self.active else QColor("#3c4250")
        pad = min(2.0, rect.width() * 0.08, rect.height() * 0.08)
        inner = rect.adjusted(pad, pad, -pad, -pad)
        self._paint_value(painter, inner, colour, ink)
        self._paint_prompt(painter, inner, colour, has_value)
        if self.active and self.field.type.has_options:
            self._paint_chevron(painter, inner, colour)

    def _paint_frame(self, painter: QPainter, colour: QColor, has_value: bool) -> None:
        """The field's tint, the glow of the current field, and its border (dashed while a
        required field of the signer is not done)."""
        rect = self._rect
        if self.active:
            fill = QColor(colour)
            fill.setAlpha(26 if self.done else 52)
            painter.fillRect(rect, fill)
        elif not has_value:
            fill = QColor(DIM_COLOR)
            fill.setAlpha(30)
            painter.fillRect(rect, fill)
        if self.current:
            glow = QPen(QColor(colour.red(), colour.green(), colour.blue(), 90), 5.0)
            glow.setCosmetic(True)
            painter.setPen(glow)
            painter.drawRect(rect)
        pen = QPen(colour)
        pen.setCosmetic(True)
        pen.setWidthF(2.0 if self.current else 1.25)
        if not self.done and self.active and self.field.required:
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.active or not has_value:
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)

    def _paint_value(self, painter: QPainter, inner: QRectF, colour: QColor, ink: QColor) -> None:
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if self.field.type == FieldType.CHECKBOX:
            self._paint_checkbox(painter, inner, colour, ink)
        elif self.shown_image is not None:
            self._paint_image(painter, inner, self.shown_image)
        elif self.shown_typed is not None:
            size = min(inner.height() * 0.8, 28.0)
            font = handwriting_font(size)
            draw_fitted_text(painter, inner, self.shown_typed, font, size, left, ink)
        elif self.editor is None and self.shown_text is not None:  # an editor shows its text
            size = min(inner.height() * 0.62, 12.0)
            text_rect = inner.adjusted(2, 0, -2, 0)
            draw_fitted_text(painter, text_rect, self.shown_text, QFont(), size, left, ink)

    @staticmethod
    def _paint_chevron(painter: QPainter, inner: QRectF, colour: QColor) -> None:
        """A small downward chevron at the right: this field opens a list."""
        size = min(inner.height() * 0.3, 6.0)
        cx = inner.right() - size * 1.2
        cy = inner.center().y()
        pen = QPen(
            QColor(colour).darker(140),
            size * 0.28,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(QPointF(cx - size / 2, cy - size / 4))
        path.lineTo(cx, cy + size / 4)
        path.lineTo(cx + size / 2, cy - size / 4)
        painter.drawPath(path)

    def _paint_prompt(
        self, painter: QPainter, inner: QRectF, colour: QColor, has_value: bool
    ) -> None:
        kind = self.field.type
        if kind == FieldType.CHECKBOX or has_value:
            return
        if self.editor is not None and self.active:
            return  # the editor's placeholder says it
        if self.active:
            text = PROMPTS.get(kind, FIELD_NAMES[kind])
            if kind in (FieldType.DROPDOWN, FieldType.RADIO_BUTTONS) and self.field.label:
                text = f"{self.field.label}…"
            if self.field.required:
                text += " *"
        else:
            text = self.owner
        size = min(inner.height() * 0.5, 11.0)
        font = QFont()
        font.setBold(self.active and self.field.type in (FieldType.SIGNATURE, FieldType.INITIALS))
        draw_fitted_text(
            painter,
            inner.adjusted(3, 0, -3, 0),
            text,
            font,
            size,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QColor(colour).darker(150),
        )

    def _paint_checkbox(
        self, painter: QPainter, inner: QRectF, colour: QColor, ink: QColor
    ) -> None:
        side = min(inner.width(), inner.height())
        box = QRectF(inner.center().x() - side / 2, inner.center().y() - side / 2, side, side)
        if not self.checked:
            return
        pen = QPen(
            ink,
            max(side * 0.13, 0.8),
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        painter.setPen(pen)
        path = QPainterPath(QPointF(box.left() + side * 0.2, box.top() + side * 0.55))
        path.lineTo(box.left() + side * 0.42, box.top() + side * 0.76)
        path.lineTo(box.left() + side * 0.82, box.top() + side * 0.26)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)

    @staticmethod
    def _paint_image(painter: QPainter, inner: QRectF, image: QImage) -> None:
        scale = min(inner.width() / image.width(), inner.height() / image.height())
        w, h = image.width() * scale, image.height() * scale
        target = QRectF(
            inner.x() + (inner.width() - w) / 2, inner.y() + (inner.height() - h) / 2, w, h
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, image)

    # input --------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.active and event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            return
        event.ignore()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if (
            self.active
            and event.button() == Qt.MouseButton.LeftButton
            and self._rect.contains(event.pos())
        ):
            self.clicked.emit(self.index)
        event.accept()


def entry_tip(field: Field) -> str:
    text = FIELD_NAMES[field.type]
    if field.label:
        text += f" — {field.label}"
    if not field.required:
        text += " (optional)"
    return text
