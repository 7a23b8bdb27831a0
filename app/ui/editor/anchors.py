"""Anchor tags: a field placed wherever a piece of text (``{{sign_here}}``) is in the document.

:class:`AnchorsModel` shows ``doc.anchors`` as a table (text, type, recipient, size and how many
times the text is in the document); :class:`AnchorsPanel` adds, edits and removes them through
:meth:`Editing.perform`. Counting matches is the editor's business (a function given to the
panel); the panel asks only when an anchor's text is new or the user types one. Under the table
the panel adds up the fields the anchors will make and the placed ones, against the limit; it
also holds the request's OCR option (anchors in scanned pages) and, for new anchors, whether
their text is taken off the signed PDF.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import TYPE_LABELS, Change, EditorDocument
from app.domain.model import (
    ANCHOR_TYPES,
    DEFAULT_ANCHOR_SIZE,
    MAX_ANCHOR_SIZE,
    MAX_ANCHORS,
    MAX_FIELDS,
    AnchorTag,
    Designation,
    FieldType,
    Recipient,
)
from app.pdf.textindex import ocr_available
from app.services.checks import anchor_must_match, recipient_label
from app.ui.commands import Editing
from app.ui.editor.common import PAGE_MARGINS, follow_document, swatch_icon, warning_icon
from app.ui.style import ERROR

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS = ("Text", "Type", "Recipient", "Size", "Matches")
TEXT, TYPE, RECIPIENT, SIZE, MATCHES = range(len(COLUMNS))
#: The :class:`AnchorTag` of a row.
ANCHOR_ROLE = Qt.ItemDataRole.UserRole + 1
#: How many times the row's text is in the document (int), None when not counted yet.
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2
#: The anchor types in a fixed order (the order of FieldType).
ANCHOR_TYPE_ORDER = tuple(t for t in FieldType if t in ANCHOR_TYPES)
SEARCH_DELAY_MS = 150
#: From this panel width on, the table shows the size column.
WIDE_TABLE = 420
NOT_FOUND = "Not found in the document"
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:[x×*, ]\s*)?(\d+(?:[.,]\d+)?)\s*(?:pt)?\s*$")


def fields_total_text(from_anchors: int, placed: int) -> str:
    """"Fields: 336 from anchors + 2 placed = 338 of at most 200"."""
    total = from_anchors + placed
    over = " — too many" if total > MAX_FIELDS else ""
    return (f"Fields: {from_anchors} from anchors + {placed} placed = {total} of at most "
            f"{MAX_FIELDS}{over}")


def matches_text(count: int) -> str:
    if count == 0:
        return "No matches"
    return f"{count} match" if count == 1 else f"{count} matches"


def _size_or_default(kind: FieldType, width: float, height: float
                     ) -> tuple[float | None, float | None]:
    """None for a size that is the type's default, so the spec stays short."""
    default_w, default_h = DEFAULT_ANCHOR_SIZE[kind]
    return (None if width == default_w else width, None if height == default_h else height)


def parse_size(text: str) -> tuple[float, float] | None:
    """"180 × 48", "180x48" or "180 48" as (width, height) points; None if it is not one."""
    match = _SIZE.match(text)
    if match is None:
        return None
    width, height = (float(g.replace(",", ".")) for g in match.groups())
    if not (0 < width <= MAX_ANCHOR_SIZE and 0 < height <= MAX_ANCHOR_SIZE):
        return None
    return width, height


