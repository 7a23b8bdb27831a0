"""Offline validation of the signatures inside archived PDFs.

Policy, chosen so that ``sealbox archive verify`` gives the same answer years later with no
network:

* **Trust** comes only from the roots the caller passes (``trust_roots_pem``, PEM or DER; a
  :class:`~app.archive.trust_sources.TrustRoots` also says where each root comes from, and adds
  the timestamp authority's CA for timestamps only). The operating system's trust list is
  consulted only when the user chose it (it is then among those roots), and certificates
  embedded in the PDF help build the chain but are never trusted by themselves.
* **No network, ever**: ``allow_fetching=False``; no CRL, OCSP or AIA fetching.
* **Revocation**: ``soft-fail``. Missing revocation data is not an error: the installation CA
  publishes no CRL or OCSP (its key is destroyed after issuing the seal certificate), and
  fetching is impossible offline. The revocation data a long-term seal carries in its DSS is
  read (:mod:`app.archive.revocation`): a signer whose certificate it says was revoked before
  the signing time is reported ``revoked`` (and not trusted).
* **Expiry**: a signature is first validated at the current time (or ``at``). When the only
  trust problem is that a certificate has expired *after* the signing time recorded in the
  signature (a signed attribute, so covered by the signature), the chain is validated again at
  that signing time; the check is then ``trusted`` with ``expired_since_signing=True``. There is
  no timestamp authority offline, so that time is the one claimed by the signer's computer.
  A document timestamp whose authority's certificate has expired since is judged at the time
  of the next timestamp, when that one holds (renewal: :mod:`app.archive.renewal`).
* **Key usage**: the signer's certificate must allow digitalSignature or nonRepudiation.
* **Modifications**: pyHanko's difference analysis judges revisions added after a signature.
  Further signatures and form filling are allowed; anything else (annotations included: they
  change what a reader sees) counts as ``modified_after``, unless a later signature that is
  intact, valid, trusted and covers the whole file vouches for those changes: a document that
  arrived signed, then had the built-in provider's values stamped on it in a later revision and
  sealed by this installation. The earlier signature is then valid *for the revision it
  signed* (what its signer saw is still in the file, byte for byte), and its check names the
  seal that covers what came after (``changes_sealed_by``). A DocMDP certification that forbids
  the changes is never overridden. Bytes appended without a new revision are reported
  (``covers_whole_file=False``) but are not a modification.
* **Encryption**: a file encrypted with a permissions password only is read with the empty user
  password; one that needs a password to open is reported as unreadable.

Damaged or unreadable files never raise: they come back as one check that is not intact, with
a summary that says why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import Any, Literal, overload

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from app.archive.renewal import credit_renewed
from app.archive.revocation import RevocationFinding, revocation_status
from app.archive.summaries import summary as _summary
from app.archive.trust_sources import TrustRoots, TrustSource, root_source
from app.pdf.signatures import describe_name

__all__ = [
    "PdfSource",
    "SignatureCheck",
    "SignatureStatus",
    "describe_name",
    "pdf_signature_status",
    "rollup_status",
    "trust_word",
    "verify_pdf_signatures",
    "verify_pdf_signatures_async",
]

log = logging.getLogger(__name__)

SignatureStatus = Literal["valid", "untrusted", "invalid", "unsigned"]
PdfSource = bytes | bytearray | memoryview | str | os.PathLike[str]

# What pyHanko, asn1crypto and the file system raise on damaged or hostile input. The
# Python built-ins are here because the parsers raise them on malformed structures.
_DAMAGED_INPUT_ERRORS: tuple[type[Exception], ...] = (
    PdfError,
    SignatureValidationError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    NotImplementedError,
    OSError,
)

_ALLOWED_LATER_CHANGES = {
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
}

_EXPIRY_INDICATIONS = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
}

_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signature (or document timestamp) of a PDF."""

    field_name: str
    intact: bool
    """The hash of the signed bytes matches the hash that was signed."""
    valid: bool
    """The signature itself is cryptographically valid."""
    trusted: bool
    """The signer's certificate chains to one of the given roots."""
    covers_whole_file: bool
    """Nothing was appended after this signature."""
    modified_after: bool
    """Changes were made after this signature that are not allowed (not further signatures or
    form filling)."""
    signer_subject: str
    signing_time: dt.datetime | None
    summary: str
    expired_since_signing: bool = False
    """The certificate has expired since; it was valid and trusted at the signing time."""
    kind: Literal["signature", "timestamp", "unreadable"] = "signature"
    content_changed_after: bool = False
    """Later revisions changed the content (not only signatures or form filling), within what
    the signature's DocMDP settings allow; see ``changes_sealed_by``."""
    changes_sealed_by: str | None = None
    """The subject of the later, trusted signature that covers those changes (then they do
    not count as ``modified_after``)."""
    timestamped_at: dt.datetime | None = None
    """The time a timestamp authority vouches for: the signature's own timestamp token (or,
    for a document timestamp, its time); None when only the signer's clock says when."""
    revoked: bool = False
    """The revocation data in the file says the signer's certificate was revoked."""
    lta_only_after: bool = False
    """Nothing after this signature but validation data and document timestamps (or nothing
    at all): what a long-term upgrade adds."""
    revocation: RevocationFinding | None = None
    """The revocation data the file holds (OCSP responses, CRLs) and what it says about the
    signer (``revoked`` above is its verdict); None for a timestamp or an unreadable one."""
    trust_source: TrustSource | None = None
    """Where the root that vouches for the signer comes from ("installation", "imported",
    "system", "timestamp"); None when not trusted or when the roots were a plain list."""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.modified_after


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def verify_pdf_signatures(
    pdf_bytes_or_path: PdfSource,
    trust_roots_pem: Sequence[bytes],
    *,
    at: dt.datetime | None = None,
) -> list[SignatureCheck]:
    """Validate every signature of a PDF offline; see the module docstring for the policy.

    ``at`` is the validation time (default: now). An empty list means the PDF is unsigned.
    Must not be called inside a running event loop (pyHanko runs its own); use
    :func:`verify_pdf_signatures_async` there, or call this from a worker thread.
    """
    if _loop_is_running():
        raise RuntimeError(
            "verify_pdf_signatures() cannot run inside a running event loop; await "
            "verify_pdf_signatures_async() or call it from a worker thread."
        )
    return asyncio.run(verify_pdf_signatures_async(pdf_bytes_or_path, trust_roots_pem, at=at))


