"""The built-in ``local`` provider: recipients sign in person on this computer.

Nothing leaves the machine. ``create`` marks the request sent; each recipient then signs (or
approves, or declines) in signing order through :mod:`app.services.in_person`; when the last
one has signed, every value is stamped into the PDF, the result is sealed with a PAdES signature
by the installation certificate, and a sealed completion certificate is written beside it. The
"download" of this provider copies those two files from ``DATA/local/<id>/``.

Its :meth:`~LocalProvider.check_connection` touches no network: it checks that the seal can be
used, as :mod:`app.providers.local.choice` reads it from the ``setting``s of its configuration:
a PKCS#12 file opened with the ``pkcs12_passphrase`` credential, a smartcard or token logged in
to with ``pkcs11_pin`` (the key and certificate found, then the session closed), or the
installation seal in ``DATA/seal/`` unlocked with ``seal_passphrase`` (keyring
``local.seal_passphrase``). It creates nothing: a seal that does not exist yet is made at the
first signing, and one that has expired is renewed then.

The archive indexes the words of every signed PDF for search. Reading the text of a long document
takes a while (about 1 ms a page), so this provider reads the original's text when the request
is created (:data:`ORIGINAL_TEXT_NAME`), and finalizing writes the signed document's text from it
and the stamped values (:data:`SEARCH_TEXT_NAME`, tied to the signed PDF by its SHA-256): the
last signature, with a signer waiting at the computer, does not read the whole document again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

from app.config import Paths
from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.errors import UserError
from app.fsutil import atomic_copy, atomic_write_bytes
from app.pdf.document import PdfInfo, extract_text
from app.providers.base import ProviderConfig, capability_problems, delivery_warnings
from app.providers.local.info import CAPABILITIES

log = logging.getLogger(__name__)

SIGNED_NAME = "signed.pdf"
CERTIFICATE_NAME = "certificate.pdf"
#: The text of the document as sent (for the archive's search).
ORIGINAL_TEXT_NAME = "original.txt"
#: The text of the signed document: a first line ``sha256 <hex of signed.pdf>``, then the text.
SEARCH_TEXT_NAME = "signed.txt"
READY = "Ready: signing on this computer"
#: The installation seal's files (as ``app.providers.local.pki`` names them).
SEAL_FILES = ("ca.pem", "seal.pem", "seal-key.pem")
#: A seal certificate this close to its end is renewed at the next signing (as in ``pki``).
RENEW_MARGIN = dt.timedelta(days=1)


class NotReadyError(UserError):
    """The signed document does not exist yet."""


class LocalProvider:
    capabilities = CAPABILITIES

    def __init__(self, paths: Paths, config: ProviderConfig | None = None) -> None:
        self.paths = paths
        #: The seal's setting and passphrases; without it the seal is not checked.
        self.config = config

    def result_dir(self, request_id: str) -> Path:
        return self.paths.local_dir / request_id

    def configuration_problem(self) -> str | None:
        return None

    async def check_connection(self) -> str:
        # Unlocking a key and importing pyHanko take a moment: not on the event loop's thread.
        return await asyncio.to_thread(self._check_seal)

    def _check_seal(self) -> str:
        if self.config is None:
            return f"{READY}."
        # pyHanko (under pki) takes a good part of a second to import: only when there is a seal.
        from cryptography import x509

        from app.providers.local.choice import INSTALLATION, SealChoice, open_seal_identity

        choice = SealChoice.read(self.config.setting)
        if choice.source != INSTALLATION:
            identity = open_seal_identity(
                choice, self.paths.seal_dir, _ReadOnlySecrets(self.config)
            )
            try:
                until = identity.not_valid_after
                where = "the token" if choice.source == "pkcs11" else "the certificate"
                return (
                    f"{READY}, sealed with {where} of {identity.subject} (valid until "
                    f"{until:%Y-%m-%d})."
                )
            finally:
                identity.close()
        directory = self.paths.seal_dir
        present = [name for name in SEAL_FILES if (directory / name).exists()]
        if not present:
            return f"{READY} (its seal certificate is made at the first signing)."
        if len(present) == len(SEAL_FILES):
            try:
                cert = x509.load_pem_x509_certificate((directory / "seal.pem").read_bytes())
            except (OSError, ValueError):
                cert = None  # reported by the full check below
            soon = dt.datetime.now(dt.UTC) + RENEW_MARGIN
            if cert is not None and cert.not_valid_after_utc <= soon:
                return (
                    f"{READY} (its seal certificate is at its end and is renewed at the next "
                    "signing)."
                )
        # All present and current (only loads), or some missing (refused before any write).
        from app.providers.local.pki import ensure_installation_identity

        identity = ensure_installation_identity(directory, _ReadOnlySecrets(self.config))
        return (
            f"{READY}, sealed by this installation's certificate (valid until "
            f"{identity.not_valid_after:%Y-%m-%d})."
        )

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(self.capabilities, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        return capability_problems(self.capabilities, spec, pdf)

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        # The request id is the idempotency key's scope: creating twice changes nothing.
        await asyncio.to_thread(self._keep_text, request.id, pdf.path)
        return Report(
            status=Status.SENT,
            provider_id=request.id,
            payload={"event": "created", "idempotencyKey": idempotency_key},
        )

    async def refresh(self, request: Request) -> Report:
        if request.is_overdue(now()):
            return Report(
                status=Status.EXPIRED,
                error_message="The request expired before everyone had signed.",
                payload={"event": "expired"},
            )
        return Report(status=request.status)

    async def reconcile(self, request: Request) -> Report | None:
        return Report(status=Status.SENT, provider_id=request.id)

    async def cancel(self, request: Request, reason: str | None) -> Report:
        return Report(
            status=Status.CANCELLED,
            error_message=reason,
            payload={"event": "cancelled", "reason": reason},
        )

    def keep_text(self, request_id: str, text: str) -> None:
        """Keep the text of the document as sent (already read, e.g. to find its anchors)."""
        atomic_write_bytes(
            self.result_dir(request_id) / ORIGINAL_TEXT_NAME, text.encode("utf-8"), mode=0o600
        )

    def _keep_text(self, request_id: str, document: Path) -> None:
        """Read the document's text now unless it was kept when sending, for the archive's
        search (see the module docstring); without it the archive reads the signed PDF."""
        if (self.result_dir(request_id) / ORIGINAL_TEXT_NAME).exists():
            return
        try:
            text = extract_text(document)
        except (UserError, OSError) as exc:
            log.warning("text of request %s not kept: %s", request_id, exc)
            return
        self.keep_text(request_id, text)

    def original_text(self, request_id: str) -> str | None:
        path = self.result_dir(request_id) / ORIGINAL_TEXT_NAME
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def search_text(self, request_id: str, signed_sha256: str) -> str | None:
        """The text of the signed PDF whose SHA-256 is ``signed_sha256``, if finalizing wrote
        it; None otherwise (then the PDF itself is read)."""
        path = self.result_dir(request_id) / SEARCH_TEXT_NAME
        try:
            head, _, text = path.read_text(encoding="utf-8").partition("\n")
        except (OSError, UnicodeDecodeError):
            return None
        return text if head == f"sha256 {signed_sha256}" else None

    async def download_signed(self, request: Request, dest: Path) -> None:
        self._copy(request, SIGNED_NAME, dest)

    async def download_certificate(self, request: Request, dest: Path) -> None:
        self._copy(request, CERTIFICATE_NAME, dest)

    def _copy(self, request: Request, name: str, dest: Path) -> None:
        source = self.result_dir(request.id) / name
        if not source.exists():
            raise NotReadyError(
                f"The signed files of {request.name!r} are not ready yet: every "
                "signer must sign first."
            )
        atomic_copy(source, dest)

    async def aclose(self) -> None:
        return None


class _ReadOnlySecrets:
    """The seal's passphrase through the provider's configuration; the check writes nothing."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def get(self, name: str) -> str | None:
        return self.config.credential(name.removeprefix("local."))

    def set(self, name: str, value: str) -> None:
        raise RuntimeError("the seal check stores no secrets")

    def delete(self, name: str) -> None:
        raise RuntimeError("the seal check deletes no secrets")
