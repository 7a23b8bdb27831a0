"""The dialog that asks before a request is cancelled, with an optional reason.

Its buttons say what they do: **Cancel request** cancels it, **Keep request** (also what Escape
or closing the window does) leaves it as it is. A plain "Cancel" button would mean "don't cancel"
here. Enter in the reason does neither: cancelling takes a click on its button.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.services.requests import MAX_CANCEL_REASON
from app.ui.style import DANGER_BUTTON_STYLE
from app.ui.widgets import button_row, column


class CancelRequestDialog(QDialog):
    """Asks whether to cancel ``request_name`` and why."""

    def __init__(self, request_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Cancel request")
        question = QLabel(
            f"Cancel “{request_name}”? Recipients will no longer be able to "
            "sign it. This cannot be undone."
        )
        question.setWordWrap(True)
        self.question = question
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText("Reason (optional), e.g. the terms changed")
        self.reason_edit.setMaxLength(MAX_CANCEL_REASON)
        self.reason_edit.setMinimumWidth(380)
        self.keep_button = QPushButton("Keep request")
        self.cancel_button = QPushButton("Cancel request")
        self.cancel_button.setStyleSheet(DANGER_BUTTON_STYLE)
        # No default button (a QDialogButtonBox would make Cancel request one): Enter in the
        # reason does neither; Escape keeps the request.
        for button in (self.cancel_button, self.keep_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.cancel_button.clicked.connect(self.accept)
        self.keep_button.clicked.connect(self.reject)
        column(
            self,
            question,
            QLabel("Reason:"),
            self.reason_edit,
            button_row(self.keep_button, self.cancel_button),
        )
        self.reason_edit.setFocus()

    def reason(self) -> str | None:
        """The reason typed, or None when there is none."""
        return self.reason_edit.text().strip() or None
