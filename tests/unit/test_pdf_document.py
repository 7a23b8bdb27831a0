# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Opening and checking PDFs, page geometry, text search, text extraction, rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.domain.geometry import PageGeometry, Rect, from_unrotated, to_unrotated
from app.errors import NotFoundError, UserError
from app.pdf import document
from app.pdf.document import (
    MAX_PDF_BYTES,
    DamagedPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    NoPagesError,
    NotAPdfError,
    PageNotFoundError,
    PdfError,
    PdfTooLargeError,
    check_pdf,
    extract_text,
    find_text,
    page_geometries,
    render_page_png,
)
from tests.support import pdfgen

ANCHOR = "{{sign_here}}"


def open_doc(data: bytes) -> Any:
    return pymupdf.open(stream=data, filetype="pdf")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    return pdfgen.write(tmp_path / name, data)


# --- check_pdf: each problem has its own error and sentence ------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as info:
        check_pdf(tmp_path / "contract.pdf")
    assert str(info.value) == (
        "contract.pdf does not exist: check the file name and folder and try again."
    )


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(EmptyPdfError) as info:
        check_pdf(write(tmp_path, "contract.pdf", b""))
    assert str(info.value) == (
        "contract.pdf is empty (0 bytes): export or download the document again and try again."
    )


def test_not_a_pdf(tmp_path: Path) -> None:
    with pytest.raises(NotAPdfError) as info:
        check_pdf(write(tmp_path, "contract.pdf", pdfgen.garbage_bytes()))
    assert str(info.value) == (
        "contract.pdf is not a PDF: choose a PDF file, or print or export the document as PDF "
        "first."
    )


def test_a_folder_is_not_a_pdf(tmp_path: Path) -> None:
    folder = tmp_path / "contract.pdf"
    folder.mkdir()
    with pytest.raises(NotAPdfError, match=r"^contract\.pdf is a folder"):
        check_pdf(folder)


@pytest.mark.parametrize("make", [pdfgen.damaged_pdf, pdfgen.truncated_pdf, pdfgen.header_only_pdf])
def test_damaged(tmp_path: Path, make: Any) -> None:
    with pytest.raises(DamagedPdfError) as info:
        check_pdf(write(tmp_path, "contract.pdf", make()))
    message = str(info.value)
    assert message.startswith("contract.pdf is damaged")
    assert message.endswith("print it to a new PDF and try again.")


def test_password_protected(tmp_path: Path) -> None:
    with pytest.raises(EncryptedPdfError) as info:
        check_pdf(write(tmp_path, "contract.pdf", pdfgen.encrypted_pdf()))
    assert str(info.value) == (
        "contract.pdf needs a password to open: ask the sender for a copy that opens without a "
        "password, or open it with the password in a PDF reader, save a copy without the open "
        "password, and try again."
    )


@pytest.mark.parametrize(
    "granted",
    [
        pymupdf.PDF_PERM_FORM,  # type: ignore[attr-defined]
        pymupdf.PDF_PERM_ANNOTATE,  # type: ignore[attr-defined]
        pdfgen.ALL_PERMISSIONS,
    ],
)
def test_permissions_password_that_allows_filling_and_signing(tmp_path: Path, granted: int) -> None:
    """Opens without a password and allows filling in and signing: accepted, as encrypted."""
    data = pdfgen.encrypted_pdf(user_password="", permissions=granted)
    assert not open_doc(data).needs_pass
    info = check_pdf(write(tmp_path, "contract.pdf", data))
    assert info.encrypted and info.page_count == 1


def test_permissions_password_that_forbids_filling_and_signing(tmp_path: Path) -> None:
    data = pdfgen.encrypted_pdf(user_password="", permissions=pymupdf.PDF_PERM_PRINT)  # type: ignore[attr-defined]
    with pytest.raises(EncryptedPdfError) as info:
        check_pdf(write(tmp_path, "contract.pdf", data))
    message = str(info.value)
    assert message.startswith(
        "contract.pdf is protected by its author against filling in and signing"
    )
    assert '"fill in form fields"' in message and '"signing"' in message
    assert "print" not in message  # never "print it to a new PDF": that flattens a form


