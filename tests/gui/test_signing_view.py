"""In-person signing on screen: the signature pad, the signing view, and that signing there
records exactly what ``sealbox sign`` records (values, history, a seal that validates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from pyhanko.sign.validation.status import SignatureCoverageLevel
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import RequestSpec
from app.services.in_person import InPersonSigning
from app.services.send import deliver, document_path, prepare
from app.services.signing_values import Signature
from app.ui.bridge import AsyncBridge
from app.ui.signing import DeclineDialog, SignatureDialog, SignaturePad, SigningState, SigningView
from tests.conftest import run_sealbox
from tests.e2e.test_local_flow import displayed_words, inside, validate

SEAL_TIMEOUT_MS = 15000
WAIT_MS = 5000

JANE = {
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane@example.com",
    "designation": "Signer",
    "order": 1,
}
BOB = {
    "firstName": "Bob",
    "lastName": "Roe",
    "email": "bob@example.com",
    "designation": "Signer",
    "order": 2,
}

#: Two signers; Jane has a signature, a date, a text and a checkbox, Bob a signature, initials
#: and an optional text.
SPEC: dict[str, Any] = {
    "version": 1,
    "name": "Charter agreement BK-12345",
    "recipients": [JANE, BOB],
    "fields": [
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 200,
            "height": 50,
        },
        {
            "recipientIndex": 0,
            "type": "date",
            "page": 1,
            "x": 330,
            "y": 626,
            "width": 120,
            "height": 24,
        },
        {
            "recipientIndex": 0,
            "type": "text",
            "page": 1,
            "x": 150,
            "y": 540,
            "width": 220,
            "height": 24,
            "label": "Company",
        },
        {
            "recipientIndex": 0,
            "type": "checkbox",
            "page": 1,
            "x": 72,
            "y": 480,
            "width": 16,
            "height": 16,
        },
        {
            "recipientIndex": 1,
            "type": "signature",
            "page": 2,
            "x": 72,
            "y": 300,
            "width": 200,
            "height": 50,
        },
        {
            "recipientIndex": 1,
            "type": "initials",
            "page": 1,
            "x": 500,
            "y": 720,
            "width": 60,
            "height": 36,
        },
        {
            "recipientIndex": 1,
            "type": "text",
            "page": 2,
            "x": 330,
            "y": 320,
            "width": 180,
            "height": 24,
            "label": "Title",
            "required": False,
        },
    ],
}


def make_contract(path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 80), "Charter agreement BK-12345", fontsize=20)
    body = (
        "The owner lets the vessel to the charterer for the period and on the terms below. "
        "The charterer pays the hire in advance and returns the vessel in the same order "
        "and condition as received, fair wear and tear excepted."
    )
    page.insert_textbox(pymupdf.Rect(72, 110, 540, 260), body, fontsize=11)
    page.insert_text((72, 300), "1. Period: 12 to 26 July.", fontsize=11)
    page.insert_text((72, 322), "2. Hire: EUR 9,800, payable on signature.", fontsize=11)
    page.insert_text((72, 344), "3. Deposit: EUR 2,000, returned within 14 days.", fontsize=11)
    page.insert_text((94, 492), "I have read and accept the terms above.", fontsize=11)
    page.insert_text((72, 557), "Company:", fontsize=11)
    page.insert_text((72, 596), "Charterer:", fontsize=11)
    page.insert_text((330, 622), "Date:", fontsize=11)
    page.insert_text((440, 716), "Owner's initials:", fontsize=9)
    page = doc.new_page(width=612, height=792)
    page.insert_text((72, 80), "Owner's acceptance", fontsize=16)
    page.insert_text((72, 290), "Signed for the owner:", fontsize=11)
    page.insert_text((330, 316), "Title:", fontsize=11)
    doc.save(path)
    doc.close()


@pytest.fixture
def ctx(home: Path) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


def send_local(
    qtbot: QtBot,
    bridge: AsyncBridge,
    ctx: Context,
    tmp_path: Path,
    spec: dict[str, Any] | None = None,
) -> str:
    """Send a ``local`` request the way ``sealbox send`` does (prepare, then deliver)."""
    pdf = tmp_path / "charter.pdf"
    if not pdf.exists():
        make_contract(pdf)
    request = prepare(ctx, pdf, RequestSpec.from_json(spec or SPEC), provider_id="local")
    sent: list[Any] = []
    bridge.start(deliver(ctx, request.id), on_done=sent.append)
    qtbot.waitUntil(lambda: bool(sent), timeout=WAIT_MS)
    assert sent[0].status == Status.SENT
    return request.id


def open_view(qtbot: QtBot, ctx: Context, bridge: AsyncBridge, rid: str) -> SigningView:
    view = SigningView(ctx, bridge, rid)
    qtbot.addWidget(view)
    view.resize(1180, 820)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.state == SigningState.HANDOVER, timeout=WAIT_MS)
    return view


def start(qtbot: QtBot, view: SigningView) -> None:
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.state == SigningState.SIGNING


def click_field(qtbot: QtBot, view: SigningView, index: int) -> None:
    """Scroll field ``index`` into view and click its middle, as a person would."""
    view.show_field(index, focus=False)
    item = view.field_item(index)
    centre = item.mapToScene(item.field_rect().center())
    pos = view.page_view.mapFromScene(centre)
    assert view.page_view.viewport().rect().contains(pos)
    qtbot.mouseClick(view.page_view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def line_edit(view: SigningView, index: int) -> QLineEdit:
    editor = view.editor(index)
    assert isinstance(editor, QLineEdit)
    return editor


def signature_dialog(qtbot: QtBot, view: SigningView) -> SignatureDialog:
    qtbot.waitUntil(
        lambda: isinstance(view.active_dialog, SignatureDialog) and view.active_dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = view.active_dialog
    assert isinstance(dialog, SignatureDialog)
    qtbot.waitExposed(dialog)
    return dialog


def draw(qtbot: QtBot, pad: SignaturePad, strokes: list[list[tuple[int, int]]]) -> None:
    """Draw each stroke with a press, several moves and a release."""
    for stroke in strokes:
        qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(*stroke[0]))
        for x, y in stroke[1:]:
            qtbot.mouseMove(pad, QPoint(x, y))
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(*stroke[-1]))


#: A loop, a long stroke with a bump and a dash: a signature-like scribble.
SCRIBBLE = [
    [(60, 120), (75, 90), (95, 72), (110, 80), (100, 110), (85, 130), (120, 118), (150, 96)],
    [(150, 96), (175, 112), (200, 100), (225, 84), (250, 104), (280, 112), (320, 94)],
    [(330, 70), (345, 84), (360, 96)],
]


def validate_seal(path: Path, root: bytes) -> Any:
    """:func:`tests.e2e.test_local_flow.validate` in a thread of its own: pyHanko's validation
    runs its own asyncio loop, which cannot start on the thread where the test's loop runs."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate, path, root).result()


