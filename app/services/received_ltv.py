"""The timestamped copy of a signed PDF received from a provider.

A signed PDF downloaded from a provider is archived exactly as received (``<name>-signed.pdf``:
its bytes and hash never change). With a timestamp authority set, Sealbox adds beside it
``<name>-signed-timestamped.pdf``: the received file followed by incremental updates (a
document timestamp, the validation data that can be fetched, a document timestamp over it;
:func:`app.providers.local.lta_updates.timestamp_received`), so its first revision is the
received file byte for byte. ``request.json`` records it as the ``timestamped`` file, with its
own SHA-256 and size, the level it reached and the received file's hash (``received``).

The copy is made by the sync (right after the download, and on later passes when the authority
could not be reached), by ``sealbox download`` and by ``sealbox archive upgrade``; it is
checked (the received bytes first, every signature intact and valid) and then put in place
whole, under the request's archive lock, with the upgrade's journal
(:func:`app.archive.upgrade.commit`). A PDF that may not get one (unreadable, unsigned, or
certified with no change allowed) is noted once on the request (a ``seal level`` event with
``refused``) and never tried again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.archive.audit import trust_roots
from app.archive.manifest import read_manifest
from app.archive.upgrade import NewFile, archive_lock, commit, finish_interrupted
from app.context import Context
from app.errors import BusyError, UserError
from app.providers import registry
from app.services.seal_levels import SEAL_LEVEL_EVENT, timestamp_authority
from app.services.upgrade import (
    FileUpgrade,
    Outcome,
    UpgradeResult,
    no_authority_error,
    upgrade_archive,
)

if TYPE_CHECKING:
    from app.providers.local.ltv import LongTermSeal, TimestampAuthority

log = logging.getLogger(__name__)

TIMESTAMPED = "timestamped"


def timestamped_name(signed_name: str) -> str:
    """``Lease-signed.pdf`` -> ``Lease-signed-timestamped.pdf``."""
    stem = signed_name[:-4] if signed_name.lower().endswith(".pdf") else signed_name
    return f"{stem}-timestamped.pdf"


def due(ctx: Context, ids: list[str] | None = None) -> list[str]:
    """The archived requests of providers (not the built-in one) whose signed PDF has no
    timestamped copy yet and was not refused one (from the store: no file is read)."""
    out = []
    for rid in ctx.store.archive.archived_ids() if ids is None else ids:
        if not ctx.requests.exists(rid) or registry.in_person(ctx.requests.get(rid).provider):
            continue
        kinds = {f.kind for f in ctx.store.archive.files(rid)}
        if "signed" not in kinds or TIMESTAMPED in kinds:
            continue
        refused = any(
            e.kind == SEAL_LEVEL_EVENT
            and (e.payload or {}).get("file") == TIMESTAMPED
            and (e.payload or {}).get("refused")
            for e in ctx.requests.events(rid)
        )
        if not refused:
            out.append(rid)
    return out


async def timestamp_due(
    ctx: Context, ids: list[str] | None = None, *, wait: float | None = None
) -> UpgradeResult | None:
    """Make the timestamped copy of every received PDF :func:`due` names (of ``ids``, or
    all); None when no timestamp authority is set or nothing is due."""
    tsa = timestamp_authority(ctx.settings, ctx.secrets, ctx.environ)
    if tsa is None:
        return None
    pending = due(ctx, ids)
    if not pending:
        return None
    result = UpgradeResult()
    roots = trust_roots(ctx)
    for rid in pending:
        result.files.append(await timestamp_one(ctx, rid, tsa, roots, wait=wait))
    return result


async def upgrade_with_received(ctx: Context, ref: str | None = None) -> UpgradeResult:
    """``sealbox archive upgrade``: the timestamped copies still to be made, then the seals of
    the built-in provider brought up to B-LTA."""
    if timestamp_authority(ctx.settings, ctx.secrets, ctx.environ) is None:
        raise no_authority_error()
    ids = None if ref is None else [ctx.requests.resolve_id(ref)]
    result = await upgrade_archive(ctx, ref)
    made = await timestamp_due(ctx, ids)
    if made is not None:
        result.files[:0] = made.files
    return result


async def timestamp_one(
    ctx: Context,
    rid: str,
    tsa: TimestampAuthority,
    roots: Sequence[bytes],
    *,
    wait: float | None = None,
) -> FileUpgrade:
    """Make, check and put in place the timestamped copy of one request's received PDF."""
    from app.pdf.pades import document_level

    rel = ctx.store.archive.folder(rid) or ""
    folder = ctx.paths.archive_dir / rel
    request_name = ctx.requests.get(rid).name
    lock_args = {} if wait is None else {"wait": wait}
    try:
        with archive_lock(ctx, rid, **lock_args):
            finish_interrupted(ctx, folder)
            manifest = read_manifest(folder)
    except (BusyError, UserError) as exc:
        return FileUpgrade(rid, request_name, TIMESTAMPED, folder, "?", "?", "busy", exc.message)
    entry = manifest["files"]["signed"]
    source = folder / entry["name"]
    target = folder / timestamped_name(entry["name"])

    def report(outcome: Outcome, before: str, after: str, why: str | None) -> FileUpgrade:
        return FileUpgrade(rid, request_name, TIMESTAMPED, target, before, after, outcome, why)

    try:
        data = source.read_bytes()
    except OSError as exc:
        return report("failed", "?", "?", f"{source.name} could not be read ({exc.strerror})")
    before = await asyncio.to_thread(_level_or_none, data)
    made = await asyncio.to_thread(lambda: asyncio.run(_make(data, tsa, roots)))
    if isinstance(made, str):
        ctx.requests.add_event(
            rid,
            SEAL_LEVEL_EVENT,
            f"{TIMESTAMPED}: none ({made})",
            {"file": TIMESTAMPED, "level": None, "reason": made, "refused": True},
        )
        return report("refused", before, before, f"kept as received only: {made}")
    if made.unreachable:
        return report("unreachable", before, before, made.reason)
    problem = await asyncio.to_thread(_problem, data, made.pdf, [*roots, *tsa.trust_roots_pem])
    if problem is not None:
        return report("failed", before, before, problem)
    after = await asyncio.to_thread(document_level, made.pdf) or before
    new = NewFile(
        TIMESTAMPED,
        hashlib.sha256(data).hexdigest(),
        made.pdf,
        after,
        action="timestamped",
        source="signed",
        name=target.name,
        reason=made.reason,
    )
    try:
        with archive_lock(ctx, rid, **lock_args):
            done = commit(ctx, rid, folder, [new])
    except BusyError as exc:
        return report("busy", before, before, exc.message)
    if not done:
        return report("busy", before, before, "the folder changed meanwhile: run this again")
    log.info("timestamped copy of %s added at %s", rid, after)
    return report("upgraded", before, after, made.reason)


def _level_or_none(data: bytes) -> str:
    from pyhanko.pdf_utils.misc import PdfError

    from app.pdf.pades import document_level

    try:
        return document_level(data) or "unsigned"
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return "unreadable"


async def _make(data: bytes, tsa: TimestampAuthority, roots: Sequence[bytes]) -> LongTermSeal | str:
    """The timestamped copy (a LongTermSeal), or why it is refused (a str)."""
    from app.providers.local.lta_updates import Refused, timestamp_received

    made = await timestamp_received(data, tsa, trust_roots_pem=roots)
    return made.reason if isinstance(made, Refused) else made


def _problem(received: bytes, copy: bytes, roots: Sequence[bytes]) -> str | None:
    """Why ``copy`` may not be kept beside ``received`` (None when it may)."""
    from app.archive.verify import rollup_status, verify_pdf_signatures

    if not copy.startswith(received):
        return "the timestamped copy does not begin with the received file byte for byte"
    checks = verify_pdf_signatures(copy, roots)
    if rollup_status(checks) == "invalid":
        broken = next((c.summary for c in checks if not c.ok), "a signature")
        return f"the timestamped copy does not validate ({broken})"
    return None
