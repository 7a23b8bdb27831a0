"""The recipients panel: who receives the request being prepared, in signing order, and the
details of the selected one (the list model is in :mod:`.recipient_model`, the completers of
its inputs in :mod:`.completions`).

The panel changes the document only through :meth:`Editing.perform` (one undo step per edit) and
re-reads the document when it reports a change, so undo and redo show up here by themselves. Text
is committed when an input is finished with (Return, Tab, or focus elsewhere), so typing a name is
one undo step, not one per key.

:func:`app.ui.style.recipient_color` is the colour of a recipient everywhere in the editor: the
swatch in this list and the fields on the pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import (
    QModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import Change
from app.domain.model import MAX_RECIPIENTS, Designation, Recipient
from app.domain.validation import spec_problems
from app.services.checks import recipient_label
from app.ui.commands import Editing
from app.ui.editor.common import ErrorInput, follow_document
from app.ui.editor.completions import PeopleModel, attach_completers
from app.ui.editor.recipient_model import RecipientsModel
from app.ui.style import ERROR_STYLE

#: A new message under an input waits until typing has paused this long (or the input is left).
TYPING_PAUSE_MS = 700


class RecipientsPanel(QWidget):
    """Who receives the request, in signing order, and the details of the selected one."""

    #: The recipient new fields are placed for (its index), -1 when there is none.
    currentRecipientChanged = Signal(int)

    def __init__(
        self,
        editing: Editing,
        completions: Sequence[tuple[str, str, str]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc = editing.doc
        self._current = -1
        self._loading = False

        buttons = self._build_list()
        self._build_details()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list)
        layout.addWidget(self.order_error)
        layout.addLayout(buttons)
        layout.addWidget(self.details)

        self._people = PeopleModel(completions, self)
        self._completers, self._popups = attach_completers(
            self,
            self._people,
            (
                (self.first_edit, PeopleModel.FIRST),
                (self.last_edit, PeopleModel.LAST),
                (self.email_edit, PeopleModel.EMAIL),
            ),
            self._person_chosen,
        )

        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(+1))
        self.list.selectionModel().currentChanged.connect(self._current_index_changed)
        self._typing: QLineEdit | None = None
        self._pause_timer = QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.setInterval(TYPING_PAUSE_MS)
        self._pause_timer.timeout.connect(self._paused)
        for edit in (self.first_edit, self.last_edit, self.email_edit):
            edit.editingFinished.connect(self._finished)
            edit.textEdited.connect(lambda _text, e=edit: self._typed(e))
        self.designation.activated.connect(self._designation_chosen)
        follow_document(self, self.doc, self._document_changed)
        self._refresh()

    def _build_list(self) -> QHBoxLayout:
        """The signing order (a list to reorder), its buttons and its message; returns the row of
        buttons."""
        self.model = RecipientsModel(self.doc, self)
        self.model.moveRequested.connect(self._move)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setIconSize(QSize(20, 20))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setToolTip("Signing order: drag a recipient, or use the arrows, to reorder")
        self.list.setMinimumHeight(96)
        self.list.setMaximumHeight(240)
        self.list.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)

        style = self.style()
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add a recipient at the end of the signing order")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected recipient with their fields and anchors")
        self.up_button = QToolButton()
        self.up_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp))
        self.up_button.setToolTip("Sign earlier (move up in the signing order)")
        self.down_button = QToolButton()
        self.down_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown))
        self.down_button.setToolTip("Sign later (move down in the signing order)")
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        self.order_error = QLabel()
        self.order_error.setStyleSheet(ERROR_STYLE)
        self.order_error.setWordWrap(True)
        self.order_error.hide()
        return buttons

    def _build_details(self) -> None:
        """The selected recipient's name, email and role."""
        self.first = ErrorInput("First name")
        self.last = ErrorInput("Last name")
        self.email = ErrorInput("name@example.com")
        self.first_edit, self.last_edit, self.email_edit = (
            self.first.edit,
            self.last.edit,
            self.email.edit,
        )
        self.email_edit.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly)
        self.designation = QComboBox()
        for d, tip in (
            (Designation.SIGNER, "Signs the document"),
            (Designation.APPROVER, "Approves the document without signing it"),
            (Designation.CC, "Receives the signed document; signs nothing"),
        ):
            self.designation.addItem(d.value, d)
            self.designation.setItemData(
                self.designation.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        names = QGridLayout()
        names.setContentsMargins(0, 0, 0, 0)
        names.setHorizontalSpacing(6)
        names.addWidget(self.first, 0, 0, Qt.AlignmentFlag.AlignTop)
        names.addWidget(self.last, 0, 1, Qt.AlignmentFlag.AlignTop)
        self.details = QGroupBox("Selected recipient")
        form = QFormLayout(self.details)
        form.setContentsMargins(8, 8, 8, 8)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name", names)
        form.addRow("Email", self.email)
        form.addRow("Role", self.designation)

    # --- public ---------------------------------------------------------------------------------

    def set_completions(self, people: Sequence[tuple[str, str, str]]) -> None:
        """Offer these people (first, last, email) from now on (after a send, the new ones)."""
        self._people.set_people(people)

    def completions(self) -> list[tuple[str, str, str]]:
        return self._people.people()

    def current(self) -> int:
        """The selected recipient's index, -1 when there is none."""
        return self._current

    def set_current(self, index: int) -> None:
        """Select recipient ``index`` (clamped to the list; -1 when it is empty)."""
        self._commit_text()
        count = len(self.doc.recipients)
        index = min(max(index, 0), count - 1) if count else -1
        if index < 0:
            self.list.selectionModel().clearCurrentIndex()
            self.list.clearSelection()
            self._selected(-1)
        else:
            self.list.setCurrentIndex(self.model.index(index))
            self._selected(index)

    def add(self) -> None:
        """Add an empty Signer at the end of the signing order and start typing their name."""
        self._commit_text()
        if len(self.doc.recipients) >= MAX_RECIPIENTS:
            return
        added: list[int] = []
        self.editing.perform(
            "Add recipient", lambda d: added.append(d.add_recipient(Recipient("", "", "")))
        )
        if added:
            self.set_current(added[0])
            self.first_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def remove(self) -> None:
        index = self._current
        if not 0 <= index < len(self.doc.recipients):
            return
        label = recipient_label(self.doc.recipients[index], index)
        self.editing.perform(f"Remove {label}", lambda d: d.remove_recipient(index))
        self.set_current(min(index, len(self.doc.recipients) - 1))

    def move_current(self, step: int) -> None:
        """Move the selected recipient ``step`` places in the signing order (-1 is earlier)."""
        self._commit_text()
        index = self._current
        if 0 <= index < len(self.doc.recipients):
            self._move(index, index + step)

    # --- editing --------------------------------------------------------------------------------

    def _move(self, index: int, to: int) -> None:
        if not (0 <= index < len(self.doc.recipients) and 0 <= to < len(self.doc.recipients)):
            return
        if index == to:
            return
        label = recipient_label(self.doc.recipients[index], index)
        word = "earlier" if to < index else "later"
        self.editing.perform(f"Move {label} {word}", lambda d: d.move_recipient(index, to))
        self.set_current(to)

    def _finished(self) -> None:
        """An input was left (or Return pressed): commit it and say what is wrong at once."""
        self._pause_timer.stop()
        self._typing = None
        self._commit_text()
        self._show_errors()

    def _commit_text(self) -> None:
        index = self._current
        if self._loading or not 0 <= index < len(self.doc.recipients):
            return
        for completer in self._completers:
            popup = completer.popup()
            if popup is not None and popup.isVisible() and popup.currentIndex().isValid():
                return  # Return on a highlighted completion: the whole person follows at once
        old = self.doc.recipients[index]
        new = replace(
            old,
            first_name=self.first_edit.text().strip(),
            last_name=self.last_edit.text().strip(),
            email=self.email_edit.text().strip(),
        )
        for edit in (self.first_edit, self.last_edit, self.email_edit):
            edit.setModified(False)
        if new != old:
            self.editing.perform(
                f"Edit {recipient_label(new, index)}", lambda d: d.update_recipient(index, new)
            )

    def _person_chosen(self, index: QModelIndex) -> None:
        """A completion was picked: fill in the whole person as one edit."""
        at = self._current
        if not 0 <= at < len(self.doc.recipients):
            return
        first = str(index.data(PeopleModel.FIRST) or "")
        last = str(index.data(PeopleModel.LAST) or "")
        email = str(index.data(PeopleModel.EMAIL) or "")
        new = replace(self.doc.recipients[at], first_name=first, last_name=last, email=email)
        self._loading = True
        try:
            for edit, text in (
                (self.first_edit, first),
                (self.last_edit, last),
                (self.email_edit, email),
            ):
                edit.setText(text)
                edit.setModified(False)
        finally:
            self._loading = False
        self.editing.perform(
            f"Fill in {recipient_label(new, at)}", lambda d: d.update_recipient(at, new)
        )

    def _designation_chosen(self, combo_index: int) -> None:
        index = self._current
        if self._loading or not 0 <= index < len(self.doc.recipients):
            return
        self._commit_text()
        designation = Designation(self.designation.itemData(combo_index))
        old = self.doc.recipients[index]
        if old.designation != designation:
            self.editing.perform(
                f"Make {recipient_label(old, index)} {designation.value}",
                lambda d: d.update_recipient(index, replace(old, designation=designation)),
            )

    # --- following the document -----------------------------------------------------------------

    def _current_index_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # A reset of the model clears the view's current index: the panel picks the recipient
        # again when it hears of the change itself (_refresh), so that is not a choice.
        if current.isValid():
            self._selected(current.row())

    def _selected(self, row: int) -> None:
        if row != self._current:
            self._current = row
            self._load_form()
            self._update_buttons()
            self.currentRecipientChanged.emit(row)

    def _document_changed(self, change: Change) -> None:
        if change.recipients:
            self._refresh()

    def _refresh(self) -> None:
        count = len(self.doc.recipients)
        wanted = min(max(self._current, 0), count - 1) if count else -1
        current = self.list.currentIndex()
        if wanted >= 0 and current.row() != wanted:
            self.list.setCurrentIndex(self.model.index(wanted))
        self._selected(wanted)
        self._load_form()
        self._update_buttons()

    def _load_form(self) -> None:
        index = self._current
        valid = 0 <= index < len(self.doc.recipients)
        self.details.setEnabled(valid)
        r = self.doc.recipients[index] if valid else Recipient("", "", "")
        self._loading = True
        try:
            for edit, text in (
                (self.first_edit, r.first_name),
                (self.last_edit, r.last_name),
                (self.email_edit, r.email),
            ):
                # Leave alone an input the user is typing in; it is committed when finished.
                if edit.text() != text and not (edit.hasFocus() and edit.isModified()):
                    edit.setText(text)
                    edit.setModified(False)
            self.designation.setCurrentIndex(self.designation.findData(r.designation))
        finally:
            self._loading = False
        self.details.setTitle(f"Recipient {index + 1}" if valid else "No recipient selected")
        self._show_errors()

    def _typed(self, edit: QLineEdit) -> None:
        """A key was typed in ``edit``: check what is there now. A message that no longer holds
        goes at once; a new one waits until the typing pauses or the input is left."""
        self._typing = edit
        self._show_errors()
        self._pause_timer.start()

    def _paused(self) -> None:
        self._typing = None
        self._show_errors()

    def _show_errors(self) -> None:
        """The document's own checks for the selected recipient as it is typed, under each
        input (the inputs' text, committed or not)."""
        index = self._current
        errors: dict[str, str] = {}
        if 0 <= index < len(self.doc.recipients):
            r = replace(
                self.doc.recipients[index],
                first_name=self.first_edit.text().strip(),
                last_name=self.last_edit.text().strip(),
                email=self.email_edit.text().strip(),
            )
            blank = not (r.first_name or r.last_name or r.email)
            recipients = list(self.doc.recipients)
            recipients[index] = r
            spec = replace(self.doc.to_spec(), recipients=tuple(recipients))
            for problem in spec_problems(spec, fields_required=False):
                if len(problem.path) != 3 or problem.path[:2] != ("recipients", index):
                    continue
                attr, message = str(problem.path[2]), str(problem.text)
                if blank and message == "must not be empty":
                    continue  # a recipient just added: no red before anything is typed
                errors.setdefault(attr, message[:1].upper() + message[1:])
        for box, attr in (
            (self.first, "firstName"),
            (self.last, "lastName"),
            (self.email, "email"),
        ):
            text = errors.get(attr, "")
            if (
                box.edit is self._typing
                and text
                and (box.error.isHidden() or box.error.text() != text)
            ):
                text = ""  # being typed: no new message before the typing pauses
            box.show_error(text)
        order = errors.get("order", "")
        self.order_error.setText(order)
        self.order_error.setVisible(bool(order))

    def _update_buttons(self) -> None:
        count = len(self.doc.recipients)
        index = self._current
        self.add_button.setEnabled(count < MAX_RECIPIENTS)
        self.remove_button.setEnabled(0 <= index < count)
        self.up_button.setEnabled(0 < index < count)
        self.down_button.setEnabled(0 <= index < count - 1)
