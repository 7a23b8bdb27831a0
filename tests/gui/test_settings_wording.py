"""The Settings dialog speaks of its own pages and fields, never of the command line.

Every provider's Test connection is run through its real button for each way it can fail (no
credentials, credentials refused, a host that does not resolve, a refused connection, a timeout,
a server error, no API at the address, an answer that is not the API's, a bug), with the network
replaced by an injected ``httpx`` transport that fails in that way. After each, every text the
dialog shows (labels, notes, buttons, placeholders, tooltips, list entries) is read and must hold
no command-line flag, no environment variable, no ``sealbox`` command and no exception class. The
same walk covers every page with each value set in the environment, and with no usable keyring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.context import Context
from app.providers import registry
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.fields import ERROR_COLOR
from tests.gui.conftest import TIMEOUT_MS

#: What must never appear in a window: flags, environment variables, commands, exception classes.
FORBIDDEN = re.compile(
    r"SEALBOX_|(?<![\w-])--[a-z]|`|\bsealbox [a-z]|\bconfig\.toml\b|\[providers\."
    r"|\b[A-Z]\w*(?:Error|Exception|Timeout|Warning)\b|Errno|Traceback"
)

REMOTE = [info.id for info in registry.providers() if not info.capabilities.in_person]

#: The credentials each provider's page needs to get as far as the network.
CREDENTIALS: dict[str, dict[str, str]] = {
    "craftkit": {"api_key": "ck_test_key"},
    "signature_nc": {"api_key": "snc-test-key"},
    "signicat": {"client_id": "client-id", "client_secret": "client-secret"},
    "saypdf": {"api_key": "saypdf-test-key"},
    "itasign": {"api_key": "itasign-test-key"},
}

Handler = Callable[[httpx.Request], httpx.Response]


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _answer(status: int, body: str, content_type: str = "application/json") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=body, headers={"Content-Type": content_type})

    return handler


#: Each way a Test connection can fail on the network, as a transport that fails that way.
FAILURES: dict[str, Handler] = {
    "host not found": _raise(httpx.ConnectError("[Errno -2] Name or service not known")),
    "connection refused": _raise(httpx.ConnectError("[Errno 111] Connection refused")),
    "connect timeout": _raise(httpx.ConnectTimeout("timed out")),
    "read timeout": _raise(httpx.ReadTimeout("The read operation timed out")),
    "connection dropped": _raise(httpx.RemoteProtocolError("Server disconnected")),
    "credentials refused": _answer(
        401, '{"error": {"code": "unauthorized", "message": "Invalid API key"}}'
    ),
    "access refused": _answer(403, '{"error": {"code": "forbidden", "message": "Forbidden"}}'),
    "no API there": _answer(404, "<html><body>Not Found</body></html>", "text/html"),
    "server error": _answer(500, '{"message": "NullPointerException at Foo.bar"}'),
    "server unavailable": _answer(503, "Service Unavailable", "text/plain"),
    "not the API": _answer(200, "<html><body>Welcome to nginx!</body></html>", "text/html"),
    "a bug": _raise(RuntimeError("KeyError: 'token' in some module")),
}

NETWORK = {"host not found", "connection refused", "connect timeout"}


def shown_texts(root: QWidget) -> list[str]:
    """Every text ``root`` shows now: visible labels, buttons, line edits (text and
    placeholder), combo and list entries, tooltips, and the window title."""
    out = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            out.append(widget.text())
        elif isinstance(widget, QLineEdit):
            if widget.echoMode() == QLineEdit.EchoMode.Normal:
                out.append(widget.text())
            out.append(widget.placeholderText())
        elif isinstance(widget, QComboBox):
            out += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QListWidget):
            out += [widget.item(i).text() for i in range(widget.count())]
        out.append(widget.toolTip())
    return [text for text in out if text]


def assert_office_words(texts: list[str], context: str) -> None:
    bad = [text for text in texts if FORBIDDEN.search(text)]
    assert bad == [], f"{context}: the window shows command-line or raw error text: {bad}"


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    ctx = Context.from_environment()
    yield ctx
    closing = bridge.start(ctx.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    ctx.close()


def open_dialog(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def go_to_page(dialog: SettingsDialog, qtbot: QtBot, title: str) -> None:
    """Click the page's entry in the list on the left."""
    items = dialog.page_list.findItems(title, Qt.MatchFlag.MatchExactly)
    assert len(items) == 1, title
    rect = dialog.page_list.visualItemRect(items[0])
    QTest.mouseClick(
        dialog.page_list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    qtbot.waitUntil(lambda: dialog.page_list.currentItem() is items[0], timeout=TIMEOUT_MS)


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def press_test(dialog: SettingsDialog, pid: str, qtbot: QtBot) -> str:
    """Click Test connection and wait for its answer; returns the answer shown."""
    page = dialog.provider_pages[pid]
    QTest.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.test_button.isEnabled, timeout=TIMEOUT_MS)
    return page.status_label.text()


