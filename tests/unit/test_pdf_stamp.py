# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Stamping values into PDFs: inside the rectangle, upright, on every kind of page."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.geometry import PageGeometry, Rect, from_unrotated
from app.pdf.document import DamagedPdfError, EncryptedPdfError, PageNotFoundError, page_geometry
from app.pdf.stamp import (
    MIN_FONT_SIZE,
    TEXT_FONT_SIZE,
    Stamp,
    StampError,
    default_handwriting_font,
    stamp_pdf,
)
from tests.support import pdfgen

FONT = default_handwriting_font()
TOLERANCE = 0.5  # points


def open_doc(data: bytes) -> Any:
    return pymupdf.open(stream=data, filetype="pdf")


@cache
def signature_png() -> bytes:
    """A 60 x 20 image: red top half, blue bottom-left quarter, green bottom-right quarter."""
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 20), False)
    pixmap.set_rect(pymupdf.IRect(0, 0, 60, 10), (255, 0, 0))
    pixmap.set_rect(pymupdf.IRect(0, 10, 30, 20), (0, 0, 255))
    pixmap.set_rect(pymupdf.IRect(30, 10, 60, 20), (0, 255, 0))
    png: bytes = pixmap.tobytes("png")
    return png


def displayed_words(page: Any, geom: PageGeometry) -> list[tuple[Rect, str]]:
    return [(from_unrotated(w[:4], geom), w[4]) for w in page.get_text("words")]


def inside(inner: Rect, outer: Rect, tolerance: float = TOLERANCE) -> bool:
    return (
        inner.x >= outer.x - tolerance
        and inner.y >= outer.y - tolerance
        and inner.x1 <= outer.x1 + tolerance
        and inner.y1 <= outer.y1 + tolerance
    )


def displayed_direction(direction: tuple[float, float], geom: PageGeometry) -> tuple[float, float]:
    """A text direction from PyMuPDF (unrotated page space) as the user sees it."""
    dx, dy = direction
    return {
        0: (dx, dy),
        90: (-dy, dx),
        180: (-dx, -dy),
        270: (dy, -dx),
    }[geom.rotation]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@dataclass
class Raster:
    """A rendering as plain bytes (RGB), cheap to compare and to blank out."""

    width: int
    height: int
    samples: bytearray

    def rows(self, box: tuple[int, int, int, int]) -> Iterator[tuple[int, int]]:
        """(start, end) sample offsets of the box's part of each row, clipped to the raster."""
        x0, y0, x1, y1 = box
        x0, x1 = max(0, x0), min(self.width, x1)
        for y in range(max(0, y0), min(self.height, y1)):
            yield (y * self.width + x0) * 3, (y * self.width + x1) * 3

    def differs_in(self, other: Raster, box: tuple[int, int, int, int]) -> bool:
        return any(self.samples[a:b] != other.samples[a:b] for a, b in self.rows(box))

    def blank(self, box: tuple[int, int, int, int]) -> None:
        for a, b in self.rows(box):
            self.samples[a:b] = b"\xff" * (b - a)


def render(page: Any, scale: float) -> Raster:
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
    assert pixmap.n == 3
    return Raster(pixmap.width, pixmap.height, bytearray(pixmap.samples))


def pixel_box(rect: Rect, scale: float, grow: int) -> tuple[int, int, int, int]:
    return (
        math.floor(rect.x * scale) - grow,
        math.floor(rect.y * scale) - grow,
        math.ceil(rect.x1 * scale) + grow,
        math.ceil(rect.y1 * scale) + grow,
    )


# --- every kind of stamp on every kind of page -------------------------------------------------

LONG = (
    "The charterer takes the yacht over in the condition described in the check-in list and "
    "returns it in the same condition, fair wear and tear excepted."
)
STAMPS = [
    Stamp(1, Rect(40, 40, 180, 48), "typed_signature", "Jane Q. Doe"),
    Stamp(1, Rect(40, 100, 120, 20), "text", "2024-05-01"),
    Stamp(1, Rect(40, 130, 150, 45), "text", LONG),
    Stamp(1, Rect(40, 190, 16, 16), "checkbox", "true"),
    Stamp(1, Rect(70, 190, 16, 16), "checkbox", "false"),
    Stamp(1, Rect(200, 100, 90, 60), "image", signature_png()),
]
TEXTS = {s.value: s.rect for s in STAMPS if s.kind in ("text", "typed_signature")}


@pytest.fixture(scope="module")
def handwriting_font() -> Path:
    assert FONT.is_file()
    return FONT


