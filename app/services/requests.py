"""Actions on one request, shared by the command line and the desktop app (Qt-free).

Each takes a request id (or an unambiguous prefix of one) and returns the request as stored
afterwards. They leave the context's provider clients open: the caller closes them
(``ctx.aclose()``) when it is done with the network, as the command line does after each command.
"""

from __future__ import annotations

from app.archive.folder import Archived, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.errors import UserError

#: The longest cancel reason accepted (Craftkit's limit, the tightest of the providers').
MAX_CANCEL_REASON = 500


async def refresh_request(ctx: Context, request_id: str) -> Request:
    """Ask the provider for the request's news and store it.

    A queued request is sent (with its outbox key); a finished one is returned unchanged; a
    ``local`` request whose signers are all done is completed (stamped and sealed) here.
    """
    from app.providers.local.signing import LocalSigning
    from app.services.send import deliver

    request = ctx.requests.get(request_id)
    if request.status == Status.QUEUED:
        return await deliver(ctx, request.id)
    if request.status.terminal:
        return request
    local = LocalSigning(ctx)
    if local.needs_finalizing(request):
        await local.finalize_async(request.id)
    else:
        report = await ctx.provider(request.provider).refresh(request)
        ctx.requests.apply_report(request.id, report)
    return ctx.requests.get(request.id)


def check_cancel(ctx: Context, request: Request, reason: str | None = None) -> None:
    """Raise the refusal a cancel of ``request`` would meet before anything is sent: the
    provider cannot cancel, the request has finished, or the reason is too long."""
    ctx.provider(request.provider).capabilities.require("cancel")
    if request.status.terminal:
        raise UserError(f"{request.name!r} is already {request.status.value}: only a request "
                        "still in flight can be cancelled.")
    if reason is not None and len(reason) > MAX_CANCEL_REASON:
        raise UserError(f"The reason is {len(reason)} characters long: shorten it to at most "
                        f"{MAX_CANCEL_REASON}.")


async def cancel_request(ctx: Context, request_id: str, reason: str | None) -> Request:
    """Cancel a request still in flight at its provider, with ``reason`` (optional).

    Refused (``CapabilityError``/``UserError``, nothing sent) when the provider cannot cancel,
    the request has already finished, or the reason is longer than 500 characters. A request
    still queued is first delivered with its outbox key (it may already have reached the
    provider), so nothing is left running there.
    """
    from app.services.send import deliver

    request = ctx.requests.get(request_id)
    check_cancel(ctx, request, reason)
    current = request
    if current.status == Status.QUEUED:
        current = await deliver(ctx, request.id)
    report = await ctx.provider(request.provider).cancel(current, reason)
    ctx.requests.apply_report(request.id, report, kind="cancelled")
    return ctx.requests.get(request.id)


async def download_request(ctx: Context, request_id: str) -> Archived:
    """Download the signed PDF and the certificate of a completed request into the archive;
    returns the archived folder (the one already there when it was downloaded before)."""
    request = ctx.requests.get(request_id)
    return await archive_request_async(ctx, request.id)
