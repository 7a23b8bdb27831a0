"""Sealbox's colours and the few drawings made of them, in one place.

The window follows the platform's palette (``resources/styles/sealbox.qss``): light and dark
themes both work. Colours that mean something — a status, a verdict, an error, the ink of a
signature — are named here, and every view takes them from here (or from the palette through
``palette(...)`` in a style sheet), never as a literal of its own.

The editor's colours live here too: the recipient palette (a recipient's colour on every screen),
the outline of a field in trouble, the snapping guide, the search highlight.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from app.domain.lifecycle import Status

# --- meanings -----------------------------------------------------------------------------------

#: Something went well: completed, signed, a valid signature, ready to send.
SUCCESS = "#2e7d32"
#: Something is wrong or destructive: declined, modified files, offline, a Cancel button.
DANGER = "#c62828"
#: A message under an entry that says what is wrong with it (settings, the welcome dialog).
ERROR = "#d32f2f"
#: Still to do (a field not yet filled in, an unconfirmed send).
TODO = "#ef6c00"
#: The accent of primary buttons and links on the signing screens.
PRIMARY = "#0b5cd5"
#: The ink of drawn and typed signatures: a dark blue-black, as from a good pen.
INK = "#14235a"
#: Text that steps back (whose turn is past or still to come).
DIM = "#8a8f98"

# --- the editor ---------------------------------------------------------------------------------

#: Twenty hues told apart with the common colour-vision deficiencies (picked greedily for the
#: largest smallest difference under normal, deutan and protan vision, most distinct first), each
#: with a relative luminance between 0.10 and 0.34 so that it reads on white and on dark themes.
# fmt: off
RECIPIENT_PALETTE: tuple[str, ...] = (
    "#0072B2", "#F07F0F", "#9C755F", "#573FCF", "#5DAAA4",
    "#A32966", "#CC3311", "#18A8D8", "#228833", "#4E79A7",
    "#EE6677", "#59A14F", "#009E73", "#D55E00", "#117733",
    "#AA4499", "#EE7733", "#804478", "#999933", "#EE3377",
)
# fmt: on
#: The snapping guide drawn while a field is moved or resized.
SNAP_GUIDE = "#e91e63"
#: The highlight of the text searched for in the Anchors tab.
SEARCH_HIGHLIGHT = "#ffd600"
#: The field palette's icons before a recipient is chosen.
PALETTE_DEFAULT = "#1e88e5"
#: The banner over a PDF that is already signed: its fill, text and bottom line.
SIGNED_BANNER_STYLE = (
    "QLabel#signedBanner { background: #fff4ce; color: #3b2f00; padding: 6px 10px; "
    "border-bottom: 1px solid #e0c97a; }"
)


def recipient_color(index: int) -> QColor:
    """The colour of recipient ``index`` (fields, swatches); the palette repeats after 20."""
    return QColor(RECIPIENT_PALETTE[max(index, 0) % len(RECIPIENT_PALETTE)])


# --- style sheets for single widgets ------------------------------------------------------------

#: Secondary text in the palette's placeholder colour.
MUTED_STYLE = "color: palette(placeholder-text);"
#: An entry's error message under it.
ERROR_STYLE = f"color: {ERROR}; font-size: 11px;"
#: An entry's note under it.
NOTE_STYLE = "color: palette(placeholder-text); font-size: 11px;"
#: A destructive button (Cancel request).
DANGER_BUTTON_STYLE = (
    f"QPushButton {{ color: white; background: {DANGER}; border: 1px solid #a51f1f; "
    "border-radius: 4px; padding: 4px 12px; } "
    "QPushButton:disabled { background: #e0a0a0; }"
)


def text_style(colour: str | None, extra: str = "") -> str:
    """A label's style sheet in ``colour`` (None: the palette's placeholder colour)."""
    head = f"color: {colour};" if colour else MUTED_STYLE
    return f"{head} {extra}" if extra else head


# --- request statuses and archive verdicts ------------------------------------------------------

#: The pill colour of each request status (white text on it).
STATUS_COLOURS: dict[Status, str] = {
    Status.QUEUED: "#607d8b",
    Status.RECONCILING: TODO,
    Status.SENT: "#1565c0",
    Status.VIEWED: "#00838f",
    Status.COMPLETED: SUCCESS,
    Status.DECLINED: DANGER,
    Status.EXPIRED: "#8d6e63",
    Status.CANCELLED: "#757575",
    Status.FAILED: "#ad1457",
}

#: Fill and text colours of each verification badge of the archive.
BADGE_COLOURS: dict[str, tuple[str, str]] = {
    "valid": (SUCCESS, "#ffffff"),
    "untrusted": ("#f0a000", "#2b1d00"),
    "modified": (DANGER, "#ffffff"),
    "missing": ("#8a8a8a", "#ffffff"),
}

# --- the signing screens ------------------------------------------------------------------------

#: The signing screens' round badges: an error, an optional field.
SIGNING_ERROR = "#e65100"
SIGNING_OPTIONAL = "#9aa0a6"
#: An inactive field's text on the signing screen.
SIGNING_IDLE_TEXT = "#3c4250"
#: The selection inside a field being filled in.
SIGNING_SELECTION = "#b6cdf5"
#: A recipient's email beside their name on the hand-over screen.
SIGNING_EMAIL = "#5f6673"
#: The signature pad: its card's border, the baseline, the cross before it, the hint.
PAD_BORDER = "#c3c9d4"
PAD_BASELINE = "#aab1bd"
PAD_CROSS = "#8a93a3"
PAD_HINT = "#a3aab6"

#: The signing screens' style sheet (its buttons, banners and cards).
SIGNING_STYLE = f"""
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

