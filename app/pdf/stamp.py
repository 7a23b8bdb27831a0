# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Stamp field values into a PDF as page content (PyMuPDF).

Each :class:`Stamp` is drawn into the page's content stream (not as an annotation), fully inside
its canonical rectangle and upright for the user, also on pages with /Rotate 90/180/270 or a
CropBox that does not start at (0, 0). Text shrinks until it fits; nothing is cut off or dropped.

The result is the received PDF with the stamps appended as an incremental update
(:mod:`app.pdf.revision`): earlier signatures stay valid, a permissions password's encryption is
kept, and the cost does not grow with the page count. Form fields that rely on the viewer to
draw them get their appearances drawn in the same update (a signature would hide their values).

Legible on any background: the area under each value is rendered first; where it is not plain
and light (a dark banner, a photo, dense print) a light backing is laid under the value.

Anchor texts (``{{sign_here}}``) under the fields they made are taken off the page (a redaction
of the text only) unless the request says otherwise. On a document that is already signed the
page content belongs to the earlier signer, so nothing is redacted: an opaque light patch covers
the anchor text instead (the text stays in the file, under the patch). An anchor read by OCR
from a scanned page is pixels, not text: it is covered the same way.

How the drawing stays put: PyMuPDF draws in "unrotated page space" (top-left origin at the visible
box's corner) and some of its methods misplace content on rotated pages with an offset CropBox, or
when the CropBox reaches outside the MediaBox. So while a page is being stamped its /Rotate is set
to 0 and its CropBox to the visible box, content is drawn turned by the page's rotation, and both
keys are then put back exactly as they were. The page looks the same before and after.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from app.domain.geometry import (
    PageGeometry,
    Rect,
    display_to_unrotated_point,
    rect_within_page,
    to_unrotated,
)
from app.pdf.document import can_fill_and_sign, not_fillable_message
from app.pdf.lettering import (
    MAX_SIGNATURE_FONT_SIZE,
    MIN_FONT_SIZE,
    TEXT_FONT_SIZE,
    Fonts,
    StampError,
    StampKind,
    lay_out,
)
from app.pdf.reading import (
    EncryptedPdfError,
    PageNotFoundError,
    needs_password_message,
    open_pdf_bytes,
    page_geometry,
)
from app.pdf.revision import draw_form_appearances, incremental_bytes, rewritten_bytes
from app.pdf.signatures import existing_signatures
from app.resources import resource

__all__ = [
    "MAX_SIGNATURE_FONT_SIZE",
    "MIN_FONT_SIZE",
    "TEXT_FONT_SIZE",
    "AnchorText",
    "Stamp",
    "StampError",
    "StampKind",
    "default_handwriting_font",
    "stamp_pdf",
]

# PyMuPDF's type information lacks its constants: reach them through Any.
_mu: Any = pymupdf

_TEXT_COLOR = (0.0, 0.0, 0.0)
_SIGNATURE_COLOR = (0.05, 0.1, 0.35)
#: The backing laid under a value where the background is not plain and light.
_BACKING_COLOR = (1.0, 1.0, 1.0)
_BACKING_OPACITY = 0.92
#: A background is "plain and light" when its mean grey is at least this (0 black, 1 white)...
_LIGHT_MEAN = 0.8
#: ...and at most this share of it is darker than mid-grey (a signature line, a little print).
_DARK_SHARE = 0.2
#: Resolution at which the background under a value is looked at.
_PROBE_DPI = 36
_TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "x", "checked", "✓", "✔"})
_FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "", "unchecked"})


@dataclass(frozen=True)
class Stamp:
    """One value to draw: ``page`` from 1, ``rect`` canonical.

    ``value`` is the text for ``text`` (also dates) and ``typed_signature``, PNG (or JPEG) bytes
    for ``image``, and a yes/no word ("true"/"false", "yes"/"no", "1"/"0", ...) for ``checkbox``.
    """

    page: int
    rect: Rect
    kind: StampKind
    value: str | bytes


@dataclass(frozen=True)
class AnchorText:
    """Where an anchor's text is (``page`` from 1, ``rect`` canonical): taken off the page."""

    page: int
    rect: Rect


