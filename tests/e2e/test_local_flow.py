"""End to end through the real ``sealbox`` command: send, sign in person, seal, archive, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

from tests.conftest import run_sealbox


def make_contract(path: Path) -> None:
    """Three pages: plain, rotated 90° with a CropBox off the origin, and one with an anchor."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "Charter agreement BK-12345", fontsize=18)
    page.insert_text((72, 110), "The charterer agrees to the terms below.", fontsize=11)
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "Page two: company details", fontsize=14)
    page.set_cropbox(pymupdf.Rect(20, 30, 592, 772))
    page.set_rotation(90)
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 400), "Signed for the owner: {{sign_here}}", fontsize=11)
    doc.save(path)


SPEC: dict[str, Any] = {
    "version": 1,
    "name": "Charter handover — BK-12345",
    "expirationHours": 168,
    "recipients": [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "designation": "Signer",
            "order": 1,
        },
        {
            "firstName": "Bob",
            "lastName": "Roe",
            "email": "bob@example.com",
            "designation": "Signer",
            "order": 2,
        },
    ],
    "fields": [
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 200,
            "height": 50,
        },
        {
            "recipientIndex": 0,
            "type": "date",
            "page": 1,
            "x": 320,
            "y": 620,
            "width": 120,
            "height": 24,
        },
        {
            "recipientIndex": 1,
            "type": "text",
            "page": 2,
            "x": 100,
            "y": 200,
            "width": 220,
            "height": 30,
        },
        {
            "recipientIndex": 1,
            "type": "checkbox",
            "page": 2,
            "x": 100,
            "y": 260,
            "width": 20,
            "height": 20,
        },
    ],
    "anchorTags": [
        {
            "anchorString": "{{sign_here}}",
            "type": "signature",
            "recipientIndex": 1,
            "width": 180,
            "height": 48,
        },
    ],
}


def ok(*args: str) -> dict[str, Any]:
    result = run_sealbox(*args, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def displayed_words(page: pymupdf.Page) -> list[tuple[str, pymupdf.Rect]]:
    """Words with their boxes on the page as the user sees it (rotation applied, CropBox
    origin)."""
    out = []
    for x0, y0, x1, y1, word, *_ in page.get_text("words"):
        rect = pymupdf.Rect(x0, y0, x1, y1) * page.rotation_matrix
        out.append((word, rect))
    return out


def inside(rect: pymupdf.Rect, field: dict[str, Any], tol: float = 0.5) -> bool:
    return bool(
        rect.x0 >= field["x"] - tol
        and rect.y0 >= field["y"] - tol
        and rect.x1 <= field["x"] + field["width"] + tol
        and rect.y1 <= field["y"] + field["height"] + tol
    )


def validate(path: Path, root_pem: bytes) -> Any:
    from asn1crypto import pem, x509

    _, _, der = pem.unarmor(root_pem)
    root = x509.Certificate.load(der)
    with path.open("rb") as handle:
        reader = PdfFileReader(handle)
        assert len(reader.embedded_signatures) == 1
        vc = ValidationContext(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]), allow_fetching=False
        )
        return validate_pdf_signature(reader.embedded_signatures[0], vc)


@pytest.mark.slow
def test_send_sign_seal_archive_verify(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "contract.pdf"
    make_contract(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")

    sent = ok("send", str(pdf), "--spec", str(spec))
    assert sent["status"] == "sent" and sent["provider"] == "local"
    rid = sent["id"]

    # Signing order is enforced.
    early = run_sealbox("sign", rid, "--recipient", "1", "--typed-signature", "Bob Roe")
    assert early.returncode == 1 and "turn" in early.stderr

    first = ok("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert first["status"] == "viewed"
    assert "signedAt" in first["recipients"][0] and "signedAt" not in first["recipients"][1]
    done = ok(
        "sign",
        rid,
        "--recipient",
        "bob@example.com",
        "--typed-signature",
        "Bob Roe",
        "--field",
        "2=ACME Shipping",
        "--field",
        "3=yes",
    )
    assert done["status"] == "completed"

    shown = ok("show", rid[:8])
    files = shown["archive"]["files"]
    assert set(files) == {"signed", "certificate", "request"}
    signed = Path(files["signed"]["path"])
    certificate = Path(files["certificate"]["path"])
    folder = signed.parent
    assert folder.parent.parent.parent == home / "archive"
    assert folder.name.endswith(f"Charter handover — BK-12345 {rid[:8]}")
    assert signed.name == "Charter handover — BK-12345-signed.pdf"
    manifest = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    assert manifest["files"]["signed"]["sha256"] == files["signed"]["sha256"]
    assert [r["email"] for r in manifest["recipients"]] == ["jane@example.com", "bob@example.com"]
    assert any(h["kind"] == "signed" for h in manifest["history"])

    # The stamped values sit inside their rectangles, on the page as the user sees it.
    fields = shown_fields(manifest)
    doc = pymupdf.open(signed)
    page1 = displayed_words(doc[0])
    jane = [r for w, r in page1 if w in ("Jane", "Doe")]
    assert len(jane) == 2 and all(inside(r, fields[0]) for r in jane)
    dates = [r for w, r in page1 if w[:2] == "20" and len(w) == 10]
    assert dates and all(inside(r, fields[1]) for r in dates)
    page2 = displayed_words(doc[1])
    acme = [r for w, r in page2 if w in ("ACME", "Shipping")]
    assert len(acme) == 2 and all(inside(r, fields[2]) for r in acme)
    anchor_field = next(f for f in fields if f.get("anchor") == "{{sign_here}}")
    assert anchor_field["page"] == 3
    bob = [r for w, r in displayed_words(doc[2]) if w in ("Bob", "Roe")]
    assert len(bob) == 2 and all(inside(r, anchor_field) for r in bob)
    doc.close()

    # The PAdES seal validates against the installation root and covers the whole file.
    root = (home / "data" / "seal" / "ca.pem").read_bytes()
    status = validate(signed, root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    cert_status = validate(certificate, root)
    assert cert_status.intact and cert_status.valid and cert_status.trusted

    # The completion certificate lists both signers.
    cert_doc = pymupdf.open(certificate)
    text = "".join(cert_doc[i].get_text() for i in range(cert_doc.page_count))
    for needle in (
        "Jane Doe",
        "jane@example.com",
        "Bob Roe",
        "bob@example.com",
        rid,
        files["signed"]["sha256"][:16],
    ):
        assert needle in text.replace("\n", " ") or needle in text

    verified = run_sealbox("archive", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    found = ok("archive", "search", "charterer")  # a word inside the signed PDF
    assert [s["id"] for s in found["signatures"]] == [rid]

    # One flipped byte is found and named.
    data = bytearray(signed.read_bytes())
    data[len(data) // 2] ^= 0x01
    signed.write_bytes(bytes(data))
    broken = run_sealbox("archive", "verify")
    assert broken.returncode == 1
    assert signed.name in broken.stderr + broken.stdout
    report = json.loads(run_sealbox("archive", "verify", "--json").stdout)
    bad = [f for f in report["files"] if not f["ok"]]
    assert [Path(f["path"]).name for f in bad] == [signed.name]
    assert bad[0]["state"] == "modified"


def shown_fields(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = manifest["spec"]["fields"]
    return fields
