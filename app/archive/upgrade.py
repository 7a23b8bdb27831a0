"""Replacing archived PDFs with their long-term upgrade, whole or not at all.

An upgrade (``sealbox archive upgrade``, the background sync) appends revisions to an archived
signed PDF or certificate (validation data, document timestamps); so does a renewal
(``sealbox archive renew``); the timestamped copy of a PDF received from a provider is a new
file beside it made the same way (the received file itself never changes). The new file, the
folder's ``request.json`` (new SHA-256 and size, the hash the file had when it was sealed, and
a ``seal level`` event) and the store's archive index must change together. Under the request's
archive lock, :func:`commit` does it in steps that each can be cut off:

1. the new files are written beside the old ones under temporary names (fsynced);
2. a journal (``.sealbox-upgrade.json``) naming them is written atomically: from here on the
   upgrade is decided;
3. each temporary file is renamed over the one it replaces (one rename each: a reader sees the
   old file or the new one, never a part), the folder fsynced;
4. the store's index is recorded again from ``request.json``, the events added, the journal
   removed.

:func:`finish_interrupted` (run under the same lock by the next upgrade, ``archive verify`` and
``sync``) finishes an upgrade whose journal is there and removes the temporary files of one cut
off before it: either way the folder is again consistent with its record.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.archive.manifest import read_manifest
from app.context import Context
from app.domain.clock import iso, now
from app.errors import BusyError
from app.faults import crash_point, reached
from app.fsutil import atomic_write_bytes, fsync_dir, sha256_file
from app.oslock import OwnerLock, lock_waiting

log = logging.getLogger(__name__)

JOURNAL = ".sealbox-upgrade.json"
TEMP_PREFIX = ".sealbox-upgrade-"
SEAL_LEVEL_EVENT = "seal level"
#: How long an upgrade, a verify or a sync waits for another process working on the folder.
LOCK_WAIT = 120.0


@dataclass(frozen=True)
class NewFile:
    """An archived file's upgrade: its kind (``signed``, ``certificate``, ``timestamped``),
    the SHA-256 the archived file had when the upgrade was computed from it, the new bytes and
    their level.

    ``action`` names what was done in the ``seal level`` event (``upgraded``, ``renewed``,
    ``timestamped``). With ``source`` the file is a new one made from the archived file of that
    kind (``old_sha256`` is that file's hash, which stays as it is), named ``name``: the
    timestamped copy of a PDF received from a provider."""

    kind: str
    old_sha256: str
    pdf: bytes
    level: str
    action: str = "upgraded"
    source: str | None = None
    name: str | None = None
    reason: str | None = None
    #: Extra fields of the ``seal level`` event (the renewed timestamp's expiry).
    extra: Mapping[str, Any] | None = None


def is_upgrade_entry(name: str) -> bool:
    """Whether a folder entry belongs to an upgrade under way or cut off (not a stranger)."""
    return name == JOURNAL or name.startswith(TEMP_PREFIX)


@contextlib.contextmanager
def archive_lock(ctx: Context, request_id: str, wait: float = LOCK_WAIT) -> Iterator[OwnerLock]:
    held = lock_waiting(ctx.paths.lock("archive", request_id), wait)
    if held is None:
        raise BusyError(
            "Another Sealbox is working on this request's archive folder right now: "
            "try again when it is done."
        )
    with held:
        yield held


def finish_interrupted(ctx: Context, folder: Path) -> bool:
    """Finish (journal present) or undo (temporary files only) an upgrade of ``folder`` that
    was cut off; the caller holds the request's archive lock. True when there was one."""
    journal = folder / JOURNAL
    temps = [p for p in folder.glob(f"{TEMP_PREFIX}*")] if folder.is_dir() else []
    if not journal.exists():
        for temp in temps:
            temp.unlink(missing_ok=True)
        if temps:
            fsync_dir(folder)
            log.warning("removed an upgrade of %s cut off before it was decided", folder)
        return bool(temps)
    plan = json.loads(journal.read_text(encoding="utf-8"))
    _apply(ctx, folder, plan)
    log.warning("finished an upgrade of %s that was cut off", folder)
    return True


def commit(ctx: Context, request_id: str, folder: Path, files: list[NewFile]) -> list[NewFile]:
    """Put ``files`` in place of the archived ones (see the module); the caller holds the
    request's archive lock. A file changed since its upgrade was computed is left out (it
    is not returned)."""
    finish_interrupted(ctx, folder)
    manifest = read_manifest(folder)
    entries = manifest["files"]
    kept = [f for f in files if _still_current(folder, entries, f)]
    if not kept:
        return []
    renames: list[list[str]] = []
    events: list[dict[str, Any]] = []
    at = iso(now())
    for new in kept:
        entry = _entry_for(entries, new)
        temp = f"{TEMP_PREFIX}{entry['name']}"
        digest = atomic_write_bytes(folder / temp, new.pdf)
        entry["sha256"], entry["size"] = digest, len(new.pdf)
        if new.source is not None:
            entry["level"] = new.level
        renames.append([temp, entry["name"]])
        payload = {
            "file": new.kind,
            "level": new.level,
            "reason": new.reason,
            new.action: True,
            "sha256": digest,
            **(new.extra or {}),
        }
        detail = f"{new.kind}: {new.level} ({_DONE[new.action]})"
        events.append(
            {
                "at": at,
                "kind": SEAL_LEVEL_EVENT,
                "status": None,
                "recipientIndex": None,
                "detail": detail,
                "payload": payload,
            }
        )
    manifest.setdefault("history", []).extend(events)
    temp_manifest = f"{TEMP_PREFIX}request.json"
    atomic_write_bytes(
        folder / temp_manifest, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode()
    )
    renames.append([temp_manifest, "request.json"])
    reached("upgrade-written")
    crash_point("upgrade-written")
    plan = {"requestId": request_id, "renames": renames, "events": events}
    atomic_write_bytes(folder / JOURNAL, json.dumps(plan).encode())
    fsync_dir(folder)
    reached("upgrade-decided")
    crash_point("upgrade-decided")
    _apply(ctx, folder, plan)
    return kept


_DONE = {
    "upgraded": "upgraded in the archive",
    "renewed": "timestamp renewed in the archive",
    "timestamped": "timestamped copy added beside the file as received",
}


def _still_current(folder: Path, entries: dict[str, Any], new: NewFile) -> bool:
    """Whether the archived file ``new`` was computed from is still the one in the folder (and,
    for a new file, that none was added meanwhile)."""
    base = new.source or new.kind
    if base not in entries or (new.source is not None and new.kind in entries):
        return False
    return sha256_file(folder / entries[base]["name"]) == new.old_sha256


def _entry_for(entries: dict[str, Any], new: NewFile) -> dict[str, Any]:
    """The manifest entry ``new`` goes into: a new one beside its source (which keeps its own
    hash: the file as received), or the replaced file's, which keeps what it had when it was
    sealed."""
    if new.source is None:
        entry: dict[str, Any] = entries[new.kind]
        if "of" not in entry:  # a timestamped copy keeps the received file's hash instead
            entry.setdefault("sealed", {"sha256": entry["sha256"], "size": entry["size"]})
        return entry
    assert new.name is not None
    entry = {
        "name": new.name,
        "sha256": "",
        "size": 0,
        "of": new.source,
        "received": {
            "sha256": new.old_sha256,
            "size": entries[new.source]["size"],
        },
    }
    entries[new.kind] = entry
    return entry


def _apply(ctx: Context, folder: Path, plan: Mapping[str, Any]) -> None:
    from app.archive.folder import record_archive

    for index, (temp, final) in enumerate(plan["renames"]):
        if (folder / temp).exists():
            os.replace(folder / temp, folder / final)
        if index == 0:
            reached("upgrade-renamed")
            crash_point("upgrade-renamed")
    fsync_dir(folder)
    request_id = str(plan["requestId"])
    record_archive(ctx, request_id, folder)
    if ctx.requests.exists(request_id):
        recorded = [
            e.payload for e in ctx.requests.events(request_id) if e.kind == SEAL_LEVEL_EVENT
        ]
        for event in plan["events"]:
            if event["payload"] not in recorded:
                ctx.requests.add_event(
                    request_id, SEAL_LEVEL_EVENT, event["detail"], event["payload"]
                )
    crash_point("upgrade-recorded")
    (folder / JOURNAL).unlink(missing_ok=True)
    fsync_dir(folder)
