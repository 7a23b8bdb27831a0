"""What seals, chosen in Settings › In person ("Seal with"), through real clicks and typing; and
the password asked for on the signing screen when it is not kept.

The certificate file is the test PKI's signer (certomancer): once chosen here, a real in-person
signing through ``sealbox send`` and ``sealbox sign`` seals with it, ``archive verify`` trusts the
seal once the test root is imported and poppler's ``pdfsig`` names the signer. The file dialog
is the system's, so Browse… is answered by replacing ``QFileDialog.getOpenFileName``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.config import load_settings
from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.seal_identity import ASKED, KEPT, NEED_PASSWORD, NEED_TOKEN
from app.ui.signing import SigningState
from app.ui.signing.dialogs import SealPasswordDialog
from tests.e2e.test_office_certificate import archived, check_trusted_seal, pdfsig, send_and_sign
from tests.gui.conftest import TIMEOUT_MS
from tests.gui.test_signing_view import (
    JANE,
    SEAL_TIMEOUT_MS,
    SPEC,
    click_field,
    open_view,
    send_local,
    signature_dialog,
    start,
)
from tests.support.testpki import TestPki, start_test_pki

PASSWORD_KEY = "Sealbox\nlocal.pkcs12_passphrase"


@pytest.fixture
def ctx(home: Path, qtbot: QtBot, bridge: AsyncBridge) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    closing = bridge.start(context.aclose(), label="closing")
    qtbot.waitUntil(closing.done, timeout=TIMEOUT_MS)
    context.close()


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    with start_test_pki(tmp_path_factory.mktemp("pki")) as pki:
        pki.stop()  # its files are what is needed
        yield pki


def open_in_person(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> SettingsDialog:
    """The dialog, shown, on the In person page (clicked in the list)."""
    dialog = SettingsDialog(ctx, bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    items = dialog.page_list.findItems("In person", Qt.MatchFlag.MatchExactly)
    rect = dialog.page_list.visualItemRect(items[0])
    QTest.mouseClick(
        dialog.page_list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    qtbot.waitUntil(dialog.seal.isVisible, timeout=TIMEOUT_MS)
    return dialog


def click(widget: QWidget) -> None:
    assert widget.isVisible(), widget
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    click(edit)
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    assert edit.text() == text


def browse_to(dialog: SettingsDialog, path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Click Browse… and pick ``path`` in the file dialog; returns what the dialog was asked."""
    asked: list[str] = []

    def pick(_parent: QWidget, title: str, *_args: object) -> tuple[str, str]:
        asked.append(title)
        return str(path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    click(dialog.seal.browse_button)
    return asked


def click_ok(dialog: SettingsDialog) -> None:
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok is not None
    click(ok)


def keyring(home: Path) -> dict[str, str]:
    path = home.parent / "keyring.json"
    data: dict[str, str] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return data


# --- the office's certificate, end to end -------------------------------------------------------


def test_a_certificate_file_chosen_in_settings_seals_and_is_trusted(
    home: Path,
    tmp_path: Path,
    ctx: Context,
    bridge: AsyncBridge,
    qtbot: QtBot,
    test_pki: TestPki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = open_in_person(ctx, bridge, qtbot)
    group = dialog.seal
    assert group.radios["installation"].isChecked() and not group.file_box.isVisible()
    click(group.radios["pkcs12"])
    assert group.file_box.isVisible() and not group.token_box.isVisible()
    assert browse_to(dialog, test_pki.signer_p12, monkeypatch) == ["Choose the seal certificate"]
    assert group.file_edit.text() == str(test_pki.signer_p12)
    assert group.password.edit.placeholderText() == ASKED

    # A wrong password is said next to it, and nothing is saved.
    type_into(qtbot, group.password.edit, "not the password")
    click_ok(dialog)
    assert dialog.isVisible()
    assert group.password.field.problem == (
        f"The password for {test_pki.signer_p12} is wrong (or the file is damaged); enter the "
        "password that was set when the certificate was exported."
    )
    assert group.password.field.error.isVisible()
    assert not (home / "config.toml").exists()

    type_into(qtbot, group.password.edit, test_pki.p12_passphrase)
    click(group.password.remember)
    assert group.password.remember.isChecked()
    click_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    saved = load_settings(home / "config.toml")
    assert (saved.seal_source, saved.seal_pkcs12) == ("pkcs12", str(test_pki.signer_p12))
    assert test_pki.p12_passphrase not in (home / "config.toml").read_text("utf-8")
    assert keyring(home)[PASSWORD_KEY] == test_pki.p12_passphrase

    # A real in-person signing seals with it.
    rid, signed = send_and_sign(tmp_path, {})
    assert signed.returncode == 0, signed.stdout + signed.stderr
    check_trusted_seal(archived(rid, {}), test_pki.root_pem, {})


# --- problems said next to the field -------------------------------------------------------------


def _p12(
    path: Path,
    password: bytes | None,
    *,
    days: tuple[int, int] = (-1, 365),
    with_key: bool = True,
) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Harbour Office")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"office", key if with_key else None, cert, None, encryption
        )
    )
    return path