@pytest.mark.parametrize("pid", REMOTE)
def test_every_failure_of_test_connection_is_worded_for_office_staff(
    pid: str, ctx: Context, bridge: AsyncBridge, qtbot: QtBot
) -> None:
    dialog = open_dialog(ctx, bridge, qtbot)
    go_to_page(dialog, qtbot, registry.get(pid).name)
    page = dialog.provider_pages[pid]
    host = f"{pid.replace('_', '-')}.example.test"
    type_into(qtbot, page.settings["base_url"].edit, f"https://{host}/api")
    if pid == "signicat":
        type_into(qtbot, page.settings["token_url"].edit, f"https://{host}/token")

    # Nothing to connect with yet: says which field to fill in on this page.
    answer = press_test(dialog, pid, qtbot)
    assert "on this page" in answer, answer
    assert ERROR_COLOR in page.status_label.styleSheet()
    assert_office_words(shown_texts(dialog), f"{pid}, no credentials")

    for key, value in CREDENTIALS[pid].items():
        type_into(qtbot, page.secrets[key].edit, value)
    for failure, handler in FAILURES.items():
        ctx.transport = httpx.MockTransport(handler)
        answer = press_test(dialog, pid, qtbot)
        if pid == "signature_nc" and failure in ("no API there", "not the API"):
            # Its check reads a submission that does not exist and looks only at the status:
            # 404 is the answer it expects, and any success will do.
            assert answer.startswith("Connected"), answer
        else:
            assert answer and not answer.startswith("Connected"), (failure, answer)
            assert ERROR_COLOR in page.status_label.styleSheet(), failure
        if failure in NETWORK:
            assert answer == (
                f"Could not reach {host}: check the address on this page and your "
                "network connection."
            ), (failure, answer)
        assert_office_words(shown_texts(dialog), f"{pid}, {failure}")


def test_a_damaged_seal_certificate_is_worded_for_office_staff(
    ctx: Context, bridge: AsyncBridge, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = open_dialog(ctx, bridge, qtbot)
    go_to_page(dialog, qtbot, "In person")
    not_p12 = tmp_path / "seal.p12"
    not_p12.write_bytes(b"this is not a certificate")
    QTest.mouseClick(dialog.seal.radios["pkcs12"], Qt.MouseButton.LeftButton)
    type_into(qtbot, dialog.seal.file_edit, str(not_p12))
    answer = press_test(dialog, "local", qtbot)
    assert "is not a PKCS#12 certificate file" in answer
    assert_office_words(shown_texts(dialog), "local, not a certificate")


def visit_every_page(dialog: SettingsDialog, qtbot: QtBot) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for row in range(dialog.page_list.count()):
        title = dialog.page_list.item(row).text()
        go_to_page(dialog, qtbot, title)
        texts[title] = shown_texts(dialog)
    return texts


def test_values_set_outside_sealbox_are_said_without_naming_variables(
    home: Path, bridge: AsyncBridge, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = {"SEALBOX_SENDER_NAME": "Env Name", "SEALBOX_SENDER_EMAIL": "env@example.com"}
    for info in registry.providers():
        for spec in info.settings:
            if not spec.top_level:
                variables[f"SEALBOX_{info.id.upper()}_{spec.key.upper()}"] = "https://env.test"
        for secret in info.secrets:
            variables[f"SEALBOX_{info.id.upper()}_{secret.key.upper()}"] = "from-environment"
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    ctx = Context.from_environment()
    try:
        dialog = open_dialog(ctx, bridge, qtbot)
        texts = visit_every_page(dialog, qtbot)
        for title, shown in texts.items():
            assert_office_words(shown, f"page {title} with values set outside Sealbox")
        assert any("set outside Sealbox" in t for t in texts["Craftkit"])
        assert not any("from-environment" in t for shown in texts.values() for t in shown)
    finally:
        ctx.close()


class BrokenKeyring(KeyringBackend):
    """A keyring that is there but cannot be used (locked, its service not running)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("org.freedesktop.DBus.Error.ServiceUnknown")


def test_a_keyring_that_cannot_be_used_is_said_in_office_words(
    ctx: Context, bridge: AsyncBridge, qtbot: QtBot
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        dialog = open_dialog(ctx, bridge, qtbot)
        texts = visit_every_page(dialog, qtbot)
        for title, shown in texts.items():
            assert_office_words(shown, f"page {title} with a broken keyring")
        assert any("No OS keyring is available" in t for t in texts["Craftkit"])
        # Saving a typed key says the same, in the same words.
        go_to_page(dialog, qtbot, "Craftkit")
        type_into(qtbot, dialog.provider_pages["craftkit"].secrets["api_key"].edit, "ck_new")
        QTest.keyClick(dialog, Qt.Key.Key_Return)
        assert dialog.save_error.isVisible()
        assert "No OS keyring is available" in dialog.save_error.text()
        assert_office_words(shown_texts(dialog), "saving with a broken keyring")
    finally:
        keyring.set_keyring(previous)