def default_handwriting_font() -> Path:
    """``resources/fonts/DancingScript-Regular.otf``, the font of typed signatures."""
    return resource("fonts", "DancingScript-Regular.otf")


# --- drawing -----------------------------------------------------------------------------------


def _padding(rect: Rect) -> float:
    return min(2.0, rect.width * 0.08, rect.height * 0.08)


def _needs_backing(page: Any, geom: PageGeometry, rect: Rect) -> bool:
    """Whether the page under ``rect`` is not plain and light enough for dark ink alone."""
    clip = pymupdf.Rect(to_unrotated(rect, geom))
    if clip.is_empty:
        return False
    pixmap = page.get_pixmap(clip=clip, dpi=_PROBE_DPI, colorspace=pymupdf.csGRAY, alpha=False)
    samples = pixmap.samples
    if not samples:
        return False
    total = len(samples)
    mean = sum(samples) / (255.0 * total)
    dark = sum(1 for value in samples if value < 128) / total
    return mean < _LIGHT_MEAN or dark > _DARK_SHARE


def _draw_backing(page: Any, geom: PageGeometry, rect: Rect, opacity: float) -> None:
    box = pymupdf.Rect(to_unrotated(rect, geom))
    page.draw_rect(
        box,
        color=None,
        fill=_BACKING_COLOR,
        fill_opacity=opacity,
        overlay=True,
        radius=min(0.15, 3.0 / max(1.0, min(box.width, box.height))),
    )


def _shrunk(rect: Rect, geom: PageGeometry) -> Any:
    """The anchor text's box a little inside the glyphs, so that the characters next to it on
    the line and the lines above and below are not touched by the redaction."""
    inset_x = min(0.5, rect.width / 10)
    inset_y = rect.height * 0.2
    inner = Rect(
        rect.x + inset_x,
        rect.y + inset_y,
        max(0.1, rect.width - 2 * inset_x),
        max(0.1, rect.height - 2 * inset_y),
    )
    return pymupdf.Rect(to_unrotated(inner, geom))


def _has_text(page: Any, geom: PageGeometry, text: AnchorText) -> bool:
    """Whether the page has text (not only pixels) where the anchor was found."""
    return bool(page.get_text("text", clip=_shrunk(text.rect, geom)).strip())


def _remove_anchor_texts(page: Any, geom: PageGeometry, texts: list[AnchorText]) -> None:
    """Take the anchor texts' glyphs off the page (text only: images and drawings stay)."""
    for text in texts:
        page.add_redact_annot(_shrunk(text.rect, geom), fill=False, cross_out=False)
    page.apply_redactions(
        images=_mu.PDF_REDACT_IMAGE_NONE,
        graphics=_mu.PDF_REDACT_LINE_ART_NONE,
        text=_mu.PDF_REDACT_TEXT_REMOVE,
    )


def _draw_text(
    page: Any, geom: PageGeometry, fonts: Fonts, stamp: Stamp, text: str, where: str
) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    if not text.strip():
        return
    choice = fonts.pick(text, stamp.kind, where)
    pad = _padding(stamp.rect)
    width, height = stamp.rect.width - 2 * pad, stamp.rect.height - 2 * pad
    layout = lay_out(fonts, choice, text, stamp.kind, width, height)
    x0, top, _x1, bottom = layout.extent()
    size = layout.size
    block_height = (bottom - top) * size
    left = stamp.rect.x + pad - x0 * size
    if len(layout.lines) == 1:  # one line: centre it vertically
        first_baseline = stamp.rect.y + (stamp.rect.height - block_height) / 2 - top * size
    else:
        first_baseline = stamp.rect.y + pad - top * size
    color = _SIGNATURE_COLOR if stamp.kind == "typed_signature" else _TEXT_COLOR
    choice.install(page)
    for i, line in enumerate(layout.lines):
        if not line.strip():
            continue
        baseline = first_baseline + i * layout.pitch * size
        point = display_to_unrotated_point(left, baseline, geom)
        page.insert_text(
            point,
            line,
            fontsize=size,
            fontname=choice.name,
            rotate=geom.rotation,
            color=color,
        )


def _checked(value: str | bytes, where: str) -> bool:
    word = (value.decode("utf-8", "replace") if isinstance(value, bytes) else value).strip()
    if word.lower() in _TRUE_WORDS:
        return True
    if word.lower() in _FALSE_WORDS:
        return False
    raise StampError(
        f"The value for {where} must be a yes/no answer such as true or false, not {word!r}: "
        f"correct it and try again."
    )


