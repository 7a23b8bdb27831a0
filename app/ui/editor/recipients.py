"""The recipients of the request being prepared, in signing order: a list model and its panel.

The panel changes the document only through :meth:`Editing.perform` (one undo step per edit) and
re-reads the document when it reports a change, so undo and redo show up here by themselves. Text
is committed when an input is finished with (Return, Tab, or focus elsewhere), so typing a name is
one undo step, not one per key.

:func:`app.ui.style.recipient_color` is the colour of a recipient everywhere in the editor: the
swatch in this list and the fields on the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QPainter,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QCompleter,
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

from app.domain.editing import Change, EditorDocument
from app.domain.model import MAX_RECIPIENTS, Designation, Recipient
from app.domain.validation import spec_problems
from app.services.checks import recipient_label
from app.ui.commands import Editing
from app.ui.style import ERROR_STYLE, recipient_color

ModelIndex = QModelIndex | QPersistentModelIndex

#: The row (recipient index) of an item, an int.
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
#: The :class:`Recipient` of an item.
RECIPIENT_ROLE = Qt.ItemDataRole.UserRole + 2

_MIME = "application/x-sealbox-recipient"
#: A new message under an input waits until typing has paused this long (or the input is left).
TYPING_PAUSE_MS = 700
#: Margins of a panel that is a page of its own (a tab), not a box's content.
PAGE_MARGINS = (6, 6, 6, 6)


def swatch_icon(index: int, size: int = 20) -> QIcon:
    """A rounded square in the recipient's colour with their place in the signing order."""
    ratio = 2.0
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(recipient_color(index))
    rect = QRectF(1, 1, size - 2, size - 2)
    painter.drawRoundedRect(rect, 4, 4)
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(int(size * 0.55))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(index + 1))
    painter.end()
    return QIcon(pixmap)


def warning_icon() -> QIcon:
    style = QApplication.style()
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


def follow_document(owner: QObject, doc: EditorDocument,
                    listener: Callable[[Change], None]) -> None:
    """Call ``listener`` on every document change for as long as ``owner`` lives."""
    unsubscribe = doc.subscribe(listener)
    owner.destroyed.connect(lambda *_: unsubscribe())


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class RecipientsModel(QAbstractListModel):
    """``doc.recipients`` as a list: "Jane Doe <jane@example.com>" with a colour swatch.

    Dragging a row asks for the move with :attr:`moveRequested` (from, to) instead of moving
    anything itself: the panel makes it an undoable edit and the model follows the document.
    """

    moveRequested = Signal(int, int)

    def __init__(self, doc: EditorDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = doc
        # What the views were last told (Qt needs the old rows while it is told of a change);
        # the document stays the truth and this follows it on every change.
        self._rows: tuple[Recipient, ...] = tuple(doc.recipients)
        self._icons: dict[int, QIcon] = {}
        follow_document(self, doc, self._document_changed)

    def _document_changed(self, change: Change) -> None:
        if not change.recipients:
            return
        new = tuple(self._doc.recipients)
        old = self._rows
        if len(new) == len(old) + 1 and new[:len(old)] == old:
            self.beginInsertRows(QModelIndex(), len(old), len(old))
            self._rows = new
            self.endInsertRows()
        elif len(new) == len(old):
            self._rows = new
            changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            if changed:
                self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))
        else:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()

    # --- reading --------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = index.row()
        r = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            name = r.name or f"Recipient {row + 1} (no name yet)"
            return f"{name} <{r.email}>" if r.email else name
        if role == Qt.ItemDataRole.DecorationRole:
            if row not in self._icons:
                self._icons[row] = swatch_icon(row)
            return self._icons[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.designation == Designation.CC:
                return (f"CC · {_ordinal(row + 1)} in the signing order: receives the signed "
                        "document")
            return f"{r.designation.value} · {_ordinal(row + 1)} in the signing order"
        if role == INDEX_ROLE:
            return row
        if role == RECIPIENT_ROLE:
            return r
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base | Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled

    # --- reordering by drag and drop ------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            data.setData(_MIME, QByteArray(str(rows[0]).encode()))
        return data

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: ModelIndex) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(_MIME):
            return False
        try:
            source = int(bytes(data.data(_MIME).data()).decode())
        except ValueError:
            return False
        dest = row if row >= 0 else (parent.row() if parent.isValid() else len(self._rows))
        self.moveRows(QModelIndex(), source, 1, QModelIndex(), dest)
        return False  # nothing for the view to remove: the document moved the row

    def moveRows(self, sourceParent: ModelIndex, sourceRow: int, count: int,
                 destinationParent: ModelIndex, destinationChild: int) -> bool:
        """Qt's move (``destinationChild`` counts rows before the move) as a move request."""
        if (count != 1 or sourceParent.isValid() or destinationParent.isValid()
                or not 0 <= sourceRow < len(self._rows)):
            return False
        to = destinationChild if destinationChild <= sourceRow else destinationChild - 1
        to = max(0, min(to, len(self._rows) - 1))
        if to == sourceRow:
            return False
        self.moveRequested.emit(sourceRow, to)
        return True


