"""Received PDFs at the PDF layer: their signatures (app.pdf.signatures), incremental updates
and form appearances (app.pdf.revision), and what stamping does to them (app.pdf.stamp)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.domain.geometry import Rect
from app.pdf.document import EncryptedPdfError, check_pdf
from app.pdf.revision import draw_form_appearances, incremental_bytes, needs_appearances
from app.pdf.signatures import describe, existing_signatures, parse_pdf_date
from app.pdf.stamp import AnchorText, Stamp, default_handwriting_font, stamp_pdf
from tests.support import forms, pdfgen, received

_mu: Any = pymupdf
FONT = default_handwriting_font()


def open_doc(data: bytes) -> Any:
    return _mu.open(stream=data, filetype="pdf")


# --- the signatures a PDF carries ---------------------------------------------------------------


def test_a_signed_pdf_names_its_signer(tmp_path: Path) -> None:
    (sig,) = existing_signatures(open_doc(received.signed_contract()))
    assert sig.signer == "Erika Mustermann"
    assert sig.field_name == "Signature1"
    assert sig.certification is None and not sig.timestamp
    assert sig.signed_at is not None
    assert abs(sig.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    path = tmp_path / "signed.pdf"
    path.write_bytes(received.signed_contract())
    assert [s.signer for s in check_pdf(path).signatures] == ["Erika Mustermann"]


def test_two_signers_and_a_certification() -> None:
    twice = received.sign(
        received.sign(received.contract(), certify=True), name="Max Muster", field_name="Signature2"
    )
    first, second = existing_signatures(open_doc(twice))
    assert (first.signer, first.certification) == ("Erika Mustermann", 2)
    assert (second.signer, second.certification) == ("Max Muster", None)
    assert describe((first, second)) == "Erika Mustermann and Max Muster"


def test_unsigned_pdfs_and_empty_signature_fields() -> None:
    assert existing_signatures(open_doc(received.contract())) == ()
    doc = open_doc(received.contract())
    widget = _mu.Widget()
    widget.field_type = _mu.PDF_WIDGET_TYPE_SIGNATURE
    widget.field_name = "SignHere"
    widget.rect = pymupdf.Rect(72, 500, 272, 550)
    doc[0].add_widget(widget)
    assert existing_signatures(open_doc(doc.tobytes())) == ()  # a field nobody signed yet


def test_describe_many_signers() -> None:
    sig = existing_signatures(open_doc(received.signed_contract()))[0]
    from dataclasses import replace

    many = tuple(replace(sig, signer=name) for name in ("A", "B", "C", "D", "A"))
    assert describe(many) == "A, B and 2 others"
    assert describe(()) == "nobody"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D:20261206140509+01'00'", dt.datetime(2026, 12, 6, 13, 5, 9, tzinfo=dt.UTC)),
        ("D:20261206140509Z", dt.datetime(2026, 12, 6, 14, 5, 9, tzinfo=dt.UTC)),
        ("D:2026", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        ("D:20261306", None),
        ("yesterday", None),
    ],
)
def test_pdf_dates(text: str, expected: dt.datetime | None) -> None:
    assert parse_pdf_date(text) == expected


# --- incremental updates ------------------------------------------------------------------------


def test_an_update_keeps_the_original_bytes_and_the_encryption() -> None:
    original = pdfgen.encrypted_pdf(user_password="", permissions=_mu.PDF_PERM_FORM)
    doc = open_doc(original)
    doc[0].insert_text((72, 300), "Jane Doe")
    data = incremental_bytes(doc, original)
    assert data.startswith(original)
    again = open_doc(data)
    assert not again.needs_pass and again.metadata["encryption"] == "Standard V5 R6 256-bit AES"
    assert "Jane Doe" in again[0].get_text()


@pytest.mark.parametrize(
    "make", [forms.libreoffice_form, forms.hyperref_form, forms.viewer_filled_form]
)
def test_fields_the_viewer_was_to_draw_get_appearances(make: Any) -> None:
    doc = open_doc(make())
    assert needs_appearances(doc)
    assert draw_form_appearances(doc) == len(forms.FIELDS)
    for widget in doc[0].widgets():
        kind, ref = doc.xref_get_key(widget.xref, "AP/N")
        assert kind == "xref"
        stream = doc.xref_stream(int(ref.split()[0]))
        assert widget.field_value.encode() in stream or b"Tj" in stream


def test_a_form_with_drawn_appearances_is_left_alone() -> None:
    doc = open_doc(forms.libreoffice_form())
    draw_form_appearances(doc)
    drawn = open_doc(doc.tobytes())
    drawn.xref_set_key(drawn.pdf_catalog(), "AcroForm/NeedAppearances", "false")
    assert draw_form_appearances(drawn) == 0


# --- stamping received PDFs ---------------------------------------------------------------------


def filled_rects(data: bytes, page: int = 0) -> list[Any]:
    """White filled rectangles (backings, covers) drawn on a page."""
    return [
        d["rect"] for d in open_doc(data)[page].get_drawings() if d.get("fill") == (1.0, 1.0, 1.0)
    ]


def test_no_backing_on_a_plain_light_page() -> None:
    out = stamp_pdf(
        received.contract(), [Stamp(1, Rect(72, 600, 200, 50), "typed_signature", "Jane Doe")], FONT
    )
    assert filled_rects(out) == []  # a signature line under the field would stay visible


def test_a_light_backing_on_a_dark_banner() -> None:
    rect = Rect(300, 600, 240, 60)
    out = stamp_pdf(
        received.dark_banner_pdf(), [Stamp(1, rect, "typed_signature", "Jane Doe")], FONT
    )
    (backing,) = filled_rects(out)
    assert backing == pymupdf.Rect(rect.x, rect.y, rect.x1, rect.y + rect.height)


def test_the_anchor_text_alone_is_taken_off_the_page() -> None:
    original = received.contract(pages=1)
    doc = open_doc(original)
    (hit,) = doc[0].search_for(received.ANCHOR)
    anchor = AnchorText(1, Rect(hit.x0, hit.y0, hit.width, hit.height))
    out = stamp_pdf(
        original,
        [Stamp(1, Rect(hit.x0, hit.y0, 180, 48), "typed_signature", "Jane Doe")],
        FONT,
        anchor_texts=[anchor],
    )
    text = open_doc(out)[0].get_text()
    assert received.ANCHOR not in text
    assert "Sign here:" in text and "The parties agree to the terms set out below." in text
    assert out.startswith(original)


def test_on_a_signed_pdf_the_anchor_text_is_covered_not_removed() -> None:
    original = received.signed_contract()
    doc = open_doc(original)
    (hit,) = doc[-1].search_for(received.ANCHOR)
    anchor = AnchorText(2, Rect(hit.x0, hit.y0, hit.width, hit.height))
    out = stamp_pdf(original, [], FONT, anchor_texts=[anchor])
    assert out.startswith(original)
    assert received.ANCHOR in open_doc(out)[-1].get_text()  # Erika's page content is kept
    (cover,) = filled_rects(out, page=1)
    assert cover.contains(hit)


def test_a_document_that_needs_a_password_is_refused() -> None:
    with pytest.raises(EncryptedPdfError, match="needs a password to open"):
        stamp_pdf(pdfgen.encrypted_pdf(), [], FONT)
    with pytest.raises(EncryptedPdfError, match="against filling in and signing"):
        stamp_pdf(pdfgen.encrypted_pdf(user_password="", permissions=_mu.PDF_PERM_PRINT), [], FONT)


def test_an_anchor_read_from_a_scan_is_covered() -> None:
    scan = received.image_only_pdf([(f"Sign here: {received.ANCHOR}", (72, 400))])
    anchor = AnchorText(1, Rect(150, 386, 100, 18))  # where OCR finds it (pixels, no text)
    out = stamp_pdf(scan, [], FONT, anchor_texts=[anchor])
    (cover,) = filled_rects(out)
    assert cover.contains(pymupdf.Rect(150, 386, 250, 404))
    assert out.startswith(scan)
