"""A run: one document sent to every row of a checked plan, each row an ordinary request.

The order is what makes a run safe to cut off at any moment:

1. The run is recorded, with a copy of the document and every row with its own idempotency key,
   in one transaction before anything is sent (:func:`start`).
2. Each row in turn: its copy of the document is stamped with the row's values and
   :func:`app.services.send.prepare` commits its request to the outbox under the row's key; the
   row is then linked to it. A row whose key is already in the outbox (the run was cut off
   between the two) is linked to that request: it is never made twice.
3. :func:`app.services.send.deliver` sends it with that key (``Retry-After`` is honoured by the
   provider's HTTP layer). A send cut off during the provider's call is judged by ``sync`` as
   any other: sent again with the same key where the provider has idempotency keys, otherwise
   looked up or left for the user to check, never sent blindly.

While a run is being sent its process holds the run's lock (``DATA/locks/run-<id>.lock``); a
``sealbox sync`` (or the app) finishes a run whose process is gone (:func:`resume_runs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import shutil
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from app.context import Context
from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.errors import BusyError, SealboxError, UnavailableError, UserError
from app.faults import crash_point
from app.fsutil import atomic_copy, atomic_write_bytes
from app.oslock import try_lock
from app.pdf.stamp import default_handwriting_font, stamp_pdf
from app.services.bulk.checks import Plan, Problem, row_spec
from app.services.send import SEND_WAIT, deliver, prepare
from app.store.runs import NewRow, Run, RunRow, Runs

log = logging.getLogger(__name__)

T = TypeVar("T")


class Offload(Protocol):
    """Runs a blocking call away from the event loop and awaits its result (the window's
    thread pool, :meth:`app.ui.bridge.AsyncBridge.run_blocking`; by default a thread)."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


def in_thread(fn: Callable[[], T]) -> Awaitable[T]:
    """The default :class:`Offload`: asyncio's default thread pool."""
    return asyncio.to_thread(fn)


class RunRefused(UserError):
    """The run cannot start: the problems, each naming its row and cell."""

    def __init__(self, problems: list[Problem], rows: int) -> None:
        self.problems = problems
        faulty = len({p.row for p in problems if p.row is not None})
        if any(p.row is None for p in problems):
            head = "Nothing was sent: the run cannot start"
        else:
            head = (
                f"Nothing was sent: {faulty} of {rows} row(s) have a problem; correct them, "
                "or skip the rows at fault"
            )
        super().__init__(
            head
            + ". "
            + " ".join(p.sentence().rstrip(".") + "." for p in problems[:3])
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        )


@dataclass(frozen=True)
class RowOutcome:
    """Where a row stands: ``sent`` (or the request's later status), ``queued``, ``refused``,
    ``waiting``, ``cancelled``."""

    number: int
    status: str
    request_id: str | None
    name: str
    email: str
    reason: str | None = None
    links: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.number,
            "status": self.status,
            "requestId": self.request_id,
            "name": self.name,
            "email": self.email,
            "reason": self.reason,
            "signingLinks": list(self.links),
        }


@dataclass
class RunControl:
    """Pause and cancel from the window; the run looks at it between rows."""

    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: bool = False

    def __post_init__(self) -> None:
        self.resumed.set()

    def pause(self) -> None:
        self.resumed.clear()

    def resume(self) -> None:
        self.resumed.set()

    def cancel(self) -> None:
        self.cancelled = True
        self.resumed.set()


def runs(ctx: Context) -> Runs:
    return ctx.store.runs


def run_folder(ctx: Context, run_id: str) -> Path:
    return ctx.paths.data_dir / "runs" / run_id


def start(ctx: Context, pdf_path: Path, plan: Plan, *, skip_faulty: bool = False) -> str:
    """Record the run and its rows (the document copied first); returns the run's id.

    Refused with :class:`RunRefused`, nothing written, when the run has a problem or a row has
    one and ``skip_faulty`` is not given."""
    if plan.problems:
        raise RunRefused(plan.problems, len(plan.rows))
    faulty = plan.faulty
    if faulty and not skip_faulty:
        raise RunRefused([p for r in faulty for p in r.problems], len(plan.rows))
    if len(faulty) == len(plan.rows):
        raise RunRefused([p for r in faulty for p in r.problems], len(plan.rows))
    run_id = str(uuid.uuid4())
    folder = run_folder(ctx, run_id)
    copy = folder / plan.info.path.name
    if atomic_copy(pdf_path, copy, mode=0o600) != plan.info.sha256:
        shutil.rmtree(folder, ignore_errors=True)
        raise UserError(
            f"{pdf_path.name} changed while the run was being prepared: save it, then send again."
        )
    rows = [
        NewRow(
            r.number, r.data(), str(uuid.uuid4()), "; ".join(p.message for p in r.problems) or None
        )
        for r in plan.rows
    ]
    run = Run(
        id=run_id,
        name=plan.spec.name,
        provider=plan.provider,
        render_id=plan.render_id,
        spec=plan.spec.to_json(),
        document_name=copy.name,
        document_sha256=plan.info.sha256,
        sheet=plan.sheet.label,
        state="running",
        created_at=now(),
    )
    try:
        runs(ctx).add(run, rows)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.info("run %s recorded: %d rows for %s", run_id, len(rows), plan.provider)
    crash_point("run-recorded")
    return run_id


