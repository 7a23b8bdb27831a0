"""``sealbox sync``: finish interrupted sends, refresh in-flight requests, archive finished ones.

Each step is safe to repeat and safe to interrupt:

- a queued send is delivered with its outbox key (a provider with idempotency keys returns the
  original if it had arrived);
- a send whose outcome is unknown (``reconciling``) is first looked up at the provider by its
  external reference; it is sent again only when the provider certainly does not have it, or
  when the user says so (``--resend``);
- a local request whose signers are all done is finalized again;
- requests in flight are refreshed with bounded concurrency per provider;
- finished requests are archived; a download the provider has not prepared yet is tried again on
  the next sync, not reported as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.archive.folder import STAGING, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.errors import CapabilityError, SealboxError, UnavailableError
from app.providers.errors import ConflictError
from app.services.send import alive, deliver, discard_orphans

#: At most this many calls in flight to one provider at a time.
PER_PROVIDER_CONCURRENCY = 8


@dataclass
class SyncResult:
    delivered: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Providers that could not be reached during this sync (offline, or the service is down).
    unavailable: set[str] = field(default_factory=set)
    #: Providers that answered at least once during this sync.
    reached: set[str] = field(default_factory=set)
    cleaned: int = 0

    @property
    def offline(self) -> bool:
        """Nothing could be reached and something was tried: the network is likely down."""
        return bool(self.unavailable) and not self.reached

    def to_json(self) -> dict[str, object]:
        return {"delivered": self.delivered, "reconciled": self.reconciled,
                "refreshed": self.refreshed, "finalized": self.finalized,
                "archived": self.archived, "waiting": self.waiting, "changed": self.changed,
                "errors": self.errors, "unavailable": sorted(self.unavailable),
                "cleaned": self.cleaned}


def _clean_staging(ctx: Context) -> int:
    staging = ctx.paths.archive_dir / STAGING
    if not staging.is_dir():
        return 0
    count = 0
    for folder in staging.iterdir():
        shutil.rmtree(folder, ignore_errors=True)
        count += 1
    with contextlib.suppress(OSError):
        staging.rmdir()
    return count


async def reconcile(ctx: Context, request_id: str, result: SyncResult) -> None:
    """Resolve a send whose outcome is unknown, never by blindly sending again."""
    requests = ctx.requests
    request = requests.get(request_id)
    provider = ctx.provider(request.provider)
    if provider.capabilities.idempotency:
        # The same key makes the provider return the original if it had arrived.
        requests.outbox_requeue(request.id, "sent again with the same idempotency key")
        await deliver(ctx, request.id)
        result.delivered.append(request.id)
        return
    try:
        report = await provider.reconcile(request)
    except CapabilityError:
        name = provider.capabilities.name
        result.errors[request.id] = (
            f"Sealbox cannot tell whether {request.name!r} reached {name}: look for it there; "
            f"if it is not there, run `sealbox sync --resend {request.id[:8]}`, otherwise cancel "
            "it there.")
        return
    if report is None:
        requests.outbox_requeue(request.id, f"{provider.capabilities.name} does not have it")
        await deliver(ctx, request.id)
        result.delivered.append(request.id)
    else:
        requests.outbox_done(request.id, report)
        result.reconciled.append(request.id)


async def _bounded(ctx: Context, ids: Iterable[str], work: str, result: SyncResult) -> None:
    from app.providers.local.signing import LocalSigning

    local = LocalSigning(ctx)
    requests = ctx.requests
    limits: dict[str, asyncio.Semaphore] = {}

    # One query for every request's provider: loading each request before it may run would do
    # all the loading at once, in one step of the event loop (a stall the window would show).
    wanted = list(ids)
    provider_of = dict(requests.db.execute("SELECT id, provider FROM requests").fetchall())

    async def one(request_id: str) -> None:
        gate = limits.setdefault(str(provider_of.get(request_id, "")),
                                 asyncio.Semaphore(PER_PROVIDER_CONCURRENCY))
        async with gate:
            request = requests.get(request_id)
            try:
                if work == "refresh":
                    if local.needs_finalizing(request):
                        await local.finalize_async(request.id)
                        result.finalized.append(request.id)
                        return
                    report = await ctx.provider(request.provider).refresh(request)
                    result.reached.add(request.provider)
                    new = requests.apply_report(request.id, report)
                    result.refreshed.append(request.id)
                    if new != request.status:
                        result.changed[request.id] = new.value
                else:
                    await archive_request_async(ctx, request.id)
                    result.archived.append(request.id)
            except ConflictError:
                result.waiting.append(request.id)  # not ready at the provider yet
            except UnavailableError as exc:
                result.unavailable.add(request.provider)
                result.errors[request.id] = exc.message
            except SealboxError as exc:
                result.errors[request.id] = exc.message

    await asyncio.gather(*(one(rid) for rid in wanted))


async def sync(ctx: Context, resend: Iterable[str] = ()) -> SyncResult:
    result = SyncResult()
    requests = ctx.requests
    result.cleaned = len(discard_orphans(ctx)) + _clean_staging(ctx)

    for ref in resend:
        request = requests.get(ref)
        item = requests.outbox(request.id)
        if request.status != Status.RECONCILING or item is None:
            raise SealboxError(f"{request.name!r} is {request.status.value}: only a request "
                               "whose send is unknown (reconciling) can be sent again.")
        requests.outbox_requeue(request.id, "sent again at the user's request")

    for item in requests.pending_outbox("sending"):
        # A send cut off by a crash (its process is gone): it may have reached the provider.
        if alive(requests.outbox_owner(item.request_id) or -1):
            continue
        requests.outbox_reconciling(item.request_id, "the send was interrupted")

    for item in requests.pending_outbox():
        try:
            await deliver(ctx, item.request_id)
            result.delivered.append(item.request_id)
        except UnavailableError as exc:
            result.unavailable.add(requests.get(item.request_id).provider)
            result.errors[item.request_id] = exc.message
        except SealboxError as exc:
            result.errors[item.request_id] = exc.message

    for item in requests.pending_outbox("reconciling"):
        try:
            await reconcile(ctx, item.request_id, result)
        except SealboxError as exc:
            result.errors[item.request_id] = exc.message

    await _bounded(ctx, requests.ids_with_status([Status.SENT, Status.VIEWED]), "refresh",
                   result)
    await _bounded(ctx, requests.unarchived_completed(), "archive", result)
    return result
