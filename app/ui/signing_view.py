"""In-person signing on screen: the ``local`` provider's recipients sign here, one after another.

:class:`SigningView` takes a ``local`` request and walks it through its signing order:

1. It reads the working copy of the PDF off the UI thread and checks that it is still exactly
   what was sent (a damaged or changed copy is reported at once, before anyone signs).
2. Before each recipient a handover screen asks to pass the computer to them; **Start** opens
   their signing (they are recorded as having viewed it).
3. The document is shown in a :class:`~app.ui.pages.PageView` with the recipient's fields active
   on their pages and everyone else's dimmed. Signature and initials fields open a
   :class:`SignatureDialog` (draw with a mouse, pen or finger on a :class:`SignaturePad`, or type
   in a handwriting font); text, text area and date fields are edited in place; a checkbox
   toggles on click; dropdown and radio fields offer their options in a menu. The side panel
   lists the fields with their state and moves to the next one. **Finish** (**Approve** for an
   Approver) is enabled once every required field is done; **Decline…** asks for a reason.
4. Finishing makes the same calls as ``sealbox sign`` (:meth:`LocalSigning.sign` with the
   signature and the field values, then archiving once the request is complete), so the store
   ends up exactly as the command would leave it. Two things only the screen can express are
   recorded on top: initials that differ from what the signature implies (drawn or typed
   separately), and optional signature or initials fields the recipient left empty. After the
   last recipient the document is stamped, sealed and certified (``finalize_async``, off the UI
   thread) and archived, with a progress screen; a failure there shows its message and keeps
   every signature (**Try again**, or ``sealbox sync`` later, completes it).

Signals: ``finished(request_id, completed)`` when a recipient other than the last finishes
(``completed`` false) and when the request is sealed and archived (``completed`` true);
``declined(request_id)``; ``stateChanged(state)`` for the screen shown (``STATE_*``).

A request of another provider, or one already ended, shows why there is nothing to sign; a
completed request that is not archived yet is archived.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QIcon,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsProxyWidget,
    QGraphicsSceneMouseEvent,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from app.archive.folder import Archived, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Designation, Field, FieldType, Recipient, Request
from app.errors import NotFoundError, SealboxError, UserError
from app.pdf.document import PdfError, PdfInfo, check_pdf
from app.pdf.stamp import default_handwriting_font
from app.providers.local.signing import LocalSigning, Signature, initials_of
from app.services.send import document_path
from app.store.requests import FieldValue
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.desktop import NoFileManagerDialog, show_in_file_manager
from app.ui.editor.recipients import recipient_color
from app.ui.pages import PageView

log = logging.getLogger(__name__)

STATE_LOADING = "loading"
STATE_HANDOVER = "handover"
STATE_SIGNING = "signing"
STATE_WORKING = "working"
STATE_COMPLETED = "completed"
STATE_DECLINED = "declined"
STATE_ERROR = "error"

#: The ink of drawn and typed signatures: a dark blue-black, as from a good pen.
INK = QColor("#14235a")
#: Pen width of a stroke at normal pressure, in the pad's logical pixels.
STROKE_WIDTH = 2.6
#: Moves closer than this to the last point (logical pixels) add nothing to a stroke.
MIN_STEP = 0.75
#: Pixels per point of the signature images made for the stamped PDF (about 290 dpi).
IMAGE_SCALE = 4.0
MAX_IMAGE_WIDTH = 1600
PRIMARY = "#0b5cd5"
DANGER = "#c62828"
DONE_COLOR = "#2e7d32"
TODO_COLOR = "#ef6c00"
DIM_COLOR = QColor("#8a8f98")
FIELD_Z = 10.0
#: Said under an error after everyone has signed: the signatures are safe in the store.
KEPT = ("Every signature is saved. Press Try again once the problem is solved; Sealbox also "
        "completes the request by itself at its next check of the requests.")

PadMode = Literal["draw", "type"]

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

STYLE = f"""
QPushButton#primary {{
    background: {PRIMARY}; color: white; border: 1px solid {PRIMARY}; border-radius: 6px;
    padding: 7px 22px; font-weight: 600;
}}
QPushButton#primary:hover {{ background: #0a4fb8; }}
QPushButton#primary:pressed {{ background: #08439c; }}
QPushButton#primary:disabled {{ background: #b7c9e6; border-color: #b7c9e6; color: #f4f7fc; }}
QPushButton#danger {{
    background: {DANGER}; color: white; border: 1px solid {DANGER}; border-radius: 6px;
    padding: 7px 18px; font-weight: 600;
}}
QPushButton#danger:disabled {{ background: #e9b5b5; border-color: #e9b5b5; }}
QPushButton#quiet {{
    background: transparent; border: 1px solid palette(mid); border-radius: 6px;
    padding: 7px 14px;
}}
QPushButton#quiet:hover {{ background: palette(midlight); }}
QPushButton#padTool {{
    background: transparent; border: none; color: {PRIMARY}; padding: 2px 6px;
}}
QPushButton#padTool:hover {{ text-decoration: underline; }}
QPushButton#padTool:disabled {{ color: palette(mid); }}
QLabel#heading {{ font-size: 20px; font-weight: 600; }}
QLabel#title {{ font-size: 15px; font-weight: 600; }}
QLabel#muted {{ color: palette(placeholder-text); }}
QLabel#banner {{
    background: #fdecea; color: #7f1d1d; border: 1px solid #f3c1bd; border-radius: 6px;
    padding: 8px 12px;
}}
QFrame#topBar {{ border-bottom: 1px solid palette(mid); }}
QFrame#sidePanel {{ border-left: 1px solid palette(mid); }}
QFrame#card {{
    background: palette(base); border: 1px solid palette(mid); border-radius: 12px;
}}
QListWidget#fieldList {{ border: none; background: transparent; }}
QListWidget#fieldList::item {{ padding: 6px 4px; border-radius: 6px; }}
QListWidget#fieldList::item:selected {{ background: #e3ecfb; color: palette(text); }}
"""


# --- fonts and small drawings -----------------------------------------------------------------

_handwriting: list[str] = []


def handwriting_family() -> str:
    """The family name of the handwriting font (Dancing Script), loaded on first use; a
    cursive fallback if it cannot be loaded."""
    if not _handwriting:
        font_id = QFontDatabase.addApplicationFont(str(default_handwriting_font()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.warning("the handwriting font %s could not be loaded",
                        default_handwriting_font())
        _handwriting.append(families[0] if families else "cursive")
    return _handwriting[0]


def handwriting_font(pixel_size: float) -> QFont:
    font = QFont(handwriting_family())
    font.setPixelSize(max(1, round(pixel_size)))
    return font


def _draw_fitted_text(painter: QPainter, rect: QRectF, text: str, font: QFont, size: float,
                      align: Qt.AlignmentFlag, colour: QColor, *, wrap: bool = False) -> None:
    """Draw ``text`` in ``rect`` (item units) at ``size`` units, shrunk to fit the width.

    Fonts take whole pixel sizes, so the text is drawn eight times larger on a painter scaled
    down by eight: sizes of fractions of a point stay exact at every zoom."""
    if not text or rect.width() <= 0 or rect.height() <= 0:
        return
    factor = 8.0
    font = QFont(font)
    font.setPixelSize(max(1, round(size * factor)))
    if not wrap:
        width = QFontMetricsF(font).horizontalAdvance(text) / factor
        if width > rect.width():
            font.setPixelSize(max(1, round(size * factor * rect.width() / width * 0.98)))
    painter.save()
    painter.scale(1 / factor, 1 / factor)
    painter.setFont(font)
    painter.setPen(colour)
    big = QRectF(rect.x() * factor, rect.y() * factor, rect.width() * factor,
                 rect.height() * factor)
    flags = int(align) | (int(Qt.TextFlag.TextWordWrap) if wrap else 0)
    painter.drawText(big, flags, text)
    painter.restore()


def _badge(kind: Literal["done", "declined", "error", "todo", "optional"], size: int) -> QPixmap:
    """A round status badge: a check, a cross, an exclamation mark or an open ring."""
    ratio = 2.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(1, 1, size - 2, size - 2)
    colour = {"done": QColor(DONE_COLOR), "declined": QColor(DANGER), "error": QColor("#e65100"),
              "todo": QColor(TODO_COLOR), "optional": QColor("#9aa0a6")}[kind]
    if kind in ("todo", "optional"):
        painter.setPen(QPen(colour, max(1.5, size * 0.12)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(rect.adjusted(size * 0.12, size * 0.12, -size * 0.12, -size * 0.12))
        painter.end()
        return pixmap
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(rect)
    pen = QPen(QColor("white"), size * 0.11, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
               Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    s = float(size)
    if kind == "done":
        path = QPainterPath(QPointF(s * 0.28, s * 0.52))
        path.lineTo(s * 0.44, s * 0.67)
        path.lineTo(s * 0.72, s * 0.36)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
    elif kind == "declined":
        painter.drawLine(QPointF(s * 0.34, s * 0.34), QPointF(s * 0.66, s * 0.66))
        painter.drawLine(QPointF(s * 0.66, s * 0.34), QPointF(s * 0.34, s * 0.66))
    else:
        painter.drawLine(QPointF(s * 0.5, s * 0.27), QPointF(s * 0.5, s * 0.56))
        painter.drawPoint(QPointF(s * 0.5, s * 0.73))
    painter.end()
    return pixmap


def _avatar(name: str, colour: QColor, size: int) -> QPixmap:
    """A disc in the recipient's colour with their initials."""
    ratio = 2.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QRectF(0, 0, size, size))
    font = QFont()
    font.setPixelSize(round(size * 0.38))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter,
                     initials_of(name)[:2])
    painter.end()
    return pixmap


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- the signature pad ------------------------------------------------------------------------


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
            painter.setPen(QPen(colour, _width_at(points[i].pressure), Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            painter.drawPath(segment)
            start = end
        if even:
            painter.setPen(QPen(colour, _width_at(points[0].pressure), Qt.PenStyle.SolidLine,
                                Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
            painter.drawPath(path)
    painter.restore()


def _png_bytes(image: QImage) -> bytes:
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

    def __init__(self, parent: QWidget | None = None, *, hint: str = "Draw your signature here",
                 name: str = "", compact: bool = False) -> None:
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
            f"QLineEdit {{ background: transparent; border: none; color: {INK.name()}; }}")
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
        self.setCursor(Qt.CursorShape.IBeamCursor if mode == "type"
                       else Qt.CursorShape.CrossCursor)
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
        if kind in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd,
                    QEvent.Type.TouchCancel) and isinstance(event, QTouchEvent):
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
                painter.drawText(QRectF(0, base - 60, self.width(), 40),
                                 Qt.AlignmentFlag.AlignCenter, self._hint)
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
        return QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad,
                      max(ys) - min(ys) + 2 * pad)

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
        return _png_bytes(self.to_image(width_px, height_px))


# --- dialogs ----------------------------------------------------------------------------------



def _lay_out_dialog(dialog: QDialog, widgets: list[QWidget], stretch: QWidget, action: str,
                    style: str, slot: Callable[[], None]) -> tuple[QPushButton, QPushButton]:
    """The signing dialogs' layout: ``widgets`` in a column (``stretch`` takes the space) over a
    right-aligned Cancel and ``action`` button; returns (cancel, action)."""
    cancel = QPushButton("Cancel")
    cancel.setObjectName("quiet")
    act = QPushButton(action)
    act.setObjectName(style)
    cancel.clicked.connect(dialog.reject)
    act.clicked.connect(slot)
    buttons = QHBoxLayout()
    buttons.addStretch(1)
    buttons.addWidget(cancel)
    buttons.addWidget(act)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(20, 18, 20, 16)
    layout.setSpacing(10)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    layout.addLayout(buttons)
    return cancel, act

class SignatureDialog(QDialog):
    """Adopt a signature or initials: draw them on a :class:`SignaturePad` or type them.

    Initials start typed, pre-filled with the recipient's initials; typing a signature starts
    from the recipient's name. After ``accepted``, :meth:`signature` is what was adopted."""

    def __init__(self, kind: FieldType, name: str, image_size: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.name = name
        self.image_size = image_size
        self._adopted: Signature | None = None
        initials = kind == FieldType.INITIALS
        self.setWindowTitle("Your initials" if initials else "Your signature")
        self.setModal(True)

        title = QLabel(f"Initials of {name}" if initials else f"Signature of {name}")
        title.setObjectName("title")
        intro = QLabel("Draw your initials below, or type them." if initials else
                       "Draw your signature below with the mouse, a pen or your finger — or "
                       "type it.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.pad = SignaturePad(
            self, hint="Draw your initials here" if initials else "Draw your signature here",
            name=initials_of(name) if initials else name, compact=initials)
        if initials:
            self.pad.set_typed_text(initials_of(name))
        consent = QLabel("By selecting Sign, you agree that this electronic signature is as "
                         "binding as your handwritten signature on this document.")
        consent.setObjectName("muted")
        consent.setWordWrap(True)
        small = consent.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        consent.setFont(small)

        self.cancel_button, self.sign_button = _lay_out_dialog(
            self, [title, intro, self.pad, consent], self.pad, "Sign", "primary", self._sign)
        self.sign_button.setDefault(True)
        self.pad.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.sign_button.setEnabled(not self.pad.is_empty())

    def _sign(self) -> None:
        if self.pad.is_empty():
            return
        if self.pad.mode == "type":
            self._adopted = Signature(typed=self.pad.typed_text())
        else:
            self._adopted = Signature(image_png=self.pad.to_png(*self.image_size))
        self.accept()

    def signature(self) -> Signature | None:
        """What the recipient adopted with **Sign** (None before)."""
        return self._adopted


class DeclineDialog(QDialog):
    """Ask why the recipient declines; **Decline** is enabled once a reason is given."""

    def __init__(self, request_name: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Decline to sign")
        self.setModal(True)
        title = QLabel(f"Decline “{request_name}”?")
        title.setObjectName("title")
        title.setWordWrap(True)
        intro = QLabel(f"{name}, tell the sender why you decline. The request ends here: "
                       "nobody after you is asked to sign.")
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setPlaceholderText("Reason (required)")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setMinimumSize(420, 110)
        self.cancel_button, self.decline_button = _lay_out_dialog(
            self, [title, intro, self.reason_edit], self.reason_edit, "Decline", "danger",
            self._decline)
        self.reason_edit.textChanged.connect(self._update)
        self._update()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _update(self) -> None:
        self.decline_button.setEnabled(bool(self.reason()))

    def _decline(self) -> None:
        if self.reason():
            self.accept()


# --- fields on the page -----------------------------------------------------------------------


@dataclass
class FieldEntry:
    """One field of the current recipient and what they have given for it."""

    index: int
    field: Field
    #: Text, date, the chosen option, or "yes" for a ticked checkbox.
    value: str | None = None
    #: Signature and initials: the adopted signature has been put in this field.
    placed: bool = False

    @property
    def is_signature(self) -> bool:
        return self.field.type in (FieldType.SIGNATURE, FieldType.INITIALS)

    def title(self) -> str:
        f = self.field
        name = f.label if f.label and not self.is_signature else FIELD_NAMES[f.type]
        return name


class SigningFieldItem(QGraphicsObject):
    """A field on its page: the current recipient's, clickable and showing its value, or
    another recipient's, dimmed (with the value they gave, if they have signed)."""

    clicked = Signal(int)

    def __init__(self, index: int, field: Field, parent: QGraphicsItem, *, active: bool,
                 colour: QColor, owner: str) -> None:
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

    def show_value(self, *, text: str | None = None, image: bytes | None = None,
                   typed: str | None = None, checked: bool | None = None,
                   done: bool = False) -> None:
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

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self._rect
        kind = self.field.type
        has_value = (self.shown_text is not None or self.shown_image is not None
                     or self.shown_typed is not None or bool(self.checked))
        colour = self.colour if self.active else DIM_COLOR
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
        ink = QColor(INK) if self.active else QColor("#3c4250")
        pad = min(2.0, rect.width() * 0.08, rect.height() * 0.08)
        inner = rect.adjusted(pad, pad, -pad, -pad)
        if kind == FieldType.CHECKBOX:
            self._paint_checkbox(painter, inner, colour, ink)
        elif self.shown_image is not None:
            self._paint_image(painter, inner, self.shown_image)
        elif self.shown_typed is not None:
            size = min(inner.height() * 0.8, 28.0)
            _draw_fitted_text(painter, inner, self.shown_typed, handwriting_font(size), size,
                              Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, ink)
        elif self.editor is not None:
            pass  # the line edit shows the text itself
        elif self.shown_text is not None:
            size = min(inner.height() * 0.62, 12.0)
            _draw_fitted_text(painter, inner.adjusted(2, 0, -2, 0), self.shown_text, QFont(),
                              size, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                              ink)
        self._paint_prompt(painter, inner, colour, has_value)
        if self.active and kind.has_options:
            self._paint_chevron(painter, inner, colour)

    @staticmethod
    def _paint_chevron(painter: QPainter, inner: QRectF, colour: QColor) -> None:
        """A small downward chevron at the right: this field opens a list."""
        size = min(inner.height() * 0.3, 6.0)
        cx = inner.right() - size * 1.2
        cy = inner.center().y()
        pen = QPen(QColor(colour).darker(140), size * 0.28, Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath(QPointF(cx - size / 2, cy - size / 4))
        path.lineTo(cx, cy + size / 4)
        path.lineTo(cx + size / 2, cy - size / 4)
        painter.drawPath(path)

    def _paint_prompt(self, painter: QPainter, inner: QRectF, colour: QColor,
                      has_value: bool) -> None:
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
        font.setBold(self.active and self.field.type in (FieldType.SIGNATURE,
                                                         FieldType.INITIALS))
        _draw_fitted_text(painter, inner.adjusted(3, 0, -3, 0), text, font, size,
                          Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                          QColor(colour).darker(150))

    def _paint_checkbox(self, painter: QPainter, inner: QRectF, colour: QColor,
                        ink: QColor) -> None:
        side = min(inner.width(), inner.height())
        box = QRectF(inner.center().x() - side / 2, inner.center().y() - side / 2, side, side)
        if not self.checked:
            return
        pen = QPen(ink, max(side * 0.13, 0.8), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
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
        target = QRectF(inner.x() + (inner.width() - w) / 2,
                        inner.y() + (inner.height() - h) / 2, w, h)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, image)

    # input --------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.active and event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            return
        event.ignore()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if (self.active and event.button() == Qt.MouseButton.LeftButton
                and self._rect.contains(event.pos())):
            self.clicked.emit(self.index)
        event.accept()


def entry_tip(field: Field) -> str:
    text = FIELD_NAMES[field.type]
    if field.label:
        text += f" — {field.label}"
    if not field.required:
        text += " (optional)"
    return text


# --- the view ---------------------------------------------------------------------------------


class _ScreenSigning(LocalSigning):
    """:class:`LocalSigning` that leaves sealing to the caller: ``sign`` would stamp and seal
    on the calling thread once the last recipient has signed; the view does it off the UI
    thread with :meth:`LocalSigning.finalize_async` instead (``sealbox sync`` also finishes a
    request left unsealed)."""

    def finalize(self, request_id: str, *, wait: float = 0.0) -> Request:
        return self.load(request_id)


def _read_document(path: Path, expected_sha256: str | None, name: str) -> PdfInfo:
    """Check the working copy (in a worker thread): readable, and exactly what was sent."""
    try:
        info = check_pdf(path)
    except NotFoundError as exc:
        raise UserError(f"The working copy of {name!r} is missing: it cannot be signed on this "
                        "computer. Send the document again.") from exc
    except PdfError as exc:
        raise UserError(f"The working copy of {name!r} is damaged and cannot be read: nothing "
                        "was signed. Send the document again.") from exc
    if expected_sha256 and info.sha256 != expected_sha256:
        raise UserError(f"The working copy of {name!r} no longer matches what was sent: it "
                        "cannot be signed. Send the document again.")
    return info


class SigningView(QWidget):
    """Everyone signs a ``local`` request in person, in signing order (see the module
    docstring)."""

    finished = Signal(str, bool)
    declined = Signal(str)
    stateChanged = Signal(str)

    def __init__(self, ctx: Context, bridge: AsyncBridge, request_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.signing: LocalSigning = _ScreenSigning(ctx)
        self.request_id = ctx.requests.resolve_id(request_id)
        self.request: Request = ctx.requests.get(self.request_id)
        self.recipient_index: int | None = None
        self.entries: dict[int, FieldEntry] = {}
        self.items: dict[int, SigningFieldItem] = {}
        self.archived: Archived | None = None
        self.active_dialog: QDialog | None = None
        self._state = ""
        self._adopted: dict[FieldType, Signature] = {}
        self._dialogs: dict[FieldType, SignatureDialog] = {}
        self._current_field: int | None = None
        self._retry: Callable[[], None] | None = None
        self._document: PdfInfo | None = None
        #: The menu of a dropdown or radio field while it is open.
        self.options_menu: QMenu | None = None
        #: What the handover screen says, as plain text.
        self.handover_text = ""
        #: What Show in folder opened where no file manager could show the folder.
        self.folder_dialog: NoFileManagerDialog | None = None

        self.setStyleSheet(STYLE)
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._pages: dict[str, QWidget] = {}
        self._build_loading()
        self._build_handover()
        self._build_signing()
        self._build_working()
        self._build_outcome()
        self._load()

    # --- public -----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The screen shown: one of the ``STATE_*`` constants."""
        return self._state

    @property
    def recipient(self) -> Recipient | None:
        if self.recipient_index is None:
            return None
        return self.request.spec.recipients[self.recipient_index]

    def field_item(self, index: int) -> SigningFieldItem:
        return self.items[index]

    def editor(self, index: int) -> QLineEdit | QPlainTextEdit:
        """The in-place editor of a text, text area or date field of the current recipient."""
        editor = self.items[index].editor
        if editor is None:
            raise KeyError(f"field {index} has no editor")
        return editor

    def missing_fields(self) -> list[int]:
        """The current recipient's required fields that are not done, in reading order."""
        return [i for i in self._reading_order()
                if self.entries[i].field.required and not self._done(self.entries[i])]

    def is_ready(self) -> bool:
        return self._state == STATE_SIGNING and not self.missing_fields()

    # --- building the screens ---------------------------------------------------------------------

    def _add_page(self, state: str, page: QWidget) -> None:
        self._pages[state] = page
        self.stack.addWidget(page)

    def _set_state(self, state: str) -> None:
        outcome = state in (STATE_COMPLETED, STATE_DECLINED)
        self.stack.setCurrentWidget(self._pages[STATE_ERROR if outcome else state])
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    @staticmethod
    def _centred(*widgets: QWidget, width: int = 520) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.addStretch(2)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(width)
        card.setMinimumWidth(min(width, 420))
        inner = QVBoxLayout(card)
        inner.setContentsMargins(36, 32, 36, 28)
        inner.setSpacing(12)
        for widget in widgets:
            if isinstance(widget, (QPushButton, QProgressBar)):
                inner.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
            else:
                inner.addWidget(widget)
        row.addWidget(card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)
        return page

    def _build_loading(self) -> None:
        label = QLabel("Opening the document…")
        label.setObjectName("muted")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        page = QWidget()
        QVBoxLayout(page).addWidget(label)
        self._add_page(STATE_LOADING, page)

    def _build_handover(self) -> None:
        self.avatar = QLabel()
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.handover_label = QLabel()
        self.handover_label.setObjectName("heading")
        self.handover_label.setTextFormat(Qt.TextFormat.RichText)
        self.handover_label.setWordWrap(True)
        self.handover_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.handover_detail = QLabel()
        self.handover_detail.setObjectName("muted")
        self.handover_detail.setWordWrap(True)
        self.handover_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.order_label = QLabel()
        self.order_label.setWordWrap(True)
        self.order_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.order_label.setTextFormat(Qt.TextFormat.RichText)
        # The sender's message reaches each recipient here, as a service's email would carry it.
        self.message_label = QLabel()
        self.message_label.setObjectName("message")
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setTextFormat(Qt.TextFormat.RichText)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumWidth(180)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        note = QLabel("Only the person named above should continue past this screen.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        spacer = QWidget()
        spacer.setFixedHeight(4)
        self._add_page(STATE_HANDOVER, self._centred(
            self.avatar, self.handover_label, self.handover_detail, self.message_label,
            self.order_label, spacer, self.start_button, note, width=620))

    def _build_signing(self) -> None:
        page = QWidget()
        top = QFrame()
        top.setObjectName("topBar")
        self.doc_title = QLabel()
        self.doc_title.setObjectName("title")
        self.signer_label = QLabel()
        self.signer_label.setObjectName("muted")
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.doc_title)
        titles.addWidget(self.signer_label)
        self.decline_button = QPushButton("Decline…")
        self.decline_button.setObjectName("quiet")
        self.decline_button.clicked.connect(self.ask_decline)
        self.finish_button = QPushButton("Finish")
        self.finish_button.setObjectName("primary")
        self.finish_button.setMinimumWidth(120)
        self.finish_button.clicked.connect(self.finish)
        bar = QHBoxLayout(top)
        bar.setContentsMargins(16, 10, 16, 10)
        bar.addLayout(titles, 1)
        bar.addWidget(self.decline_button)
        bar.addSpacing(6)
        bar.addWidget(self.finish_button)

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(12, 8, 12, 0)
        banner_row.addWidget(self.banner)

        self.page_view = PageView()
        self.page_view.fit_width()

        side = QFrame()
        side.setObjectName("sidePanel")
        side.setFixedWidth(270)
        self.fields_title = QLabel("Your fields")
        self.fields_title.setObjectName("title")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.field_list = QListWidget()
        self.field_list.setObjectName("fieldList")
        self.field_list.setIconSize(QSize(18, 18))
        self.field_list.setWordWrap(True)
        self.field_list.itemClicked.connect(self._list_clicked)
        self.next_button = QPushButton("Next field")
        self.next_button.setObjectName("quiet")
        self.next_button.clicked.connect(self.next_field)
        self.side_hint = QLabel()
        self.side_hint.setObjectName("muted")
        self.side_hint.setWordWrap(True)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(14, 14, 14, 14)
        side_layout.setSpacing(8)
        side_layout.addWidget(self.fields_title)
        side_layout.addWidget(self.progress_label)
        side_layout.addWidget(self.progress)
        side_layout.addWidget(self.field_list, 1)
        side_layout.addWidget(self.next_button)
        side_layout.addWidget(self.side_hint)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.page_view, 1)
        body.addWidget(side)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(top)
        layout.addLayout(banner_row)
        layout.addLayout(body, 1)
        self._add_page(STATE_SIGNING, page)

    def _build_working(self) -> None:
        self.working_label = QLabel("Sealing the signed document…")
        self.working_label.setObjectName("heading")
        self.working_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.working_detail = QLabel("Stamping every value into the PDF, sealing it and writing "
                                     "the completion certificate. This takes a few seconds.")
        self.working_detail.setObjectName("muted")
        self.working_detail.setWordWrap(True)
        self.working_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(320)
        self._add_page(STATE_WORKING, self._centred(self.working_label, self.working_detail,
                                                    self.busy_bar))

    def _build_outcome(self) -> None:
        self.outcome_icon = QLabel()
        self.outcome_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.outcome_title = QLabel()
        self.outcome_title.setObjectName("heading")
        self.outcome_title.setWordWrap(True)
        self.outcome_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel()
        self.detail.setObjectName("muted")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Try again")
        self.retry_button.setObjectName("primary")
        self.retry_button.clicked.connect(self._run_retry)
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.setObjectName("quiet")
        self.folder_button.clicked.connect(self._open_folder)
        #: Ends the signing: closes its window ("Done" after an outcome, "Close" after an error).
        self.done_button = QPushButton("Done")
        self.done_button.clicked.connect(self.close_window)
        spacer = QWidget()
        spacer.setFixedHeight(2)
        self._add_page(STATE_ERROR, self._centred(self.outcome_icon, self.outcome_title,
                                                  self.message, self.detail, spacer,
                                                  self.retry_button, self.done_button,
                                                  self.folder_button, width=600))

    # --- the steps --------------------------------------------------------------------------------

    def _run(self, work: Coroutine[Any, Any, Any] | asyncio.Future[Any],
             on_done: Callable[[Any], None], label: str,
             retry: Callable[[], None] | None, detail: str = "",
             title: str = "The request cannot be completed yet") -> None:
        """Run ``work`` on the bridge; its error is shown on the error screen (with **Try
        again** running ``retry``, and ``detail`` under the message)."""

        def done(result: Any) -> None:
            if shiboken6.isValid(self):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._show_error(describe_error(exc), retry=retry, detail=detail,
                                 title=title)

        self.bridge.start(work, on_done=done, on_error=failed, label=label)

    def _load(self) -> None:
        """Check the working copy off the UI thread, then show the next step."""
        self._set_state(STATE_LOADING)
        try:
            self.request = request = self.signing.load(self.request_id)
        except SealboxError as exc:  # another provider's request
            self._show_error(exc.for_app())
            return
        if request.status.terminal or request.status == Status.QUEUED:
            self._next_step()
            return
        path = document_path(self.ctx, request.id)
        self._run(self.bridge.run_blocking(_read_document, path, request.document_sha256,
                                           request.name),
                  self._document_read, "Opening the document", self._load,
                  title="The document cannot be opened")

    def _document_read(self, info: PdfInfo) -> None:
        self._document = info
        self.page_view.set_document(info.path, info.pages)
        self._next_step()

    def _next_step(self) -> None:
        """Whatever comes next: a recipient's handover, sealing, or the outcome."""
        self.recipient_index = None
        try:
            self.request = request = self.signing.load(self.request_id)
        except SealboxError as exc:
            self._show_error(exc.for_app())
            return
        if request.status == Status.COMPLETED:
            self._archive()
            return
        if request.status == Status.DECLINED:
            self._show_declined()
            return
        if request.status == Status.QUEUED:
            self._show_error(f"{request.name!r} has not been sent yet: Sealbox sends it at its "
                             "next check of the requests; then press Try again.",
                             retry=self._next_step)
            return
        if request.status.terminal:
            self._show_error(f"{request.name!r} is {request.status.value}: nothing can be "
                             "signed any more.", title="Nothing to sign")
            return
        if self.signing.needs_finalizing(request):
            self._complete()
            return
        index = request.next_recipient()
        if index is None:
            self._show_error(f"Nobody is left to sign {request.name!r}.",
                             title="Nothing to sign")
            return
        self._show_handover(index)

    def _show_handover(self, index: int) -> None:
        self.recipient_index = index
        request = self.request
        recipient = request.spec.recipients[index]
        acting = request.spec.signers_in_order()
        position = acting.index(index) + 1
        verb = "approve" if recipient.designation == Designation.APPROVER else "sign"
        self.avatar.setPixmap(_avatar(recipient.name, recipient_color(index), 72))
        self.handover_text = f"Pass the computer to {recipient.name} ({recipient.email})"
        self.handover_label.setText(
            f"Pass the computer to {_html(recipient.name)}<br><span style='font-size:15px; "
            f"font-weight:normal; color:#5f6673'>({_html(recipient.email)})</span>")
        self.handover_label.setAccessibleName(self.handover_text)
        who = recipient.first_name or recipient.name
        self.handover_detail.setText(
            f"{who} is the {_ordinal(position)} of {len(acting)} to {verb} "
            f"“{request.name}”. When {who} is ready, press Start.")
        parts = []
        for i in acting:
            r = request.spec.recipients[i]
            if request.recipients[i].done:
                parts.append(f"<span style='color:{DONE_COLOR}'>✓ {_html(r.name)}</span>")
            elif i == index:
                parts.append(f"<b>→ {_html(r.name)}</b>")
            else:
                parts.append(f"<span style='color:#8a8f98'>{_html(r.name)}</span>")
        self.order_label.setText("&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts))
        self.order_label.setVisible(len(acting) > 1)
        message = (request.spec.message or "").strip()
        self.message_label.setText(
            "Message from the sender:<br><i>“" + _html(message).replace("\n", "<br>") + "”</i>"
            if message else "")
        self.message_label.setVisible(bool(message))
        self._set_state(STATE_HANDOVER)
        self.start_button.setFocus()

    def start(self) -> None:
        """The recipient at the screen starts: record that they opened it, show their fields."""
        if self._state != STATE_HANDOVER or self.recipient_index is None:
            return
        index = self.recipient_index
        try:
            self.request = self.signing.open(self.request_id, index)
        except SealboxError as exc:
            self._show_error(exc.for_app(), retry=self._next_step)
            return
        self._begin_signing(index)

    def _begin_signing(self, index: int) -> None:
        request = self.request
        recipient = request.spec.recipients[index]
        approver = recipient.designation == Designation.APPROVER
        self._adopted.clear()
        for dialog in self._dialogs.values():
            dialog.deleteLater()
        self._dialogs.clear()
        self._current_field = None
        self.entries = {
            i: FieldEntry(i, f, value=date.today().isoformat() if f.type == FieldType.DATE
                          else None)
            for i, f in request.spec.fields_for(index)
        }
        self._build_items(index)
        self.doc_title.setText(request.name)
        acting = request.spec.signers_in_order()
        role = "Approving" if approver else "Signing"
        self.signer_label.setText(
            f"{role} as {recipient.name} ({recipient.email}) · "
            f"{acting.index(index) + 1} of {len(acting)}")
        self.finish_button.setText("Approve" if approver else "Finish")
        self.banner.hide()
        self._refresh()
        self._set_state(STATE_SIGNING)
        self.page_view.go_to_page(1)
        first = self._reading_order()
        if first:
            # The first field in sight (the page scrolls no further than it must).
            self._set_current_field(first[0], scroll=True)

    # --- fields -----------------------------------------------------------------------------------

    def _build_items(self, index: int) -> None:
        for item in self.items.values():
            if shiboken6.isValid(item):
                scene = item.scene()
                if scene is not None:
                    scene.removeItem(item)
                item.deleteLater()
        self.items = {}
        scene = self.page_view.doc_scene
        stored = self.ctx.requests.field_values(self.request_id)
        recipients = self.request.spec.recipients
        for i, f in enumerate(self.request.spec.fields):
            try:
                page = scene.page_item(f.page)
            except IndexError:
                continue
            active = f.recipient_index == index
            owner = recipients[f.recipient_index].name
            item = SigningFieldItem(i, f, page, active=active,
                                    colour=recipient_color(f.recipient_index), owner=owner)
            self.items[i] = item
            if active:
                item.clicked.connect(self.activate_field)
                if f.type in (FieldType.TEXT, FieldType.TEXT_AREA):
                    self._add_editor(item, self.entries[i])
                elif f.type == FieldType.DATE:
                    # The signing date, filled in by Sealbox: shown, not edited (a sender who
                    # wants a date typed by the signer places a text field).
                    item.setToolTip(f"The signing date, filled in for {owner}")
            else:
                value = stored.get(i)
                if value is not None:
                    self._show_stored(item, value)

    def _show_stored(self, item: SigningFieldItem, value: FieldValue) -> None:
        kind = item.field.type
        if value.image is not None:
            item.show_value(image=value.image, done=True)
        elif kind in (FieldType.SIGNATURE, FieldType.INITIALS):
            item.show_value(typed=value.value or "", done=True)
        elif kind == FieldType.CHECKBOX:
            item.show_value(checked=value.value == "true", done=True)
        else:
            item.show_value(text=value.value or "", done=True)

    def _add_editor(self, item: SigningFieldItem, entry: FieldEntry) -> None:
        f = entry.field
        editor: QLineEdit | QPlainTextEdit
        size = max(6, round(min(f.height * 0.58, 12.0)))
        font = QFont()
        font.setPixelSize(size)
        if f.type == FieldType.TEXT_AREA:
            area = QPlainTextEdit()
            area.setPlaceholderText((f.label or "Text") + (" *" if f.required else ""))
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.document().setDocumentMargin(2)
            area.textChanged.connect(lambda: self._edited(entry.index, area.toPlainText()))
            editor = area
        else:
            line = QLineEdit()
            line.setFrame(False)
            line.setTextMargins(2, 0, 2, 0)
            line.setPlaceholderText((f.label or "Text") + (" *" if f.required else ""))
            line.textChanged.connect(lambda text: self._edited(entry.index, text))
            editor = line
        editor.setFont(font)
        editor.setStyleSheet(
            f"background: transparent; border: none; color: {INK.name()};"
            "selection-background-color: #b6cdf5; selection-color: black;")
        editor.setFixedSize(max(1, math.floor(f.width)), max(1, math.floor(f.height)))
        proxy = QGraphicsProxyWidget(item)
        proxy.setWidget(editor)
        proxy.setPos(0, 0)
        item.editor = editor
        editor.installEventFilter(self)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for index, item in self.items.items():
                if item.editor is watched:
                    self._set_current_field(index, scroll=False)
                    break
        return super().eventFilter(watched, event)

    def _edited(self, index: int, text: str) -> None:
        entry = self.entries.get(index)
        if entry is None:
            return
        entry.value = text
        self._refresh()

    def _done(self, entry: FieldEntry) -> bool:
        kind = entry.field.type
        if entry.is_signature:
            return entry.placed and kind in self._adopted
        if kind == FieldType.CHECKBOX:
            return entry.value == "yes"
        if kind.has_options:
            return entry.value is not None and entry.value in entry.field.options
        return bool(entry.value and entry.value.strip())

    def _reading_order(self) -> list[int]:
        return sorted(self.entries, key=lambda i: (self.entries[i].field.page,
                                                   round(self.entries[i].field.y),
                                                   self.entries[i].field.x))

    def activate_field(self, index: int) -> None:
        """What a click on a field does: sign, tick, choose or edit it."""
        entry = self.entries.get(index)
        if entry is None or self._state != STATE_SIGNING:
            return
        self._set_current_field(index, scroll=False)
        kind = entry.field.type
        if entry.is_signature:
            if kind in self._adopted and not entry.placed:
                self._offer_same_signature(index)
            else:
                self._open_signature_dialog(index)
        elif kind == FieldType.DATE:
            pass  # the signing date: nothing to do
        elif kind == FieldType.CHECKBOX:
            entry.value = None if entry.value == "yes" else "yes"
            self._refresh()
        elif kind.has_options:
            self._choose_option(index)
        else:
            item = self.items[index]
            if item.editor is not None:
                item.editor.setFocus(Qt.FocusReason.MouseFocusReason)

    def _image_size(self, kind: FieldType) -> tuple[int, int]:
        fields = [e.field for e in self.entries.values() if e.field.type == kind]
        width = max((f.width for f in fields), default=200.0) * IMAGE_SCALE
        height = max((f.height for f in fields), default=50.0) * IMAGE_SCALE
        if width > MAX_IMAGE_WIDTH:
            height *= MAX_IMAGE_WIDTH / width
            width = MAX_IMAGE_WIDTH
        return max(1, round(width)), max(1, round(height))

    def signature_dialog(self, kind: FieldType) -> SignatureDialog:
        """The current recipient's dialog for ``kind`` (signature or initials); kept while they
        sign, so reopening it shows what they drew."""
        dialog = self._dialogs.get(kind)
        if dialog is None:
            recipient = self.recipient
            assert recipient is not None
            dialog = SignatureDialog(kind, recipient.name, self._image_size(kind), self)
            dialog.accepted.connect(lambda: self._adopt(kind))
            dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
            self._dialogs[kind] = dialog
        return dialog

    def _open_signature_dialog(self, index: int) -> None:
        kind = self.entries[index].field.type
        dialog = self.signature_dialog(kind)
        dialog.setProperty("field", index)
        self.active_dialog = dialog
        dialog.open()
        dialog.pad.setFocus()

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None

    def _adopt(self, kind: FieldType) -> None:
        dialog = self._dialogs.get(kind)
        signature = dialog.signature() if dialog is not None else None
        if dialog is None or signature is None:
            return
        self._adopted[kind] = signature
        index = dialog.property("field")
        if isinstance(index, int) and index in self.entries:
            self.entries[index].placed = True
        self._refresh()
        if self.missing_fields():
            self.next_field()

    def _offer_same_signature(self, index: int) -> None:
        """A second signature (or initials) field: offer the one already adopted, in one click,
        or to sign again (which then replaces it in every field)."""
        entry = self.entries[index]
        kind = entry.field.type
        adopted = self._adopted[kind]
        word = "signature" if kind == FieldType.SIGNATURE else "initials"
        menu = QMenu(self)
        same = QAction(f"Use the same {word}", menu)
        if adopted.image_png is not None:
            same.setIcon(QIcon(QPixmap.fromImage(QImage.fromData(adopted.image_png))))
        else:
            same.setText(f"Use the same {word} (“{adopted.typed}”)")
        same.triggered.connect(lambda: self._place_same(index))
        again = QAction("Sign again…" if kind == FieldType.SIGNATURE else "Initial again…",
                        menu)
        again.setToolTip(f"The new {word} replaces the one in your other fields")
        again.triggered.connect(lambda: self._open_signature_dialog(index))
        menu.addAction(same)
        menu.addAction(again)
        menu.setDefaultAction(same)
        menu.setActiveAction(same)
        self._popup_at_field(menu, index)

    def _place_same(self, index: int) -> None:
        entry = self.entries.get(index)
        if entry is None or entry.field.type not in self._adopted:
            return
        entry.placed = True
        self._refresh()
        if self.missing_fields():
            self.next_field()

    def _popup_at_field(self, menu: QMenu, index: int) -> None:
        """Show ``menu`` under field ``index`` (at least as wide as the field)."""
        item = self.items[index]
        view = self.page_view
        on_screen = view.mapFromScene(item.mapRectToScene(item.field_rect())).boundingRect()
        menu.setMinimumWidth(on_screen.width())
        corner = view.mapFromScene(item.mapToScene(item.field_rect().bottomLeft()))
        self.options_menu = menu
        menu.aboutToHide.connect(lambda: self._menu_closed(menu))
        menu.popup(view.viewport().mapToGlobal(corner + QPoint(0, 2)))

    def _choose_option(self, index: int) -> None:
        entry = self.entries[index]
        menu = QMenu(self)
        group = QActionGroup(menu)
        group.setExclusive(True)
        for option in entry.field.options:
            action = QAction(option, menu)
            action.setCheckable(True)
            action.setChecked(option == entry.value)
            group.addAction(action)
            menu.addAction(action)
            action.triggered.connect(lambda _checked=False, o=option: self.set_value(index, o))
        self._popup_at_field(menu, index)

    def _menu_closed(self, menu: QMenu) -> None:
        if self.options_menu is menu:
            self.options_menu = None
        menu.deleteLater()

    def set_value(self, index: int, value: str | None) -> None:
        """Give field ``index`` a value (an option, text, a date, "yes" for a ticked box)."""
        entry = self.entries[index]
        item = self.items[index]
        if item.editor is not None:
            if isinstance(item.editor, QPlainTextEdit):
                item.editor.setPlainText(value or "")
            else:
                item.editor.setText(value or "")
            return
        entry.value = value
        self._refresh()

    # --- state of the fields ----------------------------------------------------------------------

    def _refresh(self) -> None:
        """Update the items, the side panel and the Finish button from the entries."""
        for index, entry in self.entries.items():
            item = self.items.get(index)
            if item is None:
                continue
            kind = entry.field.type
            done = self._done(entry)
            if entry.is_signature:
                adopted = self._adopted.get(kind) if entry.placed else None
                if adopted is None:
                    item.show_value(done=False)
                elif adopted.image_png is not None:
                    item.show_value(image=adopted.image_png, done=True)
                else:
                    item.show_value(typed=adopted.typed, done=True)
            elif kind == FieldType.CHECKBOX:
                item.show_value(checked=entry.value == "yes",
                                done=done or not entry.field.required)
            elif item.editor is not None:
                item.show_value(done=done)
            else:
                item.show_value(text=entry.value if done else None, done=done)
        self._refresh_list()
        missing = self.missing_fields()
        required = [e for e in self.entries.values() if e.field.required]
        done_count = len(required) - len(missing)
        self.progress.setRange(0, max(1, len(required)))
        self.progress.setValue(done_count if required else 1)
        recipient = self.recipient
        approver = recipient is not None and recipient.designation == Designation.APPROVER
        if not self.entries:
            self.progress_label.setText("Nothing to fill in.")
            self.side_hint.setText("Read the document, then press Approve." if approver else
                                   "Read the document, then press Finish to sign it.")
        else:
            self.progress_label.setText(f"{done_count} of {len(required)} required fields done"
                                        if required else "Every field is optional.")
            self.side_hint.setText(
                "Click a field on the page to fill it in." if missing else
                ("All done: press Approve." if approver else "All done: press Finish to sign."))
        self.next_button.setEnabled(bool(self.entries))
        self.finish_button.setEnabled(not missing)
        if missing:
            count = len(missing)
            self.finish_button.setToolTip(f"Fill in the required fields first ({count} left).")
        else:
            self.finish_button.setToolTip("")

    def _refresh_list(self) -> None:
        order = self._reading_order()
        rows = self.field_list
        if rows.count() != len(order):
            rows.clear()
            for index in order:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, index)
                rows.addItem(item)
        for row, index in enumerate(order):
            entry = self.entries[index]
            item_row = rows.item(row)
            item_row.setData(Qt.ItemDataRole.UserRole, index)
            done = self._done(entry)
            badge: Literal["done", "todo", "optional"]
            if done:
                badge, state = "done", "Done"
            elif entry.field.required:
                badge, state = "todo", "Required"
            else:
                badge, state = "optional", "Optional"
            detail = self._describe_value(entry) if done else ""
            text = entry.title() + (f": {detail}" if detail else "")
            item_row.setText(f"{text}\n{state} · page {entry.field.page}")
            item_row.setIcon(QIcon(_badge(badge, 18)))
            item_row.setSelected(index == self._current_field)

    def _describe_value(self, entry: FieldEntry) -> str:
        kind = entry.field.type
        if entry.is_signature:
            adopted = self._adopted.get(kind)
            if adopted is None:
                return ""
            return "drawn" if adopted.image_png is not None else f"“{adopted.typed}”"
        if kind == FieldType.CHECKBOX:
            return "ticked"
        value = (entry.value or "").strip().replace("\n", " ")
        return value if len(value) <= 24 else value[:23].rstrip() + "…"

    def _set_current_field(self, index: int | None, *, scroll: bool) -> None:
        if index is not None and index not in self.entries:
            index = None  # another recipient's field is never the current one
        if self._current_field is not None and self._current_field in self.items:
            self.items[self._current_field].set_current(False)
        self._current_field = index
        if index is None:
            return
        item = self.items[index]
        item.set_current(True)
        order = self._reading_order()
        if index in order:
            self.field_list.setCurrentRow(order.index(index))
        if scroll:
            rect = item.mapRectToScene(item.field_rect())
            self.page_view.ensureVisible(rect, 60, 80)

    def show_field(self, index: int, *, focus: bool = True) -> None:
        """Scroll field ``index`` into view and, if it is the current recipient's, mark it
        (a text field gets the keyboard)."""
        if index not in self.items:
            return
        if index not in self.entries:
            item = self.items[index]
            self.page_view.ensureVisible(item.mapRectToScene(item.field_rect()), 60, 80)
            return
        self._set_current_field(index, scroll=True)
        editor = self.items[index].editor
        if focus and editor is not None:
            editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def next_field(self) -> None:
        """Go to the next required field still to do after the current one (then any field
        still to do, then simply the next one)."""
        order = self._reading_order()
        if not order:
            return
        start = order.index(self._current_field) + 1 if self._current_field in order else 0
        rotated = order[start:] + order[:start]
        wanted: list[Callable[[FieldEntry], bool]] = [
            lambda e: e.field.required and not self._done(e),
            lambda e: not self._done(e),
            lambda e: True,
        ]
        for accept in wanted:
            for index in rotated:
                if accept(self.entries[index]):
                    self.show_field(index)
                    return

    def _list_clicked(self, row: QListWidgetItem) -> None:
        index = row.data(Qt.ItemDataRole.UserRole)
        if isinstance(index, int):
            self.show_field(index)

    # --- finishing --------------------------------------------------------------------------------

    def _signature(self, recipient: Recipient) -> Signature | None:
        """The signature ``sign`` gets: the adopted signature if one was put in a field, else
        what the adopted initials imply, else (a Signer without signature fields) the typed
        name; an Approver with neither signs nothing."""
        placed = {e.field.type for e in self.entries.values() if e.is_signature and e.placed}
        if FieldType.SIGNATURE in placed and FieldType.SIGNATURE in self._adopted:
            return self._adopted[FieldType.SIGNATURE]
        initials = self._adopted.get(FieldType.INITIALS)
        if FieldType.INITIALS in placed and initials is not None:
            if initials.image_png is not None:
                return Signature(image_png=initials.image_png)
            return Signature(typed=recipient.name)
        if recipient.designation == Designation.SIGNER:
            return Signature(typed=recipient.name)
        return None

    def _values(self) -> dict[int, str]:
        """The ``--field N=VALUE`` values ``sealbox sign`` would get for what is on screen."""
        values: dict[int, str] = {}
        for index, entry in self.entries.items():
            kind = entry.field.type
            if entry.is_signature or kind == FieldType.DATE:
                continue  # signatures go as the signature; the date is the signing date
            if kind == FieldType.CHECKBOX:
                if entry.value == "yes":
                    values[index] = "yes"
            elif kind.has_options:
                if entry.value is not None:
                    values[index] = entry.value
            elif entry.value and entry.value.strip():
                values[index] = entry.value.strip()
        return values

    def _corrections(self, signature: Signature | None) -> dict[int, FieldValue]:
        """Values that differ from what ``sign`` derives from ``signature``: initials drawn or
        typed apart from the signature, and signature fields left empty (optional ones)."""
        out: dict[int, FieldValue] = {}
        if signature is None:
            return out
        for index, entry in self.entries.items():
            if not entry.is_signature:
                continue
            kind = entry.field.type
            if signature.image_png is not None:
                derived = FieldValue(None, signature.image_png)
            else:
                assert signature.typed is not None
                derived = FieldValue(signature.typed if kind == FieldType.SIGNATURE
                                     else initials_of(signature.typed), None)
            adopted = self._adopted.get(kind) if entry.placed else None
            if adopted is None:
                wanted = FieldValue(None, None)
            elif adopted.image_png is not None:
                wanted = FieldValue(None, adopted.image_png)
            else:
                wanted = FieldValue(adopted.typed, None)
            if wanted != derived:
                out[index] = wanted
        return out

    def finish(self) -> None:
        """Record the recipient's signing (or approval) as ``sealbox sign`` does; after the
        last recipient, seal and archive."""
        if self._state != STATE_SIGNING or self.recipient_index is None:
            return
        missing = self.missing_fields()
        if missing:
            self._show_banner(f"Fill in the required fields first ({len(missing)} left).")
            self.show_field(missing[0])
            return
        index = self.recipient_index
        recipient = self.request.spec.recipients[index]
        signature = self._signature(recipient)
        corrections = self._corrections(signature)
        try:
            request = self.signing.sign(self.request_id, index, signature, self._values())
            if corrections:
                self.ctx.requests.set_field_values(self.request_id, corrections)
        except SealboxError as exc:
            self._show_banner(exc.for_app())
            return
        self.request = request
        log.info("request %s: recipient %d finished on screen", self.request_id, index)
        if self.signing.needs_finalizing(request):
            self._complete()
            return
        self.finished.emit(self.request_id, False)
        self._next_step()

    def _complete(self) -> None:
        """Stamp, seal and certify off the UI thread, then archive."""
        self.recipient_index = None
        self._set_state(STATE_WORKING)
        self.working_label.setText("Sealing the signed document…")
        self._run(self._complete_async(), self._completed, "Completing the request",
                  self._complete, detail=KEPT)

    async def _complete_async(self) -> Archived:
        # Loading the seal identity imports pyHanko and may create the installation's seal
        # certificate: both take a while, so they run in a worker before finalizing.
        await self.bridge.run_blocking(self.signing.identity)
        await self.signing.finalize_async(self.request_id)
        return await archive_request_async(self.ctx, self.request_id)

    def _archive(self) -> None:
        """A completed request: archive it (nothing to do if it is already)."""
        self._set_state(STATE_WORKING)
        self.working_label.setText("Archiving the signed document…")
        self._run(archive_request_async(self.ctx, self.request_id), self._archived_only,
                  "Archiving the request", self._archive, detail=KEPT)

    def _archived_only(self, archived: Archived) -> None:
        self._show_completed(archived)

    def _completed(self, archived: Archived) -> None:
        self._show_completed(archived)
        self.finished.emit(self.request_id, True)

    # --- declining --------------------------------------------------------------------------------

    def ask_decline(self) -> None:
        """Open the dialog that asks for the reason; **Decline** there declines."""
        recipient = self.recipient
        if self._state != STATE_SIGNING or recipient is None:
            return
        dialog = DeclineDialog(self.request.name, recipient.name, self)
        dialog.accepted.connect(lambda: self.decline(dialog.reason()))
        dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
        dialog.finished.connect(lambda _code: dialog.deleteLater())
        self.active_dialog = dialog
        dialog.open()
        dialog.reason_edit.setFocus()

    def decline(self, reason: str) -> None:
        """The current recipient declines for ``reason`` (required)."""
        if self._state != STATE_SIGNING or self.recipient_index is None:
            return
        if not reason.strip():
            self._show_banner("Give a reason for declining.")
            return
        try:
            self.request = self.signing.decline(self.request_id, self.recipient_index,
                                                reason.strip())
        except SealboxError as exc:
            self._show_banner(exc.for_app())
            return
        self._show_declined()
        self.declined.emit(self.request_id)

    # --- outcomes ---------------------------------------------------------------------------------

    def _show_banner(self, message: str) -> None:
        self.banner.setText(message)
        self.banner.show()

    def _leave_document(self) -> None:
        for item in self.items.values():
            if shiboken6.isValid(item):
                item.deleteLater()
        self.items = {}
        self.entries = {}
        self.page_view.clear()

    def _show_outcome(self, badge: Literal["done", "declined", "error"], title: str,
                      message: str, *, detail: str = "",
                      retry: Callable[[], None] | None = None, folder: bool = False) -> None:
        self.outcome_icon.setPixmap(_badge(badge, 56))
        self.outcome_title.setText(title)
        self.message.setText(message)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self._retry = retry
        self.retry_button.setVisible(retry is not None)
        self.folder_button.setVisible(folder)
        # After an outcome Done is the main button; after an error Try again is, and Close ends.
        self.done_button.setText("Close" if badge == "error" else "Done")
        self.done_button.setObjectName("quiet" if retry is not None else "primary")
        self.done_button.style().unpolish(self.done_button)
        self.done_button.style().polish(self.done_button)
        self.done_button.setDefault(retry is None)
        self.retry_button.setDefault(retry is not None)

    def _show_error(self, message: str, *, retry: Callable[[], None] | None = None,
                    title: str = "This request cannot be signed here",
                    detail: str = "") -> None:
        log.warning("signing %s: %s", self.request_id, message)
        self._show_outcome("error", title, message, detail=detail, retry=retry)
        self._set_state(STATE_ERROR)

    def _show_completed(self, archived: Archived) -> None:
        self.archived = archived
        self._leave_document()
        self.request = self.ctx.requests.get(self.request_id)
        names = [self.request.spec.recipients[i].name
                 for i in self.request.spec.signers_in_order()]
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        self._show_outcome(
            "done", "Everyone has signed",
            f"“{self.request.name}” was signed by {who}, sealed on this computer and "
            "archived with its completion certificate.",
            detail=str(archived.directory), folder=True)
        self._set_state(STATE_COMPLETED)

    def _show_declined(self) -> None:
        self._leave_document()
        request = self.ctx.requests.get(self.request_id)
        self.request = request
        who, reason = "A recipient", request.error_message or ""
        for i, state in enumerate(request.recipients):
            if state.declined_at is not None:
                who = request.spec.recipients[i].name
                reason = state.decline_reason or reason
        self._show_outcome("declined", f"{who} declined",
                           f"“{request.name}” was declined: nobody else will be asked to sign "
                           "it.", detail=f"Reason: {reason}")
        self._set_state(STATE_DECLINED)

    def _run_retry(self) -> None:
        retry = self._retry
        if retry is not None:
            self._retry = None
            retry()

    def _open_folder(self) -> None:
        if self.archived is not None:
            self.folder_dialog = show_in_file_manager(self, self.archived.directory)

    def close_window(self) -> None:
        """Done: close the window the signing is in."""
        self.window().close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.page_view.close_document()
        super().closeEvent(event)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = [
    "STATE_COMPLETED",
    "STATE_DECLINED",
    "STATE_ERROR",
    "STATE_HANDOVER",
    "STATE_LOADING",
    "STATE_SIGNING",
    "STATE_WORKING",
    "DeclineDialog",
    "FieldEntry",
    "InkPoint",
    "SignatureDialog",
    "SignaturePad",
    "SigningFieldItem",
    "SigningView",
    "handwriting_family",
    "paint_strokes",
]