def make_request(ctx: Context, run: Run, row: RunRow, spec: RequestSpec) -> str:
    """The row's request, committed to the outbox under the row's key (made once only)."""
    existing = runs(ctx).request_for_key(row.idempotency_key)
    if existing is None:
        existing = _prepare(ctx, run, row, spec, _stamped(ctx, run, row, spec))
    return _link(ctx, run, row, existing)


async def make_request_async(
    ctx: Context, run: Run, row: RunRow, spec: RequestSpec, offload: Offload = in_thread
) -> str:
    """:func:`make_request` with its CPU work (stamping the copy, the PDF checks of
    :func:`app.services.send.prepare` and its commit to the outbox) run by ``offload``, away
    from the event loop (the window stays responsive). The order is the same: the row's request
    is committed under its key before it is linked, and a cancelled wait leaves a committed
    request to be linked by the next :func:`resume_runs` (never made twice)."""
    existing = runs(ctx).request_for_key(row.idempotency_key)
    if existing is None:
        existing = await offload(
            lambda: _prepare(ctx, run, row, spec, _stamped(ctx, run, row, spec))
        )
    return _link(ctx, run, row, existing)


def _stamped(ctx: Context, run: Run, row: RunRow, spec: RequestSpec) -> Path:
    """The row's copy of the document with its values stamped (the run's copy if none)."""
    _one, stamps = row_spec(spec, row.data)
    source = run_folder(ctx, run.id) / run.document_name
    if not stamps:
        return source
    path = run_folder(ctx, run.id) / "rows" / str(row.number) / run.document_name
    atomic_write_bytes(
        path, stamp_pdf(source.read_bytes(), stamps, default_handwriting_font()), mode=0o600
    )
    return path


def _prepare(ctx: Context, run: Run, row: RunRow, spec: RequestSpec, path: Path) -> str:
    one, _stamps = row_spec(spec, row.data)
    try:
        return prepare(
            ctx,
            path,
            one,
            provider_id=run.provider,
            render_id=run.render_id,
            idempotency_key=row.idempotency_key,
        ).id
    finally:
        if path != run_folder(ctx, run.id) / run.document_name:
            shutil.rmtree(path.parent, ignore_errors=True)


def _link(ctx: Context, run: Run, row: RunRow, request_id: str) -> str:
    crash_point("run-row-committed")
    runs(ctx).link(run.id, row.number, request_id)
    return request_id


def _spec(run: Run) -> RequestSpec:
    return RequestSpec.from_stored(run.spec)


async def proceed(
    ctx: Context,
    run_id: str,
    *,
    control: RunControl | None = None,
    on_row: Callable[[RowOutcome], None] | None = None,
    offload: Offload = in_thread,
) -> list[RowOutcome]:
    """Send every row of the run not yet sent, in order; the outcome of every row. Each row's
    copy is stamped and checked by ``offload`` (off the event loop).

    Stops early when the provider cannot be reached (the rows left stay queued for ``sync``),
    when ``control`` is cancelled or when the run is cancelled (by another process too)."""
    store = runs(ctx)
    run = store.get(run_id)
    held = try_lock(ctx.paths.lock("run", run.id))
    if held is None:
        raise BusyError(f"Another Sealbox is sending the run {run.name!r} right now.")
    with held:
        spec = _spec(run)
        stopped = False
        await offload(_warm_up)
        for row in store.rows(run.id):
            if row.state in ("skipped", "cancelled") or stopped:
                continue
            if control is not None:
                await control.resumed.wait()
                if control.cancelled:
                    break
            if store.state(run.id) == "cancelled":
                break
            try:
                request_id = row.request_id or await make_request_async(
                    ctx, run, row, spec, offload
                )
            except UnavailableError:
                raise
            except SealboxError as exc:
                store.refuse_row(run.id, row.number, exc.message)
                if on_row:
                    on_row(row_outcome(ctx, store.row(run.id, row.number)))
                continue
            try:
                await deliver(ctx, request_id, wait=SEND_WAIT)
            except UnavailableError as exc:
                log.warning("run %s stopped at row %d: %s", run.id, row.number, exc.message)
                stopped = True
            except SealboxError:
                pass  # the request is failed, with the provider's reason
            if on_row:
                on_row(row_outcome(ctx, row, request_id))
        await offload(lambda: finish_if_done(ctx, run.id))
    return await offload(lambda: outcomes(ctx, run.id))  # every row's request read again


