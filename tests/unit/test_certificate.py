"""The completion certificate PDF (app.providers.local.certificate)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pymupdf
import pytest

from app.archive.verify import pdf_signature_status, verify_pdf_signatures
from app.providers.local.certificate import (
    CertificateData,
    CertificateEvent,
    CertificateRecipient,
    build_certificate_pdf,
    format_time,
)
from app.providers.local.pki import SealIdentity, ensure_installation_identity
from app.providers.local.seal import seal_pdf
from app.secrets import MemorySecrets

_mu: Any = pymupdf

FONT = Path(__file__).resolve().parents[2] / "resources" / "fonts" / "DancingScript-Regular.otf"
T0 = dt.datetime(2025, 1, 31, 14, 5, 9, tzinfo=dt.UTC)
PARIS = ZoneInfo("Europe/Paris")
ORIGINAL = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"
SIGNED = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def signature_png() -> bytes:
    pixmap = _mu.Pixmap(_mu.csRGB, _mu.IRect(0, 0, 300, 90), 0)
    pixmap.clear_with(255)
    for x in range(20, 280):
        pixmap.set_pixel(x, 45 + (x % 40) - 20, (10, 20, 120))
    data: bytes = pixmap.tobytes("png")
    return data


def two_recipients() -> CertificateData:
    return CertificateData(
        request_name="Charter handover — BK-12345",
        request_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        provider="local",
        original_sha256=ORIGINAL,
        signed_sha256=SIGNED,
        created_at=T0,
        completed_at=T0 + dt.timedelta(hours=2),
        recipients=[
            CertificateRecipient(
                name="Jane Doe",
                email="jane@example.com",
                designation="Signer",
                order=1,
                viewed_at=T0 + dt.timedelta(minutes=5),
                signed_at=T0 + dt.timedelta(minutes=7),
                declined_at=None,
                decline_reason=None,
                signature_png=signature_png(),
                typed_signature=None,
                signature_how="uploaded signature image",
            ),
            CertificateRecipient(
                name="Jeff Official",
                email="jeff.office@example.com",
                designation="Approver",
                order=2,
                viewed_at=T0 + dt.timedelta(minutes=30),
                signed_at=T0 + dt.timedelta(hours=2),
                declined_at=None,
                decline_reason=None,
                signature_png=None,
                typed_signature="Jeff Official",
                signature_how="typed signature",
            ),
        ],
        events=[
            CertificateEvent(T0, "sent", "Request created on this computer"),
            CertificateEvent(
                T0 + dt.timedelta(minutes=5), "viewed", "Jane Doe opened the document"
            ),
            CertificateEvent(
                T0 + dt.timedelta(minutes=7), "signed", "Jane Doe — uploaded signature image"
            ),
            CertificateEvent(T0 + dt.timedelta(hours=2), "signed", "Jeff Official signed (typed)"),
            CertificateEvent(T0 + dt.timedelta(hours=2), "completed", "All recipients signed"),
        ],
        host="front-desk-pc",
        os_user="alice",
        sender_name="Office Staff",
        sender_email="office@example.com",
        zone=PARIS,
    )


def pdf_text(pdf: bytes) -> tuple[Any, str]:
    doc = _mu.open(stream=pdf, filetype="pdf")
    return doc, "\n".join(page.get_text() for page in doc)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SealIdentity:
    return ensure_installation_identity(tmp_path_factory.mktemp("seal"), MemorySecrets())


def test_certificate_records_everything() -> None:
    data = two_recipients()
    doc, text = pdf_text(build_certificate_pdf(data, FONT))

    assert doc[0].rect == _mu.paper_rect("a4")
    assert "Certificate of completion" in text  # no fi ligature in the extracted text
    assert "\ufb01" not in text
    assert "\ufb03" not in text
    for needle in (
        data.request_name,
        data.request_id,
        "local",
        "Office Staff <office@example.com>",
        ORIGINAL,
        SIGNED,
        "front-desk-pc",
        "alice",
        "Jane Doe",
        "jane@example.com",
        "Signer",
        "Jeff Official",
        "jeff.office@example.com",
        "Approver",
        "31 January 2025, 15:05:09 CET",  # created, as people read it, in the zone given
        "31 January 2025, 17:05:09 CET",  # completed
        "31 January 2025, 15:12:09 CET",  # Jane signed
        "Request created on this computer",
        "Jane Doe opened the document",
        "All recipients signed",
    ):
        assert needle in text, needle
    assert doc.metadata["title"].startswith("Certificate of completion")
    # Every event appears as a row: time, event and detail on the same line.
    words = doc[0].get_text("words") + (doc[1].get_text("words") if doc.page_count > 1 else [])
    completed = [w for w in words if w[4] == "completed"]
    assert completed
    same_line = [w[4] for w in words if abs(w[3] - completed[-1][3]) < 1]
    assert "recipients" in same_line
    assert "CET" in same_line
    assert "UTC" not in text and "T14:" not in text  # no ISO strings


def test_every_table_starts_its_values_in_one_column() -> None:
    data = dataclasses.replace(
        two_recipients(),
        request_name="A request name long enough to "
        "wrap onto a second line of the table, with many words — BK-1",
    )
    doc, _ = pdf_text(build_certificate_pdf(data, FONT))
    labels = {
        "Request",
        "Sender",
        "Computer",
        "Operating-system",
        "Designation",
        "Email",
        "Status",
        "Viewed",
        "Signed",
        "Time",
    }
    starts: set[float] = set()
    for page in doc:
        lines = [
            line for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])
        ]
        rows: dict[float, list[tuple[float, str]]] = {}
        for line in lines:
            text = "".join(span["text"] for span in line["spans"]).strip()
            rows.setdefault(round(line["bbox"][1]), []).append((line["bbox"][0], text))
        for cells in rows.values():
            cells.sort()
            if len(cells) >= 2 and cells[0][1].split()[0] in labels:
                starts.add(round(cells[1][0], 1))
    assert len(starts) == 1, starts  # facts, recipients and the event history alike


def test_uploaded_image_is_labelled_as_such() -> None:
    _, text = pdf_text(build_certificate_pdf(two_recipients(), FONT))
    text = flat(text)
    assert "Signature (uploaded image)" in text
    assert "Signature (typed)" in text
    assert "drawn" not in text


def test_without_a_sender_it_says_so() -> None:
    data = dataclasses.replace(two_recipients(), sender_name=None, sender_email=None)
    _, text = pdf_text(build_certificate_pdf(data, FONT))
    assert "Sender not recorded (no sender name or email was set in Sealbox)" in flat(text)


def test_signatures_are_drawn() -> None:
    doc, _text = pdf_text(build_certificate_pdf(two_recipients(), FONT))

    fonts = {f[3] for page in doc for f in page.get_fonts()}
    assert any("Dancing" in name for name in fonts), fonts
    assert sum(len(page.get_images()) for page in doc) == 1  # Jane's drawn signature
    # The typed signature is real text in the handwriting font.
    spans = [
        span
        for page in doc
        for block in page.get_text("dict")["blocks"]
        for line in block.get("lines", [])
        for span in line["spans"]
    ]
    typed = [s for s in spans if "Dancing" in s["font"]]
    assert flat(" ".join(s["text"] for s in typed)) == "Jeff Official"
    assert typed[0]["size"] > 15


def test_typed_signature_without_handwriting_font(tmp_path: Path) -> None:
    _, text = pdf_text(build_certificate_pdf(two_recipients(), None))
    assert text.count("Jeff Official") >= 2  # heading and signature
    _, text = pdf_text(build_certificate_pdf(two_recipients(), Path("/nonexistent/font.otf")))
    assert "Jeff Official" in text
    not_a_font = tmp_path / "font.otf"
    not_a_font.write_bytes(b"not a font")
    _, text = pdf_text(build_certificate_pdf(two_recipients(), not_a_font))
    assert "Jeff Official" in text


def test_declined_recipient_and_undecodable_image() -> None:
    data = two_recipients()
    declined = CertificateRecipient(
        name="Bob Reviewer",
        email="bob@example.com",
        designation="Signer",
        order=3,
        viewed_at=T0,
        signed_at=None,
        declined_at=T0 + dt.timedelta(days=1),
        decline_reason="Wrong amount in clause 4; please send a corrected version.",
        signature_png=b"\x89PNG not really",
        typed_signature=None,
    )
    data = dataclasses.replace(data, recipients=[*data.recipients, declined])
    _, text = pdf_text(build_certificate_pdf(data, FONT))
    text = flat(text)
    assert "Declined 1 February 2025, 15:05:09 CET" in text
    assert "Wrong amount in clause 4; please send a corrected version." in text
    assert "the signature image could not be displayed" in text


def test_many_recipients_and_events_paginate_without_losing_text() -> None:
    data = two_recipients()
    recipients = [
        CertificateRecipient(
            name=f"Recipient {n:02d}",
            email=f"recipient{n:02d}@example.com",
            designation="Signer" if n % 2 else "Approver",
            order=n,
            viewed_at=T0,
            signed_at=T0 + dt.timedelta(minutes=n),
            declined_at=None,
            decline_reason=None,
            signature_png=None,
            typed_signature=f"Recipient {n:02d}",
        )
        for n in range(1, 21)
    ]
    events = [
        CertificateEvent(T0 + dt.timedelta(seconds=n), f"event{n:03d}", f"detail number {n:03d}")
        for n in range(300)
    ]
    big = dataclasses.replace(data, recipients=recipients, events=events)
    doc, text = pdf_text(build_certificate_pdf(big, FONT))

    assert doc.page_count >= 6
    for n in range(1, 21):
        assert f"recipient{n:02d}@example.com" in text
    assert [n for n in range(300) if f"detail number {n:03d}" not in text] == []
    positions = [text.find(f"event{n:03d}") for n in range(300)]
    assert -1 not in positions
    assert positions == sorted(positions)  # in order, across the page breaks
    # Nothing is drawn outside the page, and the footer counts the pages.
    for number, page in enumerate(doc, start=1):
        for x0, y0, x1, y1, *_ in page.get_text("words"):
            assert x0 >= 0
            assert x1 <= page.rect.width
            assert y0 >= 0
            assert y1 <= page.rect.height
        assert f"page {number} of {doc.page_count}" in page.get_text()


def test_sealed_certificate_validates(identity: SealIdentity) -> None:
    certificate = build_certificate_pdf(two_recipients(), FONT)
    sealed = seal_pdf(certificate, identity, reason="Sealbox certificate of completion")

    (check,) = verify_pdf_signatures(sealed, identity.trust_roots_pem)
    assert check.covers_whole_file
    assert check.trusted
    assert pdf_signature_status(sealed, identity.trust_roots_pem) == "valid"
    _, text = pdf_text(sealed)
    assert ORIGINAL in text


def test_format_time() -> None:
    assert format_time(None) == "—"
    winter = dt.datetime(2026, 12, 6, 13, 5, 9, 123456, tzinfo=dt.UTC)
    assert format_time(winter, PARIS) == "6 December 2026, 14:05:09 CET"
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert format_time(summer, PARIS) == "1 July 2026, 14:00:00 CEST"
    naive = dt.datetime(2025, 1, 31, 14, 5, 9)  # taken as UTC
    assert format_time(naive, dt.UTC) == "31 January 2025, 14:05:09 UTC"
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert format_time(winter, india) == "6 December 2026, 18:35:09 UTC+05:30"
    assert format_time(winter, ZoneInfo("America/Sao_Paulo")) == (
        "6 December 2026, 10:05:09 UTC−03:00"
    )  # a zone whose name is an offset
