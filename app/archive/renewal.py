"""When an archived PDF's proof must be renewed, read from the file alone.

A document timestamp proves what it covers for as long as its timestamp authority's
certificate is valid. Before that certificate expires a fresh document timestamp must cover the
file (``sealbox archive renew``); the earlier timestamps are then judged at the time of the one
that follows them (their proof of existence), not at the validation time.

* :func:`renewal_state`: ``due`` when the last document timestamp's certificate expires within
  the window (``[timestamp] renew_within_days``, 365 days unless set), ``expired`` when it has
  expired at the validation time (nothing renewed it in time: the file's proof is lost);
  None when it holds (or the file has no document timestamp).
* :func:`credit_renewed`: a document timestamp whose authority's certificate has expired since
  is valid and trusted when a later one, valid and trusted, covers it and it validates at that
  later time.

The validation time is now, except in the tests: ``SEALBOX_VALIDATION_TIME`` (an ISO 8601
time, :func:`validation_time`) moves it forward, as years passing would.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.domain.clock import iso, parse_iso

if TYPE_CHECKING:
    from app.archive.verify import SignatureCheck

#: The window before a timestamp's certificate expires in which it is renewed (days).
DEFAULT_WINDOW_DAYS = 365.0
VALIDATION_TIME_VARIABLE = "SEALBOX_VALIDATION_TIME"

RenewalState = Literal["due", "expired"]


@dataclass(frozen=True)
class Renewal:
    """A file's last document timestamp that needs renewing: by when, and whether too late."""

    state: RenewalState
    expires: dt.datetime

    def to_json(self) -> dict[str, str | None]:
        return {"state": self.state, "expires": iso(self.expires)}

    def describe(self) -> str:
        day = f"{self.expires:%Y-%m-%d}"
        if self.state == "expired":
            return (
                f"its last timestamp expired on {day}: the proof needs renewal "
                "(`sealbox archive renew` before a timestamp expires)"
            )
        return f"its last timestamp expires on {day}: due for renewal (`sealbox archive renew`)"


def validation_time(environ: Mapping[str, str] | None = None) -> dt.datetime | None:
    """The time signatures are judged at: None (now) unless the tests set
    ``SEALBOX_VALIDATION_TIME``."""
    raw = (os.environ if environ is None else environ).get(VALIDATION_TIME_VARIABLE)
    return parse_iso(raw) if raw else None


def renewal_state(
    pdf_bytes: bytes, at: dt.datetime | None = None, window_days: float = DEFAULT_WINDOW_DAYS
) -> Renewal | None:
    """Whether ``pdf_bytes``'s last document timestamp needs renewing at ``at`` (now)."""
    from pyhanko.pdf_utils.misc import PdfError

    from app.pdf.pades import last_document_timestamp

    try:
        last = last_document_timestamp(pdf_bytes)
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # what cannot be read is reported by the signature checks
    if last is None:
        return None
    moment = at or dt.datetime.now(dt.UTC)
    if last.expires <= moment:
        return Renewal("expired", last.expires)
    if last.expires <= moment + dt.timedelta(days=window_days):
        return Renewal("due", last.expires)
    return None


Revalidate = Callable[[int, dt.datetime], Awaitable["SignatureCheck"]]


async def credit_renewed(
    checks: Sequence[SignatureCheck], revalidate: Revalidate
) -> list[SignatureCheck]:
    """``checks`` with each document timestamp that is not trusted now judged again at the
    time of the next one (``revalidate(index, moment)``) when that one is intact, valid and
    trusted: trusted then, it is credited as valid and ``expired_since_signing``."""
    out = list(checks)
    for index in range(len(out) - 1, -1, -1):
        check = out[index]
        if check.kind != "timestamp" or check.trusted or not (check.intact and check.valid):
            continue
        later = next(
            (c for c in out[index + 1 :] if c.kind == "timestamp" and c.ok and c.timestamped_at),
            None,
        )
        if later is None or later.timestamped_at is None:
            continue
        again = await revalidate(index, later.timestamped_at)
        if again.trusted and again.intact and again.valid:
            out[index] = dataclasses.replace(
                check,
                trusted=True,
                expired_since_signing=True,
                summary=(
                    f"document timestamp valid (by {check.signer_subject}); its authority's "
                    f"certificate has expired since, the later timestamp of "
                    f"{later.timestamped_at:%Y-%m-%d} keeps its proof"
                ),
            )
    return out
