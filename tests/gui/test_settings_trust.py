"""The Trust group and the "other PDF readers" note on the In person page of the Settings
dialog, through real clicks and typing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.archive.readers import seal_sentence
from app.archive.trust_sources import system_trust_chosen
from app.config import load_settings
from app.context import Context
from app.providers.local.choice import PKCS12
from app.ui.bridge import AsyncBridge
from app.ui.settings.trust import SYSTEM_LABEL
from tests.gui.conftest import TIMEOUT_MS
from tests.gui.test_settings_timestamp import click_ok, config, open_group, type_into


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    (home / "config.toml").write_text('sender_name = "Ada Office"\n', encoding="utf-8")
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


def test_trusting_the_system_store_is_off_by_default_and_saved_when_ticked(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    check = dialog.trust.system_check
    assert check.text() == SYSTEM_LABEL and check.isVisible()
    assert not check.isChecked()
    assert "authorit" in dialog.trust.store_label.text()
    QTest.mouseClick(check, Qt.MouseButton.LeftButton, pos=check.rect().bottomLeft() / 2)
    assert check.isChecked()
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(dialog)
    assert config(home)["trust"] == {"system": True}
    assert system_trust_chosen(load_settings(home / "config.toml").trust)
    assert system_trust_chosen(ctx.settings.trust)

    again = open_group(ctx, bridge, qtbot)
    assert again.trust.system_check.isChecked()
    QTest.mouseClick(
        again.trust.system_check,
        Qt.MouseButton.LeftButton,
        pos=again.trust.system_check.rect().bottomLeft() / 2,
    )
    with qtbot.waitSignal(again.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(again)
    assert "trust" not in config(home)
    assert not system_trust_chosen(ctx.settings.trust)


def test_the_readers_note_follows_the_seal_certificate_and_the_timestamp_authority(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    note = dialog.readers_note
    assert note.isVisible()
    assert note.text() == seal_sentence("installation", False)
    assert "this installation's root certificate" in note.text()
    assert "signer's computer clock" in note.text()

    seal = dialog.seal
    radio = seal.radios[PKCS12]
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=radio.rect().center())
    assert seal.source() == PKCS12
    assert note.text() == seal_sentence("office", False)
    assert "organisation's certificate authority" in note.text()

    type_into(qtbot, dialog.timestamp.url_edit, "https://tsa.example.com/tsr")
    assert note.text() == seal_sentence("office", True)
    assert "time from the timestamp authority" in note.text()