def _warm_up() -> None:
    """Import off the event loop what the first row's send would import on it: an HTTP
    client's first request loads its async backend (anyio's, about 100 ms)."""
    with contextlib.suppress(ImportError):
        importlib.import_module("anyio._backends._asyncio")


def finish_if_done(ctx: Context, run_id: str) -> bool:
    """Mark the run done (and remove its copy of the document) once no row waits."""
    store = runs(ctx)
    if store.state(run_id) == "running" and all(r.state != "waiting" for r in store.rows(run_id)):
        store.set_state(run_id, "done")
    if store.state(run_id) in ("done", "cancelled"):
        shutil.rmtree(run_folder(ctx, run_id), ignore_errors=True)
        return True
    return False


def resume_runs(ctx: Context) -> dict[str, str]:
    """Make the requests of runs cut off before every row had one (their process is gone);
    the outbox then delivers them. Returns problems by run id; a run another process is
    sending is left to it."""
    store = runs(ctx)
    errors: dict[str, str] = {}
    for run_id in store.ids_in_state("running"):
        held = try_lock(ctx.paths.lock("run", run_id))
        if held is None:
            continue
        with held:
            run = store.get(run_id)
            spec = _spec(run)
            for row in store.rows(run_id):
                if row.state != "waiting":
                    continue
                try:
                    make_request(ctx, run, row, spec)
                except UnavailableError as exc:
                    errors[run_id] = exc.message
                    break
                except SealboxError as exc:
                    store.refuse_row(run_id, row.number, exc.message)
            finish_if_done(ctx, run_id)
    return errors


def row_outcome(ctx: Context, row: RunRow, request_id: str | None = None) -> RowOutcome:
    first = row.data["recipients"][row.data.get("who", 0)]
    name = f"{first['firstName']} {first['lastName']}".strip()
    rid = request_id or row.request_id
    if rid is None:
        status = {"skipped": "refused"}.get(row.state, row.state)
        return RowOutcome(row.number, status, None, name, first["email"], row.problem)
    request = ctx.requests.get(rid)
    links = tuple(s.signing_url for s in request.recipients if s.signing_url)
    if request.status == Status.FAILED:
        return RowOutcome(
            row.number, "refused", rid, name, first["email"], request.error_message, links
        )
    reason = None
    if request.status in (Status.QUEUED, Status.RECONCILING):
        item = ctx.store.outbox.get(rid)
        reason = item.last_error if item else None
    return RowOutcome(row.number, request.status.value, rid, name, first["email"], reason, links)


def outcomes(ctx: Context, run_id: str) -> list[RowOutcome]:
    return [row_outcome(ctx, row) for row in runs(ctx).rows(run_id)]


def summary(items: list[RowOutcome]) -> dict[str, int]:
    """Rows by what became of them: ``sent`` (sent or later), ``refused``, ``queued``
    (waiting to be sent: ``sealbox sync`` sends them), ``cancelled``."""
    out = {"rows": len(items), "sent": 0, "refused": 0, "queued": 0, "cancelled": 0}
    for item in items:
        if item.status == "refused":
            out["refused"] += 1
        elif item.status in ("queued", "waiting", "reconciling"):
            out["queued"] += 1
        elif item.status == "cancelled" and item.request_id is None:
            out["cancelled"] += 1
        else:
            out["sent"] += 1
    return out


@dataclass
class CancelResult:
    rows: int = 0
    cancelled: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def cancel_run(ctx: Context, run_id: str, reason: str | None = None) -> CancelResult:
    """Cancel a run: rows not yet made are never sent, and every request still in flight is
    cancelled where its provider can cancel (the others are named)."""
    from app.services.requests import cancel_request

    store = runs(ctx)
    run = store.get(run_id)
    result = CancelResult(rows=store.cancel(run.id))
    for request_id in store.request_ids(run.id):
        request: Request = ctx.requests.get(request_id)
        if request.status.terminal:
            continue
        caps = ctx.provider(request.provider).capabilities
        if not caps.cancel:
            result.left[request_id] = f"{caps.name} does not offer cancelling a request"
            continue
        try:
            await cancel_request(ctx, request_id, reason)
            result.cancelled.append(request_id)
        except SealboxError as exc:
            result.errors[request_id] = exc.message
    with contextlib.suppress(OSError):
        finish_if_done(ctx, run.id)
    return result
