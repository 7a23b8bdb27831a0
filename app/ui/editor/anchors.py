"""Anchor tags: a field placed wherever a piece of text (``{{sign_here}}``) is in the document.

:class:`~app.ui.editor.anchor_model.AnchorsModel` shows ``doc.anchors`` as a table (text, type,
recipient, size and how many times the text is in the document); :class:`AnchorsPanel` adds, edits
and removes them through :meth:`Editing.perform`. Counting matches is the editor's business (a
function given to the panel); the panel asks only when an anchor's text is new or the user types
one. Under the table the panel adds up the fields the anchors will make and the placed ones, against
the limit; it also holds the request's OCR option (anchors in scanned pages) and, for new anchors,
whether their text is taken off the signed PDF.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QResizeEvent, QShowEvent
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
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import TYPE_LABELS, Change
from app.domain.model import (
    DEFAULT_ANCHOR_SIZE,
    MAX_ANCHOR_SIZE,
    MAX_ANCHORS,
    MAX_FIELDS,
    AnchorTag,
    FieldType,
)
from app.pdf.textindex import ocr_available
from app.ui.commands import Editing
from app.ui.editor.anchor_model import (
    ANCHOR_ROLE,
    ANCHOR_TYPE_ORDER,
    MATCHES,
    RECIPIENT,
    SIZE,
    TEXT,
    TYPE,
    AnchorDelegate,
    AnchorsModel,
    fields_total_text,
    fill_recipients,
    matches_text,
    size_or_default,
)
from app.ui.editor.common import PAGE_MARGINS, follow_document
from app.ui.style import ERROR

ModelIndex = QModelIndex | QPersistentModelIndex

SEARCH_DELAY_MS = 150
#: From this panel width on, the table shows the size column.
WIDE_TABLE = 420


class AnchorsPanel(QWidget):
    """Add anchors (with a live count of matches as the text is typed), edit and remove them."""

    #: The text to highlight on the pages (typed in the form, or the selected anchor's), "" for
    #: none; typing is debounced by SEARCH_DELAY_MS.
    searchTextChanged = Signal(str)
    #: Go to the next (1) or previous (-1) match on the pages.
    jumpRequested = Signal(int)

    def __init__(
        self, editing: Editing, count: Callable[[str], int], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc = editing.doc
        self._count = count
        self._counts: dict[str, int] = {}
        self._recipient = 0

        self.model = AnchorsModel(self.doc, self)
        self.model.editRequested.connect(self._edit)

        intro = QLabel(
            "An anchor places a field wherever its text appears in the document, "
            "e.g. a {{sign_here}} tag written into the contract."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: palette(placeholder-text);")

        self._build_form()
        self._build_table()

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
        self._connect()
        follow_document(self, self.doc, self._document_changed)
        self._type_changed()
        self._fill_recipients()
        self._update_counts()
        self._update_buttons()

    def _build_form(self) -> None:
        """The "Add an anchor" box: its text (with the live count), type, recipient and size."""
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
        self.required_check.setToolTip(
            "Untick to send without this field when the text is "
            "not in the document (the field is then optional)"
        )
        self.remove_check = QCheckBox("Remove the anchor text from the signed PDF")
        self.remove_check.setChecked(True)
        self.remove_check.setToolTip(
            "Signed in person with Sealbox, the text is taken off the page under its field (on a "
            "PDF that is already signed it is covered instead, to keep the earlier signature)"
        )
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

    def _build_table(self) -> None:
        """The "Anchors in this request" box: the table, the fields' total, the way through the
        matches; and the OCR option."""
        self._build_table_view()
        remove_row = self._build_match_row()
        self.list_box = QGroupBox("Anchors in this request")
        inner = QVBoxLayout(self.list_box)
        inner.setContentsMargins(8, 8, 8, 8)
        inner.setSpacing(6)
        inner.addWidget(self.table, 1)
        self.total_label = QLabel("")
        self.total_label.setObjectName("fieldsTotal")
        self.total_label.setWordWrap(True)
        self.total_label.setToolTip(
            "How many fields the request will have: one for every place "
            f"an anchor's text appears, plus the placed ones (at most "
            f"{MAX_FIELDS})"
        )
        inner.addWidget(self.total_label)
        inner.addLayout(remove_row)
        self.ocr_check = QCheckBox("Find anchors in scanned pages (OCR)")
        self.ocr_check.setToolTip(
            "Read the text of pages that are scanned images, so anchors "
            "written on them are found too (slower)"
        )
        self._ocr_checked_available = False

    def _build_table_view(self) -> None:
        """The anchors' table: editable in place, one row selected at a time."""
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(AnchorDelegate(self.doc, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
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

    def _build_match_row(self) -> QHBoxLayout:
        """The row under the table: previous and next match, where it is, and Remove."""
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
        return remove_row

    def _connect(self) -> None:
        self.text_edit.textChanged.connect(self._text_changed)
        self.text_edit.returnPressed.connect(self.add)
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.recipient_combo.activated.connect(
            lambda i: setattr(self, "_recipient", int(self.recipient_combo.itemData(i)))
        )
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.ocr_check.toggled.connect(self._ocr_toggled)
        self.previous_button.clicked.connect(lambda: self.jumpRequested.emit(-1))
        self.next_button.clicked.connect(lambda: self.jumpRequested.emit(1))
        self.table.selectionModel().selectionChanged.connect(self._row_selected)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Looking for Tesseract runs a program: only once the panel is first seen.
        if not self._ocr_checked_available:
            self._ocr_checked_available = True
            if not ocr_available() and not self.ocr_check.isChecked():
                self.ocr_check.setEnabled(False)
                self.ocr_check.setToolTip(
                    "Tesseract OCR is not installed on this computer: "
                    "install it (with its English data) to find anchors "
                    "in scanned pages"
                )

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
        width, height = size_or_default(kind, self.width_spin.value(), self.height_spin.value())
        required = self.required_check.isChecked()
        anchor = AnchorTag(
            text,
            kind,
            int(recipient),
            width,
            height,
            required=required,
            ignore_if_not_present=not required,
            remove_text=self.remove_check.isChecked(),
        )
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
            self.editing.perform(
                f"Edit anchor {anchor.anchor_string!r}", lambda d: d.update_anchor(row, anchor)
            )

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
                f"color: {ERROR};" if count == 0 else "color: palette(text);"
            )
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
            self.editing.perform(
                "Find anchors in scanned pages" if on else "Do not read scanned pages",
                lambda d: d.set_ocr_anchors(on),
            )

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
        self.total_label.setStyleSheet(
            f"color: {ERROR}; font-weight: bold;" if over else "color: palette(placeholder-text);"
        )
        self.total_label.setVisible(bool(self.doc.anchors))

    def _fill_recipients(self) -> None:
        fill_recipients(self.recipient_combo, tuple(self.doc.recipients))
        self.recipient_combo.setEnabled(self.recipient_combo.count() > 0)
        found = self.recipient_combo.findData(self._recipient)
        self.recipient_combo.setCurrentIndex(
            found if found >= 0 else (0 if self.recipient_combo.count() else -1)
        )

    def _update_counts(self) -> None:
        texts = {a.anchor_string for a in self.doc.anchors}
        for text in texts - self._counts.keys():
            self._counts[text] = self._count(text)
        for text in self._counts.keys() - texts:
            del self._counts[text]
        self.model.set_counts(self._counts)
        self._update_total()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(
            bool(self.text_edit.text().strip())
            and self.recipient_combo.currentIndex() >= 0
            and len(self.doc.anchors) < MAX_ANCHORS
        )
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
