"""Long-term seals (PAdES B-T/B-LT/B-LTA) against a real test PKI on loopback."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.pdf.pades import document_level, signature_levels
from app.providers.local.ltv import TimestampAuthority, raise_level, seal_long_term
from app.providers.local.pki import SealIdentity, load_pkcs12_identity
from tests.support.pdfgen import text_pdf
from tests.support.testpki import TestPki, start_test_pki


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _identity(pki: TestPki, revoked: bool = False) -> SealIdentity:
    return load_pkcs12_identity(pki.revoked_p12 if revoked else pki.signer_p12, pki.p12_passphrase)


def _tsa(pki: TestPki, url: str | None = None) -> TimestampAuthority:
    return TimestampAuthority(
        url or pki.tsa_url, trust_roots_pem=[pki.root_pem.read_bytes()], timeout=5
    )


def _seal(pdf: bytes, identity: SealIdentity, tsa: TimestampAuthority):  # type: ignore[no-untyped-def]
    return asyncio.run(seal_long_term(pdf, identity, tsa, reason="test"))


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def test_seal_with_a_timestamp_authority_is_b_lta(test_pki: TestPki, tmp_path: Path) -> None:
    original = text_pdf(["A contract to seal."])
    sealed = _seal(original, _identity(test_pki), _tsa(test_pki))
    assert sealed.level == "B-LTA", sealed.reason
    assert sealed.reason is None
    assert sealed.pdf.startswith(original)  # incremental: the original revision is untouched
    [level] = signature_levels(sealed.pdf)
    assert level.has_signature_timestamp
    report = pdfsig(sealed.pdf, tmp_path)
    assert "Signature is Valid" in report, report
    assert report.count("Signature #") >= 2, report  # the seal and the document timestamp


def _dead_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"


def test_tsa_unreachable_seals_b_b_says_why_and_upgrade_brings_it_up(
    test_pki: TestPki, tmp_path: Path
) -> None:
    identity = _identity(test_pki)
    dead = _tsa(test_pki, _dead_url())
    sealed = _seal(text_pdf(["Sealed while offline."]), identity, dead)
    assert sealed.level == "B-B"
    assert sealed.reason is not None
    assert "could not be reached" in sealed.reason
    assert dead.url in sealed.reason
    assert "Signature is Valid" in pdfsig(sealed.pdf, tmp_path)

    upgraded = asyncio.run(raise_level(sealed.pdf, identity, _tsa(test_pki)))
    assert upgraded.level == "B-LTA", upgraded.reason
    assert upgraded.pdf.startswith(sealed.pdf)  # the sealed revision is kept byte for byte
    assert "Signature is Valid" in pdfsig(upgraded.pdf, tmp_path)


def test_revocation_service_down_stops_at_b_t(test_pki: TestPki, tmp_path: Path) -> None:
    identity = _identity(test_pki)
    test_pki.revocation_down()
    sealed = _seal(text_pdf(["Revocation down."]), identity, _tsa(test_pki))
    assert sealed.level == "B-T"
    assert sealed.reason is not None
    assert "validation data" in sealed.reason
    assert document_level(sealed.pdf) == "B-T"

    test_pki.revocation_down(False)
    upgraded = asyncio.run(raise_level(sealed.pdf, identity, _tsa(test_pki)))
    assert upgraded.level == "B-LTA", upgraded.reason
    assert "Signature is Valid" in pdfsig(upgraded.pdf, tmp_path)
