"""Undoable edits of the editor document.

Every edit runs through :meth:`Editing.perform`: it takes a snapshot of the document before and
after the change and pushes one command that restores either. The document reports only what
differs, so undo and redo update the scene item by item and restore the document exactly. One
mouse drag is one ``perform`` call, so one undo step.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.domain.editing import EditorDocument, Snapshot


class SnapshotCommand(QUndoCommand):
    def __init__(self, doc: EditorDocument, text: str, before: Snapshot, after: Snapshot,
                 merge_id: int = -1) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = before
        self.after = after
        self.merge_id = merge_id

    def redo(self) -> None:
        self.doc.restore(self.after)

    def undo(self) -> None:
        self.doc.restore(self.before)

    def id(self) -> int:
        return self.merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SnapshotCommand) or other.merge_id != self.merge_id:
            return False
        self.after = other.after
        return True


#: Commands with the same id merge while they follow each other (a run of arrow-key nudges).
MERGE_NUDGE = 1
MERGE_RESIZE_KEY = 2
MERGE_META = 3


class Editing(QObject):
    """The document plus its undo stack: the one way the UI changes the document."""

    def __init__(self, doc: EditorDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.stack = QUndoStack(self)

    def perform(self, text: str, change: Callable[[EditorDocument], object],
                merge_id: int = -1) -> bool:
        """Apply ``change`` to the document as one undo step; False when it changed nothing."""
        before = self.doc.snapshot()
        change(self.doc)
        after = self.doc.snapshot()
        if after == before:
            return False
        self.stack.push(SnapshotCommand(self.doc, text, before, after, merge_id))
        return True

    def reset(self) -> None:
        """Forget the history (a new document was opened)."""
        self.stack.clear()
