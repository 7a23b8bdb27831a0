"""The inputs of the Settings dialog: a :class:`Field` shows its notes and its problem under
it; a :class:`SecretEdit` is a credential (never shown once stored), a :class:`SettingEdit` a
plain setting."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.errors import UnavailableError, UserError
from app.logs import register_secret
from app.providers.info import SettingField
from app.secrets import env_name
from app.ui import style
from app.ui.settings.checks import file_problem, url_problem

# The colours come from the one place that names them.
ERROR_STYLE = style.ERROR_STYLE
NOTE_STYLE = style.NOTE_STYLE
OK_COLOR = style.SUCCESS
ERROR_COLOR = style.ERROR

STORED = "•••• stored in the system keyring"
NOT_SET = "Not set"
REMOVED = "Removed when you press OK"

#: Said under an input whose value is set outside Sealbox (its environment), which wins.
OVERRIDDEN_NOTE = (
    "Set outside Sealbox for this computer (by whoever set it up): that value is "
    "used, not the one here."
)
#: A credential's placeholder when the environment gives it.
OVERRIDDEN = "•••• set outside Sealbox"


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
        self.clear_button.setEnabled(
            bool(self.edit.text()) or (self.stored and not self.cleared and not self.overridden)
        )

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

    def __init__(
        self,
        spec: SettingField,
        value: str | None,
        env_var: str | None,
        environ: dict[str, str],
        parent: QWidget | None = None,
    ) -> None:
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
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Choose the seal certificate",
            start,
            "PKCS#12 certificates (*.p12 *.pfx);;All files (*)",
        )
        if name:
            self.edit.setText(name)
            self.show_problem(None)


def page_layout(page: QWidget, title: str, about: str | None) -> QFormLayout:
    """A heading, what the page is about, and the form of its inputs."""
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