@pytest.mark.parametrize(("name", "spec"), pdfgen.all_layouts())
def test_stamps_land_inside_their_rectangles_upright(
    name: str, spec: pdfgen.PageSpec, handwriting_font: Path
) -> None:
    original = pdfgen.build_pdf([spec])
    source = open_doc(original)
    raw_keys = {k: source.xref_get_key(source[0].xref, k) for k in ("Rotate", "CropBox")}
    out = stamp_pdf(original, STAMPS, handwriting_font)

    doc = open_doc(out)
    page = doc[0]
    geom = page_geometry(page)
    assert geom == page_geometry(source[0])  # the page looks the same
    assert {k: doc.xref_get_key(page.xref, k) for k in raw_keys} == raw_keys

    # text: every word inside its field's rectangle, as the user sees the page
    words = displayed_words(page, geom)
    assert words
    for rect, word in words:
        homes = [r for value, r in TEXTS.items() if isinstance(value, str) and word in value]
        assert homes, word
        assert any(inside(rect, home) for home in homes), (word, rect, homes)
    # ... reads correctly, nothing dropped
    extracted = squash(page.get_text("text"))
    for value in TEXTS:
        assert isinstance(value, str)
        assert squash(value) in extracted
    # ... and runs left to right for the user
    lines = [line for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])]
    for line in lines:
        assert displayed_direction(line["dir"], geom) == pytest.approx((1.0, 0.0), abs=1e-6)

    # ink (what is actually painted, swashes included) stays inside the rectangles:
    # blank every rectangle in renderings before and after; what remains must be identical.
    scale = 2.0
    before, after = render(source[0], scale), render(page, scale)
    for stamp in STAMPS:
        if stamp.value != "false":
            assert after.differs_in(before, pixel_box(stamp.rect, scale, 0)), stamp.kind
        else:
            assert not after.differs_in(before, pixel_box(stamp.rect, scale, 1))
        before.blank(pixel_box(stamp.rect, scale, 1))
        after.blank(pixel_box(stamp.rect, scale, 1))
    assert before.samples == after.samples

    # the image keeps its 3:1 aspect ratio, centred, and upright
    image_rect = next(s.rect for s in STAMPS if s.kind == "image")
    infos = page.get_image_info()
    assert len(infos) == 1
    placed = from_unrotated(tuple(infos[0]["bbox"]), geom)
    assert placed.width / placed.height == pytest.approx(3.0, rel=1e-3)
    assert placed.width == pytest.approx(image_rect.width, abs=0.01)
    assert placed.y - image_rect.y == pytest.approx(image_rect.y1 - placed.y1, abs=0.01)
    upright = page.get_pixmap(alpha=False)
    cx, cy = placed.x + placed.width / 2, placed.y + placed.height / 2
    assert upright.pixel(int(cx), int(placed.y + 5)) == (255, 0, 0)
    assert upright.pixel(int(placed.x + 5), int(placed.y1 - 5)) == (0, 0, 255)
    assert upright.pixel(int(placed.x1 - 5), int(cy + 5)) == (0, 255, 0)


def test_output_is_an_incremental_update_of_the_original(handwriting_font: Path) -> None:
    original = pdfgen.text_pdf(["first {{sign_here}}", "second"])
    out = stamp_pdf(original, STAMPS, handwriting_font)
    # The received bytes stay the file's first revision; the stamps are one more.
    assert out.startswith(original)
    assert out.count(b"%%EOF") == 2
    doc = open_doc(out)
    assert not doc.is_repaired
    assert doc.page_count == 2
    # content, not annotations or form fields
    assert all(not list(page.annots()) and page.first_widget is None for page in doc)
    assert "first {{sign_here}}" in doc[0].get_text()  # the original content is kept
    assert doc[1].get_text().strip() == "second"  # other pages are left alone
    # the typed signature is set in the handwriting font, embedded and compressed
    fonts = {font[3] for font in doc.get_page_fonts(0)}
    assert any("DancingScript" in f.replace(" ", "") for f in fonts), fonts
    # nothing is written twice: the update is no bigger than a full, garbage-collected save
    assert len(out) - len(original) <= len(doc.tobytes(garbage=3, deflate=True)) * 1.02


def test_stamps_on_later_pages_and_unbalanced_content(handwriting_font: Path) -> None:
    messy = pdfgen.PageSpec(
        rotate=90,
        cropbox=pdfgen.OFFSET_CROPBOX,
        # leaves the graphics state scaled by 2: a stamp appended naively would land elsewhere
        extra_content=b"q 2 0 0 2 0 0 cm 1 0 0 rg 0 0 5 5 re f\n",
    )
    original = pdfgen.build_pdf([pdfgen.text_page("cover"), messy])
    rect = Rect(300, 200, 200, 30)
    out = stamp_pdf(original, [Stamp(2, rect, "text", "Approved by J. Doe")], handwriting_font)
    doc = open_doc(out)
    geom = page_geometry(doc[1])
    words = displayed_words(doc[1], geom)
    assert [w for _, w in words] == ["Approved", "by", "J.", "Doe"]
    assert all(inside(r, rect) for r, _ in words)
    assert doc[0].get_text().strip() == "cover"


