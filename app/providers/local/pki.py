"""The installation identity: the key and certificates that seal PDFs signed on this computer.

On first use :func:`ensure_installation_identity` generates, entirely in memory:

* a small root CA (self-signed, ``CA:TRUE``, keyCertSign + cRLSign, 20 years), and
* a signing ("seal") certificate issued by it (digitalSignature + nonRepudiation, extended key
  usages documentSigning 1.3.6.1.4.1.311.10.3.12 and emailProtection, 10 years).

Both keys are EC P-256 (ECDSA with SHA-256): fast to generate, small signatures, and signed and
validated by pyHanko (and Acrobat) without trouble.

The random passphrase that protects the seal key is stored first, and only, in the
:class:`~app.secrets.SecretStore` (``local.seal_passphrase``); only then are the files written:

* ``ca.pem``: the root certificate (the trust anchor used when verifying archived PDFs),
* ``seal.pem``: the seal certificate,
* ``seal-key.pem``: the seal's private key, PKCS#8 encrypted with the passphrase, mode 0o600.

The CA's private key is discarded as soon as the seal certificate is issued: nothing can ever
issue another certificate under this root, so a stolen ``ca.pem`` is harmless and there is one
secret less to keep. When the seal certificate expires, a fresh identity (with a fresh root) is
generated and the old certificates move to ``retired/<UTC time>/``; their roots stay in
:attr:`SealIdentity.trust_roots_pem` so that PDFs sealed years ago still verify.

Users who prefer their own certificate can load a PKCS#12 file with
:func:`load_pkcs12_identity`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets as pysecrets
import socket
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.errors import SealSetupError, SecretNeededError, UserError
from app.pdf.signatures import describe_name
from app.providers.local.info import PKCS12_PASSWORD
from app.secrets import SecretStore, env_name
from app.wording import Alt, Text

PASSPHRASE_SECRET = "local.seal_passphrase"
CA_FILE = "ca.pem"
SEAL_CERT_FILE = "seal.pem"
SEAL_KEY_FILE = "seal-key.pem"
RETIRED_DIR = "retired"

DOCUMENT_SIGNING_OID = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
CA_VALIDITY = dt.timedelta(days=365 * 20 + 5)
SEAL_VALIDITY = dt.timedelta(days=365 * 10 + 2)
# Certificates start a little in the past so that a slightly wrong clock elsewhere does not
# make a fresh seal "not yet valid".
_BACKDATE = dt.timedelta(minutes=10)
# A seal certificate this close to its end is replaced rather than used.
_RENEW_MARGIN = dt.timedelta(days=1)

_PrivateKey: TypeAlias = (
    ec.EllipticCurvePrivateKey
    | rsa.RSAPrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)


@dataclass(frozen=True)
class SealIdentity:
    """Everything needed to seal a PDF and to verify the seal later.

    ``chain`` starts with the signing certificate and goes up towards the root;
    ``trust_roots_pem`` are the anchors a verifier should trust (PEM), including those of
    retired installation identities.
    """

    signer: Signer
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    trust_roots_pem: list[bytes]
    subject: str
    source: str = field(default="installation")
    #: Ends what the signer holds open (a smartcard's session); None when nothing is.
    closer: Callable[[], object] | None = field(default=None, compare=False, repr=False)

    def close(self) -> None:
        """Let go of what the signer holds (a token's session); the identity cannot sign
        afterwards. Harmless for a key held in memory, and when called twice."""
        if self.closer is not None:
            with contextlib.suppress(Exception):
                self.closer()

    @property
    def fingerprint_sha256(self) -> str:
        """The signing certificate's SHA-256 fingerprint, hex."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def not_valid_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc


# --------------------------------------------------------------------------------------------
# Installation identity
# --------------------------------------------------------------------------------------------


def ensure_installation_identity(
    directory: Path, secrets: SecretStore, *, common_name: str = "Sealbox installation"
) -> SealIdentity:
    """Load this installation's seal identity from ``directory``, creating it on first use.

    Raises :class:`UserError` when the files exist but the key cannot be unlocked, and lets
    :class:`~app.errors.UnavailableError` from the secret store propagate (no files are written
    then).
    """
    directory = Path(directory)
    paths = [directory / name for name in (CA_FILE, SEAL_CERT_FILE, SEAL_KEY_FILE)]
    present = [p for p in paths if p.exists()]
    if not present:
        return _generate_identity(directory, secrets, common_name=common_name)
    if len(present) != len(paths):
        missing = ", ".join(p.name for p in paths if not p.exists())
        raise UserError(
            f"The Sealbox seal in {directory} is incomplete ({missing} missing), so PDFs cannot "
            "be sealed; restore the folder from a backup, or move it aside to create a new seal."
        )

    identity = _load_installation_identity(directory, secrets)
    now = dt.datetime.now(dt.UTC)
    if identity.certificate.not_valid_after_utc - _RENEW_MARGIN <= now:
        _retire_current(directory, now)
        return _generate_identity(directory, secrets, common_name=common_name)
    return identity


def _load_installation_identity(directory: Path, secrets: SecretStore) -> SealIdentity:
    key_path = directory / SEAL_KEY_FILE
    passphrase = secrets.get(PASSPHRASE_SECRET)
    if not passphrase:
        raise UserError(
            f"The Sealbox seal key in {key_path} cannot be unlocked because its passphrase is "
            "missing from the OS keyring; restore the keyring entry "
            f"'{PASSPHRASE_SECRET}', or move the folder {directory} aside to create a new seal "
            "(PDFs sealed before will then need the old ca.pem to verify)."
        )
    try:
        ca_cert = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        seal_cert = x509.load_pem_x509_certificate((directory / SEAL_CERT_FILE).read_bytes())
        key_bytes = key_path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"The Sealbox seal in {directory} could not be read ({exc.strerror or exc}); check "
            "the folder's permissions."
        ) from exc
    except ValueError as exc:
        raise UserError(
            f"The Sealbox seal certificates in {directory} are damaged; restore them from a "
            "backup, or move the folder aside to create a new seal."
        ) from exc
    try:
        key = serialization.load_pem_private_key(key_bytes, password=passphrase.encode())
    except (ValueError, TypeError) as exc:
        raise UserError(
            f"The Sealbox seal key in {key_path} cannot be unlocked with the passphrase stored "
            f"in the OS keyring ('{PASSPHRASE_SECRET}'); restore the matching keyring entry, or "
            f"move the folder {directory} aside to create a new seal."
        ) from exc
    signing_key = _as_signing_key(key, key_path)
    if signing_key.public_key() != seal_cert.public_key():
        raise UserError(
            f"The Sealbox seal key in {key_path} does not belong to the certificate "
            f"{SEAL_CERT_FILE}; restore the folder from a backup, or move it aside to create a "
            "new seal."
        )
    roots = [ca_cert.public_bytes(serialization.Encoding.PEM), *_retired_roots(directory)]
    return _make_identity(signing_key, [seal_cert, ca_cert], roots, source="installation")


