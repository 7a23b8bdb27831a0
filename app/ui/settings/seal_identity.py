"""The "Seal with" group of the Settings dialog (on the In person page).

Three choices (:mod:`app.providers.local.choice`): this installation's certificate (the default),
a certificate file (PKCS#12: the file, chosen with Browse…, and its password), or a smartcard or
token (PKCS#11: its module, the token's name, the key's label and the PIN). The password and the
PIN go to the system keyring only when "Remember in the keyring" is ticked (unticking it removes
one kept there); otherwise Sealbox asks for them when it seals.

OK checks what is chosen before anything is saved and says each problem next to its input: a
file that is not a PKCS#12 certificate, has no signing key or has expired, a wrong password (a
new file needs its password); a module that is not there or does not load, a token that is not
present, a wrong or locked PIN, a key that is not on the token (the PIN only when one is given:
without it, the module and the token are checked).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.config import Settings
from app.context import Context
from app.errors import SealboxError, SealSetupError, SecretNeededError, UnavailableError
from app.providers.local.choice import (
    INSTALLATION,
    PKCS11,
    PKCS12,
    SEAL_SETTINGS,
    SealChoice,
)
from app.providers.local.info import PKCS11_PIN, PKCS12_PASSWORD
from app.secrets import MemorySecrets, env_name
from app.ui.settings.checks import file_problem
from app.ui.settings.fields import NOTE_STYLE, OVERRIDDEN_NOTE, Field

TITLE = "Seal with"
CHOICES = {
    INSTALLATION: "This installation's certificate",
    PKCS12: "A certificate file (PKCS#12)",
    PKCS11: "A smartcard or token (PKCS#11)",
}
ABOUT = {
    INSTALLATION: "Made by Sealbox at the first signing.",
    PKCS12: "Your organisation's certificate, exported with its private key as a .p12 or "
    ".pfx file.",
    PKCS11: "A key that stays on its card or token. Its PKCS#11 module comes with the "
    "card's software (OpenSC for most cards).",
}
REMEMBER = "Remember in the keyring"
KEPT = "•••• kept in the system keyring"
ASKED = "Asked for when sealing"
NEED_FILE = "Choose the certificate file (.p12 or .pfx)."
NEED_PASSWORD = "Enter the certificate's password."
NEED_MODULE = "Choose the smartcard's PKCS#11 module."
NEED_TOKEN = "Enter the token's name."
NEED_KEY = "Enter the label of the key to seal with."


class RememberedSecret(QWidget):
    """A password or PIN: typed here, kept in the keyring only when "Remember" is ticked."""

    def __init__(self, ctx: Context, name: str, label: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.name = name
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(label)
        self.field = Field(self.edit)
        self.remember = QCheckBox(REMEMBER)
        self.overridden = bool(ctx.environ.get(env_name(name)))
        self.stored = False
        keyring_problem: str | None = None
        try:
            self.stored = not self.overridden and ctx.secrets.get(name) is not None
        except SealboxError as exc:  # no keyring (or a damaged entry): said under the field
            keyring_problem = exc.for_app()
        self.remember.setChecked(self.stored)
        if self.overridden:
            self.field.add_note(OVERRIDDEN_NOTE)
        elif keyring_problem:
            self.field.add_note(keyring_problem)
        self.edit.setPlaceholderText(KEPT if self.stored else ASKED)
        self.edit.textEdited.connect(lambda _t: self.field.show_problem(None))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.field)
        column.addWidget(self.remember, 0, Qt.AlignmentFlag.AlignLeft)

    def typed(self) -> str | None:
        return self.edit.text() or None

    def value(self) -> str | None:
        """What sealing would use with what is here: typed, else the one kept (or set outside
        Sealbox) unless "Remember" was unticked."""
        typed = self.typed()
        if typed is not None:
            return typed
        if self.overridden or (self.stored and self.remember.isChecked()):
            return self.ctx.secrets.get(self.name)
        return None

    def save(self) -> bool:
        """Keep the typed value when "Remember" is ticked; remove a kept one when it is not.
        True when the keyring was changed."""
        typed = self.typed()
        if self.remember.isChecked() and typed is not None:
            self.ctx.secrets.set(self.name, typed)
            return True
        if not self.remember.isChecked() and self.stored:
            self.ctx.secrets.delete(self.name)
            return True
        return False

    def saved(self) -> None:
        self.stored = self.remember.isChecked() and (self.stored or self.typed() is not None)
        self.edit.clear()
        self.edit.setPlaceholderText(KEPT if self.stored else ASKED)


class SealIdentityGroup(QGroupBox):
    """What the built-in provider seals with (see the module docstring)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        self.ctx = ctx
        self.saved_choice = SealChoice.read(lambda key: getattr(ctx.settings, key, None))
        layout = QVBoxLayout(self)
        self.buttons = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for source, text in CHOICES.items():
            radio = QRadioButton(text)
            self.radios[source] = radio
            self.buttons.addButton(radio)
            # As wide as its words: a click beside them is not on the button.
            layout.addWidget(radio, 0, Qt.AlignmentFlag.AlignLeft)
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setStyleSheet(NOTE_STYLE)
        layout.addWidget(self.about)
        self.file_box = self._file_box()
        self.token_box = self._token_box()
        layout.addWidget(self.file_box)
        layout.addWidget(self.token_box)
        self.radios[self.saved_choice.source].setChecked(True)
        self.buttons.buttonToggled.connect(lambda _b, _on: self._show_source())
        self._show_source()

    # --- the inputs ---------------------------------------------------------------------------

    def _file_box(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        self.file_edit = QLineEdit(self.saved_choice.pkcs12 or "")
        self.file_edit.setAccessibleName("Certificate file")
        self.file_edit.setPlaceholderText("A .p12 or .pfx file")
        self.file_field = Field(self.file_edit)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse_file)
        self.file_field.row.addWidget(self.browse_button)
        self.file_edit.textEdited.connect(lambda _t: self.file_field.show_problem(None))
        form.addRow("Certificate file", self.file_field)
        self.password = RememberedSecret(self.ctx, PKCS12_PASSWORD, "Certificate password")
        form.addRow("Password", self.password)
        return box

    def _token_box(self) -> QWidget:
        from app.providers.local.token import suggested_modules

        box = QWidget()
        form = _form(box)
        self.module_combo = QComboBox()
        self.module_combo.setEditable(True)
        self.module_combo.addItems(suggested_modules())
        self.module_combo.setEditText(self.saved_choice.module or "")
        self.module_combo.setAccessibleName("PKCS#11 module")
        self.module_field = Field(self.module_combo)
        module_browse = QPushButton("Browse…")
        module_browse.clicked.connect(self._browse_module)
        self.module_field.row.addWidget(module_browse)
        self.module_combo.editTextChanged.connect(lambda _t: self.module_field.show_problem(None))
        form.addRow("PKCS#11 module", self.module_field)
        self.token_edit = QLineEdit(self.saved_choice.token or "")
        self.token_edit.setAccessibleName("Token")
        self.token_edit.setPlaceholderText("The token's name (label), e.g. Office Seal")
        self.token_field = Field(self.token_edit)
        self.token_edit.textEdited.connect(lambda _t: self.token_field.show_problem(None))
        form.addRow("Token", self.token_field)
        self.key_edit = QLineEdit(self.saved_choice.key or "")
        self.key_edit.setAccessibleName("Key label")
        self.key_edit.setPlaceholderText("The label of the key and its certificate")
        self.key_field = Field(self.key_edit)
        self.key_edit.textEdited.connect(lambda _t: self.key_field.show_problem(None))
        form.addRow("Key label", self.key_field)
        self.pin = RememberedSecret(self.ctx, PKCS11_PIN, "Token PIN")
        form.addRow("PIN", self.pin)
        return box

    def source(self) -> str:
        return next(s for s, radio in self.radios.items() if radio.isChecked())

    def _show_source(self) -> None:
        source = self.source()
        self.about.setText(ABOUT[source])
        self.file_box.setVisible(source == PKCS12)
        self.token_box.setVisible(source == PKCS11)

    def _browse_file(self) -> None:
        start = self.file_edit.text().strip() or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the seal certificate",
            start,
            "PKCS#12 certificates (*.p12 *.pfx);;All files (*)",
        )
        if name:
            self.file_edit.setText(name)
            self.file_field.show_problem(None)
            self.password.edit.setFocus()

    def _browse_module(self) -> None:
        start = self.module_combo.currentText().strip() or "/usr/lib"
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the smartcard's PKCS#11 module",
            start,
            "PKCS#11 modules (*.so *.dylib *.dll);;All files (*)",
        )
        if name:
            self.module_combo.setEditText(name)

    # --- what is chosen -------------------------------------------------------------------------

    def widget(self) -> QWidget:
        return self

    def keys(self) -> set[str]:
        return {*SEAL_SETTINGS, *self.credentials()}

    def choice(self) -> SealChoice:
        """The choice as the group shows it (the other choices' values are kept too)."""
        return SealChoice(
            self.source(),
            self.file_edit.text().strip() or None,
            self.module_combo.currentText().strip() or None,
            self.token_edit.text().strip() or None,
            self.key_edit.text().strip() or None,
        )

    def settings_values(self) -> dict[str, str | None]:
        """The settings file's keys as the group shows them."""
        choice = self.choice()
        return {
            "seal_with": choice.source,
            "seal_pkcs12": choice.pkcs12,
            "seal_pkcs11_module": choice.module,
            "seal_pkcs11_token": choice.token,
            "seal_pkcs11_key": choice.key,
        }

    def credentials(self) -> dict[str, str | None]:
        """The password and PIN that sealing would use with what is typed here."""
        return {
            PKCS12_PASSWORD.removeprefix("local."): self.password.value(),
            PKCS11_PIN.removeprefix("local."): self.pin.value(),
        }

    def apply(self, settings: Settings) -> None:
        """Put the choice in ``settings``; ``seal_with`` only where the other keys do not say
        it already (a file set alone seals with it; nothing set, this installation's)."""
        values = self.settings_values()
        implied = PKCS12 if values["seal_pkcs12"] else INSTALLATION
        if values["seal_with"] == implied:
            values["seal_with"] = None
        for key, value in values.items():
            setattr(settings, key, value)

    def save_secrets(self) -> bool:
        """Keep or remove the password and PIN as "Remember" says; raises
        :class:`UnavailableError` when the keyring cannot be used."""
        changed = [secret.save() for secret in (self.password, self.pin)]
        return any(changed)

    def saved(self) -> None:
        self.password.saved()
        self.pin.saved()
        self.saved_choice = self.choice()

    # --- checking on OK -----------------------------------------------------------------------

    def fields(self) -> list[Field]:
        return [
            self.file_field,
            self.password.field,
            self.module_field,
            self.token_field,
            self.key_field,
            self.pin.field,
        ]

    def check(self) -> list[Field]:
        """Check what is chosen, showing each problem next to its input; the fields with one."""
        for field in self.fields():
            field.show_problem(None)
        source = self.source()
        if source == PKCS12:
            self._check_file()
        elif source == PKCS11:
            self._check_token()
        return [f for f in self.fields() if f.problem is not None]

    def _check_file(self) -> None:
        choice = self.choice()
        if not choice.pkcs12:
            self.file_field.show_problem(NEED_FILE)
            return
        problem = file_problem(choice.pkcs12)
        if problem is not None:
            self.file_field.show_problem(problem)
            return
        changed = choice.source != self.saved_choice.source or choice.pkcs12 != (
            self.saved_choice.pkcs12
        )
        self._try_open(choice, self.password.value(), PKCS12_PASSWORD, needs_secret=changed)

    def _check_token(self) -> None:
        choice = self.choice()
        for field, value, need in (
            (self.module_field, choice.module, NEED_MODULE),
            (self.token_field, choice.token, NEED_TOKEN),
            (self.key_field, choice.key, NEED_KEY),
        ):
            if not value:
                field.show_problem(need)
        if not (choice.module and choice.token and choice.key):
            return
        from app.providers.local.token import check_token, module_problem

        problem = module_problem(choice.module)
        if problem is not None:
            self.module_field.show_problem(problem)
            return
        pin = self.pin.value()
        if pin is None:
            try:
                check_token(choice.token_choice())
            except SealSetupError as exc:
                self._show(exc)
            return
        self._try_open(choice, pin, PKCS11_PIN, needs_secret=True)

    def _try_open(
        self, choice: SealChoice, secret: str | None, name: str, *, needs_secret: bool
    ) -> None:
        """Open what ``choice`` names with ``secret`` (nothing is kept), showing a problem."""
        from app.providers.local.choice import open_seal_identity

        secrets = MemorySecrets({name: secret} if secret else {})
        try:
            identity = open_seal_identity(choice, self.ctx.paths.seal_dir, secrets)
        except SecretNeededError:
            # Only a certificate file can ask (a token's PIN is given here). One chosen before
            # is asked for when sealing; a new one is checked now.
            if needs_secret:
                self.password.field.show_problem(NEED_PASSWORD)
            return
        except SealSetupError as exc:
            self._show(exc)
            return
        except (SealboxError, UnavailableError) as exc:
            default = self.file_field if choice.source == PKCS12 else self.key_field
            default.show_problem(exc.for_app())
            return
        identity.close()

    def _show(self, exc: SealSetupError) -> None:
        fields = {
            "file": self.file_field,
            "password": self.password.field,
            "module": self.module_field,
            "token": self.token_field,
            "pin": self.pin.field,
            "key": self.key_field,
        }
        fields.get(exc.part, self.file_field).show_problem(exc.for_app())


def _form(box: QWidget) -> QFormLayout:
    form = QFormLayout(box)
    form.setContentsMargins(0, 4, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setVerticalSpacing(8)
    return form
