"""``sealbox sync``: finish interrupted sends, refresh in-flight requests, archive finished ones.

Each step is safe to repeat and safe to interrupt:

- a send kept on this desk while the shared store could not be reached is committed to the
  store's outbox with its key (:mod:`app.services.desk_outbox`), then delivered as any;
- a queued send is delivered with its outbox key (a provider with idempotency keys returns the
  original if it had arrived);
- a send whose outcome is unknown (``reconciling``) is first looked up at the provider by its
  external reference; it is sent again only when the provider certainly does not have it, or
  when the user says so (``--resend``);
- a local request whose signers are all done is finalized again;
- requests in flight are refreshed with bounded concurrency per provider;
- finished requests are archived; a download the provider has not prepared yet is tried again
  on the next sync, not reported as an error;
- each request is refreshed or archived by one desk and process at a time: the one holding its
  lease (:mod:`app.services.leases`); the others leave it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.archive.folder import archive_request_async, record_folder
from app.archive.staging import clean_staging
from app.context import Context
from app.domain.lifecycle import Status
from app.errors import BusyError, CapabilityError, SealboxError, UnavailableError, UserError
from app.oslock import try_lock
from app.providers.errors import ConflictError
from app.services.bulk.run import resume_runs
from app.services.desk_outbox import commit_kept
from app.services.leases import leased_many
from app.services.requests import refresh_and_apply
from app.services.send import deliver, discard_orphans, sent_elsewhere
from app.storage import storage_error
from app.store.records import DATABASE_ERRORS

log = logging.getLogger(__name__)

#: What one request's step may fail with that is not a bug: Sealbox's own errors, a file the
#: system would not read or write, the store's database (a full disk).
_STEP_ERRORS: tuple[type[Exception], ...] = (SealboxError, OSError, *DATABASE_ERRORS)

#: What a failed upgrade of archived seals may raise besides the steps' errors (pyHanko on a
#: file it cannot handle): noted, never a reason to stop the sync.
_UPGRADE_ERRORS: tuple[type[Exception], ...] = (ValueError, KeyError, TypeError, RuntimeError)

#: At most this many calls in flight to one provider at a time.
PER_PROVIDER_CONCURRENCY = 8
#: Requests claimed (and released) together: the leases of a batch cost one commit each way.
LEASE_BATCH = 32


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
    #: Requests this sync left as they were because another process is working on them, and
    #: why (a send, a seal or an archive under way elsewhere).
    left: dict[str, str] = field(default_factory=dict)
    #: Requests whose step failed with an unexpected error (a bug): the pass went on.
    bugs: dict[str, BaseException] = field(default_factory=dict)
    #: Providers that could not be reached during this sync (offline, or the service is down).
    unavailable: set[str] = field(default_factory=set)
    #: Providers that answered at least once during this sync.
    reached: set[str] = field(default_factory=set)
    #: Requests whose error only needs a retry (the provider could not be reached).
    retryable: set[str] = field(default_factory=set)
    cleaned: int = 0
    #: Archived seals brought up to a higher PAdES level ("<id> <file>: B-B -> B-LTA"), and
    #: why others could not be this time (tried again next pass; never an error of the sync).
    upgraded: list[str] = field(default_factory=list)
    not_upgraded: dict[str, str] = field(default_factory=dict)
    #: Received PDFs that may not get a timestamped copy, and why (said once).
    kept_as_received: dict[str, str] = field(default_factory=dict)
    #: Sends kept on this desk while the shared store could not be reached, now committed to
    #: its outbox (request ids), and those it would not take (key: why).
    from_desk: list[str] = field(default_factory=list)
    desk_refused: dict[str, str] = field(default_factory=dict)

    @property
    def offline(self) -> bool:
        """Nothing could be reached and something was tried: the network is likely down."""
        return bool(self.unavailable) and not self.reached

    def to_json(self) -> dict[str, object]:
        return {
            "delivered": self.delivered,
            "reconciled": self.reconciled,
            "refreshed": self.refreshed,
            "finalized": self.finalized,
            "archived": self.archived,
            "waiting": self.waiting,
            "changed": self.changed,
            "errors": self.errors,
            "leftInFlight": self.left,
            "unavailable": sorted(self.unavailable),
            "cleaned": self.cleaned,
            "upgraded": self.upgraded,
            "notUpgraded": self.not_upgraded,
            "keptAsReceived": self.kept_as_received,
            "fromDeskOutbox": self.from_desk,
            "deskOutboxRefused": self.desk_refused,
        }

    def fail(self, request_id: str, exc: BaseException) -> None:
        """Record what stopped one request's step; the pass goes on with the others."""
        if isinstance(exc, BusyError):
            self.left[request_id] = exc.message
        elif isinstance(exc, UnavailableError):
            self.errors[request_id] = exc.message
            self.retryable.add(request_id)
        elif isinstance(exc, SealboxError):
            self.errors[request_id] = exc.message
        else:
            self.bugs[request_id] = exc
            self.errors[request_id] = (
                f"an unexpected error stopped it ({type(exc).__name__}: "
                f"{exc}); this is a bug in Sealbox, the details are in "
                "the log"
            )