def test_no_pages(tmp_path: Path) -> None:
    with pytest.raises(NoPagesError) as info:
        check_pdf(write(tmp_path, "contract.pdf", pdfgen.zero_page_pdf()))
    assert str(info.value) == (
        "contract.pdf has no pages: choose a PDF with at least one page and try again."
    )


def test_too_large_real_pdf(tmp_path: Path) -> None:
    path = pdfgen.big_pdf(tmp_path / "contract.pdf")
    assert path.stat().st_size > MAX_PDF_BYTES
    with pytest.raises(PdfTooLargeError) as info:
        check_pdf(path)
    assert str(info.value).startswith("contract.pdf is 20.1 MiB, more than the 20 MiB limit")
    assert str(info.value).endswith("split it into smaller PDFs and try again.")


def test_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as f:
        f.truncate(MAX_PDF_BYTES + 1)  # sparse: no header, nothing to read

    def no_reading(self: Path) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(PdfTooLargeError, match=r"^huge\.pdf is"):
        check_pdf(path)


def test_exactly_the_limit_is_not_too_large(tmp_path: Path) -> None:
    path = tmp_path / "limit.pdf"
    with path.open("wb") as f:
        f.truncate(MAX_PDF_BYTES)
    with pytest.raises(NotAPdfError):  # past the size check, refused for its content
        check_pdf(path)


def test_errors_are_user_errors() -> None:
    for cls in (
        EmptyPdfError,
        NotAPdfError,
        DamagedPdfError,
        EncryptedPdfError,
        NoPagesError,
        PdfTooLargeError,
        PageNotFoundError,
    ):
        assert issubclass(cls, PdfError)
    assert issubclass(PdfError, UserError)


def test_good_pdf(tmp_path: Path) -> None:
    data = pdfgen.text_pdf(["first {{sign_here}}", "second"], title="  Charter handover ")
    path = write(tmp_path, "good.pdf", data)
    info = check_pdf(path)
    assert info.path == path
    assert info.size_bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.page_count == 2
    assert info.title == "Charter handover"
    assert info.pages == [PageGeometry.plain(1, 612, 792), PageGeometry.plain(2, 612, 792)]


def test_good_pdf_without_title_and_with_junk_before_the_header(tmp_path: Path) -> None:
    data = b"junk from a mail gateway\n" + pdfgen.text_pdf(["x"])
    info = check_pdf(write(tmp_path, "good.pdf", data))
    assert info.title is None
    assert info.page_count == 1


# --- page geometry -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "spec"), pdfgen.all_layouts())
def test_page_geometry_matches_the_file_and_the_viewer(name: str, spec: pdfgen.PageSpec) -> None:
    doc = open_doc(pdfgen.build_pdf([pdfgen.blank_page(), spec]))
    geom = page_geometries(doc)[1]
    page = doc[1]
    assert geom.number == 2
    assert geom.rotation == spec.rotate
    assert geom.mediabox == spec.mediabox
    assert geom.cropbox == pdfgen.visible_box(spec)
    if name.endswith("oversized-crop"):
        assert geom.cropbox == (0.0, 0.0, 300.0, 792.0)  # the CropBox clipped to the MediaBox
    # the size a viewer shows
    assert (geom.width, geom.height) == pytest.approx((page.rect.width, page.rect.height))
    pixmap = page.get_pixmap()
    assert (pixmap.width, pixmap.height) == (round(geom.width), round(geom.height))


