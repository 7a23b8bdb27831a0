"""The desktop app shows its window first and loads the rest after its first paint: what it did
before still happens (a PDF given on the command line opens, the background sync starts; a store
that cannot be opened is reported, see tests/gui/test_app_start.py), and the first screen needs
no heavy library."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.context import Context
from app.domain.model import RequestSpec
from app.services.send import prepare
from tests.conftest import ROOT, run_sealbox
from tests.support import pdfgen

SPEC = RequestSpec.from_json(
    {
        "name": "Queued before the app started",
        "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 180,
                "height": 48,
            }
        ],
    }
)


def start_app(*args: str) -> subprocess.Popen[str]:
    """``sealbox ARGS`` (the desktop app) with the test's environment, as run_sealbox runs it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def app_log(home: Path) -> Path:
    return home / "data" / "logs" / "sealbox.log"


def wait_for(process: subprocess.Popen[str], done: object, what: str, timeout: float = 90) -> None:
    """Poll (another process is waited for) until ``done()`` or the deadline."""
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, f"the app did not {what} in {timeout:.0f} s"
        time.sleep(0.05)


@pytest.fixture
def stop() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_a_pdf_given_on_the_command_line_opens_and_the_sync_runs(
    home: Path, app_log: Path, tmp_path: Path, stop: list[subprocess.Popen[str]]
) -> None:
    pdf = pdfgen.write(tmp_path / "contract.pdf", pdfgen.text_pdf(["One", "Two", "Three"]))
    ctx = Context.from_environment()
    try:  # queued, as by a send cut off before it reached the provider
        queued = prepare(ctx, pdf, SPEC, provider_id="local").id
    finally:
        ctx.close()
    process = start_app(str(pdf))
    stop.append(process)

    def logged(text: str) -> bool:
        return text in (app_log.read_text(encoding="utf-8") if app_log.exists() else "")

    wait_for(
        process,
        lambda: logged("contract.pdf: page 1 drawn by the page renderer"),
        "draw the PDF's first page",
    )
    wait_for(
        process,
        lambda: json.loads(run_sealbox("show", queued, "--json").stdout)["status"] == "sent",
        "send the queued request",
    )
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    log = app_log.read_text(encoding="utf-8")
    started = next(line for line in log.splitlines() if "the app started" in line)
    assert "window shown after" in started and "no paint" not in started
    for line in (
        "opened contract.pdf: 3 pages",
        "background sync started",
        "the app closed (exit 0)",
    ):
        assert line in log


def test_the_first_screen_loads_no_heavy_library(home: Path) -> None:
    """The window shown first needs Qt and little else: the store, PyMuPDF, httpx, pyHanko,
    keyring and the async loop come after its first paint."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.cli.entry import open_app\n"
        "import app.ui.main as m\n"
        "app = QApplication(sys.argv[:1])\n"
        "window = m.MainWindow(deferred=True)\n"
        "print('PAINTED', m.show_first(window) is not None)\n"
        "heavy = ('pymupdf', 'httpx', 'sqlite_utils', 'qasync', 'asyncio', 'keyring', "
        "'pyhanko', 'cryptography', 'app.context', 'app.store')\n"
        "print('LOADED', sorted(n for n in sys.modules if n.startswith(heavy)))\n"
        "print('MENUS', [a.text() for a in window.menuBar().actions()])\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "PAINTED True" in result.stdout
    assert "LOADED []" in result.stdout
    assert "MENUS ['&File', '&Edit', '&View', '&Request', '&Help']" in result.stdout
