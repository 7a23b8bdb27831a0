"""The Archive place in the main window, driven by mouse clicks: names a person can tell apart,
the verification badge in sight at 1024×700, and a verification that is still there after the
app is started again.

Two requests whose names differ only at their end are archived once per module through the real
``sealbox`` command with the ``local`` provider.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.ui import desktop
from app.ui.archive.model import (
    BADGE,
    CHECKED_ROLE,
    NAME,
    NAME_WANTED_WIDTH,
    PROVIDER,
    RECIPIENTS,
    verified_text,
)
from app.ui.archive.page import ArchivePage
from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from tests.unit.test_archive_export import Archived, _signed_request

WAIT_MS = 15_000
FIRST = "Service agreement — ACME Shipping Ltd, Rotterdam harbour cranes 2026-01"
SECOND = "Service agreement — ACME Shipping Ltd, Rotterdam harbour cranes 2026-02"


@dataclass(frozen=True)
class LookAlikes:
    home: Path
    keyring: Path
    first: Archived
    second: Archived


@pytest.fixture(scope="module")
def look_alikes(tmp_path_factory: pytest.TempPathFactory) -> LookAlikes:
    base = tmp_path_factory.mktemp("look-alikes")
    home = base / "home"
    home.mkdir()
    keyring = base / "keyring.json"
    env = {
        "SEALBOX_HOME": str(home),
        "SEALBOX_TEST_KEYRING": str(keyring),
        "PYTHON_KEYRING_BACKEND": "tests.support.filekeyring.FileKeyring",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("SEALBOX_")]:
            mp.delenv(name)
        first = _signed_request(
            base, env, FIRST, ["Crane service for January"], ("Ann", "Lee", "ann@example.com")
        )
        second = _signed_request(
            base, env, SECOND, ["Crane service for February"], ("Bob", "Roe", "bob@example.com")
        )
    return LookAlikes(home, keyring, first, second)


@pytest.fixture
def archived(home: Path, look_alikes: LookAlikes) -> LookAlikes:
    shutil.copytree(look_alikes.home, home, dirs_exist_ok=True)
    shutil.copyfile(look_alikes.keyring, home.parent / "keyring.json")
    return look_alikes


def open_window(qtbot: QtBot, bridge: AsyncBridge, width: int, height: int) -> MainWindow:
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    qtbot.waitExposed(window)
    return window


def click_place(qtbot: QtBot, window: MainWindow, name: str) -> None:
    """Click ``name`` on the rail of places."""
    rail = window.findChild(QToolBar, "places")
    assert rail is not None
    action = next(a for a in rail.actions() if a.text() == name)
    button = rail.widgetForAction(action)
    assert isinstance(button, QWidget)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: action.isChecked(), timeout=WAIT_MS)


def row_centre(page: ArchivePage, row: int, column: int) -> QPoint:
    return page.table.visualRect(page.model.index(row, column)).center()


def click_row(qtbot: QtBot, page: ArchivePage, row: int) -> None:
    QTest.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        row_centre(page, row, NAME),
    )
    rid = page.model.rows[row].id
    qtbot.waitUntil(lambda: page.preview_id == rid, timeout=WAIT_MS)


def shown_name(page: ArchivePage, row: int) -> str:
    """The name as the table draws it in its column (elided to the width it has)."""
    index = page.model.index(row, NAME)
    option = QStyleOptionViewItem()
    page.table.initViewItemOption(option)
    option.rect = page.table.visualRect(index)
    delegate = page.table.itemDelegateForIndex(index)
    assert isinstance(delegate, QStyledItemDelegate)
    delegate.initStyleOption(option, index)
    style = page.table.style()
    text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, page.table)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, page.table) + 1
    return option.fontMetrics.elidedText(
        option.text, option.textElideMode, text_rect.width() - 2 * margin
    )


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_names_can_be_told_apart_and_the_badge_is_in_sight(
    qtbot: QtBot, bridge: AsyncBridge, archived: LookAlikes, size: tuple[int, int]
) -> None:
    window = open_window(qtbot, bridge, *size)
    click_place(qtbot, window, "Archive")
    page = window.archive_page
    table = page.table
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    header = table.horizontalHeader()
    viewport = table.viewport().width()
    # The badge column is whole inside the table, with no sideways scrolling.
    assert not table.isColumnHidden(BADGE)
    assert header.sectionViewportPosition(BADGE) + header.sectionSize(BADGE) <= viewport
    assert table.horizontalScrollBar().maximum() == 0
    assert header.sectionSize(NAME) >= 200
    # The two names differ only at their end: as drawn they still differ, and the tooltip has
    # the whole name.
    first, second = shown_name(page, 0), shown_name(page, 1)
    assert first != second, (first, second)
    assert first[-2:] != second[-2:]
    names = {page.model.rows[r].name for r in (0, 1)}
    assert names == {FIRST, SECOND}
    for row in (0, 1):
        tip = str(page.model.data(page.model.index(row, NAME), Qt.ItemDataRole.ToolTipRole))
        assert tip.startswith(page.model.rows[row].name)
    if size[0] >= 1600:  # room for the provider and the recipients too
        assert not table.isColumnHidden(PROVIDER) and not table.isColumnHidden(RECIPIENTS)
        assert header.sectionSize(NAME) >= NAME_WANTED_WIDTH
    window.close()


def test_a_verification_is_still_shown_after_a_restart(
    qtbot: QtBot, bridge: AsyncBridge, archived: LookAlikes
) -> None:
    window = open_window(qtbot, bridge, 1024, 700)
    click_place(qtbot, window, "Archive")
    page = window.archive_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    row = page.model.row_of(archived.second.id)
    click_row(qtbot, page, row)
    assert page.verification_label.text().startswith("Not verified yet")
    before = datetime.now().astimezone().replace(second=0, microsecond=0)
    with qtbot.waitSignal(page.verifyFinished, timeout=WAIT_MS):
        QTest.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    badge_index = page.model.index(page.model.row_of(archived.second.id), BADGE)
    assert badge_index.data() == "Signature valid"
    checked = str(badge_index.data(CHECKED_ROLE))
    assert checked.startswith("Verified ")
    assert page.verification_label.text() == f"Signature valid — v{checked[1:]}"
    window.close()

    # Started again: the verdict and its time are read from the store.
    again = open_window(qtbot, bridge, 1024, 700)
    click_place(qtbot, again, "Archive")
    page = again.archive_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    second = page.model.row_of(archived.second.id)
    first = page.model.row_of(archived.first.id)
    assert page.model.index(second, BADGE).data() == "Signature valid"
    assert page.model.index(second, BADGE).data(CHECKED_ROLE) == checked
    assert page.model.index(first, BADGE).data() == "Not checked"
    kept = page.model.checked_at[archived.second.id]
    assert kept >= before and checked == verified_text(kept)
    click_row(qtbot, page, second)
    assert page.verification_label.text() == f"Signature valid — v{checked[1:]}"
    again.close()


@pytest.fixture
def no_file_manager(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    asked: list[Path] = []

    def fails(path: Path) -> bool:
        asked.append(path)
        return False

    monkeypatch.setattr(desktop, "open_folder", fails)
    return asked


def test_show_in_folder_without_a_file_manager_says_so_and_copies_the_path(
    qtbot: QtBot, bridge: AsyncBridge, archived: LookAlikes, no_file_manager: list[Path]
) -> None:
    window = open_window(qtbot, bridge, 1024, 700)
    click_place(qtbot, window, "Archive")
    page = window.archive_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    click_row(qtbot, page, page.model.row_of(archived.first.id))
    QTest.mouseClick(page.folder_button, Qt.MouseButton.LeftButton)
    dialog = page.folder_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    folder = no_file_manager[0]
    assert folder.is_dir() and folder.name.endswith(archived.first.id[:8])
    assert dialog.text_label.text().startswith("No file manager could open this folder")
    assert dialog.path_edit.text() == str(folder)
    QTest.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == str(folder)
    assert dialog.copy_button.text() == "Copied"
    QTest.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    window.close()
