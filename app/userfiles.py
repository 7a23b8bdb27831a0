"""Files the user names (a PDF, a spec, a signature image): checked before they are opened.

Every problem is one sentence that names the file and the fix: it does not exist, it is a
folder, it is not a regular file (a device such as ``/dev/zero``, a pipe that would block the
command for ever, a socket), it cannot be read, its name is too long for the file system, or it
is larger than the caller allows. Names are shown escaped and cut (:func:`display_name`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from app.domain.text import format_size, printable
from app.errors import NotFoundError, UserError

#: The longest file name shown in a message, in characters.
SHOWN_NAME = 80


def display_name(path: Path | str) -> str:
    """The file's name (its last part) as a message shows it: escaped, at most
    :data:`SHOWN_NAME` characters."""
    raw = Path(path).name or str(path)
    name = printable(raw)
    if len(name) > SHOWN_NAME:
        name = f"{name[:SHOWN_NAME]}… ({len(raw):,} characters)"
    return name


def check_user_file(path: Path, label: str, kind: str) -> os.stat_result:
    """``path``'s status if it is a regular file that can be read.

    ``label`` starts the sentence ("contract.pdf", "The spec file spec.json"); ``kind`` names
    what was expected ("a PDF file")."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise NotFoundError(
            f"{label} does not exist: check the file name and folder and try again."
        ) from exc
    except PermissionError as exc:
        raise UserError(
            f"{label} cannot be read (permission denied): check its permissions, "
            "or copy it somewhere you can read it."
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UserError(
                f"{label} has a name too long for the file system: check the path, "
                "or rename the file."
            ) from exc
        if exc.errno == errno.ELOOP:
            raise UserError(
                f"{label} is a link that leads nowhere (a loop of links): give the file itself."
            ) from exc
        raise UserError(
            f"{label} cannot be read ({exc.strerror or exc}): check the path and try again."
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{label} is a folder, not {kind}: choose the file inside it.")
    if not stat.S_ISREG(info.st_mode):
        raise UserError(
            f"{label} is not a regular file (a device, a pipe or a socket): give "
            f"{kind} saved on disk."
        )
    return info


def read_user_file(path: Path, label: str, kind: str, max_bytes: int) -> bytes:
    """The contents of a regular file of at most ``max_bytes``, checked as above."""
    info = check_user_file(path, label, kind)
    if info.st_size > max_bytes:
        raise UserError(
            f"{label} is {format_size(info.st_size)}, more than the "
            f"{format_size(max_bytes)} allowed for {kind}: check that it is the "
            "right file."
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UserError(
            f"{label} cannot be read ({exc.strerror or exc}): check the file and try again."
        ) from exc
    if len(data) > max_bytes:
        raise UserError(
            f"{label} grew past {format_size(max_bytes)} while it was read: check "
            "that it is the right file."
        )
    return data
