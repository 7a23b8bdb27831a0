"""Long-term updates of PDFs Sealbox did not seal: a PDF received from a provider, and renewal.

:func:`timestamp_received` makes the timestamped copy of a signed PDF received from a provider:
the file as received, then (each an incremental update, so the received bytes stay the first
part of the copy byte for byte) a document timestamp when no timestamp covers its signatures
yet, the validation data that can be fetched for them, and a document timestamp over it. It is
refused when the PDF cannot be read, carries no signature, or a certification of it allows no
change at all.

:func:`renew_timestamp` renews the proof of an archived PDF whose last document timestamp runs
out (its authority's certificate expires): the validation data of that timestamp's chain, then
a fresh document timestamp over everything (PAdES B-LTA, ETSI EN 319 142-1, 5.5).

Neither writes a file: the caller checks the result and puts it in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.dss import async_add_validation_info

from app.errors import UserError
from app.pdf.pades import B_B
from app.providers.local.dss import add_validation_data
from app.providers.local.ltv import (
    _UNREACHABLE,
    LongTermSeal,
    TimestampAuthority,
    _document_timestamp,
    _level,
    _network,
    _tsa_unreachable,
    _validation_context,
    _what,
)

__all__ = ["Refused", "renew_timestamp", "timestamp_received"]

#: What a PDF that cannot be parsed may raise while its signatures are read.
_UNREADABLE = (PdfError, UserError, ValueError, KeyError, TypeError, IndexError, AttributeError)


@dataclass(frozen=True)
class Refused:
    """Why a received PDF gets no timestamped copy (for good: it is not tried again)."""

    reason: str


def refusal(pdf_bytes: bytes) -> Refused | None:
    """Why ``pdf_bytes`` may not get a timestamped copy, or None when it may."""
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        if reader.encrypted and reader.decrypt(b"").status == AuthStatus.FAILED:
            return Refused("it needs a password to open")
        embedded = list(reader.embedded_signatures)
        certified = [s.docmdp_level for s in embedded if s.docmdp_level is not None]
    except _UNREADABLE as exc:
        return Refused(f"it could not be read ({_what(exc)})")
    if not embedded:
        return Refused("it carries no signature whose proof could be kept")
    if MDPPerm.NO_CHANGES in certified:
        return Refused("its certification allows no change to the document, not even a timestamp")
    return None


async def timestamp_received(
    pdf_bytes: bytes, tsa: TimestampAuthority, *, trust_roots_pem: Sequence[bytes] = ()
) -> LongTermSeal | Refused:
    """The timestamped copy of a received PDF (see the module): ``unreachable`` when the
    authority could not be reached (then nothing is made: the copy is tried again later);
    below B-LTA, with why, when the validation data could not all be fetched."""
    refused = refusal(pdf_bytes)
    if refused is not None:
        return refused
    current = pdf_bytes
    why: str | None = None
    async with _network(tsa) as (timestamper, backend):
        try:
            if _level(current) == B_B:
                current = await _document_timestamp(current, timestamper, None)
            context = _validation_context(None, tsa, backend, trust_roots_pem)
            try:
                # A signer found revoked is kept in the data; verify reports it offline.
                current, _revoked = await add_validation_data(current, context)
            except _UNREACHABLE as exc:
                why = f"the validation data of its signatures could not be fetched ({_what(exc)})"
            if why is None or current == pdf_bytes:
                current = await _document_timestamp(current, timestamper, None)
        except _UNREACHABLE as exc:
            return LongTermSeal(
                pdf_bytes, _level(pdf_bytes), _tsa_unreachable(tsa, exc), unreachable=True
            )
    return LongTermSeal(current, _level(current), why)


async def renew_timestamp(
    pdf_bytes: bytes, tsa: TimestampAuthority, *, trust_roots_pem: Sequence[bytes] = ()
) -> LongTermSeal:
    """``pdf_bytes`` with the validation data of its last document timestamp and a fresh
    document timestamp over it; ``unreachable`` (and the bytes unchanged) when the authority
    or a revocation service could not be reached."""
    async with _network(tsa) as (timestamper, backend):
        context = _validation_context(None, tsa, backend, trust_roots_pem)
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        stamps = reader.embedded_timestamp_signatures
        current = pdf_bytes
        if stamps:
            try:
                out = await async_add_validation_info(stamps[-1], context, output=BytesIO())
            except _UNREACHABLE as exc:
                return LongTermSeal(
                    pdf_bytes,
                    _level(pdf_bytes),
                    "the validation data of its last timestamp could not be fetched "
                    f"({_what(exc)})",
                    unreachable=True,
                )
            current = out.getvalue()
        try:
            current = await _document_timestamp(current, timestamper, None)
        except _UNREACHABLE as exc:
            return LongTermSeal(
                pdf_bytes, _level(pdf_bytes), _tsa_unreachable(tsa, exc), unreachable=True
            )
    return LongTermSeal(current, _level(current), None)
