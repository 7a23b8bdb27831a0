"""Reading what a provider answers, and matching its signers to the spec's recipients.

A provider's answer is untrusted JSON. :class:`Answer` reads it for one provider: every value is
checked for its type as it is taken, and anything that is off raises
:class:`~app.providers.errors.BadResponseError` at once, in one wording for every provider:
"SayPDF answered with a party whose signedAt is not a time ('soon'): try again later." Each
reader takes ``what``, the thing being read as a noun phrase ("a party", "the answer").

:func:`match_recipients` numbers a provider's signers by the spec's recipients, one rule for
every provider (see there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from app.domain.clock import parse_iso
from app.domain.model import RequestSpec
from app.providers.errors import BadResponseError

T = TypeVar("T")


class Answer:
    """The reader of one provider's answers (``name`` is its display name; ``fix`` what the
    user should do about an answer that cannot be read)."""

    def __init__(self, name: str, fix: str = "try again later") -> None:
        self.name = name
        self.fix = fix

    def bad(self, what: str) -> BadResponseError:
        """The error for an answer with ``what`` ("a party without an id")."""
        return BadResponseError(f"{self.name} answered with {what}: {self.fix}.")

    def object(self, data: Any, what: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.bad(f"{what} that is not an object")
        return data

    def optional(self, obj: Mapping[str, Any], key: str, what: str) -> str | None:
        """``obj[key]`` as text, or None when it is missing or null."""
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.bad(f"{what} whose {key} is not text")
        return value

    def text(self, obj: Mapping[str, Any], key: str, what: str) -> str:
        """``obj[key]``, which must be text that is not empty."""
        value = self.optional(obj, key, what)
        if value is None:
            raise self.bad(f"{what} without {key}")
        if not value.strip():
            raise self.bad(f"{what} with an empty {key}")
        return value

    def identifier(self, obj: Mapping[str, Any], key: str, what: str) -> str:
        """``obj[key]``: an id (text, or a whole number as some services send them)."""
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.text(obj, key, what)

    def time(self, obj: Mapping[str, Any], key: str, what: str) -> datetime | None:
        """``obj[key]`` as an ISO-8601 time (UTC when it names no zone); None when missing,
        null or empty."""
        value = self.optional(obj, key, what)
        if value is None or not value.strip():
            return None
        try:
            return parse_iso(value.strip())
        except (ValueError, OverflowError) as exc:
            raise self.bad(f"{what} whose {key} is not a time ({value[:40]!r})") from exc

    def flag(self, obj: Mapping[str, Any], key: str, what: str) -> bool | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.bad(f"{what} whose {key} is not true or false")
        return value

    def objects(self, obj: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
        """``obj[key]``: a list of objects (empty when missing or null)."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.bad(f"{what} whose {key} is not a list")
        return [self.object(item, f"an entry of {key}") for item in value]

    def one_of(self, table: Mapping[str, T], raw: Any, what: str) -> T:
        """``table[raw]``; an unknown value is an unreadable answer, never a guess."""
        if isinstance(raw, str) and raw in table:
            return table[raw]
        shown = raw[:40] if isinstance(raw, str) else type(raw).__name__
        raise self.bad(f"an unknown {what} {shown!r}")


def match_recipients(
    emails: Sequence[str | None], spec: RequestSpec, sent_order: Sequence[int] | None = None
) -> list[int | None]:
    """The spec index of each of a provider's signers, given their emails in the provider's
    order; None for a signer that is no recipient of the spec.

    One rule for every provider: first by email (case and surrounding spaces aside), each
    recipient taken once; then the signers left over by their position in what was sent
    (``sent_order``: the spec indexes in the order the recipients were sent, by default the
    spec's own order), where that recipient is still free; then, when as many signers as
    recipients are left, the remaining ones pair up in order (a signer whose email the provider
    rewrote, whose place another signer's email took). Any signer still left is not reported.
    """
    order = list(range(len(spec.recipients)) if sent_order is None else sent_order)
    by_email: dict[str, list[int]] = {}
    for i in order:
        by_email.setdefault(_email_key(spec.recipients[i].email), []).append(i)
    taken: set[int] = set()
    out: list[int | None] = [None] * len(emails)
    for n, email in enumerate(emails):
        if email is None or not email.strip():
            continue
        free = [i for i in by_email.get(_email_key(email), []) if i not in taken]
        if free:
            out[n] = free[0]
            taken.add(free[0])
    for n in range(len(emails)):
        if out[n] is None and n < len(order) and order[n] not in taken:
            out[n] = order[n]
            taken.add(order[n])
    signers_left = [n for n, index in enumerate(out) if index is None]
    recipients_left = [i for i in order if i not in taken]
    if len(signers_left) == len(recipients_left):
        for n, i in zip(signers_left, recipients_left, strict=True):
            out[n] = i
    return out


def _email_key(email: str) -> str:
    return email.strip().casefold()


__all__ = ["Answer", "match_recipients"]
