"""Unsent work is never lost: the editor's document is kept as a draft while the user edits.

:class:`DraftKeeper` watches the editor: a moment after each change (debounced) it writes the
request as it stands to the store (one small UPDATE, cheap on the UI thread); the first time, it
copies the PDF into the draft's folder on a worker thread. Closing or quitting with changes asks
Save Draft / Discard / Cancel (:func:`ask_unsaved`); a window closed by the program or the system
keeps the work as a saved draft without asking; a crash or a kill leaves the draft marked as being
edited by a process that is gone, which the next start offers to restore.

It also holds the other questions asked around sending: :func:`confirm_again` before sending the
same document to the same people a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.errors import SealboxError, UnavailableError, UserError
from app.pdf.document import PdfInfo
from app.store.drafts import Draft, Drafts
from app.ui.bridge import AsyncBridge

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_MS = 800
Answer = Literal["save", "discard", "cancel"]
Restore = Literal["restore", "keep", "discard"]


@dataclass(frozen=True)
class Working:
    """What the editor is working on, as the keeper needs it."""

    path: Path
    info: PdfInfo
    spec: RequestSpec
    provider: str
    render_id: str | None


class DraftKeeper(QObject):
    """Keeps the open document as a draft. ``current`` reads the editor's state (None when no
    document is open)."""

    def __init__(
        self,
        drafts: Drafts,
        bridge: AsyncBridge,
        current: Callable[[], Working | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.drafts = drafts
        self.bridge = bridge
        self._current = current
        self.draft_id: str | None = None
        self.changed = False
        self._copying: str | None = None  # the id a copy is being made for
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.autosave)

    # --- following the editor -------------------------------------------------------------------

    def started(self, draft: Draft | None = None) -> None:
        """A document was opened (``draft``: reopened from it, now edited by this process)."""
        self._generation += 1
        self._timer.stop()
        self._copying = None
        self.changed = False
        self.draft_id = draft.id if draft is not None else None
        if draft is not None:
            self.drafts.set_state(draft.id, "editing")

    def touch(self) -> None:
        """The user changed something: keep it in a moment."""
        if self._current() is None:
            return
        self.changed = True
        self._timer.start()

    def has_unsaved_work(self) -> bool:
        return self.changed and self._current() is not None

    def pending(self) -> bool:
        """Whether a save is waiting (for tests and the benchmark: the timer or the copy)."""
        return self._timer.isActive() or self._copying is not None

    # --- saving ---------------------------------------------------------------------------------

    def autosave(self) -> None:
        """Write the draft now (the first time: copy the PDF off the UI thread, then write)."""
        self._timer.stop()
        working = self._current()
        if working is None or not self.changed:
            return
        if self.draft_id is not None:
            try:
                self._write(self.draft_id, working)
            except UnavailableError as exc:  # the shared store is out of reach: kept later
                log.warning("the draft of %s waits: %s", working.path.name, exc)
            return
        if self._copying is not None:
            return  # the copy under way writes the draft when it is done
        draft_id = self.drafts.new_id()
        self._copying = draft_id
        generation = self._generation

        def copied(sha256: str) -> None:
            if self.draft_id == draft_id:
                return  # flush() got there first and recorded it
            if generation != self._generation or self._copying != draft_id:
                self._drop_copy(draft_id)  # the document was closed meanwhile
                return
            self._copying = None
            try:
                self._add(draft_id, sha256)
            except UnavailableError as exc:  # the shared store is out of reach: kept later
                log.warning("the draft of %s waits: %s", working.path.name, exc)

        def failed(exc: BaseException) -> None:
            if self._copying == draft_id:
                self._copying = None
            self._drop_copy(draft_id)
            log.warning("could not keep a draft of %s: %s", working.path.name, exc)

        self.bridge.start(
            self.bridge.run_blocking(self.drafts.copy_document, draft_id, working.path),
            on_done=copied,
            on_error=failed,
            label="Keeping a draft",
        )

    def flush(self) -> str | None:
        """Write the draft now, on this thread (closing, quitting); returns its id."""
        self._timer.stop()
        working = self._current()
        if working is None:
            return self.draft_id
        if self.draft_id is None:
            draft_id = self._copying or self.drafts.new_id()
            self._copying = None
            try:
                sha256 = self.drafts.copy_document(draft_id, working.path)
            except OSError as exc:
                self._drop_copy(draft_id)
                raise UserError(
                    f"{working.path.name} can no longer be read ({exc.strerror or exc}), so "
                    "your changes cannot be kept as a draft: put the file back, or discard "
                    "them."
                ) from exc
            self._add(draft_id, sha256)
        else:
            self._write(self.draft_id, working)
        return self.draft_id

    def _add(self, draft_id: str, sha256: str) -> None:
        working = self._current()
        if working is None:
            self.drafts.delete(draft_id)
            return
        self.drafts.add(
            draft_id,
            source=working.path,
            sha256=sha256,
            page_count=working.info.page_count,
            provider=working.provider,
            render_id=working.render_id,
            spec=working.spec,
        )
        self.draft_id = draft_id

    def _drop_copy(self, draft_id: str) -> None:
        """Remove a copy that no draft was recorded for."""
        if not self.drafts.exists(draft_id):
            self.drafts.delete(draft_id)

    def _write(self, draft_id: str, working: Working) -> None:
        self.drafts.save(
            draft_id, provider=working.provider, render_id=working.render_id, spec=working.spec
        )

    # --- leaving the document -------------------------------------------------------------------

    def save_and_release(self) -> None:
        """Keep the work as a saved draft (listed, reopened later)."""
        if self.changed:
            self.flush()
        if self.draft_id is not None and self.drafts.exists(self.draft_id):
            self.drafts.set_state(self.draft_id, "saved")
        self._forget()

    def keep(self) -> None:
        """Leave the document without asking: changes are kept as a saved draft (if that
        cannot be done, the log says why; nobody is there to ask)."""
        try:
            self.save_and_release()
        except SealboxError as exc:
            log.warning("unsent changes were not kept: %s", exc.message)
            self._forget()

    def discard(self) -> None:
        """Leave the document and throw its draft away."""
        self._timer.stop()
        if self.draft_id is not None:
            self.drafts.delete(self.draft_id)
        self._forget()

    def sent(self, *, in_store: bool = True) -> None:
        """The request was sent: its draft has done its work. Not ``in_store`` (the send was
        kept on the desk while the shared store cannot be reached): the draft is left for the
        kept send's commit to delete."""
        if in_store:
            self.discard()
        else:
            self._forget()

    def _forget(self) -> None:
        self._generation += 1
        self._timer.stop()
        self._copying = None
        self.draft_id = None
        self.changed = False


