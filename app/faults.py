"""Named crash points for the crash-recovery tests.

``SEALBOX_CRASH_AT=<name>`` makes the process exit at once (no clean-up, no flushing) when it
reaches that point, as a power cut or a kill would. Unset, it does nothing.
"""

from __future__ import annotations

import os

CRASH_EXIT_CODE = 86


def crash_point(name: str) -> None:
    if os.environ.get("SEALBOX_CRASH_AT") == name:
        os._exit(CRASH_EXIT_CODE)