async def verify_pdf_signatures_async(
    pdf_bytes_or_path: PdfSource,
    trust_roots_pem: Sequence[bytes],
    *,
    at: dt.datetime | None = None,
) -> list[SignatureCheck]:
    """The async form of :func:`verify_pdf_signatures`."""
    if at is not None and at.utcoffset() is None:
        raise ValueError("the validation time 'at' must be timezone-aware")
    roots = _load_roots(trust_roots_pem)
    ts_roots = (
        list(trust_roots_pem.timestamp_certs) if isinstance(trust_roots_pem, TrustRoots) else roots
    )
    sources = trust_roots_pem if isinstance(trust_roots_pem, TrustRoots) else None

    try:
        data = _read_source(pdf_bytes_or_path)
    except OSError as exc:
        return [_unreadable(f"the file could not be read: {exc.strerror or exc}")]
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted and reader.decrypt(b"").status == AuthStatus.FAILED:
            return [
                _unreadable("the PDF needs a password to open, so its signatures cannot be checked")
            ]
        embedded = list(reader.embedded_signatures)
    except _DAMAGED_INPUT_ERRORS as exc:
        return [_unreadable(f"the PDF is damaged or not a PDF and could not be read ({exc})")]

    checks: list[SignatureCheck] = []
    for index, sig in enumerate(embedded, start=1):
        name = _field_name(sig, index)
        try:
            checks.append(await _check_one(sig, name, (roots, ts_roots), at, sources))
        except _DAMAGED_INPUT_ERRORS as exc:
            log.warning("signature %s could not be validated", name, exc_info=True)
            checks.append(
                _unreadable(f"the signature could not be validated: {exc}", field_name=name)
            )
    checks = await credit_renewed(
        checks, lambda i, moment: _check_timestamp(embedded[i], checks[i].field_name, roots, moment)
    )
    if _locked(embedded):
        return checks
    return _credit_later_seals(checks)


def _locked(embedded: Sequence[EmbeddedPdfSignature]) -> bool:
    """Whether any signature certifies the document (DocMDP) or locks fields (FieldMDP): then
    changes it does not allow are never excused."""
    try:
        return any(sig.docmdp_level is not None or sig.fieldmdp is not None for sig in embedded)
    except _DAMAGED_INPUT_ERRORS:
        return True


def _credit_later_seals(checks: list[SignatureCheck]) -> list[SignatureCheck]:
    """Content changes after a signature that a later trusted signature covering the whole file
    vouches for are not a modification of the earlier one (see the module docstring)."""
    out = list(checks)
    for i, check in enumerate(out):
        if not (check.content_changed_after and check.intact and check.valid):
            continue
        seal = next(
            (
                later
                for later in reversed(out[i + 1 :])
                if later.kind != "unreadable"
                and later.intact
                and later.valid
                and later.trusted
                and later.covers_whole_file
                and not later.modified_after
            ),
            None,
        )
        if seal is None:
            continue
        who = (
            f"signed by {check.signer_subject}"
            if check.trusted
            else f"signer not trusted ({check.signer_subject})"
        )
        out[i] = replace(
            check,
            modified_after=False,
            changes_sealed_by=seal.signer_subject,
            summary=f"signature valid for the revision it signed, {who}; the "
            f"changes after it are sealed by {seal.signer_subject}",
        )
    return out


