"""Locks the operating system releases when their owner dies: proof that a process is alive.

An :class:`OwnerLock` is an exclusive lock on a small file (``flock`` on POSIX, ``msvcrt.locking``
on Windows), held for as long as its owner keeps the file open. The kernel drops it when the
process ends, however it ends (a crash, ``kill -9``, a power cut): the file may stay, its lock
does not. A process id is no such proof: a killed process that is not reaped yet still answers
``kill(pid, 0)``, and after a reboot its id may belong to anyone.

So "is the owner of X still at work?" is asked by trying to take X's lock without waiting
(:func:`try_lock`): only when the owner is gone does the attempt succeed, and the one who
succeeds then owns X (to finish it or to clean it up) while it holds the lock.

``flock`` locks belong to an open file, not to a process: two opens in the same process exclude
each other too, so the app's background sync and a send it runs itself are told apart the same
way as two processes. (``filelock`` and ``portalocker`` lock as well; what this needs besides is
taking over a dead owner's file safely, which the inode check in :func:`try_lock` does, and
removing the file while still holding its lock.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from types import TracebackType

#: How often a waiting acquisition tries again.
POLL_SECONDS = 0.05


class OwnerLock:
    """A held lock on ``path``; release it with :meth:`release` (or use it as a context)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self, *, remove: bool = False) -> None:
        """Give the lock up; with ``remove`` the lock file is deleted first (while held, so no
        one else can be holding it at that moment)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if remove and sys.platform != "win32":
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        try:
            _unlock(fd)
        finally:
            os.close(fd)
        if remove and sys.platform == "win32":  # an open file cannot be removed there
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> OwnerLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Release and remove the lock file: a lock is made for one piece of work."""
        self.release(remove=True)


def try_lock(path: Path) -> OwnerLock | None:
    """Take the lock on ``path`` (creating the file) if no one holds it; None if someone does."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileNotFoundError:  # the folder is new, or was just removed when empty
            path.parent.mkdir(parents=True, exist_ok=True)
            continue
        try:
            if not _lock(fd):
                os.close(fd)
                return None
            # The previous holder may have removed the file between our open and our lock: a
            # lock on a file that is no longer at ``path`` proves nothing. Open it again.
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            return OwnerLock(path, fd)
        _unlock(fd)
        os.close(fd)


def is_held(path: Path) -> bool:
    """Whether a live process holds the lock on ``path`` (a missing file is not held)."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False
    try:
        if _lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def lock_waiting(path: Path, timeout: float) -> OwnerLock | None:
    """:func:`try_lock`, tried again until ``timeout`` seconds have passed; None then."""
    deadline = time.monotonic() + timeout
    while True:
        held = try_lock(path)
        if held is not None or time.monotonic() >= deadline:
            return held
        time.sleep(POLL_SECONDS)


async def lock_waiting_async(path: Path, timeout: float) -> OwnerLock | None:
    """:func:`lock_waiting` without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        held = try_lock(path)
        if held is not None or time.monotonic() >= deadline:
            return held
        await asyncio.sleep(POLL_SECONDS)


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
