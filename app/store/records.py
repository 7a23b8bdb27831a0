"""What the store hands out and takes in, whatever database is behind it.

These are the values of the store's interface (:mod:`app.store.interface`): plain dataclasses and
the two errors of a compare-and-set, with no SQL and no database types, so that every backend
(SQLite today) returns the same things and the services never see a row.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.lifecycle import Status
from app.errors import SealboxError, UserError
from app.logs import redact, scrub

#: The errors the store's database raises of its own (a full disk, a damaged or busy file), not
#: Sealbox's: caught where one request's failure must not stop the others.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)


class StoreDatabaseError(Exception):
    """An error of the shared store's database server (PostgreSQL), other than losing it (that
    is an :class:`~app.errors.UnavailableError`): the counterpart of ``sqlite3.Error``."""


DATABASE_ERRORS += (StoreDatabaseError,)

#: An event's detail in the app's words (in its payload), where they differ from the detail's.
APP_DETAIL = "appDetail"

#: The most of a message from elsewhere (a provider's error, a reason) the store keeps, in
#: characters; longer ones are cut and marked so. Secrets in them are masked.
STORED_TEXT_LIMIT = 4000
#: Longer than any request id (a UUID has 36 characters): a longer reference names none.
ID_LENGTH = 64
#: A provider payload kept in the history larger than this (as JSON) is kept only in part.
STORED_PAYLOAD_LIMIT = 64 * 1024


def stored_text(text: str | None) -> str | None:
    """``text`` as the store keeps it: secrets masked, at most :data:`STORED_TEXT_LIMIT`."""
    return scrub(text, STORED_TEXT_LIMIT) if text is not None else None


def stored_payload(payload: dict[str, Any]) -> str:
    """A provider's payload as JSON for the history: secrets masked, and a large one cut to its
    start (``{"cut": N, "start": "…"}``)."""
    text = redact(json.dumps(payload, ensure_ascii=False, default=str))
    if len(text) <= STORED_PAYLOAD_LIMIT:
        return text
    return json.dumps(
        {"cut": len(text.encode("utf-8", "surrogatepass")), "start": text[:STORED_TEXT_LIMIT]},
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class Event:
    """One entry of a request's history."""

    at: datetime
    kind: str
    status: str | None
    recipient_index: int | None
    detail: str | None
    payload: dict[str, Any] | None
    #: Who did it: the desk (host name), the OS user and the sender's name in Settings (None in
    #: events recorded before Sealbox kept them).
    desk: str | None = None
    user: str | None = None
    person: str | None = None

    @property
    def doer(self) -> str | None:
        """``Jane Doe (jane on DESK-4)``: who did it, as shown (None when not known)."""
        from app.store.actor import describe

        return describe(self.desk, self.user, self.person)


@dataclass(frozen=True)
class OutboxItem:
    """A request's entry in the outbox: its idempotency key and how far its send got
    (``pending``, ``sending``, ``reconciling``, ``done`` or ``failed``)."""

    request_id: str
    idempotency_key: str
    state: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class ArchivedFile:
    """A file of an archived request (``kind``: ``signed``, ``certificate`` or ``request``),
    ``path`` relative to the archive folder."""

    kind: str
    path: str
    sha256: str
    size: int
    archived_at: datetime


@dataclass(frozen=True)
class FieldValue:
    """What a signer put in a field in person: text, or an image (PNG bytes)."""

    value: str | None
    image: bytes | None


@dataclass(frozen=True)
class Verification:
    """The last verdict on an archived request: ``valid``, ``untrusted``, ``modified`` or
    ``missing``, the signer it names, the sentence saying what is wrong, when it was checked."""

    request_id: str
    state: str
    subject: str | None
    detail: str
    checked_at: datetime


def has_words(text: str) -> bool:
    """Whether ``text`` holds anything to search for (a word, as full-text search reads it)."""
    return re.search(r"\w", text, flags=re.UNICODE) is not None


@dataclass(frozen=True)
class RequestFilter:
    """Which requests a list shows: any of ``statuses`` (none: every status), one provider,
    created in ``[since, until)``, ``search``: words that must all match (as prefixes) the
    request's name, its recipients' names or their emails, and ``run``: the requests of one run
    of send to many (its id)."""

    statuses: frozenset[Status] = frozenset()
    provider: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""
    run: str | None = None
    #: Only the requests created by this person at this desk: ``(desk, OS user)``.
    mine: tuple[str, str] | None = None

    @property
    def is_empty(self) -> bool:
        """Whether this filter lets every request through."""
        return (
            not self.statuses
            and not self.provider
            and self.since is None
            and self.until is None
            and not has_words(self.search)
            and not self.run
            and self.mine is None
        )


class ChangedMeanwhile(SealboxError):
    """The request changed after it was read: what was decided on the old reading is not
    applied. Read it again and decide again."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"The request {request_id} changed while it was being updated: try again.")
        self.request_id = request_id


class StateConflict(UserError):
    """The request is no longer in the state a change needs (another process moved it first):
    nothing was changed."""

    def __init__(self, request_id: str, name: str, status: Status) -> None:
        super().__init__(
            f"{name!r} is already {status.value}: it changed a moment ago, before "
            f"this could be done (see `sealbox show {request_id[:8]}`)."
        )
        self.request_id = request_id
        self.status = status
