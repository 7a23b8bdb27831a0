"""The main window shell: opens a PDF, refuses a bad one with a clear message."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from pytestqt.qtbot import QtBot

from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow


def test_opens_a_pdf_and_shows_its_pages(
    qtbot: QtBot, tmp_path: Path, home: Path, bridge: AsyncBridge
) -> None:
    pdf = tmp_path / "contract.pdf"
    doc = pymupdf.open()
    for n in range(3):
        doc.new_page().insert_text((72, 72), f"Page {n + 1}")
    doc.save(pdf)
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.show()
    assert window.open_file(pdf)
    assert window.windowTitle() == "contract.pdf — Sealbox"
    assert window.editor.info is not None and window.editor.info.page_count == 3
    assert "3 pages" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.editor.view.doc_scene.page_item(1).image is not None)
    window.close()


def test_a_bad_pdf_is_refused_with_its_message(
    qtbot: QtBot, tmp_path: Path, home: Path, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "notes.pdf"
    bad.write_text("not a pdf")
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.editor.editor.QMessageBox.warning", lambda parent, title, text: shown.append(text)
    )
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    assert not window.open_file(bad)
    assert len(shown) == 1 and "notes.pdf" in shown[0] and "not a PDF" in shown[0]
    assert window.editor.info is None
    window.close()


def test_no_display_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main([]) == 1
    assert "no display" in capsys.readouterr().err


def test_settings_apply_without_restart(qtbot: QtBot, home: Path, bridge: AsyncBridge) -> None:
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.sync._timer.start(window.sync.interval_s * 1000)  # as after the first sync
    dialog = window.open_settings()
    dialog.general.interval_spin.setValue(2)
    with qtbot.waitSignal(dialog.settingsChanged, timeout=5000):
        dialog.accept()
    assert window.ctx.settings.sync_interval_s == 120
    assert window.sync._timer.interval() == 120_000  # the new interval runs from now
    assert window.statusBar().currentMessage() == "Settings saved."
    window.close()