def history(ctx: Context, rid: str) -> list[tuple[str, int | None]]:
    return [(e.kind, e.recipient_index) for e in ctx.requests.events(rid)]


# --- the pad ----------------------------------------------------------------------------------


def test_the_pad_draws_undoes_and_exports_a_cropped_transparent_png(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(520, 200)
    pad.show()
    qtbot.waitExposed(pad)
    assert pad.is_empty()
    with qtbot.waitSignal(pad.changed, timeout=WAIT_MS):
        draw(qtbot, pad, [[(100, 60), (130, 70), (160, 90), (200, 100)]])
    draw(qtbot, pad, [[(220, 60), (240, 80), (260, 70)]])
    assert len(pad.strokes) == 2 and len(pad.strokes[0]) == 4
    assert not pad.is_empty() and pad.undo_button.isEnabled()

    image = QImage.fromData(pad.to_png(800, 400))
    assert not image.isNull() and image.hasAlphaChannel()
    # Cropped to the ink (x 100–260, y 60–100 plus pen and margin): wide and short, not the
    # pad's 520 x 200, and filling the requested width.
    assert image.width() == 800 and image.height() < 300
    corners = [
        image.pixelColor(x, y).alpha()
        for x in (0, image.width() - 1)
        for y in (0, image.height() - 1)
    ]
    assert corners == [0, 0, 0, 0]
    inked = sum(
        1
        for x in range(0, image.width(), 4)
        for y in range(0, image.height(), 4)
        if image.pixelColor(x, y).alpha() > 200
    )
    assert inked > 50
    # The margin is small: ink reaches within a few percent of every edge.
    rows = [
        y
        for y in range(image.height())
        if any(image.pixelColor(x, y).alpha() > 0 for x in range(0, image.width(), 2))
    ]
    assert rows[0] < image.height() * 0.1 and rows[-1] > image.height() * 0.9
    columns = [
        x
        for x in range(image.width())
        if any(image.pixelColor(x, y).alpha() > 0 for y in range(0, image.height(), 2))
    ]
    assert columns[0] < image.width() * 0.05 and columns[-1] > image.width() * 0.95

    pad.undo()
    assert len(pad.strokes) == 1
    pad.clear()
    assert pad.is_empty() and not pad.undo_button.isEnabled()
    with pytest.raises(ValueError, match="empty"):
        pad.to_png(100, 50)


def test_the_pad_types_in_the_handwriting_font(qtbot: QtBot) -> None:
    pad = SignaturePad(name="Jane Doe")
    qtbot.addWidget(pad)
    pad.show()
    qtbot.mouseClick(pad.mode_button, Qt.MouseButton.LeftButton)
    assert pad.mode == "type" and pad.typed_text() == "Jane Doe"
    assert "Dancing Script" in pad.typed_edit.font().family()
    image = QImage.fromData(pad.to_png(600, 200))
    assert image.width() == 600 and 0 < image.height() <= 200
    assert image.pixelColor(0, 0).alpha() == 0
    pad.typed_edit.clear()
    assert pad.is_empty()


# --- the view ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_signers_sign_on_screen_as_sealbox_sign_would(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, home: Path, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path)
    view = open_view(qtbot, ctx, bridge, rid)
    assert view.handover_text == "Pass the computer to Jane Doe (jane@example.com)"
    assert ctx.requests.get(rid).recipients[0].viewed_at is None  # not before Start

    # Jane: draws her signature, types the company, ticks the box; the date is today's.
    start(qtbot, view)
    assert ctx.requests.get(rid).status == Status.VIEWED
    assert set(view.items) == set(range(7)) and set(view.entries) == {0, 1, 2, 3}
    assert view.field_item(0).active and not view.field_item(4).active
    # The date is the signing date: shown, not edited.
    assert view.field_item(1).shown_text == date.today().isoformat()
    assert view.field_item(1).editor is None
    assert not view.finish_button.isEnabled()
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    assert not dialog.sign_button.isEnabled()
    draw(qtbot, dialog.pad, SCRIBBLE)
    assert len(dialog.pad.strokes) == 3
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert view.field_item(0).shown_image is not None
    qtbot.keyClicks(view.editor(2), "ACME Shipping")
    assert not view.finish_button.isEnabled()
    click_field(qtbot, view, 3)
    assert view.missing_fields() == [] and view.finish_button.isEnabled()
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS) as first:
        qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    assert first.args == [rid, False]

    # Bob: the handover first, then initials (pre-filled) and a typed signature.
    assert view.state == SigningState.HANDOVER
    assert view.handover_text == "Pass the computer to Bob Roe (bob@example.com)"
    start(qtbot, view)
    assert set(view.entries) == {4, 5, 6}
    assert view.field_item(0).shown_image is not None  # Jane's signature, dimmed
    click_field(qtbot, view, 5)
    initials = signature_dialog(qtbot, view)
    assert initials.pad.mode == "type" and initials.pad.typed_text() == "BR"
    qtbot.mouseClick(initials.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.active_dialog is None, timeout=WAIT_MS)
    click_field(qtbot, view, 4)
    signature = signature_dialog(qtbot, view)
    qtbot.mouseClick(signature.pad.mode_button, Qt.MouseButton.LeftButton)
    assert signature.pad.typed_text() == "Bob Roe"
    qtbot.mouseClick(signature.sign_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.editor(6), "Director")
    with qtbot.waitSignal(view.finished, timeout=SEAL_TIMEOUT_MS) as last:
        qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    assert last.args == [rid, True]
    assert view.state == SigningState.COMPLETED

    # Completed and archived.
    request = ctx.requests.get(rid)
    assert request.status == Status.COMPLETED
    files = {f.kind: home / "archive" / f.path for f in ctx.store.archive.files(rid)}
    assert set(files) == {"signed", "certificate", "request"}
    assert view.archived is not None and view.archived.directory == files["signed"].parent
    root = (home / "data" / "seal" / "ca.pem").read_bytes()
    status = validate_seal(files["signed"], root)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    cert_status = validate_seal(files["certificate"], root)
    assert cert_status.intact and cert_status.valid and cert_status.trusted

    # The values are stamped inside their fields.
    fields = SPEC["fields"]
    doc = pymupdf.open(files["signed"])
    page1, page2 = displayed_words(doc[0]), displayed_words(doc[1])
    acme = [r for w, r in page1 if w in ("ACME", "Shipping")]
    assert len(acme) == 2 and all(inside(r, fields[2]) for r in acme)
    today = [r for w, r in page1 if w == date.today().isoformat()]
    assert len(today) == 1 and inside(today[0], fields[1])
    assert [inside(r, fields[5]) for w, r in page1 if w == "BR"] == [True]
    bob = [r for w, r in page2 if w in ("Bob", "Roe")]
    assert len(bob) == 2 and all(inside(r, fields[4]) for r in bob)
    images = doc[0].get_image_info()
    assert len(images) == 1
    box = pymupdf.Rect(images[0]["bbox"])
    assert inside(box, fields[0])
    doc.close()

    # `sealbox sign` with the same input records the same values and the same history.
    stored = ctx.requests.field_values(rid)
    png = tmp_path / "drawn.png"
    png.write_bytes(stored[0].image or b"")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(SPEC), encoding="utf-8")
    sent = run_sealbox("send", str(tmp_path / "charter.pdf"), "--spec", str(spec_file), "--json")
    assert sent.returncode == 0, sent.stderr
    twin = json.loads(sent.stdout)["id"]
    for args in (
        (
            "--recipient",
            "0",
            "--signature-image",
            str(png),
            "--field",
            "2=ACME Shipping",
            "--field",
            "3=yes",
        ),
        ("--recipient", "1", "--typed-signature", "Bob Roe", "--field", "6=Director"),
    ):
        signed = run_sealbox("sign", twin, *args)
        assert signed.returncode == 0, signed.stderr
    assert ctx.requests.get(twin).status == Status.COMPLETED
    assert ctx.requests.field_values(twin) == stored
    assert history(ctx, twin) == history(ctx, rid)
    assert {f.kind for f in ctx.store.archive.files(twin)} == set(files)


