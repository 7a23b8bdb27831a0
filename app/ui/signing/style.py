"""The signing screens' look: colours, style sheet, the handwriting font, and small drawings
(fitted text, status badges, the recipient's avatar)."""

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

log = logging.getLogger(__name__)

#: The ink of drawn and typed signatures: a dark blue-black, as from a good pen.
INK = QColor("#14235a")
PRIMARY = "#0b5cd5"
DANGER = "#c62828"
DONE_COLOR = "#2e7d32"
TODO_COLOR = "#ef6c00"
DIM_COLOR = QColor("#8a8f98")

Badge = Literal["done", "declined", "error", "todo", "optional"]

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
        "error": QColor("#e65100"),
        "todo": QColor(TODO_COLOR),
        "optional": QColor("#9aa0a6"),
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