def _draw_check(page: Any, geom: PageGeometry, rect: Rect) -> None:
    pad = _padding(rect)
    side = min(rect.width, rect.height) - 2 * pad
    if side <= 0:
        return
    left = rect.x + (rect.width - side) / 2
    top = rect.y + (rect.height - side) / 2
    line_width = max(0.3, side * 0.12)  # the stroke reaches line_width/2 past the points
    shape = [(0.15, 0.55), (0.40, 0.80), (0.85, 0.18)]
    points = [
        pymupdf.Point(display_to_unrotated_point(left + fx * side, top + fy * side, geom))
        for fx, fy in shape
    ]
    page.draw_polyline(
        points,
        color=_TEXT_COLOR,
        width=line_width,
        lineCap=1,
        lineJoin=1,
    )


def _draw_image(page: Any, geom: PageGeometry, stamp: Stamp, data: bytes, where: str) -> None:
    try:
        pixmap = pymupdf.Pixmap(data)
        img_w, img_h = float(pixmap.width), float(pixmap.height)
    except (RuntimeError, ValueError, TypeError, pymupdf.mupdf.FzErrorBase) as exc:
        raise StampError(
            f"The image for {where} is not a readable PNG or JPEG image: choose another image "
            f"and try again."
        ) from exc
    if img_w <= 0 or img_h <= 0:
        raise StampError(f"The image for {where} is empty: choose another image and try again.")
    rect = stamp.rect
    scale = min(rect.width / img_w, rect.height / img_h)
    w, h = img_w * scale, img_h * scale
    fitted = Rect(rect.x + (rect.width - w) / 2, rect.y + (rect.height - h) / 2, w, h)
    page.insert_image(
        pymupdf.Rect(to_unrotated(fitted, geom)),
        stream=data,
        keep_proportion=False,
        rotate=geom.rotation,
    )


@contextmanager
def _upright(doc: Any, page: Any, geom: PageGeometry) -> Iterator[Any]:
    """The page with /Rotate 0 and CropBox = visible box while drawing; both restored after."""
    xref = page.xref
    saved = {key: doc.xref_get_key(xref, key) for key in ("Rotate", "CropBox")}
    x0, y0, x1, y1 = geom.cropbox
    doc.xref_set_key(xref, "Rotate", "0")
    doc.xref_set_key(xref, "CropBox", f"[{x0:g} {y0:g} {x1:g} {y1:g}]")
    try:
        yield doc.reload_page(page)
    finally:
        for key, (kind, value) in saved.items():
            doc.xref_set_key(xref, key, "null" if kind == "null" else value)


_KIND_NAMES = {
    "text": "the text field",
    "typed_signature": "the signature",
    "image": "the image",
    "checkbox": "the checkbox",
}


def _describe(stamp: Stamp) -> str:
    return f"{_KIND_NAMES[stamp.kind]} on page {stamp.page}"


def stamp_pdf(
    pdf_bytes: bytes,
    stamps: list[Stamp],
    handwriting_font: Path,
    *,
    anchor_texts: Sequence[AnchorText] = (),
) -> bytes:
    """``pdf_bytes`` with every stamp drawn into its page's content and ``anchor_texts`` taken
    off their pages (covered instead, on a document that is already signed), appended as an
    incremental update.

    Raises :class:`StampError` (a user error) for a stamp that cannot be drawn (off the page,
    unreadable image, characters no font has) and the :mod:`app.pdf.document` errors for a PDF
    that cannot be opened, needs a password or may not be filled in and signed.
    """
    doc = open_pdf_bytes(pdf_bytes, "The document")
    fonts = Fonts(Path(handwriting_font))
    try:
        if doc.needs_pass or doc.is_encrypted:
            raise EncryptedPdfError(needs_password_message("The document"))
        if not can_fill_and_sign(doc):
            raise EncryptedPdfError(not_fillable_message("The document"))
        signed = bool(existing_signatures(doc))
        by_page = _stamps_by_page(stamps, doc.page_count)
        anchors_by_page: dict[int, list[AnchorText]] = {}
        for text in anchor_texts:
            if 1 <= text.page <= doc.page_count:
                anchors_by_page.setdefault(text.page, []).append(text)
        draw_form_appearances(doc)
        for number in sorted(by_page.keys() | anchors_by_page.keys()):
            _stamp_page(
                doc,
                doc[number - 1],
                fonts,
                by_page.get(number, []),
                anchors_by_page.get(number, []),
                signed=signed,
            )
        if doc.is_repaired and not signed:
            return rewritten_bytes(doc)
        return incremental_bytes(doc, pdf_bytes)
    finally:
        fonts.close()
        doc.close()


