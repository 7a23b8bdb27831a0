# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Lettering for :mod:`app.pdf.stamp`: the fonts values are drawn in, and how a value is laid
out to fit its field.

Text is drawn in Helvetica, typed signatures in the handwriting font (Dancing Script) where it
has every character, else in Helvetica. A line's extent is measured from the glyphs' advances
and their ink (some handwriting glyphs reach outside their advance box), so that nothing drawn
leaves the field. Text starts at :data:`TEXT_FONT_SIZE` and shrinks (wrapping between words, and
inside a word too long for a line) until it fits; below :data:`MIN_FONT_SIZE` the block is
scaled as a whole. A typed signature is one line, as large as the field allows (at most
:data:`MAX_SIGNATURE_FONT_SIZE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pymupdf

from app.domain.geometry import Box
from app.pdf.reading import PdfError

StampKind = Literal["text", "typed_signature", "image", "checkbox"]

MIN_FONT_SIZE = 6.0
"""Text shrinks in steps down to this size while it can still wrap; below it, the text is scaled
down further as one block so that it still fits (never cut off)."""
TEXT_FONT_SIZE = 11.0
"""The size text starts at; it only shrinks from there."""
MAX_SIGNATURE_FONT_SIZE = 72.0
_SHRINK_STEP = 0.92


class StampError(PdfError):
    """A stamp cannot be drawn: the message names the problem and the fix."""


@dataclass
class FontChoice:
    """A font as drawn on pages: its resource name, metrics and where its bytes come from."""

    name: str
    font: Any  # pymupdf.Font
    fontfile: str | None = None
    fontbuffer: bytes | None = None
    ink: dict[str, Box | None] = field(default_factory=dict)
    advances: dict[str, float] = field(default_factory=dict)

    def install(self, page: Any) -> None:
        if self.fontfile is not None:
            page.insert_font(fontname=self.name, fontfile=self.fontfile)
        else:
            page.insert_font(fontname=self.name, fontbuffer=self.fontbuffer)

    def covers(self, text: str) -> bool:
        return all(ch.isspace() or self.font.has_glyph(ord(ch)) for ch in text)

    @property
    def ascender(self) -> float:
        return float(self.font.ascender)

    @property
    def descender(self) -> float:
        return float(self.font.descender)

    def advance(self, ch: str) -> float:
        width = self.advances.get(ch)
        if width is None:
            width = self.advances[ch] = float(self.font.glyph_advance(ord(ch)))
        return width


class Fonts:
    """The fonts of one :func:`stamp_pdf` run and a scratch document to measure glyph ink."""

    def __init__(self, handwriting_font: Path) -> None:
        self._scratch = pymupdf.open()
        self.sans = FontChoice("SbxSans", pymupdf.Font("helv"))
        self.sans.fontbuffer = bytes(self.sans.font.buffer)
        self._handwriting_path = handwriting_font
        self._script: FontChoice | None = None

    def close(self) -> None:
        self._scratch.close()

    def script(self) -> FontChoice:
        if self._script is None:
            path = self._handwriting_path
            if not path.is_file():
                raise StampError(
                    f"The handwriting font {path.name} is missing from {path.parent}: reinstall "
                    f"Sealbox and try again."
                )
            try:
                font = pymupdf.Font(fontfile=str(path))
            except (RuntimeError, ValueError) as exc:
                raise StampError(
                    f"The handwriting font {path.name} cannot be read: reinstall Sealbox and try "
                    f"again."
                ) from exc
            self._script = FontChoice("SbxScript", font, fontfile=str(path))
        return self._script

    def pick(self, text: str, kind: StampKind, where: str) -> FontChoice:
        candidates = [self.sans]
        if kind == "typed_signature":
            candidates.insert(0, self.script())
        for choice in candidates:
            if choice.covers(text):
                return choice
        missing = sorted({ch for ch in text if not any(c.covers(ch) for c in candidates)})
        raise StampError(
            f"The value for {where} has characters no font can draw ({''.join(missing)}): remove "
            f"them and try again."
        )

    def glyph_ink(self, choice: FontChoice, ch: str) -> Box | None:
        """Where the glyph's ink lies at font size 1, relative to its origin, y down."""
        if ch in choice.ink:
            return choice.ink[ch]
        ink: Box | None = None
        if not ch.isspace():
            size, ox, oy = 100.0, 100.0, 200.0
            page = self._scratch.new_page(width=400, height=400)
            choice.install(page)
            page.insert_text((ox, oy), ch, fontsize=size, fontname=choice.name)
            boxes = [box for kind, box in page.get_bboxlog() if "text" in kind]
            if boxes:
                ink = (
                    (min(b[0] for b in boxes) - ox) / size,
                    (min(b[1] for b in boxes) - oy) / size,
                    (max(b[2] for b in boxes) - ox) / size,
                    (max(b[3] for b in boxes) - oy) / size,
                )
        choice.ink[ch] = ink
        return ink


@dataclass(frozen=True)
class LineBox:
    """A line's extent at font size 1, relative to its origin on the baseline, y down."""

    x0: float
    top: float
    x1: float
    bottom: float


def measure(fonts: Fonts, choice: FontChoice, line: str) -> LineBox:
    """Union of the extraction box (advances x ascender/descender) and the glyphs' ink."""
    x0, x1 = 0.0, 0.0
    top, bottom = -choice.ascender, -choice.descender
    pen = 0.0
    for ch in line:
        ink = fonts.glyph_ink(choice, ch)
        if ink is not None:
            x0 = min(x0, pen + ink[0])
            x1 = max(x1, pen + ink[2])
            top = min(top, ink[1])
            bottom = max(bottom, ink[3])
        pen += choice.advance(ch)
    x1 = max(x1, pen)
    return LineBox(x0, top, x1, bottom)


def wrap(fonts: Fonts, choice: FontChoice, text: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap at ``size``; words longer than a line are broken between characters."""

    def width(line: str) -> float:
        box = measure(fonts, choice, line)
        return (box.x1 - box.x0) * size

    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if width(candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for ch in word:  # the word alone does not fit: break it between characters
                if current and width(current + ch) > max_width:
                    lines.append(current)
                    current = ""
                current += ch
        lines.append(current)
    return lines


@dataclass(frozen=True)
class Layout:
    lines: list[str]
    boxes: list[LineBox]
    size: float
    pitch: float  # baseline to baseline, at font size 1

    def extent(self) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom) of the block at font size 1, first baseline at y = 0."""
        return (
            min(b.x0 for b in self.boxes),
            min(b.top + i * self.pitch for i, b in enumerate(self.boxes)),
            max(b.x1 for b in self.boxes),
            max(b.bottom + i * self.pitch for i, b in enumerate(self.boxes)),
        )

    def fits(self, width: float, height: float) -> bool:
        x0, top, x1, bottom = self.extent()
        return (x1 - x0) * self.size <= width and (bottom - top) * self.size <= height


def lay_out(
    fonts: Fonts, choice: FontChoice, text: str, kind: StampKind, width: float, height: float
) -> Layout:
    """Lines and a font size at which ``text`` fits in ``width`` x ``height`` points."""
    pitch = choice.ascender - choice.descender
    if kind == "typed_signature":
        text = " ".join(text.split())
        size = min(MAX_SIGNATURE_FONT_SIZE, height / pitch)
    else:
        size = min(TEXT_FONT_SIZE, height / pitch)
    size = max(size, MIN_FONT_SIZE)

    def make(at: float) -> Layout:
        lines = [text] if kind == "typed_signature" else wrap(fonts, choice, text, at, width)
        return Layout(lines, [measure(fonts, choice, line) for line in lines], at, pitch)

    layout = make(size)
    while not layout.fits(width, height) and size > MIN_FONT_SIZE:
        size = max(MIN_FONT_SIZE, size * _SHRINK_STEP)
        layout = make(size)
    if not layout.fits(width, height):
        # Still too big at the smallest wrapping size: keep these lines and scale the block.
        x0, top, x1, bottom = layout.extent()
        scale = min(width / ((x1 - x0) * layout.size), height / ((bottom - top) * layout.size))
        layout = Layout(layout.lines, layout.boxes, layout.size * scale * 0.999, pitch)
    return layout
