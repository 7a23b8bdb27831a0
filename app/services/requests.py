"""Actions on one request, shared by the command line and the desktop app (Qt-free).

Each takes a request id (or an unambiguous prefix of one) and returns the request as stored
afterwards. They leave the context's provider clients open: the caller closes them
(``ctx.aclose()``) when it is done with the network, as the command line does after each command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.archive.folder import ARCHIVE_WAIT, Archived, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.errors import BusyError, SealboxError, UserError
from app.faults import reached
from app.providers import registry
from app.services.leases import leased
from app.store.records import ChangedMeanwhile

log = logging.getLogger(__name__)

#: The longest cancel reason accepted (Craftkit's limit, the tightest of the providers').
MAX_CANCEL_REASON = 500
#: How many times a refresh is asked again when the request changed while it was asked.
REFRESH_ATTEMPTS = 3


@dataclass(frozen=True)
class Refreshed:
    """What :func:`refresh_and_apply` did: the status before and after; ``finalized`` when a
    ``local`` request was completed (stamped and sealed) instead of refreshed; ``reached`` when
    the provider answered."""

    before: Status
    after: Status
    finalized: bool = False
    reached: bool = False


async def refresh_and_apply(
    ctx: Context, request_id: str, *, kind: str = "refresh", finalize_wait: float = 0.0
) -> Refreshed:
    """Ask the provider for an in-flight request's news and store it, as a compare-and-set.

    The report is applied only if the request has not changed since it was read (its version):
    a sign, a cancel, a webhook or another sync that got there first is never overwritten with
    what was decided on an older reading. Then it is read and asked again. A ``local`` request
    whose signers are all done is completed here instead (waiting ``finalize_wait`` seconds for
    another process completing it, then :class:`BusyError`)."""
    from app.services.in_person import InPersonSigning

    local = InPersonSigning(ctx)
    first: Status | None = None
    for _ in range(REFRESH_ATTEMPTS):
        request = ctx.requests.get(request_id)
        first = first or request.status
        if not request.status.in_flight:
            return Refreshed(first, request.status)
        if local.needs_finalizing(request):
            done = await local.finalize_async(request.id, wait=finalize_wait)
            return Refreshed(first, done.status, finalized=True)
        report = await ctx.provider(request.provider).refresh(request)
        try:
            status = ctx.requests.apply_report(
                request.id, report, kind=kind, expect_version=request.version
            )
        except ChangedMeanwhile:
            log.info("request %s changed while it was refreshed: asking again", request.id)
            continue
        return Refreshed(first, status, reached=True)
    name = ctx.requests.get(request_id).name
    raise BusyError(f"{name!r} kept changing while it was being refreshed: try again in a moment.")


async def refresh_request(ctx: Context, request_id: str) -> Request:
    """Ask the provider for the request's news and store it.

    A queued request is sent (with its outbox key); a finished one is returned unchanged; a
    ``local`` request whose signers are all done is completed (stamped and sealed) here.
    """
    from app.services.in_person import FINALIZE_WAIT
    from app.services.send import deliver

    request = ctx.requests.get(request_id)
    if request.status == Status.QUEUED:
        return await deliver(ctx, request.id)
    if request.status.terminal:
        return request
    await refresh_and_apply(ctx, request.id, finalize_wait=FINALIZE_WAIT)
    return ctx.requests.get(request.id)


def check_cancel(ctx: Context, request: Request, reason: str | None = None) -> None:
    """Raise the refusal a cancel of ``request`` would meet before anything is sent: the
    provider cannot cancel, the request has finished, or the reason is too long."""
    ctx.provider(request.provider).capabilities.require("cancel")
    if request.status.terminal:
        raise UserError(
            f"{request.name!r} is already {request.status.value}: only a request "
            "still in flight can be cancelled."
        )
    from app.services.in_person import InPersonSigning

    if registry.in_person(request.provider) and InPersonSigning.all_done(request):
        raise UserError(
            f"Everyone has already signed {request.name!r}: it is being completed "
            "and can no longer be cancelled."
        )
    if reason is not None and len(reason) > MAX_CANCEL_REASON:
        raise UserError(
            f"The reason is {len(reason)} characters long: shorten it to at most "
            f"{MAX_CANCEL_REASON}."
        )


async def cancel_request(ctx: Context, request_id: str, reason: str | None) -> Request:
    """Cancel a request still in flight at its provider, with ``reason`` (optional).

    Refused (``CapabilityError``/``UserError``, nothing sent) when the provider cannot cancel,
    the request has already finished, or the reason is longer than 500 characters. A request
    still queued is first delivered with its outbox key (it may already have reached the
    provider), so nothing is left running there.
    """
    from app.services.in_person import InPersonSigning
    from app.services.send import deliver

    request = ctx.requests.get(request_id)
    check_cancel(ctx, request, reason)
    current = request
    if current.status == Status.QUEUED:
        current = await deliver(ctx, request.id)
    report = await ctx.provider(request.provider).cancel(current, reason)
    reached("cancel-checked")
    with ctx.store.transaction():
        # Compare-and-set: the request must still be in flight now, under the write lock (a
        # sign, a decline or a sync may have finished it since it was read).
        latest = ctx.requests.get(request.id)
        if registry.in_person(latest.provider) and InPersonSigning.all_done(latest):
            raise UserError(
                f"Everyone has already signed {latest.name!r}: it is being "
                "completed and can no longer be cancelled."
            )
        ctx.requests.apply_report(
            request.id,
            report,
            kind="cancelled",
            expect=(Status.QUEUED, Status.RECONCILING, Status.SENT, Status.VIEWED),
        )
    return ctx.requests.get(request.id)


async def download_request(ctx: Context, request_id: str, *, again: bool = False) -> Archived:
    """Download the signed PDF and the certificate of a completed request into the archive;
    returns the archived folder (the one already there when it was downloaded before, unless
    ``again``: then the files are downloaded afresh, checked, and replace the archived ones,
    which are kept aside in the folder)."""
    request = ctx.requests.get(request_id)
    # Waits, as the archive lock does, for another desk or process archiving it right now.
    async with leased(ctx, request.id, "archiving", wait=ARCHIVE_WAIT):
        archived = await archive_request_async(ctx, request.id, again=again)
        await _timestamped_copy(ctx, request.id)
    return archived


async def _timestamped_copy(ctx: Context, request_id: str) -> None:
    """With a timestamp authority set, the timestamped copy of a received signed PDF
    (:mod:`app.services.received_ltv`); what cannot be done now is logged and left to the
    next sync or ``archive upgrade``: the download itself is done."""
    from app.services.received_ltv import timestamp_due

    try:
        done = await timestamp_due(ctx, [request_id])
    except SealboxError as exc:
        log.warning("no timestamped copy of %s now: %s", request_id, exc.message)
        return
    for f in done.files if done else []:
        if f.outcome != "upgraded":
            log.warning("no timestamped copy of %s now: %s", request_id, f.reason)
