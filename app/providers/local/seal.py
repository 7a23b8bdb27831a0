"""PAdES sealing: an invisible PAdES baseline B-B signature by the installation certificate.

There is no network on this path, so no timestamp server: the signing time in the signature is
the one this computer claims (a signed attribute, covered by the signature).

pyHanko's signing API is async at heart; its synchronous wrappers call ``asyncio.run``. So:

* :func:`seal_pdf` is for code that runs without an event loop (the command line, a worker
  thread such as ``asyncio.to_thread(seal_pdf, ...)``); it refuses to run inside a running loop;
* :func:`seal_pdf_async` is for code inside the event loop (it blocks the loop while hashing and
  signing, which takes milliseconds for ordinary PDFs).

A PDF encrypted with a permissions password only (it opens with the empty user password) is
sealed with its encryption kept, as the standard requires of an incremental update; one that
needs a password to open is refused.
"""

from __future__ import annotations

import asyncio
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.api import TimeStamper

from app.errors import UserError
from app.providers.local.pki import SealIdentity

__all__ = ["seal_pdf", "seal_pdf_async", "update_writer"]


def seal_pdf(
    pdf_bytes: bytes,
    identity: SealIdentity,
    *,
    reason: str,
    location: str | None = None,
    field_name: str = "SealboxSeal",
) -> bytes:
    """Return ``pdf_bytes`` with an invisible PAdES signature appended as a new revision.

    The signature covers the whole returned file. A PDF that already carries signatures gets a
    further incremental signature (in a new field when ``field_name`` is taken).
    Raises :class:`UserError` when the PDF cannot be read or is encrypted, and
    :class:`RuntimeError` when called inside a running event loop (use
    :func:`seal_pdf_async` there).
    """
    if _loop_is_running():
        raise RuntimeError(
            "seal_pdf() cannot run inside a running event loop; "
            "await seal_pdf_async() or call seal_pdf() from a worker thread."
        )
    return asyncio.run(
        seal_pdf_async(pdf_bytes, identity, reason=reason, location=location, field_name=field_name)
    )


async def seal_pdf_async(
    pdf_bytes: bytes,
    identity: SealIdentity,
    *,
    reason: str,
    location: str | None = None,
    field_name: str = "SealboxSeal",
    timestamper: TimeStamper | None = None,
) -> bytes:
    """The async form of :func:`seal_pdf`; with ``timestamper`` the signature carries a
    signature timestamp from that authority (PAdES B-T), and its errors propagate."""
    writer = update_writer(pdf_bytes)

    meta = signers.PdfSignatureMetadata(
        field_name=_free_field_name(writer, field_name),
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        # Only the seal identity's usages matter; pyHanko checks them only when given a
        # validation context, which sealing does not use (verification is separate).
        signer_key_usage={"digital_signature", "non_repudiation"},
    )
    pdf_signer = signers.PdfSigner(meta, signer=identity.signer, timestamper=timestamper)
    out = BytesIO()
    try:
        await pdf_signer.async_sign_pdf(writer, output=out)
    except (SigningError, PdfError) as exc:
        raise UserError(
            f"The PDF could not be sealed ({exc}); check that the file is a complete, "
            "undamaged PDF without a certification that forbids changes."
        ) from exc
    return out.getvalue()


class _InlineEncrypt(generic.DictionaryObject):
    """An /Encrypt dictionary written inline in the trailer (as MuPDF writes it). pyHanko's
    writer expects an indirect one and compares object numbers with it; no object has this
    number, so every object of the update is encrypted, as it must be."""

    idnum = -1


def _open_encrypted(writer: IncrementalPdfFileWriter) -> None:
    """Authenticate with the empty user password, so the seal's revision is encrypted like the
    rest of the file; refuse a file that needs a password to open."""
    try:
        result = writer.encrypt(b"")  # type: ignore[no-untyped-call]  # pyHanko lacks hints
    except (PdfError, ValueError, NotImplementedError) as exc:
        raise UserError(
            "The PDF is encrypted in a way Sealbox cannot read, so it cannot be sealed: ask the "
            "sender for a copy without encryption and try again."
        ) from exc
    if result.status == AuthStatus.FAILED:
        raise UserError(
            "The PDF needs a password to open, so it cannot be sealed: ask the sender for a "
            "copy that opens without a password and try again."
        )
    # pyHanko's writer keeps the /Encrypt it found; MuPDF writes it inline (not as an object).
    encrypt = writer._encrypt
    if isinstance(encrypt, generic.DictionaryObject) and not isinstance(encrypt, _InlineEncrypt):
        writer._encrypt = _InlineEncrypt(encrypt)


def update_writer(pdf_bytes: bytes) -> IncrementalPdfFileWriter:
    """A pyHanko writer that appends a revision to ``pdf_bytes`` (opened with the empty user
    password when the file has a permissions password only, so the revision is encrypted like
    the rest). Raises :class:`UserError` for a file that cannot be read or needs a password."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise UserError(
            f"The PDF could not be sealed because it could not be read ({exc}); "
            "check that the file is a complete, undamaged PDF."
        ) from exc
    if writer.prev.encrypted:
        _open_encrypted(writer)
    return writer


def _loop_is_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _free_field_name(writer: IncrementalPdfFileWriter, wanted: str) -> str:
    """``wanted`` unless a filled signature field already has that name; then ``wanted2``,
    ``wanted3``..."""
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer, filled_status=True)}
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}{n}" in taken:
        n += 1
    return f"{wanted}{n}"