# --- fitting text ------------------------------------------------------------------------------


def span_sizes(page: Any) -> list[float]:
    return [
        span["size"]
        for block in page.get_text("dict")["blocks"]
        for line in block.get("lines", [])
        for span in line["spans"]
    ]


def test_short_text_keeps_the_normal_size(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    out = stamp_pdf(original, [Stamp(1, Rect(50, 50, 200, 30), "text", "OK")], handwriting_font)
    assert span_sizes(open_doc(out)[0]) == [pytest.approx(TEXT_FONT_SIZE)]


def test_long_text_shrinks_and_wraps_to_fit(handwriting_font: Path) -> None:
    rect = Rect(50, 50, 160, 40)
    original = pdfgen.build_pdf([pdfgen.blank_page(rotate=270)])
    out = stamp_pdf(original, [Stamp(1, rect, "text", LONG)], handwriting_font)
    page = open_doc(out)[0]
    sizes = span_sizes(page)
    assert min(sizes) >= MIN_FONT_SIZE - 1e-6
    assert max(sizes) < TEXT_FONT_SIZE
    assert len(sizes) > 1  # wrapped onto several lines
    geom = page_geometry(page)
    assert all(inside(r, rect) for r, _ in displayed_words(page, geom))
    assert squash(page.get_text()) == squash(LONG)


def test_text_that_cannot_fit_even_small_is_scaled_down_not_cut(handwriting_font: Path) -> None:
    rect = Rect(20, 20, 60, 12)
    value = " ".join(["Supercalifragilistic"] * 30)
    original = pdfgen.build_pdf([pdfgen.blank_page(rotate=180, cropbox=pdfgen.OFFSET_CROPBOX)])
    out = stamp_pdf(original, [Stamp(1, rect, "text", value)], handwriting_font)
    page = open_doc(out)[0]
    assert max(span_sizes(page)) < MIN_FONT_SIZE
    geom = page_geometry(page)
    words = displayed_words(page, geom)
    assert all(inside(r, rect) for r, _ in words)
    assert squash(page.get_text()) == squash(value)


def test_long_signature_shrinks_on_one_line(handwriting_font: Path) -> None:
    rect = Rect(30, 30, 120, 40)
    name = "Maximiliane Wilhelmina von Hohenzollern-Sigmaringen"
    original = pdfgen.build_pdf([pdfgen.blank_page(rotate=90)])
    out = stamp_pdf(original, [Stamp(1, rect, "typed_signature", name)], handwriting_font)
    page = open_doc(out)[0]
    geom = page_geometry(page)
    words = displayed_words(page, geom)
    assert [w for _, w in words] == name.split()
    assert all(inside(r, rect) for r, _ in words)
    assert len({round(r.y, 3) for r, _ in words}) == 1  # one line


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(
        alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzÅÄÖ ÆØ&/.-,0123456789WMQJgyf\n"),
        min_size=1,
        max_size=200,
    ),
    width=st.floats(min_value=8, max_value=400),
    height=st.floats(min_value=6, max_value=200),
    kind=st.sampled_from(["text", "typed_signature"]),
    rotate=st.sampled_from([0, 90, 180, 270]),
)
def test_any_text_fits_any_rectangle(
    handwriting_font: Path, text: str, width: float, height: float, kind: str, rotate: int
) -> None:
    spec = pdfgen.blank_page(rotate=rotate, cropbox=pdfgen.OFFSET_CROPBOX)
    rect = Rect(10, 15, min(width, 380), min(height, 380))
    stamp = Stamp(1, rect, kind, text)  # type: ignore[arg-type]
    out = stamp_pdf(pdfgen.build_pdf([spec]), [stamp], handwriting_font)
    page = open_doc(out)[0]
    geom = page_geometry(page)
    for word_rect, word in displayed_words(page, geom):
        assert inside(word_rect, rect), (word, word_rect, rect)
    assert squash(page.get_text()) == squash(text)


# --- fonts -------------------------------------------------------------------------------------


