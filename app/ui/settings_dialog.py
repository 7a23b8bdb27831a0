"""The Settings dialog: general settings and one page per signature service.

**General** holds the default provider, the sender's name and email, the archive folder, how
often requests are checked for news and whether to notify. Each provider's page holds its plain
settings (base URL and the like, written to ``config.toml``) and its credentials (written to the
system keyring, never to the settings file or a log). A credential field never shows the stored
value: its placeholder says "•••• stored in the system keyring" when there is one, typing
replaces it and **Clear** removes it when OK is pressed.

**Test connection** saves nothing: it builds a temporary provider from what is typed in the
dialog (falling back to what is stored) and runs its ``check_connection()`` through the async
bridge, so the window never freezes; the answer appears next to the button, green or red.

**OK** checks every input (emails, http(s) addresses, an interval of 1–1440 minutes, an archive
folder that can be created and written to) and shows each problem under its input, saving nothing
while one remains. Then the secrets go to the keyring, the settings to ``config.toml``
(atomically), ``ctx.settings`` is replaced, the cached providers are dropped (and closed in the
background) and :attr:`SettingsDialog.settingsChanged` is emitted so that the app applies the new
settings without a restart.
"""

from __future__ import annotations

import asyncio
import copy
import os
from pathlib import Path

import httpx
import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import Settings, resolve_paths, save_settings
from app.context import Context, close_providers
from app.domain.model import EMAIL_RE
from app.errors import SealboxError, UnavailableError, UserError
from app.logs import register_secret
from app.providers import registry
from app.providers.base import ProviderConfig
from app.providers.info import ProviderInfo, SettingField
from app.secrets import env_name
from app.ui.bridge import AsyncBridge, describe_error
from app.wording import Where

ERROR_STYLE = "color: #d32f2f; font-size: 11px;"
NOTE_STYLE = "color: palette(placeholder-text); font-size: 11px;"
OK_COLOR = "#2e7d32"
ERROR_COLOR = "#d32f2f"

MIN_INTERVAL_MIN = 1
MAX_INTERVAL_MIN = 1440

STORED = "•••• stored in the system keyring"
NOT_SET = "Not set"
REMOVED = "Removed when you press OK"

#: Said under an input whose value is set outside Sealbox (its environment), which wins.
OVERRIDDEN_NOTE = ("Set outside Sealbox for this computer (by whoever set it up): that value is "
                   "used, not the one here.")
#: A credential's placeholder when the environment gives it.
OVERRIDDEN = "•••• set outside Sealbox"


# --- checks ----------------------------------------------------------------------------------


def url_problem(text: str) -> str | None:
    """Why ``text`` is not an http(s) address, or None."""
    if not text.startswith(("https://", "http://")):
        return "Enter an address that starts with https:// (or http://)."
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        url = None
    if url is None or not url.host or any(c.isspace() for c in text):
        return "This is not a web address."
    return None


def email_problem(text: str) -> str | None:
    return None if EMAIL_RE.match(text) else "Enter an email address such as name@example.com."


def folder_problem(text: str) -> str | None:
    """Why the folder ``text`` cannot be used as the archive (it is not created here)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        return "Enter the full path of a folder."
    if path.exists():
        if not path.is_dir():
            return "This is a file, not a folder."
        if not os.access(path, os.W_OK | os.X_OK):
            return "Sealbox cannot write in this folder: choose another one."
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"The folder cannot be created: {parent} is a file."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"The folder cannot be created: Sealbox cannot write in {parent}."
    return None


def file_problem(text: str) -> str | None:
    path = Path(text).expanduser()
    if not path.is_file():
        return "There is no such file: choose the certificate's .p12 or .pfx file."
    return None


# --- widgets ---------------------------------------------------------------------------------


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet(NOTE_STYLE)
    label.setWordWrap(True)
    return label


class Field(QWidget):
    """An input with its notes and the problem found in it, stacked."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self._problem: str | None = None
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(editor, 1)
        self.error = _error_label()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(2)
        self.column.addLayout(self.row)
        self.column.addWidget(self.error)

    def add_note(self, text: str) -> QLabel:
        label = _note(text)
        self.column.insertWidget(self.column.count() - 1, label)
        return label

    def show_problem(self, problem: str | None) -> None:
        self._problem = problem
        self.error.setText(problem or "")
        self.error.setVisible(problem is not None)

    @property
    def problem(self) -> str | None:
        """The problem shown under the input, if any."""
        return self._problem


