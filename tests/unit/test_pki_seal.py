"""The installation identity (app.providers.local.pki) and PAdES sealing (...local.seal)."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat
from io import BytesIO
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.errors import UnavailableError, UserError
from app.providers.local import pki
from app.providers.local.pki import (
    PASSPHRASE_SECRET,
    SealIdentity,
    ensure_installation_identity,
    load_pkcs12_identity,
)
from app.providers.local.seal import seal_pdf, seal_pdf_async
from app.secrets import MemorySecrets

_mu: Any = pymupdf


def make_pdf(text: str = "Charter handover BK-12345", pages: int = 1) -> bytes:
    doc = _mu.open()
    for n in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"{text} (page {n + 1})")
    data: bytes = doc.tobytes()
    doc.close()
    return data


def pyhanko_statuses(pdf: bytes, roots_pem: list[bytes]) -> list[Any]:
    """Validate with pyHanko directly (independent of app.archive.verify)."""
    roots = [asn1_x509.Certificate.load(pem.unarmor(r)[2]) for r in roots_pem]
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    out = []
    for sig in reader.embedded_signatures:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        out.append(validate_pdf_signature(sig, context))
    return out


class UnavailableSecrets(MemorySecrets):
    def set(self, name: str, value: str) -> None:
        raise UnavailableError("No OS keyring is available.")


@pytest.fixture(scope="module")
def seal_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MemorySecrets]:
    directory = tmp_path_factory.mktemp("seal")
    secrets = MemorySecrets()
    ensure_installation_identity(directory, secrets)
    return directory, secrets


@pytest.fixture(scope="module")
def identity(seal_home: tuple[Path, MemorySecrets]) -> SealIdentity:
    directory, secrets = seal_home
    return ensure_installation_identity(directory, secrets)


# --------------------------------------------------------------------------------------------
# Installation identity
# --------------------------------------------------------------------------------------------


def test_identity_is_generated_once_and_reloaded(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    first = ensure_installation_identity(tmp_path / "seal", secrets)
    second = ensure_installation_identity(tmp_path / "seal", secrets)

    assert first.fingerprint_sha256 == second.fingerprint_sha256
    assert first.trust_roots_pem == second.trust_roots_pem
    assert sorted(p.name for p in (tmp_path / "seal").iterdir()) == [
        "ca.pem",
        "seal-key.pem",
        "seal.pem",
    ]
    assert second.subject.startswith("CN=Sealbox seal — ")
    assert "O=Sealbox" in second.subject


def test_certificates_have_the_expected_profile(identity: SealIdentity) -> None:
    seal, root = identity.chain
    assert isinstance(seal.public_key(), ec.EllipticCurvePublicKey)
    assert seal.issuer == root.subject
    assert root.subject == root.issuer

    root_bc = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    root_ku = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert root_bc.ca
    assert root_ku.key_cert_sign
    assert root_ku.crl_sign
    root_years = (root.not_valid_after_utc - root.not_valid_before_utc).days / 365
    assert 19.9 < root_years < 20.1

    seal_bc = seal.extensions.get_extension_for_class(x509.BasicConstraints).value
    seal_ku = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    eku = seal.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert not seal_bc.ca
    assert seal_ku.digital_signature
    assert seal_ku.content_commitment
    assert pki.DOCUMENT_SIGNING_OID in list(eku)
    seal_years = (seal.not_valid_after_utc - seal.not_valid_before_utc).days / 365
    assert 9.9 < seal_years < 10.1
    assert seal.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Sealbox"

    root_pem = root.public_bytes(serialization.Encoding.PEM)
    assert identity.trust_roots_pem == [root_pem]
    assert identity.source == "installation"


def test_key_file_is_encrypted_and_private(seal_home: tuple[Path, MemorySecrets]) -> None:
    directory, secrets = seal_home
    key_path = directory / "seal-key.pem"
    key_pem = key_path.read_bytes()

    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)
    with pytest.raises(ValueError, match=r"(?i)decrypt|password"):
        serialization.load_pem_private_key(key_pem, password=b"not the passphrase")
    passphrase = secrets.get(PASSPHRASE_SECRET)
    assert passphrase
    serialization.load_pem_private_key(key_pem, password=passphrase.encode())
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600


def test_passphrase_lives_only_in_the_secret_store(seal_home: tuple[Path, MemorySecrets]) -> None:
    directory, secrets = seal_home
    passphrase = secrets.get(PASSPHRASE_SECRET)
    assert passphrase is not None
    assert len(passphrase) >= 40  # token_urlsafe(32)
    for path in directory.rglob("*"):
        if path.is_file():
            assert passphrase.encode() not in path.read_bytes(), path


def test_no_ca_private_key_is_kept(seal_home: tuple[Path, MemorySecrets]) -> None:
    directory, _ = seal_home
    keys = [p for p in directory.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert [p.name for p in keys] == ["seal-key.pem"]


def test_missing_passphrase_is_a_user_error(seal_home: tuple[Path, MemorySecrets]) -> None:
    directory, _ = seal_home
    with pytest.raises(UserError, match="cannot be unlocked") as info:
        ensure_installation_identity(directory, MemorySecrets())
    assert "keyring" in str(info.value)
    assert not isinstance(info.value, UnavailableError)


def test_wrong_passphrase_is_a_user_error(seal_home: tuple[Path, MemorySecrets]) -> None:
    directory, _ = seal_home
    wrong = MemorySecrets({PASSPHRASE_SECRET: "definitely-not-it"})
    with pytest.raises(UserError, match="cannot be unlocked"):
        ensure_installation_identity(directory, wrong)


def test_unavailable_secret_store_writes_no_files(tmp_path: Path) -> None:
    directory = tmp_path / "seal"
    with pytest.raises(UnavailableError):
        ensure_installation_identity(directory, UnavailableSecrets())
    assert not directory.exists() or not any(directory.iterdir())


def test_incomplete_identity_is_a_user_error(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    directory = tmp_path / "seal"
    ensure_installation_identity(directory, secrets)
    (directory / "seal.pem").unlink()
    with pytest.raises(UserError, match=r"incomplete \(seal.pem missing\)"):
        ensure_installation_identity(directory, secrets)


def test_expiring_identity_is_renewed_and_old_root_stays_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = MemorySecrets()
    directory = tmp_path / "seal"
    old = ensure_installation_identity(directory, secrets)
    old_signed = seal_pdf(make_pdf(), old, reason="before renewal")

    # Pretend the ten-year certificate is about to run out.
    monkeypatch.setattr(pki, "_RENEW_MARGIN", dt.timedelta(days=365 * 11))
    new = ensure_installation_identity(directory, secrets)
    monkeypatch.undo()

    assert new.fingerprint_sha256 != old.fingerprint_sha256
    assert old.trust_roots_pem[0] in new.trust_roots_pem
    assert len(new.trust_roots_pem) == 2
    retired = list((directory / "retired").glob("*/ca.pem"))
    assert len(retired) == 1
    assert not list((directory / "retired").glob("*/*key*"))
    assert pki.installation_trust_roots(directory) == new.trust_roots_pem
    # Documents sealed by the old identity still chain to a trusted root.
    (status,) = pyhanko_statuses(old_signed, new.trust_roots_pem)
    assert status.trusted
    # And the renewed identity reloads without renewing again.
    assert ensure_installation_identity(directory, secrets).fingerprint_sha256 == (
        new.fingerprint_sha256
    )


# --------------------------------------------------------------------------------------------
# Sealing
# --------------------------------------------------------------------------------------------


def test_sealed_pdf_validates_with_pyhanko(identity: SealIdentity) -> None:
    original = make_pdf()
    sealed = seal_pdf(original, identity, reason="Signed in person", location="Front desk")

    assert sealed.startswith(original)  # an incremental update: the original bytes are kept
    (status,) = pyhanko_statuses(sealed, identity.trust_roots_pem)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"

    reader = PdfFileReader(BytesIO(sealed), strict=False)
    (sig,) = reader.embedded_signatures
    assert sig.field_name == "SealboxSeal"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.sig_object["/Reason"] == "Signed in person"
    assert sig.sig_object["/Location"] == "Front desk"
    assert [float(v) for v in sig.sig_field["/Rect"]] == [0, 0, 0, 0]  # invisible


def test_sealing_an_already_signed_pdf_adds_a_second_signature(identity: SealIdentity) -> None:
    once = seal_pdf(make_pdf(pages=2), identity, reason="first")
    twice = seal_pdf(once, identity, reason="second")

    first, second = pyhanko_statuses(twice, identity.trust_roots_pem)
    assert first.intact
    assert first.valid
    assert first.trusted
    assert first.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert first.docmdp_ok
    assert second.intact
    assert second.valid
    assert second.trusted
    assert second.coverage == SignatureCoverageLevel.ENTIRE_FILE
    names = [s.field_name for s in PdfFileReader(BytesIO(twice)).embedded_signatures]
    assert names == ["SealboxSeal", "SealboxSeal2"]


def test_seal_pdf_refuses_to_run_inside_an_event_loop(identity: SealIdentity) -> None:
    pdf = make_pdf()

    async def inside_loop() -> bytes:
        with pytest.raises(RuntimeError, match="seal_pdf_async"):
            seal_pdf(pdf, identity, reason="x")
        return await seal_pdf_async(pdf, identity, reason="x")

    sealed = asyncio.run(inside_loop())
    (status,) = pyhanko_statuses(sealed, identity.trust_roots_pem)
    assert status.bottom_line


def test_sealing_garbage_is_a_user_error(identity: SealIdentity) -> None:
    with pytest.raises(UserError, match="could not be read"):
        seal_pdf(b"this is not a PDF", identity, reason="x")


# --------------------------------------------------------------------------------------------
# A user's own PKCS#12
# --------------------------------------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _make_p12(directory: Path, passphrase: bytes | None) -> tuple[Path, x509.Certificate]:
    """A root CA and an end-entity certificate, bundled the way a user would export them."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Example Test Root"))
        .issuer_name(_name("Example Test Root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Jane Doe"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    data = pkcs12.serialize_key_and_certificates(b"jane", key, cert, [root], encryption)
    path = directory / "jane.p12"
    path.write_bytes(data)
    return path, root


def test_pkcs12_identity_seals_and_validates(tmp_path: Path) -> None:
    path, root = _make_p12(tmp_path, b"s3cret")
    identity = load_pkcs12_identity(path, "s3cret")

    assert identity.subject == "CN=Jane Doe"
    assert [c.subject for c in identity.chain] == [_name("Jane Doe"), root.subject]
    assert identity.trust_roots_pem == [root.public_bytes(serialization.Encoding.PEM)]
    sealed = seal_pdf(make_pdf(), identity, reason="signed with my own certificate")
    (status,) = pyhanko_statuses(sealed, identity.trust_roots_pem)
    assert status.intact
    assert status.valid
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_pkcs12_without_passphrase(tmp_path: Path) -> None:
    path, _ = _make_p12(tmp_path, None)
    assert load_pkcs12_identity(path, None).subject == "CN=Jane Doe"


def test_pkcs12_wrong_passphrase_is_a_user_error(tmp_path: Path) -> None:
    path, _ = _make_p12(tmp_path, b"s3cret")
    with pytest.raises(UserError, match=r"password for .* is wrong"):
        load_pkcs12_identity(path, "guess")
    with pytest.raises(UserError, match="protected by a password"):
        load_pkcs12_identity(path, None)


def test_pkcs12_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_pkcs12_identity(tmp_path / "nope.p12", "x")


def test_not_a_pkcs12_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "cert.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(UserError, match="not a PKCS#12"):
        load_pkcs12_identity(path, "x")


def test_pkcs12_without_private_key_is_a_user_error(tmp_path: Path) -> None:
    _, root = _make_p12(tmp_path, None)
    path = tmp_path / "certs-only.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"certs", None, None, [root], serialization.BestAvailableEncryption(b"pw")
        )
    )
    with pytest.raises(UserError, match="no private key"):
        load_pkcs12_identity(path, "pw")
