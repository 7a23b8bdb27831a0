"""The editor place: open a PDF, add recipients, place fields and anchors, check, send.

The widget owns the editor document and its undo stack; the page view, the thumbnails and the
panels all mirror that document. Sending runs the same service as ``sealbox send`` (check, outbox
with an idempotency key, deliver) through the async bridge, so the window never freezes
(:mod:`.sending`). The toolbar, the signed-PDF banner, the text index with the anchors' matches and
the template actions are modules of their own (:mod:`.toolbar`, :mod:`.banner`, :mod:`.matches`,
:mod:`.templates`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.domain.editing import Change, EditorDocument, FieldId, parse_page_range
from app.domain.geometry import Rect
from app.domain.model import FieldType, Recipient, Request, RequestSpec
from app.errors import SealboxError
from app.pdf.document import PdfInfo, check_pdf
from app.pdf.textindex import TextIndex
from app.providers.anchors import scanned_hint
from app.providers.base import Provider
from app.services.checks import Problem, Target, errors, preflight
from app.services.desk_outbox import KeptSend
from app.store.drafts import Draft
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.commands import Editing
from app.ui.editor.anchors import AnchorsPanel
from app.ui.editor.banner import SignedBanner
from app.ui.editor.draft_actions import DraftActions
from app.ui.editor.drafting import DraftKeeper, Working, confirm_again
from app.ui.editor.matches import Matches
from app.ui.editor.palette import FieldPalette
from app.ui.editor.preflight import PreflightPanel
from app.ui.editor.properties import PropertiesPanel
from app.ui.editor.recipients import RecipientsPanel
from app.ui.editor.request_form import RequestForm
from app.ui.editor.sending import Delivery, Job
from app.ui.editor.side import ANCHORS_TAB, CHECK_TAB, FIELDS_TAB, RECIPIENTS_TAB, SidePanel
from app.ui.editor.signatures_tab import SignaturesTab
from app.ui.editor.states import EmptyPage, SentPage, recent_files, remember_recent
from app.ui.editor.templates import TemplateActions
from app.ui.editor.toolbar import EditorToolbar
from app.ui.editor.view import EditorView
from app.ui.pdfview.thumbnails import ThumbnailStrip
from app.ui.style import recipient_color

log = logging.getLogger(__name__)

PREFLIGHT_DELAY_MS = 120


class EditorWidget(DraftActions, QWidget):
    """Everything needed to prepare one PDF for signature."""

    #: A request was sent (its id).
    sent = Signal(str)
    #: A send was kept on this desk (the shared store could not be reached).
    kept = Signal()
    #: The open document changed: its file name, or "" when closed.
    documentChanged = Signal(str)
    #: A short message for the status bar.
    statusMessage = Signal(str)
    #: The user asked to see a request in Requests (its id).
    showRequest = Signal(str)

    def __init__(
        self, ctx: Context, bridge: AsyncBridge, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.settings = settings
        self.path: Path | None = None
        self.info: PdfInfo | None = None
        self.doc = EditorDocument()
        self.editing = Editing(self.doc, self)
        self.provider_id = ctx.default_provider
        self.problems: list[Problem] = []
        self.delivery = Delivery(ctx, bridge)

        self.view = EditorView(self.editing)
        self.thumbnails = ThumbnailStrip(self.view)
        self.field_palette = FieldPalette()
        self.request_form = RequestForm(self.editing)
        self.recipients = RecipientsPanel(self.editing, self._completions())
        self.properties = PropertiesPanel(self.editing)
        self.matches = Matches(bridge, self.doc, self.view, self._index_ready, self)
        self.anchors = AnchorsPanel(self.editing, self.matches.count)
        self.preflight_panel = PreflightPanel()
        self.drafts = ctx.store.drafts
        self.keeper = DraftKeeper(self.drafts, bridge, self._working, self)
        self.template_actions = TemplateActions(
            self, lambda: self.ctx.store.templates, self.editing, settings, lambda: self.info
        )

        self._build_toolbar()
        self._build_layout()
        self._connect()
        self._preflight_timer = QTimer(self)
        self._preflight_timer.setSingleShot(True)
        self._preflight_timer.setInterval(PREFLIGHT_DELAY_MS)
        self._preflight_timer.timeout.connect(self.run_preflight)
        self.doc.subscribe(self._document_edited)
        self.set_provider(self.provider_id)
        self._show_empty()

    def _trust_roots(self) -> Sequence[bytes]:
        from app.archive.audit import trust_roots

        return trust_roots(self.ctx)

    @property
    def text_index(self) -> TextIndex | None:
        """The open document's text index, None until it has been read."""
        return self.matches.text_index

    # --- building -------------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        self.undo_action = self.editing.undo_action(self)
        self.redo_action = self.editing.redo_action(self)
        self.toolbar = EditorToolbar(self.editing, self.view)
        self.toolbar.message.connect(self.statusMessage)
        self.zoom_box = self.toolbar.zoom_box
        self.page_label = self.toolbar.page_label

    def _build_layout(self) -> None:
        self.side = SidePanel(
            self.doc,
            self.request_form,
            self.recipients,
            self.field_palette,
            self.properties,
            self.anchors,
            self.preflight_panel,
        )
        self.tabs = self.side.tabs
        self.signatures = SignaturesTab(self.tabs, self.view, self.bridge, self._trust_roots)
        self.provider_box = self.side.provider_box
        self.render_id = self.side.render_id
        self.send_button = self.side.send_button
        self.check_status = self.side.check_status

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.thumbnails)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setCollapsible(2, False)
        self.splitter.setSizes([150, 700, 360])

        self.empty = EmptyPage()
        self.open_button = self.empty.open_button
        self.sent_page = SentPage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.sent_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        self.signed_banner = SignedBanner()
        layout.addWidget(self.signed_banner)
        layout.addWidget(self.stack, 1)

    def _connect(self) -> None:
        self.empty.openRequested.connect(self.choose_file)
        self.empty.recentChosen.connect(lambda path: self.request_open(Path(path)))
        self.empty.draftChosen.connect(self.request_open_draft)
        self.empty.draftDeleteRequested.connect(self.delete_draft)
        self.sent_page.showRequest.connect(self.showRequest)
        self.sent_page.prepareAnother.connect(self._prepare_another)
        self.provider_box.currentIndexChanged.connect(self._provider_chosen)
        self.render_id.textChanged.connect(self._render_id_edited)
        self.send_button.clicked.connect(self.send)
        self.field_palette.armed.connect(self.view.arm)
        self.view.armedChanged.connect(self.field_palette.show_armed)
        self.view.selectionChanged.connect(self._selection_changed)
        self.view.currentPageChanged.connect(self._page_changed)
        self.recipients.currentRecipientChanged.connect(self._recipient_chosen)
        self.side.recipientChosen.connect(self.recipients.set_current)
        self.anchors.searchTextChanged.connect(self.matches.set_search)
        self.anchors.jumpRequested.connect(self.matches.jump)
        self.matches.positionChanged.connect(self.anchors.set_match_position)
        self.preflight_panel.problemActivated.connect(self.reveal)
        self.template_actions.message.connect(self.statusMessage)
        self.template_actions.applied.connect(lambda: self.view.layer.select([]))
        self.view.layer.on_changed = None

    # --- documents ------------------------------------------------------------------------------

    def _completions(self) -> list[tuple[str, str, str]]:
        try:
            return self.ctx.store.known_recipients.recent()
        except SealboxError as exc:
            log.warning("no recipient completions: %s", exc.message)
            return []

    def choose_file(self) -> None:
        if not self.confirm_leave():
            return
        start = str(self.settings.value("lastFolder", str(Path.home())))
        name, _ = QFileDialog.getOpenFileName(self, "Open a PDF", start, "PDF files (*.pdf)")
        if name:
            self.open_file(Path(name))

    def request_open(self, path: Path) -> bool:
        """Open ``path`` as the user asked (a recent document, a drop): unsent work is saved as
        a draft or discarded first, as the user says."""
        return self.confirm_leave() and self.open_file(path)

    def open_file(self, path: Path) -> bool:
        """Open ``path`` for editing; a bad PDF is refused with its message, nothing changes.
        Unsent work on the document open before is kept as a draft."""
        try:
            info = check_pdf(path)
        except SealboxError as exc:
            QMessageBox.warning(self, "Cannot open this PDF", exc.message)
            return False
        self.keep_work()
        self.settings.setValue("lastFolder", str(path.parent))
        remember_recent(self.settings, path)
        self._load(
            path,
            info,
            RequestSpec(name=info.title or path.stem, recipients=(Recipient("", "", ""),)),
        )
        return True

    def _load(
        self,
        path: Path,
        info: PdfInfo,
        spec: RequestSpec,
        draft: Draft | None = None,
        provider: str | None = None,
        render_id: str | None = None,
    ) -> None:
        self.view.show_anchor_fields([])
        self.view.show_highlights([])
        self.view.layer.clear()
        self.path, self.info = path, info
        self.matches.forget()
        self.doc.pages = list(info.pages)
        self.doc.load(spec)
        if provider is not None:
            self.set_provider(provider)
        self.render_id.blockSignals(True)
        self.render_id.setText(render_id or "")
        self.render_id.blockSignals(False)
        self.stack.setCurrentWidget(self.splitter)
        self.toolbar.set_document_open(True)
        self.view.set_document(path, info.pages)
        self.view.layer.rebuild()
        self.view.fit_width()  # kept as the window is resized, until a zoom is chosen
        self.toolbar.show_zoom(self.view.zoom)
        self.editing.reset()
        self.keeper.started(draft)
        self.delivery.renew()
        self.recipients.set_current(0)
        self._page_changed(1)
        self.documentChanged.emit(draft.document_name if draft is not None else path.name)
        log.info("opened %s: %d pages", path.name, info.page_count)
        self.statusMessage.emit(
            f"{path.name}: {info.page_count} page{'s' if info.page_count != 1 else ''}"
        )
        self.signed_banner.show_signatures(info)
        self.signatures.show_for(path, info)
        self.matches.read(path, self.doc.ocr_anchors)
        self.run_preflight()
        self.view.setFocus()

    def _clear_document(self) -> None:
        self.signed_banner.hide()
        self.signatures.clear()
        self.view.show_anchor_fields([])
        self.view.show_highlights([])
        self.view.layer.clear()
        self.view.close_document()
        self.path = self.info = None
        self.matches.forget()
        self.doc.pages = []
        self.doc.load(RequestSpec(name="", recipients=()))
        self.editing.reset()
        self.keeper.started(None)
        # The next document opens fitted to the width; nothing here speaks of the old one.
        self.view.fit_width()
        self._page_changed(0)
        self.documentChanged.emit("")

    def close_document(self) -> None:
        """Close the document; unsent changes are kept as a draft (nothing is ever lost)."""
        self.keep_work()
        self._clear_document()
        self._show_empty()

    def request_close(self) -> bool:
        """Close as the user asked (Ctrl+W): unsent work is saved or discarded as they say."""
        if not self.confirm_leave():
            return False
        self._clear_document()
        self._show_empty()
        return True

    # --- drafts ---------------------------------------------------------------------------------

    def _working(self) -> Working | None:
        if self.path is None or self.info is None:
            return None
        return Working(
            self.path,
            self.info,
            self.doc.to_spec(),
            self.provider_id,
            self.render_id.text().strip() or None,
        )

    def _say(self, text: str) -> None:
        self.statusMessage.emit(text)

    def _show_empty(self) -> None:
        if self.path is not None:
            return
        self.empty.set_recent(self.recent_files())
        try:
            drafts = self.drafts.all()
        except SealboxError as exc:
            log.warning("cannot list the drafts: %s", exc.message)
            drafts = []
        self.empty.set_drafts(drafts)
        self.stack.setCurrentWidget(self.empty)
        self.send_button.setEnabled(False)
        self.toolbar.set_document_open(False)

    def recent_files(self) -> list[str]:
        return recent_files(self.settings)

    def _index_ready(self, path: Path, index: TextIndex) -> None:
        if path != self.path:
            return  # another document was opened meanwhile
        self.matches.text_index = index
        self.anchors.refresh_counts()
        self.matches.update()
        self.run_preflight()

    # --- provider and preflight -----------------------------------------------------------------

    def provider(self) -> Provider:
        return self.ctx.provider(self.provider_id)

    def set_provider(self, pid: str) -> None:
        """Choose the provider; unsupported fields are marked, never deleted."""
        self.provider_id = pid
        index = self.provider_box.findData(pid)
        if index >= 0 and index != self.provider_box.currentIndex():
            self.provider_box.blockSignals(True)
            self.provider_box.setCurrentIndex(index)
            self.provider_box.blockSignals(False)
        caps = self.provider().capabilities
        self.field_palette.set_supported(caps.field_types, caps.name)
        self.view.layer.set_supported(caps.field_types)
        self.properties.set_supported(caps.field_types, caps.name)
        self.render_id.setVisible(caps.needs_render_id)
        self.run_preflight()

    def _document_edited(self, change: Change) -> None:
        if change.anchors or change.recipients:
            self.matches.update()
        if change.anchors and self.path is not None and self.doc.ocr_anchors != self.matches.ocr:
            # the OCR option changed: read the text again
            self.matches.read(self.path, self.doc.ocr_anchors)
        self._preflight_timer.start()
        self.keeper.touch()

    def _provider_chosen(self, _index: int) -> None:
        self.set_provider(str(self.provider_box.currentData()))
        self.keeper.touch()

    def _render_id_edited(self, _text: str) -> None:
        self._preflight_timer.start()
        self.keeper.touch()

    def run_preflight(self) -> list[Problem]:
        self._preflight_timer.stop()
        if self.path is None:
            self.problems = []
            self.preflight_panel.set_problems([])
            self.send_button.setEnabled(False)
            return []
        render_id = self.render_id.text().strip() or None
        try:
            hint = (
                scanned_hint(self.text_index, self.doc.ocr_anchors, in_app=True)
                if self.text_index is not None
                else ""
            )
            problems = preflight(
                self.doc,
                self.info,
                self.provider(),
                self.matches.counts(),
                render_id=render_id,
                anchor_hint=hint,
            )
        except SealboxError as exc:
            problems = [Problem((), exc.message, Target("provider", None))]
        self.problems = problems
        self.preflight_panel.set_problems(problems)
        self.side.set_problems(problems)
        self.view.layer.set_problems(
            frozenset(
                p.target.index
                for p in errors(problems)
                if p.target.kind == "field" and p.target.index is not None
            )
        )
        count = len(errors(problems))
        self.send_button.setEnabled(not count and not self.sending)
        self.send_button.setToolTip(
            "Send this request"
            if not count
            else f"{count} problem{'s' if count != 1 else ''} to fix first: see Check"
        )
        return problems

    def show_check(self) -> None:
        self.run_preflight()
        self.side.show_tab(CHECK_TAB)

    def reveal(self, target: Target) -> None:
        """Jump to what a preflight problem is about."""
        if target.kind == "field" and target.index is not None:
            self.view.reveal_field(FieldId(target.index))
            self.side.show_tab(FIELDS_TAB)
        elif target.kind == "recipient" and target.index is not None:
            self.side.show_tab(RECIPIENTS_TAB)
            self.recipients.set_current(target.index)
        elif target.kind == "anchor":
            self.side.show_tab(ANCHORS_TAB)
            if target.index is not None:
                self.anchors.select(target.index)
        elif target.kind == "request":
            self.side.show_tab(RECIPIENTS_TAB)
            self.request_form.setFocus()

    # --- view reactions -------------------------------------------------------------------------

    def _selection_changed(self, ids: list[FieldId]) -> None:
        self.properties.set_selection(ids)
        if ids:
            self.side.show_tab(FIELDS_TAB)

    def _recipient_chosen(self, index: int) -> None:
        self.view.current_recipient = max(index, 0)
        self.field_palette.set_colour(recipient_color(max(index, 0)))
        self.side.set_recipient(index)

    def _page_changed(self, page: int) -> None:
        self.toolbar.show_page(page, self.info.page_count if self.info is not None else None)

    # --- edit actions (menus) -------------------------------------------------------------------

    def copy_to_all_pages(self) -> None:
        if self.info is not None:
            self.view.copy_to_pages(list(range(1, self.info.page_count + 1)))

    def copy_to_page_range(self) -> None:
        if self.info is None or not self.view.selected_ids():
            return
        text, ok = QInputDialog.getText(
            self, "Copy to pages", f"Pages (1–{self.info.page_count}), e.g. 2-5, 8:"
        )
        if not ok:
            return
        try:
            pages = parse_page_range(text, self.info.page_count)
        except ValueError as exc:
            QMessageBox.warning(self, "Copy to pages", str(exc))
            return
        self.view.copy_to_pages(pages)

    # --- templates ------------------------------------------------------------------------------

    def save_template(self) -> None:
        self.template_actions.save()

    def apply_template(self, name: str | None = None, *, confirm: bool = True) -> bool:
        return self.template_actions.apply(name, confirm=confirm)

    def export_template(self) -> None:
        self.template_actions.export()

    # --- sending --------------------------------------------------------------------------------

    def send(self) -> None:
        """Send the request through the chosen provider, off the UI thread. The same document
        to the same people again is sent only when the user says so."""
        if self.path is None or self.sending or errors(self.run_preflight()):
            return
        if self.info is not None:
            earlier = self.delivery.earlier(
                self.info.sha256, [r.email for r in self.doc.recipients]
            )
            if earlier and not confirm_again(self, earlier):
                self.statusMessage.emit("Not sent: it was sent before.")
                return
        self.send_button.setEnabled(False)
        self.send_button.setText("Sending…")
        self.statusMessage.emit(
            f"Sending {self.doc.name!r} through {self.provider().capabilities.name}…"
        )
        self.delivery.start(self._job, self._sent, self._send_failed)

    @property
    def sending(self) -> bool:
        return self.delivery.busy

    def _job(self) -> Job:
        assert self.path is not None
        return Job(
            self.path,
            self.doc.to_spec(),
            self.provider_id,
            self.render_id.text().strip() or None,
            self.keeper.draft_id,
        )

    def _finish_sending(self, error: BaseException | None) -> None:
        self.delivery.finished(error)
        self.send_button.setText("Send for signature")
        self.run_preflight()

    def _sent(self, outcome: Request | KeptSend) -> None:
        self._finish_sending(None)
        # Sent: the draft has done its work (kept to be sent: it is deleted with the commit, as
        # the store cannot be reached now), and the document is not left under a live Send.
        self.keeper.sent(in_store=not isinstance(outcome, KeptSend))
        self._clear_document()
        self.stack.setCurrentWidget(self.sent_page)
        self.send_button.setEnabled(False)
        self.toolbar.set_document_open(False)
        if isinstance(outcome, KeptSend):
            address = self.ctx.store_address.address
            host = address.place if address is not None else "the server"
            self.sent_page.set_kept(outcome, self._provider_name(outcome.provider_id), host)
            self.statusMessage.emit(f"{outcome.name!r} waits on this desk for the shared store.")
            self.kept.emit()
            return
        request = outcome
        self.sent_page.set_request(request, self._provider_name(request.provider))
        self.recipients.set_completions(self._completions())  # the people just sent to
        self.statusMessage.emit(f"Sent {request.name!r}: {request.status.value}")
        self.sent.emit(request.id)

    def _provider_name(self, provider_id: str) -> str:
        return self.ctx.provider(provider_id).capabilities.name

    def _prepare_another(self) -> None:
        self._show_empty()
        self.choose_file()

    def _send_failed(self, exc: BaseException) -> None:
        self._finish_sending(exc)
        QMessageBox.warning(self, "Not sent", describe_error(exc))

    # --- helpers for tests and menus ------------------------------------------------------------

    def add_field(self, kind: FieldType, page: int, rect: Rect) -> FieldId | None:
        return self.view.add_field(kind, page, rect)

    def shutdown(self) -> None:
        self._preflight_timer.stop()
        self.anchors.shutdown()
        self.signatures.shutdown()
        self.view.close_document()