# --- questions ----------------------------------------------------------------------------------


def ask_unsaved(parent: QWidget, name: str) -> Answer:
    """Save Draft / Discard / Cancel for work that was not sent."""
    answer = _ask(
        parent,
        "unsavedWork",
        "Keep your work?",
        f"<b>{_html(name)} has not been sent.</b>",
        "Save it as a draft to finish it later (it is listed in Prepare), or discard your changes.",
        [
            ("save", "Save Draft", QMessageBox.ButtonRole.AcceptRole),
            ("discard", "Discard", QMessageBox.ButtonRole.DestructiveRole),
            ("cancel", "Cancel", QMessageBox.ButtonRole.RejectRole),
        ],
    )
    return "save" if answer == "save" else "discard" if answer == "discard" else "cancel"


def ask_restore(parent: QWidget, draft: Draft) -> Restore:
    """After a crash: restore the work, keep it in Drafts for later, or discard it."""
    people = len(draft.spec.recipients)
    fields = len(draft.spec.fields)
    answer = _ask(
        parent,
        "restoreDraft",
        "Restore your work?",
        f"<b>Sealbox closed before you had finished {_html(draft.title)}.</b>",
        f"{draft.document_name}: {people} recipient{'s' if people != 1 else ''}, {fields} "
        f"field{'s' if fields != 1 else ''}, last changed {when_text(draft.updated_at)}. "
        "Restore it now, keep it in Drafts for later, or discard it.",
        [
            ("restore", "Restore", QMessageBox.ButtonRole.AcceptRole),
            ("keep", "Keep in Drafts", QMessageBox.ButtonRole.RejectRole),
            ("discard", "Discard", QMessageBox.ButtonRole.DestructiveRole),
        ],
    )
    return "restore" if answer == "restore" else "discard" if answer == "discard" else "keep"


def _ask(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    informative: str,
    buttons: list[tuple[str, str, QMessageBox.ButtonRole]],
) -> str:
    """Ask with ``buttons`` (key, label, role): the first is the default, the one whose role
    is RejectRole answers Escape. Returns the key of the button clicked."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(informative)
    made = {key: box.addButton(label, role) for key, label, role in buttons}
    box.setDefaultButton(made[buttons[0][0]])
    escape = next(key for key, _, role in buttons if role == QMessageBox.ButtonRole.RejectRole)
    box.setEscapeButton(made[escape])
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return next((key for key, button in made.items() if button is clicked), escape)


def confirm_again(parent: QWidget, earlier: Sequence[Request]) -> bool:
    """The same document to the same people again: only as a deliberate choice."""
    last = earlier[0]
    people = and_list([r.name or r.email for r in last.spec.recipients])
    box = QMessageBox(parent)
    box.setObjectName("sendAgain")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Send it again?")
    box.setText(f"<b>You already sent this document to {_html(people)}.</b>")
    more = (
        f" (and {len(earlier) - 1} more time{'s' if len(earlier) > 2 else ''})"
        if len(earlier) > 1
        else ""
    )
    box.setInformativeText(
        f"{last.name!r} was sent on {when_text(last.created_at)}{more} and "
        f"{STANDING[last.status]}. Sending again makes a second request: the recipients are "
        "asked to sign twice."
    )
    again = box.addButton("Send Again", QMessageBox.ButtonRole.AcceptRole)
    keep = box.addButton("Don't Send", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return clicked is again


#: How a request stands, after "… was sent on 6 Dec 2026 at 12:26 and".
STANDING: dict[Status, str] = {
    Status.QUEUED: "is still being sent",
    Status.RECONCILING: "is still being sent",
    Status.SENT: "is waiting for signatures",
    Status.VIEWED: "is waiting for signatures",
    Status.COMPLETED: "has been signed by everyone",
    Status.DECLINED: "was declined",
    Status.EXPIRED: "has expired",
    Status.CANCELLED: "was cancelled",
    Status.FAILED: "could not be sent",
}


def when_text(moment: datetime) -> str:
    """ "6 Dec 2026 at 12:26", in this computer's time zone."""
    local = moment.astimezone()
    return f"{local.day} {local:%b %Y at %H:%M}"


def and_list(items: Sequence[str]) -> str:
    """ "Jane Doe", "Jane Doe and Bob Roe", "Ann, Bob and Cy"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