@pytest.mark.parametrize(
    ("kind", "typed", "field", "message"),
    [
        ("not a certificate", "pw", "file", "is not a PKCS#12 certificate file"),
        ("no key", "pw", "file", "holds no private key, so it cannot sign"),
        ("expired", "pw", "file", "The seal certificate of CN=Harbour Office in "),
        ("needs a password", "", "password", NEED_PASSWORD),
    ],
)
def test_a_certificate_file_that_cannot_seal_is_said_next_to_the_field(
    home: Path,
    tmp_path: Path,
    ctx: Context,
    bridge: AsyncBridge,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    typed: str,
    field: str,
    message: str,
) -> None:
    path = tmp_path / "office.p12"
    if kind == "not a certificate":
        path.write_text("a letter, not a certificate", encoding="utf-8")
    else:
        _p12(
            path,
            b"pw",
            days=(-400, -30) if kind == "expired" else (-1, 365),
            with_key=kind != "no key",
        )
    dialog = open_in_person(ctx, bridge, qtbot)
    group = dialog.seal
    click(group.radios["pkcs12"])
    browse_to(dialog, path, monkeypatch)
    if typed:
        type_into(qtbot, group.password.edit, typed)
    click_ok(dialog)
    assert dialog.isVisible()
    shown = group.file_field if field == "file" else group.password.field
    other = group.password.field if field == "file" else group.file_field
    assert shown.problem is not None and message in shown.problem, shown.problem
    assert shown.error.isVisible() and other.problem is None
    if kind == "expired":
        assert "expired on" in shown.problem
    assert not (home / "config.toml").exists()
    assert keyring(home) == {}


def test_the_password_is_kept_only_when_remember_is_ticked(
    home: Path,
    tmp_path: Path,
    ctx: Context,
    bridge: AsyncBridge,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _p12(tmp_path / "office.p12", b"s3cret")
    dialog = open_in_person(ctx, bridge, qtbot)
    click(dialog.seal.radios["pkcs12"])
    browse_to(dialog, path, monkeypatch)
    type_into(qtbot, dialog.seal.password.edit, "s3cret")
    assert not dialog.seal.password.remember.isChecked()
    click_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    assert keyring(home) == {}  # checked, used, not kept
    assert load_settings(home / "config.toml").seal_pkcs12 == str(path)

    # Kept when ticked; removed when unticked again.
    dialog = open_in_person(ctx, bridge, qtbot)
    assert dialog.seal.radios["pkcs12"].isChecked() and dialog.seal.file_box.isVisible()
    type_into(qtbot, dialog.seal.password.edit, "s3cret")
    click(dialog.seal.password.remember)
    click_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    assert keyring(home) == {PASSWORD_KEY: "s3cret"}
    dialog = open_in_person(ctx, bridge, qtbot)
    assert dialog.seal.password.edit.placeholderText() == KEPT
    assert dialog.seal.password.remember.isChecked()
    click(dialog.seal.password.remember)
    click_ok(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    assert keyring(home) == {}


def test_a_smartcard_or_token_is_chosen_and_its_problems_said_next_to_the_field(
    home: Path, tmp_path: Path, ctx: Context, bridge: AsyncBridge, qtbot: QtBot
) -> None:
    dialog = open_in_person(ctx, bridge, qtbot)
    group = dialog.seal
    click(group.radios["pkcs11"])
    assert group.token_box.isVisible() and not group.file_box.isVisible()
    combo = group.module_combo
    assert combo.count() >= 1  # the usual modules are offered
    edit = combo.lineEdit()
    assert edit is not None
    type_into(qtbot, edit, "/nowhere/opensc-pkcs11.so")
    type_into(qtbot, group.key_edit, "office-seal")
    click_ok(dialog)
    assert dialog.isVisible()
    assert group.token_field.problem == NEED_TOKEN
    type_into(qtbot, group.token_edit, "Office Seal")
    click_ok(dialog)
    assert group.module_field.problem == (
        "There is no PKCS#11 module at /nowhere/opensc-pkcs11.so: install the smartcard's "
        "software (OpenSC for most cards) or choose the module's file."
    )
    not_a_module = tmp_path / "notes.so"
    not_a_module.write_text("not a library", encoding="utf-8")
    type_into(qtbot, edit, str(not_a_module))
    click_ok(dialog)
    assert group.module_field.problem is not None
    assert "could not be loaded as a PKCS#11 module" in group.module_field.problem
    assert not (home / "config.toml").exists()


# --- asked for on the signing screen -------------------------------------------------------------


def test_the_signing_screen_asks_for_a_password_that_is_not_kept(
    home: Path, tmp_path: Path, ctx: Context, bridge: AsyncBridge, qtbot: QtBot
) -> None:
    path = _p12(tmp_path / "office.p12", b"s3cret")
    (home / "config.toml").write_text(
        f'seal_with = "pkcs12"\nseal_pkcs12 = "{path}"\n', encoding="utf-8"
    )
    ctx.settings = load_settings(home / "config.toml")
    spec = dict(SPEC, recipients=[JANE], fields=[SPEC["fields"][0]])
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    click_field(qtbot, view, 0)
    signing = signature_dialog(qtbot, view)
    click(signing.pad.mode_button)
    click(signing.sign_button)
    click(view.finish_button)
    qtbot.waitUntil(lambda: view.seal_dialog is not None, timeout=SEAL_TIMEOUT_MS)
    asked = view.seal_dialog
    assert isinstance(asked, SealPasswordDialog)
    qtbot.waitExposed(asked)
    assert asked.intro.text() == (
        "The password of the certificate file office.p12 is needed to seal the signed "
        "document. Every signature is kept."
    )
    assert not asked.seal_button.isEnabled()
    qtbot.keyClicks(asked.secret_edit, "s3cret")
    with qtbot.waitSignal(view.finished, timeout=SEAL_TIMEOUT_MS) as done:
        click(asked.seal_button)
    assert done.args == [rid, True]
    assert view.state == SigningState.COMPLETED
    signed = Path(archived(rid, {})["archive"]["files"]["signed"]["path"])
    report = pdfsig(signed)
    assert "Signature is Valid." in report and "Common Name: Harbour Office" in report, report
    assert keyring(home) == {}  # used for this seal only