def rollup_status(checks: Sequence[SignatureCheck]) -> SignatureStatus:
    """One word for a list of checks: no signatures -> "unsigned"; any broken, cryptographically
    invalid or followed by disallowed changes -> "invalid"; all sound but some signer not
    trusted -> "untrusted"; else "valid"."""
    if not checks:
        return "unsigned"
    if any(not c.intact or not c.valid or c.modified_after for c in checks):
        return "invalid"
    if any(not c.trusted for c in checks):
        return "untrusted"
    return "valid"


@overload
def pdf_signature_status(source: Sequence[SignatureCheck], /) -> SignatureStatus: ...


@overload
def pdf_signature_status(
    source: PdfSource, trust_roots_pem: Sequence[bytes], /, *, at: dt.datetime | None = None
) -> SignatureStatus: ...


def pdf_signature_status(
    source: Sequence[SignatureCheck] | PdfSource,
    trust_roots_pem: Sequence[bytes] | None = None,
    /,
    *,
    at: dt.datetime | None = None,
) -> SignatureStatus:
    """Roll up either a list of :class:`SignatureCheck` or a PDF (bytes or path) validated
    against ``trust_roots_pem``."""
    if isinstance(source, bytes | bytearray | memoryview | str | os.PathLike):
        if trust_roots_pem is None:
            raise TypeError("pdf_signature_status(pdf, trust_roots_pem): trust roots are required")
        return rollup_status(verify_pdf_signatures(source, trust_roots_pem, at=at))
    return rollup_status(list(source))


# --------------------------------------------------------------------------------------------
# One signature
# --------------------------------------------------------------------------------------------


async def _check_one(
    sig: EmbeddedPdfSignature,
    name: str,
    all_roots: tuple[list[asn1_x509.Certificate], list[asn1_x509.Certificate]],
    at: dt.datetime | None,
    sources: TrustRoots | None = None,
) -> SignatureCheck:
    roots, ts_roots = all_roots
    if sig.sig_object_type == "/DocTimeStamp":
        return await _check_timestamp(sig, name, ts_roots, at, sources)

    context = _context(roots, at)
    ts_context = _context(ts_roots, at)
    try:
        status: Any = await async_validate_pdf_signature(
            sig,
            signer_validation_context=context,
            ts_validation_context=ts_context,
            key_usage_settings=_KEY_USAGE,
        )
    finally:
        await _close(context)
        await _close(ts_context)

    signing_time: dt.datetime | None = status.signer_reported_dt
    trusted = bool(status.trusted)
    expired_since = not trusted and await _trusted_when_signed(sig, status, roots)
    trusted = trusted or expired_since

    intact = bool(status.intact)
    valid = bool(status.valid)
    coverage = status.coverage
    covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    modified_after = _modified_after(coverage, status.modification_level, status.docmdp_ok)
    # pyHanko judges an approval signature against form filling by default (docmdp_ok False
    # for any other change); a real certification or field lock is checked in
    # _credit_later_seals.
    content_changed = modified_after and coverage == SignatureCoverageLevel.ENTIRE_REVISION
    subject = describe_name(status.signing_cert.subject)
    timestamped_at = _timestamp_time(status)
    revocation = await revocation_status(sig, roots, timestamped_at or signing_time)
    source = root_source(trusted, sources, status)
    trusted = trusted and not revocation.revoked
    summary = _summary(
        intact=intact,
        valid=valid,
        trusted=trusted,
        modified_after=modified_after,
        covers_whole_file=covers_whole_file,
        coverage=coverage,
        subject=subject,
        expired_since=expired_since,
        what="signature",
    )
    if revocation.revoked and intact and valid and not modified_after:
        summary = f"signature valid, but {revocation.sentence()} ({subject})"
    return SignatureCheck(
        field_name=name,
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_file=covers_whole_file,
        modified_after=modified_after,
        signer_subject=subject,
        signing_time=signing_time,
        summary=summary,
        expired_since_signing=expired_since,
        content_changed_after=content_changed,
        lta_only_after=_lta_only(coverage, status.modification_level),
        timestamped_at=timestamped_at,
        revoked=revocation.revoked or bool(getattr(status, "revoked", False)),
        revocation=revocation,
        trust_source=source if trusted else None,
    )


