"""Prepare end to end, one test per user path, by mouse and keyboard on the real window.

Each test drives the window as a person would (clicks on tabs, buttons, pages and questions,
keys typed into inputs, menu shortcuts) at 1024×700, the smallest window Sealbox promises to be
usable in, and checks what the person would see (the widgets' text, the fields on the pages) and
what was stored. They run on the offscreen platform and on a real X server (xcb).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import FieldType
from app.ui.bridge import AsyncBridge
from app.ui.editor.previews import AnchorFieldItem
from app.ui.main import MainWindow
from app.ui.signing import SigningState, SigningView
from app.ui.style import recipient_color
from tests.gui.prepare_support import (
    CTRL,
    LEFT,
    WAIT_MS,
    answering,
    choose,
    click,
    click_tab,
    draw_field,
    lease_pdf,
    scene_fields,
    shortcut,
    type_into,
)
from tests.gui.test_archive_view import badges
from tests.gui.test_editor import drag_from_palette, to_viewport
from tests.gui.test_signing_view import SCRIBBLE, draw, signature_dialog

SEAL_MS = 60_000


@pytest.fixture
def window(qtbot: QtBot, home: Path, bridge: AsyncBridge) -> Iterator[MainWindow]:
    ctx = Context.from_environment()
    win = MainWindow(ctx, bridge)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    for dialog in list(win.signing_windows.values()):
        dialog.close()
    win.close()  # by the program: unsent work is kept as a draft, nothing is asked
    ctx.close()


def open_by_menu(qtbot: QtBot, win: MainWindow, pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """File › Open (Ctrl+O); the system's file dialog answers with ``pdf``."""
    monkeypatch.setattr(
        "app.ui.editor.editor.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: (str(pdf), "PDF files (*.pdf)"),
    )
    shortcut(qtbot, win, Qt.Key.Key_O)
    editor = win.editor
    qtbot.waitUntil(
        lambda: editor.path is not None and editor.text_index is not None, timeout=WAIT_MS
    )
    assert win.windowTitle() == f"{pdf.name} — Sealbox"


def enter_recipient(
    qtbot: QtBot, win: MainWindow, first: str, last: str, email: str, *, add: bool
) -> None:
    editor = win.editor
    click_tab(qtbot, editor.side.tabs, "Recipients")
    panel = editor.recipients
    if add:
        click(qtbot, panel.add_button)
    type_into(qtbot, panel.first_edit, first)
    type_into(qtbot, panel.last_edit, last)
    type_into(qtbot, panel.email_edit, email)
    assert panel.model.index(panel.current()).data() == f"{first} {last} <{email}>"
    assert panel.email.error.isHidden() and panel.first.error.isHidden()


