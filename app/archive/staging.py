"""Staging folders: where a request's archive folder is assembled before it is renamed into place.

Each archiving process makes its own folder, ``archive/.staging/<request id>-<pid>-<random>/``,
and holds the OS lock of ``<that name>.lock`` beside it (:mod:`app.oslock`) from before the folder
exists until after it has been renamed away. A staging folder belongs to its owner until the
owner is provably dead: :func:`clean_staging` takes only folders whose lock it can acquire, which
the kernel allows only once the owner has exited. A slow or paused process keeps its folder.

A folder that holds a ``.replaced-*`` subfolder is a replacement (``download --again``) cut off
between moving the old folder into it and moving it into place: the clean-up finishes the move
rather than deleting both copies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.faults import crash_point
from app.oslock import OwnerLock, try_lock

log = logging.getLogger(__name__)

STAGING = ".staging"
LOCK_SUFFIX = ".lock"
#: In a replacement's staging folder: the archive folder it replaces (relative to the archive).
TARGET_FILE = ".sealbox-target"
REPLACED_PREFIX = ".replaced-"


@dataclass
class Staging:
    """A staging folder owned by this process (while :attr:`lock` is held)."""

    path: Path
    lock: OwnerLock


@contextlib.contextmanager
def claim_staging(root: Path, request_id: str) -> Iterator[Staging]:
    """A new, empty staging folder for ``request_id``, owned until the block ends; then it is
    removed if it is still there (it is not once it has been renamed into place)."""
    base = root / STAGING
    name = f"{request_id}-{os.getpid()}-{secrets.token_hex(4)}"
    lock = try_lock(base / f"{name}{LOCK_SUFFIX}")
    if lock is None:  # a name no one else can have: cannot happen
        raise RuntimeError(f"the staging lock {name} is taken")
    folder = base / name
    try:
        folder.mkdir(parents=True)
        yield Staging(folder, lock)
    finally:
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            lock.release(remove=True)
            with contextlib.suppress(OSError):
                base.rmdir()  # only when no other archiving is under way


@dataclass
class Cleaned:
    """What :func:`clean_staging` did: how many dead owners' folders it took, and the archive
    folders whose replacement it finished (their records must be made again)."""

    count: int = 0
    finished: list[Path] | None = None


def clean_staging(root: Path) -> Cleaned:
    """Remove the staging folders of archivings whose process has died (finishing a cut-off
    replacement instead). Folders of live owners are left alone, however long they take."""
    base = root / STAGING
    done = Cleaned(0, [])
    if not base.is_dir():
        return done
    for entry in sorted(base.iterdir()):
        if entry.name.endswith(LOCK_SUFFIX):
            folder = base / entry.name.removesuffix(LOCK_SUFFIX)
            held = try_lock(entry)
            if held is None:
                continue  # its owner is alive: its folder is its own
            with held:
                if folder.exists():
                    _recover_or_remove(root, folder, done)
        elif entry.is_dir() and not (base / f"{entry.name}{LOCK_SUFFIX}").exists():
            # No lock file: left by an older Sealbox (which named folders by request id
            # alone) or by a clean-up cut off. Owners make their lock before their folder.
            _recover_or_remove(root, entry, done)
    with contextlib.suppress(OSError):
        base.rmdir()
    return done


def _recover_or_remove(root: Path, folder: Path, done: Cleaned) -> None:
    done.count += 1
    target_file = folder / TARGET_FILE
    replaced = [p for p in folder.glob(f"{REPLACED_PREFIX}*") if p.is_dir()]
    if replaced and target_file.is_file():
        target = root / target_file.read_text(encoding="utf-8").strip()
        if not target.exists():
            # Cut off between moving the old folder in here and moving this into place.
            os.replace(folder, target)
            (target / TARGET_FILE).unlink(missing_ok=True)
            log.warning("finished replacing the archive folder %s (cut off before)", target)
            assert done.finished is not None
            done.finished.append(target)
            return
        # Cut off before the old folder moved: the earlier copies go back to it.
        for earlier in replaced:
            if not (target / earlier.name).exists():
                os.replace(earlier, target / earlier.name)
    shutil.rmtree(folder, ignore_errors=True)


def swap_into_place(staging: Path, final: Path, root: Path, stamp: str) -> Path:
    """Put the folder assembled in ``staging`` in the place of the archive folder ``final``,
    keeping the old one inside the new as ``.replaced-<stamp>/`` (earlier copies too). Every
    step is a rename; if one is cut off, :func:`clean_staging` finishes or undoes it."""
    (staging / TARGET_FILE).write_text(final.relative_to(root).as_posix(), encoding="utf-8")
    for earlier in sorted(final.glob(f"{REPLACED_PREFIX}*")):
        if earlier.is_dir():
            os.replace(earlier, staging / earlier.name)
    kept = staging / f"{REPLACED_PREFIX}{stamp}"
    os.replace(final, kept)
    crash_point("during-replace")
    os.replace(staging, final)
    (final / TARGET_FILE).unlink()
    return final / kept.name
