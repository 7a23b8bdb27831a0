"""The app's start-up in process: what happens when the window is completed after its first
paint and the store cannot be opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.store.db import SCHEMA_VERSION


def test_a_store_that_cannot_be_opened_is_reported_in_a_message(
    qapp: QApplication, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ui import main as main_module
    from app.ui.main import MainWindow, run_app

    database = home / "data" / "sealbox.db"
    database.parent.mkdir(parents=True)
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    shown: list[tuple[object, str, str]] = []
    windows: list[MainWindow] = []
    real_show_first = main_module.show_first

    def watch(window: MainWindow) -> float | None:
        windows.append(window)
        return real_show_first(window)

    monkeypatch.setattr(main_module, "show_first", watch)
    monkeypatch.setattr(
        "PySide6.QtWidgets.QMessageBox.critical",
        lambda parent, title, text: shown.append((parent, title, text)),
    )
    sheet = qapp.styleSheet()
    try:
        assert run_app(None) == 1
    finally:
        qapp.setStyleSheet(sheet)
    [window] = windows
    assert [(title, text) for _, title, text in shown] == [
        (
            "Sealbox cannot start",
            f"The database {database} was written by a newer Sealbox "
            f"(schema 99, this one knows {SCHEMA_VERSION}): update Sealbox to open it. It was "
            "not changed.",
        )
    ]
    assert shown[0][0] is window and not window.isVisible()
    window.deleteLater()
