"""Offline validation of PDF signatures (app.archive.verify)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.archive.verify import (
    SignatureCheck,
    pdf_signature_status,
    rollup_status,
    verify_pdf_signatures,
    verify_pdf_signatures_async,
)
from app.domain.geometry import Rect
from app.providers.local.pki import SealIdentity, ensure_installation_identity
from app.providers.local.seal import seal_pdf
from app.secrets import MemorySecrets
from tests.support import pdfgen, received

_mu: Any = pymupdf

REASON = "Signed in person with Sealbox"


def make_pdf(text: str = "Charter handover BK-12345") -> bytes:
    doc = _mu.open()
    page = doc.new_page()
    page.insert_text((72, 72), text)
    data: bytes = doc.tobytes()
    doc.close()
    return data


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SealIdentity:
    return ensure_installation_identity(tmp_path_factory.mktemp("seal"), MemorySecrets())


@pytest.fixture(scope="module")
def other_identity(tmp_path_factory: pytest.TempPathFactory) -> SealIdentity:
    return ensure_installation_identity(tmp_path_factory.mktemp("other"), MemorySecrets())


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return make_pdf()


@pytest.fixture(scope="module")
def sealed(identity: SealIdentity, unsigned: bytes) -> bytes:
    return seal_pdf(unsigned, identity, reason=REASON)


def test_sealed_pdf_is_valid(identity: SealIdentity, sealed: bytes) -> None:
    (check,) = verify_pdf_signatures(sealed, identity.trust_roots_pem)

    assert check.field_name == "SealboxSeal"
    assert check.intact
    assert check.valid
    assert check.trusted
    assert check.covers_whole_file
    assert not check.modified_after
    assert check.signer_subject == identity.subject
    assert check.signing_time is not None
    assert abs(check.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert check.summary == f"signature valid, signed by {identity.subject}"
    assert check.ok
    assert pdf_signature_status(sealed, identity.trust_roots_pem) == "valid"


def test_path_input(identity: SealIdentity, sealed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(sealed)
    assert pdf_signature_status(path, identity.trust_roots_pem) == "valid"
    assert pdf_signature_status(str(path), identity.trust_roots_pem) == "valid"


def test_flipped_byte_in_signed_range_is_invalid(identity: SealIdentity, sealed: bytes) -> None:
    data = bytearray(sealed)
    at = data.index(REASON.encode())  # the /Reason string is inside the signed byte range
    data[at] ^= 0x20  # "S" -> "s": same length, still a well-formed PDF
    (check,) = verify_pdf_signatures(bytes(data), identity.trust_roots_pem)

    assert not check.intact
    assert not check.trusted
    assert check.summary.startswith("document modified after signing")
    assert pdf_signature_status([check]) == "invalid"


def test_incremental_update_after_signing_is_detected(
    identity: SealIdentity, sealed: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "annotated.pdf"
    path.write_bytes(sealed)
    doc = _mu.open(path)
    doc[0].add_text_annot((100, 100), "Approved by someone else")
    doc.saveIncr()
    doc.close()
    data = path.read_bytes()
    assert data.startswith(sealed)

    (check,) = verify_pdf_signatures(data, identity.trust_roots_pem)
    assert check.intact
    assert check.valid
    assert not check.covers_whole_file  # ...but something came after it
    assert check.modified_after
    assert "document modified after signing" in check.summary
    assert pdf_signature_status(data, identity.trust_roots_pem) == "invalid"


def test_appended_bytes_are_reported(identity: SealIdentity, sealed: bytes) -> None:
    (check,) = verify_pdf_signatures(sealed + b"\n% appended later\n", identity.trust_roots_pem)
    assert check.intact
    assert check.valid
    assert check.trusted
    assert not check.covers_whole_file
    assert "append" in check.summary


def test_second_signature_keeps_the_first_valid(identity: SealIdentity, sealed: bytes) -> None:
    twice = seal_pdf(sealed, identity, reason="second")
    first, second = verify_pdf_signatures(twice, identity.trust_roots_pem)

    assert (first.field_name, second.field_name) == ("SealboxSeal", "SealboxSeal2")
    assert not first.covers_whole_file
    assert not first.modified_after  # adding a signature is an allowed change
    assert second.covers_whole_file
    assert rollup_status([first, second]) == "valid"


def test_unrelated_root_is_untrusted(
    identity: SealIdentity, other_identity: SealIdentity, sealed: bytes
) -> None:
    (check,) = verify_pdf_signatures(sealed, other_identity.trust_roots_pem)

    assert check.intact
    assert check.valid
    assert not check.trusted
    assert check.summary == f"signature valid but signer not trusted ({identity.subject})"
    assert pdf_signature_status([check]) == "untrusted"
    # No roots at all: nothing is trusted (the OS trust list is never consulted).
    assert pdf_signature_status(sealed, []) == "untrusted"


def test_unsigned_pdf(identity: SealIdentity, unsigned: bytes) -> None:
    assert verify_pdf_signatures(unsigned, identity.trust_roots_pem) == []
    assert pdf_signature_status(unsigned, identity.trust_roots_pem) == "unsigned"
    assert pdf_signature_status([]) == "unsigned"


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage bytes, not a PDF", b"%PDF-1.7\n%%EOF\n", b"%PDF-1.4\n" + b"\x00" * 64],
    ids=["empty", "text", "header-only", "zeros"],
)
def test_garbage_is_invalid_without_raising(identity: SealIdentity, data: bytes) -> None:
    (check,) = verify_pdf_signatures(data, identity.trust_roots_pem)
    assert not check.intact
    assert "damaged or not a PDF" in check.summary
    assert pdf_signature_status(data, identity.trust_roots_pem) == "invalid"


def test_truncated_signed_pdf_is_invalid(identity: SealIdentity, sealed: bytes) -> None:
    assert pdf_signature_status(sealed[: len(sealed) // 2], identity.trust_roots_pem) == "invalid"


def test_missing_file_is_invalid_without_raising(identity: SealIdentity, tmp_path: Path) -> None:
    (check,) = verify_pdf_signatures(tmp_path / "missing.pdf", identity.trust_roots_pem)
    assert not check.intact
    assert "could not be read" in check.summary


@settings(max_examples=40, deadline=None)
@given(position=st.floats(min_value=0.0, max_value=0.999), value=st.integers(0, 255))
def test_any_single_byte_damage_never_raises(
    identity: SealIdentity, sealed: bytes, position: float, value: int
) -> None:
    data = bytearray(sealed)
    data[int(position * len(data))] = value
    checks = verify_pdf_signatures(bytes(data), identity.trust_roots_pem)
    status = rollup_status(checks)
    assert status in ("valid", "invalid", "unsigned", "untrusted")
    for check in checks:
        assert check.summary


def test_expired_certificate_is_judged_at_the_signing_time(
    identity: SealIdentity, sealed: bytes
) -> None:
    now = dt.datetime.now(dt.UTC)
    # Eleven years on the seal certificate (ten years) has expired; twenty-one years on, the
    # root too. The signature still counts, judged at the time it was made.
    for years in (11, 21):
        later = now + dt.timedelta(days=365 * years)
        (check,) = verify_pdf_signatures(sealed, identity.trust_roots_pem, at=later)
        assert check.trusted, years
        assert check.expired_since_signing
        assert "expired since" in check.summary
    # Before the certificate existed, it was not valid: no fallback for that.
    (early,) = verify_pdf_signatures(
        sealed, identity.trust_roots_pem, at=now - dt.timedelta(days=30)
    )
    assert not early.trusted
    assert not early.expired_since_signing


def test_naive_validation_time_is_refused(identity: SealIdentity, sealed: bytes) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_pdf_signatures(sealed, identity.trust_roots_pem, at=dt.datetime(2030, 1, 1))


def test_sync_refuses_inside_event_loop_and_async_works(
    identity: SealIdentity, sealed: bytes
) -> None:
    async def inside_loop() -> list[SignatureCheck]:
        with pytest.raises(RuntimeError, match="verify_pdf_signatures_async"):
            verify_pdf_signatures(sealed, identity.trust_roots_pem)
        return await verify_pdf_signatures_async(sealed, identity.trust_roots_pem)

    checks = asyncio.run(inside_loop())
    assert rollup_status(checks) == "valid"


def _check(**changes: Any) -> SignatureCheck:
    base: dict[str, Any] = {
        "field_name": "f",
        "intact": True,
        "valid": True,
        "trusted": True,
        "covers_whole_file": True,
        "modified_after": False,
        "signer_subject": "CN=x",
        "signing_time": None,
        "summary": "s",
    }
    base.update(changes)
    return SignatureCheck(**base)


def test_rollup_rules() -> None:
    assert rollup_status([]) == "unsigned"
    assert rollup_status([_check()]) == "valid"
    assert rollup_status([_check(), _check(trusted=False)]) == "untrusted"
    assert rollup_status([_check(trusted=False), _check(intact=False)]) == "invalid"
    assert rollup_status([_check(valid=False)]) == "invalid"
    assert rollup_status([_check(modified_after=True)]) == "invalid"
    assert pdf_signature_status([_check(covers_whole_file=False)]) == "valid"


# --- a document that arrived signed, stamped and sealed here ------------------------------------


def _stamped_then_sealed(identity: SealIdentity, received_pdf: bytes) -> bytes:
    """What the built-in provider makes of a received PDF: a stamp revision, then the seal."""
    from app.pdf.stamp import Stamp, default_handwriting_font, stamp_pdf

    stamped = stamp_pdf(
        received_pdf,
        [Stamp(1, Rect(72, 600, 200, 50), "typed_signature", "Jane Doe")],
        default_handwriting_font(),
    )
    assert stamped.startswith(received_pdf)
    return seal_pdf(stamped, identity, reason=REASON)


def test_changes_sealed_by_a_trusted_seal_do_not_break_an_earlier_signature(
    identity: SealIdentity,
) -> None:
    countersigned = received.sign(make_pdf())
    erika, seal = verify_pdf_signatures(
        _stamped_then_sealed(identity, countersigned), identity.trust_roots_pem
    )
    assert erika.intact and erika.valid and not erika.trusted
    assert erika.content_changed_after
    assert not erika.modified_after
    assert erika.changes_sealed_by == identity.subject
    assert erika.summary == (
        "signature valid for the revision it signed, signer not trusted (CN=Erika Mustermann, "
        f"O=Beispiel GmbH); the changes after it are sealed by {identity.subject}"
    )
    assert seal.ok and seal.covers_whole_file
    assert rollup_status([erika, seal]) == "untrusted"  # Erika is not one of ours


def test_the_same_changes_without_a_trusted_seal_are_modifications(
    identity: SealIdentity, other_identity: SealIdentity
) -> None:
    countersigned = received.sign(make_pdf())
    sealed_elsewhere = _stamped_then_sealed(other_identity, countersigned)
    erika, seal = verify_pdf_signatures(sealed_elsewhere, identity.trust_roots_pem)
    assert not seal.trusted
    assert erika.modified_after and erika.changes_sealed_by is None
    assert "document modified after signing" in erika.summary
    assert rollup_status([erika, seal]) == "invalid"


def test_changes_after_the_seal_are_never_excused(identity: SealIdentity) -> None:
    sealed = _stamped_then_sealed(identity, received.sign(make_pdf()))
    from app.pdf.revision import incremental_bytes

    doc = _mu.open(stream=sealed, filetype="pdf")
    doc[0].insert_text((72, 300), "added after the seal")
    tampered = incremental_bytes(doc, sealed)
    doc.close()
    checks = verify_pdf_signatures(tampered, identity.trust_roots_pem)
    assert all(c.modified_after for c in checks)
    assert rollup_status(checks) == "invalid"


def test_a_certification_is_never_overridden(identity: SealIdentity) -> None:
    certified = received.sign(make_pdf(), certify=True)
    erika, seal = verify_pdf_signatures(
        _stamped_then_sealed(identity, certified), identity.trust_roots_pem
    )
    assert erika.modified_after and erika.changes_sealed_by is None
    assert rollup_status([erika, seal]) == "invalid"


def test_an_encrypted_sealed_pdf_is_read_with_the_empty_password(identity: SealIdentity) -> None:
    protected = pdfgen.encrypted_pdf(user_password="", source=make_pdf())
    sealed = _stamped_then_sealed(identity, protected)
    assert _mu.open(stream=sealed, filetype="pdf").metadata["encryption"]
    (check,) = verify_pdf_signatures(sealed, identity.trust_roots_pem)
    assert check.ok and check.covers_whole_file


def test_a_pdf_that_needs_a_password_is_reported_not_raised(identity: SealIdentity) -> None:
    (check,) = verify_pdf_signatures(pdfgen.encrypted_pdf(), identity.trust_roots_pem)
    assert check.kind == "unreadable"
    assert "needs a password to open" in check.summary