def installation_trust_roots(directory: Path) -> list[bytes]:
    """The PEM roots of this installation's current and retired identities (for verification
    without unlocking the key)."""
    directory = Path(directory)
    roots: list[bytes] = []
    ca_path = directory / CA_FILE
    if ca_path.exists():
        roots.append(ca_path.read_bytes())
    roots.extend(_retired_roots(directory))
    return roots


def _retired_roots(directory: Path) -> list[bytes]:
    retired = directory / RETIRED_DIR
    if not retired.is_dir():
        return []
    return [p.read_bytes() for p in sorted(retired.glob(f"*/{CA_FILE}"))]


def _retire_current(directory: Path, now: dt.datetime) -> None:
    """Move the expired certificates aside (their root stays trusted); drop the old key."""
    target = directory / RETIRED_DIR / now.strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=True)
    for name in (CA_FILE, SEAL_CERT_FILE):
        os.replace(directory / name, target / name)
    (directory / SEAL_KEY_FILE).unlink()


def _generate_identity(directory: Path, secrets: SecretStore, *, common_name: str) -> SealIdentity:
    host = socket.gethostname() or "localhost"
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _root_certificate(ca_key, _cn(f"{common_name} root — {host}"), now)
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_cert = _seal_certificate(seal_key, ca_key, ca_cert, _cn(f"Sealbox seal — {host}"), now)
    del ca_key  # never stored: nothing else is ever issued under this root

    # A passphrase already provided (SEALBOX_LOCAL_SEAL_PASSPHRASE where no keyring exists, or
    # one left in the keyring) is used as it is; otherwise a new one is made and stored.
    existing = secrets.get(PASSPHRASE_SECRET)
    passphrase = existing or pysecrets.token_urlsafe(32)
    key_pem = seal_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    seal_pem = seal_cert.public_bytes(serialization.Encoding.PEM)

    # The passphrase goes to the secret store before anything touches the disk: if the store is
    # unavailable, UnavailableError propagates and no file exists.
    if not existing:
        secrets.set(PASSPHRASE_SECRET, passphrase)
    _save_seal_files(
        directory,
        [
            (SEAL_KEY_FILE, key_pem, 0o600),
            (SEAL_CERT_FILE, seal_pem, 0o644),
            (CA_FILE, ca_pem, 0o644),
        ],
    )
    roots = [ca_pem, *_retired_roots(directory)]
    return _make_identity(seal_key, [seal_cert, ca_cert], roots, source="installation")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sealbox"),
        ]
    )


