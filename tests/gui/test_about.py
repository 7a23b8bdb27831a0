"""The About dialog shows the version and the licence of every component it ships."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app import __version__
from app.ui.about import AboutDialog


def label_text(dialog: AboutDialog) -> str:
    return " ".join(label.text() for label in dialog.findChildren(QLabel))


def test_about_lists_version_and_licences(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert f"Sealbox {__version__}" in label_text(dialog)
    assert "MIT licence" in label_text(dialog)
    rows = {}
    for row in range(dialog.table.rowCount()):
        name, licence = dialog.table.item(row, 0), dialog.table.item(row, 2)
        assert name is not None and licence is not None
        rows[name.text()] = licence.text()
    assert rows["qasync"] == "BSD-2-Clause"
    assert "GNU AFFERO GPL" in rows["pymupdf"]
    assert len(rows) == len(dialog.licences) > 10


def test_about_without_package_metadata_says_so(qtbot: QtBot) -> None:
    dialog = AboutDialog(licences=[])
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 0
    assert "not available in this build" in label_text(dialog)
