"""Long-term seals: PAdES B-T, B-LT and B-LTA with a timestamp authority (RFC 3161).

With a timestamp authority configured, :func:`seal_long_term` seals a PDF in steps, each one an
incremental update that leaves the earlier revisions byte for byte as they were:

1. the PAdES signature, with a signature timestamp from the authority (B-T); when the authority
   cannot be reached the signature is made without one (B-B), as before;
2. the validation data of the whole chain of every signature and timestamp in the document
   (certificates, OCSP responses or CRLs) in its Document Security Store (B-LT);
3. a document timestamp over all of it (B-LTA).

A step that cannot be done (the authority or a revocation service unreachable) stops there: the
seal keeps the level it reached and says why. A certificate found revoked does not stop it: the
revocation data that says so is embedded like any other (:mod:`app.providers.local.dss`) and the
seal says plainly that the certificate was revoked, when and by whom. :func:`raise_level` runs
steps 2 and 3 again later on a sealed file (``sealbox archive upgrade``); a B-B file first gets
a document timestamp, which also proves the signature existed at that time (B-T). The level a
file has is always read back from the file itself (:mod:`app.pdf.pades`), never assumed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from io import BytesIO

import aiohttp
import certifi
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from app.pdf.pades import B_B, B_LTA, document_level
from app.providers.local.dss import Revocation, add_validation_data
from app.providers.local.pki import SealIdentity
from app.providers.local.seal import seal_pdf_async, update_writer

__all__ = ["LongTermSeal", "TimestampAuthority", "raise_level", "seal_long_term"]

log = logging.getLogger(__name__)

#: What a step that needs the network may raise when a service cannot be reached or answers
#: badly (aiohttp's errors are OSErrors; a bad answer is a TimestampRequestError, an IOError).
_UNREACHABLE = (
    OSError,
    asyncio.TimeoutError,
    TimestampRequestError,
    PathBuildingError,
    PathValidationError,
    SigningError,
    ValueError,
)


@dataclass(frozen=True)
class TimestampAuthority:
    """An RFC 3161 timestamp authority: its URL, optional HTTP basic credentials, and the CA
    certificates (PEM) its own certificate chains up to when they are not among the seal's."""

    url: str
    username: str | None = None
    password: str | None = None
    trust_roots_pem: Sequence[bytes] = ()
    timeout: float = 10.0


@dataclass(frozen=True)
class LongTermSeal:
    """A sealed PDF, the PAdES level it has (read back from it) and, below B-LTA, why."""

    pdf: bytes
    level: str
    reason: str | None
    #: The level stopped short because a service (the authority, a revocation service) could
    #: not be reached: worth trying again later.
    unreachable: bool = False
    #: Certificates of the seal (or of a timestamp) that the revocation data says are revoked;
    #: ``reason`` then says so.
    revoked: tuple[Revocation, ...] = ()


async def seal_long_term(
    pdf_bytes: bytes,
    identity: SealIdentity,
    tsa: TimestampAuthority,
    *,
    reason: str,
    location: str | None = None,
    field_name: str = "SealboxSeal",
) -> LongTermSeal:
    """Seal ``pdf_bytes`` at the highest level reachable, up to B-LTA (see the module)."""
    timestamper = _timestamper(tsa)
    why: str | None = None
    try:
        signed = await seal_pdf_async(
            pdf_bytes,
            identity,
            reason=reason,
            location=location,
            field_name=field_name,
            timestamper=timestamper,
        )
    except _UNREACHABLE as exc:
        why = _tsa_unreachable(tsa, exc)
        log.warning("sealing without a timestamp: %s", why)
        signed = await seal_pdf_async(
            pdf_bytes, identity, reason=reason, location=location, field_name=field_name
        )
        return LongTermSeal(signed, _level(signed), why, unreachable=True)
    return await raise_level(signed, identity, tsa)


