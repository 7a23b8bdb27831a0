"""The Settings dialog: general settings and one page per signature service.

**General** holds the default provider, the sender's name and email, the archive folder, how
often requests are checked for news and whether to notify. Each provider's page holds its plain
settings (base URL and the like, written to ``config.toml``) and its credentials (written to the
system keyring, never to the settings file or a log). A credential field never shows the stored
value: its placeholder says "•••• stored in the system keyring" when there is one, typing
replaces it and **Clear** removes it when OK is pressed. The In person page also holds the
timestamp authority (:mod:`app.ui.settings.timestamp`): its address and user name go to
``[timestamp]``, its password to the keyring; and what that provider seals with
(:mod:`app.ui.settings.seal_identity`: this installation's certificate, a certificate file or a
smartcard), whose password or PIN goes to the keyring only when the user ticks "Remember".

**Shared store** (:mod:`app.ui.settings.store`) holds the PostgreSQL server an office shares:
its address goes to ``[store]``, its password to the keyring.

The In person page's Trust group (:mod:`app.ui.settings.trust`: ``[trust] system``) says,
under the seal certificate, what other PDF readers will show for the seals made with it; the
timestamp group also takes the authority's CA file and timeout.

**Test connection** saves nothing: it builds a temporary provider from what is typed in the
dialog (falling back to what is stored) and runs its ``check_connection()`` through the async
bridge, so the window never freezes; the answer appears next to the button, green or red.

**OK** checks every input (emails, http(s) addresses, an interval of 1–1440 minutes, an archive
folder that can be created and written to) and shows each problem under its input, saving nothing
while one remains. Then the secrets go to the keyring, the settings to ``config.toml``
(atomically, keeping the file's sections and keys the dialog does not show), ``ctx.settings``
is replaced, the cached providers are dropped (and closed in the
background) and :attr:`SettingsDialog.settingsChanged` is emitted so that the app applies the new
settings without a restart.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.config import Settings, save_settings
from app.context import Context, close_providers
from app.errors import SealboxError, UnavailableError
from app.providers import registry
from app.providers.local.info import ID as IN_PERSON
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.settings.fields import ERROR_COLOR, Field, SecretEdit
from app.ui.settings.general import GeneralPage
from app.ui.settings.provider import ProviderPage
from app.ui.settings.seal_identity import SealIdentityGroup
from app.ui.settings.store import StorePage
from app.ui.settings.timestamp import TimestampGroup
from app.ui.settings.trust import ReadersNote, TrustGroup
from app.wording import Where


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
        self.pages: list[QWidget] = []
        self.general = GeneralPage(ctx)
        self._add_page("General", self.general)
        self.store_page = StorePage(ctx, bridge)
        self._add_page("Shared store", self.store_page)
        self.provider_pages: dict[str, ProviderPage] = {}
        # What the built-in provider seals with: a group of its own on its page.
        self.seal = SealIdentityGroup(ctx)
        for info in registry.providers():
            page = ProviderPage(ctx, info, group=self.seal if info.id == IN_PERSON else None)
            page.test_button.clicked.connect(lambda _c=False, p=page: self.test_connection(p.pid))
            self.provider_pages[info.id] = page
            self._add_page(info.name, page)
        # The timestamp authority seals the built-in provider's documents: on its page.
        self.timestamp = TimestampGroup(ctx)
        in_person = self.provider_pages[IN_PERSON]
        in_person.form.addRow(self.timestamp)
        # Which roots verifying trusts, and what other readers will show for the seal chosen.
        self.trust = TrustGroup(ctx)
        in_person.form.addRow(self.trust)
        # Under the seal's choice: what other PDF readers will show for it.
        self.readers_note = ReadersNote(self.seal, self.timestamp.url_edit)
        seal_layout = self.seal.layout()
        assert seal_layout is not None  # the group's own QVBoxLayout
        seal_layout.addWidget(self.readers_note)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
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
        # Each page scrolls: the In person page (seal, timestamp authority, trust) is taller
        # than the dialog's least size, and squeezed its inputs to nothing without it.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        self.page_list.addItem(title)
        self.stack.addWidget(scroll)
        self.pages.append(page)

    def current_page(self) -> QWidget:
        """The page shown (inside its scroll area)."""
        return self.pages[self.stack.currentIndex()]

    def show_page(self, pid: str | None) -> None:
        """Show the provider ``pid``'s page, or General for None."""
        widget: QWidget = self.general if pid is None else self.provider_pages[pid]
        self.page_list.setCurrentRow(self.pages.index(widget))

    def show_store_page(self) -> None:
        """Show the Shared store page."""
        self.page_list.setCurrentRow(self.pages.index(self.store_page))

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
        task = self.bridge.start(
            check(), on_done=done, on_error=failed, label=f"Testing {page.info.name}"
        )
        self._tests[pid] = task
        return task

    # --- OK -----------------------------------------------------------------------------------

    def problems(self) -> list[Field]:
        """Check every input, showing each problem under it; returns the fields with one."""
        found = self.general.check()
        for page in self.provider_pages.values():
            found += page.check()
        found += self.seal.check()
        found += self.timestamp.check()
        found += self.store_page.check()
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
            providers=providers,
            network=copy.deepcopy(old.network),
            webhooks=copy.deepcopy(old.webhooks),
            timestamp=self.timestamp.section(old.timestamp),
            store=self.store_page.section(old.store),
            trust=self.trust.section(old.trust),
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
        self.seal.apply(new)
        return new

    def save(self) -> bool:
        """Check, then save everything; False (and nothing saved) while a problem remains."""
        self.save_error.hide()
        found = self.problems()
        if found:
            first = found[0]
            page = next((p for p in self.pages if p.isAncestorOf(first)), self.general)
            self.page_list.setCurrentRow(self.pages.index(page))
            first.editor.setFocus()
            return False
        settings = self.collect()
        try:
            if settings.archive_dir:
                Path(settings.archive_dir).expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.general.archive_field.show_problem(
                f"The folder cannot be created ({exc.strerror or exc}): choose another one."
            )
            self.show_page(None)
            return False
        try:
            changed = self._save_secrets()
            save_settings(self.ctx.paths.config_file, settings)
        except UnavailableError as exc:
            self._show_save_error(exc.for_app())
            return False
        except OSError as exc:
            self._show_save_error(
                f"The settings could not be written to "
                f"{self.ctx.paths.config_file} ({exc.strerror or exc}): check "
                "that the folder is writable."
            )
            return False
        for edit in changed:
            edit.saved()
        self.seal.saved()
        dropped = self.ctx.apply_settings(settings)
        if dropped and not self.bridge.closed:
            self.bridge.start(close_providers(dropped), label="Closing the old providers")
        self.settingsChanged.emit()
        return True

    def _save_secrets(self) -> list[SecretEdit]:
        changed: list[SecretEdit] = []
        edits = [e for p in self.provider_pages.values() for e in p.secrets.values()]
        for edit in [*edits, self.timestamp.password, self.store_page.password]:
            typed = edit.typed()
            if typed is not None:
                self.ctx.secrets.set(edit.name, typed)
                changed.append(edit)
            elif edit.cleared:
                self.ctx.secrets.delete(edit.name)
                changed.append(edit)
        self.seal.save_secrets()
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
        self.store_page.cancel_test()
        super().done(result)
