"""The "Timestamp authority" group of the Settings dialog (on the In person page).

Its address, user name, CA certificate file (for an office authority whose root is not
otherwise trusted: used to check its timestamps when sealing and when verifying) and timeout go
to ``[timestamp]`` of the settings file (``url``, ``username``, ``ca_file``, ``timeout_s``); its
password is a credential, kept in the keyring as ``timestamp.password`` like the providers'
secrets. A file that is not a certificate, or a timeout that is not a number of seconds, is said
next to its field. An address set outside Sealbox (for this computer) is shown, read-only, with
that said under it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.context import Context
from app.services.seal_levels import PASSWORD_SECRET, URL_VARIABLE
from app.ui.settings.checks import ca_file_problem, seconds_problem, url_problem
from app.ui.settings.fields import NOTE_STYLE, Field, SecretEdit

TITLE = "Timestamp authority"
ABOUT = (
    "With one set, seals carry a trusted time and the proof that lasts (PAdES B-LTA); "
    "without, the time is this computer's clock."
)
#: Under the address when it is set outside Sealbox: it is the one shown, and used.
URL_OVERRIDDEN_NOTE = (
    "Set outside Sealbox for this computer (by whoever set it up): this address is used "
    "and cannot be changed here."
)
NO_USER = "Enter the user name that goes with this password."
CA_FILE_NOTE = "Only for an authority not trusted otherwise, such as your office's own."
#: The default timeout, as sealing uses it (app.services.seal_levels).
DEFAULT_TIMEOUT_S = 10


class TimestampGroup(QGroupBox):
    """The timestamp authority's address, user name and password."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        self.ctx = ctx
        table = ctx.settings.timestamp
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(8)
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setStyleSheet(NOTE_STYLE)
        form.addRow(about)

        self.env_url = (ctx.environ.get(URL_VARIABLE) or "").strip() or None
        self.url_edit = QLineEdit(self.env_url or str(table.get("url") or ""))
        self.url_edit.setPlaceholderText("e.g. https://tsa.example.com/tsr")
        self.url_edit.setAccessibleName("Timestamp authority address")
        self.url_field = Field(self.url_edit)
        if self.env_url:
            self.url_edit.setReadOnly(True)
            self.url_field.add_note(URL_OVERRIDDEN_NOTE)
        self.url_edit.textEdited.connect(lambda _t: self.url_field.show_problem(None))
        form.addRow("Address", self.url_field)

        self.user_edit = QLineEdit(str(table.get("username") or ""))
        self.user_edit.setPlaceholderText("Only if the authority asks for one")
        self.user_edit.setAccessibleName("Timestamp authority user name")
        self.user_field = Field(self.user_edit)
        self.user_edit.textEdited.connect(lambda _t: self.user_field.show_problem(None))
        form.addRow("User name", self.user_field)

        self.password = SecretEdit(ctx, PASSWORD_SECRET)
        self.password.edit.setAccessibleName("Timestamp authority password")
        self.password.edit.textEdited.connect(lambda _t: self.user_field.show_problem(None))
        form.addRow("Password", self.password)

        self.ca_edit = QLineEdit(str(table.get("ca_file") or ""))
        self.ca_edit.setPlaceholderText("None: its root is trusted already")
        self.ca_edit.setAccessibleName("Timestamp authority CA certificate file")
        self.ca_field = Field(self.ca_edit)
        self.ca_browse = QPushButton("Browse…")
        self.ca_browse.clicked.connect(self._browse_ca)
        self.ca_field.row.addWidget(self.ca_browse)
        self.ca_field.add_note(CA_FILE_NOTE)
        self.ca_edit.textEdited.connect(lambda _t: self.ca_field.show_problem(None))
        form.addRow("CA certificate", self.ca_field)

        timeout = table.get("timeout_s")
        self.timeout_edit = QLineEdit(
            ""
            if timeout is None
            else f"{timeout:g}"
            if isinstance(timeout, int | float)
            else str(timeout)
        )
        self.timeout_edit.setPlaceholderText(f"{DEFAULT_TIMEOUT_S} seconds")
        self.timeout_edit.setAccessibleName("Timestamp authority timeout in seconds")
        self.timeout_field = Field(self.timeout_edit)
        self.timeout_field.row.addWidget(QLabel("seconds"))
        self.timeout_edit.textEdited.connect(lambda _t: self.timeout_field.show_problem(None))
        form.addRow("Wait at most", self.timeout_field)

    def url(self) -> str:
        return self.url_edit.text().strip()

    def check(self) -> list[Field]:
        """Show the problem of each input; returns the fields that have one."""
        url = "" if self.env_url else self.url()
        self.url_field.show_problem(url_problem(url) if url else None)
        needs_user = self.password.typed() is not None and not self.user_edit.text().strip()
        self.user_field.show_problem(NO_USER if needs_user else None)
        ca_file = self.ca_edit.text().strip()
        self.ca_field.show_problem(ca_file_problem(ca_file) if ca_file else None)
        timeout = self.timeout_edit.text().strip()
        self.timeout_field.show_problem(seconds_problem(timeout) if timeout else None)
        fields = (self.url_field, self.user_field, self.ca_field, self.timeout_field)
        return [f for f in fields if f.problem is not None]

    def section(self, old: dict[str, Any]) -> dict[str, Any]:
        """``[timestamp]`` as the group shows it; the file's other keys are kept."""
        table = dict(old)
        values: dict[str, Any] = {
            "username": self.user_edit.text().strip() or None,
            "ca_file": self.ca_edit.text().strip() or None,
            "timeout_s": self._timeout(),
        }
        if not self.env_url:  # one set outside Sealbox is not written: the file keeps its own
            values["url"] = self.url() or None
        for key, value in values.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
        return table

    def _timeout(self) -> float | int | None:
        """The timeout typed (checked already), a whole number written as one."""
        text = self.timeout_edit.text().strip().replace(",", ".")
        if not text:
            return None
        value = float(text)
        return int(value) if value.is_integer() else value

    def _browse_ca(self) -> None:
        start = self.ca_edit.text().strip() or str(Path.home())
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the timestamp authority's CA certificate",
            start,
            "Certificates (*.pem *.crt *.cer *.der);;All files (*)",
        )
        if name:
            self.ca_edit.setText(name)
            self.ca_field.show_problem(None)
