"""The recipients of the request as a list model: one row a recipient, in signing order, with
their colour swatch; rows are reordered by drag and drop (as a request the panel makes undoable)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QIcon

from app.domain.editing import Change, EditorDocument
from app.domain.model import Designation, Recipient
from app.ui.editor.common import follow_document, swatch_icon

ModelIndex = QModelIndex | QPersistentModelIndex

#: The row (recipient index) of an item, an int.
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
#: The :class:`Recipient` of an item.
RECIPIENT_ROLE = Qt.ItemDataRole.UserRole + 2

_MIME = "application/x-sealbox-recipient"


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
        if len(new) == len(old) + 1 and new[: len(old)] == old:
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
                return (
                    f"CC · {_ordinal(row + 1)} in the signing order: receives the signed document"
                )
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

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: ModelIndex
    ) -> bool:
        if action != Qt.DropAction.MoveAction or not data.hasFormat(_MIME):
            return False
        try:
            source = int(bytes(data.data(_MIME).data()).decode())
        except ValueError:
            return False
        dest = row if row >= 0 else (parent.row() if parent.isValid() else len(self._rows))
        self.moveRows(QModelIndex(), source, 1, QModelIndex(), dest)
        return False  # nothing for the view to remove: the document moved the row

    def moveRows(
        self,
        sourceParent: ModelIndex,
        sourceRow: int,
        count: int,
        destinationParent: ModelIndex,
        destinationChild: int,
    ) -> bool:
        """Qt's move (``destinationChild`` counts rows before the move) as a move request."""
        if (
            count != 1
            or sourceParent.isValid()
            or destinationParent.isValid()
            or not 0 <= sourceRow < len(self._rows)
        ):
            return False
        to = destinationChild if destinationChild <= sourceRow else destinationChild - 1
        to = max(0, min(to, len(self._rows) - 1))
        if to == sourceRow:
            return False
        self.moveRequested.emit(sourceRow, to)
        return True
