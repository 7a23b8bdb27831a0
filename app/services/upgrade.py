"""Bringing archived seals up to PAdES B-LTA once the timestamp authority can be reached.

A seal made while the timestamp authority or a revocation service could not be reached is
archived at the level it reached (B-B or B-T, recorded as a ``seal level`` event with why).
:func:`upgrade_archive` (``sealbox archive upgrade``, and the background sync through
:func:`upgrade_due`) raises every such file of the built-in provider with
:func:`app.providers.local.ltv.raise_level`: it works on a copy, validates the result offline
(every signature intact and valid, the archived revisions kept byte for byte, the level read
back from the new file), and then puts it in place atomically
(:func:`app.archive.upgrade.commit`). A file is never said to have a level it does not have.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.archive.audit import trust_roots
from app.archive.manifest import read_manifest
from app.archive.upgrade import NewFile, archive_lock, commit, finish_interrupted
from app.context import Context
from app.errors import BusyError, UserError
from app.providers import registry
from app.services.seal_levels import SEAL_LEVEL_EVENT, timestamp_authority

if TYPE_CHECKING:
    from app.providers.local.ltv import LongTermSeal, TimestampAuthority

log = logging.getLogger(__name__)

#: The archived files of the built-in provider that carry its seal.
SEALED_KINDS = ("signed", "certificate")

#: ``refused``: a received PDF that may not get a timestamped copy (it is kept as received).
Outcome = Literal["upgraded", "unreachable", "failed", "busy", "refused"]


@dataclass(frozen=True)
class FileUpgrade:
    """What happened to one archived file: its level before and after, and why not higher."""

    request_id: str
    name: str
    kind: str
    path: Path
    before: str
    after: str
    outcome: Outcome
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "requestId": self.request_id,
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path),
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "reason": self.reason,
        }


@dataclass
class UpgradeResult:
    files: list[FileUpgrade] = field(default_factory=list)
    #: Files already at B-LTA that were looked at.
    current: int = 0

    def count(self, outcome: Outcome) -> int:
        return sum(f.outcome == outcome for f in self.files)


def no_authority_error() -> UserError:
    return UserError(
        "No timestamp authority is set, so there is nothing to upgrade with: name "
        "one as url in [timestamp] of the settings file, then run this again."
    )


async def upgrade_archive(ctx: Context, ref: str | None = None) -> UpgradeResult:
    """Upgrade every archived sealed PDF below B-LTA (of one request, or all), reading each
    file's level from the file."""
    tsa = timestamp_authority(ctx.settings, ctx.secrets, ctx.environ)
    if tsa is None:
        raise no_authority_error()
    if ref is not None:
        request_id = ctx.requests.resolve_id(ref)
        if not ctx.store.archive.folder(request_id):
            raise UserError(
                f"Request {ref!r} is not archived yet: run `sealbox download {ref}` first."
            )
        ids = [request_id]
    else:
        ids = ctx.store.archive.archived_ids()
    result = UpgradeResult()
    for rid in ids:
        if ctx.requests.exists(rid) and registry.in_person(ctx.requests.get(rid).provider):
            await _upgrade_request(ctx, rid, tsa, result, kinds=None)
    return result


def due(ctx: Context) -> dict[str, set[str]]:
    """The archived files of the built-in provider whose last recorded level is below B-LTA,
    by request: what the background sync upgrades (from the store, no file read)."""
    out: dict[str, set[str]] = {}
    for rid in ctx.store.archive.archived_ids():
        if not ctx.requests.exists(rid) or not registry.in_person(ctx.requests.get(rid).provider):
            continue
        latest: dict[str, str] = {}
        for event in ctx.requests.events(rid):
            payload = event.payload or {}
            if event.kind == SEAL_LEVEL_EVENT and isinstance(payload.get("file"), str):
                latest[payload["file"]] = str(payload.get("level"))
        kinds = {kind for kind, level in latest.items() if level != "B-LTA"}
        if kinds:
            out[rid] = kinds
    return out


async def upgrade_due(ctx: Context) -> UpgradeResult | None:
    """The background sync's part: upgrade what :func:`due` names when a timestamp authority
    is set (None when none is, or nothing is due)."""
    tsa = timestamp_authority(ctx.settings, ctx.secrets, ctx.environ)
    pending = due(ctx)
    if tsa is None or not pending:
        return None
    result = UpgradeResult()
    for rid, kinds in pending.items():
        await _upgrade_request(ctx, rid, tsa, result, kinds=kinds, wait=0)
    return result


async def _upgrade_request(
    ctx: Context,
    rid: str,
    tsa: TimestampAuthority,
    result: UpgradeResult,
    *,
    kinds: Iterable[str] | None,
    wait: float | None = None,
) -> None:
    rel = ctx.store.archive.folder(rid)
    if not rel:
        return
    folder = ctx.paths.archive_dir / rel
    lock_args = {} if wait is None else {"wait": wait}
    try:
        with archive_lock(ctx, rid, **lock_args):
            finish_interrupted(ctx, folder)
            manifest = read_manifest(folder)
    except BusyError as exc:
        result.files.append(
            FileUpgrade(
                rid, ctx.requests.get(rid).name, "request", folder, "?", "?", "busy", exc.message
            )
        )
        return
    name = str(manifest.get("name") or folder.name)
    wanted = set(SEALED_KINDS if kinds is None else kinds) & set(SEALED_KINDS)
    roots = trust_roots(ctx)
    computed = await _raise_files(ctx, rid, name, folder, manifest, wanted, tsa, roots, result)
    if computed:
        _commit_raised(ctx, rid, name, folder, computed, lock_args, result)


