"""Files that appear whole or not at all: temporary file, fsync, rename, fsync of the folder."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o644) -> Iterator[tuple[Path, BinaryIO]]:
    """Write to a temporary file beside ``path``; on success fsync it and rename it into place.

    Yields ``(temporary path, binary file object)``. On any error the temporary file is removed
    and ``path`` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield tmp, handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> str:
    """Write ``data`` to ``path`` atomically; returns its SHA-256 (hex)."""
    with atomic_file(path, mode) as (_, handle):
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


def atomic_copy(src: Path, dest: Path, mode: int = 0o644) -> str:
    """Copy ``src`` to ``dest`` atomically, hashing while copying; returns the SHA-256."""
    digest = hashlib.sha256()
    with atomic_file(dest, mode) as (_, handle), src.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
