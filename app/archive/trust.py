"""Roots the user trusts beyond this installation's own: ``sealbox archive trust``.

A CA certificate file (the office's CA, a provider's CA; PEM or DER, one or more certificates)
is imported as a copy, one PEM file per certificate named by its SHA-256 fingerprint, in a
``trusted/`` folder beside the seal folder, each written whole or not at all. Verification
(:func:`app.archive.audit.trust_roots`) trusts them as well as this installation's roots.
This installation's own root can be exported so that colleagues can import it in turn.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from app.config import Paths
from app.errors import NotFoundError, UserError
from app.fsutil import atomic_write_bytes, fsync_dir

log = logging.getLogger(__name__)

TRUSTED_DIR = "trusted"
#: The shortest fingerprint prefix ``trust remove`` takes (fewer would too easily match many).
MIN_PREFIX = 4
#: A certificate file larger than this is not a certificate file (refused before reading it).
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TrustedRoot:
    """One imported certificate: its subject, SHA-256 fingerprint (hex) and expiry."""

    subject: str
    fingerprint: str
    not_after: dt.datetime
    path: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "fingerprint": self.fingerprint,
            "notAfter": self.not_after.isoformat().replace("+00:00", "Z"),
            "expired": self.expired,
            "path": str(self.path),
        }

    @property
    def expired(self) -> bool:
        return self.not_after <= dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Added:
    added: list[TrustedRoot]
    already: list[TrustedRoot]


def trusted_dir(paths: Paths) -> Path:
    """The ``trusted/`` folder beside the seal folder."""
    return paths.seal_dir.parent / TRUSTED_DIR


def imported_roots(paths: Paths) -> list[bytes]:
    """The PEM of every imported root (for verification). A file in ``trusted/`` that is not a
    certificate (put there by hand, damaged) is left out and logged; ``trust list`` names it."""
    return [
        root.path.read_bytes()
        for root in _read_all(paths, on_bad=lambda p, why: log.warning("%s: %s", p, why))
    ]


def list_roots(paths: Paths) -> tuple[list[TrustedRoot], list[tuple[Path, str]]]:
    """The imported roots (by subject) and the files in ``trusted/`` that cannot be read."""
    bad: list[tuple[Path, str]] = []
    roots = _read_all(paths, on_bad=lambda p, why: bad.append((p, why)))
    return sorted(roots, key=lambda r: (r.subject.casefold(), r.fingerprint)), bad


def add(paths: Paths, source: Path) -> Added:
    """Import every certificate of ``source``: all of them, or none when one is not a CA."""
    certs = _certificates_in(source)
    for index, cert in enumerate(certs, 1):
        which = f"certificate {index} of {len(certs)} in" if len(certs) > 1 else ""
        where = f"{which} {source}".strip()
        problem = _not_a_ca(cert)
        if problem:
            raise UserError(
                f"{where} ({_subject(cert)}) is not a CA certificate ({problem}): import the "
                "certificate of the authority that issued the signing certificates instead."
            )
    directory = trusted_dir(paths)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        added, already = [], []
        for cert in _unique(certs):
            target = directory / f"{_fingerprint(cert)}.pem"
            if target.is_file() and _read_one(target) is not None:
                already.append(_describe(cert, target))
                continue
            atomic_write_bytes(target, cert.public_bytes(serialization.Encoding.PEM))
            added.append(_describe(cert, target))
    except OSError as exc:
        raise UserError(
            f"The certificate could not be saved in {directory} ({exc.strerror or exc}); make "
            "sure the folder is writable and the disk is not full, then try again."
        ) from exc
    return Added(added, already)


def remove(paths: Paths, prefix: str) -> TrustedRoot:
    """Stop trusting the one imported root whose fingerprint starts with ``prefix``."""
    wanted = prefix.replace(":", "").strip().lower()
    if len(wanted) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in wanted):
        raise UserError(
            f"{prefix!r} is not a fingerprint: give {MIN_PREFIX} or more of its hexadecimal "
            "characters, as `sealbox archive trust list` shows them."
        )
    roots, _ = list_roots(paths)
    matches = [r for r in roots if r.fingerprint.startswith(wanted)]
    if not matches:
        raise NotFoundError(
            f"No imported certificate has a fingerprint starting with {prefix!r}: "
            "`sealbox archive trust list` shows them."
        )
    if len(matches) > 1:
        raise UserError(
            f"{len(matches)} imported certificates have a fingerprint starting with {prefix!r} "
            f"({', '.join(m.subject for m in matches[:3])}): give more of it."
        )
    [root] = matches
    try:
        root.path.unlink()
        fsync_dir(root.path.parent)
    except OSError as exc:
        raise UserError(
            f"{root.path} could not be removed ({exc.strerror or exc}); make sure the folder is "
            "writable, then try again."
        ) from exc
    return root


def export_root(paths: Paths, dest: Path) -> tuple[Path, TrustedRoot]:
    """Write this installation's current root to ``dest`` (a file, or a folder to put
    ``sealbox-root.pem`` in), whole or not at all; never over an existing file."""
    from app.providers.local.pki import CA_FILE

    ca_path = paths.seal_dir / CA_FILE
    if not ca_path.is_file():
        raise UserError(
            "This installation has no root of its own yet: it is made the first time a document "
            "is sealed here (signing in person with the built-in provider), then export it."
        )
    cert = _read_one(ca_path)
    if cert is None:
        raise UserError(
            f"This installation's root {ca_path} cannot be read as a certificate: restore it "
            "from a backup of that folder, then export it again."
        )
    target = dest / "sealbox-root.pem" if dest.is_dir() else dest
    if target.exists():
        raise UserError(f"{target} already exists: choose another name or remove it first.")
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist: create it or choose another.")
    try:
        atomic_write_bytes(target, cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise UserError(
            f"{target} could not be written ({exc.strerror or exc}); choose a writable place."
        ) from exc
    return target, _describe(cert, target)


def _certificates_in(source: Path) -> list[x509.Certificate]:
    try:
        if source.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{source} is not a certificate file (it is larger than 1 MiB).")
        data = source.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{source} does not exist: give the path of a CA certificate.") from exc
    except IsADirectoryError as exc:
        raise UserError(f"{source} is a folder: give the path of a CA certificate file.") from exc
    except OSError as exc:
        raise UserError(f"{source} could not be read ({exc.strerror or exc}).") from exc
    certs = _parse(data)
    if not certs:
        raise UserError(
            f"{source} is not a certificate (PEM or DER): export the CA certificate from the "
            "authority or your browser as a .pem, .crt or .cer file and import that."
        )
    return certs


def _parse(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN" in data:
        try:
            return x509.load_pem_x509_certificates(data)
        except ValueError:
            return []
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return []


def _not_a_ca(cert: x509.Certificate) -> str | None:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "it does not say it is one"
    except ValueError as exc:
        return f"its extensions cannot be read: {exc}"
    if not constraints.ca:
        return "it is an end-entity certificate"
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return None if usage.key_cert_sign else "it may not sign certificates"


def _read_all(paths: Paths, *, on_bad: Callable[[Path, str], object]) -> list[TrustedRoot]:
    directory = trusted_dir(paths)
    if not directory.is_dir():
        return []
    roots: list[TrustedRoot] = []
    for path in sorted(directory.glob("*.pem")):
        if path.name.startswith("."):
            continue  # a temporary file of a write under way
        cert = _read_one(path)
        if cert is None:
            on_bad(path, "not a certificate")
            continue
        roots.append(_describe(cert, path))
    return roots


def _read_one(path: Path) -> x509.Certificate | None:
    try:
        certs = _parse(path.read_bytes())
    except OSError:
        return None
    return certs[0] if len(certs) == 1 else None


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: dict[str, x509.Certificate] = {}
    for cert in certs:
        seen.setdefault(_fingerprint(cert), cert)
    return list(seen.values())


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "no subject"


def _describe(cert: x509.Certificate, path: Path) -> TrustedRoot:
    return TrustedRoot(_subject(cert), _fingerprint(cert), cert.not_valid_after_utc, path)
