"""PDFs as an office receives them, through the real ``sealbox`` command with the built-in
provider, checked by independent readers (poppler's ``pdfsig``, ``pdftotext``, ``pdftoppm``,
``pdfinfo``; pyHanko) as well as by Sealbox's own ``archive verify``.

Already signed PDFs keep their signatures, NeedAppearances forms keep their values, documents
with a permissions password only are signed with their encryption kept, scanned pages can be
read by OCR, anchors that would make too many fields are refused, ink stays legible on a dark
banner, anchor texts come off the page, and the completion certificate reads as people read.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.conftest import run_sealbox
from tests.support import forms, pdfgen, received

_mu: Any = pymupdf

POPPLER = ("pdfsig", "pdftotext", "pdftoppm", "pdfinfo")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils is not installed (.ci/run installs it)",
)

SIGNER = {
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane@example.com",
    "designation": "Signer",
    "order": 1,
}


def spec(
    tmp_path: Path,
    *,
    fields: list[dict[str, Any]] | None = None,
    anchors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "name": "Received document",
                "recipients": [SIGNER],
                "fields": fields or [],
                "anchorTags": anchors or [],
                **extra,
            }
        ),
        encoding="utf-8",
    )
    return path


def anchor_spec(tmp_path: Path, **anchor: Any) -> Path:
    return spec(
        tmp_path,
        anchors=[
            {"anchorString": received.ANCHOR, "type": "signature", "recipientIndex": 0, **anchor}
        ],
    )


def ok(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_sealbox(*args, "--json", env_extra=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def send_and_sign(
    pdf: Path,
    spec_path: Path,
    *,
    send_args: tuple[str, ...] = (),
    sign_args: tuple[str, ...] = ("--typed-signature", "Jane Doe"),
    env: dict[str, str] | None = None,
) -> dict[str, Path]:
    """Send through the built-in provider, let the one signer sign: the archived files."""
    sent = ok("send", str(pdf), "--spec", str(spec_path), *send_args, env=env)
    done = ok("sign", sent["id"], "--recipient", "0", *sign_args, env=env)
    assert done["status"] == "completed"
    return {kind: Path(entry["path"]) for kind, entry in done["archive"]["files"].items()}


def tool(*args: str) -> str:
    result = subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def poppler_gray(pdf: Path, page: int, tmp_path: Path, dpi: int = 72) -> Any:
    """Page ``page`` rendered by poppler (``pdftoppm``), as a grey MuPDF pixmap."""
    base = tmp_path / f"render-{page}"
    tool(
        "pdftoppm",
        "-r",
        str(dpi),
        "-f",
        str(page),
        "-l",
        str(page),
        "-png",
        "-singlefile",
        str(pdf),
        str(base),
    )
    return _mu.Pixmap(_mu.csGRAY, _mu.Pixmap(str(base) + ".png"))


def mupdf_gray(pdf: Path, page: int, dpi: int = 72) -> Any:
    with _mu.open(pdf) as doc:
        return doc[page - 1].get_pixmap(dpi=dpi, colorspace=_mu.csGRAY, alpha=False)


def area(pixmap: Any, rect: pymupdf.Rect, dpi: int = 72) -> list[int]:
    """The grey values of ``pixmap`` inside ``rect`` (points, top-left origin)."""
    scale = dpi / 72
    x0, y0 = int(rect.x0 * scale) + 1, int(rect.y0 * scale) + 1
    x1, y1 = int(rect.x1 * scale) - 1, int(rect.y1 * scale) - 1
    return [pixmap.pixel(x, y)[0] for y in range(y0, y1) for x in range(x0, x1)]


def dark_pixels(values: list[int]) -> int:
    return sum(1 for v in values if v < 110)


# --- 1. already signed PDFs ---------------------------------------------------------------------


def test_an_already_signed_pdf_keeps_its_signature(home: Path, tmp_path: Path) -> None:
    original = received.signed_contract()
    pdf = tmp_path / "countersigned.pdf"
    pdf.write_bytes(original)
    # The anchor makes an optional text field left empty, so that nothing is drawn over the
    # anchor text but the cover; the signature goes on page 1.
    files = send_and_sign(
        pdf,
        spec(
            tmp_path,
            fields=[
                {
                    "recipientIndex": 0,
                    "type": "signature",
                    "page": 1,
                    "x": 72,
                    "y": 600,
                    "width": 200,
                    "height": 50,
                }
            ],
            anchors=[
                {
                    "anchorString": received.ANCHOR,
                    "type": "text",
                    "recipientIndex": 0,
                    "required": False,
                }
            ],
        ),
    )
    signed = files["signed"]
    data = signed.read_bytes()

    # Every change is an incremental update: the received bytes are the first revisions.
    assert data.startswith(original)

    # poppler: the counter-party's signature still holds, the seal covers the whole file.
    report = tool("pdfsig", str(signed))
    assert "Digest Mismatch" not in report
    blocks = report.split("Signature #")[1:]
    assert len(blocks) == 2
    assert "Erika Mustermann" in blocks[0] and "Signature is Valid." in blocks[0]
    assert "Signature is Valid." in blocks[1] and "Total document signed" in blocks[1]

    # pyHanko, on its own: the first signature is intact and valid for its revision.
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    context = ValidationContext(trust_roots=[], allow_fetching=False)
    first = validate_pdf_signature(reader.embedded_signatures[0], context)
    assert first.intact and first.valid

    # Sealbox's own verification: nothing "modified after signing".
    verified = run_sealbox("archive", "verify", "--json")
    assert verified.returncode == 0, verified.stdout
    checks = {Path(f["path"]).name: f for f in json.loads(verified.stdout)["files"]}
    assert all(f["ok"] for f in checks.values())
    summary = checks[signed.name]["summary"]
    assert "modified" not in summary
    assert "valid for the revision it signed, signer not trusted (CN=Erika Mustermann" in summary

    # The anchor text of a signed page is covered (not redacted: that page is Erika's).
    with _mu.open(signed) as doc:
        words = doc[-1].search_for(received.ANCHOR)
        assert words  # still in the content, under the cover
        covered = words[0]
    pixels = area(poppler_gray(signed, 2, tmp_path), covered)
    assert dark_pixels(pixels) == 0


def test_a_service_that_would_break_the_signature_is_named(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "countersigned.pdf"
    pdf.write_bytes(received.signed_contract())
    refused = run_sealbox(
        "send",
        str(pdf),
        "--spec",
        str(anchor_spec(tmp_path)),
        "--provider",
        "saypdf",
        env_extra={
            "SEALBOX_SAYPDF_API_KEY": "test-key",
            "SEALBOX_SAYPDF_BASE_URL": "http://127.0.0.1:9",
            "SEALBOX_SENDER_EMAIL": "olga@example.com",
        },
    )
    assert refused.returncode == 1
    assert (
        "is already signed by Erika Mustermann, and SayPDF would invalidate that signature"
        in refused.stderr
    )
    assert ok("list")["signatures"] == []  # nothing was sent, nothing kept


def test_a_certification_that_forbids_changes_is_refused(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "certified.pdf"
    pdf.write_bytes(received.signed_contract(certify=True))
    refused = run_sealbox("send", str(pdf), "--spec", str(anchor_spec(tmp_path)))
    assert refused.returncode == 1
    assert "is certified by Erika Mustermann" in refused.stderr
    assert ok("list")["signatures"] == []


# --- 2. forms that rely on the viewer to draw their values -------------------------------------


@pytest.mark.parametrize(
    "make", [forms.libreoffice_form, forms.hyperref_form, forms.viewer_filled_form]
)
def test_form_values_stay_visible(home: Path, tmp_path: Path, make: Any) -> None:
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(make())
    files = send_and_sign(
        pdf,
        spec(
            tmp_path,
            fields=[
                {
                    "recipientIndex": 0,
                    "type": "signature",
                    "page": 1,
                    "x": 350,
                    "y": 60,
                    "width": 200,
                    "height": 50,
                }
            ],
        ),
    )
    signed = files["signed"]
    assert signed.read_bytes().startswith(pdf.read_bytes())
    assert "Signature is Valid." in tool("pdfsig", str(signed))

    text = tool("pdftotext", str(signed), "-")
    poppler = poppler_gray(signed, 1, tmp_path)
    mupdf = mupdf_gray(signed, 1)
    for field in forms.FIELDS:
        assert field.value in text
        x0, y0, x1, y1 = field.rect
        rect = pymupdf.Rect(x0, 792 - y1, x1, 792 - y0)  # top-left origin
        assert dark_pixels(area(poppler, rect)) > 20, f"{field.name} blank in poppler"
        assert dark_pixels(area(mupdf, rect)) > 20, f"{field.name} blank in MuPDF"


# --- 4. permissions passwords -------------------------------------------------------------------


def test_a_permissions_password_that_allows_signing_is_followed(home: Path, tmp_path: Path) -> None:
    original = received.xfa_form(permissions=_mu.PDF_PERM_PRINT | _mu.PDF_PERM_FORM)
    pdf = tmp_path / "permit.pdf"
    pdf.write_bytes(original)
    files = send_and_sign(pdf, anchor_spec(tmp_path))
    signed = files["signed"]
    data = signed.read_bytes()
    assert data.startswith(original)
    info = tool("pdfinfo", str(signed))
    assert re.search(r"^Encrypted:\s+yes", info, re.MULTILINE)  # the encryption is kept
    assert "Signature is Valid." in tool("pdfsig", str(signed))
    assert "Jane Doe" in tool("pdftotext", str(signed), "-")
    assert run_sealbox("archive", "verify").returncode == 0


def test_a_signed_form_with_a_permissions_password_keeps_both(home: Path, tmp_path: Path) -> None:
    protected = pdfgen.encrypted_pdf(
        user_password="",
        source=received.contract(),
        permissions=_mu.PDF_PERM_PRINT | _mu.PDF_PERM_FORM,
    )
    original = received.sign(protected)
    pdf = tmp_path / "signed-and-protected.pdf"
    pdf.write_bytes(original)
    files = send_and_sign(pdf, anchor_spec(tmp_path))
    signed = files["signed"]
    assert signed.read_bytes().startswith(original)
    assert re.search(r"^Encrypted:\s+yes", tool("pdfinfo", str(signed)), re.MULTILINE)
    report = tool("pdfsig", str(signed))
    assert report.count("Signature is Valid.") == 2 and "Digest Mismatch" not in report
    assert run_sealbox("archive", "verify").returncode == 0


def test_a_permissions_password_that_forbids_signing_names_the_permission(
    home: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "permit.pdf"
    pdf.write_bytes(received.xfa_form(permissions=_mu.PDF_PERM_PRINT))
    refused = run_sealbox("send", str(pdf), "--spec", str(anchor_spec(tmp_path)))
    assert refused.returncode == 1
    line = refused.stderr.strip()
    assert "permit.pdf is protected by its author against filling in and signing" in line
    assert '"fill in form fields"' in line and "print it to a new PDF" not in line
    assert ok("list")["signatures"] == []
    assert not any((home / "data").rglob("*.pdf"))  # nothing left behind


# --- 5. anchors on scanned pages ----------------------------------------------------------------


def test_an_anchor_on_a_scan_names_the_page_and_is_found_by_ocr(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(
        received.image_only_pdf(
            [("Agreement", (72, 120)), (f"Sign here: {received.ANCHOR}", (72, 400))]
        )
    )
    spec_path = anchor_spec(tmp_path)
    refused = run_sealbox("send", str(pdf), "--spec", str(spec_path))
    assert refused.returncode == 1
    assert "page 1 is a scanned image without a text layer" in refused.stderr
    assert "--ocr" in refused.stderr

    sent = ok("send", str(pdf), "--spec", str(spec_path), "--ocr")
    (field,) = sent_fields(home, sent["id"])
    # The anchor was drawn at x 72 + "Sign here: " (about 75 pt at 14 pt), baseline 400.
    assert 130 < field["x"] < 170 and 380 < field["y"] < 400


def sent_fields(home: Path, request_id: str) -> list[dict[str, Any]]:
    shown = run_sealbox("show", request_id, "--json")
    assert shown.returncode == 0
    import sqlite3

    with sqlite3.connect(home / "data" / "sealbox.db") as db:
        (spec_json,) = db.execute(
            "SELECT spec_json FROM requests WHERE id = ?", [request_id]
        ).fetchone()
    fields: list[dict[str, Any]] = json.loads(spec_json)["fields"]
    return fields


# --- 6. anchors that make too many fields --------------------------------------------------------


def test_an_anchor_in_every_footer_is_refused_with_the_number(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "terms.pdf"
    pdf.write_bytes(received.footer_pdf(210))
    spec_path = spec(
        tmp_path,
        fields=[
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 180,
                "height": 48,
            }
        ],
        anchors=[{"anchorString": "Initials:", "type": "initials", "recipientIndex": 0}],
    )
    refused = run_sealbox("send", str(pdf), "--spec", str(spec_path))
    assert refused.returncode == 1
    assert (
        "they make 210 fields and 1 placed, 211 in all, more than the limit of 200"
        in refused.stderr
    )
    assert ok("list")["signatures"] == []


# --- 7. ink on a dark banner --------------------------------------------------------------------


def contrast(values: list[int]) -> float:
    """WCAG contrast between the darkest and the lightest few percent of an area."""
    ordered = sorted(values)
    count = max(1, len(ordered) // 20)

    def luminance(grey: float) -> float:
        c = grey / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    dark = luminance(sum(ordered[:count]) / count)
    light = luminance(sum(ordered[-count:]) / count)
    return (light + 0.05) / (dark + 0.05)


def test_a_signature_on_a_dark_banner_stays_legible(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(received.dark_banner_pdf())
    rect = pymupdf.Rect(300, 600, 540, 660)  # inside the banner
    files = send_and_sign(
        pdf,
        spec(
            tmp_path,
            fields=[
                {
                    "recipientIndex": 0,
                    "type": "signature",
                    "page": 1,
                    "x": rect.x0,
                    "y": rect.y0,
                    "width": rect.width,
                    "height": rect.height,
                },
                {
                    "recipientIndex": 0,
                    "type": "date",
                    "page": 1,
                    "x": 72,
                    "y": 620,
                    "width": 120,
                    "height": 24,
                },
            ],
        ),
    )
    poppler = poppler_gray(files["signed"], 1, tmp_path, dpi=144)
    assert contrast(area(poppler, rect, dpi=144)) >= 4.5
    date = pymupdf.Rect(72, 620, 192, 644)
    assert contrast(area(poppler, date, dpi=144)) >= 4.5
    mupdf = mupdf_gray(files["signed"], 1, dpi=144)
    assert contrast(area(mupdf, rect, dpi=144)) >= 4.5


# --- issue 12, item 9: the anchor text comes off the page ---------------------------------------


def test_the_anchor_text_comes_off_the_page(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(received.contract())
    files = send_and_sign(pdf, anchor_spec(tmp_path))
    text = tool("pdftotext", str(files["signed"]), "-")
    assert received.ANCHOR not in text
    assert "Sign here:" in text and "Jane Doe" in text  # only the anchor went
    assert files["signed"].read_bytes().startswith(pdf.read_bytes())


def test_the_anchor_text_stays_when_the_spec_says_so(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(received.contract())
    files = send_and_sign(pdf, anchor_spec(tmp_path, removeAnchorText=False))
    assert received.ANCHOR in tool("pdftotext", str(files["signed"]), "-")


# --- issue 12: the completion certificate -------------------------------------------------------


def test_the_certificate_reads_as_people_read(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(received.contract())
    image = tmp_path / "signature.png"
    pix = _mu.Pixmap(_mu.csRGB, _mu.IRect(0, 0, 200, 60), 0)
    pix.clear_with(255)
    for x in range(10, 190):
        pix.set_pixel(x, 30 + (x % 20) - 10, (10, 20, 120))
    image.write_bytes(pix.tobytes("png"))
    env = {
        "TZ": "Europe/Paris",
        "SEALBOX_SENDER_NAME": "Olga Office",
        "SEALBOX_SENDER_EMAIL": "olga@example.com",
    }
    files = send_and_sign(
        pdf, anchor_spec(tmp_path), env=env, sign_args=("--signature-image", str(image))
    )
    text = " ".join(tool("pdftotext", str(files["certificate"]), "-").split())
    assert "Sender Olga Office <olga@example.com>" in text
    months = "January|February|March|April|May|June|July|August|September|October|November|December"
    assert re.search(rf"Completed \d{{1,2}} ({months}) \d{{4}}, \d\d:\d\d:\d\d CES?T", text)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text)  # no ISO strings
    assert "Signature (uploaded image)" in text
    assert "uploaded signature image" in text and "drawn" not in text


# --- issue 11, item 3: the last signature does not read the whole document again --------------


def test_the_archive_finds_the_signed_words_without_reading_the_pdf_again(
    home: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(received.contract())
    spec_path = spec(
        tmp_path,
        fields=[
            {
                "recipientIndex": 0,
                "type": "text",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 200,
                "height": 24,
            }
        ],
        anchors=[{"anchorString": received.ANCHOR, "type": "signature", "recipientIndex": 0}],
    )
    sent = ok("send", str(pdf), "--spec", str(spec_path))
    kept = home / "data" / "local" / sent["id"] / "original.txt"
    assert "The parties agree to the terms set out below." in kept.read_text(encoding="utf-8")
    done = ok(
        "sign",
        sent["id"],
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        "--field",
        "0=Zanzibar Shipping",
    )
    assert done["status"] == "completed"
    assert not kept.parent.exists()  # the working files go once archived
    for word in ("Zanzibar", "parties"):  # a stamped value, and a word of the document
        assert [s["id"] for s in ok("archive", "search", word)["signatures"]] == [sent["id"]]


def test_a_stale_text_is_not_used(home: Path, tmp_path: Path) -> None:
    from app.config import resolve_paths
    from app.providers.local.provider import SEARCH_TEXT_NAME, LocalProvider

    provider = LocalProvider(resolve_paths())
    folder = provider.result_dir("r1")
    folder.mkdir(parents=True)
    (folder / SEARCH_TEXT_NAME).write_text("sha256 " + "a" * 64 + "\nwords", encoding="utf-8")
    assert provider.search_text("r1", "a" * 64) == "words"
    assert provider.search_text("r1", "b" * 64) is None
    assert provider.search_text("r2", "a" * 64) is None
