"""The field palette: one entry per field type the chosen provider can take.

Drag an entry onto a page to place that field for the current recipient, or click it to arm
the drawing tool and click-drag on a page to draw the field.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QIcon,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import TYPE_LABELS
from app.domain.model import FieldType
from app.ui.editor.view import field_mime
from app.ui.style import PALETTE_DEFAULT

ICON_SIZE = 20


def run_drag(drag: QDrag) -> Qt.DropAction:
    """Run the platform's drag loop until the drop (replaced in tests: no drag loop runs
    offscreen, so they deliver the drop events themselves)."""
    return drag.exec(Qt.DropAction.CopyAction)


def field_icon(kind: FieldType, colour: QColor, ratio: float = 2.0) -> QIcon:
    """A small drawn icon for a field type, in ``colour``."""
    size = ICON_SIZE
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.6)
    p.setPen(pen)
    box = QRectF(2.5, 4.5, size - 5, size - 9)
    if kind == FieldType.SIGNATURE:
        path = QPainterPath(QPointF(2, 14))
        path.cubicTo(5, 2, 8, 18, 11, 9)
        path.cubicTo(13, 4, 14, 16, 18, 10)
        p.drawPath(path)
        p.drawLine(QPointF(2, 17), QPointF(18, 17))
    elif kind in (FieldType.INITIALS, FieldType.TEXT):
        font = QFont()
        font.setPixelSize(11 if kind == FieldType.INITIALS else 14)
        font.setBold(True)
        font.setItalic(kind == FieldType.INITIALS)
        p.setFont(font)
        p.drawText(
            QRectF(0, 0, size, size),
            int(Qt.AlignmentFlag.AlignCenter),
            "AB" if kind == FieldType.INITIALS else "T",
        )
    elif kind == FieldType.DATE:
        p.drawRoundedRect(QRectF(3, 4, 14, 13), 2, 2)
        p.drawLine(QPointF(3, 8), QPointF(17, 8))
        for x in (7, 10, 13):
            for y in (11, 14):
                p.drawPoint(QPointF(x, y))
    elif kind == FieldType.CHECKBOX:
        p.drawRoundedRect(QRectF(4, 4, 12, 12), 2, 2)
        path = QPainterPath(QPointF(6.5, 10))
        path.lineTo(9, 12.5)
        path.lineTo(14, 7)
        p.drawPath(path)
    elif kind == FieldType.DROPDOWN:
        p.drawRoundedRect(box, 2, 2)
        path = QPainterPath(QPointF(12, 9))
        path.lineTo(14.5, 12)
        path.lineTo(17, 9)
        p.drawPath(path)
    elif kind == FieldType.RADIO_BUTTONS:
        p.drawEllipse(QRectF(3, 3, 6, 6))
        p.drawEllipse(QRectF(3, 11, 6, 6))
        p.setBrush(colour)
        p.drawEllipse(QRectF(4.8, 4.8, 2.4, 2.4))
        p.drawLine(QPointF(11, 6), QPointF(18, 6))
        p.drawLine(QPointF(11, 14), QPointF(18, 14))
    else:  # text area
        p.drawRoundedRect(QRectF(2.5, 2.5, 15, 15), 2, 2)
        for y in (7, 10, 13):
            p.drawLine(QPointF(5, y), QPointF(15 if y < 13 else 11, y))
    p.end()
    return QIcon(pixmap)


class PaletteButton(QToolButton):
    """A palette entry: click to arm drawing, drag to drop on a page."""

    def __init__(self, kind: FieldType, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setText(TYPE_LABELS[kind])
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setCheckable(True)
        self.setAutoRaise(False)
        self.setMinimumHeight(30)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setObjectName(f"palette-{kind.value}")
        self._press: QPoint | None = None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if (
            self._press is not None
            and (event.position().toPoint() - self._press).manhattanLength()
            >= QApplication.startDragDistance()
        ):
            self._press = None
            self.setDown(False)
            drag = QDrag(self)
            drag.setMimeData(field_mime(self.kind))
            drag.setPixmap(self.icon().pixmap(QSize(ICON_SIZE, ICON_SIZE)))
            run_drag(drag)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)


class FieldPalette(QWidget):
    """Buttons for the field types; ``armed`` is emitted with the type clicked (or None)."""

    armed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[FieldType, PaletteButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel("Drag a field onto the page, or click one and draw it.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.hint)
        grid = QGridLayout()
        grid.setSpacing(4)
        for i, kind in enumerate(FieldType):
            button = PaletteButton(kind, self)
            button.toggled.connect(lambda on, k=kind: self._toggled(k, on))
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[kind] = button
        layout.addLayout(grid)
        self.set_colour(QColor(PALETTE_DEFAULT))

    def set_colour(self, colour: QColor) -> None:
        """Draw the icons in the current recipient's colour."""
        for kind, button in self.buttons.items():
            button.setIcon(field_icon(kind, colour))

    def _toggled(self, kind: FieldType, on: bool) -> None:
        if on:
            for other, button in self.buttons.items():
                if other != kind and button.isChecked():
                    button.blockSignals(True)
                    button.setChecked(False)
                    button.blockSignals(False)
            self.armed.emit(kind)
        elif not any(b.isChecked() for b in self.buttons.values()):
            self.armed.emit(None)

    def show_armed(self, kind: FieldType | None) -> None:
        """Reflect the view's armed tool (it disarms itself after drawing one field)."""
        for k, button in self.buttons.items():
            button.blockSignals(True)
            button.setChecked(k == kind)
            button.blockSignals(False)

    def set_supported(self, types: frozenset[FieldType], provider_name: str) -> None:
        for kind, button in self.buttons.items():
            ok = kind in types
            button.setEnabled(ok)
            button.setToolTip(
                f"Drag onto a page, or click and draw: a {TYPE_LABELS[kind].lower()} field"
                if ok
                else f"{provider_name} cannot take {TYPE_LABELS[kind].lower()} fields"
            )
        if not types:
            self.hint.setText(
                f"{provider_name} takes no placed fields: its signers place their own signatures."
            )
        else:
            self.hint.setText("Drag a field onto the page, or click one and draw it.")