class SecretEdit(Field):
    """A credential: typed in a password field, never shown once stored; Clear removes it."""

    def __init__(self, ctx: Context, name: str, parent: QWidget | None = None) -> None:
        edit = QLineEdit()
        super().__init__(edit, parent)
        self.edit = edit
        self.ctx = ctx
        self.name = name
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(name)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove this credential from the system keyring on OK")
        self.clear_button.clicked.connect(self.clear)
        self.row.addWidget(self.clear_button)
        self.env_var = env_name(name)
        self.overridden = bool(ctx.environ.get(self.env_var))
        self.keyring_problem: str | None = None
        self.stored = self._is_stored()
        self.cleared = False
        if self.overridden:
            self.add_note(OVERRIDDEN_NOTE)
        elif self.keyring_problem:
            self.add_note(self.keyring_problem)
        self.edit.textEdited.connect(self._edited)
        self._refresh()

    def _is_stored(self) -> bool:
        if self.overridden:
            return True
        try:
            return self.ctx.secrets.get(self.name) is not None
        except (UnavailableError, UserError) as exc:
            self.keyring_problem = exc.for_app()
            return False

    def _edited(self, text: str) -> None:
        if text:
            self.cleared = False
        self.show_problem(None)
        self._refresh()

    def clear(self) -> None:
        self.edit.clear()
        self.cleared = self.stored and not self.overridden
        self._refresh()

    def _refresh(self) -> None:
        if self.cleared:
            placeholder = REMOVED
        elif self.overridden:
            placeholder = OVERRIDDEN
        elif self.stored:
            placeholder = STORED
        else:
            placeholder = NOT_SET
        self.edit.setPlaceholderText(placeholder)
        self.clear_button.setEnabled(bool(self.edit.text()) or (self.stored and not self.cleared
                                                                 and not self.overridden))

    def typed(self) -> str | None:
        """The value typed in, if any."""
        return self.edit.text() or None

    def effective(self) -> str | None:
        """The value a provider would use with what is in the dialog: typed, else stored."""
        typed = self.typed()
        if typed is not None:
            register_secret(typed)
            return typed
        if self.cleared:
            return self.ctx.environ.get(self.env_var) or None
        return self.ctx.secrets.get(self.name)

    def saved(self) -> None:
        """The change was written: the field starts afresh."""
        self.stored = (self.typed() is not None) or (self.stored and not self.cleared)
        self.cleared = False
        self.edit.clear()
        self._refresh()


class SettingEdit(Field):
    """A plain setting: an address, a file or some text."""

    def __init__(self, spec: SettingField, value: str | None, env_var: str | None,
                 environ: dict[str, str], parent: QWidget | None = None) -> None:
        edit = QLineEdit(value or "")
        super().__init__(edit, parent)
        self.edit = edit
        self.spec = spec
        self.edit.setPlaceholderText(spec.placeholder)
        self.edit.setAccessibleName(spec.key)
        self.edit.textEdited.connect(lambda _text: self.show_problem(None))
        self.env_var = env_var if env_var and environ.get(env_var) else None
        if spec.kind == "file":
            self.browse_button = QPushButton("Browse…")
            self.browse_button.clicked.connect(self._browse)
            self.row.addWidget(self.browse_button)
        if spec.note:
            self.add_note(spec.note)
        if self.env_var:
            self.add_note(OVERRIDDEN_NOTE)

    def value(self) -> str:
        return self.edit.text().strip()

    def check(self) -> str | None:
        text = self.value()
        if not text:
            return None
        if self.spec.kind == "url":
            return url_problem(text)
        if self.spec.kind == "file":
            return file_problem(text)
        return None

    def _browse(self) -> None:
        start = self.value() or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Choose the seal certificate", start,
                                              "PKCS#12 certificates (*.p12 *.pfx);;All files (*)")
        if name:
            self.edit.setText(name)
            self.show_problem(None)


def _page_layout(page: QWidget, title: str, about: str | None) -> QFormLayout:
    outer = QVBoxLayout(page)
    outer.setContentsMargins(16, 12, 16, 12)
    heading = QLabel(f"<h3 style='margin:0'>{title}</h3>")
    outer.addWidget(heading)
    if about:
        text = QLabel(about)
        text.setWordWrap(True)
        outer.addWidget(text)
        outer.addSpacing(6)
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    form.setVerticalSpacing(10)
    outer.addLayout(form)
    outer.addStretch(1)
    return form