def _stamps_by_page(stamps: list[Stamp], page_count: int) -> dict[int, list[Stamp]]:
    """The stamps by page number; refused when one is on a page the document lacks."""
    by_page: dict[int, list[Stamp]] = {}
    for stamp in stamps:
        if not 1 <= stamp.page <= page_count:
            raise PageNotFoundError(
                f"{_KIND_NAMES[stamp.kind].capitalize()} is placed on page {stamp.page}, but "
                f"the document has {page_count} page{'s' if page_count != 1 else ''}: move it "
                f"onto one of them and try again."
            )
        by_page.setdefault(stamp.page, []).append(stamp)
    return by_page


def _stamp_page(
    doc: Any,
    page: Any,
    fonts: Fonts,
    on_page: list[Stamp],
    anchors: list[AnchorText],
    *,
    signed: bool,
) -> None:
    """Take the anchor texts off one page (or cover them) and draw its stamps, each on a
    backing where the page under it is not plain and light."""
    geom = page_geometry(page)
    for stamp in on_page:
        _check_rect(stamp, geom)
    texts = [t for t in anchors if rect_within_page(t.rect, geom)]
    with _upright(doc, page, geom) as upright:
        # Text is redacted; on a signed document, and where the anchor was read from a scan by
        # OCR (pixels, not text), it is covered instead.
        covered = texts if signed else [t for t in texts if not _has_text(upright, geom, t)]
        redacted = [t for t in texts if t not in covered]
        if redacted:
            _remove_anchor_texts(upright, geom, redacted)
        backed = [_needs_backing(upright, geom, stamp.rect) for stamp in on_page]
        for text in covered:
            _draw_backing(upright, geom, _grown(text.rect, geom), 1.0)
        for stamp, backing in zip(on_page, backed, strict=True):
            if backing:
                _draw_backing(upright, geom, stamp.rect, _BACKING_OPACITY)
            _draw(upright, geom, fonts, stamp)


def _grown(rect: Rect, geom: PageGeometry, by: float = 1.0) -> Rect:
    """``rect`` grown by ``by`` points on every side, kept on the page."""
    x0, y0 = max(0.0, rect.x - by), max(0.0, rect.y - by)
    x1, y1 = min(geom.width, rect.x1 + by), min(geom.height, rect.y + rect.height + by)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _check_rect(stamp: Stamp, geom: PageGeometry) -> None:
    rect = stamp.rect
    values = (rect.x, rect.y, rect.width, rect.height)
    if not all(math.isfinite(v) for v in values) or rect.width <= 0 or rect.height <= 0:
        raise StampError(
            f"The rectangle of {_describe(stamp)} has no area: give it a width and a height and "
            f"try again."
        )
    if not rect_within_page(rect, geom):
        raise StampError(
            f"{_describe(stamp).capitalize()} lies outside the page "
            f"({geom.width:g} x {geom.height:g} pt): move it onto the page and try again."
        )


def _draw(page: Any, geom: PageGeometry, fonts: Fonts, stamp: Stamp) -> None:
    where = _describe(stamp)
    if stamp.kind in ("text", "typed_signature"):
        value = stamp.value
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        _draw_text(page, geom, fonts, stamp, text, where)
    elif stamp.kind == "checkbox":
        if _checked(stamp.value, where):
            _draw_check(page, geom, stamp.rect)
    elif stamp.kind == "image":
        if not isinstance(stamp.value, bytes):
            raise StampError(f"The image for {where} is missing: choose an image and try again.")
        _draw_image(page, geom, stamp, stamp.value, where)
    else:
        raise ValueError(f"unknown stamp kind {stamp.kind!r}")