class _PeopleModel(QStandardItemModel):
    """Known people for the completers: shown as "Jane Doe <jane@x.com>", matched by a part."""

    FIRST = Qt.ItemDataRole.UserRole + 1
    LAST = Qt.ItemDataRole.UserRole + 2
    EMAIL = Qt.ItemDataRole.UserRole + 3

    def __init__(self, people: Sequence[tuple[str, str, str]], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.set_people(people)

    def set_people(self, people: Sequence[tuple[str, str, str]]) -> None:
        self.clear()
        for first, last, email in people:
            name = f"{first} {last}".strip()
            item = QStandardItem(f"{name} <{email}>" if name else email)
            item.setData(first, self.FIRST)
            item.setData(last, self.LAST)
            item.setData(email, self.EMAIL)
            item.setEditable(False)
            self.appendRow(item)

    def people(self) -> list[tuple[str, str, str]]:
        out = []
        for row in range(self.rowCount()):
            item = self.item(row)
            out.append((str(item.data(self.FIRST)), str(item.data(self.LAST)),
                        str(item.data(self.EMAIL))))
        return out


class _WidePopup(QObject):
    """Makes a completer's list as wide as its entries need, and never narrower than the input
    it completes (Qt sizes it to the input alone, cutting "Jane Doe <jane@…" short)."""

    def __init__(self, edit: QLineEdit, popup: QAbstractItemView) -> None:
        super().__init__(popup)
        self._edit = edit
        self._popup = popup
        popup.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._popup and event.type() in (QEvent.Type.Show,
                                                      QEvent.Type.LayoutRequest):
            popup = self._popup
            frame = popup.frameWidth() * 2
            bar = popup.verticalScrollBar()
            content = popup.sizeHintForColumn(0) + frame + (
                bar.sizeHint().width() if bar.isVisible() else 0) + 8
            wanted = max(self._edit.width(), content)
            screen = self._edit.screen().availableGeometry()
            wanted = min(wanted, screen.width())
            if popup.width() != wanted:
                popup.setMinimumWidth(wanted)
                popup.resize(wanted, popup.height())
                if popup.geometry().right() > screen.right():
                    popup.move(max(screen.left(), screen.right() - wanted), popup.y())
        return False


class _Input(QWidget):
    """A line edit with a small red message right under it."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class RecipientsPanel(QWidget):
    """Who receives the request, in signing order, and the details of the selected one."""

    #: The recipient new fields are placed for (its index), -1 when there is none.
    currentRecipientChanged = Signal(int)

    def __init__(self, editing: Editing, completions: Sequence[tuple[str, str, str]] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc = editing.doc
        self._current = -1
        self._loading = False

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
        self.remove_button.setToolTip("Remove the selected recipient with their fields and "
                                      "anchors")
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

        self.first = _Input("First name")
        self.last = _Input("Last name")
        self.email = _Input("name@example.com")
        self.first_edit, self.last_edit, self.email_edit = (
            self.first.edit, self.last.edit, self.email.edit)
        self.email_edit.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly)
        self.designation = QComboBox()
        for d, tip in ((Designation.SIGNER, "Signs the document"),
                       (Designation.APPROVER, "Approves the document without signing it"),
                       (Designation.CC, "Receives the signed document; signs nothing")):
            self.designation.addItem(d.value, d)
            self.designation.setItemData(self.designation.count() - 1, tip,
                                         Qt.ItemDataRole.ToolTipRole)
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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.list)
        layout.addWidget(self.order_error)
        layout.addLayout(buttons)
        layout.addWidget(self.details)

        self._people = _PeopleModel(completions, self)
        self._completers: list[QCompleter] = []
        self._popups: list[_WidePopup] = []
        for edit, role in ((self.first_edit, _PeopleModel.FIRST),
                           (self.last_edit, _PeopleModel.LAST),
                           (self.email_edit, _PeopleModel.EMAIL)):
            completer = QCompleter(self._people, self)
            completer.setCompletionRole(role)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
            completer.activated[QModelIndex].connect(self._person_chosen)  # type: ignore[index]
            edit.setCompleter(completer)
            self._completers.append(completer)
            popup = completer.popup()
            if popup is not None:
                self._popups.append(_WidePopup(edit, popup))

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
        self.editing.perform("Add recipient",
                             lambda d: added.append(d.add_recipient(Recipient("", "", ""))))
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
        new = replace(old, first_name=self.first_edit.text().strip(),
                      last_name=self.last_edit.text().strip(),
                      email=self.email_edit.text().strip())
        for edit in (self.first_edit, self.last_edit, self.email_edit):
            edit.setModified(False)
        if new != old:
            self.editing.perform(f"Edit {recipient_label(new, index)}",
                                 lambda d: d.update_recipient(index, new))

    def _person_chosen(self, index: QModelIndex) -> None:
        """A completion was picked: fill in the whole person as one edit."""
        at = self._current
        if not 0 <= at < len(self.doc.recipients):
            return
        first = str(index.data(_PeopleModel.FIRST) or "")
        last = str(index.data(_PeopleModel.LAST) or "")
        email = str(index.data(_PeopleModel.EMAIL) or "")
        new = replace(self.doc.recipients[at], first_name=first, last_name=last, email=email)
        self._loading = True
        try:
            for edit, text in ((self.first_edit, first), (self.last_edit, last),
                               (self.email_edit, email)):
                edit.setText(text)
                edit.setModified(False)
        finally:
            self._loading = False
        self.editing.perform(f"Fill in {recipient_label(new, at)}",
                             lambda d: d.update_recipient(at, new))

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
                lambda d: d.update_recipient(index, replace(old, designation=designation)))

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
            for edit, text in ((self.first_edit, r.first_name), (self.last_edit, r.last_name),
                               (self.email_edit, r.email)):
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
            r = replace(self.doc.recipients[index],
                        first_name=self.first_edit.text().strip(),
                        last_name=self.last_edit.text().strip(),
                        email=self.email_edit.text().strip())
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
        for box, attr in ((self.first, "firstName"), (self.last, "lastName"),
                          (self.email, "email")):
            text = errors.get(attr, "")
            if box.edit is self._typing and text and (
                    box.error.isHidden() or box.error.text() != text):
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
