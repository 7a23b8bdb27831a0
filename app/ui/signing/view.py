"""In-person signing on screen: the built-in provider's recipients sign here, one after another.

:class:`SigningView` walks a request through its signing order with the same service as
``sealbox sign`` (:class:`~app.services.in_person.InPersonSigning`):

1. It reads the working copy of the PDF off the UI thread and checks that it is still exactly
   what was sent (a damaged or changed copy is reported at once, before anyone signs).
2. Before each recipient a handover screen asks to pass the computer to them; **Start** opens
   their signing (they are recorded as having viewed it).
3. The document is shown with the recipient's fields active on their pages and everyone else's
   dimmed (:mod:`app.ui.signing.fields`). **Finish** (**Approve** for an Approver) is enabled
   once every required field is filled; **Decline…** asks for a reason.
4. Finishing hands the service the recipient's signature and what they gave in each field, as
   typed values; the service checks the turn and records it in one transaction. After the last
   recipient the document is stamped, sealed and certified (off the UI thread) and archived,
   with a progress screen; a failure there shows its message and keeps every signature (**Try
   again**, or the next check of the requests, completes it).

The screen shown is a :class:`SigningState`. Signals: ``finished(request_id, completed)`` when a
recipient other than the last finishes (``completed`` false) and when the request is sealed and
archived (``completed`` true); ``declined(request_id)``; ``stateChanged(state)`` for the screen
shown.

A request of another provider, or one already ended, shows why there is nothing to sign; a
completed request that is not archived yet is archived.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.archive.folder import Archived, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Recipient, Request
from app.errors import (
    NotFoundError,
    SealboxError,
    SealSetupError,
    SecretNeededError,
    UserError,
)
from app.pdf.document import PdfError, PdfInfo, check_pdf
from app.services.in_person import InPersonSigning
from app.services.send import document_path
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.desktop import NoFileManagerDialog, show_in_file_manager
from app.ui.signing.dialogs import DeclineDialog, SealPasswordDialog
from app.ui.signing.field_item import FieldEntry, SigningFieldItem
from app.ui.signing.fields import RecipientFields
from app.ui.signing.screens import (
    HandoverScreen,
    LoadingScreen,
    OutcomeScreen,
    SigningScreen,
    WorkingScreen,
)
from app.ui.signing.style import STYLE

log = logging.getLogger(__name__)

#: Said under an error after everyone has signed: the signatures are safe in the store.
KEPT = (
    "Every signature is saved. Press Try again once the problem is solved; Sealbox also "
    "completes the request by itself at its next check of the requests."
)


class SigningState(StrEnum):
    """The screen the signing shows."""

    LOADING = "loading"
    HANDOVER = "handover"
    SIGNING = "signing"
    WORKING = "working"
    COMPLETED = "completed"
    DECLINED = "declined"
    ERROR = "error"


def _read_document(path: Path, expected_sha256: str | None, name: str) -> PdfInfo:
    """Check the working copy (in a worker thread): readable, and exactly what was sent."""
    try:
        info = check_pdf(path)
    except NotFoundError as exc:
        raise UserError(
            f"The working copy of {name!r} is missing: it cannot be signed on this "
            "computer. Send the document again."
        ) from exc
    except PdfError as exc:
        raise UserError(
            f"The working copy of {name!r} is damaged and cannot be read: nothing "
            "was signed. Send the document again."
        ) from exc
    if expected_sha256 and info.sha256 != expected_sha256:
        raise UserError(
            f"The working copy of {name!r} no longer matches what was sent: it "
            "cannot be signed. Send the document again."
        )
    return info


class SigningView(QWidget):
    """Everyone signs a request of the built-in provider in person, in signing order (see the
    module docstring)."""

    finished = Signal(str, bool)
    declined = Signal(str)
    stateChanged = Signal(str)

    def __init__(
        self, ctx: Context, bridge: AsyncBridge, request_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.signing = InPersonSigning(ctx)
        self.request_id = ctx.requests.resolve_id(request_id)
        self.request: Request = ctx.requests.get(self.request_id)
        self.recipient_index: int | None = None
        self.archived: Archived | None = None
        self._state = SigningState.LOADING
        self._retry: Callable[[], None] | None = None
        #: What Show in folder opened where no file manager could show the folder.
        self.folder_dialog: NoFileManagerDialog | None = None
        #: The password or PIN dialog while sealing waits for one.
        self.seal_dialog: SealPasswordDialog | None = None
        self.setStyleSheet(STYLE)
        self._build_screens()
        self.fields = RecipientFields(self.signing_screen, self)
        self._load()

    def _build_screens(self) -> None:
        self.handover = HandoverScreen()
        self.signing_screen = SigningScreen()
        self.working = WorkingScreen()
        self.outcome = OutcomeScreen()
        self._screens: dict[SigningState, QWidget] = {
            SigningState.LOADING: LoadingScreen(),
            SigningState.HANDOVER: self.handover,
            SigningState.SIGNING: self.signing_screen,
            SigningState.WORKING: self.working,
            # Completed and declined are outcomes too.
            SigningState.ERROR: self.outcome,
        }
        self.stack = QStackedWidget()
        for screen in self._screens.values():
            self.stack.addWidget(screen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        # The widgets a person uses, by name (the window and the tests reach them here).
        self.start_button = self.handover.start_button
        self.message_label = self.handover.message_label
        self.page_view = self.signing_screen.page_view
        self.banner = self.signing_screen.banner
        self.finish_button = self.signing_screen.finish_button
        self.decline_button = self.signing_screen.decline_button
        self.field_list = self.signing_screen.field_list
        self.progress_label = self.signing_screen.progress_label
        self.working_label = self.working.working_label
        self.outcome_title = self.outcome.outcome_title
        self.message = self.outcome.message
        self.detail = self.outcome.detail
        self.retry_button = self.outcome.retry_button
        self.folder_button = self.outcome.folder_button
        self.done_button = self.outcome.done_button
        self.start_button.clicked.connect(self.start)
        self.finish_button.clicked.connect(self.finish)
        self.decline_button.clicked.connect(self.ask_decline)
        self.retry_button.clicked.connect(self._run_retry)
        self.folder_button.clicked.connect(self._open_folder)
        self.done_button.clicked.connect(self.close_window)

    # --- public -----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The screen shown: a :class:`SigningState` (typed as its text, so that a caller's
        check of the state is not taken to hold after the next step)."""
        return self._state

    @property
    def recipient(self) -> Recipient | None:
        if self.recipient_index is None:
            return None
        return self.request.spec.recipients[self.recipient_index]

    @property
    def handover_text(self) -> str:
        """What the handover screen says, as plain text."""
        return self.handover.text

    @property
    def entries(self) -> dict[int, FieldEntry]:
        """The current recipient's fields and what they gave, by field index."""
        return self.fields.entries

    @property
    def items(self) -> dict[int, SigningFieldItem]:
        """Every field on the pages, by field index."""
        return self.fields.items

    @property
    def active_dialog(self) -> QDialog | None:
        """The dialog open over the signing screen (a signature, or declining)."""
        return self.fields.active_dialog

    @property
    def options_menu(self) -> QMenu | None:
        """The menu of a dropdown or radio field (or of a second signature field) while open."""
        return self.fields.options_menu

    def field_item(self, index: int) -> SigningFieldItem:
        return self.fields.items[index]

    def editor(self, index: int) -> QLineEdit | QPlainTextEdit:
        """The in-place editor of a text, text area or date field of the current recipient."""
        editor = self.fields.items[index].editor
        if editor is None:
            raise KeyError(f"field {index} has no editor")
        return editor

    def missing_fields(self) -> list[int]:
        """The current recipient's required fields that are not done, in reading order."""
        return self.fields.missing()

    def is_ready(self) -> bool:
        return self._state == SigningState.SIGNING and not self.missing_fields()

    def show_field(self, index: int, *, focus: bool = True) -> None:
        self.fields.show_field(index, focus=focus)

    def next_field(self) -> None:
        self.fields.next_field()

    def _set_state(self, state: SigningState) -> None:
        outcome = state in (SigningState.COMPLETED, SigningState.DECLINED)
        self.stack.setCurrentWidget(self._screens[SigningState.ERROR if outcome else state])
        self.fields.accepting = state == SigningState.SIGNING
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state.value)

    # --- the steps --------------------------------------------------------------------------------

    def _run(
        self,
        work: Coroutine[Any, Any, Any] | asyncio.Future[Any],
        on_done: Callable[[Any], None],
        label: str,
        retry: Callable[[], None] | None,
        detail: str = "",
        title: str = "The request cannot be completed yet",
    ) -> None:
        """Run ``work`` on the bridge; its error is shown on the error screen (with **Try
        again** running ``retry``, and ``detail`` under the message)."""

        def done(result: Any) -> None:
            if shiboken6.isValid(self):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._show_error(describe_error(exc), retry=retry, detail=detail, title=title)

        self.bridge.start(work, on_done=done, on_error=failed, label=label)

    def _load(self) -> None:
        """Check the working copy off the UI thread, then show the next step."""
        self._set_state(SigningState.LOADING)
        try:
            self.request = request = self.signing.load(self.request_id)
        except SealboxError as exc:  # another provider's request
            self._show_error(exc.for_app())
            return
        if request.status.terminal or request.status == Status.QUEUED:
            self._next_step()
            return
        path = document_path(self.ctx, request.id)
        self._run(
            self.bridge.run_blocking(_read_document, path, request.document_sha256, request.name),
            self._document_read,
            "Opening the document",
            self._load,
            title="The document cannot be opened",
        )

    def _document_read(self, info: PdfInfo) -> None:
        self.page_view.set_document(info.path, info.pages)
        self._next_step()

    def _next_step(self) -> None:
        """Whatever comes next: a recipient's handover, sealing, or the outcome."""
        self.recipient_index = None
        try:
            self.request = request = self.signing.load(self.request_id)
        except SealboxError as exc:
            self._show_error(exc.for_app())
            return
        index = request.next_recipient()
        if request.status == Status.COMPLETED:
            self._archive()
        elif request.status == Status.DECLINED:
            self._show_declined()
        elif request.status == Status.QUEUED:
            self._show_error(
                f"{request.name!r} has not been sent yet: Sealbox sends it at its "
                "next check of the requests; then press Try again.",
                retry=self._next_step,
            )
        elif request.status.terminal:
            self._show_error(
                f"{request.name!r} is {request.status.value}: nothing can be signed any more.",
                title="Nothing to sign",
            )
        elif self.signing.needs_finalizing(request):
            self._complete()
        elif index is None:
            self._show_error(f"Nobody is left to sign {request.name!r}.", title="Nothing to sign")
        else:
            self.recipient_index = index
            self.handover.show_recipient(request, index)
            self._set_state(SigningState.HANDOVER)
            self.start_button.setFocus()

    def start(self) -> None:
        """The recipient at the screen starts: record that they opened it, show their fields."""
        if self._state != SigningState.HANDOVER or self.recipient_index is None:
            return
        index = self.recipient_index
        try:
            self.request = self.signing.open(self.request_id, index).request
        except SealboxError as exc:
            self._show_error(exc.for_app(), retry=self._next_step)
            return
        self.fields.begin(self.request, index, self.ctx.requests.field_values(self.request_id))
        self.signing_screen.begin(self.request, index)
        self._set_state(SigningState.SIGNING)
        self.page_view.go_to_page(1)
        first = self.fields.reading_order()
        if first:
            # The first field in sight (the page scrolls no further than it must).
            self.fields.set_current(first[0], scroll=True)

    # --- finishing --------------------------------------------------------------------------------

    def finish(self) -> None:
        """Record the recipient's signing (or approval) with the service ``sealbox sign`` uses;
        after the last recipient, seal and archive."""
        if self._state != SigningState.SIGNING or self.recipient_index is None:
            return
        missing = self.missing_fields()
        if missing:
            self.signing_screen.show_banner(
                f"Fill in the required fields first ({len(missing)} left)."
            )
            self.show_field(missing[0])
            return
        index = self.recipient_index
        try:
            step = self.signing.sign(
                self.request_id, index, self.fields.signature(), self.fields.given()
            )
        except SealboxError as exc:
            self.signing_screen.show_banner(exc.for_app())
            return
        self.request = step.request
        log.info("request %s: recipient %d finished on screen", self.request_id, index)
        if step.needs_completing:
            self._complete()
            return
        self.finished.emit(self.request_id, False)
        self._next_step()

    def _complete(self) -> None:
        """Stamp, seal and certify off the UI thread, then archive."""
        self.recipient_index = None
        self._set_state(SigningState.WORKING)
        self.working_label.setText("Sealing the signed document…")
        self._run(
            self._complete_async(),
            self._completed,
            "Completing the request",
            self._complete,
            detail=KEPT,
        )

    async def _complete_async(self) -> Archived | SecretNeededError:
        # Loading the seal identity imports pyHanko and may create the installation's seal
        # certificate: both take a while, so they run in a worker before finalizing. A password
        # or PIN that is not kept is asked for (_ask_secret), then this runs again.
        try:
            identity = await self.bridge.run_blocking(self.signing.identity)
        except SecretNeededError as exc:
            return exc
        except SealSetupError as exc:
            if exc.part in ("password", "pin"):
                self.signing.entered.clear()  # wrong: Try again asks again
            raise
        identity.close()
        try:
            return await self.signing.complete_and_archive_async(self.request_id)
        finally:
            self.signing.entered.clear()  # used for this seal only

    def _ask_secret(self, needed: SecretNeededError) -> None:
        """Ask for the seal's password or PIN; sealing starts again with it (kept in the
        keyring only when the user ticks "Remember"). Cancel leaves every signature kept."""
        dialog = SealPasswordDialog(needed.asking, self)
        self.seal_dialog = dialog

        def answered(code: int) -> None:
            self.seal_dialog = None
            dialog.deleteLater()
            if code != QDialog.DialogCode.Accepted:
                self._show_error(needed.for_app(), retry=self._complete, detail=KEPT)
                return
            self.signing.entered[needed.secret] = dialog.secret()
            if dialog.remember.isChecked():
                try:
                    self.ctx.secrets.set(needed.secret, dialog.secret())
                except SealboxError as exc:
                    log.warning("the seal's secret was not kept: %s", exc)
            self._complete()

        dialog.finished.connect(answered)
        dialog.open()
        dialog.secret_edit.setFocus()

    def _archive(self) -> None:
        """A completed request: archive it (nothing to do if it is already)."""
        self._set_state(SigningState.WORKING)
        self.working_label.setText("Archiving the signed document…")
        self._run(
            archive_request_async(self.ctx, self.request_id),
            self._show_completed,
            "Archiving the request",
            self._archive,
            detail=KEPT,
        )

    def _completed(self, archived: Archived | SecretNeededError) -> None:
        if isinstance(archived, SecretNeededError):
            self._ask_secret(archived)
            return
        self._show_completed(archived)
        self.finished.emit(self.request_id, True)

    # --- declining --------------------------------------------------------------------------------

    def ask_decline(self) -> None:
        """Open the dialog that asks for the reason; **Decline** there declines."""
        recipient = self.recipient
        if self._state != SigningState.SIGNING or recipient is None:
            return
        dialog = DeclineDialog(self.request.name, recipient.name, self)
        dialog.accepted.connect(lambda: self.decline(dialog.reason()))
        dialog.finished.connect(lambda _code: self.fields.dialog_closed(dialog))
        dialog.finished.connect(lambda _code: dialog.deleteLater())
        self.fields.active_dialog = dialog
        dialog.open()
        dialog.reason_edit.setFocus()

    def decline(self, reason: str) -> None:
        """The current recipient declines for ``reason`` (required)."""
        if self._state != SigningState.SIGNING or self.recipient_index is None:
            return
        if not reason.strip():
            self.signing_screen.show_banner("Give a reason for declining.")
            return
        try:
            self.request = self.signing.decline(
                self.request_id, self.recipient_index, reason.strip()
            ).request
        except SealboxError as exc:
            self.signing_screen.show_banner(exc.for_app())
            return
        self._show_declined()
        self.declined.emit(self.request_id)

    # --- outcomes ---------------------------------------------------------------------------------

    def _leave_document(self) -> None:
        self.fields.clear()
        self.page_view.clear()

    def _show_outcome(
        self,
        kind: Literal["done", "declined", "error"],
        title: str,
        message: str,
        *,
        detail: str = "",
        retry: Callable[[], None] | None = None,
        folder: bool = False,
    ) -> None:
        self._retry = retry
        self.outcome.show_outcome(
            kind, title, message, detail=detail, retry=retry is not None, folder=folder
        )

    def _show_error(
        self,
        message: str,
        *,
        retry: Callable[[], None] | None = None,
        title: str = "This request cannot be signed here",
        detail: str = "",
    ) -> None:
        log.warning("signing %s: %s", self.request_id, message)
        self._show_outcome("error", title, message, detail=detail, retry=retry)
        self._set_state(SigningState.ERROR)

    def _show_completed(self, archived: Archived) -> None:
        self.archived = archived
        self._leave_document()
        self.request = self.ctx.requests.get(self.request_id)
        names = [self.request.spec.recipients[i].name for i in self.request.spec.signers_in_order()]
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        self._show_outcome(
            "done",
            "Everyone has signed",
            f"“{self.request.name}” was signed by {who}, sealed on this computer and "
            "archived with its completion certificate.",
            detail=str(archived.directory),
            folder=True,
        )
        self._set_state(SigningState.COMPLETED)

    def _show_declined(self) -> None:
        self._leave_document()
        request = self.ctx.requests.get(self.request_id)
        self.request = request
        who, reason = "A recipient", request.error_message or ""
        for i, state in enumerate(request.recipients):
            if state.declined_at is not None:
                who = request.spec.recipients[i].name
                reason = state.decline_reason or reason
        self._show_outcome(
            "declined",
            f"{who} declined",
            f"“{request.name}” was declined: nobody else will be asked to sign it.",
            detail=f"Reason: {reason}",
        )
        self._set_state(SigningState.DECLINED)

    def _run_retry(self) -> None:
        retry = self._retry
        if retry is not None:
            self._retry = None
            retry()

    def _open_folder(self) -> None:
        if self.archived is not None:
            self.folder_dialog = show_in_file_manager(self, self.archived.directory)

    def close_window(self) -> None:
        """Done: close the window the signing is in."""
        self.window().close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.page_view.close_document()
        super().closeEvent(event)