async def reconcile(ctx: Context, request_id: str, result: SyncResult) -> None:
    """Resolve a send whose outcome is unknown, never by blindly sending again."""
    request = ctx.requests.get(request_id)
    outbox = ctx.store.outbox
    provider = ctx.provider(request.provider)
    if provider.capabilities.idempotency:
        # The same key makes the provider return the original if it had arrived.
        outbox.requeue(request.id, "sent again with the same idempotency key")
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
            "it there."
        )
        result.retryable.add(request.id)  # unresolved until the user looks (exit 3)
        return
    if report is None:
        outbox.requeue(request.id, f"{provider.capabilities.name} does not have it")
        await deliver(ctx, request.id)
        result.delivered.append(request.id)
    else:
        outbox.mark_done(request.id, report)
        result.reconciled.append(request.id)


def judge_interrupted_sends(ctx: Context, result: SyncResult) -> None:
    """Sends marked ``sending``: one whose process is gone (its send lock can be taken) may
    have reached the provider and is reconciled; one whose process is alive is left to it."""
    outbox = ctx.store.outbox
    for item in outbox.in_state("sending"):
        if (elsewhere := sent_elsewhere(ctx, item.request_id)) is not None:
            result.left[item.request_id] = f"being sent: it {elsewhere}"
            continue
        held = try_lock(ctx.paths.lock("send", item.request_id))
        if held is None:
            pid = outbox.owner_pid(item.request_id)
            who = f" (process {pid})" if pid else ""
            result.left[item.request_id] = (
                f"another Sealbox{who} is sending it right now; it is left to that process"
            )
            continue
        with held:
            # Under the lock: the sender is gone, and no one else is judging it meanwhile.
            if (current := outbox.get(item.request_id)) and current.state == "sending":
                log.warning("send of %s was cut off: its process is gone", item.request_id)
                outbox.mark_reconciling(
                    item.request_id,
                    "the send was interrupted (the process sending it ended before the answer)",
                )


async def _bounded(ctx: Context, ids: Iterable[str], work: str, result: SyncResult) -> None:
    limits: dict[str, asyncio.Semaphore] = {}

    # One query for every request's provider: loading each request before it may run would do
    # all the loading at once, in one step of the event loop (a stall the window would show).
    wanted = list(ids)
    provider_of = ctx.requests.providers_by_id()

    async def one(request_id: str) -> None:
        provider = str(provider_of.get(request_id, ""))
        gate = limits.setdefault(provider, asyncio.Semaphore(PER_PROVIDER_CONCURRENCY))
        async with gate:
            try:
                if work == "refresh":
                    done = await refresh_and_apply(ctx, request_id)
                    if done.finalized:
                        result.finalized.append(request_id)
                        return
                    if done.reached:
                        result.reached.add(provider)
                        result.refreshed.append(request_id)
                    if done.after != done.before:
                        result.changed[request_id] = done.after.value
                else:
                    await archive_request_async(ctx, request_id, wait=0)
                    result.archived.append(request_id)
            except ConflictError:
                result.waiting.append(request_id)  # not ready at the provider yet
            except UnavailableError as exc:
                if not isinstance(exc, BusyError):
                    result.unavailable.add(provider)
                result.fail(request_id, exc)
            except _STEP_ERRORS as exc:
                problem = as_user_error(ctx, exc)
                if problem is None:
                    raise
                result.fail(request_id, problem)
                if work == "archive":
                    _note_archive_error(ctx, request_id, problem.message)
            except Exception as exc:  # one request's failure never stops the others
                log.exception("sync: %s of %s failed", work, request_id)
                result.fail(request_id, exc)
                if work == "archive":
                    _note_archive_error(ctx, request_id, result.errors[request_id])

    # A batch at a time under its leases (one commit claims them, one releases them): the
    # requests another desk or process holds are left to it.
    doing = "refreshing" if work == "refresh" else "archiving"
    for start in range(0, len(wanted), LEASE_BATCH):
        async with leased_many(ctx, wanted[start : start + LEASE_BATCH], doing) as claimed:
            result.left.update(claimed.left)
            await asyncio.gather(*(one(rid) for rid in claimed.ids))


