"""The editor place: open a PDF, add recipients, place fields and anchors, check, send.

The widget owns the editor document and its undo stack; the page view, the thumbnails and the
panels all mirror that document. Sending runs the same service as ``sealbox send`` (check, outbox
with an idempotency key, deliver) through the async bridge, so the window never freezes.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.domain.editing import Change, EditorDocument, FieldId, parse_page_range
from app.domain.geometry import Rect, field_at_anchor
from app.domain.lifecycle import Status
from app.domain.model import FieldType, Recipient, Request, RequestSpec
from app.errors import SealboxError, UnavailableError
from app.pdf.document import PdfInfo, check_pdf
from app.pdf.signatures import describe
from app.pdf.textindex import TextIndex
from app.providers.anchors import scanned_hint
from app.providers.base import KEEPS_SIGNATURES, Provider
from app.services import send as send_service
from app.services.checks import Problem, Target, errors, preflight
from app.store.drafts import Draft
from app.store.templates import Templates, apply_to, compatibility
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.commands import Editing
from app.ui.editor.anchors import AnchorsPanel
from app.ui.editor.drafting import DraftKeeper, Working, ask_restore, ask_unsaved, confirm_again
from app.ui.editor.palette import FieldPalette
from app.ui.editor.preflight import PreflightPanel
from app.ui.editor.previews import AnchorField
from app.ui.editor.properties import PropertiesPanel
from app.ui.editor.recipients import RecipientsPanel
from app.ui.editor.request_form import RequestForm
from app.ui.editor.side import ANCHORS_TAB, CHECK_TAB, FIELDS_TAB, RECIPIENTS_TAB, SidePanel
from app.ui.editor.states import EmptyPage, SentPage
from app.ui.editor.view import EditorView
from app.ui.style import SIGNED_BANNER_STYLE, recipient_color
from app.ui.thumbnails import ThumbnailStrip

log = logging.getLogger(__name__)

ZOOM_CHOICES = (50, 75, 100, 125, 150, 200, 300, 400)
PREFLIGHT_DELAY_MS = 120


class EditorWidget(QWidget):
    """Everything needed to prepare one PDF for signature."""

    #: A request was sent (its id).
    sent = Signal(str)
    #: The open document changed: its file name, or "" when closed.
    documentChanged = Signal(str)
    #: A short message for the status bar.
    statusMessage = Signal(str)
    #: The user asked to see a request in Requests (its id).
    showRequest = Signal(str)

    def __init__(self, ctx: Context, bridge: AsyncBridge, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.settings = settings
        self.path: Path | None = None
        self.info: PdfInfo | None = None
        self.text_index: TextIndex | None = None
        self.doc = EditorDocument()
        self.editing = Editing(self.doc, self)
        self.provider_id = ctx.default_provider
        self.problems: list[Problem] = []
        self.sending = False
        self._send_key = str(uuid.uuid4())
        self._search_text = ""
        #: Counts text index builds, so only the latest one's result is used.
        self._index_generation = 0
        #: Whether the current (or pending) text index read scanned pages by OCR.
        self._index_ocr = False
        self._jump_index = -1

        self.view = EditorView(self.editing)
        self.thumbnails = ThumbnailStrip(self.view)
        self.field_palette = FieldPalette()
        self.request_form = RequestForm(self.editing)
        self.recipients = RecipientsPanel(self.editing, self._completions())
        self.properties = PropertiesPanel(self.editing)
        self.anchors = AnchorsPanel(self.editing, self._count_matches)
        self.preflight_panel = PreflightPanel()
        self.drafts = ctx.store.drafts
        self.keeper = DraftKeeper(self.drafts, bridge, self._working, self)

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

    # --- building -------------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QToolBar("Editor")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar = bar
        self.undo_action = self.editing.undo_action(self)
        self.redo_action = self.editing.redo_action(self)
        # The toolbar keeps short names; the Edit menu says what would be undone.
        for text, tip, slot, signal in (
                ("Undo", "Undo (Ctrl+Z)", self.editing.undo,
                 self.editing.stack.canUndoChanged),
                ("Redo", "Redo (Ctrl+Shift+Z)", self.editing.redo,
                 self.editing.stack.canRedoChanged)):
            button = QAction(text, self)
            button.setToolTip(tip)
            button.setEnabled(False)
            button.triggered.connect(lambda _checked=False, step=slot: step())
            signal.connect(button.setEnabled)
            bar.addAction(button)
        bar.addSeparator()
        self.zoom_out_action = QAction("−", self)
        self.zoom_out_action.setToolTip("Zoom out (Ctrl+−)")
        self.zoom_out_action.triggered.connect(self.view.zoom_out)
        self.zoom_in_action = QAction("+", self)
        self.zoom_in_action.setToolTip("Zoom in (Ctrl++)")
        self.zoom_in_action.triggered.connect(self.view.zoom_in)
        self.zoom_box = QComboBox()
        self.zoom_box.setEditable(True)
        self.zoom_box.setMinimumContentsLength(9)
        self.zoom_box.addItems(["Fit width", "Fit page"] + [f"{z}%" for z in ZOOM_CHOICES])
        self.zoom_box.setToolTip("Zoom: pick a size or type a percentage")
        self.zoom_box.textActivated.connect(self._zoom_chosen)
        bar.addAction(self.zoom_out_action)
        bar.addWidget(self.zoom_box)
        bar.addAction(self.zoom_in_action)
        bar.addSeparator()
        self.page_label = QLabel("")
        bar.addWidget(self.page_label)

    def _build_layout(self) -> None:
        self.side = SidePanel(self.doc, self.request_form, self.recipients, self.field_palette,
                              self.properties, self.anchors, self.preflight_panel)
        self.tabs = self.side.tabs
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
        self.signed_banner = QLabel("")
        self.signed_banner.setObjectName("signedBanner")
        self.signed_banner.setWordWrap(True)
        self.signed_banner.setStyleSheet(SIGNED_BANNER_STYLE)
        self.signed_banner.hide()
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
        self.view.zoomChanged.connect(self._zoom_changed)
        self.view.currentPageChanged.connect(self._page_changed)
        self.recipients.currentRecipientChanged.connect(self._recipient_chosen)
        self.side.recipientChosen.connect(self.recipients.set_current)
        self.anchors.searchTextChanged.connect(self._search_changed)
        self.anchors.jumpRequested.connect(self.jump_to_match)
        self.preflight_panel.problemActivated.connect(self.reveal)
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
        self._remember_recent(path)
        self._load(path, info, RequestSpec(name=info.title or path.stem,
                                           recipients=(Recipient("", "", ""),)))
        return True

    def _load(self, path: Path, info: PdfInfo, spec: RequestSpec, draft: Draft | None = None,
              provider: str | None = None, render_id: str | None = None) -> None:
        self.view.show_anchor_fields([])
        self.view.show_highlights([])
        self.view.layer.clear()
        self.path, self.info, self.text_index = path, info, None
        self.doc.pages = list(info.pages)
        self.doc.load(spec)
        if provider is not None:
            self.set_provider(provider)
        self.render_id.blockSignals(True)
        self.render_id.setText(render_id or "")
        self.render_id.blockSignals(False)
        self.stack.setCurrentWidget(self.splitter)
        self._document_controls(True)
        self.view.set_document(path, info.pages)
        self.view.layer.rebuild()
        self.view.fit_width()  # kept as the window is resized, until a zoom is chosen
        self._zoom_changed(self.view.zoom)
        self.editing.reset()
        self.keeper.started(draft)
        self._send_key = str(uuid.uuid4())
        self.recipients.set_current(0)
        self._page_changed(1)
        self.documentChanged.emit(draft.document_name if draft is not None else path.name)
        log.info("opened %s: %d pages", path.name, info.page_count)
        self.statusMessage.emit(f"{path.name}: {info.page_count} page"
                                f"{'s' if info.page_count != 1 else ''}")
        self._show_signatures(info)
        self._read_text(path)
        self.run_preflight()
        self.view.setFocus()

    def _read_text(self, path: Path) -> None:
        """Build the document's text index in the background (by OCR too, where asked)."""
        self._index_generation += 1
        generation = self._index_generation
        ocr = self._index_ocr = self.doc.ocr_anchors

        def ready(index: TextIndex) -> None:
            if generation == self._index_generation:
                self._index_ready(path, index)

        self.bridge.start(self.bridge.run_blocking(lambda: TextIndex.build(path, ocr=ocr)),
                          on_done=ready,
                          label=("Reading scanned pages (OCR)" if ocr else
                                 "Reading the document's text"))

    def _show_signatures(self, info: PdfInfo) -> None:
        """The banner that says the PDF is already signed, and by whom."""
        signatures = info.signatures
        if not signatures:
            self.signed_banner.hide()
            return
        count = len(signatures)
        what = "a digital signature" if count == 1 else f"{count} digital signatures"
        self.signed_banner.setText(
            f"This PDF is already signed by {describe(signatures)} ({what}). Sending it "
            f"{KEEPS_SIGNATURES} keeps the signature valid; Check says if the service you chose "
            "would break it.")
        self.signed_banner.setToolTip("\n".join(
            f"{s.field_name}: {s.signer}" + (f", {s.signed_at:%d %B %Y}" if s.signed_at else "")
            for s in signatures))
        self.signed_banner.show()

    def _clear_document(self) -> None:
        self.signed_banner.hide()
        self.view.show_anchor_fields([])
        self.view.show_highlights([])
        self.view.layer.clear()
        self.view.close_document()
        self.path = self.info = self.text_index = None
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
        return Working(self.path, self.info, self.doc.to_spec(), self.provider_id,
                       self.render_id.text().strip() or None)

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
        answer = ask_unsaved(self, repr(self.doc.name.strip() or (
            self.path.name if self.path else "This document")))
        if answer == "cancel":
            return False
        if answer == "save":
            try:
                self.keeper.save_and_release()
            except SealboxError as exc:
                QMessageBox.warning(self, "Not saved", exc.message)
                return False
            self.statusMessage.emit("Saved as a draft: it is listed in Prepare.")
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
        self._load(pdf, info, draft.spec, draft, provider=draft.provider,
                   render_id=draft.render_id)
        self.statusMessage.emit(f"Opened the draft {draft.title!r}")
        return True

    def delete_draft(self, draft_id: str) -> None:
        try:
            draft = self.drafts.get(draft_id)
        except SealboxError:
            self._show_empty()
            return
        answer = QMessageBox.question(
            self, "Delete draft", f"Delete the draft {draft.title!r}? It was never sent; this "
            "cannot be undone.")
        if answer == QMessageBox.StandardButton.Yes:
            self.drafts.delete(draft_id)
            self.statusMessage.emit(f"Deleted the draft {draft.title!r}")
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
        self._document_controls(False)

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        items: list[object] = ([value] if isinstance(value, str) else
                               list(value) if isinstance(value, list | tuple) else [])
        return [str(p) for p in items if Path(str(p)).is_file()]

    def _remember_recent(self, path: Path) -> None:
        items = [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recentFiles", [str(path), *items][:10])

    def _index_ready(self, path: Path, index: TextIndex) -> None:
        if path != self.path:
            return  # another document was opened meanwhile
        self.text_index = index
        self.anchors.refresh_counts()
        self._update_highlights()
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
            self._update_highlights()
        if change.anchors and self.path is not None and self.doc.ocr_anchors != self._index_ocr:
            self._read_text(self.path)  # the OCR option changed: read the text again
        self._preflight_timer.start()
        self.keeper.touch()

    def _provider_chosen(self, _index: int) -> None:
        self.set_provider(str(self.provider_box.currentData()))
        self.keeper.touch()

    def _render_id_edited(self, _text: str) -> None:
        self._preflight_timer.start()
        self.keeper.touch()

    def anchor_counts(self) -> dict[str, int]:
        return {a.anchor_string: self._count_matches(a.anchor_string) for a in self.doc.anchors}

    def _count_matches(self, text: str) -> int:
        if self.text_index is None or not text:
            return 0
        return len(self.text_index.find(text))

    def run_preflight(self) -> list[Problem]:
        self._preflight_timer.stop()
        if self.path is None:
            self.problems = []
            self.preflight_panel.set_problems([])
            self.send_button.setEnabled(False)
            return []
        render_id = self.render_id.text().strip() or None
        try:
            hint = (scanned_hint(self.text_index, self.doc.ocr_anchors, in_app=True)
                    if self.text_index is not None else "")
            problems = preflight(self.doc, self.info, self.provider(), self.anchor_counts(),
                                 render_id=render_id, anchor_hint=hint)
        except SealboxError as exc:
            problems = [Problem((), exc.message, Target("provider", None))]
        self.problems = problems
        self.preflight_panel.set_problems(problems)
        self.side.set_problems(problems)
        self.view.layer.set_problems(frozenset(
            p.target.index for p in errors(problems)
            if p.target.kind == "field" and p.target.index is not None))
        count = len(errors(problems))
        self.send_button.setEnabled(not count and not self.sending)
        self.send_button.setToolTip("Send this request" if not count else
                                    f"{count} problem{'s' if count != 1 else ''} to fix first: "
                                    "see Check")
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

    def _search_changed(self, text: str) -> None:
        self._search_text = text
        self._update_highlights()

    def _update_highlights(self) -> None:
        """Highlight the anchors' matches and show at each the field it will become."""
        self._jump_index = -1
        if self.text_index is None:
            self.view.show_highlights([])
            self.view.show_anchor_fields([])
            self._show_match_position()
            return
        matches: list[tuple[int, Rect, int]] = []
        previews: list[AnchorField] = []
        for anchor in self.doc.anchors:
            if not anchor.anchor_string:
                continue
            width, height = anchor.size
            who = (self.doc.recipients[anchor.recipient_index].name
                   if 0 <= anchor.recipient_index < len(self.doc.recipients) else "")
            for page, rect in self.text_index.find(anchor.anchor_string):
                matches.append((page, rect, anchor.recipient_index))
                previews.append(AnchorField(
                    page, field_at_anchor(rect.x, rect.y, width, height, self.doc.page(page)),
                    anchor.type, anchor.recipient_index, anchor.anchor_string, anchor.required,
                    who))
        if self._search_text:
            matches += [(page, rect, -1) for page, rect in self.text_index.find(self._search_text)]
        self.view.show_highlights(matches)
        self.view.show_anchor_fields(previews)
        self._show_match_position()

    def _jump_targets(self) -> list[tuple[int, Rect]]:
        """The matches Next/Previous go through: the text typed or the anchor selected in the
        Anchors tab, else every anchor's, in page and reading order."""
        if self.text_index is None:
            return []
        texts = [self._search_text] if self._search_text else list(dict.fromkeys(
            a.anchor_string for a in self.doc.anchors if a.anchor_string))
        found = {(page, rect.x, rect.y, rect.width, rect.height): (page, rect)
                 for text in texts for page, rect in self.text_index.find(text)}
        return [found[key] for key in sorted(found, key=lambda k: (k[0], k[2], k[1]))]

    def jump_to_match(self, step: int) -> None:
        """Scroll to the next (1) or previous (-1) match, round and round."""
        targets = self._jump_targets()
        if not targets:
            self._show_match_position()
            return
        if self._jump_index < 0:
            self._jump_index = 0 if step > 0 else len(targets) - 1
        else:
            self._jump_index = (self._jump_index + step) % len(targets)
        page, rect = targets[self._jump_index]
        self.view.reveal_match(page, rect)
        self._show_match_position(targets)

    def _show_match_position(self, targets: list[tuple[int, Rect]] | None = None) -> None:
        targets = self._jump_targets() if targets is None else targets
        if not targets:
            self.anchors.set_match_position("", False)
        elif 0 <= self._jump_index < len(targets):
            page = targets[self._jump_index][0]
            self.anchors.set_match_position(
                f"Match {self._jump_index + 1} of {len(targets)} (page {page})", True)
        else:
            count = len(targets)
            self.anchors.set_match_position(f"{count} match{'es' if count != 1 else ''}", True)

    def _zoom_changed(self, zoom: float) -> None:
        """Show the zoom as the user chose it: "Fit width" while fitted, else a percentage."""
        mode = self.view.fit_mode
        percent = f"{round(zoom * 100)}%"
        text = "Fit width" if mode == "width" else "Fit page" if mode == "page" else percent
        self.zoom_box.setToolTip(f"Zoom: {percent}. Pick a size or type a percentage"
                                 if mode else "Zoom: pick a size or type a percentage")
        edit = self.zoom_box.lineEdit()
        if edit is None or not edit.hasFocus():
            self.zoom_box.setEditText(text)

    def _zoom_chosen(self, text: str) -> None:
        if text == "Fit width":
            self.view.fit_width()
        elif text == "Fit page":
            self.view.fit_page()
        else:
            try:
                value = float(text.strip().rstrip("%").strip())
            except ValueError:
                self.statusMessage.emit(f"{text!r} is not a zoom level: type a percentage like "
                                        "125%")
                return
            self.view.set_zoom(value / 100)
        self.view.setFocus()

    def _page_changed(self, page: int) -> None:
        if self.info is not None and page >= 1:
            self.page_label.setText(f"  Page {page} of {self.info.page_count}  ")
        else:
            self.page_label.setText("")

    def _document_controls(self, on: bool) -> None:
        """The toolbar's page and zoom controls work only with a document open."""
        for widget in (self.zoom_box, self.page_label):
            widget.setEnabled(on)
        for action in (self.zoom_in_action, self.zoom_out_action):
            action.setEnabled(on)

    # --- edit actions (menus) -------------------------------------------------------------------

    def copy_to_all_pages(self) -> None:
        if self.info is not None:
            self.view.copy_to_pages(list(range(1, self.info.page_count + 1)))

    def copy_to_page_range(self) -> None:
        if self.info is None or not self.view.selected_ids():
            return
        text, ok = QInputDialog.getText(self, "Copy to pages",
                                        f"Pages (1–{self.info.page_count}), e.g. 2-5, 8:")
        if not ok:
            return
        try:
            pages = parse_page_range(text, self.info.page_count)
        except ValueError as exc:
            QMessageBox.warning(self, "Copy to pages", str(exc))
            return
        self.view.copy_to_pages(pages)

    # --- templates ------------------------------------------------------------------------------

    def templates(self) -> Templates:
        return self.ctx.store.templates

    def save_template(self) -> None:
        if self.info is None:
            return
        name, ok = QInputDialog.getText(self, "Save as template", "Template name:",
                                        text=self.doc.name)
        if not ok:
            return
        sizes = tuple((p.width, p.height) for p in self.info.pages)
        store = self.templates()
        try:
            store.save(name, self.doc.to_spec(), sizes)
        except SealboxError as exc:
            if "already exists" not in exc.message:
                QMessageBox.warning(self, "Save as template", exc.message)
                return
            answer = QMessageBox.question(self, "Save as template",
                                          f"{exc.message}\n\nReplace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            try:
                store.save(name, self.doc.to_spec(), sizes, replace=True)
            except SealboxError as again:
                QMessageBox.warning(self, "Save as template", again.message)
                return
        self.statusMessage.emit(f"Saved the template {name.strip()!r}")

    def _choose_template(self, title: str) -> str | None:
        names = [t.name for t in self.templates().list()]
        if not names:
            QMessageBox.information(self, title, "There are no templates yet: prepare a "
                                    "document and choose File › Save as Template.")
            return None
        name, ok = QInputDialog.getItem(self, title, "Template:", names, 0, False)
        return name if ok else None

    def apply_template(self, name: str | None = None, *, confirm: bool = True) -> bool:
        if self.info is None:
            return False
        name = name or self._choose_template("Apply template")
        if not name:
            return False
        try:
            template = self.templates().get(name)
        except SealboxError as exc:
            QMessageBox.warning(self, "Apply template", exc.message)
            return False
        warnings = compatibility(template, self.info.pages)
        if warnings and confirm:
            answer = QMessageBox.question(
                self, "Apply template", "\n".join(warnings) + "\n\nApply it anyway?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        spec = apply_to(template, self.info.pages)
        name_now = self.doc.name

        def apply(d: EditorDocument) -> None:
            d.load(spec)
            d.set_meta(name=name_now or spec.name)

        self.editing.perform(f"Apply template {name!r}", apply)
        self.view.layer.select([])
        self.statusMessage.emit(" ".join([f"Applied the template {name!r}.", *warnings]))
        return True

    def export_template(self) -> None:
        name = self._choose_template("Export template")
        if not name:
            return
        start = str(Path(str(self.settings.value("lastFolder", str(Path.home())))) /
                    f"{name}.json")
        dest, _ = QFileDialog.getSaveFileName(self, "Export template as request spec", start,
                                              "Request spec (*.json)")
        if not dest:
            return
        try:
            self.templates().export_spec(name, Path(dest))
        except SealboxError as exc:
            QMessageBox.warning(self, "Export template", exc.message)
            return
        self.statusMessage.emit(f"Exported {name!r} to {Path(dest).name}")

    # --- sending --------------------------------------------------------------------------------

    def send(self) -> None:
        """Send the request through the chosen provider, off the UI thread. The same document
        to the same people again is sent only when the user says so."""
        if self.path is None or self.sending or errors(self.run_preflight()):
            return
        if self.info is not None:
            earlier = send_service.earlier_sends(
                self.ctx, self.info.sha256, [r.email for r in self.doc.recipients],
                idempotency_key=self._send_key)
            if earlier and not confirm_again(self, earlier):
                self.statusMessage.emit("Not sent: it was sent before.")
                return
        self.sending = True
        self.send_button.setEnabled(False)
        self.send_button.setText("Sending…")
        self.statusMessage.emit(f"Sending {self.doc.name!r} through "
                                f"{self.provider().capabilities.name}…")
        self.bridge.start(self._send(), on_done=self._sent, on_error=self._send_failed,
                          label="Sending")

    async def _send(self) -> Request:
        assert self.path is not None
        spec = self.doc.to_spec()
        render_id = self.render_id.text().strip() or None
        request = await self.bridge.run_blocking(
            lambda: send_service.prepare(self.ctx, self.path or Path(), spec,
                                         provider_id=self.provider_id, render_id=render_id,
                                         idempotency_key=self._send_key))
        if request.status == Status.QUEUED:
            request = await send_service.deliver(self.ctx, request.id)
        return request

    def _finish_sending(self) -> None:
        self.sending = False
        self.send_button.setText("Send for signature")
        self.run_preflight()

    def _sent(self, request: Request) -> None:
        self._send_key = str(uuid.uuid4())
        self._finish_sending()
        # Sent: the draft has done its work, and the document is not left under a live Send.
        self.keeper.sent()
        self._clear_document()
        self.sent_page.set_request(request, self.ctx.provider(request.provider).capabilities.name)
        self.stack.setCurrentWidget(self.sent_page)
        self.send_button.setEnabled(False)
        self._document_controls(False)
        self.recipients.set_completions(self._completions())  # the people just sent to
        self.statusMessage.emit(f"Sent {request.name!r}: {request.status.value}")
        self.sent.emit(request.id)

    def _prepare_another(self) -> None:
        self._show_empty()
        self.choose_file()

    def _send_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, UnavailableError):
            # Refused: the next Send is a new request. Unreachable: the next Send (or a sync)
            # delivers the same queued one with its key, so the provider never sees two.
            self._send_key = str(uuid.uuid4())
        self._finish_sending()
        QMessageBox.warning(self, "Not sent", describe_error(exc))

    # --- helpers for tests and menus ------------------------------------------------------------

    def add_field(self, kind: FieldType, page: int, rect: Rect) -> FieldId | None:
        return self.view.add_field(kind, page, rect)

    def shutdown(self) -> None:
        self._preflight_timer.stop()
        self.anchors.shutdown()
        self.view.close_document()
