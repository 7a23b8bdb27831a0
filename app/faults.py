"""Named points for the crash-recovery and race tests.

``SEALBOX_CRASH_AT=<name>`` makes the process exit at once (no clean-up, no flushing) when it
reaches that point, as a power cut or a kill would.

``SEALBOX_REACHED_DIR=<folder>`` makes the process create ``<folder>/<name>-<pid>`` at every
point it reaches, so a test can wait until several processes stand at the same step.
``SEALBOX_PAUSE_AT=<name>`` makes it also stop itself there (``SIGSTOP``, POSIX only) until the
test continues it (``SIGCONT``), as a slow disk or a busy machine would hold it.

Unset, they do nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

CRASH_EXIT_CODE = 86


def crash_point(name: str) -> None:
    if os.environ.get("SEALBOX_CRASH_AT") == name:
        os._exit(CRASH_EXIT_CODE)


def reached(name: str) -> None:
    """Mark that this process has reached point ``name``; pause there if asked to."""
    folder = os.environ.get("SEALBOX_REACHED_DIR")
    if not folder:
        return
    (Path(folder) / f"{name}-{os.getpid()}").touch()
    if os.environ.get("SEALBOX_PAUSE_AT") == name and hasattr(signal, "SIGSTOP"):
        os.kill(os.getpid(), signal.SIGSTOP)
