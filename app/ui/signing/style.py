"""The signing screens' look: the handwriting font and small drawings (fitted text, status
badges, the recipient's avatar). Their colours and style sheet come from :mod:`app.ui.style`."""

from __future__ import annotations

import logging
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)

from app.pdf.stamp import default_handwriting_font
from app.services.signing_values import initials_of
from app.ui import style

log = logging.getLogger(__name__)

#: The ink of drawn and typed signatures (see :data:`app.ui.style.INK`).
INK = QColor(style.INK)
PRIMARY = style.PRIMARY
DANGER = style.DANGER
DONE_COLOR = style.SUCCESS
TODO_COLOR = style.TODO
DIM_COLOR = QColor(style.DIM)

Badge = Literal["done", "declined", "error", "todo", "optional"]

#: The signing screens' style sheet (kept with the other colours in :mod:`app.ui.style`).
STYLE = style.SIGNING_STYLE


_handwriting: list[str] = []


def handwriting_family() -> str:
    """The family name of the handwriting font (Dancing Script), loaded on first use; a
    cursive fallback if it cannot be loaded."""
    if not _handwriting:
        font_id = QFontDatabase.addApplicationFont(str(default_handwriting_font()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.warning("the handwriting font %s could not be loaded", default_handwriting_font())
        _handwriting.append(families[0] if families else "cursive")
    return _handwriting[0]


def handwriting_font(pixel_size: float) -> QFont:
    font = QFont(handwriting_family())
    font.setPixelSize(max(1, round(pixel_size)))
    return font


def draw_fitted_text(
    painter: QPainter,
    rect: QRectF,
    text: str,
    font: QFont,
    size: float,
    align: Qt.AlignmentFlag,
    colour: QColor,
    *,
    wrap: bool = False,
) -> None:
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
    big = QRectF(
        rect.x() * factor, rect.y() * factor, rect.width() * factor, rect.height() * factor
    )
    flags = int(align) | (int(Qt.TextFlag.TextWordWrap) if wrap else 0)
    painter.drawText(big, flags, text)
    painter.restore()


def badge(kind: Badge, size: int) -> QPixmap:
    """A round status badge: a check, a cross, an exclamation mark or an open ring."""
    ratio = 2.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(1, 1, size - 2, size - 2)
    colour = {
        "done": QColor(DONE_COLOR),
        "declined": QColor(DANGER),
        "error": QColor(style.SIGNING_ERROR),
        "todo": QColor(TODO_COLOR),
        "optional": QColor(style.SIGNING_OPTIONAL),
    }[kind]
    if kind in ("todo", "optional"):
        painter.setPen(QPen(colour, max(1.5, size * 0.12)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(rect.adjusted(size * 0.12, size * 0.12, -size * 0.12, -size * 0.12))
        painter.end()
        return pixmap
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(rect)
    pen = QPen(
        QColor("white"),
        size * 0.11,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
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


def avatar(name: str, colour: QColor, size: int) -> QPixmap:
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
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, initials_of(name)[:2])
    painter.end()
    return pixmap


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
