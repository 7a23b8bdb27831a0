"""The first-run welcome: the sender's name and email, asked once.

Sealbox prints the sender on every completion certificate and gives them to the services that
ask who sends a request (SayPDF's owner). A new user is asked for them in a short dialog when the
app first starts; **Skip for now** leaves them empty. Either way the welcome is not shown again
(``welcome/shown`` in the window settings, ``ui.ini``); both values stay in Settings › General,
where they can be changed at any time. They are saved to ``config.toml`` like every setting, and
the running app uses them at once.
"""

from __future__ import annotations

import copy
import logging

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.config import save_settings
from app.context import Context, close_providers
from app.errors import UnavailableError
from app.ui.bridge import AsyncBridge
from app.ui.settings.checks import email_problem
from app.ui.style import ERROR_STYLE
from app.ui.widgets import button_row, column

log = logging.getLogger(__name__)

SHOWN_KEY = "welcome/shown"


def should_welcome(ctx: Context, ui: QSettings) -> bool:
    """A first run: the welcome was never shown and no sender is set (in the settings or the
    environment)."""
    if ui.value(SHOWN_KEY, False, type=bool):
        return False
    name, email = ctx.settings.sender(ctx.environ)
    return not name and not email


class WelcomeDialog(QDialog):
    """Asks for the sender's name and email; ``saved`` is emitted once they are saved."""

    saved = Signal()

    def __init__(
        self, ctx: Context, bridge: AsyncBridge, ui: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.ui = ui
        self.setWindowTitle("Welcome to Sealbox")
        heading = QLabel("<h2 style='margin:0'>Welcome to Sealbox</h2>")
        intro = QLabel(
            "Who sends the documents? Your name and email go on the completion "
            "certificate of every request, and to the signature services that ask "
            "who sends a request. You can change them later in Settings."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. Ada Office")
        self.email_edit = QLineEdit()
        self.email_edit.setPlaceholderText("e.g. ada@example.com")
        self.email_error = QLabel()
        self.email_error.setStyleSheet(ERROR_STYLE)
        self.email_error.setWordWrap(True)
        self.email_error.hide()
        self.email_edit.textEdited.connect(lambda _text: self.email_error.hide())
        self.save_error = QLabel()
        self.save_error.setStyleSheet(ERROR_STYLE)
        self.save_error.setWordWrap(True)
        self.save_error.hide()
        email_column = QVBoxLayout()
        email_column.setSpacing(2)
        email_column.addWidget(self.email_edit)
        email_column.addWidget(self.email_error)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Your name", self.name_edit)
        form.addRow("Your email", email_column)

        self.skip_button = QPushButton("Skip for now")
        self.skip_button.setAutoDefault(False)
        self.skip_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.accept)
        buttons = button_row(self.skip_button, self.save_button, lead=self.save_error)

        layout = column(self, heading, intro, form, buttons)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        self.setMinimumWidth(480)
        self.name_edit.setFocus()

    def save(self) -> bool:
        """Check the email and save both; False (nothing saved) while there is a problem."""
        name = self.name_edit.text().strip() or None
        email = self.email_edit.text().strip() or None
        problem = email_problem(email) if email else None
        if problem is not None:
            self.email_error.setText(problem)
            self.email_error.show()
            self.email_edit.setFocus()
            return False
        if name is None and email is None:
            return True  # nothing given: the same as Skip
        settings = copy.deepcopy(self.ctx.settings)
        settings.sender_name, settings.sender_email = name, email
        try:
            save_settings(self.ctx.paths.config_file, settings)
        except (OSError, UnavailableError) as exc:
            log.warning("saving the sender failed: %s", exc)
            self.save_error.setText(
                f"The settings could not be saved ("
                f"{getattr(exc, 'strerror', None) or 'system error'}): "
                "check that Sealbox's settings folder is writable."
            )
            self.save_error.show()
            return False
        dropped = self.ctx.apply_settings(settings)
        if dropped and not self.bridge.closed:
            self.bridge.start(close_providers(dropped), label="Closing the old providers")
        log.info("first run: the sender's name and email were saved")
        self.saved.emit()
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()

    def done(self, result: int) -> None:
        # Shown once, whether saved or skipped.
        self.ui.setValue(SHOWN_KEY, True)
        self.ui.sync()
        super().done(result)
