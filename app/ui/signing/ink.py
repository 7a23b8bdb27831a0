"""The signature pad: sign with a mouse, a pen (pressure-sensitive) or a finger, or type.

Strokes are kept as :class:`InkPoint` samples and drawn as smooth curves (:func:`paint_strokes`);
the pad exports its ink cropped, on a transparent background, as the PNG that is stamped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.ui.signing.style import INK, handwriting_font

#: Pen width of a stroke at normal pressure, in the pad's logical pixels.
STROKE_WIDTH = 2.6
#: Moves closer than this to the last point (logical pixels) add nothing to a stroke.
MIN_STEP = 0.75

PadMode = Literal["draw", "type"]


@dataclass(frozen=True)
class InkPoint:
    """One sample of a stroke: where (pad coordinates) and how hard (0–1; 0.5 for a mouse)."""

    x: float
    y: float
    pressure: float = 0.5

    @property
    def pos(self) -> QPointF:
        return QPointF(self.x, self.y)


def _width_at(pressure: float) -> float:
    return STROKE_WIDTH * (0.55 + 0.9 * min(max(pressure, 0.0), 1.0))


def paint_strokes(painter: QPainter, strokes: list[list[InkPoint]], colour: QColor) -> None:
    """Draw strokes as smooth curves: quadratic Béziers through the midpoints of the samples,
    with each sample as the control point. A stroke of even pressure is one path; a pen's
    varying pressure draws segment by segment, each as wide as its sample's pressure."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for points in strokes:
        if not points:
            continue
        if len(points) == 1:
            radius = _width_at(points[0].pressure) / 2
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(points[0].pos, radius, radius)
            continue
        painter.setBrush(Qt.BrushStyle.NoBrush)
        even = all(p.pressure == points[0].pressure for p in points)
        start = points[0].pos
        path = QPainterPath(start)
        last = len(points) - 1
        for i in range(1, last + 1):
            control = points[i].pos
            end = (control + points[i + 1].pos) / 2 if i < last else control
            if even:
                path.quadTo(control, end)
                continue
            segment = QPainterPath(start)
            segment.quadTo(control, end)
            painter.setPen(
                QPen(
                    colour,
                    _width_at(points[i].pressure),
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin,
                )
            )
            painter.drawPath(segment)
            start = end
        if even:
            painter.setPen(
                QPen(
                    colour,
                    _width_at(points[0].pressure),
                    Qt.PenStyle.SolidLine,
                    Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin,
                )
            )
            painter.drawPath(path)
    painter.restore()


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # The stubs ask for bytes, but PySide6 takes the format only as str at run time.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(data.data())


