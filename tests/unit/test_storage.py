"""Disk and database errors told apart: full disk, file size limit, damage, a failing disk."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from app.storage import (
    DiskFullError,
    FileSizeLimitError,
    damaged_database,
    is_damage,
    storage_error,
    unreadable_database,
)


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code
    return exc


def test_enospc_names_the_disk_and_what_to_free(tmp_path: Path) -> None:
    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.pdf"))
    problem = storage_error(exc)
    assert isinstance(problem, DiskFullError)
    assert problem.message.startswith("The disk is full: free space on ")
    assert "Free some space there" in problem.message


def test_an_error_raised_from_a_full_disk_is_found_through_its_cause(tmp_path: Path) -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = OSError(errno.ENOSPC, "No space left on device", str(tmp_path))
    assert isinstance(storage_error(outer), DiskFullError)


def test_efbig_is_a_file_size_limit(tmp_path: Path) -> None:
    problem = storage_error(OSError(errno.EFBIG, "File too large", str(tmp_path / "a")))
    assert isinstance(problem, FileSizeLimitError)


def test_sqlite_full_with_room_left_is_a_limit_not_a_full_disk(tmp_path: Path) -> None:
    db = tmp_path / "sealbox.db"
    problem = storage_error(sqlite_error("database or disk is full", 13), database=db)
    assert isinstance(problem, FileSizeLimitError)  # tmp has room: not a full disk


def test_a_disk_io_error_with_room_left_is_neither_full_nor_damage(tmp_path: Path) -> None:
    exc = sqlite_error("disk I/O error", 10 | (13 << 8))
    assert storage_error(exc, database=tmp_path / "sealbox.db") is None
    assert not is_damage(exc)
    assert "check the disk" in unreadable_database(tmp_path / "s.db", exc).message


@pytest.mark.parametrize(
    ("message", "code"), [("database disk image is malformed", 11), ("file is not a database", 26)]
)
def test_damage_keeps_the_file_and_never_advises_it_away(
    tmp_path: Path, message: str, code: int
) -> None:
    exc = sqlite_error(message, code)
    assert is_damage(exc)
    text = damaged_database(tmp_path / "s.db", exc).message
    assert "restore it from a backup" in text and "Keep the damaged file" in text
    assert "move it aside" not in text


def test_other_errors_are_not_storage_problems() -> None:
    assert storage_error(OSError(errno.EACCES, "Permission denied", "/x")) is None
    assert storage_error(ValueError("nope")) is None
