"""``sealbox archive renew``: a fresh document timestamp on every archived PDF whose proof runs out.

The files renewed are the ones Sealbox may change: the built-in provider's seals (the signed
PDF and the completion certificate) and the timestamped copies of PDFs received from providers
(never a file as received). One is due when its last document timestamp's authority certificate
expires within the window (``[timestamp] renew_within_days``, 365 days unless set; ``--window``),
read from the file (:func:`app.archive.renewal.renewal_state`).

Each due file gets, on a copy in memory, the validation data of that last timestamp and a new
document timestamp (:func:`app.providers.local.lta_updates.renew_timestamp`); the result must
keep the archived bytes as its first part, validate, and hold its proof longer than before. It
then replaces the archived file as an upgrade does (:func:`app.archive.upgrade.commit`: temporary
files, fsync, a journal, renames; a process killed at any step leaves the old file or the new
one), with a ``seal level`` event ``{"renewed": true, "timestampExpires": …}``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.archive.audit import renew_window, trust_roots
from app.archive.manifest import read_manifest
from app.archive.renewal import renewal_state
from app.archive.upgrade import NewFile, archive_lock, commit, finish_interrupted
from app.context import Context
from app.domain.clock import iso
from app.errors import BusyError, UserError
from app.providers import registry
from app.services.seal_levels import timestamp_authority
from app.services.upgrade import SEALED_KINDS, FileUpgrade, Outcome, UpgradeResult

if TYPE_CHECKING:
    from app.providers.local.ltv import LongTermSeal, TimestampAuthority

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueFile:
    request_id: str
    name: str
    kind: str
    path: Path
    expires: dt.datetime


def renewable_kinds(provider: str) -> tuple[str, ...]:
    """The archived files of a request that Sealbox may renew."""
    return SEALED_KINDS if registry.in_person(provider) else ("timestamped",)


def renewal_candidates(ctx: Context) -> list[DueFile]:
    """Every archived file Sealbox may renew, from the store (no file is read); ``expires`` is
    not known yet (the epoch)."""
    out = []
    epoch = dt.datetime.fromtimestamp(0, dt.UTC)
    for rid in ctx.store.archive.archived_ids():
        if not ctx.requests.exists(rid):
            continue
        request = ctx.requests.get(rid)
        by_kind = {f.kind: f for f in ctx.store.archive.files(rid)}
        for kind in renewable_kinds(request.provider):
            row = by_kind.get(kind)
            if row is not None:
                path = ctx.paths.archive_dir / row.path
                out.append(DueFile(rid, request.name, kind, path, epoch))
    return out


def due_among(candidates: list[DueFile], window_days: float) -> list[DueFile]:
    """Those of ``candidates`` whose last document timestamp expires within the window (or has
    expired: then it is too late, and the renewal says so). Reads the files and touches no
    store: run it in a worker thread."""
    out = []
    for item in candidates:
        try:
            data = item.path.read_bytes()
        except OSError:
            continue  # a missing file is archive verify's to report
        state = renewal_state(data, None, window_days)
        if state is not None:
            out.append(dataclasses.replace(item, expires=state.expires))
    return out


async def renew_archive(
    ctx: Context,
    window_days: float | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> UpgradeResult:
    """Renew every due file (see the module); ``before``/``after`` of each file are the days
    its proof ran until and runs until now. ``progress(done, total)`` is told after each."""
    tsa = timestamp_authority(ctx.settings, ctx.secrets, ctx.environ)
    if tsa is None:
        raise UserError(
            "No timestamp authority is set, so there is nothing to renew with: name one as "
            "url in [timestamp] of the settings file, then run this again."
        )
    window = renew_window(ctx) if window_days is None else window_days
    due = await asyncio.to_thread(due_among, renewal_candidates(ctx), window)
    roots = trust_roots(ctx)
    result = UpgradeResult()
    for done, item in enumerate(due, start=1):
        result.files.append(await renew_one(ctx, item, tsa, roots))
        if progress is not None:
            progress(done, len(due))
    return result


async def renew_one(
    ctx: Context, item: DueFile, tsa: TimestampAuthority, roots: Sequence[bytes]
) -> FileUpgrade:
    """Renew one archived file, whole or not at all."""
    before = f"{item.expires:%Y-%m-%d}"

    def kept(outcome: Outcome, why: str | None) -> FileUpgrade:
        return FileUpgrade(
            item.request_id, item.name, item.kind, item.path, before, before, outcome, why
        )

    if item.expires <= dt.datetime.now(dt.UTC):
        return kept(
            "failed",
            f"its last timestamp expired on {before}, before it was renewed: its proof can no "
            "longer be carried forward",
        )
    folder = item.path.parent
    try:
        with archive_lock(ctx, item.request_id):
            finish_interrupted(ctx, folder)
            entry = read_manifest(folder)["files"].get(item.kind) or {}
    except BusyError as exc:
        return kept("busy", exc.message)
    if entry.get("name") != item.path.name:
        return kept("failed", f"{item.path.name} is not in the folder's request.json")
    data = item.path.read_bytes()
    renewed = await asyncio.to_thread(lambda: asyncio.run(_renew(data, tsa, roots)))
    if renewed.unreachable:
        return kept("unreachable", renewed.reason)
    problem, expires = await asyncio.to_thread(
        _problem, data, renewed.pdf, [*roots, *tsa.trust_roots_pem], item.expires
    )
    if problem is not None or expires is None:
        return kept("failed", problem)
    new = NewFile(
        item.kind,
        hashlib.sha256(data).hexdigest(),
        renewed.pdf,
        renewed.level,
        action="renewed",
        extra={"timestampExpires": iso(expires)},
    )
    try:
        with archive_lock(ctx, item.request_id):
            done = commit(ctx, item.request_id, folder, [new])
    except BusyError as exc:
        return kept("busy", exc.message)
    if not done:
        return kept("busy", "the file changed while it was being renewed: run the renewal again")
    log.info("renewed the timestamp of %s of %s until %s", item.kind, item.request_id, expires)
    after = f"{expires:%Y-%m-%d}"
    return FileUpgrade(
        item.request_id, item.name, item.kind, item.path, before, after, "upgraded", None
    )


async def _renew(data: bytes, tsa: TimestampAuthority, roots: Sequence[bytes]) -> LongTermSeal:
    from app.providers.local.lta_updates import renew_timestamp

    return await renew_timestamp(data, tsa, trust_roots_pem=roots)


def _problem(
    data: bytes, renewed: bytes, roots: Sequence[bytes], before: dt.datetime
) -> tuple[str | None, dt.datetime | None]:
    """Why ``renewed`` may not replace ``data`` (None when it may), and until when its new
    last timestamp holds."""
    from app.archive.verify import rollup_status, verify_pdf_signatures
    from app.pdf.pades import last_document_timestamp

    if not renewed.startswith(data):
        return "the renewal did not keep the archived revisions byte for byte", None
    checks = verify_pdf_signatures(renewed, roots)
    if rollup_status(checks) == "invalid":
        broken = next((c.summary for c in checks if not c.ok), "a signature")
        return f"the renewed file does not validate ({broken})", None
    last = last_document_timestamp(renewed)
    if last is None or last.expires <= before:
        return (
            "the timestamp authority's certificate expires no later than the one to renew: "
            "use an authority whose certificate runs longer"
        ), None
    return None, last.expires
