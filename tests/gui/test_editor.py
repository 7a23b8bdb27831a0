"""The editor with real mouse and keyboard events: placing, drawing, moving, resizing, nudging,
selecting, copying, anchors, preflight, provider switching, templates and sending.

Positions are checked in the domain document (canonical points), never on the scene items: the
scene mirrors the document and is not the truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.editing import DEFAULT_FIELD_SIZE
from app.domain.geometry import Rect
from app.domain.model import AnchorTag, Designation, FieldType, Recipient
from app.ui.bridge import AsyncBridge
from app.ui.editor.editor import EditorWidget
from app.ui.editor.fields import FieldItem
from app.ui.editor.view import EditorView
from app.ui.main import MainWindow
from tests.conftest import run_sealbox
from tests.support import pdfgen

TOLERANCE = 0.5
TIMEOUT_MS = 5000
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def window(qtbot: QtBot, home: Path, bridge: AsyncBridge) -> Iterator[MainWindow]:
    ctx = Context.from_environment()
    win = MainWindow(ctx, bridge)
    qtbot.addWidget(win)
    win.resize(1300, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    ctx.close()


def contract_pdf(
    tmp_path: Path, name: str = "contract.pdf", title: str = "Rental agreement"
) -> Path:
    """Three pages: a plain one with two anchors, a /Rotate 90 one and a cropped one (another
    ``title`` makes another document, with another SHA-256)."""
    pages = [
        pdfgen.anchor_page(
            anchor="{{sign_here}}",
            at=(100, 650),
            extra=[
                pdfgen.TextRun("{{sign_here}}", 350, 650, 14),
                pdfgen.TextRun("Rental agreement", 72, 90, 18),
            ],
        ),
        pdfgen.anchor_page(rotate=90, anchor="MARK", at=(300, 200)),
        pdfgen.anchor_page(
            cropbox=pdfgen.OFFSET_CROPBOX,
            anchor="MARK",
            at=(120, 300),
            extra=[pdfgen.TextRun("{{sign_here}}", 60, 500, 14)],
        ),
    ]
    return pdfgen.write(tmp_path / name, pdfgen.build_pdf(pages, title=title))


def open_pdf(qtbot: QtBot, win: MainWindow, path: Path) -> EditorWidget:
    editor = win.editor
    assert win.open_file(path)
    qtbot.waitUntil(lambda: editor.text_index is not None, timeout=TIMEOUT_MS)
    editor.editing.perform(
        "Name the signer",
        lambda d: d.update_recipient(0, Recipient("Jane", "Doe", "jane@example.com")),
    )
    return editor


def to_viewport(view: EditorView, page: int, x: float, y: float) -> QPoint:
    """The viewport pixel that shows canonical point (x, y) of ``page``."""
    item = view.doc_scene.page_item(page)
    return view.viewportTransform().map(item.mapToScene(QPointF(x, y))).toPoint()


def canonical_at(view: EditorView, page: int, pixel: QPoint) -> tuple[float, float]:
    """Where ``pixel`` is on the page as drawn: offset from the page's top-left, in points."""
    top_left = view.viewportTransform().map(view.doc_scene.page_item(page).scenePos())
    scale = view.viewportTransform().m11()
    return ((pixel.x() - top_left.x()) / scale, (pixel.y() - top_left.y()) / scale)


