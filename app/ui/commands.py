"""Undoable edits of the editor document.

Every edit runs through :meth:`Editing.perform`: it takes a snapshot of the document before and
after the change and pushes one command that restores either. The document reports only what
differs, so undo and redo update the scene item by item and restore the document exactly. One
mouse drag is one ``perform`` call, so one undo step.

An edit is all or nothing. The document tells its mirrors (the scene's items, the panels) of a
change as it happens; if one of them fails (a scene item cannot be built), the document is put
back as it was before the edit, the mirrors hear of that too, no undo step is recorded and the
error is raised again for the caller, so it is never swallowed. Undo and redo keep the same
promise: a step that fails leaves the document, the scene and the undo stack where they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack

from app.domain.editing import EditorDocument, Snapshot

log = logging.getLogger(__name__)


def _roll_back(doc: EditorDocument, snap: Snapshot, error: BaseException) -> None:
    """Put ``doc`` back to ``snap`` after ``error``; a second failure is chained to the first."""
    try:
        doc.restore(snap)
    except Exception as again:
        log.error("putting the document back after a failed edit failed too", exc_info=again)
        raise again from error


class _Failure:
    """Where a command run by :meth:`Editing.undo`/:meth:`Editing.redo` leaves its error.

    QUndoStack calls ``undo``/``redo`` from C++: an exception raised there does not reliably come
    back out of ``QUndoStack.undo`` (the stack's own signals run first), so the command puts the
    document back, hands the error over here, and :class:`Editing` raises it once the stack has
    returned and its index has been put back."""

    def __init__(self) -> None:
        self.collecting = False
        self.error: Exception | None = None


class SnapshotCommand(QUndoCommand):
    def __init__(
        self,
        doc: EditorDocument,
        text: str,
        before: Snapshot,
        after: Snapshot,
        merge_id: int = -1,
        failure: _Failure | None = None,
    ) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = before
        self.after = after
        self.merge_id = merge_id
        self.failure = failure

    def _go(self, target: Snapshot, back: Snapshot) -> None:
        try:
            self.doc.restore(target)
        except Exception as exc:
            _roll_back(self.doc, back, exc)
            if self.failure is not None and self.failure.collecting:
                self.failure.error = exc
                return
            raise

    def redo(self) -> None:
        self._go(self.after, self.before)

    def undo(self) -> None:
        self._go(self.before, self.after)

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
        self._failure = _Failure()

    def perform(
        self, text: str, change: Callable[[EditorDocument], object], merge_id: int = -1
    ) -> bool:
        """Apply ``change`` to the document as one undo step; False when it changed nothing.

        If ``change`` or a mirror of the document raises, the document is put back as it was,
        nothing is recorded and the error is raised again."""
        before = self.doc.snapshot()
        try:
            change(self.doc)
        except Exception as exc:
            _roll_back(self.doc, before, exc)
            raise
        after = self.doc.snapshot()
        if after == before:
            return False
        self.stack.push(SnapshotCommand(self.doc, text, before, after, merge_id, self._failure))
        return True

    def undo(self) -> None:
        """Undo one step; if that fails, the step stays where it was and the error is raised."""
        self._step(self.stack.undo, self.stack.canUndo())

    def redo(self) -> None:
        self._step(self.stack.redo, self.stack.canRedo())

    def _step(self, move: Callable[[], None], possible: bool) -> None:
        if not possible:
            return
        index = self.stack.index()
        self._failure.collecting, self._failure.error = True, None
        try:
            move()
        finally:
            self._failure.collecting = False
        error, self._failure.error = self._failure.error, None
        if error is not None:
            # The command put the document back; QUndoStack moved its index regardless. Going
            # back to the old index replays a step to the state the document is already in
            # (nothing differs, so nothing is told to the mirrors).
            self.stack.setIndex(index)
            raise error

    def undo_action(self, parent: QObject, text: str = "&Undo") -> QAction:
        """A menu action for :meth:`undo` that names the step ("Undo Move field")."""
        action = _StepAction(self.stack, text, redo=False, parent=parent)
        action.setShortcut(QKeySequence.StandardKey.Undo)
        action.triggered.connect(action.run)
        action.step = self.undo
        return action

    def redo_action(self, parent: QObject, text: str = "&Redo") -> QAction:
        action = _StepAction(self.stack, text, redo=True, parent=parent)
        action.setShortcut(QKeySequence.StandardKey.Redo)
        action.triggered.connect(action.run)
        action.step = self.redo
        return action

    def reset(self) -> None:
        """Forget the history (a new document was opened)."""
        self.stack.clear()


class _StepAction(QAction):
    """Undo or Redo for a menu: enabled when possible, named after the step it would take."""

    def __init__(self, stack: QUndoStack, text: str, *, redo: bool, parent: QObject) -> None:
        super().__init__(text, parent)
        self._stack = stack
        self._base = text
        self._redo = redo
        self.step: Callable[[], None] = lambda: None
        if redo:
            stack.canRedoChanged.connect(self.refresh)
            stack.redoTextChanged.connect(self.refresh)
        else:
            stack.canUndoChanged.connect(self.refresh)
            stack.undoTextChanged.connect(self.refresh)
        self.refresh()

    def run(self, _checked: bool = False) -> None:
        self.step()

    def refresh(self, *_: object) -> None:
        if not shiboken6.isValid(self._stack):
            return  # the stack is being destroyed with the editor
        can = self._stack.canRedo() if self._redo else self._stack.canUndo()
        step = self._stack.redoText() if self._redo else self._stack.undoText()
        self.setEnabled(can)
        self.setText(f"{self._base} {step}" if step else self._base)