class GeneralPage(QWidget):
    """Default provider, sender, archive folder, sync interval, notifications."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        settings = ctx.settings
        form = _page_layout(self, "General", None)

        self.default_provider = QComboBox()
        for info in registry.providers():
            self.default_provider.addItem(info.name, info.id)
        index = self.default_provider.findData(settings.default_provider)
        self.default_provider.setCurrentIndex(max(0, index))
        provider_field = Field(self.default_provider)
        provider_field.add_note("New requests go through this service unless you choose "
                                "another in Prepare.")
        form.addRow("Default service", provider_field)

        self.sender_name = QLineEdit(settings.sender_name or "")
        self.sender_name.setPlaceholderText("e.g. Ada Office")
        self.name_field = Field(self.sender_name)
        form.addRow("Your name", self.name_field)

        self.sender_email = QLineEdit(settings.sender_email or "")
        self.sender_email.setPlaceholderText("e.g. ada@example.com")
        self.email_field = Field(self.sender_email)
        self.email_field.add_note("The owner of requests where a service asks for one, and on "
                                  "completion certificates.")
        self.sender_email.textEdited.connect(lambda _t: self.email_field.show_problem(None))
        form.addRow("Your email", self.email_field)
        for var, fld in (("SEALBOX_SENDER_NAME", self.name_field),
                         ("SEALBOX_SENDER_EMAIL", self.email_field)):
            if ctx.environ.get(var):
                fld.add_note(OVERRIDDEN_NOTE)

        self.archive_edit = QLineEdit(settings.archive_dir or "")
        self.archive_edit.setPlaceholderText(str(resolve_paths(ctx.environ).archive_dir))
        self.archive_field = Field(self.archive_edit)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.archive_field.row.addWidget(self.browse_button)
        self.archive_field.add_note("Signed PDFs and certificates are kept here; leave empty "
                                    "for the default folder.")
        self.archive_edit.textEdited.connect(lambda _t: self.archive_field.show_problem(None))
        form.addRow("Archive folder", self.archive_field)

        self._seconds = settings.sync_interval_s
        self._minutes = max(0, -(-settings.sync_interval_s // 60))
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 99_999)
        self.interval_spin.setValue(self._minutes)
        self.interval_spin.setSuffix(" minutes")
        self.interval_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.interval_field = Field(self.interval_spin)
        self.interval_field.row.addStretch(2)
        self.interval_spin.valueChanged.connect(lambda _v: self.interval_field.show_problem(None))
        form.addRow("Check requests every", self.interval_field)

        self.notifications_check = QCheckBox("Notify me when a request is signed, declined or "
                                             "expires")
        self.notifications_check.setChecked(settings.notifications)
        form.addRow("Notifications", self.notifications_check)

    def _browse(self) -> None:
        start = self.archive_edit.text().strip() or self.archive_edit.placeholderText()
        folder = QFileDialog.getExistingDirectory(self, "Choose the archive folder", start)
        if folder:
            self.archive_edit.setText(folder)
            self.archive_field.show_problem(None)

    def interval_seconds(self) -> int:
        minutes = self.interval_spin.value()
        return self._seconds if minutes == self._minutes else minutes * 60

    def check(self) -> list[Field]:
        """Show the problem of every input; returns the fields that have one."""
        found: list[Field] = []
        email = self.sender_email.text().strip()
        self.email_field.show_problem(email_problem(email) if email else None)
        archive = self.archive_edit.text().strip()
        self.archive_field.show_problem(folder_problem(archive) if archive else None)
        minutes = self.interval_spin.value()
        self.interval_field.show_problem(
            None if MIN_INTERVAL_MIN <= minutes <= MAX_INTERVAL_MIN else
            f"Enter from {MIN_INTERVAL_MIN} to {MAX_INTERVAL_MIN} minutes (24 hours).")
        for fld in (self.email_field, self.archive_field, self.interval_field):
            if fld.problem is not None:
                found.append(fld)
        return found


class ProviderPage(QWidget):
    """One provider's settings and credentials (as its registry entry lists them), and its
    Test connection button."""

    def __init__(self, ctx: Context, info: ProviderInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.pid = info.id
        layout = _page_layout(self, info.name, info.about)
        self.settings: dict[str, SettingEdit] = {}
        for spec in info.settings:
            edit = SettingEdit(spec, self.stored_setting(spec.key), self.env_var(spec.key),
                               dict(ctx.environ))
            self.settings[spec.key] = edit
            layout.addRow(spec.label, edit)
        self.secrets: dict[str, SecretEdit] = {}
        for secret in info.secrets:
            field = SecretEdit(ctx, f"{self.pid}.{secret.key}")
            if secret.note:
                field.add_note(secret.note)
            self.secrets[secret.key] = field
            layout.addRow(secret.label, field)

        self.test_button = QPushButton(info.test_label)
        self.test_button.setToolTip("Saves nothing: tries the values in this dialog")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status_label.setContentsMargins(0, 4, 0, 0)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QWidget()
        row = QHBoxLayout(test_row)
        row.setContentsMargins(0, 6, 0, 0)
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status_label, 1)
        layout.addRow("", test_row)

    def env_var(self, key: str) -> str | None:
        """The environment variable that overrides setting ``key`` (none for a top-level one,
        such as the seal certificate)."""
        return self.info.setting_variable(key)

    def stored_setting(self, key: str) -> str | None:
        """The value in ``config.toml`` (not the environment's)."""
        spec = self.info.setting(key)
        if spec is not None and spec.top_level:
            value = getattr(self.ctx.settings, key, None)
            return value if isinstance(value, str) else None
        value = self.ctx.settings.providers.get(self.pid, {}).get(key)
        return str(value) if value is not None else None

    def check(self) -> list[Field]:
        found: list[Field] = []
        for edit in self.settings.values():
            edit.show_problem(edit.check())
            if edit.problem is not None:
                found.append(edit)
        return found

    def config(self, sender_name: str | None, sender_email: str | None) -> ProviderConfig:
        """A configuration from what is typed here, falling back to what is stored."""
        typed = {key: edit.value() for key, edit in self.settings.items()}
        secrets = dict(self.secrets)
        ctx, pid = self.ctx, self.pid

        def setting(key: str) -> str | None:
            value = typed.get(key)
            if value:
                return value
            env_var = self.env_var(key)
            return (ctx.environ.get(env_var) or None) if env_var else None

        values = {key: edit.effective() for key, edit in secrets.items()}

        def credential(key: str) -> str | None:
            if key in values:
                return values[key]
            return ctx.secrets.get(f"{pid}.{key}")

        return ProviderConfig(provider_id=pid, credential=credential, setting=setting,
                              sender_name=sender_name, sender_email=sender_email,
                              transport=ctx.transport)

    def show_status(self, ok: bool | None, text: str) -> None:
        color = OK_COLOR if ok else ERROR_COLOR if ok is False else None
        style = f"color: {color};" if color else "color: palette(placeholder-text);"
        self.status_label.setStyleSheet(style)
        self.status_label.setText(text)


class SettingsDialog(QDialog):
    """The settings of Sealbox. ``settingsChanged`` is emitted after OK has saved them."""

    settingsChanged = Signal()

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.setWindowTitle("Settings")
        self.setMinimumSize(760, 540)
        self._tests: dict[str, asyncio.Task[str]] = {}

        self.page_list = QListWidget()
        self.page_list.setFixedWidth(170)
        self.page_list.setStyleSheet("QListWidget::item { padding: 5px 8px; }")
        self.stack = QStackedWidget()
        self.general = GeneralPage(ctx)
        self._add_page("General", self.general)
        self.provider_pages: dict[str, ProviderPage] = {}
        for info in registry.providers():
            page = ProviderPage(ctx, info)
            page.test_button.clicked.connect(lambda _c=False, p=page: self.test_connection(p.pid))
            self.provider_pages[info.id] = page
            self._add_page(info.name, page)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.save_error = QLabel()
        self.save_error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.save_error.setWordWrap(True)
        self.save_error.hide()

        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_error, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

    def _add_page(self, title: str, page: QWidget) -> None:
        self.page_list.addItem(title)
        self.stack.addWidget(page)

    def show_page(self, pid: str | None) -> None:
        """Show the provider ``pid``'s page, or General for None."""
        widget: QWidget = self.general if pid is None else self.provider_pages[pid]
        self.page_list.setCurrentRow(self.stack.indexOf(widget))

    # --- Test connection ----------------------------------------------------------------------

    def _sender(self) -> tuple[str | None, str | None]:
        name = self.general.sender_name.text().strip() or None
        email = self.general.sender_email.text().strip() or None
        env = self.ctx.environ
        return env.get("SEALBOX_SENDER_NAME") or name, env.get("SEALBOX_SENDER_EMAIL") or email

    def test_connection(self, pid: str) -> asyncio.Task[str] | None:
        """Check provider ``pid`` with the values in the dialog; the answer goes next to its
        button. Returns the running check (None when an input must be corrected first)."""
        page = self.provider_pages[pid]
        running = self._tests.get(pid)
        if running is not None and not running.done():
            return running
        if page.check():
            page.show_status(False, "Correct the problem above first.")
            return None
        try:
            provider = self.ctx.build_provider(pid, page.config(*self._sender()))
        except SealboxError as exc:
            page.show_status(False, exc.for_app(Where(pid)))
            return None

        async def check() -> str:
            try:
                return await provider.check_connection()
            finally:
                await provider.aclose()

        def done(message: str) -> None:
            if shiboken6.isValid(page):
                page.test_button.setEnabled(True)
                page.show_status(True, message)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(page):
                page.test_button.setEnabled(True)
                page.show_status(False, describe_error(exc, Where(pid)))

        page.test_button.setEnabled(False)
        page.show_status(None, page.info.testing)
        task = self.bridge.start(check(), on_done=done, on_error=failed,
                                 label=f"Testing {page.info.name}")
        self._tests[pid] = task
        return task

    # --- OK -----------------------------------------------------------------------------------

    def problems(self) -> list[Field]:
        """Check every input, showing each problem under it; returns the fields with one."""
        found = self.general.check()
        for page in self.provider_pages.values():
            found += page.check()
        return found

    def collect(self) -> Settings:
        """The settings as the dialog shows them (unknown keys of the file are kept)."""
        old = self.ctx.settings
        providers = copy.deepcopy(old.providers)
        new = Settings(
            default_provider=str(self.general.default_provider.currentData()),
            archive_dir=self.general.archive_edit.text().strip() or None,
            sender_name=self.general.sender_name.text().strip() or None,
            sender_email=self.general.sender_email.text().strip() or None,
            sync_interval_s=self.general.interval_seconds(),
            notifications=self.general.notifications_check.isChecked(),
            seal_pkcs12=old.seal_pkcs12,
            providers=providers,
            extra=copy.deepcopy(old.extra),
        )
        for pid, page in self.provider_pages.items():
            for key, edit in page.settings.items():
                value = edit.value() or None
                if edit.spec.top_level:  # a key of the settings file's own (``seal_pkcs12``)
                    setattr(new, key, value)
                    continue
                table = providers.setdefault(pid, {})
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value
                if not table:
                    del providers[pid]
        return new

    def save(self) -> bool:
        """Check, then save everything; False (and nothing saved) while a problem remains."""
        self.save_error.hide()
        found = self.problems()
        if found:
            first = found[0]
            page = next((p for p in (self.general, *self.provider_pages.values())
                         if p.isAncestorOf(first)), self.general)
            self.page_list.setCurrentRow(self.stack.indexOf(page))
            first.editor.setFocus()
            return False
        settings = self.collect()
        try:
            if settings.archive_dir:
                Path(settings.archive_dir).expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.general.archive_field.show_problem(
                f"The folder cannot be created ({exc.strerror or exc}): choose another one.")
            self.show_page(None)
            return False
        try:
            changed = self._save_secrets()
            save_settings(self.ctx.paths.config_file, settings)
        except UnavailableError as exc:
            self._show_save_error(exc.for_app())
            return False
        except OSError as exc:
            self._show_save_error(f"The settings could not be written to "
                                  f"{self.ctx.paths.config_file} ({exc.strerror or exc}): check "
                                  "that the folder is writable.")
            return False
        for edit in changed:
            edit.saved()
        dropped = self.ctx.apply_settings(settings)
        if dropped and not self.bridge.closed:
            self.bridge.start(close_providers(dropped), label="Closing the old providers")
        self.settingsChanged.emit()
        return True

    def _save_secrets(self) -> list[SecretEdit]:
        changed: list[SecretEdit] = []
        for page in self.provider_pages.values():
            for edit in page.secrets.values():
                typed = edit.typed()
                if typed is not None:
                    self.ctx.secrets.set(edit.name, typed)
                    changed.append(edit)
                elif edit.cleared:
                    self.ctx.secrets.delete(edit.name)
                    changed.append(edit)
        return changed

    def _show_save_error(self, text: str) -> None:
        self.save_error.setText(text)
        self.save_error.show()

    def accept(self) -> None:
        if self.save():
            super().accept()

    def done(self, result: int) -> None:
        for task in self._tests.values():
            if not task.done():
                task.cancel()
        super().done(result)