def drag_from_palette(
    qtbot: QtBot,
    editor: EditorWidget,
    kind: FieldType,
    target: QPoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Press on the palette entry, move past the drag distance, and drop on the view at
    ``target`` with the drag's own mime data (no drag loop runs offscreen, so the drag's run
    delivers the enter, move and drop events to the view)."""
    view = editor.view
    delivered: list[bool] = []

    def exec_(drag: QDrag) -> Qt.DropAction:
        mime = drag.mimeData()
        viewport = view.viewport()
        action = Qt.DropAction.CopyAction
        enter = QDragEnterEvent(target, action, mime, LEFT, NO_MOD)
        QApplication.sendEvent(viewport, enter)
        assert enter.isAccepted()
        move = QDragMoveEvent(target, action, mime, LEFT, NO_MOD)
        QApplication.sendEvent(viewport, move)
        assert move.isAccepted()
        drop = QDropEvent(QPointF(target), action, mime, LEFT, NO_MOD)
        QApplication.sendEvent(viewport, drop)
        delivered.append(drop.isAccepted())
        return action

    monkeypatch.setattr("app.ui.editor.palette.run_drag", exec_)
    button = editor.field_palette.buttons[kind]
    start = button.rect().center()
    qtbot.mousePress(button, LEFT, pos=start)
    qtbot.mouseMove(button, pos=start + QPoint(QApplication.startDragDistance() + 12, 4))
    qtbot.mouseRelease(button, LEFT, pos=start + QPoint(QApplication.startDragDistance() + 12, 4))
    assert delivered == [True]


def only_field(editor: EditorWidget) -> tuple[int, Any]:
    (item,) = editor.doc.fields()
    return item


def assert_close(actual: float, expected: float) -> None:
    assert abs(actual - expected) <= TOLERANCE, (actual, expected)


def field_center(editor: EditorWidget, fid: int) -> tuple[float, float]:
    f = editor.doc.field(fid)
    return f.x + f.width / 2, f.y + f.height / 2


# --- placing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("zoom", "ratio"), [(0.75, 1.0), (1.0, 2.0), (1.6, 1.0), (2.5, 2.0)])
def test_each_field_type_dragged_from_the_palette_lands_under_the_pointer(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zoom: float,
    ratio: float,
) -> None:
    monkeypatch.setattr(EditorView, "render_ratio", lambda self: ratio)
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(zoom)
    view.go_to_page(1)
    for n, kind in enumerate(FieldType):
        view.go_to_page(1)
        width, height = DEFAULT_FIELD_SIZE[kind]
        target = to_viewport(view, 1, 150 + 10 * n + width / 2, 120 + 60 * n + height / 2)
        drag_from_palette(qtbot, editor, kind, target, monkeypatch)
        fid = editor.doc.field_ids()[-1]
        f = editor.doc.field(fid)
        assert f.type == kind and f.page == 1 and f.recipient_index == 0
        cx, cy = canonical_at(view, 1, target)
        assert_close(f.x, cx - width / 2)
        assert_close(f.y, cy - height / 2)
        assert (f.width, f.height) == (width, height)
        assert editor.view.selected_ids() == [fid]
    assert len(editor.doc) == len(FieldType)
    # Each drop is one undo step.
    for remaining in range(len(FieldType) - 1, -1, -1):
        editor.editing.stack.undo()
        assert len(editor.doc) == remaining


@pytest.mark.parametrize(("page", "mark"), [(2, (300.0, 200.0)), (3, (120.0, 300.0))])
@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_a_field_dropped_on_a_rotated_or_cropped_page_lands_on_the_text_under_it(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    page: int,
    mark: tuple[float, float],
    ratio: float,
) -> None:
    """The marker text is drawn at a known place on the page as displayed (the PDF generator
    works out the rotated and cropped user space): the rendered image shows ink there, and a
    checkbox dropped on that pixel is stored at that canonical point."""
    monkeypatch.setattr(EditorView, "render_ratio", lambda self: ratio)
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(2.0)
    view.go_to_page(page)
    point = (mark[0] + 6, mark[1] - 4)  # inside the first letter, above the baseline
    item = view.doc_scene.page_item(page)
    qtbot.waitUntil(
        lambda: item.image is not None and item.image_scale == pytest.approx(2.0 * 96 / 72 * ratio),
        timeout=TIMEOUT_MS,
    )
    image = item.image
    assert image is not None
    assert image.width() == round(item.geometry.width * item.image_scale)
    px = int(point[0] * item.image_scale)
    py = int(point[1] * item.image_scale)
    reach = int(2 * item.image_scale)  # 2 points around it, at any resolution
    dark = min(
        image.pixelColor(px + dx, py + dy).lightness()
        for dx in range(-reach, reach + 1)
        for dy in range(-reach, reach + 1)
    )
    assert dark < 128, "the page image shows no text where the generator drew it"
    target = to_viewport(view, page, *point)
    drag_from_palette(qtbot, editor, FieldType.CHECKBOX, target, monkeypatch)
    fid = editor.doc.field_ids()[-1]
    assert editor.doc.field(fid).page == page
    cx, cy = field_center(editor, fid)
    assert_close(cx, point[0])
    assert_close(cy, point[1])


def test_click_drag_draws_a_field_with_the_armed_type(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(1.25)
    view.go_to_page(1)
    qtbot.mouseClick(editor.field_palette.buttons[FieldType.TEXT], LEFT)
    assert view.armed == FieldType.TEXT
    start, end = to_viewport(view, 1, 100, 300), to_viewport(view, 1, 260, 330)
    qtbot.mousePress(view.viewport(), LEFT, pos=start)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=end)
    _, f = only_field(editor)
    x0, y0 = canonical_at(view, 1, start)
    x1, y1 = canonical_at(view, 1, end)
    assert f.type == FieldType.TEXT
    for actual, expected in ((f.x, x0), (f.y, y0), (f.width, x1 - x0), (f.height, y1 - y0)):
        assert_close(actual, expected)
    assert view.armed is None
    assert not editor.field_palette.buttons[FieldType.TEXT].isChecked()


# --- moving, resizing, nudging -------------------------------------------------------------------


def place(
    editor: EditorWidget,
    kind: FieldType,
    page: int,
    x: float,
    y: float,
    w: float = 180,
    h: float = 48,
) -> int:
    fid = editor.add_field(kind, page, Rect(x, y, w, h))
    assert fid is not None
    return fid


def test_a_mouse_drag_moves_a_field_in_one_undo_step(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.snapping = False
    view.set_zoom(1.5)
    view.go_to_page(1)
    fid = place(editor, FieldType.SIGNATURE, 1, 100, 200)
    before = editor.doc.snapshot()
    steps = editor.editing.stack.count()
    grab = to_viewport(view, 1, 150, 220)
    drop = to_viewport(view, 1, 230, 300)
    qtbot.mousePress(view.viewport(), LEFT, pos=grab)
    for i in range(1, 6):
        qtbot.mouseMove(view.viewport(), pos=grab + (drop - grab) * i / 5)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=drop)
    f = editor.doc.field(fid)
    (gx, gy), (dx, dy) = canonical_at(view, 1, grab), canonical_at(view, 1, drop)
    assert_close(f.x, 100 + dx - gx)
    assert_close(f.y, 200 + dy - gy)
    assert editor.editing.stack.count() == steps + 1
    after = editor.doc.snapshot()
    editor.editing.stack.undo()
    assert editor.doc.snapshot() == before
    item = view.layer.items[fid]
    assert (item.pos().x(), item.pos().y()) == (100, 200)  # the scene follows the document
    editor.editing.stack.redo()
    assert editor.doc.snapshot() == after


def test_a_field_is_kept_inside_its_page_when_dragged_past_the_edge(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(1.0)
    view.go_to_page(1)
    fid = place(editor, FieldType.SIGNATURE, 1, 400, 100)
    grab = to_viewport(view, 1, 450, 120)
    qtbot.mousePress(view.viewport(), LEFT, pos=grab)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=grab + QPoint(600, -400))
    f = editor.doc.field(fid)
    assert (f.x + f.width, f.y) == (612, 0)


def test_dragging_a_handle_resizes_and_snaps_to_another_field(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(1.5)
    view.go_to_page(1)
    place(editor, FieldType.DATE, 1, 300, 400, 100, 24)  # right edge at 400
    fid = place(editor, FieldType.TEXT, 1, 100, 200, 150, 24)
    assert view.selected_ids() == [fid]
    handle = to_viewport(view, 1, 250, 212)  # the right-middle handle
    target = to_viewport(view, 1, 397, 212)  # 3 pt short of 400: within the snapping reach
    qtbot.mousePress(view.viewport(), LEFT, pos=handle)
    qtbot.mouseMove(view.viewport(), pos=target)
    assert view.layer.guides.isVisible() and view.layer.guides.lines  # a guide is shown
    qtbot.mouseRelease(view.viewport(), LEFT, pos=target)
    f = editor.doc.field(fid)
    assert (f.x, f.y, f.height) == (100, 200, 24)
    assert f.x + f.width == pytest.approx(400)
    assert not view.layer.guides.isVisible()
    editor.editing.stack.undo()
    assert editor.doc.field(fid).width == 150


def test_moving_snaps_centres_and_edges_to_other_fields(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.set_zoom(2.0)
    view.go_to_page(1)
    place(editor, FieldType.SIGNATURE, 1, 100, 100, 180, 48)  # centre x = 190
    fid = place(editor, FieldType.DATE, 1, 300, 300, 110, 24)  # centre x = 355
    grab = to_viewport(view, 1, 355, 312)
    qtbot.mousePress(view.viewport(), LEFT, pos=grab)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=to_viewport(view, 1, 192, 412))
    f = editor.doc.field(fid)
    assert f.x + f.width / 2 == pytest.approx(190)  # centres line up exactly
    assert_close(f.y, 400)


def test_arrow_keys_nudge_and_alt_arrows_resize(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    fid = place(editor, FieldType.SIGNATURE, 1, 100, 100)
    steps = editor.editing.stack.count()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    f = editor.doc.field(fid)
    assert (f.x, f.y) == (102, 110)
    assert editor.editing.stack.count() == steps + 1  # a run of nudges is one undo step
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(
        view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    )
    f = editor.doc.field(fid)
    assert (f.x, f.y, f.width, f.height) == (102, 110, 181, 58)
    editor.editing.stack.undo()
    editor.editing.stack.undo()
    f = editor.doc.field(fid)
    assert (f.x, f.y, f.width, f.height) == (100, 100, 180, 48)


# --- selecting, copying, deleting ----------------------------------------------------------------


def test_rubber_band_and_ctrl_click_select_several_and_move_them_together(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    view.snapping = False
    view.set_zoom(1.0)
    view.go_to_page(1)
    a = place(editor, FieldType.SIGNATURE, 1, 100, 300, 100, 40)
    b = place(editor, FieldType.DATE, 1, 250, 300, 100, 24)
    c = place(editor, FieldType.TEXT, 1, 100, 500, 100, 24)
    view.doc_scene.clearSelection()
    start, end = to_viewport(view, 1, 80, 280), to_viewport(view, 1, 380, 360)
    qtbot.mousePress(view.viewport(), LEFT, pos=start)
    qtbot.mouseMove(view.viewport(), pos=(start + end) / 2)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=end)
    assert sorted(view.selected_ids()) == [a, b]
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mouseClick(view.viewport(), LEFT, ctrl, to_viewport(view, 1, 150, 510))
    assert sorted(view.selected_ids()) == [a, b, c]
    qtbot.mouseClick(view.viewport(), LEFT, ctrl, to_viewport(view, 1, 300, 310))
    assert sorted(view.selected_ids()) == [a, c]
    grab = to_viewport(view, 1, 150, 320)
    qtbot.mousePress(view.viewport(), LEFT, pos=grab)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=to_viewport(view, 1, 190, 340))
    (gx, gy), (dx, dy) = (
        canonical_at(view, 1, grab),
        canonical_at(view, 1, to_viewport(view, 1, 190, 340)),
    )
    moved = {fid: (editor.doc.field(fid).x, editor.doc.field(fid).y) for fid in (a, b, c)}
    assert moved[b] == (250, 300)
    assert_close(moved[a][0], 100 + dx - gx)
    assert_close(moved[c][1], 500 + dy - gy)
    # Moved together by the same amount.
    assert (moved[a][0] - 100, moved[a][1] - 300) == (moved[c][0] - 100, moved[c][1] - 500)


def test_copy_paste_duplicate_delete_and_copy_to_all_pages(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    view = editor.view
    fid = place(editor, FieldType.INITIALS, 1, 500, 700, 72, 36)
    start = editor.doc.snapshot()
    assert view.copy_selection() == 1
    view.go_to_page(1)
    (pasted,) = view.paste()
    p = editor.doc.field(pasted)
    assert (p.page, p.x, p.y) == (1, 512, 712)
    (dup,) = view.duplicate()
    assert (editor.doc.field(dup).x, editor.doc.field(dup).y) == (524, 724)
    view.delete_selection()
    assert not editor.doc.has_field(dup)
    view.layer.select([fid])
    editor.copy_to_all_pages()
    copies = [f for _, f in editor.doc.fields() if f.page != 1]
    sizes = {f.page: (f.x, f.y, f.width, f.height) for f in copies}
    assert sorted(sizes) == [2, 3]
    # Page 2 is turned (792 x 612 as shown): the copy is kept inside it.
    assert sizes[2][1] + sizes[2][3] <= 612 and sizes[3][0] + sizes[3][2] <= 400
    for _ in range(4):
        editor.editing.stack.undo()
    assert editor.doc.snapshot() == start


def test_copy_to_a_page_range_asks_for_pages_and_refuses_bad_ones(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    place(editor, FieldType.CHECKBOX, 1, 50, 50, 18, 18)
    answers = iter([("2-9", True), ("3", True)])
    monkeypatch.setattr("app.ui.editor.editor.QInputDialog.getText", lambda *a, **k: next(answers))
    warnings: list[str] = []
    monkeypatch.setattr(
        "app.ui.editor.editor.QMessageBox.warning",
        lambda parent, title, text: warnings.append(text),
    )
    before = editor.doc.snapshot()
    editor.copy_to_page_range()
    assert editor.doc.snapshot() == before
    assert warnings == ["'2-9' is outside the document: pages go from 1 to 3"]
    editor.copy_to_page_range()
    assert sorted(f.page for _, f in editor.doc.fields()) == [1, 3]


# --- anchors, provider, preflight, send ----------------------------------------------------------


def test_anchor_matches_are_highlighted_and_counted(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    panel = editor.anchors
    panel.text_edit.setFocus()
    qtbot.keyClicks(panel.text_edit, "{{sign_here}}")
    qtbot.waitUntil(lambda: editor.view.highlight_count() == 3, timeout=TIMEOUT_MS)
    assert "3" in panel.count_label.text()
    qtbot.mouseClick(panel.add_button, LEFT)
    assert [a.anchor_string for a in editor.doc.anchors] == ["{{sign_here}}"]
    panel.text_edit.clear()
    qtbot.waitUntil(lambda: editor.view.highlight_count() == 3, timeout=TIMEOUT_MS)
    editor.editing.perform(
        "Add", lambda d: d.add_anchor(AnchorTag("{{nowhere}}", FieldType.SIGNATURE, 0))
    )
    problems = editor.run_preflight()
    assert any("{{nowhere}}" in p.message and p.target.kind == "anchor" for p in problems)
    assert not editor.send_button.isEnabled()


def test_switching_provider_marks_unsupported_fields_without_deleting_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_ITASIGN_API_KEY", "test-key")
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    fid = place(editor, FieldType.SIGNATURE, 1, 100, 100)
    assert editor.view.layer.items[fid].supported
    editor.provider_box.setCurrentIndex(editor.provider_box.findData("itasign"))
    assert editor.provider_id == "itasign"
    assert editor.doc.has_field(fid)
    assert not editor.view.layer.items[fid].supported
    assert not editor.field_palette.buttons[FieldType.SIGNATURE].isEnabled()
    assert editor.problems and not editor.send_button.isEnabled()
    editor.provider_box.setCurrentIndex(editor.provider_box.findData("local"))
    assert editor.view.layer.items[fid].supported
    assert editor.run_preflight() == []


def test_preflight_blocks_send_until_fixed_then_sends_like_the_command(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    pdf = contract_pdf(tmp_path)
    editor = window.editor
    assert window.open_file(pdf)
    editor.run_preflight()
    assert editor.problems and not editor.send_button.isEnabled()
    kinds = {p.target.kind for p in editor.problems}
    assert "recipient" in kinds
    # Clicking a problem goes to what it is about.
    first = editor.preflight_panel.problems()[0]
    editor.reveal(first.target)
    editor.editing.perform(
        "Name", lambda d: d.update_recipient(0, Recipient("Jane", "Doe", "jane@example.com"))
    )
    editor.editing.perform(
        "Add", lambda d: d.add_recipient(Recipient("Sam", "Roe", "sam@example.com", Designation.CC))
    )
    qtbot.waitUntil(
        lambda: (
            bool(editor.problems) and all("field" in p.message.lower() for p in editor.problems)
        ),
        timeout=TIMEOUT_MS,
    )
    assert not editor.send_button.isEnabled()
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    qtbot.waitUntil(lambda: editor.send_button.isEnabled(), timeout=TIMEOUT_MS)
    assert editor.problems == []
    spec = editor.doc.to_spec()
    with qtbot.waitSignal(editor.sent, timeout=TIMEOUT_MS) as sent:
        qtbot.mouseClick(editor.send_button, LEFT)
        assert editor.send_button.text() == "Sending…" and not editor.send_button.isEnabled()
        assert window.busy.isVisible()  # progress shows while the window stays responsive
    request_id = sent.args[0]
    assert window.places.currentIndex() == 1
    qtbot.waitUntil(lambda: not window.busy.isVisible(), timeout=TIMEOUT_MS)
    assert window.requests_page.selected_id() == request_id
    ui = editor.ctx.requests.get(request_id)

    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec.to_json()))
    result = run_sealbox("send", str(pdf), "--spec", str(spec_file), "--json")
    assert result.returncode == 0, result.stderr
    cli = editor.ctx.requests.get(json.loads(result.stdout)["id"])
    assert ui.spec == cli.spec == spec
    assert (ui.provider, ui.status, ui.document_sha256, ui.page_count) == (
        cli.provider,
        cli.status,
        cli.document_sha256,
        cli.page_count,
    )
    assert editor.ctx.store.outbox.get(ui.id) is not None


def test_a_refused_send_says_why_and_keeps_the_document(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    qtbot.waitUntil(lambda: editor.send_button.isEnabled(), timeout=TIMEOUT_MS)
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.editor.editor.QMessageBox.warning", lambda parent, title, text: shown.append(text)
    )
    assert editor.path is not None
    editor.path.unlink()  # the file went away after it was opened
    before = editor.doc.snapshot()
    editor.send()
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT_MS)
    assert "contract.pdf does not exist" in shown[0]
    assert editor.doc.snapshot() == before
    assert editor.ctx.requests.find() == []
    assert editor.send_button.text() == "Send for signature"


# --- templates, documents ------------------------------------------------------------------------


def test_a_template_saved_on_one_pdf_applies_to_another(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    place(editor, FieldType.DATE, 3, 50, 60, 110, 24)
    editor.editing.perform(
        "Anchor", lambda d: d.add_anchor(AnchorTag("{{sign_here}}", FieldType.INITIALS, 0))
    )
    monkeypatch.setattr(
        "app.ui.editor.templates.QInputDialog.getText", lambda *a, **k: ("Rental", True)
    )
    editor.save_template()
    saved = editor.doc.to_spec()

    other = pdfgen.write(tmp_path / "short.pdf", pdfgen.text_pdf(["One", "Two"]))
    assert window.open_file(other)
    asked: list[str] = []

    def answer_yes(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr("app.ui.editor.templates.QMessageBox.question", answer_yes)
    assert editor.apply_template("Rental")
    assert len(asked) == 1 and "3-page" in asked[0]
    spec = editor.doc.to_spec()
    assert spec.recipients == saved.recipients and spec.anchor_tags == saved.anchor_tags
    assert [(f.type, f.page) for f in spec.fields] == [(FieldType.SIGNATURE, 1)]
    assert spec.name == "short"  # the document keeps its own name
    editor.editing.stack.undo()
    assert len(editor.doc) == 0

    dest = tmp_path / "rental.json"
    monkeypatch.setattr(
        "app.ui.editor.templates.QInputDialog.getItem", lambda *a, **k: ("Rental", True)
    )
    monkeypatch.setattr(
        "app.ui.editor.templates.QFileDialog.getSaveFileName", lambda *a, **k: (str(dest), "")
    )
    editor.export_template()
    exported = json.loads(dest.read_text())
    assert exported["anchorTags"][0]["anchorString"] == "{{sign_here}}"
    assert len(exported["fields"]) == 2


def test_opening_another_pdf_starts_fresh_and_remembers_recent_files(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    first = contract_pdf(tmp_path, "first.pdf")
    second = pdfgen.write(tmp_path / "second.pdf", pdfgen.text_pdf(["Only page"]))
    editor = open_pdf(qtbot, window, first)
    place(editor, FieldType.SIGNATURE, 2, 10, 10)
    assert window.open_file(second)
    assert len(editor.doc) == 0 and editor.view.layer.items == {}
    assert not editor.editing.stack.canUndo()
    assert window.windowTitle() == "second.pdf — Sealbox"
    assert editor.recent_files()[:2] == [str(second), str(first)]


def test_a_bad_pdf_is_refused_and_the_open_document_stays(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    fid = place(editor, FieldType.SIGNATURE, 1, 10, 10)
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.editor.editor.QMessageBox.warning", lambda parent, title, text: shown.append(text)
    )
    bad = tmp_path / "notes.pdf"
    bad.write_text("not a pdf")
    assert not window.open_file(bad)
    assert len(shown) == 1 and "notes.pdf is not a PDF" in shown[0]
    assert editor.doc.has_field(fid) and window.windowTitle() == "contract.pdf — Sealbox"


def test_a_pdf_dropped_on_the_window_opens(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QUrl

    pdf = contract_pdf(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pdf))])
    target = window.editor.view.viewport()
    point = target.rect().center()
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(point, action, mime, LEFT, NO_MOD)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()  # the view leaves files to the window, which takes PDFs
    QApplication.sendEvent(target, QDropEvent(QPointF(point), action, mime, LEFT, NO_MOD))
    assert window.editor.path == pdf


def test_field_items_mirror_undo_of_a_removed_recipient(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    editor.editing.perform(
        "Add", lambda d: d.add_recipient(Recipient("Sam", "Roe", "sam@example.com"))
    )
    editor.view.current_recipient = 1
    fid = place(editor, FieldType.SIGNATURE, 1, 100, 100)
    editor.editing.perform("Remove", lambda d: d.remove_recipient(1))
    assert fid not in editor.view.layer.items
    editor.editing.stack.undo()
    item = editor.view.layer.items[fid]
    assert isinstance(item, FieldItem) and item.field.recipient_index == 1
    assert "Sam Roe" in item.toolTip()


@pytest.fixture
def unreachable_saypdf(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SayPDF configured at a loopback port nobody listens on (set before the window exists)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SEALBOX_SAYPDF_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SEALBOX_SAYPDF_API_KEY", "key")
    monkeypatch.setenv("SEALBOX_SENDER_EMAIL", "office@example.com")
    monkeypatch.setenv("SEALBOX_SENDER_NAME", "Office")


def test_a_send_that_cannot_reach_the_provider_is_kept_and_sent_once_later(
    qtbot: QtBot,
    unreachable_saypdf: None,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request stays queued with its key; a second Send delivers that same request instead
    of making another."""
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    editor.provider_box.setCurrentIndex(editor.provider_box.findData("saypdf"))
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    editor.run_preflight()
    assert editor.problems == []
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.editor.editor.QMessageBox.warning", lambda parent, title, text: shown.append(text)
    )
    for attempt in (1, 2):
        editor.send()

        def reported(count: int = attempt) -> bool:
            return len(shown) == count

        qtbot.waitUntil(reported, timeout=20_000)
        assert "SayPDF" in shown[-1]
        (request,) = editor.ctx.requests.find()
        item = editor.ctx.store.outbox.get(request.id)
        assert item is not None and item.state == "pending" and item.attempts == attempt
