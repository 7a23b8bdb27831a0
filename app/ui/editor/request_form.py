"""The request's name, message to the recipients and expiration.

Every change goes through :meth:`Editing.perform` with a merge id that lasts one typing run: the
keys typed into one input, until the user moves to another input or something else changes the
document (an undo), are one undo step. The form re-reads the document on every change.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import Change
from app.domain.model import MAX_EXPIRATION_HOURS, MAX_MESSAGE, MAX_NAME
from app.domain.validation import spec_problems
from app.ui.commands import Editing
from app.ui.editor.common import ErrorInput, follow_document
from app.ui.style import ERROR_STYLE

HOURS_PER_DAY = 24
MAX_DAYS = MAX_EXPIRATION_HOURS // HOURS_PER_DAY
#: Merge ids of this form's typing runs (far from the fixed ids of commands.py).
_RUNS = itertools.count(3_000_000)


class RequestForm(QWidget):
    """Name, message and expiration (in days, stored as hours) of the request."""

    def __init__(self, editing: Editing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc = editing.doc
        self._loading = False
        self._applying = False
        self._run: tuple[str, int] | None = None

        name = ErrorInput("e.g. Charter handover — BK-12345")
        self.name_edit, self.name_error = name.edit, name.error
        self.name_edit.setMaxLength(MAX_NAME)

        self.message_edit = QPlainTextEdit()
        self.message_edit.setPlaceholderText(
            "Optional message to the recipients, e.g. “Please sign by Friday.”"
        )
        self.message_edit.setTabChangesFocus(True)
        self.message_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.message_error = QLabel()
        self.message_error.setStyleSheet(ERROR_STYLE)
        self.message_error.hide()
        message = QWidget()
        message_layout = QVBoxLayout(message)
        message_layout.setContentsMargins(0, 0, 0, 0)
        message_layout.setSpacing(2)
        message_layout.addWidget(self.message_edit)
        message_layout.addWidget(self.message_error)

        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, MAX_DAYS)
        self.days_spin.setSuffix(" days")
        self.days_spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.days_spin.setToolTip("Recipients can sign until this many days after sending")
        self.hours_note = QLabel()
        self.hours_note.setStyleSheet("color: palette(placeholder-text);")
        days = QHBoxLayout()
        days.setSpacing(8)
        days.addWidget(self.days_spin)
        days.addWidget(self.hours_note, 1)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", name)
        form.addRow("Message", message)
        form.addRow("Expires after", days)

        self.name_edit.textEdited.connect(self._name_edited)
        self.message_edit.textChanged.connect(self._message_edited)
        self.days_spin.valueChanged.connect(self._days_changed)
        for widget in (self.name_edit, self.message_edit, self.days_spin):
            widget.installEventFilter(self)
        follow_document(self, self.doc, self._document_changed)
        self._load()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self._run = None  # coming back to an input starts a new undo step
        return super().eventFilter(watched, event)

    # --- editing --------------------------------------------------------------------------------

    def _merge_id(self, key: str) -> int:
        if self._run is None or self._run[0] != key:
            self._run = (key, next(_RUNS))
        return self._run[1]

    def _perform(
        self,
        text: str,
        key: str,
        *,
        name: str | None = None,
        message: str | None = None,
        hours: int | None = None,
    ) -> None:
        if self._loading:
            return
        self._applying = True
        try:
            self.editing.perform(
                text,
                lambda d: d.set_meta(name=name, message=message, expiration_hours=hours),
                self._merge_id(key),
            )
        finally:
            self._applying = False

    def _name_edited(self, text: str) -> None:
        self._perform("Edit request name", "name", name=text)

    def _message_edited(self) -> None:
        self._perform("Edit message", "message", message=self.message_edit.toPlainText())

    def _days_changed(self, days: int) -> None:
        self._perform("Change expiration", "days", hours=days * HOURS_PER_DAY)

    # --- following the document -----------------------------------------------------------------

    def _document_changed(self, change: Change) -> None:
        if not change.meta:
            return
        if not self._applying:
            self._run = None  # an undo or redo: the next keystroke is a new step
        self._load()

    def _load(self) -> None:
        self._loading = True
        try:
            if self.name_edit.text() != self.doc.name:
                self.name_edit.setText(self.doc.name)
            if self.message_edit.toPlainText() != self.doc.message:
                self.message_edit.setPlainText(self.doc.message)
            hours = self.doc.expiration_hours
            days = max(1, min(MAX_DAYS, round(hours / HOURS_PER_DAY)))
            if self.days_spin.value() != days:
                self.days_spin.setValue(days)
            self.hours_note.setText(
                "" if hours % HOURS_PER_DAY == 0 else f"currently {hours} hours"
            )
        finally:
            self._loading = False
        self._show_errors()

    def _show_errors(self) -> None:
        errors: dict[str, str] = {}
        for problem in spec_problems(self.doc.to_spec(), fields_required=False):
            if problem.path in (("name",), ("message",)):
                message = str(problem.text)
                errors.setdefault(str(problem.path[0]), message[:1].upper() + message[1:])
        if len(self.doc.message) > MAX_MESSAGE:
            errors.setdefault("message", f"Must be at most {MAX_MESSAGE} characters")
        for label, key in ((self.name_error, "name"), (self.message_error, "message")):
            label.setText(errors.get(key, ""))
            label.setVisible(key in errors)