def prepare_lease(
    qtbot: QtBot, win: MainWindow, pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open, two recipients, Jane's signature dragged, Jane's text field drawn, Bob's anchor."""
    editor = win.editor
    open_by_menu(qtbot, win, pdf, monkeypatch)
    enter_recipient(qtbot, win, "Jane", "Doe", "jane@example.com", add=False)
    enter_recipient(qtbot, win, "Bob", "Roe", "bob@example.com", add=True)

    click_tab(qtbot, editor.side.tabs, "Fields")
    choose(qtbot, editor.side.recipient_box, "Jane Doe")
    editor.view.go_to_page(1)
    drag_from_palette(
        qtbot, editor, FieldType.SIGNATURE, to_viewport(editor.view, 1, 170, 560), monkeypatch
    )
    draw_field(qtbot, editor, FieldType.TEXT, 1, (72, 680), (252, 704))
    assert [(kind, who) for kind, who, _ in scene_fields(editor)] == [("signature", 0), ("text", 0)]
    assert editor.editing.stack.count() == 9  # one Add, six inputs typed, two fields

    click_tab(qtbot, editor.side.tabs, "Anchors")
    anchors = editor.anchors
    type_into(qtbot, anchors.text_edit, "{{bob_signs}}", leave=False)
    qtbot.waitUntil(lambda: anchors.count_label.text() == "1 match", timeout=WAIT_MS)
    choose(qtbot, anchors.recipient_combo, "Bob Roe")
    click(qtbot, anchors.add_button)
    assert [a.anchor_string for a in editor.doc.anchors] == ["{{bob_signs}}"]
    # The page shows the field the anchor will become, in Bob's colour, and Next goes there.
    (preview,) = [i for i in editor.view.doc_scene.items() if isinstance(i, AnchorFieldItem)]
    assert preview.label() == "Signature *" and preview.preview.recipient_index == 1
    assert recipient_color(1).name() == recipient_color(preview.preview.recipient_index).name()
    assert (preview.preview.rect.width, preview.preview.rect.height) == (180, 48)
    click(qtbot, anchors.next_button)
    assert anchors.match_label.text() == "Match 1 of 1 (page 1)" and preview.current


@pytest.mark.slow
def test_open_recipients_fields_anchor_check_send_sign_and_verify_in_the_archive(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = window
    editor = win.editor
    prepare_lease(qtbot, win, lease_pdf(tmp_path), monkeypatch)

    click_tab(qtbot, editor.side.tabs, "Check")
    qtbot.waitUntil(lambda: editor.check_status.text() == "Ready to send", timeout=WAIT_MS)
    assert "Ready to send" in editor.preflight_panel.summary.text()
    assert editor.send_button.isEnabled()
    with qtbot.waitSignal(editor.sent, timeout=WAIT_MS) as sent:
        click(qtbot, editor.send_button)
    request_id = str(sent.args[0])
    # Requests shows it; back in Prepare, the sent request is shown, not a live Send.
    assert win.places.currentIndex() == 1 and win.requests_page.selected_id() == request_id
    shortcut(qtbot, win, Qt.Key.Key_1)
    assert editor.stack.currentWidget() is editor.sent_page
    assert editor.sent_page.title.text() == "<h2>Sent Flat lease</h2>"
    assert "Jane Doe and Bob Roe" in editor.sent_page.detail.text()
    stored = editor.ctx.requests.get(request_id)
    assert [r.email for r in stored.spec.recipients] == ["jane@example.com", "bob@example.com"]
    assert sorted((f.type.value, f.recipient_index, f.anchor) for f in stored.spec.fields) == [
        ("signature", 0, None),
        ("signature", 1, "{{bob_signs}}"),
        ("text", 0, None),
    ]
    assert editor.drafts.all() == []  # sent: no draft is left behind

    # Sign now, each signer in turn.
    click(qtbot, editor.sent_page.show_button)
    page = win.requests_page
    qtbot.waitUntil(
        lambda: page.details.sign_button.isVisible() and page.details.sign_button.isEnabled(),
        timeout=WAIT_MS,
    )
    click(qtbot, page.details.sign_button)
    dialog = win.signing_windows[request_id]
    view = dialog.findChild(SigningView)
    assert view is not None
    qtbot.waitUntil(lambda: view.state == SigningState.HANDOVER, timeout=WAIT_MS)
    fields = stored.spec.fields
    jane_sig = next(
        i for i, f in enumerate(fields) if f.type == FieldType.SIGNATURE and f.recipient_index == 0
    )
    jane_text = next(i for i, f in enumerate(fields) if f.type == FieldType.TEXT)
    bob_sig = next(i for i, f in enumerate(fields) if f.recipient_index == 1)

    assert "Jane Doe" in view.handover_text
    click(qtbot, view.start_button)
    click_signing_field(qtbot, view, jane_sig)
    pad_dialog = signature_dialog(qtbot, view)
    draw(qtbot, pad_dialog.pad, SCRIBBLE)
    click(qtbot, pad_dialog.sign_button)
    qtbot.waitUntil(lambda: view.active_dialog is None, timeout=WAIT_MS)
    text_input = view.editor(jane_text)
    click(qtbot, text_input)
    qtbot.keyClicks(text_input, "Flat 4B")
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS):
        click(qtbot, view.finish_button)

    qtbot.waitUntil(lambda: "Bob Roe" in view.handover_text, timeout=WAIT_MS)
    click(qtbot, view.start_button)
    click_signing_field(qtbot, view, bob_sig)
    typed = signature_dialog(qtbot, view)
    click(qtbot, typed.pad.mode_button)
    click(qtbot, typed.sign_button)
    qtbot.waitUntil(lambda: view.active_dialog is None, timeout=WAIT_MS)
    with qtbot.waitSignal(view.finished, timeout=SEAL_MS):
        click(qtbot, view.finish_button)
    qtbot.waitUntil(lambda: view.state == SigningState.COMPLETED, timeout=SEAL_MS)
    assert editor.ctx.requests.get(request_id).status == Status.COMPLETED
    dialog.close()

    # The archive has it, and says its signature is valid once verified.
    shortcut(qtbot, win, Qt.Key.Key_3)
    archive = win.archive_page
    qtbot.waitUntil(lambda: archive.model.row_by_id(request_id) is not None, timeout=WAIT_MS)
    assert archive.show_request(request_id)
    with qtbot.waitSignal(archive.verifyFinished, timeout=SEAL_MS):
        click(qtbot, archive.verify_button)
    assert badges(archive) == {"Flat lease": "Signature valid"}


def click_signing_field(qtbot: QtBot, view: SigningView, index: int) -> None:
    """Scroll the signing page to field ``index`` and click its middle."""
    view.show_field(index, focus=False)
    item = view.field_item(index)
    centre = item.mapToScene(item.field_rect().center())
    pos = view.page_view.mapFromScene(centre)
    assert view.page_view.viewport().rect().contains(pos)
    qtbot.mouseClick(view.page_view.viewport(), LEFT, pos=pos)


def double_click(qtbot: QtBot, widget: QWidget, pos: QPoint) -> None:
    """A double click as the mouse makes it: a click, then the second press (a double click)."""
    qtbot.mouseClick(widget, LEFT, pos=pos)
    qtbot.mouseDClick(widget, LEFT, pos=pos)


def test_close_with_unsaved_work_then_the_draft_restores_exactly(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = window
    editor = win.editor
    pdf = lease_pdf(tmp_path)
    open_by_menu(qtbot, win, pdf, monkeypatch)
    enter_recipient(qtbot, win, "Jane", "Doe", "jane@example.com", add=False)
    click_tab(qtbot, editor.side.tabs, "Recipients")
    message = editor.request_form.message_edit
    click(qtbot, message)
    qtbot.keyClicks(message, "Keys at the desk.")
    click_tab(qtbot, editor.side.tabs, "Fields")
    draw_field(qtbot, editor, FieldType.INITIALS, 1, (400, 300), (470, 330))
    choose(qtbot, editor.provider_box, "SayPDF")
    spec, shown = editor.doc.to_spec(), scene_fields(editor)

    # Ctrl+W asks; Cancel keeps everything open as it was.
    with answering("Cancel") as asked:
        shortcut(qtbot, win, Qt.Key.Key_W)
    assert asked.seen[0][0] == "unsavedWork"
    assert asked.seen[0][1] == "<b>'Flat lease' has not been sent.</b>"
    assert editor.path == pdf and editor.doc.to_spec() == spec

    # Ctrl+W again: Save Draft. Prepare lists the draft.
    with answering("Save Draft"):
        shortcut(qtbot, win, Qt.Key.Key_W)
    assert editor.path is None and editor.stack.currentWidget() is editor.empty
    assert editor.page_label.text() == "" and editor.zoom_box.currentText() == "Fit width"
    drafts = editor.empty.drafts_list
    assert drafts.count() == 1 and drafts.item(0).text().startswith(
        "Flat lease\nlease.pdf · 1 recipient, 1 field · changed "
    )
    assert win.statusBar().currentMessage() == "Saved as a draft: it is listed in Prepare."

    # The original goes away; the draft has its own copy. Double-click: it is all back.
    pdf.unlink()
    item_pos = drafts.visualItemRect(drafts.item(0)).center()
    double_click(qtbot, drafts.viewport(), item_pos)
    qtbot.waitUntil(lambda: editor.path is not None, timeout=WAIT_MS)
    assert editor.doc.to_spec() == spec
    assert scene_fields(editor) == shown
    assert editor.provider_box.currentText() == "SayPDF" and editor.provider_id == "saypdf"
    assert editor.request_form.message_edit.toPlainText() == "Keys at the desk."
    assert win.windowTitle() == "lease.pdf — Sealbox"
    assert editor.info is not None and editor.info.page_count == 2

    # Reopened and untouched: closing asks nothing, the draft stays listed.
    with answering():
        shortcut(qtbot, win, Qt.Key.Key_W)
    assert drafts.count() == 1

    # Changed again, then Quit: Discard throws the draft away and the window closes.
    double_click(qtbot, drafts.viewport(), item_pos)
    qtbot.waitUntil(lambda: editor.path is not None, timeout=WAIT_MS)
    draw_field(qtbot, editor, FieldType.DATE, 1, (400, 400), (500, 424))
    with answering("Discard") as asked:
        shortcut(qtbot, win, Qt.Key.Key_Q)
    assert asked.seen[0][0] == "unsavedWork"
    assert not win.isVisible()
    assert editor.drafts.all() == []


def test_sending_the_same_document_to_the_same_people_again_is_a_deliberate_choice(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = window
    editor = win.editor
    pdf = lease_pdf(tmp_path)

    def prepare() -> None:
        enter_recipient(qtbot, win, "Jane", "Doe", "jane@example.com", add=False)
        click_tab(qtbot, editor.side.tabs, "Fields")
        drag_from_palette(
            qtbot, editor, FieldType.SIGNATURE, to_viewport(editor.view, 1, 170, 560), monkeypatch
        )
        qtbot.waitUntil(editor.send_button.isEnabled, timeout=WAIT_MS)

    open_by_menu(qtbot, win, pdf, monkeypatch)
    prepare()
    with qtbot.waitSignal(editor.sent, timeout=WAIT_MS) as sent:
        click(qtbot, editor.send_button)
    first = str(sent.args[0])
    shortcut(qtbot, win, Qt.Key.Key_1)
    assert editor.stack.currentWidget() is editor.sent_page
    assert not editor.send_button.isVisible()  # no live Send under the pointer any more

    # Prepare another… the same file again, to the same person.
    monkeypatch.setattr(
        "app.ui.editor.editor.QFileDialog.getOpenFileName",
        lambda *args, **kwargs: (str(pdf), "PDF files (*.pdf)"),
    )
    click(qtbot, editor.sent_page.another_button)
    qtbot.waitUntil(lambda: editor.text_index is not None, timeout=WAIT_MS)
    prepare()
    with answering("Don't Send") as asked:
        click(qtbot, editor.send_button)
    name, text, detail = asked.seen[0]
    assert name == "sendAgain" and text == "<b>You already sent this document to Jane Doe.</b>"
    created = editor.ctx.requests.get(first).created_at.astimezone()
    assert detail.startswith(
        f"'Flat lease' was sent on {created.day} {created:%b %Y at %H:%M} "
        "and is waiting for signatures."
    )
    assert [r.id for r in editor.ctx.requests.find()] == [first]
    assert editor.path == pdf and win.statusBar().currentMessage() == (
        "Not sent: it was sent before."
    )

    with answering("Send Again"), qtbot.waitSignal(editor.sent, timeout=WAIT_MS) as again:
        click(qtbot, editor.send_button)
    assert again.args[0] != first
    assert len(editor.ctx.requests.find()) == 2


def test_the_zoom_box_names_the_fit_mode_and_closing_resets_the_toolbar(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    win = window
    editor = win.editor
    open_by_menu(qtbot, win, lease_pdf(tmp_path), monkeypatch)
    assert editor.zoom_box.currentText() == "Fit width"
    assert editor.page_label.text().strip() == "Page 1 of 2"
    zoom = editor.zoom_box.lineEdit()
    assert zoom is not None
    click(qtbot, zoom)
    qtbot.keyClick(zoom, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(zoom, "150%")
    qtbot.keyClick(zoom, Qt.Key.Key_Return)
    assert abs(editor.view.zoom - 1.5) < 1e-9 and editor.zoom_box.currentText() == "150%"
    shortcut(qtbot, win, Qt.Key.Key_8)  # View › Fit Page
    assert editor.zoom_box.currentText() == "Fit page"
    with answering():
        shortcut(qtbot, win, Qt.Key.Key_W)  # nothing was changed: nothing is asked
    assert editor.page_label.text() == ""
    assert editor.zoom_box.currentText() == "Fit width" and not editor.zoom_box.isEnabled()
    assert QApplication.activeModalWidget() is None
    assert editor.path is None and editor.drafts.all() == []