@pytest.mark.parametrize(("name", "spec"), pdfgen.layouts())
def test_conversions_agree_with_pymupdf_matrices(name: str, spec: pdfgen.PageSpec) -> None:
    """PyMuPDF's own round trip: its rotation matrices and our unrotated-space conversion."""
    page = open_doc(pdfgen.build_pdf([spec]))[0]
    geom = document.page_geometry(page)
    for rect in (Rect(0, 0, 10, 20), Rect(33.5, 71.25, 120, 48), Rect(5, 5, 290, 390)):
        unrotated = to_unrotated(rect, geom)
        by_mupdf = pymupdf.Rect(rect.corners()) * page.derotation_matrix
        assert tuple(by_mupdf) == pytest.approx(unrotated)
        displayed = pymupdf.Rect(unrotated) * page.rotation_matrix
        assert tuple(displayed) == pytest.approx(rect.corners())
        assert from_unrotated(tuple(by_mupdf), geom) == pytest.approx(rect)


def test_inherited_and_odd_rotations() -> None:
    data = pdfgen.build_pdf([pdfgen.blank_page()], inherited_rotate=90)
    doc = open_doc(data)
    geom = page_geometries(doc)[0]
    assert geom.rotation == 90
    assert (geom.width, geom.height) == (792, 612)
    # an invalid /Rotate 45 is shown turned by 90, like MuPDF shows it
    doc = open_doc(pdfgen.build_pdf([pdfgen.blank_page(rotate=45)]))
    geom = page_geometries(doc)[0]
    assert geom.rotation == 90
    assert (geom.width, geom.height) == pytest.approx(tuple(doc[0].rect)[2:])


# --- find_text ---------------------------------------------------------------------------------


def ink_box(pixmap: Any, scale: float) -> tuple[float, float, float, float] | None:
    """Where dark pixels are on a rendered page, in points."""
    width, height, n = pixmap.width, pixmap.height, pixmap.n
    samples = pixmap.samples
    stride = width * n
    rows = [y for y in range(height) if min(samples[y * stride : (y + 1) * stride]) < 128]
    if not rows:
        return None
    cols = [
        x
        for x in range(width)
        if any(samples[y * stride + x * n] < 128 for y in range(rows[0], rows[-1] + 1))
    ]
    return (cols[0] / scale, rows[0] / scale, (cols[-1] + 1) / scale, (rows[-1] + 1) / scale)


@pytest.mark.parametrize(("name", "spec"), pdfgen.all_layouts())
def test_find_text_covers_the_text_the_user_sees(name: str, spec: pdfgen.PageSpec) -> None:
    page_spec = pdfgen.anchor_page(
        rotate=spec.rotate, mediabox=spec.mediabox, cropbox=spec.cropbox, at=(90.0, 140.0)
    )
    data = pdfgen.build_pdf([pdfgen.text_page("cover"), page_spec])
    doc = open_doc(data)
    hits = find_text(doc, ANCHOR)
    assert len(hits) == 1
    number, rect = hits[0]
    assert number == 2
    # where the generator put the baseline start (on the displayed page)
    assert rect.x == pytest.approx(90.0, abs=0.5)
    assert rect.y < 140.0 < rect.y1
    # independently: where the ink is when the page is rendered as the user sees it
    scale = 2.0
    ink = ink_box(doc[1].get_pixmap(matrix=pymupdf.Matrix(scale, scale)), scale)
    assert ink is not None
    assert rect.x - 1 <= ink[0]
    assert ink[2] <= rect.x1 + 1
    assert rect.y - 1 <= ink[1]
    assert ink[3] <= rect.y1 + 1
    assert rect.width < (ink[2] - ink[0]) + 6
    assert rect.height < (ink[3] - ink[1]) + 8
    if not name.endswith("oversized-crop"):
        # and PyMuPDF's own words, turned with its rotation matrix, agree
        page = doc[1]
        words = [w for w in page.get_text("words") if w[4] == ANCHOR]
        assert len(words) == 1
        expected = pymupdf.Rect(words[0][:4]) * page.rotation_matrix
        assert rect.corners() == pytest.approx(tuple(expected), abs=0.01)


