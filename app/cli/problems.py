"""What reaches the top of a command unhandled: a full disk, a file the user named that cannot
be used, or a bug (a crash report, redacted, and one line saying where it is)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.cli.output import say
from app.domain.clock import now
from app.errors import SealboxError

if TYPE_CHECKING:
    from app.context import Context

EXIT_BUG = 70


def crash_report(ctx: Context | None, exc: BaseException) -> Path | None:
    """Write a crash report, whole or not at all (never an empty file); its path, or None."""
    import traceback

    from app.fsutil import atomic_write_bytes
    from app.logs import redact

    text = redact("".join(traceback.format_exception(exc)))
    try:
        if ctx is None:
            return None
        folder: Path = ctx.paths.data_dir / "crash-reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{now():%Y%m%d-%H%M%S}.txt"
        atomic_write_bytes(path, f"sealbox {__version__}\n{text}".encode())
        return path
    except OSError:
        return None


#: What an OSError with a file name means to the user, when it reaches the top unhandled.
_FILE_PROBLEMS = {
    errno.ENAMETOOLONG: "its name is too long for the file system",
    errno.ENOENT: "it does not exist",
    errno.ENOTDIR: "a part of its path is not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.ELOOP: "it is a loop of links",
    errno.EROFS: "the disk is read-only",
}


def file_problem(exc: OSError) -> str | None:
    """One line for an OSError about a file the user named, or None (then it is a bug)."""
    if exc.filename is None or exc.errno not in _FILE_PROBLEMS:
        return None
    name = Path(os.fsdecode(exc.filename))
    from app.userfiles import display_name

    return (
        f"{display_name(name)} cannot be used: {_FILE_PROBLEMS[exc.errno]}. Check the path "
        "and try again."
    )


def storage_problem(ctx: Context | None, exc: BaseException) -> SealboxError | None:
    """A full disk (or a file size limit) behind ``exc``, as a user error; None otherwise."""
    from app.storage import storage_error

    database = ctx.paths.database if ctx is not None else None
    return storage_error(exc, database=database)


def bug(ctx: Context | None, exc: Exception) -> int:
    """A crash report (redacted) and one line saying where it is."""
    report = crash_report(ctx, exc)
    where = f" The details are in {report}." if report else ""
    say(
        f"sealbox: an unexpected error stopped the command ({type(exc).__name__}). This "
        f"is a bug in Sealbox; please report it.{where}",
        err=True,
    )
    return EXIT_BUG
