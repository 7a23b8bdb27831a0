"""The properties of the selected fields: recipient, type, required, label, place and options.

With several fields selected, a property shows its value when they share it and "Mixed" when
they do not; changing it changes every selected field in one undo step. A run of changes to one
property (typing a label, stepping a spin box) is one undo step too. The panel re-reads the
document on every change, so undo and redo show up here by themselves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import TYPE_LABELS, Change, EditorDocument, FieldId
from app.domain.model import MAX_NAME, Designation, Field, FieldType
from app.services.checks import recipient_label
from app.ui.commands import Editing
from app.ui.editor.common import PAGE_MARGINS, follow_document, swatch_icon

MIXED = "Mixed"
#: Merge ids of this panel's typing and stepping runs (far from the fixed ids of commands.py).
_RUNS = itertools.count(2_000_000)
DEFAULT_OPTIONS = ("Option 1", "Option 2")
_GEOMETRY = ("x", "y", "width", "height")


T = TypeVar("T")


def _shared(values: Sequence[T]) -> T | None:
    """The value every selected field has, or None when they differ."""
    first = values[0]
    return first if all(v == first for v in values) else None


class PropertiesPanel(QWidget):
    """Shows and edits the selected fields (:meth:`set_selection`, field ids)."""

    def __init__(self, editing: Editing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.doc: EditorDocument = editing.doc
        self._ids: list[FieldId] = []
        self._supported: frozenset[FieldType] = frozenset(FieldType)
        self._provider = ""
        self._loading = False
        self._applying = False
        self._runs: dict[str, int] = {}

        self.empty = QLabel(
            "No field selected.\n\nClick a field on the page to see and change "
            "its properties; Ctrl+click or drag around fields to change several "
            "at once."
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.empty.setStyleSheet("color: palette(placeholder-text); padding: 12px;")

        self._build_field_box()
        self._build_place_box()
        self._build_options_box()

        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.setSpacing(8)
        page_layout.addWidget(self.field_box)
        page_layout.addWidget(self.place_box)
        page_layout.addWidget(self.options_box)
        page_layout.addStretch(1)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(page)
        self.form_page = page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.addWidget(self.pages)

        self.recipient_combo.activated.connect(self._recipient_chosen)
        self.type_combo.activated.connect(self._type_chosen)
        self.required_check.clicked.connect(self._required_clicked)
        self.label_edit.textEdited.connect(self._label_edited)
        self.page_spin.valueChanged.connect(self._page_changed)
        for name, spin in self.spins.items():
            spin.valueChanged.connect(lambda value, n=name: self._geometry_changed(n, value))
        self.options_list.itemChanged.connect(self._option_renamed)
        self.options_list.itemSelectionChanged.connect(self._update_option_buttons)
        self.add_option_button.clicked.connect(self._add_option)
        self.remove_option_button.clicked.connect(self._remove_option)
        follow_document(self, self.doc, self._document_changed)
        self._fill_types()
        self._refresh()

    def _build_field_box(self) -> None:
        """Who the field is for, its type, label and whether it must be filled in."""
        self.recipient_combo = QComboBox()
        self.recipient_combo.setPlaceholderText(MIXED)
        self.type_combo = QComboBox()
        self.type_combo.setPlaceholderText(MIXED)
        for combo in (self.recipient_combo, self.type_combo):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        self.required_check = QCheckBox("Must be filled in")
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("Shown to the signer (optional)")
        self.label_edit.setMaxLength(MAX_NAME)
        self.anchor_note = QLabel()
        self.anchor_note.setWordWrap(True)
        self.anchor_note.setStyleSheet("color: palette(placeholder-text);")
        self.anchor_note.hide()

        self.field_box = QGroupBox("Field")
        form = QFormLayout(self.field_box)
        form.setContentsMargins(8, 8, 8, 8)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Recipient", self.recipient_combo)
        form.addRow("Type", self.type_combo)
        form.addRow("Label", self.label_edit)
        form.addRow("Required", self.required_check)
        form.addRow(self.anchor_note)

    def _build_place_box(self) -> None:
        """The page, position and size in points."""
        self.page_spin = QSpinBox()
        self.page_spin.setKeyboardTracking(False)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for name in _GEOMETRY:
            spin = QDoubleSpinBox()
            spin.setDecimals(1)
            spin.setKeyboardTracking(False)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.UpDownArrows)
            self.spins[name] = spin
        self.place_box = QGroupBox("Position and size (points from the top left)")
        grid = QGridLayout(self.place_box)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.addWidget(QLabel("Page"), 0, 0)
        grid.addWidget(self.page_spin, 0, 1)
        for row, (a, b) in enumerate((("x", "y"), ("width", "height")), start=1):
            grid.addWidget(QLabel(a.capitalize() if len(a) > 1 else a.upper()), row, 0)
            grid.addWidget(self.spins[a], row, 1)
            grid.addWidget(QLabel(b.capitalize() if len(b) > 1 else b.upper()), row, 2)
            grid.addWidget(self.spins[b], row, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

    def _build_options_box(self) -> None:
        """A list field's options."""
        self.options_list = QListWidget()
        self.options_list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.options_list.setMinimumHeight(90)
        self.options_list.setMaximumHeight(150)
        self.options_list.setToolTip("Double-click an option to rename it")
        self.options_note = QLabel(
            "The selected fields have different options: a change here "
            "gives all of them these options."
        )
        self.options_note.setWordWrap(True)
        self.options_note.setStyleSheet("color: palette(placeholder-text);")
        self.add_option_button = QPushButton("Add option")
        self.remove_option_button = QPushButton("Remove")
        option_buttons = QHBoxLayout()
        option_buttons.addWidget(self.add_option_button)
        option_buttons.addWidget(self.remove_option_button)
        option_buttons.addStretch(1)
        self.options_box = QGroupBox("Options")
        options_layout = QVBoxLayout(self.options_box)
        options_layout.setContentsMargins(8, 8, 8, 8)
        options_layout.setSpacing(6)
        options_layout.addWidget(self.options_note)
        options_layout.addWidget(self.options_list)
        options_layout.addLayout(option_buttons)

    # --- public ---------------------------------------------------------------------------------

    def set_selection(self, ids: Sequence[int]) -> None:
        """Show the fields with these ids (the page's selection)."""
        ids = [FieldId(i) for i in ids if self.doc.has_field(FieldId(i))]
        if ids != self._ids:
            self._ids = ids
            self._runs.clear()
            self._refresh()

    def selection(self) -> list[FieldId]:
        return list(self._ids)

    def set_supported(self, types: frozenset[FieldType], provider_name: str) -> None:
        """Mark the types the chosen provider cannot take (they stay selectable)."""
        self._supported = frozenset(types)
        self._provider = provider_name
        self._fill_types()
        self._refresh()

    # --- editing --------------------------------------------------------------------------------

    def _fields(self) -> list[Field]:
        return [self.doc.field(fid) for fid in self._ids]

    def _apply(self, text: str, change: Callable[[Field], Field], run: str | None = None) -> None:
        """Change every selected field with ``change`` as one undo step (merged with the
        previous one while ``run`` continues)."""
        if self._loading or not self._ids:
            return
        ids = list(self._ids)

        def edit(doc: EditorDocument) -> None:
            doc.update_fields({fid: change(doc.field(fid)) for fid in ids})

        merge_id = -1
        if run is not None:
            if run not in self._runs:
                self._runs.clear()  # another property: a new run
                self._runs[run] = next(_RUNS)
            merge_id = self._runs[run]
        else:
            self._runs.clear()
        count = len(ids)
        self._applying = True
        try:
            self.editing.perform(text if count == 1 else f"{text} ({count} fields)", edit, merge_id)
        finally:
            self._applying = False

    def _recipient_chosen(self, combo_index: int) -> None:
        recipient = self.recipient_combo.itemData(combo_index)
        if isinstance(recipient, int):
            name = recipient_label(self.doc.recipients[recipient], recipient)
            self._apply(f"Give field to {name}", lambda f: replace(f, recipient_index=recipient))

    def _type_chosen(self, combo_index: int) -> None:
        kind = FieldType(self.type_combo.itemData(combo_index))

        def change(f: Field) -> Field:
            options = (f.options or DEFAULT_OPTIONS) if kind.has_options else ()
            return replace(f, type=kind, options=options)

        self._apply(f"Make field {TYPE_LABELS[kind].lower()}", change)

    def _required_clicked(self) -> None:
        required = self.required_check.checkState() != Qt.CheckState.Unchecked
        self.required_check.setTristate(False)
        self.required_check.setChecked(required)
        self._apply(
            "Make field required" if required else "Make field optional",
            lambda f: replace(f, required=required),
        )

    def _label_edited(self, text: str) -> None:
        label = text.strip() or None
        self._apply("Edit field label", lambda f: replace(f, label=label), run="label")

    def _page_changed(self, page: int) -> None:
        if self._loading or not 1 <= page <= self.doc.page_count:
            return
        self._apply(
            "Move field to page", lambda f: self.doc.clamped(replace(f, page=page)), run="page"
        )

    def _geometry_changed(self, name: str, value: float) -> None:
        spin = self.spins[name]
        if self._loading or (spin.specialValueText() and value == spin.minimum()):
            return
        words = {
            "x": "Move field",
            "y": "Move field",
            "width": "Resize field",
            "height": "Resize field",
        }

        def change(f: Field) -> Field:
            x, y, width, height = f.x, f.y, f.width, f.height
            if name == "x":
                x = value
            elif name == "y":
                y = value
            elif name == "width":
                width = value
            else:
                height = value
            return self.doc.clamped(replace(f, x=x, y=y, width=width, height=height))

        self._apply(words[name], change, run=name)

    def _options(self) -> list[str]:
        return [self.options_list.item(i).text() for i in range(self.options_list.count())]

    def _set_options(self, text: str, options: Sequence[str]) -> None:
        values = tuple(options)
        self._apply(text, lambda f: replace(f, options=values) if f.type.has_options else f)

    def _option_renamed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        options = self._options()
        if not item.text().strip():
            self._refresh()  # an empty name is not an option: put the old name back
            return
        self._set_options("Rename option", [o.strip() for o in options])

    def _add_option(self) -> None:
        options = self._options()
        number = len(options) + 1
        while f"Option {number}" in options:
            number += 1
        self._set_options("Add option", [*options, f"Option {number}"])
        last = self.options_list.item(self.options_list.count() - 1)
        if last is not None:
            self.options_list.setCurrentItem(last)
            self.options_list.editItem(last)

    def _remove_option(self) -> None:
        row = self.options_list.currentRow()
        options = self._options()
        if 0 <= row < len(options):
            removed = options.pop(row)
            self._set_options(f"Remove option {removed!r}", options)

    # --- following the document -----------------------------------------------------------------

    def _document_changed(self, change: Change) -> None:
        if not self._applying:
            self._runs.clear()  # an undo, or an edit elsewhere: the next edit is a new step
        gone = [fid for fid in self._ids if not self.doc.has_field(fid)]
        if gone:
            self._ids = [fid for fid in self._ids if fid not in gone]
        if gone or change.recipients or change.changed & set(self._ids):
            self._refresh()

    def _fill_types(self) -> None:
        self._loading = True
        try:
            self.type_combo.clear()
            for kind in FieldType:
                text = TYPE_LABELS[kind]
                if kind not in self._supported:
                    text += f" (not supported by {self._provider or 'this provider'})"
                self.type_combo.addItem(text, kind)
                if kind not in self._supported:
                    self.type_combo.setItemData(
                        self.type_combo.count() - 1,
                        f"{self._provider or 'The chosen provider'} cannot take {text.lower()} "
                        "fields: choose another type or another provider",
                        Qt.ItemDataRole.ToolTipRole,
                    )
        finally:
            self._loading = False

    def _fill_recipients(self) -> None:
        self.recipient_combo.clear()
        model = self.recipient_combo.model()
        for i, r in enumerate(self.doc.recipients):
            text = recipient_label(r, i)
            if r.designation == Designation.CC:
                text += " (CC, signs nothing)"
            self.recipient_combo.addItem(swatch_icon(i, 14), text, i)
            if r.designation == Designation.CC and isinstance(model, QStandardItemModel):
                item = model.item(self.recipient_combo.count() - 1)
                if item is not None:
                    item.setEnabled(False)

    def _refresh(self) -> None:
        fields = self._fields()
        self.pages.setCurrentWidget(self.form_page if fields else self.empty)
        if not fields:
            return
        self._loading = True
        try:
            self._show(fields)
        finally:
            self._loading = False

    def _show(self, fields: list[Field]) -> None:
        one = len(fields) == 1
        kinds = {f.type for f in fields}
        if one:
            title = f"{TYPE_LABELS[fields[0].type]} field"
        elif len(kinds) == 1:
            title = f"{len(fields)} {TYPE_LABELS[fields[0].type].lower()} fields"
        else:
            title = f"{len(fields)} fields"
        self.field_box.setTitle(title)

        self._fill_recipients()
        recipient = _shared([f.recipient_index for f in fields])
        self.recipient_combo.setCurrentIndex(
            self.recipient_combo.findData(recipient) if recipient is not None else -1
        )
        kind = _shared([f.type for f in fields])
        self.type_combo.setCurrentIndex(self.type_combo.findData(kind) if kind is not None else -1)

        required = _shared([f.required for f in fields])
        self.required_check.setTristate(required is None)
        self.required_check.setCheckState(
            Qt.CheckState.PartiallyChecked
            if required is None
            else Qt.CheckState.Checked
            if required
            else Qt.CheckState.Unchecked
        )

        label = _shared([f.label or "" for f in fields])
        self.label_edit.setPlaceholderText(
            MIXED if label is None else "Shown to the signer (optional)"
        )
        if self.label_edit.text() != (label or "") and not (
            self.label_edit.hasFocus() and self._runs.get("label")
        ):
            self.label_edit.setText(str(label or ""))

        anchors = {f.anchor for f in fields if f.anchor is not None}
        self.anchor_note.setText(
            "Placed by the anchor " + ", ".join(sorted(map(repr, anchors))) if anchors else ""
        )
        self.anchor_note.setVisible(bool(anchors))
        self._show_place(fields)
        self._show_options(fields)

    def _show_place(self, fields: list[Field]) -> None:
        page = _shared([f.page for f in fields])
        self.page_spin.setRange(0 if page is None else 1, max(self.doc.page_count, 1))
        self.page_spin.setSpecialValueText(MIXED if page is None else "")
        self.page_spin.setSuffix(f" of {self.doc.page_count}")
        self.page_spin.setValue(page if page is not None else 0)
        self.page_spin.setEnabled(self.doc.page_count > 1 or page is None)
        geometry = (
            self.doc.page(fields[0].page) if 1 <= fields[0].page <= (self.doc.page_count) else None
        )
        limit = max(geometry.width, geometry.height) if geometry is not None else 14400.0
        for name, spin in self.spins.items():
            value: float | None = _shared([float(getattr(f, name)) for f in fields])
            low = 0.0 if name in ("x", "y") else 1.0
            if value is None:
                spin.setSpecialValueText(MIXED)
                spin.setRange(low - 1.0, limit)
                spin.setValue(low - 1.0)
            else:
                spin.setSpecialValueText("")
                spin.setRange(low, max(limit, value))
                spin.setValue(value)

    def _show_options(self, fields: list[Field]) -> None:
        with_options = all(f.type.has_options for f in fields)
        self.options_box.setVisible(with_options)
        if not with_options:
            return
        options = _shared([f.options for f in fields])
        self.options_note.setVisible(options is None)
        shown = fields[0].options if options is None else options
        if self._options() != list(shown):
            current = self.options_list.currentRow()
            self.options_list.clear()
            for text in shown:
                item = QListWidgetItem(text)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                self.options_list.addItem(item)
            if 0 <= current < self.options_list.count():
                self.options_list.setCurrentRow(current)
        self._update_option_buttons()

    def _update_option_buttons(self) -> None:
        self.remove_option_button.setEnabled(
            self.options_list.currentRow() >= 0 and self.options_list.count() > 1
        )