def test_find_text_every_occurrence_in_order(tmp_path: Path) -> None:
    data = pdfgen.text_pdf(
        ["{{sign_here}} and {{sign_here}}", "nothing", "{{SIGN_HERE}}\nagain {{sign_here}}"]
    )
    path = write(tmp_path, "anchors.pdf", data)
    hits = find_text(path, ANCHOR)
    assert [number for number, _ in hits] == [1, 1, 3]
    first, second = hits[0][1], hits[1][1]
    assert first.x1 < second.x
    assert first.y == pytest.approx(second.y)
    assert hits[2][1].y > hits[0][1].y + 10  # on the second line of page 3
    assert find_text(str(path), "{{SIGN_HERE}}")[0][0] == 3  # case-sensitive; str paths work
    assert find_text(path, "absent") == []


def test_find_text_ignores_text_outside_the_cropbox() -> None:
    spec = pdfgen.PageSpec(
        texts=[pdfgen.TextRun(ANCHOR, 20, 50)],
        cropbox=pdfgen.OFFSET_CROPBOX,
        # drawn in user space below the CropBox (which starts at y = 80)
        extra_content=b"BT /F1 12 Tf 1 0 0 1 100 20 Tm ({{sign_here}}) Tj ET\n",
    )
    hits = find_text(open_doc(pdfgen.build_pdf([spec])), ANCHOR)
    assert len(hits) == 1
    assert hits[0][1].x == pytest.approx(20, abs=0.5)


def test_find_text_refuses_empty_needle_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        find_text(open_doc(pdfgen.text_pdf(["x"])), "")
    with pytest.raises(NotFoundError):
        find_text(tmp_path / "gone.pdf", ANCHOR)
    with pytest.raises(EncryptedPdfError):
        find_text(write(tmp_path, "locked.pdf", pdfgen.encrypted_pdf()), ANCHOR)
    with pytest.raises(DamagedPdfError):
        extract_text(write(tmp_path, "broken.pdf", pdfgen.damaged_pdf()))


# --- extract_text and render_page_png ----------------------------------------------------------


def test_extract_text(tmp_path: Path) -> None:
    path = write(tmp_path, "t.pdf", pdfgen.text_pdf(["Charter BK-12345", "Handover\nsigned"]))
    text = extract_text(path)
    assert text.split() == ["Charter", "BK-12345", "Handover", "signed"]
    assert text.index("BK-12345") < text.index("Handover")
    assert "\n" in text


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_render_page_png_as_the_user_sees_it(tmp_path: Path, rotate: int) -> None:
    spec = pdfgen.anchor_page(rotate=rotate, cropbox=pdfgen.OFFSET_CROPBOX, at=(20, 30))
    path = write(tmp_path, "r.pdf", pdfgen.build_pdf([pdfgen.blank_page(), spec]))
    png = render_page_png(path, 2, 1.5)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixmap = pymupdf.Pixmap(png)
    expected = (600, 900) if rotate in (0, 180) else (900, 600)  # 400 x 600 CropBox x 1.5
    assert (pixmap.width, pixmap.height) == expected
    # the anchor is near the displayed top-left, whatever the rotation
    ink = ink_box(pixmap, 1.5)
    assert ink is not None
    assert ink[0] == pytest.approx(20, abs=2)
    assert ink[1] < 30 < ink[3]


def test_render_page_png_refuses_bad_arguments() -> None:
    doc = open_doc(pdfgen.text_pdf(["a", "b"]))
    with pytest.raises(PageNotFoundError, match="page 3 does not exist: the document has 2 pages"):
        render_page_png(doc, 3, 1.0)
    with pytest.raises(PageNotFoundError):
        render_page_png(doc, 0, 1.0)
    with pytest.raises(ValueError, match="scale"):
        render_page_png(doc, 1, 0)
