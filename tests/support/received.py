# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Generated PDFs like the ones an office receives: already signed, scanned, encrypted with a
permissions password, an official AcroForm + XFA form, a word in every footer, a dark banner.

Signatures are made with pyHanko and a throw-away self-signed key for "Erika Mustermann", a
signer this installation does not know (as a real counter-party would be).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pymupdf
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.providers.local.seal import update_writer
from tests.support import pdfgen

_mu: Any = pymupdf

SIGNER_NAME = "Erika Mustermann"
ANCHOR = "{{sign_here}}"
#: Where :func:`contract` writes its anchor (baseline start, top-left origin, points).
ANCHOR_AT = (72.0, 400.0)
#: The dark banner of :func:`dark_banner_pdf` (top-left origin, points).
BANNER = pymupdf.Rect(0, 560, 612, 700)
BANNER_COLOR = (0.07, 0.1, 0.22)


def throwaway_signer(name: str = SIGNER_NAME) -> signers.SimpleSigner:
    """A pyHanko signer with a fresh self-signed EC key for ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Beispiel GmbH"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    asn1_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=asn1_key,
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )


def sign(
    data: bytes,
    *,
    name: str = SIGNER_NAME,
    certify: bool = False,
    field_name: str = "Signature1",
    box: tuple[int, int, int, int] | None = None,
    page: int = 1,
) -> bytes:
    """``data`` signed by ``name`` (a PAdES signature appended as a revision); ``certify``
    makes it a certification signature that allows form filling and signing only (DocMDP 2).
    With ``box`` (PDF user space) the signature's field is visible there on ``page``."""
    writer = update_writer(data)  # an encrypted file is opened as Sealbox's seal opens it
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        reason="Approved by the counter-party",
    )
    out = io.BytesIO()
    spec = fields.SigFieldSpec(field_name, on_page=page - 1, box=box) if box else None
    signers.PdfSigner(meta, signer=throwaway_signer(name), new_field_spec=spec).sign_pdf(
        writer, output=out
    )
    return out.getvalue()


def fill_field(data: bytes, name: str, value: str) -> bytes:
    """``data`` with the text field ``name`` filled in with ``value`` in an incremental update
    (what a viewer saves when someone fills in a form), with pyHanko."""
    from pyhanko.pdf_utils import generic

    writer = update_writer(data)
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == name:
            field["/V"] = generic.TextStringObject(value)
            writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def form_with_field(name: str = "Name", pages: int = 2) -> bytes:
    """``pages`` pages of text, an empty text field ``name`` on the first."""
    doc = _mu.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72), f"Registration form, page {number}", fontsize=16)
        if number == 1:
            widget = _mu.Widget()
            widget.field_type = _mu.PDF_WIDGET_TYPE_TEXT
            widget.field_name = name
            widget.rect = pymupdf.Rect(72, 100, 320, 124)
            page.add_widget(widget)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def contract(pages: int = 2, *, anchor: str = ANCHOR) -> bytes:
    """A plain contract: text on every page, ``Sign here: {{sign_here}}`` on the last."""
    doc = _mu.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72), f"Service agreement, page {number}", fontsize=16)
        page.insert_text((72, 110), "The parties agree to the terms set out below.", fontsize=11)
        if number == pages and anchor:
            page.insert_text(ANCHOR_AT, f"Sign here: {anchor}", fontsize=11)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def signed_contract(*, certify: bool = False) -> bytes:
    """:func:`contract` signed by Erika Mustermann before it reaches Sealbox."""
    return sign(contract(), certify=certify)


def image_only_pdf(lines: list[tuple[str, tuple[float, float]]], *, dpi: int = 200) -> bytes:
    """One page that is only a scan: ``lines`` of text (with their baseline start, top-left
    origin) rendered to an image, and the image placed on an empty page."""
    src = _mu.open()
    page = src.new_page(width=612, height=792)
    for text, at in lines:
        page.insert_text(at, text, fontsize=14)
    png = page.get_pixmap(dpi=dpi, alpha=False).tobytes("png")
    doc = _mu.open()
    scan = doc.new_page(width=612, height=792)
    scan.insert_image(scan.rect, stream=png)
    data: bytes = doc.tobytes()
    doc.close()
    src.close()
    return data


def footer_pdf(pages: int, word: str = "Initials:") -> bytes:
    """``pages`` pages, each with ``word`` in its footer (an anchor that matches everywhere)."""
    return pdfgen.build_pdf(
        [
            pdfgen.PageSpec(
                texts=[pdfgen.TextRun(f"Terms, page {n}", 72, 90), pdfgen.TextRun(word, 72, 760, 9)]
            )
            for n in range(1, pages + 1)
        ]
    )


def dark_banner_pdf() -> bytes:
    """A page with a dark navy banner across it (where a signature field goes)."""
    doc = _mu.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "Membership certificate", fontsize=18)
    page.draw_rect(BANNER, color=None, fill=BANNER_COLOR)
    page.insert_text((72, 590), "Signed for the club", fontsize=11, color=(1, 1, 1))
    data: bytes = doc.tobytes()
    doc.close()
    return data


XFA_TEMPLATE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template '
    b'xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="form1">'
    b'<field name="Name"/></subform></template></xdp:xdp>'
)


def xfa_form(*, permissions: int) -> bytes:
    """An official form: AcroForm fields plus an XFA stream (a "hybrid" form), encrypted with a
    permissions password only, granting ``permissions``."""
    doc = _mu.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 72), "Application for a permit", fontsize=16)
    page.insert_text((72, 400), "Applicant's signature: " + ANCHOR, fontsize=11)
    widget = _mu.Widget()
    widget.field_type = _mu.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "Name"
    widget.field_value = "Jane Doe"
    widget.rect = pymupdf.Rect(72, 100, 320, 124)
    page.add_widget(widget)
    xfa = doc.get_new_xref()
    doc.update_object(xfa, "<<>>")
    doc.update_stream(xfa, XFA_TEMPLATE)
    catalog = doc.pdf_catalog()
    doc.xref_set_key(catalog, "AcroForm/XFA", f"{xfa} 0 R")
    plain: bytes = doc.tobytes()
    doc.close()
    return pdfgen.encrypted_pdf(user_password="", permissions=permissions, source=plain)