async def _raise_files(
    ctx: Context,
    rid: str,
    name: str,
    folder: Path,
    manifest: dict[str, Any],
    wanted: set[str],
    tsa: TimestampAuthority,
    roots: Sequence[bytes],
    result: UpgradeResult,
) -> list[tuple[FileUpgrade, NewFile]]:
    """Raise each wanted sealed file of the folder in memory (nothing written): the files
    ready to commit; what was not raised, and why, goes into ``result``."""
    from app.pdf.pades import B_LTA, document_level

    computed: list[tuple[FileUpgrade, NewFile]] = []
    for kind in SEALED_KINDS:
        entry = manifest["files"].get(kind)
        if kind not in wanted or not isinstance(entry, dict):
            continue
        path = folder / entry["name"]
        if not path.exists():
            result.files.append(
                FileUpgrade(
                    rid,
                    name,
                    kind,
                    path,
                    "?",
                    "?",
                    "failed",
                    f"{path.name} is missing: restore it from a backup",
                )
            )
            continue
        data = path.read_bytes()
        before = await asyncio.to_thread(document_level, data)
        if before is None:
            continue  # not signed: nothing to raise
        if before == B_LTA:
            result.current += 1
            continue
        upgrade = await _raise_one(ctx, rid, name, kind, path, data, before, tsa, roots)
        if isinstance(upgrade, FileUpgrade):
            result.files.append(upgrade)
        else:
            computed.append(upgrade)
    return computed


def _commit_raised(
    ctx: Context,
    rid: str,
    name: str,
    folder: Path,
    computed: list[tuple[FileUpgrade, NewFile]],
    lock_args: dict[str, float],
    result: UpgradeResult,
) -> None:
    """Put the raised files in place under the archive lock, and say what became of each."""
    try:
        with archive_lock(ctx, rid, **lock_args):
            done = commit(ctx, rid, folder, [new for _, new in computed])
    except BusyError as exc:
        result.files.extend(
            FileUpgrade(
                r.request_id, r.name, r.kind, r.path, r.before, r.before, "busy", exc.message
            )
            for r, _ in computed
        )
        return
    committed = {new.kind for new in done}
    for report, new in computed:
        if new.kind in committed:
            result.files.append(report)
            log.info("upgraded %s of %s to %s", new.kind, rid, new.level)
        else:
            result.files.append(
                FileUpgrade(
                    rid,
                    name,
                    new.kind,
                    report.path,
                    report.before,
                    report.before,
                    "busy",
                    "the file changed while it was being upgraded: run the upgrade again",
                )
            )


async def _raise_one(
    ctx: Context,
    rid: str,
    name: str,
    kind: str,
    path: Path,
    data: bytes,
    before: str,
    tsa: TimestampAuthority,
    roots: Sequence[bytes],
) -> FileUpgrade | tuple[FileUpgrade, NewFile]:
    """Raise one file in memory and check the result; a FileUpgrade alone says why not."""
    from app.pdf.pades import B_LTA, document_level
    from app.providers.local.ltv import raise_level

    def kept(outcome: Outcome, reason: str | None) -> FileUpgrade:
        return FileUpgrade(rid, name, kind, path, before, before, outcome, reason)

    # pyHanko's work (parsing, hashing, validating) runs off the event loop: the window's
    # background sync must not stall.
    raised = await asyncio.to_thread(
        lambda: asyncio.run(raise_level(data, None, tsa, trust_roots_pem=roots))
    )
    if raised.unreachable:
        return kept("unreachable", raised.reason)
    after = await asyncio.to_thread(document_level, raised.pdf) or before
    why_not = await _raised_problem(data, raised, before, after, [*roots, *tsa.trust_roots_pem])
    if why_not is not None:
        return kept("failed", why_not)
    report = FileUpgrade(
        rid, name, kind, path, before, after, "upgraded", None if after == B_LTA else raised.reason
    )
    return report, NewFile(kind, hashlib.sha256(data).hexdigest(), raised.pdf, after)


async def _raised_problem(
    data: bytes, raised: LongTermSeal, before: str, after: str, roots: list[bytes]
) -> str | None:
    """Why the raised file may not replace ``data`` (None when it may): it must keep the
    archived revisions byte for byte, validate, and be at a higher level."""
    from app.archive.verify import rollup_status, verify_pdf_signatures
    from app.pdf.pades import LEVELS

    if not raised.pdf.startswith(data):
        return "the upgrade did not keep the archived revisions byte for byte"
    checks = await asyncio.to_thread(verify_pdf_signatures, raised.pdf, roots)
    if rollup_status(checks) == "invalid":
        broken = next(
            (c.summary for c in checks if not c.intact or not c.valid or c.modified_after),
            "a signature",
        )
        return f"the upgraded file does not validate ({broken})"
    if LEVELS.index(after) <= LEVELS.index(before):
        return raised.reason or "its signatures do not allow a higher level"
    return None
