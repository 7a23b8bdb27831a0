"""Anchor tags as a table: :class:`AnchorsModel` shows ``doc.anchors`` (text, type, recipient, size
and how many times the text is in the document) and asks for edits, which the panel makes
undoable; :class:`AnchorDelegate` edits its cells in place. Also the words and sizes the anchors
panel shows and reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.domain.editing import TYPE_LABELS, Change, EditorDocument
from app.domain.model import (
    ANCHOR_TYPES,
    DEFAULT_ANCHOR_SIZE,
    MAX_ANCHOR_SIZE,
    MAX_FIELDS,
    AnchorTag,
    Designation,
    FieldType,
    Recipient,
)
from app.services.checks import anchor_must_match, recipient_label
from app.ui.editor.common import follow_document, swatch_icon, warning_icon
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
NOT_FOUND = "Not found in the document"
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:[x×*, ]\s*)?(\d+(?:[.,]\d+)?)\s*(?:pt)?\s*$")


def fields_total_text(from_anchors: int, placed: int) -> str:
    """ "Fields: 336 from anchors + 2 placed = 338 of at most 200"."""
    total = from_anchors + placed
    over = " — too many" if total > MAX_FIELDS else ""
    return (
        f"Fields: {from_anchors} from anchors + {placed} placed = {total} of at most "
        f"{MAX_FIELDS}{over}"
    )


def matches_text(count: int) -> str:
    if count == 0:
        return "No matches"
    return f"{count} match" if count == 1 else f"{count} matches"


def size_or_default(
    kind: FieldType, width: float, height: float
) -> tuple[float | None, float | None]:
    """None for a size that is the type's default, so the spec stays short."""
    default_w, default_h = DEFAULT_ANCHOR_SIZE[kind]
    return (None if width == default_w else width, None if height == default_h else height)


def parse_size(text: str) -> tuple[float, float] | None:
    """ "180 × 48", "180x48" or "180 48" as (width, height) points; None if it is not one."""
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
        if len(new) == len(old) + 1 and new[: len(old)] == old:
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

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                "Ticked: required, the request cannot be sent unless the text is in the document"
                if section == TEXT
                else "How many times the text is in the document: one field each"
                if section == MATCHES
                else None
            )
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
            r = (
                self._recipients[a.recipient_index]
                if 0 <= a.recipient_index < len(self._recipients)
                else None
            )
            if role == Qt.ItemDataRole.DisplayRole:
                # The first name keeps the column narrow; the tooltip has the whole name.
                return (
                    r.first_name
                    if r is not None and r.first_name
                    else recipient_label(r, a.recipient_index)
                )
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
            return Qt.CheckState.Checked if anchor_must_match(a) else Qt.CheckState.Unchecked
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
                return NOT_FOUND if anchor_must_match(a) else (f"{NOT_FOUND}: skipped when sending")
            return (
                f"Found {count} time{'s' if count != 1 else ''} in the document: "
                f"{count} field{'s' if count != 1 else ''}"
            )
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

    def setData(
        self, index: ModelIndex, value: object, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
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
            width, height = size_or_default(a.type, *size)
            return replace(a, width=width, height=height)
        return None


def fill_recipients(combo: QComboBox, recipients: tuple[Recipient, ...]) -> None:
    """The recipients who can be given a field (not CCs), with their colour."""
    combo.clear()
    for i, r in enumerate(recipients):
        if r.designation != Designation.CC:
            combo.addItem(swatch_icon(i, 14), recipient_label(r, i), i)


class AnchorDelegate(QStyledItemDelegate):
    """Combos for the type and recipient columns; line edits for the rest."""

    def __init__(self, doc: EditorDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doc = doc

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        if index.column() == TYPE:
            combo = QComboBox(parent)
            for kind in ANCHOR_TYPE_ORDER:
                combo.addItem(TYPE_LABELS[kind], kind.value)
            return combo
        if index.column() == RECIPIENT:
            combo = QComboBox(parent)
            fill_recipients(combo, tuple(self._doc.recipients))
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

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)
