"""The timestamp authority in the Settings dialog (the In person page), through real input.

The page is reached by clicking its entry in the list; the address, user name and password are
typed with key events and OK is clicked. What is saved is read back the way sealing reads it
(:func:`app.services.seal_levels.timestamp_authority`), the password from the test's own file
keyring, never from the settings file.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from app.config import load_settings
from app.context import Context
from app.providers.local.info import NAME as IN_PERSON
from app.services.seal_levels import timestamp_authority
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.fields import NOT_SET, REMOVED, STORED
from app.ui.settings.timestamp import ABOUT, NO_USER, URL_OVERRIDDEN_NOTE, TimestampGroup
from tests.gui.conftest import TIMEOUT_MS

#: What the file held before the dialog was opened: all of it must still be there after OK.
EARLIER = """\
sender_name = "Ada Office"
future_key = "kept"

[network]
timeout_s = 7

[webhooks]
port = 8765

[timestamp]
ca_file = "CA_FILE"
timeout_s = 4
"""


def _ca_pem() -> bytes:
    """A small self-signed CA certificate (the authority's CA file must hold one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Office TSA Root")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=36500))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


CA_PEM = _ca_pem()


def earlier(home: Path) -> str:
    """The settings file before the dialog, its CA file written beside it."""
    (home / "tsa-ca.pem").write_bytes(CA_PEM)
    return EARLIER.replace("CA_FILE", str(home / "tsa-ca.pem"))


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    (home / "config.toml").write_text(earlier(home), encoding="utf-8")
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


def open_group(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> SettingsDialog:
    """The dialog, shown, on the In person page (clicked in the list)."""
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    items = dialog.page_list.findItems(IN_PERSON, Qt.MatchFlag.MatchExactly)
    assert len(items) == 1
    rect = dialog.page_list.visualItemRect(items[0])
    QTest.mouseClick(
        dialog.page_list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    assert dialog.current_page() is dialog.provider_pages["local"]
    assert dialog.timestamp.isVisible()
    return dialog


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    QTest.mouseClick(edit, Qt.MouseButton.LeftButton)
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    assert edit.text() == text


def click_ok(dialog: SettingsDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None
    QTest.mouseClick(ok, Qt.MouseButton.LeftButton)


def keyring_file(home: Path) -> dict[str, str]:
    path = home.parent / "keyring.json"
    data: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return data


def config_text(home: Path) -> str:
    return (home / "config.toml").read_text("utf-8")


def config(home: Path) -> dict[str, Any]:
    return tomllib.loads(config_text(home))


def test_the_group_says_what_it_is_for(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    assert group.title() == "Timestamp authority"
    texts = [label.text() for label in group.findChildren(type(dialog.save_error))]
    assert ABOUT in texts
    assert group.url_edit.text() == "" and not group.url_edit.isReadOnly()
    assert group.password.edit.placeholderText() == NOT_SET
    assert group.password.edit.echoMode() == QLineEdit.EchoMode.Password


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tsa.example.com/tsr", "starts with https://"),
        ("ftp://tsa.example.com/tsr", "starts with https://"),
        ("https://", "not a web address"),
    ],
)
def test_a_bad_address_is_shown_next_to_it_and_nothing_is_saved(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot, typed: str, message: str
) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    type_into(qtbot, group.url_edit, typed)
    type_into(qtbot, group.password.edit, "tsa-secret")
    type_into(qtbot, group.user_edit, "office")
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        click_ok(dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()
    field = group.url_field
    assert field.problem is not None and message in field.problem
    assert field.error.isVisible() and field.error.text() == field.problem
    assert dialog.current_page() is dialog.provider_pages["local"]
    assert config_text(home) == earlier(home)
    assert keyring_file(home) == {}
    # Typing again takes the message away.
    QTest.keyClick(group.url_edit, Qt.Key.Key_R)
    assert field.problem is None and not field.error.isVisible()


def test_a_good_address_is_saved_and_read_back_by_sealing(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    type_into(qtbot, group.url_edit, "https://tsa.example.com/tsr")
    type_into(qtbot, group.user_edit, "office")
    type_into(qtbot, group.password.edit, "tsa-secret-typed")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted

    saved = config(home)
    assert saved["timestamp"] == {
        "url": "https://tsa.example.com/tsr",
        "username": "office",
        "ca_file": str(home / "tsa-ca.pem"),
        "timeout_s": 4,
    }
    # The rest of the file is kept.
    assert saved["sender_name"] == "Ada Office"
    assert saved["future_key"] == "kept"
    assert saved["network"] == {"timeout_s": 7}
    assert saved["webhooks"] == {"port": 8765}
    # The password is in the keyring, never in the settings file.
    assert "tsa-secret-typed" not in config_text(home)
    assert keyring_file(home) == {"Sealbox\ntimestamp.password": "tsa-secret-typed"}

    settings = load_settings(home / "config.toml")
    tsa = timestamp_authority(settings, ctx.secrets, environ={})
    assert tsa is not None
    assert (tsa.url, tsa.username, tsa.password) == (
        "https://tsa.example.com/tsr",
        "office",
        "tsa-secret-typed",
    )
    assert tsa.timeout == 4
    assert list(tsa.trust_roots_pem) == [CA_PEM]
    assert ctx.settings.timestamp["url"] == "https://tsa.example.com/tsr"

    # Opened again: the address and user name are shown, the password only as stored.
    again = open_group(ctx, bridge, qtbot)
    assert again.timestamp.url_edit.text() == "https://tsa.example.com/tsr"
    assert again.timestamp.user_edit.text() == "office"
    assert again.timestamp.password.edit.text() == ""
    assert again.timestamp.password.edit.placeholderText() == STORED


def test_emptying_the_address_and_clearing_the_password_removes_them(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    (home / "config.toml").write_text(
        earlier(home).replace(
            "[timestamp]\n", '[timestamp]\nurl = "https://tsa.example.com/tsr"\n'
        ),
        encoding="utf-8",
    )
    ctx.apply_settings(load_settings(home / "config.toml"))
    ctx.secrets.set("timestamp.password", "old-password")
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    assert group.url_edit.text() == "https://tsa.example.com/tsr"
    type_into(qtbot, group.url_edit, "")
    QTest.mouseClick(group.password.clear_button, Qt.MouseButton.LeftButton)
    assert group.password.edit.placeholderText() == REMOVED
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(dialog)
    assert config(home)["timestamp"] == {"ca_file": str(home / "tsa-ca.pem"), "timeout_s": 4}
    assert keyring_file(home) == {}
    assert timestamp_authority(load_settings(home / "config.toml"), ctx.secrets, {}) is None


def test_a_password_without_a_user_name_is_asked_about(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    type_into(qtbot, group.url_edit, "https://tsa.example.com/tsr")
    type_into(qtbot, group.password.edit, "tsa-secret")
    click_ok(dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert group.user_field.problem == NO_USER and group.user_field.error.isVisible()
    assert config_text(home) == earlier(home) and keyring_file(home) == {}
    type_into(qtbot, group.user_edit, "office")
    assert group.user_field.problem is None
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(dialog)
    assert config(home)["timestamp"]["username"] == "office"


def test_an_address_set_outside_sealbox_is_shown_read_only_and_not_written(
    home: Path, bridge: AsyncBridge, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "config.toml").write_text(earlier(home), encoding="utf-8")
    monkeypatch.setenv("SEALBOX_TIMESTAMP_URL", "https://env-tsa.example/tsr")
    monkeypatch.setenv("SEALBOX_TIMESTAMP_PASSWORD", "from-environment")
    ctx = Context.from_environment()
    try:
        dialog = open_group(ctx, bridge, qtbot)
        group: TimestampGroup = dialog.timestamp
        assert group.url_edit.text() == "https://env-tsa.example/tsr"
        assert group.url_edit.isReadOnly()
        QTest.mouseClick(group.url_edit, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(group.url_edit, "xyz")
        assert group.url_edit.text() == "https://env-tsa.example/tsr"
        texts = [label.text() for label in group.findChildren(type(dialog.save_error))]
        assert URL_OVERRIDDEN_NOTE in texts
        assert not any("SEALBOX_" in t or "from-environment" in t for t in texts)
        assert group.password.edit.placeholderText() == "•••• set outside Sealbox"
        type_into(qtbot, group.user_edit, "office")
        with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
            click_ok(dialog)
        saved = config(home)["timestamp"]
        assert "url" not in saved  # the file keeps its own (none), not the environment's
        assert saved["username"] == "office"
        assert "from-environment" not in config_text(home)
        assert keyring_file(home) == {}
    finally:
        closing = bridge.start(ctx.aclose(), label="closing")
        qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
        ctx.close()


@pytest.mark.parametrize(
    ("ca_file", "timeout", "ca_message", "timeout_message"),
    [
        ("missing.pem", "ten", "There is no such file", "Enter a number of seconds, such as 10."),
        ("not-a-cert.pem", "0", "This file is not a certificate", "between 1 and 600"),
        ("tsa-ca.pem", "9000", None, "between 1 and 600"),
    ],
)
def test_a_bad_ca_file_or_timeout_is_said_next_to_it_and_nothing_is_saved(
    ctx: Context,
    bridge: AsyncBridge,
    home: Path,
    qtbot: QtBot,
    ca_file: str,
    timeout: str,
    ca_message: str | None,
    timeout_message: str,
) -> None:
    (home / "not-a-cert.pem").write_text("hello\n", encoding="utf-8")
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    assert group.ca_edit.text() == str(home / "tsa-ca.pem")
    assert group.timeout_edit.text() == "4"
    type_into(qtbot, group.ca_edit, str(home / ca_file))
    type_into(qtbot, group.timeout_edit, timeout)
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        click_ok(dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    if ca_message is None:
        assert group.ca_field.problem is None and not group.ca_field.error.isVisible()
    else:
        assert group.ca_field.problem is not None and ca_message in group.ca_field.problem
        assert group.ca_field.error.isVisible()
    assert group.timeout_field.problem is not None
    assert timeout_message in group.timeout_field.problem
    assert group.timeout_field.error.isVisible()
    assert config_text(home) == earlier(home)
    QTest.keyClick(group.timeout_edit, Qt.Key.Key_Backspace)
    assert group.timeout_field.problem is None


def test_the_ca_file_and_timeout_are_saved_and_read_back_by_sealing(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    other = home / "office-tsa-root.pem"
    other.write_bytes(_ca_pem())
    dialog = open_group(ctx, bridge, qtbot)
    group = dialog.timestamp
    type_into(qtbot, group.url_edit, "https://tsa.example.com/tsr")
    type_into(qtbot, group.ca_edit, str(other))
    type_into(qtbot, group.timeout_edit, "2.5")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(dialog)
    assert config(home)["timestamp"] == {
        "url": "https://tsa.example.com/tsr",
        "ca_file": str(other),
        "timeout_s": 2.5,
    }
    tsa = timestamp_authority(load_settings(home / "config.toml"), ctx.secrets, environ={})
    assert tsa is not None
    assert tsa.timeout == 2.5
    assert list(tsa.trust_roots_pem) == [other.read_bytes()]

    # Emptied, both go: the default timeout, no CA file.
    again = open_group(ctx, bridge, qtbot)
    type_into(qtbot, again.timestamp.ca_edit, "")
    type_into(qtbot, again.timestamp.timeout_edit, "")
    with qtbot.waitSignal(again.settingsChanged, timeout=TIMEOUT_MS):
        click_ok(again)
    assert config(home)["timestamp"] == {"url": "https://tsa.example.com/tsr"}
