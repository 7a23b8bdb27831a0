"""Which received PDFs may get a timestamped copy, and what it is called (no network)."""

from __future__ import annotations

import io

from pyhanko.sign import fields, signers

from app.providers.local.lta_updates import Refused, refusal
from app.providers.local.seal import update_writer
from app.services.received_ltv import timestamped_name
from tests.support.received import contract, signed_contract, throwaway_signer


def certified(permissions: fields.MDPPerm) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name="Certification",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=permissions,
    )
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=throwaway_signer()).sign_pdf(
        update_writer(contract()), output=out
    )
    return out.getvalue()


def test_a_signed_pdf_may_get_one() -> None:
    assert refusal(signed_contract()) is None
    assert refusal(signed_contract(certify=True)) is None  # DocMDP 2 allows timestamps


def test_a_certification_allowing_no_change_is_refused() -> None:
    refused = refusal(certified(fields.MDPPerm.NO_CHANGES))
    assert isinstance(refused, Refused)
    assert "certification allows no change" in refused.reason
    assert refusal(certified(fields.MDPPerm.ANNOTATE)) is None


def test_unsigned_and_unreadable_pdfs_are_refused() -> None:
    unsigned = refusal(contract())
    assert unsigned is not None and "no signature" in unsigned.reason
    garbage = refusal(b"%PDF-1.7\n" + b"\x8f garbage \x00" * 200)
    assert garbage is not None and "could not be read" in garbage.reason


def test_the_copy_is_named_after_the_received_file() -> None:
    assert timestamped_name("Lease-signed.pdf") == "Lease-signed-timestamped.pdf"
    assert timestamped_name("Lease-signed.PDF") == "Lease-signed-timestamped.pdf"
