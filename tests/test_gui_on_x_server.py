"""The GUI tests run a second time on a real X server, as a user's desktop runs the app.

The suite runs on Qt's ``offscreen`` platform, which never asks a widget what a window system
asks (a bounding rectangle when a cursor is set, an expose before the first paint, focus as a
window manager gives it). This test runs ``tests/gui`` again under Xvfb with
``QT_QPA_PLATFORM=xcb``, in a process of its own (Qt's platform is chosen once per process), and
fails with that run's report when any GUI test fails there.

Without ``xvfb-run`` the test is skipped on a developer's machine, and fails in CI (``CI`` set),
which installs Xvfb (see ``.ci/run``): the second pass is never left out silently there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

#: Well over the ~90 s the GUI tests take under Xvfb on a small machine.
TIMEOUT_S = 900


def test_the_gui_tests_pass_on_a_real_x_server() -> None:
    if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "xcb":
        pytest.skip("this run is on the X server already: tests/gui ran under xcb")
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        if os.environ.get("CI"):
            pytest.fail(
                "xvfb-run is missing: CI must run the GUI tests on an X server too "
                "(install the Debian packages xvfb and xauth, as .ci/run does)"
            )
        pytest.skip("xvfb-run is not installed: the GUI tests ran on the offscreen platform only")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    command = [
        xvfb,
        "--auto-servernum",
        "--server-args=-screen 0 1600x1000x24 -nolisten tcp",
        sys.executable,
        "-m",
        "pytest",
        "tests/gui",
        "-p",
        "no:cacheprovider",
    ]
    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    report = (run.stdout + run.stderr)[-20_000:]
    assert run.returncode == 0, f"the GUI tests failed on the X server (xcb):\n{report}"
    assert "Qt platform: xcb" in run.stdout, report  # the header the suite prints
    assert " passed" in run.stdout.splitlines()[-1], report
