"""The first-run welcome: asks for the sender's name and email once, saves them where Settings
and the completion certificate read them, and can be skipped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from app.ui.welcome import WelcomeDialog
from tests.conftest import ROOT, run_sealbox

WAIT_MS = 5000


def open_window(qtbot: QtBot, bridge: AsyncBridge) -> MainWindow:
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def welcome(qtbot: QtBot, window: MainWindow) -> WelcomeDialog:
    dialog = window.offer_welcome()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_the_first_run_asks_for_the_sender_and_the_certificate_prints_them(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, bridge)
    dialog = welcome(qtbot, window)
    assert dialog.windowTitle() == "Welcome to Sealbox"
    # A bad email is said under it and nothing is saved.
    qtbot.keyClicks(dialog.name_edit, "Ada Office")
    qtbot.keyClicks(dialog.email_edit, "ada@")
    QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.email_error.isVisible()
    assert "email address" in dialog.email_error.text()
    assert not (home / "config.toml").exists()
    qtbot.keyClicks(dialog.email_edit, "example.com")
    assert not dialog.email_error.isVisible()
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        QTest.keyClick(dialog.email_edit, Qt.Key.Key_Return)  # Save is the default button
    qtbot.waitUntil(
        lambda: window.findChild(WelcomeDialog) is None or not dialog.isVisible(), timeout=WAIT_MS
    )

    saved = tomllib.loads((home / "config.toml").read_text("utf-8"))
    assert (saved["sender_name"], saved["sender_email"]) == ("Ada Office", "ada@example.com")
    assert window.ctx.settings.sender() == ("Ada Office", "ada@example.com")
    # Settings › General shows them.
    settings = window.open_settings()
    assert settings.general.sender_name.text() == "Ada Office"
    assert settings.general.sender_email.text() == "ada@example.com"
    settings.reject()
    # Shown once.
    assert window.offer_welcome() is None
    window.close()
    again = open_window(qtbot, bridge)
    assert again.offer_welcome() is None
    again.close()

    # The completion certificate of a request signed in person names the sender.
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 80), "Berth lease", fontsize=20)
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Berth lease",
                "recipients": [
                    {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
                ],
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
    )
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    assert sent.returncode == 0, sent.stderr
    rid = json.loads(sent.stdout)["id"]
    signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert signed.returncode == 0, signed.stderr
    certificate = next((home / "archive").rglob("*-certificate.pdf"))
    with pymupdf.open(certificate) as cert:
        text = " ".join(page.get_text() for page in cert)
    assert "Ada Office" in text and "ada@example.com" in text


def test_skip_saves_nothing_and_is_not_asked_again(
    qtbot: QtBot, bridge: AsyncBridge, home: Path
) -> None:
    window = open_window(qtbot, bridge)
    dialog = welcome(qtbot, window)
    QTest.mouseClick(dialog.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert not (home / "config.toml").exists()
    assert window.ctx.settings.sender() == (None, None)
    assert window.offer_welcome() is None
    window.close()


def test_no_welcome_when_the_sender_is_known(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "config.toml").write_text('sender_name = "Bea Desk"\n', encoding="utf-8")
    window = open_window(qtbot, bridge)
    assert window.offer_welcome() is None
    window.close()


def test_the_app_welcomes_a_new_user_when_it_starts(home: Path) -> None:
    """The real app process on a fresh home: the welcome is offered at start."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = home / "data" / "logs" / "sealbox.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Waiting on another process: poll its log until it says it asked.
        deadline = time.monotonic() + 60
        while "asking for the sender's name and email" not in (
            log.read_text() if log.exists() else ""
        ):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the app did not offer the welcome in 60 s"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