def test_finish_waits_for_every_required_field(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    assert view.missing_fields() == [3, 2, 0]  # reading order: checkbox, company, signature
    assert view.field_list.count() == 4
    assert "1 of 4 required" in view.progress_label.text()  # the date is filled in
    assert not view.finish_button.isEnabled()

    # Next field walks the required fields still to do; a text field gets the keyboard.
    view.next_field()
    assert view.field_list.currentItem().data(Qt.ItemDataRole.UserRole) == 2
    view.next_field()
    assert view.field_list.currentItem().data(Qt.ItemDataRole.UserRole) == 0
    click_field(qtbot, view, 3)
    line_edit(view, 2).setText("ACME")
    assert not view.finish_button.isEnabled() and view.missing_fields() == [0]
    view.finish()  # refused: nothing is recorded
    assert view.state == SigningState.SIGNING and view.banner.isVisible()
    assert ctx.requests.get(rid).recipients[0].signed_at is None

    # The date is the signing date: clicking it changes nothing, and it is never missing.
    click_field(qtbot, view, 1)
    assert view.field_item(1).shown_text == date.today().isoformat()
    assert view.missing_fields() == [0]
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    draw(qtbot, dialog.pad, SCRIBBLE[:1])
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert view.missing_fields() == [] and view.finish_button.isEnabled()
    click_field(qtbot, view, 3)  # unticking a required box makes it missing again
    assert not view.finish_button.isEnabled() and view.missing_fields() == [3]
    click_field(qtbot, view, 3)
    assert view.finish_button.isEnabled()
    qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    assert view.state == SigningState.HANDOVER
    values = ctx.requests.field_values(rid)
    assert values[1].value == date.today().isoformat()
    assert values[3].value == "true" and values[2].value == "ACME"


def test_a_typed_signature_and_separately_drawn_initials(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    spec = dict(
        SPEC,
        recipients=[JANE, BOB],
        fields=[
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 200,
                "height": 50,
            },
            {
                "recipientIndex": 0,
                "type": "initials",
                "page": 1,
                "x": 500,
                "y": 720,
                "width": 60,
                "height": 36,
            },
            {
                "recipientIndex": 0,
                "type": "initials",
                "page": 2,
                "x": 500,
                "y": 720,
                "width": 60,
                "height": 36,
                "required": False,
            },
            {
                "recipientIndex": 1,
                "type": "signature",
                "page": 2,
                "x": 72,
                "y": 300,
                "width": 200,
                "height": 50,
            },
        ],
    )
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    qtbot.mouseClick(dialog.pad.mode_button, Qt.MouseButton.LeftButton)
    dialog.pad.typed_edit.setText("")
    qtbot.keyClicks(dialog.pad.typed_edit, "Jane A. Doe")
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert view.field_item(0).shown_typed == "Jane A. Doe"
    click_field(qtbot, view, 1)
    initials = signature_dialog(qtbot, view)
    assert initials.pad.typed_text() == "JD"
    qtbot.mouseClick(initials.pad.mode_button, Qt.MouseButton.LeftButton)
    draw(qtbot, initials.pad, SCRIBBLE[:2])
    qtbot.mouseClick(initials.sign_button, Qt.MouseButton.LeftButton)
    assert view.finish_button.isEnabled()  # the optional initials stay empty
    qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    assert view.state == SigningState.HANDOVER

    values = ctx.requests.field_values(rid)
    assert values[0].value == "Jane A. Doe" and values[0].image is None
    assert values[1].value is None and values[1].image is not None
    assert values[1].image.startswith(b"\x89PNG")
    assert 2 not in values  # left empty on screen: not stamped
    kinds = [k for k, i in history(ctx, rid) if i == 0]
    assert kinds == ["viewed", "signed"]
    events = ctx.requests.events(rid)
    assert [e.detail for e in events if e.kind == "signed"] == ["typed signature"]


def test_choices_and_a_text_area(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    spec = dict(
        SPEC,
        recipients=[JANE, BOB],
        fields=[
            {
                "recipientIndex": 0,
                "type": "dropdown",
                "page": 1,
                "x": 150,
                "y": 540,
                "width": 160,
                "height": 24,
                "label": "Vessel",
                "options": ["Aurora", "Borealis"],
            },
            {
                "recipientIndex": 0,
                "type": "radio_buttons",
                "page": 1,
                "x": 330,
                "y": 626,
                "width": 120,
                "height": 24,
                "label": "Insurance",
                "options": ["Yes", "No"],
            },
            {
                "recipientIndex": 0,
                "type": "text_area",
                "page": 1,
                "x": 72,
                "y": 380,
                "width": 400,
                "height": 80,
                "label": "Notes",
                "required": False,
            },
            {
                "recipientIndex": 1,
                "type": "signature",
                "page": 2,
                "x": 72,
                "y": 300,
                "width": 200,
                "height": 50,
            },
        ],
    )
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    assert view.missing_fields() == [0, 1]
    for index, choice in ((0, "Borealis"), (1, "No")):
        click_field(qtbot, view, index)
        qtbot.waitUntil(
            lambda: view.options_menu is not None and view.options_menu.isVisible(), timeout=WAIT_MS
        )
        menu = view.options_menu
        assert menu is not None
        action = next(a for a in menu.actions() if a.text() == choice)
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        assert view.entries[index].value == choice
    assert view.field_item(0).shown_text == "Borealis"
    view.editor(2).setFocus()
    qtbot.keyClicks(view.editor(2), "Crew of two.")
    qtbot.keyClick(view.editor(2), Qt.Key.Key_Return)
    qtbot.keyClicks(view.editor(2), "Pets allowed.")
    assert view.finish_button.isEnabled()
    qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    assert view.state == SigningState.HANDOVER
    values = ctx.requests.field_values(rid)
    assert {i: v.value for i, v in values.items()} == {
        0: "Borealis",
        1: "No",
        2: "Crew of two.\nPets allowed.",
    }
    # Jane has no signature field: she signs with her typed name, as `sealbox sign` requires.
    events = ctx.requests.events(rid)
    assert [(e.kind, e.detail) for e in events if e.recipient_index == 0][-1] == (
        "signed",
        "typed signature",
    )


def test_declining_needs_a_reason(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    qtbot.mouseClick(view.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(view.active_dialog, DeclineDialog), timeout=WAIT_MS)
    dialog = view.active_dialog
    assert isinstance(dialog, DeclineDialog)
    assert not dialog.decline_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "   ")
    assert not dialog.decline_button.isEnabled()
    dialog.reason_edit.setPlainText("The hire is wrong: we agreed EUR 9,200.")
    assert dialog.decline_button.isEnabled()
    with qtbot.waitSignal(view.declined, timeout=WAIT_MS) as declined:
        qtbot.mouseClick(dialog.decline_button, Qt.MouseButton.LeftButton)
    assert declined.args == [rid]
    assert view.state == SigningState.DECLINED
    assert "Jane Doe declined" in view.outcome_title.text()
    assert "EUR 9,200" in view.detail.text()
    request = ctx.requests.get(rid)
    assert request.status == Status.DECLINED
    assert request.error_message == "The hire is wrong: we agreed EUR 9,200."
    assert request.recipients[0].decline_reason == "The hire is wrong: we agreed EUR 9,200."
    assert request.recipients[1].viewed_at is None
    # What `sealbox sign --decline` records: Jane viewed it, then declined it.
    assert history(ctx, rid) == [
        ("queued", None),
        ("sent", None),
        ("viewed", 0),
        ("viewed", None),
        ("declined", 0),
        ("declined", None),
    ]


def test_an_approver_approves(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    approver = dict(JANE, designation="Approver")
    spec = dict(
        SPEC,
        recipients=[approver, BOB],
        fields=[
            {
                "recipientIndex": 1,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 200,
                "height": 50,
            }
        ],
    )
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    assert view.finish_button.text() == "Approve" and view.finish_button.isEnabled()
    assert view.entries == {} and not view.field_item(0).active
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS):
        qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    request = ctx.requests.get(rid)
    assert request.recipients[0].signed_at is not None
    assert ("approved", 0) in history(ctx, rid)
    assert view.state == SigningState.HANDOVER and "Bob Roe" in view.handover_text


def test_a_damaged_working_copy_is_reported_before_anyone_signs(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path)
    document_path(ctx, rid).write_bytes(b"%PDF-1.7 not really")
    view = SigningView(ctx, bridge, rid)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.state == SigningState.ERROR, timeout=WAIT_MS)
    assert "working copy" in view.message.text() and "damaged" in view.message.text()
    assert ctx.requests.get(rid).status == Status.SENT


@pytest.mark.slow
def test_a_failure_while_sealing_loses_no_signature(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    spec = dict(SPEC, recipients=[JANE], fields=[SPEC["fields"][0]])
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    start(qtbot, view)
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    qtbot.mouseClick(dialog.pad.mode_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    working = document_path(ctx, rid)
    original = working.read_bytes()
    working.write_bytes(original + b"\n% changed after sending\n")
    qtbot.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.state == SigningState.ERROR, timeout=SEAL_TIMEOUT_MS)
    assert "no longer matches" in view.message.text()
    assert view.retry_button.isVisible()
    request = ctx.requests.get(rid)
    assert request.status == Status.VIEWED and request.recipients[0].signed_at is not None
    assert ctx.requests.field_values(rid)[0].value == "Jane Doe"

    working.write_bytes(original)
    with qtbot.waitSignal(view.finished, timeout=SEAL_TIMEOUT_MS) as done:
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    assert done.args == [rid, True]
    assert ctx.requests.get(rid).status == Status.COMPLETED
    assert view.state == SigningState.COMPLETED


def test_each_recipient_reads_the_senders_message_before_starting(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(
        qtbot,
        bridge,
        ctx,
        tmp_path,
        {**SPEC, "message": "The keys are at the front desk <b>today</b>."},
    )
    view = open_view(qtbot, ctx, bridge, rid)
    assert view.message_label.isVisible()
    assert "The keys are at the front desk <b>today</b>." in view.message_label.text().replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert "<b>today</b>" not in view.message_label.text()  # shown as text, not as markup


def test_no_message_no_message_line(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path, {**SPEC, "message": ""})
    view = open_view(qtbot, ctx, bridge, rid)
    assert not view.message_label.isVisible()


def test_a_signature_made_elsewhere_meanwhile_is_told_in_the_apps_words(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    """Jane signs on another Sealbox while this one shows her handover: Start says so without
    naming a command, and Try again completes the request."""
    spec = dict(SPEC, recipients=[JANE], fields=[SPEC["fields"][0]])
    rid = send_local(qtbot, bridge, ctx, tmp_path, spec)
    view = open_view(qtbot, ctx, bridge, rid)
    InPersonSigning(ctx).sign(rid, 0, Signature(typed="Jane Doe"))  # not sealed yet
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.state == SigningState.ERROR
    message = view.message.text()
    assert message == (
        "Jane Doe has already signed 'Charter agreement BK-12345'. Everyone has "
        "signed; it is waiting to be completed: Sealbox finishes it at its next "
        "check of the requests."
    )
    with qtbot.waitSignal(view.finished, timeout=SEAL_TIMEOUT_MS) as done:
        qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    assert done.args == [rid, True]
    assert ctx.requests.get(rid).status == Status.COMPLETED
