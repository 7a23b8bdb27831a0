"""Work is never lost: the real app, killed with SIGKILL while a document has unsent changes,
offers at the next start to restore them, and restores them exactly."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from tests.conftest import ROOT
from tests.gui.prepare_support import answering, lease_pdf, scene_fields
from tests.support.draft_app import state

START_TIMEOUT_S = 90


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first line the process prints, waiting at most ``timeout`` seconds for it."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                return proc.stdout.readline()
            if proc.poll() is not None:
                break
    return ""


@pytest.fixture
def killed_app(home: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The app started on a PDF, given unsent changes by hand, then killed with SIGKILL."""
    pdf = lease_pdf(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.draft_app", str(pdf)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_line(proc, START_TIMEOUT_S)
        if not line:
            proc.kill()
            _, err = proc.communicate(timeout=30)
            pytest.fail(f"the app never reported its unsent work:\n{err}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        yield pdf, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.slow
def test_after_a_kill_the_next_start_offers_the_work_and_restores_it_exactly(
    killed_app: tuple[Path, dict[str, Any]], qtbot: QtBot, bridge: AsyncBridge
) -> None:
    pdf, before = killed_app
    assert before["recipients"] == [["Jane", "Doe", "jane@example.com", "Signer"]]
    assert len(before["fields"]) == 1 and before["provider"] != "local"
    pdf.unlink()  # the draft keeps its own copy of the document

    ctx = Context.from_environment()
    win = MainWindow(ctx, bridge)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    try:
        with answering("Restore") as asked:
            assert win.offer_restore()  # what the app does as it starts
        name, text, detail = asked.seen[0]
        assert name == "restoreDraft"
        assert text == "<b>Sealbox closed before you had finished Flat lease.</b>"
        assert detail.startswith("lease.pdf: 1 recipient, 1 field, last changed ")
        editor = win.editor
        qtbot.waitUntil(lambda: editor.text_index is not None, timeout=10_000)
        assert {"draft": editor.keeper.draft_id, **state(editor)} == before
        assert win.windowTitle() == "lease.pdf — Sealbox"
        assert editor.recipients.email_edit.text() == "jane@example.com"
        kind, who, _page, x, y, w, h = before["fields"][0]
        assert scene_fields(editor) == [
            (kind, who, (round(x, 2), round(y, 2), round(w, 2), round(h, 2)))
        ]
        assert editor.provider_id == before["provider"]
        # Restored, it is this process's work now: the next start offers nothing.
        assert editor.drafts.orphaned() == []
    finally:
        win.close()
        ctx.close()