async def _trusted_when_signed(
    sig: EmbeddedPdfSignature, status: Any, roots: list[asn1_x509.Certificate]
) -> bool:
    """Whether a signature not trusted now (``status``) was trusted when it was made: its
    certificate expired after the signing time, so the chain is judged at that time."""
    signing_time: dt.datetime | None = status.signer_reported_dt
    horizon: dt.datetime | None = status.error_time_horizon
    if not (
        status.intact
        and status.valid
        and status.trust_problem_indic in _EXPIRY_INDICATIONS
        and signing_time is not None
        and horizon is not None
        and signing_time < horizon
    ):
        return False
    retry_context = _context(roots, signing_time)
    try:
        retry: Any = await async_validate_pdf_signature(
            sig,
            signer_validation_context=retry_context,
            key_usage_settings=_KEY_USAGE,
            skip_diff=True,
        )
    finally:
        await _close(retry_context)
    return bool(retry.trusted)


async def _check_timestamp(
    sig: EmbeddedPdfSignature,
    name: str,
    roots: list[asn1_x509.Certificate],
    at: dt.datetime | None,
    sources: TrustRoots | None = None,
) -> SignatureCheck:
    context = _context(roots, at)
    try:
        status: Any = await async_validate_pdf_timestamp(sig, validation_context=context)
    finally:
        await _close(context)
    intact = bool(status.intact)
    valid = bool(status.valid)
    trusted = bool(status.trusted)
    coverage = status.coverage
    covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    modified_after = _modified_after(coverage, status.modification_level, status.docmdp_ok)
    subject = describe_name(status.signing_cert.subject)
    return SignatureCheck(
        field_name=name,
        intact=intact,
        valid=valid,
        trusted=trusted,
        covers_whole_file=covers_whole_file,
        modified_after=modified_after,
        signer_subject=subject,
        signing_time=status.timestamp,
        summary=_summary(
            intact=intact,
            valid=valid,
            trusted=trusted,
            modified_after=modified_after,
            covers_whole_file=covers_whole_file,
            coverage=coverage,
            subject=subject,
            expired_since=False,
            what="document timestamp",
        ),
        kind="timestamp",
        timestamped_at=status.timestamp,
        trust_source=root_source(trusted, sources, status),
    )


def _timestamp_time(status: Any) -> dt.datetime | None:
    """The time of a signature's own timestamp token when it is intact and valid."""
    token = getattr(status, "timestamp_validity", None)
    if token is None or not (token.intact and token.valid):
        return None
    when: dt.datetime = token.timestamp
    return when


def trust_word(check: SignatureCheck) -> str:
    """What holds for the signer: trusted, signer not trusted, revoked, or expired (the
    certificate expired since; it was valid and trusted when it signed)."""
    if check.revoked:
        return "revoked"
    if not check.trusted:
        return "signer not trusted"
    return "expired" if check.expired_since_signing else "trusted"


def _lta_only(coverage: SignatureCoverageLevel | None, level: ModificationLevel | None) -> bool:
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return coverage == SignatureCoverageLevel.ENTIRE_REVISION and level in (
        ModificationLevel.NONE,
        ModificationLevel.LTA_UPDATES,
    )


def _modified_after(
    coverage: SignatureCoverageLevel | None,
    level: ModificationLevel | None,
    docmdp_ok: bool | None,
) -> bool:
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False
    if coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return True  # a byte range with holes or that does not start the file
    if docmdp_ok is False:
        return True
    return level not in _ALLOWED_LATER_CHANGES


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _load_roots(trust_roots_pem: Sequence[bytes]) -> list[asn1_x509.Certificate]:
    if isinstance(trust_roots_pem, TrustRoots):
        return list(trust_roots_pem.signature_certs)
    roots: list[asn1_x509.Certificate] = []
    for blob in trust_roots_pem:
        try:
            roots.extend(load_certs_from_pemder_data(bytes(blob)))
        except ValueError as exc:
            raise ValueError(f"a trust root is not a PEM or DER certificate: {exc}") from exc
    return roots


def _context(roots: list[asn1_x509.Certificate], moment: dt.datetime | None) -> ValidationContext:
    return ValidationContext(
        trust_roots=list(roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment,
    )


async def _close(context: ValidationContext) -> None:
    """Release whatever the context holds (nothing with fetching off, but it is the contract)."""
    await context.aclose()  # type: ignore[no-untyped-call]  # pyHanko lacks hints


def _read_source(source: PdfSource) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    return Path(source).read_bytes()


def _field_name(sig: EmbeddedPdfSignature, index: int) -> str:
    try:
        name = sig.field_name
    except _DAMAGED_INPUT_ERRORS:
        name = None
    return str(name) if name else f"(signature {index})"


def _unreadable(reason: str, *, field_name: str = "") -> SignatureCheck:
    return SignatureCheck(
        field_name=field_name,
        intact=False,
        valid=False,
        trusted=False,
        covers_whole_file=False,
        modified_after=False,
        signer_subject="",
        signing_time=None,
        summary=reason,
        kind="unreadable",
    )


def _loop_is_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