async def raise_level(
    pdf_bytes: bytes,
    identity: SealIdentity | None,
    tsa: TimestampAuthority,
    *,
    trust_roots_pem: Sequence[bytes] = (),
) -> LongTermSeal:
    """Bring a signed PDF up to B-LTA as far as the network allows (incremental updates only):
    a document timestamp first if no timestamp covers its signatures yet, then the validation
    data of every signature and timestamp, then a document timestamp over all of it.

    Without ``identity`` (an archived file, sealed earlier) the chains are built from the
    certificates in the file, up to ``trust_roots_pem`` and the authority's roots."""
    current = pdf_bytes
    if _level(current) == B_LTA:
        return LongTermSeal(current, B_LTA, None)
    async with _network(tsa) as (timestamper, backend):
        if _level(current) == B_B:
            try:
                current = await _document_timestamp(current, timestamper, None)
            except _UNREACHABLE as exc:
                return LongTermSeal(
                    current, _level(current), _tsa_unreachable(tsa, exc), unreachable=True
                )
        context = _validation_context(identity, tsa, backend, trust_roots_pem)
        try:
            current, revoked = await add_validation_data(current, context)
        except _UNREACHABLE as exc:
            return LongTermSeal(
                current,
                _level(current),
                "the validation data (revocation status of the certificates) "
                f"could not be fetched ({_what(exc)})",
                unreachable=True,
            )
        try:
            current = await _document_timestamp(current, timestamper, None)
        except _UNREACHABLE as exc:
            return LongTermSeal(
                current,
                _level(current),
                "; ".join([*(r.sentence() for r in revoked), _tsa_unreachable(tsa, exc)]),
                unreachable=True,
                revoked=tuple(revoked),
            )
    level = _level(current)
    why: str | None = "the document's signatures do not allow a higher level"
    if revoked:
        why = "; ".join(r.sentence() for r in revoked)
    elif level == B_LTA:
        why = None
    return LongTermSeal(current, level, why, revoked=tuple(revoked))


async def _document_timestamp(
    pdf: bytes, timestamper: HTTPTimeStamper, context: ValidationContext | None
) -> bytes:
    writer = update_writer(pdf)
    out = BytesIO()
    await signers.PdfTimeStamper(timestamper).async_timestamp_pdf(
        writer, "sha256", validation_context=context, output=out
    )
    return out.getvalue()


def _validation_context(
    identity: SealIdentity | None,
    tsa: TimestampAuthority,
    backend: AIOHttpFetcherBackend,
    extra_roots: Sequence[bytes] = (),
) -> ValidationContext:
    roots = [*(identity.trust_roots_pem if identity else ()), *tsa.trust_roots_pem, *extra_roots]
    chain = identity.chain if identity else []
    others = [_asn1(c.public_bytes(serialization.Encoding.DER)) for c in chain]
    return ValidationContext(
        trust_roots=[cert for blob in roots for cert in _load_pem_certs(blob)],
        other_certs=others,
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=backend,
    )


def _level(pdf: bytes) -> str:
    return document_level(pdf) or B_B


def _timestamper(
    tsa: TimestampAuthority, session: aiohttp.ClientSession | None = None
) -> HTTPTimeStamper:
    auth = (tsa.username, tsa.password or "") if tsa.username else None
    return HTTPTimeStamper(tsa.url, timeout=tsa.timeout, auth=auth, session=session)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for the process: making one reads the CA bundle (tens of ms), which
    pyHanko would otherwise do for every session, several times per file."""
    return ssl.create_default_context(cafile=certifi.where())


@contextlib.asynccontextmanager
async def _network(
    tsa: TimestampAuthority,
) -> AsyncIterator[tuple[HTTPTimeStamper, AIOHttpFetcherBackend]]:
    """The authority's client and the fetchers of validation data, on one HTTP session."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_ssl_context()))
    try:
        yield (
            _timestamper(tsa, session),
            AIOHttpFetcherBackend(session=session, per_request_timeout=tsa.timeout),
        )
    finally:
        await session.close()


def _tsa_unreachable(tsa: TimestampAuthority, exc: BaseException) -> str:
    if _timed_out(exc):
        return (
            f"the timestamp authority {tsa.url} did not answer within {tsa.timeout:g} s "
            "(the time it is given)"
        )
    return f"the timestamp authority {tsa.url} could not be reached ({_what(exc)})"


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is (or was caused by) a timeout, however pyHanko wrapped it."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _what(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


def _load_pem_certs(blob: bytes) -> list[asn1_x509.Certificate]:
    if not pem.detect(blob):
        return [asn1_x509.Certificate.load(blob)]
    return [
        asn1_x509.Certificate.load(der) for _kind, _headers, der in pem.unarmor(blob, multiple=True)
    ]


def _asn1(der: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(der)
