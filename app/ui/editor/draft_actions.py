"""Prepare's draft actions: leaving a document with unsent work, opening, deleting and restoring
drafts. A part of :class:`app.ui.editor.editor.EditorWidget` (its mixin), kept apart so that the
editor module stays readable; it uses only the names declared below."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from app.errors import SealboxError
from app.pdf.document import check_pdf
from app.ui.editor.drafting import ask_restore, ask_unsaved

if TYPE_CHECKING:
    from app.domain.editing import EditorDocument
    from app.domain.model import RequestSpec
    from app.pdf.document import PdfInfo
    from app.store.drafts import Draft
    from app.store.interface import DraftRepository
    from app.ui.editor.drafting import DraftKeeper


class DraftActions(QWidget):
    """What Prepare does with drafts (see the module docstring)."""

    if TYPE_CHECKING:
        drafts: DraftRepository
        keeper: DraftKeeper
        doc: EditorDocument
        path: Path | None

        def _load(
            self,
            path: Path,
            info: PdfInfo,
            spec: RequestSpec,
            draft: Draft | None = None,
            provider: str | None = None,
            render_id: str | None = None,
        ) -> None: ...

        def _show_empty(self) -> None: ...

        def _say(self, text: str) -> None: ...

    def has_unsaved_work(self) -> bool:
        return self.keeper.has_unsaved_work()

    def keep_work(self) -> None:
        """Leave the document without asking: its unsent changes become a saved draft."""
        if self.path is not None:
            self.keeper.keep()

    def discard_work(self) -> None:
        """Leave the document and throw away its draft (the user said Discard)."""
        self.keeper.discard()

    def confirm_leave(self) -> bool:
        """Before the document is left: if it has unsent changes, ask Save Draft / Discard /
        Cancel and do it; False when the user cancelled."""
        if not self.has_unsaved_work():
            self.keep_work()  # a reopened draft left as it was goes back to the list
            return True
        answer = ask_unsaved(
            self, repr(self.doc.name.strip() or (self.path.name if self.path else "This document"))
        )
        if answer == "cancel":
            return False
        if answer == "save":
            try:
                self.keeper.save_and_release()
            except SealboxError as exc:
                QMessageBox.warning(self, "Not saved", exc.message)
                return False
            self._say("Saved as a draft: it is listed in Prepare.")
        else:
            self.keeper.discard()
        return True

    def request_open_draft(self, draft_id: str) -> bool:
        return self.confirm_leave() and self.open_draft(draft_id)

    def open_draft(self, draft_id: str) -> bool:
        """Carry on with a draft exactly where it was left."""
        try:
            draft = self.drafts.get(draft_id)
            pdf = self.drafts.pdf_path(draft.id, draft.document_name)
            info = check_pdf(pdf)
        except SealboxError as exc:
            QMessageBox.warning(self, "Cannot open this draft", exc.message)
            self._show_empty()
            return False
        self.keep_work()
        self._load(pdf, info, draft.spec, draft, provider=draft.provider, render_id=draft.render_id)
        self._say(f"Opened the draft {draft.title!r}")
        return True

    def delete_draft(self, draft_id: str) -> None:
        try:
            draft = self.drafts.get(draft_id)
        except SealboxError:
            self._show_empty()
            return
        answer = QMessageBox.question(
            self,
            "Delete draft",
            f"Delete the draft {draft.title!r}? It was never sent; this cannot be undone.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.drafts.delete(draft_id)
            self._say(f"Deleted the draft {draft.title!r}")
            self._show_empty()

    def restore_unfinished(self) -> bool:
        """At start: offer to restore work a crash or a kill cut off (the latest; the others
        stay in Drafts). True when a draft was restored."""
        orphans = self.drafts.orphaned()
        if not orphans:
            return False
        latest, others = orphans[0], orphans[1:]
        for draft in others:
            self.drafts.set_state(draft.id, "saved")
        answer = ask_restore(self, latest)
        if answer == "restore":
            return self.open_draft(latest.id)
        if answer == "discard":
            self.drafts.delete(latest.id)
        else:
            self.drafts.set_state(latest.id, "saved")
        self._show_empty()
        return False
