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
from collections.abc import AsyncIterator

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


def lease_seconds(ctx: Context) -> float:
    """How long a lease lasts without renewal: ``[store] lease_s`` or the default."""
    return ctx.settings.limit("store", "lease_s", LEASE_SECONDS, ctx.environ)


@contextlib.asynccontextmanager
async def leased(ctx: Context, request_id: str, doing: str) -> AsyncIterator[None]:
    """Hold ``request_id``'s lease for the block (``doing``: "refreshing", "archiving", … for
    the message when another holds it: :class:`BusyError`)."""
    leases = ctx.store.leases
    holder = current_actor().holder
    seconds = lease_seconds(ctx)
    if not leases.claim(request_id, holder, seconds):
        lease = leases.get(request_id)
        who = f" ({lease.holder})" if lease is not None else ""
        name = ctx.requests.get(request_id).name
        raise BusyError(
            f"Another Sealbox{who} is {doing} {name!r} right now: it is left to that one."
        )
    reached("lease-claimed")
    renewer = asyncio.create_task(_keep(leases, request_id, holder, seconds))
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


async def _keep(leases: LeaseRepository, request_id: str, holder: str, seconds: float) -> None:
    """Renew the lease until cancelled; stop when it is lost (another desk took it over after
    it expired: this process was held up longer than a lease lasts)."""
    while True:
        await asyncio.sleep(seconds * RENEW_FRACTION)
        try:
            kept = leases.renew(request_id, holder, seconds)
        except _STORE_ERRORS as exc:
            log.warning("could not renew the lease of %s: %s", request_id, exc)
            continue
        if not kept:
            log.warning("the lease of %s expired and was taken over by another desk", request_id)
            return