def as_user_error(ctx: Context, exc: Exception) -> SealboxError | None:
    """An error of one request's step as the user reads it: a file the system would not write
    or read (a full disk above all) is named with what to do, not taken for a bug; None for a
    database error that is not the disk's (a bug)."""
    if isinstance(exc, SealboxError):
        return exc
    problem = storage_error(exc, database=ctx.paths.database)
    if problem is not None or not isinstance(exc, OSError):
        return problem  # None: a database error that is not the disk's
    where = f" ({exc.filename})" if exc.filename else ""
    return UserError(
        f"Sealbox could not read or write a file: {exc.strerror or exc}{where}. "
        "Fix that, then run `sealbox sync` again."
    )


def _note_archive_error(ctx: Context, request_id: str, message: str) -> None:
    try:
        ctx.store.archive.set_error(request_id, message)
    except _STEP_ERRORS as exc:  # the store may be what failed
        log.warning("could not record the archive error of %s: %s", request_id, exc)


async def sync(ctx: Context, resend: Iterable[str] = ()) -> SyncResult:
    result = SyncResult()
    requests, outbox = ctx.requests, ctx.store.outbox
    cleaned = clean_staging(ctx.paths.archive_dir)
    result.cleaned = len(discard_orphans(ctx)) + cleaned.count
    for folder in cleaned.finished or []:
        try:
            record_folder(ctx, folder)
        except SealboxError as exc:
            result.errors[folder.name] = exc.message

    for ref in resend:
        request = requests.get(ref)
        item = outbox.get(request.id)
        if request.status != Status.RECONCILING or item is None:
            raise SealboxError(
                f"{request.name!r} is {request.status.value}: only a request "
                "whose send is unknown (reconciling) can be sent again."
            )
        outbox.requeue(request.id, "sent again at the user's request")

    for run_id, why in resume_runs(ctx).items():  # runs cut off: their rows' requests
        result.errors[run_id] = why
        result.retryable.add(run_id)
    judge_interrupted_sends(ctx, result)
    # Sends kept while the shared store could not be reached: into its outbox, delivered below.
    committed = commit_kept(ctx)
    result.from_desk = [r.id for r in committed.committed]
    result.desk_refused = committed.refused

    for item in outbox.in_state("pending"):
        try:
            await deliver(ctx, item.request_id)
            result.delivered.append(item.request_id)
        except UnavailableError as exc:
            if not isinstance(exc, BusyError):
                result.unavailable.add(requests.get(item.request_id).provider)
            result.fail(item.request_id, exc)
        except SealboxError as exc:
            result.fail(item.request_id, exc)

    for item in outbox.in_state("reconciling"):
        if (elsewhere := sent_elsewhere(ctx, item.request_id)) is not None:
            result.left[item.request_id] = f"its send is unsettled: it {elsewhere}"
            continue
        try:
            await reconcile(ctx, item.request_id, result)
        except SealboxError as exc:
            result.fail(item.request_id, exc)

    await _bounded(ctx, requests.ids_with_status([Status.SENT, Status.VIEWED]), "refresh", result)
    await _bounded(ctx, ctx.store.archive.completed_unarchived(), "archive", result)
    await upgrade_seals(ctx, result)
    return result


async def upgrade_seals(ctx: Context, result: SyncResult) -> None:
    """Bring archived seals below B-LTA up, and add the timestamped copy of received PDFs,
    when a timestamp authority is set (:mod:`app.services.upgrade`,
    :mod:`app.services.received_ltv`). Nothing here fails or holds up the sync: what could not be
    done is noted in ``result`` and the log, and tried again next pass."""
    from app.services.received_ltv import timestamp_due
    from app.services.upgrade import FileUpgrade, upgrade_due

    files: list[FileUpgrade] = []
    try:
        for done in (await upgrade_due(ctx), await timestamp_due(ctx, wait=0)):
            files.extend(done.files if done else [])
    except (*_STEP_ERRORS, *_UPGRADE_ERRORS) as exc:
        message = exc.message if isinstance(exc, SealboxError) else f"{type(exc).__name__}: {exc}"
        log.warning("the upgrade of archived seals stopped: %s", message, exc_info=True)
        result.not_upgraded["archive"] = message
        return
    for f in files:
        key = f"{f.request_id} {f.kind}"
        if f.outcome == "refused":
            result.kept_as_received[f.request_id] = f.reason or "refused"
            log.info("%s of %s kept as received only: %s", f.kind, f.request_id, f.reason)
        elif f.outcome == "upgraded":
            result.upgraded.append(f"{key}: {f.before} -> {f.after}")
        else:
            result.not_upgraded[key] = f.reason or f.outcome
            log.warning("archived %s of %s not upgraded: %s", f.kind, f.request_id, f.reason)
