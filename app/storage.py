"""Errors of the disk and the database that the user can act on, told apart from damage and bugs.

A full disk shows itself many ways: ``ENOSPC`` (or ``EDQUOT``, a quota) from a write, SQLite's
``database or disk is full`` (SQLITE_FULL), and sometimes only ``disk I/O error`` when SQLite
could not grow its journal. None of them means the database is damaged, and advice to move it
aside would lose every request still in flight. :func:`storage_error` turns them into one clear
sentence that names the disk and what to free; a genuinely damaged database gets its own message
(:func:`damaged_database`), which never advises a step that loses requests.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from app.errors import SealboxError, UserError
from app.wording import Alt, Detail, Text

#: Less free space than this, with a disk I/O error, is a full disk.
NEARLY_FULL_BYTES = 4 * 1024 * 1024
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


class DiskFullError(UserError):
    """There is no room left on a disk Sealbox writes to."""

    def __init__(self, path: Path, then: str = "run the command again") -> None:
        self.path = path
        mount = mount_point(path)
        free = free_bytes(path)
        where = f"{mount}" if mount == path else f"{mount} (where {path} is)"
        amount = f"{human_size(free)}" if free is not None else "nothing"
        super().__init__(
            f"The disk is full: free space on {where} is {amount}. Free some space there "
            f"(empty the trash, delete or move large files you no longer need), then {then}; "
            "nothing Sealbox had stored is lost."
        )


class FileSizeLimitError(UserError):
    """A limit on file size (``ulimit -f``) stopped a write."""

    def __init__(self, path: Path | None) -> None:
        where = f" {path}" if path else ""
        super().__init__(
            f"A limit on the size of files stopped Sealbox writing{where} (the shell's "
            "`ulimit -f`, or a quota): raise the limit, then run the command again; nothing "
            "Sealbox had stored is lost."
        )


def storage_error(
    exc: BaseException, database: Path | None = None, writing: Path | None = None
) -> SealboxError | None:
    """The user error for ``exc`` (or an error it was raised from) when it is a full disk or a
    file size limit; None when it is something else. ``database`` is the store's file (SQLite
    errors name no file); ``writing`` the file being written, when the caller knows it."""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.errno in _FULL_ERRNOS:
            return DiskFullError(_path_of(cause, writing or database))
        if isinstance(cause, OSError) and cause.errno == errno.EFBIG:
            where = cause.filename if isinstance(cause.filename, str) else writing
            return FileSizeLimitError(Path(where) if where else None)
        if isinstance(cause, sqlite3.Error) and database is not None:
            code = _sqlite_code(cause)
            text = str(cause).lower()
            full = code == _SQLITE_FULL or "database or disk is full" in text
            failed_io = code == _SQLITE_IOERR or "disk i/o error" in text
            if (full or failed_io) and nearly_full(database):
                return DiskFullError(database)
            if full or (failed_io and file_size_limited()):
                # With room left on the disk, what stopped SQLite is a limit on file sizes.
                return FileSizeLimitError(database)
    return None


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the database file itself is damaged (or not a database)."""
    code = _sqlite_code(exc)
    text = str(exc).lower()
    return (
        code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text or "not a database" in text
    )


def damaged_database(path: Path, exc: BaseException) -> UserError:
    """The message for a database SQLite reports as damaged: keep it, restore a backup."""
    return UserError(
        Text(
            f"The Sealbox database {path} is damaged",
            Detail(str(exc)),
            ": restore it from a "
            "backup. Keep the damaged file (do not delete or replace it): it holds the requests "
            "still in flight, which the archive cannot give back; ",
            Alt("`sealbox archive reindex`", "Reindex from folder in the Archive"),
            " rebuilds only the archived ones.",
        )
    )


def unreadable_database(path: Path, exc: BaseException) -> UserError:
    """The message for a disk I/O error on a disk that is not full."""
    return UserError(
        Text(
            f"The Sealbox database {path} could not be read or written",
            Detail(str(exc)),
            ": check the disk (is it still connected, is it failing?), then ",
            Alt("run the command", "try"),
            " again. Nothing was changed.",
        )
    )


def file_size_limited() -> bool:
    """Whether this process runs under a limit on file sizes (``ulimit -f``)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return False
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY


def nearly_full(path: Path) -> bool | None:
    """Whether the disk holding ``path`` has (almost) no room left; None if it cannot tell."""
    free = free_bytes(path)
    return None if free is None else free < NEARLY_FULL_BYTES


def free_bytes(path: Path) -> int | None:
    """Free space (for this user) on the disk holding ``path``; None if it cannot be told."""
    try:
        return shutil.disk_usage(_existing(path)).free
    except OSError:
        return None


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path``."""
    current = _existing(path).resolve()
    while not os.path.ismount(current) and current.parent != current:
        current = current.parent
    return current


def human_size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _existing(path: Path) -> Path:
    current = Path(path).absolute()
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def _path_of(exc: OSError, fallback: Path | None) -> Path:
    for name in (exc.filename, exc.filename2):
        if isinstance(name, str | os.PathLike):
            return Path(name)
    return fallback or Path.cwd()


def _sqlite_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
