"""The signature panel's records (app.archive.signature_details) on PDFs made by the test PKI,
the installation's own seal and received documents."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.archive.signature_details import read_signature_details
from app.providers.local.ltv import TimestampAuthority, seal_long_term
from app.providers.local.pki import (
    SealIdentity,
    ensure_installation_identity,
    load_pkcs12_identity,
)
from app.providers.local.seal import seal_pdf
from app.secrets import MemorySecrets
from tests.support import pdfgen, received
from tests.support.testpki import TestPki, start_test_pki

_mu: Any = pymupdf


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SealIdentity:
    return ensure_installation_identity(tmp_path_factory.mktemp("seal"), MemorySecrets())


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def test_a_b_b_seal_of_this_installation(identity: SealIdentity) -> None:
    sealed = seal_pdf(pdfgen.text_pdf(["A contract."]), identity, reason="test")
    found = read_signature_details(sealed, identity.trust_roots_pem)
    [seal] = found.signatures
    assert (seal.number, seal.kind, seal.state, seal.level) == (1, "signature", "trusted", "B-B")
    assert seal.time_source == "signer's clock"
    assert seal.signing_time is not None
    assert seal.covers == "the whole file"
    assert seal.revocation.describe() == "none"
    assert [c.status for c in seal.chain] == ["trusted", "trusted"]
    assert seal.chain[0].subject == identity.subject
    assert seal.chain[1].subject == seal.chain[1].issuer  # the installation's root
    assert seal.signed_length == len(sealed)
    assert seal.place is not None and seal.place.page == 1
    assert found.renew_by is None  # no document timestamp: nothing to renew
    assert found.to_json()["signatures"][0]["chain"][0]["status"] == "trusted"


def test_a_b_lta_seal_from_the_test_pki_offline(test_pki: TestPki) -> None:
    identity = load_pkcs12_identity(test_pki.signer_p12, test_pki.p12_passphrase)
    root = test_pki.root_pem.read_bytes()
    tsa = TimestampAuthority(test_pki.tsa_url, trust_roots_pem=[root], timeout=5)
    original = pdfgen.text_pdf(["Keep for years."])
    sealed = asyncio.run(seal_long_term(original, identity, tsa, reason="t"))
    assert sealed.level == "B-LTA", sealed.reason
    test_pki.stop()  # offline, as the archive is years later

    found = read_signature_details(sealed.pdf, [root])
    seal, *rest = found.signatures
    assert [s.kind for s in found.signatures] == ["signature", "timestamp"]
    assert (seal.state, seal.level, seal.time_source) == ("trusted", "B-LTA", "timestamp authority")
    assert [c.subject.split(",")[0] for c in seal.chain] == [
        "CN=Test Office Seal",
        "CN=Test Intermediate CA",
        "CN=Test Root CA",
    ]
    assert {c.status for c in seal.chain} == {"trusted"}
    assert seal.revocation.ocsp + seal.revocation.crl >= 1, seal.revocation
    assert seal.covers == "later revisions added: validation data, a document timestamp"
    [stamp] = rest
    assert stamp.state == "trusted"
    assert stamp.signer.startswith("CN=Test Timestamp Authority")
    assert stamp.covers == "the whole file"
    assert stamp.certificate_expires == dt.datetime(2050, 1, 1, tzinfo=dt.UTC)
    assert found.renew_by == stamp.certificate_expires
    assert found.to_json()["renewBy"] == "2050-01-01T00:00:00.000Z"


def test_a_seal_modified_after_signing(identity: SealIdentity, tmp_path: Path) -> None:
    sealed = seal_pdf(pdfgen.text_pdf(["A contract."]), identity, reason="test")
    path = tmp_path / "annotated.pdf"
    path.write_bytes(sealed)
    doc = _mu.open(path)
    doc[0].add_text_annot((100, 100), "Changed my mind")
    doc.saveIncr()
    doc.close()
    [seal] = read_signature_details(path, identity.trust_roots_pem).signatures
    assert seal.state == "modified"
    assert not seal.intact
    assert seal.covers == "later revisions added: annotations"
    assert seal.signed_length == len(sealed)  # the revision that was signed


def test_a_received_pdf_with_two_signatures_and_a_form_fill_between() -> None:
    first = received.sign(received.form_with_field(), box=(72, 500, 272, 560), page=2)
    filled = received.fill_field(first, "Name", "Jane Doe")
    both = received.sign(filled, name="Max Muster", field_name="Signature2")
    erika, max_ = read_signature_details(both, []).signatures
    assert (erika.number, max_.number) == (1, 2)
    assert erika.state == max_.state == "untrusted"  # valid, signers unknown here
    assert erika.covers == "later revisions added: form fill, a signature by Max Muster"
    assert max_.covers == "the whole file"
    assert [c.status for c in erika.chain] == ["issuer unknown"]
    assert erika.signed_length == len(first)
    assert erika.place is not None
    assert (erika.place.page, erika.place.visible) == (2, True)
    rect = erika.place.rect  # top-left origin: 792 - 560 = 232 from the top
    assert (round(rect.x), round(rect.y), round(rect.width), round(rect.height)) == (
        72,
        232,
        200,
        60,
    )


def test_unsigned_and_damaged_files_give_no_error(identity: SealIdentity) -> None:
    assert read_signature_details(pdfgen.text_pdf(["plain"]), []).signatures == ()
    [broken] = read_signature_details(b"%PDF-1.7\n garbage", []).signatures
    assert broken.state == "unchecked"
    assert broken.kind == "unreadable"
