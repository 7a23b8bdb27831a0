# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""The text index answers exactly what find_text answers, and answers it fast."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.geometry import Box, Rect, from_unrotated
from app.errors import NotFoundError
from app.pdf.document import EncryptedPdfError, find_text, page_geometry
from app.pdf.textindex import TextIndex
from tests.support import pdfgen

ANCHOR = "{{sign_here}}"
FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP


def reference_find_text(doc: Any, needle: str) -> list[tuple[int, Rect]]:
    """find_text as it was written before it used the index: one rawdict walk per search."""

    def line_matches(chars: list[dict[str, Any]]) -> Iterator[Box]:
        text = "".join(str(ch["c"]) for ch in chars)
        start = text.find(needle)
        while start >= 0:
            boxes = [chars[i]["bbox"] for i in range(start, start + len(needle))]
            yield (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            start = text.find(needle, start + len(needle))

    found: list[tuple[int, Rect]] = []
    for page in doc:
        geom = page_geometry(page)
        visible = pymupdf.Rect(0, 0, geom.unrotated_width, geom.unrotated_height)
        content = page.get_text("rawdict", flags=FLAGS, clip=visible)
        for block in content["blocks"]:
            for line in block.get("lines", ()):
                chars = [ch for span in line["spans"] for ch in span["chars"]]
                found.extend(
                    (geom.number, from_unrotated(box, geom)) for box in line_matches(chars)
                )
    return found


def open_doc(data: bytes) -> Any:
    return pymupdf.open(stream=data, filetype="pdf")


@cache
def layouts_pdf() -> bytes:
    """One page per layout (every rotation, offset CropBoxes and MediaBoxes), each with the
    anchor, a line holding it twice, and text outside the visible box on the cropped ones."""
    pages = [
        pdfgen.anchor_page(
            rotate=spec.rotate,
            mediabox=spec.mediabox,
            cropbox=spec.cropbox,
            at=(60.0, 120.0),
            extra=[
                pdfgen.TextRun(f"{name}: {ANCHOR} then {ANCHOR}.", 40, 200, 10),
                pdfgen.TextRun("aaaa abab {{sign}} {{", 40, 240, 11),
                pdfgen.TextRun(f"page {name} ends", 40, 300),
            ],
        )
        for name, spec in pdfgen.all_layouts()
    ]
    return pdfgen.build_pdf(pages)


@pytest.fixture(scope="module")
def layouts_doc() -> Iterator[Any]:
    doc = open_doc(layouts_pdf())
    yield doc
    doc.close()


@pytest.fixture(scope="module")
def layouts_index(layouts_doc: Any) -> TextIndex:
    return TextIndex.build(layouts_doc)


@pytest.mark.parametrize(
    "needle",
    [
        ANCHOR,
        "{{",
        "}}",
        "a",
        "aa",
        "aaa",
        "ab",
        "abab",
        "r90",
        "-crop",
        "page",
        " ",
        ": ",
        "then {{sign_here}}.",
        "ends",
        "zzz",
    ],
)
def test_same_answer_as_find_text_on_every_layout(
    layouts_doc: Any, layouts_index: TextIndex, needle: str
) -> None:
    expected = reference_find_text(layouts_doc, needle)
    assert layouts_index.find(needle) == expected
    assert find_text(layouts_doc, needle) == expected


def test_every_page_and_several_matches_on_a_line(
    layouts_doc: Any, layouts_index: TextIndex
) -> None:
    hits = layouts_index.find(ANCHOR)
    pages = len(pdfgen.all_layouts())
    assert [number for number, _ in hits] == [n for n in range(1, pages + 1) for _ in range(3)]
    first, second, third = (rect for _, rect in hits[:3])
    assert first.x == pytest.approx(60.0, abs=0.5)  # where the generator drew it
    assert second.x1 < third.x and second.y == pytest.approx(third.y)
    # non-overlapping, left to right, like str.find: "aaaa" holds "aa" twice, "aaa" once
    assert [n for n, _ in layouts_index.find("aaaa")] == list(range(1, pages + 1))
    assert len(layouts_index.find("aa")) == 2 * pages
    assert len(layouts_index.find("aaa")) == pages
    assert len(layouts_index.pages) == pages


def test_matches_across_pages_in_page_order(tmp_path: Path) -> None:
    path = pdfgen.write(
        tmp_path / "a.pdf",
        pdfgen.text_pdf(
            ["{{sign_here}} and {{sign_here}}", "nothing", "{{SIGN_HERE}}\nagain {{sign_here}}"]
        ),
    )
    index = TextIndex.build(path)
    assert [n for n, _ in index.find(ANCHOR)] == [1, 1, 3]
    assert index.find(ANCHOR) == find_text(str(path), ANCHOR)
    assert index.find("{{SIGN_HERE}}")[0][0] == 3  # case-sensitive
    assert TextIndex.build(str(path)).find(ANCHOR) == index.find(ANCHOR)


def test_a_match_never_spans_two_lines() -> None:
    index = TextIndex.build(open_doc(pdfgen.text_pdf(["first\nsecond"])))
    assert index.line_count == 2
    assert index.find("first") != []
    assert index.find("first\nsecond") == []
    assert index.find("t\ns") == []


def test_no_match_and_empty_needle() -> None:
    index = TextIndex.build(open_doc(pdfgen.text_pdf(["x", "y"])))
    assert index.find("absent") == []
    with pytest.raises(ValueError, match="empty"):
        index.find("")
    empty = TextIndex.build(open_doc(pdfgen.build_pdf([pdfgen.blank_page()])))
    assert empty.find("x") == [] and empty.line_count == 0


def test_bad_paths_give_find_texts_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        TextIndex.build(tmp_path / "gone.pdf")
    with pytest.raises(EncryptedPdfError):
        TextIndex.build(pdfgen.write(tmp_path / "locked.pdf", pdfgen.encrypted_pdf()))


def test_text_outside_the_cropbox_is_not_indexed() -> None:
    spec = pdfgen.PageSpec(
        texts=[pdfgen.TextRun(ANCHOR, 20, 50)],
        cropbox=pdfgen.OFFSET_CROPBOX,
        extra_content=b"BT /F1 12 Tf 1 0 0 1 100 20 Tm ({{sign_here}}) Tj ET\n",
    )
    doc = open_doc(pdfgen.build_pdf([spec]))
    hits = TextIndex.build(doc).find(ANCHOR)
    assert len(hits) == 1 and hits == reference_find_text(doc, ANCHOR)


@cache
def _layouts_text() -> tuple[list[str], Any, TextIndex]:
    doc = open_doc(layouts_pdf())
    lines = [str(page.get_text("text")) for page in doc]
    return lines, doc, TextIndex.build(doc)


@st.composite
def needles(draw: st.DrawFn) -> str:
    """A piece of some page's text, sometimes with a character changed or added."""
    lines, _, _ = _layouts_text()
    text = draw(st.sampled_from(lines))
    start = draw(st.integers(0, len(text) - 1))
    size = draw(st.integers(1, 16))
    needle = text[start : start + size]
    extra = draw(st.sampled_from(["", "", "", "{", "a", " ", "\n", "x"]))
    return needle + extra if needle + extra else "a"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(needles())
def test_random_needles_agree_with_find_text(needle: str) -> None:
    _, doc, index = _layouts_text()
    assert index.find(needle) == reference_find_text(doc, needle)


def test_repeated_search_is_much_faster(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a timing assertion (that would be flaky): prints what an editor's keystrokes cost."""
    pages = [
        f"Page {n} of the charter agreement BK-{n:05d}\nParty A signs here {{{{sign_{n % 7}}}}}\n"
        f"Initials {{{{init}}}} date {{{{date}}}} and a longer line of ordinary words {n}"
        for n in range(200)
    ]
    doc = open_doc(pdfgen.text_pdf(pages))
    needles = [f"{{{{sign_{n % 7}}}}}" if n % 3 else f"BK-{n:05d}" for n in range(100)]
    t0 = time.perf_counter()
    index = TextIndex.build(doc)
    t1 = time.perf_counter()
    results = [index.find(needle) for needle in needles]
    t2 = time.perf_counter()
    sample = find_text(doc, needles[1])
    t3 = time.perf_counter()
    assert results[1] == sample
    assert sum(len(r) for r in results) > 0
    with capsys.disabled():
        print(
            f"\ntext index, 200 pages: build {1000 * (t1 - t0):.0f} ms, 100 searches "
            f"{1000 * (t2 - t1):.1f} ms; find_text once {1000 * (t3 - t2):.0f} ms "
            f"(x100 ≈ {100 * (t3 - t2):.1f} s)"
        )


# --- scanned pages ------------------------------------------------------------------------------


def test_scanned_pages_are_known_and_read_by_ocr_when_asked() -> None:
    from app.pdf.textindex import ocr_available
    from tests.support import received

    scan = received.image_only_pdf([(f"Sign here: {received.ANCHOR}", (72, 400))])
    doc = pymupdf.open(stream=pdfgen.text_pdf(["cover page"]), filetype="pdf")
    doc.insert_pdf(pymupdf.open(stream=scan, filetype="pdf"))
    data = doc.tobytes()

    plain = TextIndex.build(pymupdf.open(stream=data, filetype="pdf"))
    assert plain.scanned_pages == (2,) and plain.ocr_pages == ()
    assert plain.scanned_without_ocr() == (2,)
    assert plain.find(received.ANCHOR) == []

    assert ocr_available()  # .ci/run installs Tesseract with its English data
    read = TextIndex.build(pymupdf.open(stream=data, filetype="pdf"), ocr=True)
    assert read.ocr_pages == (2,) and read.scanned_without_ocr() == ()
    ((page, rect),) = read.find(received.ANCHOR)
    assert page == 2
    # Drawn at x 72 + "Sign here: " (about 75 pt at 14 pt), baseline 400.
    assert 130 < rect.x < 170 and 380 < rect.y < 400
    assert read.find("cover page") == plain.find("cover page")  # text pages as before