def test_signature_falls_back_to_a_font_that_has_the_letters(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    stamps = [
        Stamp(1, Rect(20, 20, 200, 40), "typed_signature", "Жанна Łukasiewicz"),
        Stamp(1, Rect(20, 140, 200, 20), "text", "Zoë Ωμέγα"),
    ]
    page = open_doc(stamp_pdf(original, stamps, handwriting_font))[0]
    text = page.get_text()
    for stamp in stamps:
        assert isinstance(stamp.value, str)
        assert stamp.value in text
    geom = page_geometry(page)
    for rect, word in displayed_words(page, geom):
        assert any(inside(rect, s.rect) for s in stamps), word


def test_characters_no_font_has_are_refused(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    stamp = Stamp(1, Rect(20, 20, 200, 40), "text", "ok \U0001f600 李")
    with pytest.raises(StampError, match="characters no font can draw"):
        stamp_pdf(original, [stamp], handwriting_font)


def test_missing_handwriting_font(tmp_path: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    stamp = Stamp(1, Rect(20, 20, 200, 40), "typed_signature", "Jane")
    with pytest.raises(StampError, match="handwriting font"):
        stamp_pdf(original, [stamp], tmp_path / "nope.otf")


def test_default_handwriting_font_is_in_resources() -> None:
    assert FONT.name == "DancingScript-Regular.otf"
    assert FONT.parent.name == "fonts"
    assert FONT.is_file()


# --- checkboxes and images ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "drawn"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("x", True),
        ("false", False),
        ("0", False),
        ("", False),
        (b"true", True),
    ],
)
def test_checkbox_values(handwriting_font: Path, value: str | bytes, drawn: bool) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    out = stamp_pdf(original, [Stamp(1, Rect(50, 50, 20, 20), "checkbox", value)], handwriting_font)
    page = open_doc(out)[0]
    drawings = page.get_drawings()
    assert bool(drawings) is drawn
    for drawing in drawings:
        box = from_unrotated(tuple(drawing["rect"]), page_geometry(page))
        half = drawing["width"] / 2
        assert inside(
            Rect(box.x - half, box.y - half, box.width + 2 * half, box.height + 2 * half),
            Rect(50, 50, 20, 20),
        )


def test_checkbox_refuses_unclear_values(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    with pytest.raises(StampError, match="yes/no"):
        stamp_pdf(original, [Stamp(1, Rect(5, 5, 9, 9), "checkbox", "maybe")], handwriting_font)


def test_tall_image_is_centred_horizontally(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page(rotate=90)])
    rect = Rect(100, 100, 200, 30)  # wide box, 3:1 image -> height bound
    page = open_doc(
        stamp_pdf(original, [Stamp(1, rect, "image", signature_png())], handwriting_font)
    )[0]
    placed = from_unrotated(tuple(page.get_image_info()[0]["bbox"]), page_geometry(page))
    assert placed.height == pytest.approx(30, abs=0.01)
    assert placed.width == pytest.approx(90, abs=0.01)
    assert placed.x - rect.x == pytest.approx(rect.x1 - placed.x1, abs=0.01)


def test_unreadable_image_is_refused(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    with pytest.raises(StampError, match="not a readable PNG or JPEG image"):
        stamp_pdf(original, [Stamp(1, Rect(5, 5, 50, 50), "image", b"nope")], handwriting_font)
    with pytest.raises(StampError, match="image"):
        stamp_pdf(original, [Stamp(1, Rect(5, 5, 50, 50), "image", "a.png")], handwriting_font)


# --- refusals ----------------------------------------------------------------------------------


def test_stamp_off_the_page_is_refused(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page(rotate=90)])  # displayed 792 x 612
    with pytest.raises(StampError, match="lies outside the page"):
        stamp_pdf(original, [Stamp(1, Rect(500, 600, 50, 50), "text", "x")], handwriting_font)
    with pytest.raises(StampError, match="no area"):
        stamp_pdf(original, [Stamp(1, Rect(5, 5, 0, 50), "text", "x")], handwriting_font)


def test_stamp_on_a_missing_page_is_refused(handwriting_font: Path) -> None:
    original = pdfgen.build_pdf([pdfgen.blank_page()])
    with pytest.raises(
        PageNotFoundError,
        match=r"^The text field is placed on page 2, but the document has 1 page:",
    ):
        stamp_pdf(original, [Stamp(2, Rect(5, 5, 50, 50), "text", "x")], handwriting_font)


def test_bad_documents_are_refused(handwriting_font: Path) -> None:
    with pytest.raises(EncryptedPdfError):
        stamp_pdf(pdfgen.encrypted_pdf(), [], handwriting_font)
    with pytest.raises(DamagedPdfError):
        stamp_pdf(pdfgen.damaged_pdf(), [], handwriting_font)


def test_no_stamps_still_gives_a_clean_copy(handwriting_font: Path) -> None:
    original = pdfgen.text_pdf(["hello"])
    out = stamp_pdf(original, [], handwriting_font)
    assert open_doc(out)[0].get_text().strip() == "hello"