def _key_usage(*, signs_documents: bool) -> x509.KeyUsage:
    """A seal signs documents (and commits to their content); a root signs certificates and
    CRLs; neither does anything else."""
    return x509.KeyUsage(
        digital_signature=signs_documents,
        content_commitment=signs_documents,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signs_documents,
        crl_sign=not signs_documents,
        encipher_only=False,
        decipher_only=False,
    )


def _root_certificate(
    key: ec.EllipticCurvePrivateKey, common_name: str, now: dt.datetime
) -> x509.Certificate:
    """The installation's own root: self-signed, issuing only its seal certificate."""
    name = _name(common_name)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_documents=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _seal_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    now: dt.datetime,
) -> x509.Certificate:
    """The seal certificate for ``key``, issued by the root ``ca_cert``: document signing."""
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + SEAL_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_documents=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING_OID, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _save_seal_files(directory: Path, files: list[tuple[str, bytes, int]]) -> None:
    """Write each ``(name, data, mode)`` into ``directory``, all or none of them."""
    written: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, data, mode in files:
            path = directory / name
            atomic_write(path, data, mode=mode)
            written.append(path)
    except OSError as exc:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        raise UserError(
            f"The Sealbox seal could not be saved in {directory} ({exc.strerror or exc}); make "
            "sure the folder is writable and the disk is not full, then try again."
        ) from exc


def _cn(value: str) -> str:
    """X.509 caps a common name at 64 characters."""
    return value if len(value) <= 64 else value[:63] + "…"


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary file, fsync, rename)."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        # some file systems refuse fsync on directories; the rename is done all the same
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# A user's own PKCS#12
# --------------------------------------------------------------------------------------------


