"""The Settings dialog: defaults, saving, validation, secrets, Test connection, Cancel.

Every test runs on a fresh ``SEALBOX_HOME`` with a file keyring of its own (the ``home``
fixture). Test connection talks to the providers' loopback fakes through the async bridge; the
tests wait for the outcome with ``qtbot`` (no sleeps).
"""

from __future__ import annotations

import json
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from app.config import DEFAULT_SYNC_INTERVAL_S
from app.context import Context
from app.providers.craftkit import info as craftkit
from app.providers.craftkit.client import CraftkitProvider
from app.secrets import KeyringSecrets
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.fields import (
    ERROR_COLOR,
    NOT_SET,
    OK_COLOR,
    OVERRIDDEN_NOTE,
    REMOVED,
    STORED,
)
from app.ui.settings.provider import ProviderPage
from tests.fakes.craftkit import API_KEY, CraftkitFake
from tests.gui.conftest import TIMEOUT_MS


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


@pytest.fixture
def dialog(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    return dialog


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


def keyring_file(home: Path) -> dict[str, str]:
    path = home.parent / "keyring.json"
    data: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return data


def config_file(home: Path) -> dict[str, Any]:
    return tomllib.loads((home / "config.toml").read_text("utf-8"))


def press_ok(dialog: SettingsDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None
    ok.click()


def test_a_fresh_home_shows_the_defaults(dialog: SettingsDialog, home: Path) -> None:
    general = dialog.general
    assert general.default_provider.currentData() == "local"
    assert general.sender_name.text() == ""
    assert general.sender_email.text() == ""
    assert general.archive_edit.text() == ""
    assert general.archive_edit.placeholderText() == str(home / "archive")
    assert general.interval_spin.value() == DEFAULT_SYNC_INTERVAL_S // 60
    assert general.notifications_check.isChecked()
    page = dialog.provider_pages["craftkit"]
    assert page.settings["base_url"].edit.text() == ""
    assert page.settings["base_url"].edit.placeholderText() == craftkit.DEFAULT_BASE_URL
    api_key = page.secrets["api_key"]
    assert api_key.edit.placeholderText() == NOT_SET
    assert not api_key.clear_button.isEnabled()
    assert set(dialog.provider_pages) == {
        "local",
        "craftkit",
        "signature_nc",
        "signicat",
        "saypdf",
        "itasign",
    }
    assert "webhook_secret" in page.secrets
    assert "webhook_secret" in dialog.provider_pages["saypdf"].secrets
    assert "webhook_secret" not in dialog.provider_pages["itasign"].secrets


def test_ok_saves_the_general_settings(
    dialog: SettingsDialog, ctx: Context, home: Path, qtbot: QtBot
) -> None:
    general = dialog.general
    general.default_provider.setCurrentIndex(general.default_provider.findData("craftkit"))
    general.sender_name.setText("Ada Office")
    general.sender_email.setText("ada@example.com")
    general.interval_spin.setValue(10)
    general.notifications_check.setChecked(False)
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        press_ok(dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = config_file(home)
    assert saved["default_provider"] == "craftkit"
    assert saved["sender_name"] == "Ada Office"
    assert saved["sender_email"] == "ada@example.com"
    assert saved["sync_interval_s"] == 600
    assert saved["notifications"] is False
    assert ctx.settings.default_provider == "craftkit"
    assert ctx.settings.sender() == ("Ada Office", "ada@example.com")
    assert ctx.settings.sync_interval_s == 600
    assert ctx.default_provider == "craftkit"


def test_an_untouched_interval_keeps_its_seconds(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    ctx.settings.sync_interval_s = 90
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    assert dialog.general.interval_spin.value() == 2
    press_ok(dialog)
    assert config_file(home)["sync_interval_s"] == 90


def test_a_typed_secret_goes_to_the_keyring_and_not_the_settings_file(
    dialog: SettingsDialog, ctx: Context, home: Path, bridge: AsyncBridge, qtbot: QtBot
) -> None:
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText("https://staging.craftkit.example")
    page.secrets["api_key"].edit.setText("ck_live_typed_secret")
    page.secrets["webhook_secret"].edit.setText("whsec_typed_secret")
    dialog.provider_pages["signicat"].secrets["client_secret"].edit.setText("sig-secret-1")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        press_ok(dialog)
    stored = keyring_file(home)
    assert stored["Sealbox\ncraftkit.api_key"] == "ck_live_typed_secret"
    assert stored["Sealbox\ncraftkit.webhook_secret"] == "whsec_typed_secret"
    assert stored["Sealbox\nsignicat.client_secret"] == "sig-secret-1"
    text = (home / "config.toml").read_text("utf-8")
    assert "typed_secret" not in text and "sig-secret" not in text
    assert config_file(home)["providers"] == {
        "craftkit": {"base_url": "https://staging.craftkit.example"}
    }
    assert ctx.secrets.get("craftkit.api_key") == "ck_live_typed_secret"

    again = SettingsDialog(ctx, bridge)
    qtbot.addWidget(again)
    api_key = again.provider_pages["craftkit"].secrets["api_key"]
    assert api_key.edit.text() == ""  # the stored value is never shown
    assert api_key.edit.placeholderText() == STORED
    assert api_key.clear_button.isEnabled()
    assert again.provider_pages["craftkit"].settings["base_url"].edit.text() == (
        "https://staging.craftkit.example"
    )


def test_clear_removes_a_stored_secret_on_ok(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    ctx.secrets.set("itasign.api_key", "old-itasign-key")
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    secret = dialog.provider_pages["itasign"].secrets["api_key"]
    assert secret.edit.placeholderText() == STORED
    secret.clear_button.click()
    assert secret.edit.placeholderText() == REMOVED
    assert "Sealbox\nitasign.api_key" in keyring_file(home)  # nothing happens before OK
    press_ok(dialog)
    assert "Sealbox\nitasign.api_key" not in keyring_file(home)
    assert ctx.secrets.get("itasign.api_key") is None


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("email", "ada@example", "Enter an email address"),
        ("url", "ftp://api.craftkit.dev", "starts with https://"),
        ("url", "https://", "not a web address"),
        ("interval", 0, "from 1 to 1440 minutes"),
        ("interval", 1441, "from 1 to 1440 minutes"),
        ("archive", "relative/folder", "full path"),
        ("archive", "FILE/inside", "is a file"),
    ],
)
def test_a_bad_input_is_shown_and_nothing_is_written(
    dialog: SettingsDialog,
    ctx: Context,
    home: Path,
    qtbot: QtBot,
    where: str,
    value: str | int,
    message: str,
) -> None:
    before = ctx.settings
    general = dialog.general
    general.sender_name.setText("Ada Office")
    dialog.provider_pages["itasign"].secrets["api_key"].edit.setText("typed-key")
    if where == "email":
        general.sender_email.setText(str(value))
        field = general.email_field
    elif where == "url":
        field = dialog.provider_pages["craftkit"].settings["base_url"]
        field.edit.setText(str(value))
    elif where == "interval":
        assert isinstance(value, int)
        general.interval_spin.setValue(value)
        field = general.interval_field
    else:
        (home / "FILE").write_text("not a folder", encoding="utf-8")
        folder = str(value).replace("FILE", str(home / "FILE"))
        general.archive_edit.setText(folder)
        field = general.archive_field
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        press_ok(dialog)
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert field.problem is not None and message in field.problem
    assert not field.error.isHidden()
    assert field.error.text() == field.problem
    shown = dialog.current_page()
    assert shown is not None and shown.isAncestorOf(field)  # the page with the problem
    assert not (home / "config.toml").exists()
    assert keyring_file(home) == {}
    assert ctx.settings is before
    # Correcting the input takes the message away.
    if where == "interval":
        general.interval_spin.setValue(15)
        assert field.problem is None


def test_cancel_writes_nothing(
    dialog: SettingsDialog, ctx: Context, home: Path, qtbot: QtBot
) -> None:
    before = ctx.settings
    general = dialog.general
    general.default_provider.setCurrentIndex(general.default_provider.findData("saypdf"))
    general.sender_email.setText("ada@example.com")
    dialog.provider_pages["saypdf"].secrets["api_key"].edit.setText("sp_typed")
    dialog.provider_pages["saypdf"].settings["base_url"].edit.setText("https://example.org")
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None
    with qtbot.assertNotEmitted(dialog.settingsChanged):
        cancel.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not (home / "config.toml").exists()
    assert keyring_file(home) == {}
    assert ctx.settings is before
    assert ctx.settings.default_provider == "local"


def test_after_ok_the_provider_is_a_new_instance_with_the_new_base_url(
    dialog: SettingsDialog, ctx: Context, qtbot: QtBot
) -> None:
    old = ctx.provider("craftkit")
    assert isinstance(old, CraftkitProvider)
    assert old.base_url == craftkit.DEFAULT_BASE_URL
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText("https://eu.craftkit.example")
    with qtbot.waitSignal(dialog.settingsChanged, timeout=TIMEOUT_MS):
        press_ok(dialog)
    new = ctx.provider("craftkit")
    assert new is not old
    assert isinstance(new, CraftkitProvider)
    assert new.base_url == "https://eu.craftkit.example"
    assert ctx.provider("craftkit") is new  # cached again
    qtbot.waitUntil(lambda: old.http.client.is_closed, timeout=TIMEOUT_MS)
    assert not new.http.client.is_closed


# --- Test connection ---------------------------------------------------------------------------


def run_test(dialog: SettingsDialog, pid: str, qtbot: QtBot) -> ProviderPage:
    page = dialog.provider_pages[pid]
    page.test_button.click()
    assert not page.test_button.isEnabled()  # running, and the window goes on
    qtbot.waitUntil(page.test_button.isEnabled, timeout=TIMEOUT_MS)
    return page


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_test_connection_with_the_right_key_says_connected(
    dialog: SettingsDialog, fake: CraftkitFake, home: Path, qtbot: QtBot
) -> None:
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText(fake.url)
    page.secrets["api_key"].edit.setText(API_KEY)
    run_test(dialog, "craftkit", qtbot)
    assert page.status_label.text() == "Connected: Craftkit accepted the API key."
    assert OK_COLOR in page.status_label.styleSheet()
    assert [r.method for r in fake.received] == ["GET"]
    # Testing saves nothing.
    assert not (home / "config.toml").exists()
    assert keyring_file(home) == {}


def test_test_connection_falls_back_to_the_stored_key(
    ctx: Context, bridge: AsyncBridge, fake: CraftkitFake, qtbot: QtBot
) -> None:
    ctx.secrets.set("craftkit.api_key", API_KEY)
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText(fake.url)
    run_test(dialog, "craftkit", qtbot)
    assert page.status_label.text().startswith("Connected: ")
    # A cleared key is not used any more, even before OK.
    page.secrets["api_key"].clear_button.click()
    run_test(dialog, "craftkit", qtbot)
    assert "needs an API key" in page.status_label.text()


def test_test_connection_with_a_wrong_key_shows_the_rejection(
    dialog: SettingsDialog, fake: CraftkitFake, qtbot: QtBot
) -> None:
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText(fake.url)
    page.secrets["api_key"].edit.setText("ck_wrong")
    run_test(dialog, "craftkit", qtbot)
    assert page.status_label.text() == (
        "Craftkit rejected the API key: check the API key and test again."
    )
    assert ERROR_COLOR in page.status_label.styleSheet()


def test_test_connection_to_a_closed_port_says_unreachable(
    dialog: SettingsDialog, qtbot: QtBot
) -> None:
    page = dialog.provider_pages["itasign"]
    page.settings["base_url"].edit.setText(f"http://127.0.0.1:{closed_port()}/api/v1")
    page.secrets["api_key"].edit.setText("any-key")
    run_test(dialog, "itasign", qtbot)
    text = page.status_label.text()
    assert text == (
        "Could not reach 127.0.0.1: check the address on this page and your network connection."
    )
    assert ERROR_COLOR in page.status_label.styleSheet()


def test_test_connection_checks_the_address_first(dialog: SettingsDialog) -> None:
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText("api.craftkit.dev")
    page.test_button.click()
    assert page.test_button.isEnabled()  # nothing started
    assert page.settings["base_url"].problem is not None
    assert page.status_label.text() == "Correct the problem above first."


def test_check_the_seal_of_the_local_provider(
    dialog: SettingsDialog, home: Path, qtbot: QtBot
) -> None:
    page = run_test(dialog, "local", qtbot)
    assert page.status_label.text() == (
        "Ready: signing on this computer (its seal certificate is made at the first signing)."
    )
    assert not (home / "data" / "seal").exists()


def test_cancel_stops_a_running_test(
    dialog: SettingsDialog, fake: CraftkitFake, home: Path, qtbot: QtBot
) -> None:
    page = dialog.provider_pages["craftkit"]
    page.settings["base_url"].edit.setText(fake.url)
    page.secrets["api_key"].edit.setText(API_KEY)
    task = dialog.test_connection("craftkit")
    assert task is not None
    dialog.reject()
    qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
    assert task.cancelled()
    assert not (home / "config.toml").exists()


def test_environment_overrides_are_named(
    home: Path, bridge: AsyncBridge, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_CRAFTKIT_API_KEY", "from-env")
    monkeypatch.setenv("SEALBOX_CRAFTKIT_BASE_URL", "https://env.example")
    ctx = Context.from_environment()
    assert isinstance(ctx.secrets, KeyringSecrets)
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    page = dialog.provider_pages["craftkit"]
    secret = page.secrets["api_key"]
    assert secret.edit.text() == ""
    assert secret.edit.placeholderText() == "•••• set outside Sealbox"
    assert "from-env" not in secret.edit.placeholderText()
    notes = [w.text() for w in page.findChildren(type(page.status_label))]
    assert notes.count(OVERRIDDEN_NOTE) == 2  # the base URL and the API key
    ctx.close()


def test_reload_settings_reads_the_file_again_and_closes_the_old_providers(
    ctx: Context, bridge: AsyncBridge, home: Path, qtbot: QtBot
) -> None:
    old = ctx.provider("craftkit")
    assert isinstance(old, CraftkitProvider)
    (home / "config.toml").write_text(
        f'archive_dir = "{home / "elsewhere"}"\n\n'
        '[providers.craftkit]\nbase_url = "https://reloaded.example"\n',
        encoding="utf-8",
    )
    reloading = bridge.start(ctx.reload_settings(), label="reloading")
    qtbot.waitUntil(reloading.done, timeout=TIMEOUT_MS)
    assert reloading.exception() is None
    assert old.http.client.is_closed
    new = ctx.provider("craftkit")
    assert isinstance(new, CraftkitProvider)
    assert new.base_url == "https://reloaded.example"
    assert ctx.paths.archive_dir == home / "elsewhere"
    assert ctx.paths.config_file == home / "config.toml"
