"""Where the roots that verification trusts come from.

Verification (:mod:`app.archive.verify`) trusts, for signatures:

* **installation**: this installation's own root (current and retired);
* **imported**: the CA certificates the user imported (``sealbox archive trust add``);
* **system**: the operating system's trust store, only where the user chose it
  (``[trust] system = true`` in the settings file, or the Settings dialog); off by default,
  since a public authority vouching for someone is not the office vouching for them;

and, for timestamps only, the timestamp authority's CA file (``[timestamp] ca_file``): an office
TSA's root is trusted to date documents, not to sign them.

:class:`TrustRoots` holds them apart, and reads as one sequence of PEM/DER blobs (the roots for
signatures) wherever a plain list of roots is expected; :meth:`TrustRoots.source_of` says which
source a root came from, so a check can say who vouches for a signer.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, overload

log = logging.getLogger(__name__)

TrustSource = Literal["installation", "imported", "system", "timestamp"]

#: The system's CA bundle, by platform, first found wins. Linux distributions keep one PEM file
#: (Debian and Ubuntu's ``update-ca-certificates`` writes the first; Fedora/RHEL, openSUSE and
#: Alpine/Arch the others). macOS keeps its roots in the Keychain, exported to /etc/ssl/cert.pem;
#: where that file is missing, certifi's copy of the Mozilla list (installed with httpx) stands
#: in. Windows has no file: its "ROOT" store is read through :func:`ssl.enum_certificates`.
SYSTEM_BUNDLES: Mapping[str, tuple[str, ...]] = {
    "linux": (
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ),
    "darwin": ("/etc/ssl/cert.pem",),
}


@dataclass(frozen=True)
class SystemStore:
    """The operating system's trusted roots: where they were read from, and the blobs."""

    where: str | None
    roots: tuple[bytes, ...]

    def count(self) -> int:
        """How many certificates it holds (counted, not parsed: cheap enough for a dialog)."""
        marker = b"-----BEGIN CERTIFICATE-----"
        return sum(blob.count(marker) if marker in blob else 1 for blob in self.roots)


def system_trust_store(platform: str | None = None) -> SystemStore:
    """The operating system's trusted root certificates (PEM or DER blobs); empty when none
    can be found. The one place that knows where each platform keeps them: OpenSSL's own
    default first (which honours ``SSL_CERT_FILE``), then :data:`SYSTEM_BUNDLES`."""
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return SystemStore("the Windows certificate store", _windows_roots())
    key = "darwin" if platform == "darwin" else "linux"
    default = ssl.get_default_verify_paths().cafile
    candidates = [*([default] if default else []), *SYSTEM_BUNDLES[key]]
    for candidate in dict.fromkeys(candidates):
        try:
            data = Path(candidate).read_bytes()
        except OSError:
            continue
        if b"-----BEGIN CERTIFICATE-----" in data:
            return SystemStore(candidate, (data,))
    if key == "darwin":
        return _certifi_roots()
    return SystemStore(None, ())


def _windows_roots() -> tuple[bytes, ...]:
    enum = getattr(ssl, "enum_certificates", None)  # Windows only
    if enum is None:
        return ()
    return tuple(bytes(der) for der, encoding, _trust in enum("ROOT") if encoding == "x509_asn")


def _certifi_roots() -> SystemStore:
    try:
        import certifi
    except ImportError:
        return SystemStore(None, ())
    where = certifi.where()
    return SystemStore(where, (Path(where).read_bytes(),))


def system_trust_chosen(settings_trust: Mapping[str, Any]) -> bool:
    """Whether ``[trust] system`` is on (a boolean; anything else counts as off)."""
    return settings_trust.get("system") is True


@dataclass(frozen=True)
class TrustRoots(Sequence[bytes]):
    """The roots verification trusts, kept by source. As a sequence: the roots for signatures
    (installation, imported, system); :attr:`for_timestamps` adds the TSA's CA file."""

    installation: tuple[bytes, ...] = ()
    imported: tuple[bytes, ...] = ()
    system: tuple[bytes, ...] = ()
    timestamp: tuple[bytes, ...] = ()

    @cached_property
    def _signature_roots(self) -> tuple[bytes, ...]:
        return (*self.installation, *self.imported, *self.system)

    @property
    def for_timestamps(self) -> tuple[bytes, ...]:
        return (*self._signature_roots, *self.timestamp)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        return self._signature_roots[index]

    def __len__(self) -> int:
        return len(self._signature_roots)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._signature_roots)

    @cached_property
    def _sources(self) -> dict[str, TrustSource]:
        # The first source wins: this installation's root stays "installation" when it was
        # also imported.
        out: dict[str, TrustSource] = {}
        for source, blobs in (
            ("installation", self.installation),
            ("imported", self.imported),
            ("system", self.system),
            ("timestamp", self.timestamp),
        ):
            for der in _ders(blobs):
                out.setdefault(hashlib.sha256(der).hexdigest(), source)  # type: ignore[arg-type]
        return out

    @cached_property
    def signature_certs(self) -> list[Any]:
        """The roots for signatures, parsed once (asn1crypto certificates)."""
        return _parsed(self._signature_roots)

    @cached_property
    def timestamp_certs(self) -> list[Any]:
        """The roots for timestamps, parsed once (asn1crypto certificates)."""
        return [*self.signature_certs, *_parsed(self.timestamp)]

    def source_of(self, der: bytes) -> TrustSource | None:
        """Where the root certificate ``der`` (DER bytes) comes from; None if not one of them."""
        return self._sources.get(hashlib.sha256(der).hexdigest())


def root_source(trusted: bool, sources: TrustRoots | None, status: Any) -> TrustSource | None:
    """Where the root of a trusted signer's (or timestamp's) chain comes from, given pyHanko's
    status of its validation (its ``validation_path``)."""
    from asn1crypto import x509 as asn1_x509

    path = getattr(status, "validation_path", None)
    if not trusted or sources is None or path is None:
        return None
    try:
        root = path.first
    except (AttributeError, IndexError):
        return None
    return sources.source_of(root.dump()) if isinstance(root, asn1_x509.Certificate) else None


def _ders(blobs: Sequence[bytes]) -> Iterator[bytes]:
    from pyhanko.keys import load_certs_from_pemder_data

    for blob in blobs:
        try:
            yield from (cert.dump() for cert in load_certs_from_pemder_data(bytes(blob)))
        except ValueError:
            log.warning("a trust root is not a PEM or DER certificate: left out")


def _parsed(blobs: Sequence[bytes]) -> list[Any]:
    from asn1crypto import x509 as asn1_x509

    return [asn1_x509.Certificate.load(der) for der in _ders(blobs)]


def read_ca_file(value: object) -> tuple[bytes, ...]:
    """The timestamp authority's CA file (``[timestamp] ca_file``) for verification: its bytes,
    or nothing when it is not set or cannot be read (sealing says why; verification then simply
    does not trust that authority)."""
    text = str(value or "").strip()
    if not text:
        return ()
    try:
        return (Path(text).expanduser().read_bytes(),)
    except OSError as exc:
        log.warning("the timestamp authority's CA file %s could not be read: %s", text, exc)
        return ()