# --- pills --------------------------------------------------------------------------------------


def badge_font(base: QFont) -> QFont:
    """The font of a status pill: ``base`` a little smaller, semi-bold."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(max(font.pointSizeF() * 0.92, 7.0))
    font.setWeight(QFont.Weight.DemiBold)
    return font


def draw_pill(
    painter: QPainter,
    area: QRectF,
    text: str,
    font: QFont,
    fill: QColor,
    ink: QColor,
    pad_x: float,
    pad_y: float,
    *,
    border: QColor | None = None,
) -> QRectF:
    """Paint ``text`` in ``font`` as a rounded pill of ``fill`` (with a ``border`` line, or none),
    left and vertically centred in ``area``, elided to fit; returns the pill's rectangle. The
    painter's state is left as it was."""
    metrics = QFontMetrics(font)
    shown = metrics.elidedText(
        text, Qt.TextElideMode.ElideRight, max(int(area.width() - 2 * pad_x), 0)
    )
    width = min(area.width(), metrics.horizontalAdvance(shown) + 2 * pad_x)
    height = min(area.height(), metrics.height() + 2 * pad_y)
    pill = QRectF(area.left(), area.center().y() - height / 2, width, height)
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if border is None:
            painter.setPen(Qt.PenStyle.NoPen)
        else:
            painter.setPen(QPen(border, 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setFont(font)
        painter.setPen(ink)
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), shown)
    finally:
        painter.restore()
    return pill


def paint_status_pill(
    painter: QPainter,
    area: QRectF,
    text: str,
    status: Status,
    base: QFont,
    pad_x: float,
    pad_y: float,
) -> None:
    """Paint ``text`` as a rounded pill in ``status``'s colour, white on it, left and vertically
    centred in ``area`` (elided to fit)."""
    draw_pill(
        painter,
        area,
        text,
        badge_font(base),
        QColor(STATUS_COLOURS[status]),
        QColor("white"),
        pad_x,
        pad_y,
    )


# --- send to many -------------------------------------------------------------------------------

#: The background of a sheet cell at fault (its text stays the palette's).
PROBLEM_CELL = "#f9d6d5"
#: The text of a cell at fault, readable on :data:`PROBLEM_CELL` in light and dark themes.
PROBLEM_TEXT = "#5f1010"