class AnchorsModel(QAbstractTableModel):
    """``doc.anchors`` as a table. Edits are asked for with :attr:`editRequested` (row, the new
    :class:`AnchorTag`); the model changes when the document does."""

    editRequested = Signal(int, object)

    def __init__(self, doc: EditorDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = doc
        # What the views were last told; the document stays the truth (see _document_changed).
        self._rows: tuple[AnchorTag, ...] = tuple(doc.anchors)
        self._recipients: tuple[Recipient, ...] = tuple(doc.recipients)
        self._counts: dict[str, int] = {}
        self._icons: dict[int, QIcon] = {}
        follow_document(self, doc, self._document_changed)

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """How many times each anchor text is in the document."""
        self._counts = dict(counts)
        if self._rows:
            self.dataChanged.emit(self.index(0, MATCHES), self.index(len(self._rows) - 1, MATCHES))

    def count(self, text: str) -> int | None:
        return self._counts.get(text)

    def _document_changed(self, change: Change) -> None:
        if not (change.anchors or change.recipients):
            return
        new = tuple(self._doc.anchors)
        old = self._rows
        self._recipients = tuple(self._doc.recipients)
        if len(new) == len(old) + 1 and new[:len(old)] == old:
            self.beginInsertRows(QModelIndex(), len(old), len(old))
            self._rows = new
            self.endInsertRows()
        elif len(new) == len(old):
            self._rows = new
            if new:
                self.dataChanged.emit(self.index(0, 0), self.index(len(new) - 1, MATCHES))
        else:
            self.beginResetModel()
            self._rows = new
            self.endResetModel()

    # --- reading --------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ("Ticked: required, the request cannot be sent unless the text is in the "
                    "document" if section == TEXT else
                    "How many times the text is in the document: one field each"
                    if section == MATCHES else
                    None)
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        a = self._rows[index.row()]
        column = index.column()
        if role == ANCHOR_ROLE:
            return a
        if role == COUNT_ROLE:
            return self._counts.get(a.anchor_string)
        if column == TEXT:
            return self._text_data(a, role)
        if column == TYPE:
            if role == Qt.ItemDataRole.DisplayRole:
                return TYPE_LABELS[a.type]
            if role == Qt.ItemDataRole.EditRole:
                return a.type.value
            if role == Qt.ItemDataRole.ToolTipRole:
                width, height = a.size
                return f"{TYPE_LABELS[a.type]} field, {width:g} × {height:g} pt"
        elif column == RECIPIENT:
            r = self._recipients[a.recipient_index] if 0 <= a.recipient_index < len(
                self._recipients) else None
            if role == Qt.ItemDataRole.DisplayRole:
                # The first name keeps the column narrow; the tooltip has the whole name.
                return (r.first_name if r is not None and r.first_name else
                        recipient_label(r, a.recipient_index))
            if role == Qt.ItemDataRole.ToolTipRole:
                return recipient_label(r, a.recipient_index)
            if role == Qt.ItemDataRole.EditRole:
                return a.recipient_index
            if role == Qt.ItemDataRole.DecorationRole:
                if a.recipient_index not in self._icons:
                    self._icons[a.recipient_index] = swatch_icon(a.recipient_index, 14)
                return self._icons[a.recipient_index]
        elif column == SIZE:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                width, height = a.size
                return f"{width:g} × {height:g}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Width × height of the field, in points (1/72 inch)"
        elif column == MATCHES:
            return self._matches_data(a, role)
        return None

    def _text_data(self, a: AnchorTag, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return a.anchor_string
        if role == Qt.ItemDataRole.CheckStateRole:
            return (Qt.CheckState.Checked if anchor_must_match(a) else Qt.CheckState.Unchecked)
        if role == Qt.ItemDataRole.ToolTipRole:
            if anchor_must_match(a):
                return "Required: the request cannot be sent unless this text is in the document"
            return "Optional: skipped when the text is not in the document"
        return None

    def _matches_data(self, a: AnchorTag, role: int) -> object:
        count = self._counts.get(a.anchor_string)
        missing = count == 0 and anchor_must_match(a)
        if role == Qt.ItemDataRole.DisplayRole:
            return "…" if count is None else str(count)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and missing:
            return QColor(ERROR)
        if role == Qt.ItemDataRole.DecorationRole and missing:
            return warning_icon()
        if role == Qt.ItemDataRole.ToolTipRole:
            if count is None:
                return "Not counted yet"
            if count == 0:
                return NOT_FOUND if anchor_must_match(a) else (
                    f"{NOT_FOUND}: skipped when sending")
            return (f"Found {count} time{'s' if count != 1 else ''} in the document: "
                    f"{count} field{'s' if count != 1 else ''}")
        return None

    # --- editing --------------------------------------------------------------------------------

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if not index.isValid():
            return base
        if index.column() == TEXT:
            return base | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
        if index.column() in (TYPE, RECIPIENT, SIZE):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: ModelIndex, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        a = self._rows[index.row()]
        new = self._edited(a, index.column(), value, role)
        if new is None or new == a:
            return False
        self.editRequested.emit(index.row(), new)
        return True

    def _edited(self, a: AnchorTag, column: int, value: object, role: int) -> AnchorTag | None:
        if column == TEXT and role == Qt.ItemDataRole.CheckStateRole:
            checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
            return replace(a, required=checked, ignore_if_not_present=not checked)
        if role != Qt.ItemDataRole.EditRole:
            return None
        if column == TEXT:
            text = str(value).strip()
            return replace(a, anchor_string=text) if text else None
        if column == TYPE:
            try:
                kind = FieldType(str(value))
            except ValueError:
                return None
            return replace(a, type=kind) if kind in ANCHOR_TYPES else None
        if column == RECIPIENT:
            if not isinstance(value, int) or not 0 <= value < len(self._recipients):
                return None
            return replace(a, recipient_index=value)
        if column == SIZE:
            size = parse_size(str(value))
            if size is None:
                return None
            width, height = _size_or_default(a.type, *size)
            return replace(a, width=width, height=height)
        return None


def _fill_recipients(combo: QComboBox, recipients: tuple[Recipient, ...]) -> None:
    """The recipients who can be given a field (not CCs), with their colour."""
    combo.clear()
    for i, r in enumerate(recipients):
        if r.designation != Designation.CC:
            combo.addItem(swatch_icon(i, 14), recipient_label(r, i), i)


class _AnchorDelegate(QStyledItemDelegate):
    """Combos for the type and recipient columns; line edits for the rest."""

    def __init__(self, doc: EditorDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = doc

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: ModelIndex) -> QWidget:
        if index.column() == TYPE:
            combo = QComboBox(parent)
            for kind in ANCHOR_TYPE_ORDER:
                combo.addItem(TYPE_LABELS[kind], kind.value)
            return combo
        if index.column() == RECIPIENT:
            combo = QComboBox(parent)
            _fill_recipients(combo, tuple(self._doc.recipients))
            return combo
        editor = super().createEditor(parent, option, index)
        if isinstance(editor, QLineEdit) and index.column() == SIZE:
            editor.setPlaceholderText("width × height")
        return editor

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex
                     ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


class AnchorsPanel(QWidget):
    """Add anchors (with a live count of matches as the text is typed), edit and remove them."""

    #: The text to highlight on the pages (typed in the form, or the selected anchor's), "" for
    #: none; typing is debounced by SEARCH_DELAY_MS.
    searchTextChanged = Signal(str)
    #: Go to the next (1) or previous (-1) match on the pages.
    jumpRequested = Signal(int)

    def __init__(self, editing: Editing, count: Callable[[str], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc = editing.doc
        self._count = count
        self._counts: dict[str, int] = {}
        self._recipient = 0

        self.model = AnchorsModel(self.doc, self)
        self.model.editRequested.connect(self._edit)

        intro = QLabel("An anchor places a field wherever its text appears in the document, "
                       "e.g. a {{sign_here}} tag written into the contract.")
        intro.setWordWrap(True)
        intro.setStyleSheet("color: palette(placeholder-text);")

        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("{{sign_here}}")
        self.text_edit.setClearButtonEnabled(True)
        self.count_label = QLabel("")
        self.count_label.setMinimumWidth(80)
        self.type_combo = QComboBox()
        for kind in ANCHOR_TYPE_ORDER:
            self.type_combo.addItem(TYPE_LABELS[kind], kind)
        self.recipient_combo = QComboBox()
        self.recipient_combo.setPlaceholderText("Add a Signer first")
        self.width_spin = self._size_spin()
        self.height_spin = self._size_spin()
        self.required_check = QCheckBox("Required: must be in the document")
        self.required_check.setChecked(True)
        self.required_check.setToolTip("Untick to send without this field when the text is "
                                       "not in the document (the field is then optional)")
        self.remove_check = QCheckBox("Remove the anchor text from the signed PDF")
        self.remove_check.setChecked(True)
        self.remove_check.setToolTip(
            "Signed in person with Sealbox, the text is taken off the page under its field (on a "
            "PDF that is already signed it is covered instead, to keep the earlier signature)")
        self.add_button = QPushButton("Add anchor")
        self.add_button.setDefault(False)

        text_row = QHBoxLayout()
        text_row.setSpacing(8)
        text_row.addWidget(self.text_edit, 1)
        text_row.addWidget(self.count_label)
        size_row = QHBoxLayout()
        size_row.setSpacing(4)
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_spin)
        size_row.addWidget(QLabel("pt"))
        size_row.addStretch(1)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)

        self.form_box = QGroupBox("Add an anchor")
        form = QFormLayout(self.form_box)
        form.setContentsMargins(8, 8, 8, 8)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Text", text_row)
        form.addRow("Type", self.type_combo)
        form.addRow("For", self.recipient_combo)
        form.addRow("Size", size_row)
        form.addRow("", self.required_check)
        form.addRow("", self.remove_check)
        form.addRow(add_row)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_AnchorDelegate(self.doc, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        for column in (TYPE, RECIPIENT, SIZE, MATCHES):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(120)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header.setMinimumSectionSize(40)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected anchor")
        self.previous_button = QToolButton()
        self.previous_button.setText("◀")
        self.previous_button.setToolTip("Go to the previous match on the pages")
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Go to the next match on the pages")
        self.match_label = QLabel("")
        self.match_label.setObjectName("matchPosition")
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.previous_button)
        remove_row.addWidget(self.next_button)
        remove_row.addWidget(self.match_label)
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove_button)
        self.list_box = QGroupBox("Anchors in this request")
        inner = QVBoxLayout(self.list_box)
        inner.setContentsMargins(8, 8, 8, 8)
        inner.setSpacing(6)
        inner.addWidget(self.table, 1)
        self.total_label = QLabel("")
        self.total_label.setObjectName("fieldsTotal")
        self.total_label.setWordWrap(True)
        self.total_label.setToolTip("How many fields the request will have: one for every place "
                                    f"an anchor's text appears, plus the placed ones (at most "
                                    f"{MAX_FIELDS})")
        inner.addWidget(self.total_label)
        inner.addLayout(remove_row)
        self.ocr_check = QCheckBox("Find anchors in scanned pages (OCR)")
        self.ocr_check.setToolTip("Read the text of pages that are scanned images, so anchors "
                                  "written on them are found too (slower)")
        self._ocr_checked_available = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(8)
        layout.addWidget(intro)
        layout.addWidget(self.form_box)
        layout.addWidget(self.ocr_check)
        layout.addWidget(self.list_box, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search)
        self.text_edit.textChanged.connect(self._text_changed)
        self.text_edit.returnPressed.connect(self.add)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.recipient_combo.activated.connect(
            lambda i: setattr(self, "_recipient", int(self.recipient_combo.itemData(i))))
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.ocr_check.toggled.connect(self._ocr_toggled)
        self.previous_button.clicked.connect(lambda: self.jumpRequested.emit(-1))
        self.next_button.clicked.connect(lambda: self.jumpRequested.emit(1))
        self.table.selectionModel().selectionChanged.connect(self._row_selected)
        follow_document(self, self.doc, self._document_changed)
        self._type_changed()
        self._fill_recipients()
        self._update_counts()
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Looking for Tesseract runs a program: only once the panel is first seen.
        if not self._ocr_checked_available:
            self._ocr_checked_available = True
            if not ocr_available() and not self.ocr_check.isChecked():
                self.ocr_check.setEnabled(False)
                self.ocr_check.setToolTip("Tesseract OCR is not installed on this computer: "
                                          "install it (with its English data) to find anchors "
                                          "in scanned pages")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # In a narrow side panel the text needs the room more than the size (still in the type's
        # tooltip, and shown again as soon as the panel is wide enough).
        self.table.setColumnHidden(SIZE, event.size().width() < WIDE_TABLE)

    @staticmethod
    def _size_spin() -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(1.0, MAX_ANCHOR_SIZE)
        spin.setDecimals(0)
        spin.setSingleStep(4.0)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        return spin

    # --- public ---------------------------------------------------------------------------------

    def refresh_counts(self) -> None:
        """Count every anchor's text again (the document's text became known or changed)."""
        self._counts.clear()
        self._update_counts()
        if self.text_edit.text().strip():
            self._search()

    def shutdown(self) -> None:
        """Stop the typing delay: a search due after the window has gone would find its
        pages deleted."""
        self._search_timer.stop()

    def set_recipient(self, index: int) -> None:
        """The recipient new anchors are for (the editor's current recipient)."""
        self._recipient = index
        found = self.recipient_combo.findData(index)
        if found >= 0:
            self.recipient_combo.setCurrentIndex(found)

    def set_match_position(self, text: str, can_jump: bool) -> None:
        """Where the last jump went ("Match 2 of 5"), and whether there is anywhere to go."""
        self.match_label.setText(text)
        self.previous_button.setEnabled(can_jump)
        self.next_button.setEnabled(can_jump)

    def select(self, index: int) -> None:
        """Select (and scroll to) anchor ``index``, e.g. the one a pre-send problem names."""
        if 0 <= index < self.model.rowCount():
            self.table.selectRow(index)
            self.table.scrollTo(self.model.index(index, TEXT))

    def add(self) -> None:
        text = self.text_edit.text().strip()
        recipient = self.recipient_combo.currentData()
        if not text or recipient is None or len(self.doc.anchors) >= MAX_ANCHORS:
            return
        kind = FieldType(self.type_combo.currentData())
        width, height = _size_or_default(kind, self.width_spin.value(), self.height_spin.value())
        required = self.required_check.isChecked()
        anchor = AnchorTag(text, kind, int(recipient), width, height, required=required,
                           ignore_if_not_present=not required,
                           remove_text=self.remove_check.isChecked())
        if self.editing.perform(f"Add anchor {text!r}", lambda d: d.add_anchor(anchor)):
            self.text_edit.clear()

    def remove(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        row = rows[0].row()
        if 0 <= row < len(self.doc.anchors):
            text = self.doc.anchors[row].anchor_string
            self.editing.perform(f"Remove anchor {text!r}", lambda d: d.remove_anchor(row))

    # --- reacting -------------------------------------------------------------------------------

    def _edit(self, row: int, anchor: object) -> None:
        assert isinstance(anchor, AnchorTag)
        if 0 <= row < len(self.doc.anchors):
            self.editing.perform(f"Edit anchor {anchor.anchor_string!r}",
                                 lambda d: d.update_anchor(row, anchor))

    def _text_changed(self, _text: str) -> None:
        self._update_buttons()
        self._search_timer.start()

    def _search(self) -> None:
        self._search_timer.stop()
        text = self.text_edit.text().strip()
        if text:
            count = self._count(text)
            self.count_label.setText(matches_text(count))
            self.count_label.setStyleSheet(
                f"color: {ERROR};" if count == 0 else "color: palette(text);")
        else:
            self.count_label.setText("")
        self.searchTextChanged.emit(text)

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._update_buttons()
        if rows and not self.text_edit.text().strip():
            anchor = self.model.data(rows[0], ANCHOR_ROLE)
            if isinstance(anchor, AnchorTag):
                self.searchTextChanged.emit(anchor.anchor_string)

    def _type_changed(self, *_: object) -> None:
        kind = FieldType(self.type_combo.currentData())
        width, height = DEFAULT_ANCHOR_SIZE[kind]
        self.width_spin.setValue(width)
        self.height_spin.setValue(height)

    def _ocr_toggled(self, on: bool) -> None:
        if on != self.doc.ocr_anchors:
            self.editing.perform("Find anchors in scanned pages" if on else
                                 "Do not read scanned pages", lambda d: d.set_ocr_anchors(on))

    def _document_changed(self, change: Change) -> None:
        if change.recipients:
            self._fill_recipients()
        if change.anchors:
            self._update_counts()
            if self.ocr_check.isChecked() != self.doc.ocr_anchors:
                self.ocr_check.blockSignals(True)
                self.ocr_check.setChecked(self.doc.ocr_anchors)
                self.ocr_check.blockSignals(False)
        self._update_total()
        self._update_buttons()

    def _update_total(self) -> None:
        from_anchors = sum(self._counts.get(a.anchor_string, 0) for a in self.doc.anchors)
        placed = len(self.doc)
        self.total_label.setText(fields_total_text(from_anchors, placed))
        over = from_anchors + placed > MAX_FIELDS
        self.total_label.setStyleSheet(f"color: {ERROR}; font-weight: bold;" if over
                                       else "color: palette(placeholder-text);")
        self.total_label.setVisible(bool(self.doc.anchors))

    def _fill_recipients(self) -> None:
        _fill_recipients(self.recipient_combo, tuple(self.doc.recipients))
        self.recipient_combo.setEnabled(self.recipient_combo.count() > 0)
        found = self.recipient_combo.findData(self._recipient)
        self.recipient_combo.setCurrentIndex(found if found >= 0 else (
            0 if self.recipient_combo.count() else -1))

    def _update_counts(self) -> None:
        texts = {a.anchor_string for a in self.doc.anchors}
        for text in texts - self._counts.keys():
            self._counts[text] = self._count(text)
        for text in self._counts.keys() - texts:
            del self._counts[text]
        self.model.set_counts(self._counts)
        self._update_total()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.text_edit.text().strip())
                                   and self.recipient_combo.currentIndex() >= 0
                                   and len(self.doc.anchors) < MAX_ANCHORS)
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

