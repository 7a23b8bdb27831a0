"""One desk at a time on each request: the lease held while a request is refreshed, downloaded
or archived (:mod:`app.store.leases`).

:func:`leased` claims the request's lease for this process (or raises :class:`BusyError`: another
desk or process is at work on it, and it is left to that one), renews it while the work goes on,
and releases it at the end. A process that dies stops renewing: its leases expire after
``[store] lease_s`` seconds (``SEALBOX_STORE_LEASE_S``; 120 by default) and another desk takes
the request over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from app.context import Context
from app.errors import BusyError, SealboxError
from app.faults import reached
from app.store.actor import current_actor
from app.store.interface import LeaseRepository
from app.store.records import DATABASE_ERRORS

log = logging.getLogger(__name__)

#: What a lease's renewal or release may fail with that is not a bug (the store is busy, the
#: disk is full, the server went away): the lease then expires by itself.
_STORE_ERRORS: tuple[type[Exception], ...] = (SealboxError, *DATABASE_ERRORS)

#: How long a lease lasts without being renewed, by default (seconds).
LEASE_SECONDS = 120.0
#: A lease is renewed after this part of its time has passed.
RENEW_FRACTION = 1 / 3
#: How often a wait for a lease tries again (seconds).
POLL_SECONDS = 0.2


def lease_seconds(ctx: Context) -> float:
    """How long a lease lasts without renewal: ``[store] lease_s`` or the default."""
    return ctx.settings.limit("store", "lease_s", LEASE_SECONDS, ctx.environ)


@contextlib.asynccontextmanager
async def leased(
    ctx: Context, request_id: str, doing: str, *, wait: float = 0.0
) -> AsyncIterator[None]:
    """Hold ``request_id``'s lease for the block (``doing``: "refreshing", "archiving", … for
    the message when another holds it: :class:`BusyError`), waiting up to ``wait`` seconds for
    another holder to finish (or its lease to expire)."""
    leases = ctx.store.leases
    holder = current_actor().holder
    seconds = lease_seconds(ctx)
    deadline = time.monotonic() + wait
    claimed = leases.claim(request_id, holder, seconds)
    while not claimed and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        claimed = leases.claim(request_id, holder, seconds)
    if not claimed:
        raise BusyError(_held_message(ctx, request_id, doing))
    reached("lease-claimed")
    renewer = asyncio.create_task(_keep(leases, [request_id], holder, seconds))
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        try:
            leases.release(request_id, holder)
        except _STORE_ERRORS as exc:  # it expires by itself
            log.warning("could not release the lease of %s: %s", request_id, exc)


@dataclass
class Claimed:
    """What :func:`leased_many` got: the requests whose leases this process holds, and why each
    other one is left (another desk or process holds it)."""

    ids: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def leased_many(
    ctx: Context, request_ids: Sequence[str], doing: str
) -> AsyncIterator[Claimed]:
    """Hold the leases of as many of ``request_ids`` as are free, for the block: claimed in one
    transaction, renewed together, released together (a batch of a sync pass: one commit for
    each, not one per request, so the window's loop is not held up by them)."""
    leases = ctx.store.leases
    holder = current_actor().holder
    seconds = lease_seconds(ctx)
    got = Claimed(leases.claim_many(request_ids, holder, seconds))
    mine = set(got.ids)
    for request_id in request_ids:
        if request_id not in mine:
            got.left[request_id] = _held_message(ctx, request_id, doing)
    if got.ids:
        reached("lease-claimed")
    renewer = asyncio.create_task(_keep(leases, got.ids, holder, seconds))
    try:
        yield got
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        try:
            leases.release_many(got.ids, holder)
        except _STORE_ERRORS as exc:  # they expire by themselves
            log.warning("could not release %d leases: %s", len(got.ids), exc)


def _held_message(ctx: Context, request_id: str, doing: str) -> str:
    lease = ctx.store.leases.get(request_id)
    who = f" ({lease.holder})" if lease is not None else ""
    name = ctx.requests.get(request_id).name
    return f"Another Sealbox{who} is {doing} {name!r} right now: it is left to that one."


async def _keep(
    leases: LeaseRepository, request_ids: Sequence[str], holder: str, seconds: float
) -> None:
    """Renew the leases until cancelled; say so when some are lost (another desk took them
    over after they expired: this process was held up longer than a lease lasts)."""
    if not request_ids:
        return
    while True:
        await asyncio.sleep(seconds * RENEW_FRACTION)
        try:
            kept = leases.renew_many(request_ids, holder, seconds)
        except _STORE_ERRORS as exc:
            log.warning("could not renew %d leases: %s", len(request_ids), exc)
            continue
        if kept < len(request_ids):
            log.warning(
                "%d of %d leases expired and were taken over by another desk",
                len(request_ids) - kept,
                len(request_ids),
            )
            if not kept:
                return