def load_pkcs12_identity(path: Path, passphrase: str | None) -> SealIdentity:
    """Load a seal identity from a PKCS#12 (``.p12``/``.pfx``) file.

    The trust roots are the self-signed certificates in the file; when the file carries no
    self-signed certificate, the top-most certificate of the chain is used as the anchor.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SealSetupError(
            f"The certificate file {path} does not exist; choose an existing .p12 or .pfx file.",
            part="file",
        ) from exc
    except OSError as exc:
        raise SealSetupError(
            f"The certificate file {path} could not be read ({exc.strerror or exc}); check that "
            "it is readable.",
            part="file",
        ) from exc

    if not _looks_like_pkcs12(data):
        raise SealSetupError(
            f"The file {path} is not a PKCS#12 certificate file; export your certificate with "
            "its private key as .p12 or .pfx and choose that file.",
            part="file",
        )
    password = passphrase.encode() if passphrase else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        if passphrase:
            raise SealSetupError(
                f"The password for {path} is wrong (or the file is damaged); enter the "
                "password that was set when the certificate was exported.",
                part="password",
            ) from exc
        raise SecretNeededError(
            Text(
                f"The certificate file {path} is protected by a password",
                Alt(
                    f" and none is given: set {env_name(PKCS12_PASSWORD)} for the command, or "
                    "keep it in the keyring with `sealbox login local`",
                    ": enter it to seal with this certificate",
                ),
                ".",
            ),
            secret=PKCS12_PASSWORD,
            asking=f"The password of the certificate file {path.name}",
        ) from exc
    if key is None:
        raise SealSetupError(
            f"The certificate file {path} holds no private key, so it cannot sign; export the "
            "certificate together with its private key.",
            part="file",
        )
    if cert is None:
        raise SealSetupError(
            f"The certificate file {path} holds a private key but no certificate for it; export "
            "the certificate together with its private key.",
            part="file",
        )
    signing_key = _as_signing_key(key, path)
    if signing_key.public_key() != cert.public_key():
        raise SealSetupError(
            f"The private key in {path} does not belong to its certificate; export the "
            "certificate together with its own private key.",
            part="file",
        )
    return identity_from_chain(
        cert,
        list(extra),
        lambda leaf, others: _simple_signer(signing_key, leaf, others),
        source=str(path),
    )


def identity_from_chain(
    certificate: x509.Certificate,
    others: Sequence[x509.Certificate],
    make_signer: Callable[[x509.Certificate, list[x509.Certificate]], Signer],
    *,
    source: str,
    closer: Callable[[], object] | None = None,
) -> SealIdentity:
    """A seal identity for ``certificate`` whose key is behind ``make_signer`` (called with the
    certificate and the other certificates to embed), with the chain built from ``others`` (the
    certificates that came with it: a PKCS#12 file's, a token's). The trust roots are the
    self-signed certificates among them; without one, the top-most certificate of the chain."""
    extra = _unique([c for c in others if c != certificate])
    chain = _order_chain(certificate, extra)
    roots = [c for c in [certificate, *extra] if _is_self_signed(c)] or [chain[-1]]
    return SealIdentity(
        signer=make_signer(certificate, _unique([*chain[1:], *extra])),
        certificate=certificate,
        chain=chain,
        trust_roots_pem=[c.public_bytes(serialization.Encoding.PEM) for c in _unique(roots)],
        subject=_subject_text(certificate),
        source=source,
        closer=closer,
    )


def _looks_like_pkcs12(data: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return bool(pfx["auth_safe"]["content_type"].native in ("data", "signed_data"))
    except (ValueError, TypeError, KeyError):
        return False


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _as_signing_key(key: object, where: Path) -> _PrivateKey:
    if isinstance(
        key,
        ec.EllipticCurvePrivateKey
        | rsa.RSAPrivateKey
        | ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey,
    ):
        return key
    raise UserError(
        f"The private key in {where} is of a kind that cannot sign PDFs "
        f"({type(key).__name__}); use an RSA or EC key."
    )


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _unique(certs: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out: list[x509.Certificate] = []
    for cert in certs:
        fp = cert.fingerprint(hashes.SHA256())
        if fp not in seen:
            seen.add(fp)
            out.append(cert)
    return out


def _order_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    """The leaf followed by its issuers as far as ``others`` allow."""
    chain = [leaf]
    pool = _unique([c for c in others if c != leaf])
    current = leaf
    while not _is_self_signed(current):
        issuer = next((c for c in pool if c.subject == current.issuer), None)
        if issuer is None:
            break
        chain.append(issuer)
        pool.remove(issuer)
        current = issuer
    return chain


def _subject_text(cert: x509.Certificate) -> str:
    return describe_name(cert.subject)


def _simple_signer(
    key: _PrivateKey, certificate: x509.Certificate, others: Sequence[x509.Certificate]
) -> SimpleSigner:
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # pyHanko lacks hints
    registry.register_multiple(translate_pyca_cryptography_cert_to_asn1(c) for c in others)
    return SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
    )


def _make_identity(
    key: _PrivateKey,
    chain: list[x509.Certificate],
    trust_roots_pem: list[bytes],
    *,
    source: str,
) -> SealIdentity:
    return SealIdentity(
        signer=_simple_signer(key, chain[0], chain[1:]),
        certificate=chain[0],
        chain=list(chain),
        trust_roots_pem=list(trust_roots_pem),
        subject=_subject_text(chain[0]),
        source=source,
    )