class SignaturePad(QWidget):
    """A card to sign on with a mouse, a pen (pressure-sensitive) or a finger, or to type on.

    Strokes are drawn as smooth curves; **Undo** removes the last stroke and **Clear** all of
    them. **Type instead** switches to a line edit in the handwriting font (and **Draw
    instead** back; each mode keeps its own content). ``changed`` is emitted whenever what the
    pad holds changes. :meth:`to_png` renders the ink on a transparent background, cropped to
    it."""

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        hint: str = "Draw your signature here",
        name: str = "",
        compact: bool = False,
    ) -> None:
        super().__init__(parent)
        self._strokes: list[list[InkPoint]] = []
        self._current: list[InkPoint] | None = None
        self._mode: PadMode = "draw"
        self._hint = hint
        self._name = name
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setMinimumSize(QSize(300 if compact else 480, 150 if compact else 190))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.typed_edit = QLineEdit(self)
        self.typed_edit.setFont(handwriting_font(40 if compact else 48))
        self.typed_edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.typed_edit.setPlaceholderText("Type your initials" if compact else "Type your name")
        self.typed_edit.setFrame(False)
        self.typed_edit.setStyleSheet(
            f"QLineEdit {{ background: transparent; border: none; color: {INK.name()}; }}"
        )
        self.typed_edit.setMaxLength(120)
        self.typed_edit.hide()
        self.typed_edit.textChanged.connect(lambda _text: self.changed.emit())

        self.mode_button = QPushButton("Type instead", self)
        self.undo_button = QPushButton("Undo", self)
        self.clear_button = QPushButton("Clear", self)
        for button in (self.mode_button, self.undo_button, self.clear_button):
            button.setObjectName("padTool")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.mode_button.clicked.connect(self.toggle_mode)
        self.undo_button.clicked.connect(self.undo)
        self.clear_button.clicked.connect(self.clear)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 6)
        layout.addStretch(3)
        layout.addWidget(self.typed_edit)
        layout.addStretch(2)
        tools = QHBoxLayout()
        tools.setSpacing(2)
        tools.addWidget(self.mode_button)
        tools.addStretch(1)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)
        layout.addLayout(tools)
        self._update_tools()

    # state --------------------------------------------------------------------------------------

    @property
    def mode(self) -> PadMode:
        return self._mode

    @property
    def strokes(self) -> list[list[InkPoint]]:
        """The finished strokes (a copy)."""
        return [list(s) for s in self._strokes]

    def typed_text(self) -> str:
        return self.typed_edit.text().strip()

    def is_empty(self) -> bool:
        """Whether there is nothing to sign with in the current mode."""
        if self._mode == "type":
            return not self.typed_text()
        return not self._strokes

    def set_mode(self, mode: PadMode) -> None:
        if mode == self._mode:
            return
        self._finish_stroke()
        self._mode = mode
        self.typed_edit.setVisible(mode == "type")
        if mode == "type":
            if not self.typed_edit.text() and self._name:
                self.typed_edit.setText(self._name)
            self.typed_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            self.typed_edit.end(False)
        self.setCursor(Qt.CursorShape.IBeamCursor if mode == "type" else Qt.CursorShape.CrossCursor)
        self._update_tools()
        self.update()
        self.changed.emit()

    def toggle_mode(self) -> None:
        self.set_mode("draw" if self._mode == "type" else "type")

    def set_typed_text(self, text: str) -> None:
        """Switch to typing with ``text`` in the line edit."""
        self.typed_edit.setText(text)
        self.set_mode("type")

    def undo(self) -> None:
        """Remove the last stroke (in typing mode: the line edit's own undo)."""
        if self._mode == "type":
            self.typed_edit.undo()
            return
        if self._strokes:
            self._strokes.pop()
            self._after_edit()

    def clear(self) -> None:
        if self._mode == "type":
            self.typed_edit.clear()
            return
        if self._strokes or self._current:
            self._strokes.clear()
            self._current = None
            self._after_edit()

    def add_stroke(self, points: list[tuple[float, float]] | list[InkPoint]) -> None:
        """Add a whole stroke (pad coordinates), as if drawn."""
        stroke = [p if isinstance(p, InkPoint) else InkPoint(p[0], p[1]) for p in points]
        if stroke:
            self._strokes.append(stroke)
            self._after_edit()

    def _after_edit(self) -> None:
        self._update_tools()
        self.update()
        self.changed.emit()

    def _update_tools(self) -> None:
        typing = self._mode == "type"
        self.mode_button.setText("Draw instead" if typing else "Type instead")
        self.undo_button.setVisible(not typing)
        self.undo_button.setEnabled(bool(self._strokes))
        self.clear_button.setEnabled(typing or bool(self._strokes))

    # input --------------------------------------------------------------------------------------

    def _begin(self, pos: QPointF, pressure: float) -> None:
        if self._mode != "draw":
            return
        self._current = [InkPoint(pos.x(), pos.y(), pressure)]
        self.update()

    def _extend(self, pos: QPointF, pressure: float) -> None:
        if self._current is None:
            return
        last = self._current[-1]
        if math.hypot(pos.x() - last.x, pos.y() - last.y) < MIN_STEP:
            return
        self._current.append(InkPoint(pos.x(), pos.y(), pressure))
        self.update()

    def _finish_stroke(self) -> None:
        if self._current is None:
            return
        stroke, self._current = self._current, None
        self._strokes.append(stroke)
        self._after_edit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._mode == "draw":
            self._begin(event.position(), 0.5)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is not None:
            self._extend(event.position(), 0.5)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._current is not None:
            self._extend(event.position(), 0.5)
            self._finish_stroke()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        pressure = float(event.pressure())
        if kind == QEvent.Type.TabletPress:
            self._begin(event.position(), pressure)
        elif kind == QEvent.Type.TabletMove:
            self._extend(event.position(), pressure)
        elif kind == QEvent.Type.TabletRelease:
            self._finish_stroke()
        event.accept()  # no mouse events synthesized from the pen

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
            QEvent.Type.TouchCancel,
        ) and isinstance(event, QTouchEvent):
            points = event.points()
            if kind == QEvent.Type.TouchCancel:
                self._current = None
                self.update()
            elif points:
                pos = points[0].position()
                if kind == QEvent.Type.TouchBegin:
                    self._begin(pos, 0.5)
                else:
                    self._extend(pos, 0.5)
                    if kind == QEvent.Type.TouchEnd:
                        self._finish_stroke()
            event.accept()
            return True
        return super().event(event)

    # painting -----------------------------------------------------------------------------------

    def _baseline_y(self) -> float:
        return self.height() * 0.64

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(QColor("#c3c9d4"), 1))
        painter.setBrush(QColor("white"))
        painter.drawRoundedRect(card, 10, 10)
        base = self._baseline_y()
        painter.setPen(QPen(QColor("#aab1bd"), 1))
        painter.drawLine(QPointF(28, base), QPointF(self.width() - 28, base))
        cross = QFont()
        cross.setPixelSize(18)
        painter.setFont(cross)
        painter.setPen(QColor("#8a93a3"))
        painter.drawText(QRectF(28, base - 28, 24, 24), Qt.AlignmentFlag.AlignCenter, "✕")
        if self._mode == "draw":
            if not self._strokes and self._current is None:
                hint = QFont()
                hint.setPixelSize(15)
                painter.setFont(hint)
                painter.setPen(QColor("#a3aab6"))
                painter.drawText(
                    QRectF(0, base - 60, self.width(), 40), Qt.AlignmentFlag.AlignCenter, self._hint
                )
            shown = self._strokes + ([self._current] if self._current else [])
            paint_strokes(painter, shown, INK)
        painter.end()

    # export -------------------------------------------------------------------------------------

    def _typed_path(self) -> QPainterPath:
        path = QPainterPath()
        path.addText(QPointF(0, 0), handwriting_font(96), self.typed_text())
        return path

    def ink_bounds(self) -> QRectF:
        """The rectangle the ink covers, in pad coordinates (empty when there is none)."""
        if self._mode == "type":
            return self._typed_path().boundingRect()
        points = [p for s in self._strokes for p in s]
        if not points:
            return QRectF()
        pad = max(_width_at(p.pressure) for p in points) / 2
        xs = [p.x for p in points]
        ys = [p.y for p in points]
        return QRectF(
            min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad
        )

    def to_image(self, width_px: int, height_px: int) -> QImage:
        """The ink, cropped to its bounds plus a small margin, scaled to fit ``width_px`` x
        ``height_px`` (keeping its proportions), on a transparent background."""
        if self.is_empty():
            raise ValueError("the signature pad is empty: there is nothing to export")
        bounds = self.ink_bounds()
        margin = max(bounds.width(), bounds.height()) * 0.02 + 1.0
        bounds = bounds.adjusted(-margin, -margin, margin, margin)
        scale = min(width_px / bounds.width(), height_px / bounds.height())
        width = max(1, min(width_px, round(bounds.width() * scale)))
        height = max(1, min(height_px, round(bounds.height() * scale)))
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        painter.translate(-bounds.topLeft())
        if self._mode == "type":
            painter.fillPath(self._typed_path(), INK)
        else:
            paint_strokes(painter, self._strokes, INK)
        painter.end()
        return image

    def to_png(self, width_px: int, height_px: int) -> bytes:
        """:meth:`to_image` as PNG bytes."""
        return png_bytes(self.to_image(width_px, height_px))
