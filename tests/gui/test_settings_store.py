"""The Shared store page of the Settings dialog, through real input, against a throwaway
PostgreSQL server: its entry is clicked in the list, the server, port, database, user name and
password are typed, Test connection and OK are clicked. The address goes to ``[store]`` of the
settings file, the password to the test's own keyring and never to the file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import NO_DATABASE, OVERRIDDEN_NOTE, TESTING, StorePage
from tests.gui.conftest import TIMEOUT_MS


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    (home / "config.toml").write_text("[store]\nlease_s = 90\n", encoding="utf-8")
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


def open_page(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> tuple[SettingsDialog, StorePage]:
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    items = dialog.page_list.findItems("Shared store", Qt.MatchFlag.MatchExactly)
    assert len(items) == 1
    QTest.mouseClick(
        dialog.page_list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        dialog.page_list.visualItemRect(items[0]).center(),
    )
    page = dialog.store_page
    assert dialog.current_page() is page and page.isVisible()
    return dialog, page


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    QTest.mouseClick(edit, Qt.MouseButton.LeftButton)
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    assert edit.text() == text


def type_port(qtbot: QtBot, box: QSpinBox, port: int) -> None:
    QTest.mouseClick(box, Qt.MouseButton.LeftButton)
    box.selectAll()
    qtbot.keyClicks(box, str(port))
    assert box.value() == port


def fill(qtbot: QtBot, page: StorePage, url: str, password: str) -> None:
    parts = conninfo_to_dict(url)
    type_into(qtbot, page.host_edit, str(parts["host"]))
    type_port(qtbot, page.port_box, int(str(parts["port"])))
    type_into(qtbot, page.database_edit, str(parts["dbname"]))
    type_into(qtbot, page.user_edit, str(parts["user"]))
    type_into(qtbot, page.password.edit, password)


def click_test(qtbot: QtBot, page: StorePage) -> str:
    QTest.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    assert page.status_label.text() == TESTING and not page.test_button.isEnabled()
    qtbot.waitUntil(lambda: page.test_button.isEnabled(), timeout=TIMEOUT_MS)
    return page.status_label.text()


def click_ok(dialog: SettingsDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)


def config(home: Path) -> dict[str, Any]:
    return tomllib.loads((home / "config.toml").read_text("utf-8"))


def test_typed_store_is_tested_then_saved_without_its_password(
    ctx: Context, bridge: AsyncBridge, qtbot: QtBot, home: Path, pg_url: str
) -> None:
    password = str(conninfo_to_dict(pg_url)["password"])
    dialog, page = open_page(ctx, bridge, qtbot)
    fill(qtbot, page, pg_url, "not-the-password")
    assert click_test(qtbot, page) == (
        "The server refused the password of postgres: check the user name and the password."
    )
    type_into(qtbot, page.password.edit, password)
    assert click_test(qtbot, page) == (
        "The server answers: the shared store is empty and will be set up."
    )
    with psycopg.connect(pg_url) as conn:  # the test changed nothing on the server
        assert conn.execute("SELECT to_regclass('schema_version')").fetchone() == (None,)

    click_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    parts = conninfo_to_dict(pg_url)
    assert config(home)["store"] == {
        "lease_s": 90,
        "address": f"postgresql://postgres@127.0.0.1:{parts['port']}/{parts['dbname']}",
    }
    assert password not in (home / "config.toml").read_text("utf-8")
    keyring = json.loads((home.parent / "keyring.json").read_text("utf-8"))
    assert password in json.dumps(keyring)


def test_a_server_without_a_database_is_not_saved(
    ctx: Context, bridge: AsyncBridge, qtbot: QtBot, home: Path
) -> None:
    dialog, page = open_page(ctx, bridge, qtbot)
    type_into(qtbot, page.host_edit, "db.office.lan")
    click_ok(dialog)
    assert dialog.isVisible()
    assert page.database_field.problem == NO_DATABASE
    assert page.database_field.error.isVisible()
    assert config(home) == {"store": {"lease_s": 90}}
    type_into(qtbot, page.database_edit, "sealbox")
    assert page.database_field.problem is None


def test_an_address_set_outside_sealbox_is_shown_read_only(
    home: Path, qtbot: QtBot, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_DATABASE_URL", "postgresql://clerk@db.office.lan:5433/office")
    ctx = Context.from_environment()
    try:
        dialog, page = open_page(ctx, bridge, qtbot)
        assert page.host_edit.text() == "db.office.lan" and page.host_edit.isReadOnly()
        assert page.port_box.value() == 5433 and page.port_box.isReadOnly()
        assert page.database_edit.text() == "office" and page.user_edit.text() == "clerk"
        notes = [label.text() for label in page.host_field.findChildren(type(page.status_label))]
        assert OVERRIDDEN_NOTE in notes
        dialog.reject()
    finally:
        ctx.close()


def test_a_password_written_in_the_files_address_is_said_on_the_page(
    home: Path, qtbot: QtBot, bridge: AsyncBridge
) -> None:
    (home / "config.toml").write_text(
        '[store]\naddress = "postgresql://jane:s3cret@db.office.lan/sealbox"\n', encoding="utf-8"
    )
    ctx = Context.from_environment()
    try:
        dialog, page = open_page(ctx, bridge, qtbot)
        assert page.host_field.problem == (
            "The shared store's address contains a password, which must not be written there: "
            "remove it from the address and enter the password in the Password field of "
            "Settings › Shared store (it is kept in the system keyring)."
        )
        assert "s3cret" not in page.host_field.problem
        dialog.reject()
    finally:
        ctx.close()
