"""OS locks as proof of life: held while the owner lives, free the moment it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.oslock import is_held, lock_waiting, try_lock

HOLDER = """
import sys, time
from pathlib import Path
from app.oslock import try_lock
held = try_lock(Path(sys.argv[1]))
assert held is not None
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_excludes_another_open_even_in_the_same_process(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "x.lock"
    first = try_lock(path)
    assert first is not None
    assert try_lock(path) is None
    assert is_held(path)
    first.release()
    assert not is_held(path)
    again = try_lock(path)
    assert again is not None
    again.release(remove=True)
    assert not path.exists()
    assert not is_held(path)


def test_a_killed_owner_that_is_not_reaped_holds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "send.lock"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        assert is_held(path)
        os.kill(proc.pid, signal.SIGKILL)
        # Not reaped yet: the pid still answers kill(pid, 0), but its lock is gone.
        os.kill(proc.pid, 0)
        taken = lock_waiting(path, 10)  # the kernel releases it as the process exits
        assert taken is not None
        taken.release(remove=True)
    finally:
        proc.kill()
        proc.communicate()


def test_a_lock_file_removed_by_its_last_holder_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)  # opened before the holder removes it
    try:
        holder = try_lock(path)
        assert holder is not None
        holder.release(remove=True)
        # A new lock at the path is a new file: taking it works, and is exclusive.
        first = try_lock(path)
        assert first is not None
        assert try_lock(path) is None
        first.release(remove=True)
    finally:
        os.close(fd)
