"""The "Shared store" page of the Settings dialog: the PostgreSQL server an office shares.

Its server, port, database and user name make ``[store] address`` of the settings file (the
file's other keys of ``[store]`` are kept); its password is a credential, kept in the keyring as
``store.password``, never in the file. An address set outside Sealbox for this computer is
shown read-only, with that said under it. **Test connection** saves nothing: it checks what is
typed, off the window's thread (:func:`app.store.pg_check.check_store`), and says in plain words
how the store stands. A new address is used from Sealbox's next start.
"""

from __future__ import annotations

import asyncio
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.context import Context
from app.errors import SealboxError
from app.store.address import (
    DEFAULT_PORT,
    PASSWORD_SECRET,
    AddressError,
    StoreAddress,
    configured_address,
)
from app.store.pg_check import StoreCheck, check_store
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.settings.fields import (
    ERROR_COLOR,
    OK_COLOR,
    Field,
    SecretEdit,
    page_layout,
)

TITLE = "Shared store"
ABOUT = (
    "Desks of one office can share their requests, history and archive index on a PostgreSQL "
    "server. Leave the server empty to keep this computer's own store. A new server is used "
    "from the next start of Sealbox (at once when Sealbox is waiting for a store it could not "
    "open)."
)
#: Under the server when the address is set outside Sealbox: it is the one used.
OVERRIDDEN_NOTE = (
    "Set outside Sealbox for this computer (by whoever set it up): this address is used and "
    "cannot be changed here."
)
NO_DATABASE = "Enter the name of the database on the server (e.g. sealbox)."
NO_SERVER = "Enter the server's name or address, or empty every field of this page."
NOT_A_NAME = "A server's name has no spaces."
TESTING = "Testing the shared store…"


class StorePage(QWidget):
    """The shared store's server, port, database, user name and password."""

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self._test: asyncio.Task[StoreCheck] | None = None
        form = page_layout(self, TITLE, ABOUT)
        address, problem, self.from_environment = self._configured()

        self.host_edit = QLineEdit(address.host if address else "")
        self.host_edit.setPlaceholderText("e.g. db.office.lan (empty: this computer's own store)")
        self.host_edit.setAccessibleName("Shared store server")
        self.host_field = Field(self.host_edit)
        form.addRow("Server", self.host_field)
        self.port_box = QSpinBox()
        self.port_box.setRange(1, 65535)
        self.port_box.setValue(address.port if address else DEFAULT_PORT)
        self.port_box.setAccessibleName("Shared store port")
        form.addRow("Port", self.port_box)
        self.database_edit = QLineEdit(address.dbname if address else "")
        self.database_edit.setPlaceholderText("e.g. sealbox")
        self.database_edit.setAccessibleName("Shared store database")
        self.database_field = Field(self.database_edit)
        form.addRow("Database", self.database_field)
        self.user_edit = QLineEdit(address.user if address else "")
        self.user_edit.setPlaceholderText("Your user name on the server")
        self.user_edit.setAccessibleName("Shared store user name")
        form.addRow("User name", self.user_edit)
        self.password = SecretEdit(ctx, PASSWORD_SECRET)
        self.password.edit.setAccessibleName("Shared store password")
        form.addRow("Password", self.password)
        self.options = dict(address.options) if address else {}
        if self.from_environment:
            for edit in (self.host_edit, self.database_edit, self.user_edit):
                edit.setReadOnly(True)
            self.port_box.setReadOnly(True)
            self.host_field.add_note(OVERRIDDEN_NOTE)
        if problem is not None:
            self.host_field.show_problem(problem)
        for edit, fld in (
            (self.host_edit, self.host_field),
            (self.database_edit, self.database_field),
        ):
            edit.textEdited.connect(lambda _t, f=fld: f.show_problem(None))
        form.addRow("", self._test_row())

    def _configured(self) -> tuple[StoreAddress | None, str | None, bool]:
        """The address in use, the problem of one that cannot be used, and whether it is set
        outside Sealbox."""
        environment = bool((self.ctx.environ.get("SEALBOX_DATABASE_URL") or "").strip())
        try:
            setting = configured_address(self.ctx.settings.store, self.ctx.environ)
        except AddressError as exc:
            return None, exc.for_app(), environment
        address = setting.address
        if address is not None and not address.is_postgresql:
            return None, None, environment  # a SQLite file: not shown here
        return address, None, environment

    def _test_row(self) -> QWidget:
        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip("Saves nothing: tries the values on this page")
        self.test_button.clicked.connect(lambda _c=False: self.test_connection())
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setContentsMargins(0, 4, 0, 0)
        row_widget = QWidget()
        row = QHBoxLayout(row_widget)
        row.setContentsMargins(0, 6, 0, 0)
        row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status_label, 1)
        return row_widget

    # --- what is typed ------------------------------------------------------------------------

    def address(self) -> StoreAddress | None:
        """The address the page shows (None: no shared store)."""
        host = self.host_edit.text().strip()
        if not host:
            return None
        return StoreAddress(
            kind="postgresql",
            host=host,
            port=self.port_box.value(),
            user=self.user_edit.text().strip(),
            dbname=self.database_edit.text().strip(),
            options=self.options,
        )

    def check(self) -> list[Field]:
        """Show the problem of each input; returns the fields that have one."""
        if self.from_environment:
            return []
        host = self.host_edit.text().strip()
        database = self.database_edit.text().strip()
        self.host_field.show_problem(
            NOT_A_NAME
            if any(c.isspace() for c in host)
            else NO_SERVER
            if not host and (database or self.user_edit.text().strip())
            else None
        )
        self.database_field.show_problem(NO_DATABASE if host and not database else None)
        return [f for f in (self.host_field, self.database_field) if f.problem is not None]

    def section(self, old: dict[str, Any]) -> dict[str, Any]:
        """``[store]`` as the page shows it; the file's other keys are kept."""
        table = dict(old)
        if self.from_environment:
            return table  # the file keeps its own
        address = self.address()
        if address is None:
            table.pop("address", None)
        else:
            table["address"] = str(address)
        return table

    # --- Test connection ----------------------------------------------------------------------

    def show_status(self, ok: bool | None, text: str) -> None:
        color = OK_COLOR if ok else ERROR_COLOR if ok is False else None
        style = f"color: {color};" if color else "color: palette(placeholder-text);"
        self.status_label.setStyleSheet(style)
        self.status_label.setText(text)

    def test_connection(self) -> asyncio.Task[StoreCheck] | None:
        """Check the store with what the page shows, off the window's thread; the answer goes
        next to the button. Returns the running check (None when an input must be corrected,
        or there is no server to test)."""
        if self._test is not None and not self._test.done():
            return self._test
        if self.check():
            self.show_status(False, "Correct the problem above first.")
            return None
        address = self.address()
        if address is None:
            self.show_status(False, "Enter the server to test (this computer's store needs none).")
            return None
        try:
            password = self.password.effective()
        except SealboxError as exc:
            self.show_status(False, exc.for_app())
            return None

        def done(answer: StoreCheck) -> None:
            if shiboken6.isValid(self):
                self.test_button.setEnabled(True)
                self.show_status(answer.ok, answer.message)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.test_button.setEnabled(True)
                self.show_status(False, describe_error(exc))

        self.test_button.setEnabled(False)
        self.show_status(None, TESTING)
        self._test = self.bridge.start(
            self.bridge.run_blocking(check_store, address, password),
            on_done=done,
            on_error=failed,
            label="Testing the shared store",
        )
        return self._test

    def cancel_test(self) -> None:
        if self._test is not None and not self._test.done():
            self._test.cancel()
