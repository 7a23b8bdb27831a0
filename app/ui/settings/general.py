"""The General page of the Settings dialog: default provider, sender, archive folder, how often
requests are checked, notifications."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.config import resolve_paths
from app.context import Context
from app.providers import registry
from app.ui.settings.checks import (
    MAX_INTERVAL_MIN,
    MIN_INTERVAL_MIN,
    email_problem,
    folder_problem,
)
from app.ui.settings.fields import OVERRIDDEN_NOTE, Field, page_layout


class GeneralPage(QWidget):
    """Default provider, sender, archive folder, sync interval, notifications."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        settings = ctx.settings
        form = page_layout(self, "General", None)

        self.default_provider = QComboBox()
        for info in registry.providers():
            self.default_provider.addItem(info.name, info.id)
        index = self.default_provider.findData(settings.default_provider)
        self.default_provider.setCurrentIndex(max(0, index))
        provider_field = Field(self.default_provider)
        provider_field.add_note(
            "New requests go through this service unless you choose another in Prepare."
        )
        form.addRow("Default service", provider_field)

        self._add_sender(form)
        self._add_archive(form)
        self._add_interval(form)

        self.notifications_check = QCheckBox(
            "Notify me when a request is signed, declined or expires"
        )
        self.notifications_check.setChecked(settings.notifications)
        form.addRow("Notifications", self.notifications_check)

    def _add_sender(self, form: QFormLayout) -> None:
        settings, ctx = self.ctx.settings, self.ctx
        self.sender_name = QLineEdit(settings.sender_name or "")
        self.sender_name.setPlaceholderText("e.g. Ada Office")
        self.name_field = Field(self.sender_name)
        form.addRow("Your name", self.name_field)

        self.sender_email = QLineEdit(settings.sender_email or "")
        self.sender_email.setPlaceholderText("e.g. ada@example.com")
        self.email_field = Field(self.sender_email)
        self.email_field.add_note(
            "The owner of requests where a service asks for one, and on completion certificates."
        )
        self.sender_email.textEdited.connect(lambda _t: self.email_field.show_problem(None))
        form.addRow("Your email", self.email_field)
        for var, fld in (
            ("SEALBOX_SENDER_NAME", self.name_field),
            ("SEALBOX_SENDER_EMAIL", self.email_field),
        ):
            if ctx.environ.get(var):
                fld.add_note(OVERRIDDEN_NOTE)

    def _add_archive(self, form: QFormLayout) -> None:
        settings, ctx = self.ctx.settings, self.ctx
        self.archive_edit = QLineEdit(settings.archive_dir or "")
        self.archive_edit.setPlaceholderText(str(resolve_paths(ctx.environ).archive_dir))
        self.archive_field = Field(self.archive_edit)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._browse)
        self.archive_field.row.addWidget(self.browse_button)
        self.archive_field.add_note(
            "Signed PDFs and certificates are kept here; leave empty for the default folder."
        )
        self.archive_edit.textEdited.connect(lambda _t: self.archive_field.show_problem(None))
        form.addRow("Archive folder", self.archive_field)

    def _add_interval(self, form: QFormLayout) -> None:
        settings = self.ctx.settings
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
            None
            if MIN_INTERVAL_MIN <= minutes <= MAX_INTERVAL_MIN
            else f"Enter from {MIN_INTERVAL_MIN} to {MAX_INTERVAL_MIN} minutes (24 hours)."
        )
        for fld in (self.email_field, self.archive_field, self.interval_field):
            if fld.problem is not None:
                found.append(fld)
        return found
