"""Prepare with PDFs as an office receives them: the banner that says a PDF is already signed
(and by whom), the Check that names a provider that would break that signature, and the Anchors
panel's field count against the limit, OCR option and anchor-text option."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.model import AnchorTag, FieldType, Recipient
from app.ui.bridge import AsyncBridge
from app.ui.editor.editor import EditorWidget
from app.ui.editor.side import ANCHORS_TAB
from app.ui.main import MainWindow
from tests.support import pdfgen, received

TIMEOUT_MS = 10000


@pytest.fixture(scope="module")
def countersigned() -> bytes:
    """Signed with pyHanko, which runs its own event loop: made before the test's loop runs."""
    return received.signed_contract()


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


def open_pdf(qtbot: QtBot, win: MainWindow, path: Path) -> EditorWidget:
    editor = win.editor
    assert win.open_file(path)
    qtbot.waitUntil(lambda: editor.text_index is not None, timeout=TIMEOUT_MS)
    editor.editing.perform(
        "Name the signer",
        lambda d: d.update_recipient(0, Recipient("Jane", "Doe", "jane@example.com")),
    )
    return editor


def test_a_signed_pdf_shows_who_signed_it(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, countersigned: bytes
) -> None:
    signed = pdfgen.write(tmp_path / "countersigned.pdf", countersigned)
    editor = open_pdf(qtbot, window, signed)
    banner = editor.signed_banner
    assert banner.isVisible()
    assert banner.text().startswith(
        "This PDF is already signed by Erika Mustermann (a digital signature)."
    )
    assert "Signature1: Erika Mustermann" in banner.toolTip()

    # The built-in provider keeps it; a service that rewrites the file is named in Check.
    assert not [p for p in editor.run_preflight() if "signed" in p.message]
    editor.set_provider("signature_nc")
    messages = [p.message for p in editor.run_preflight()]
    assert any(
        "already signed by Erika Mustermann, and Signature.nc would invalidate that signature" in m
        for m in messages
    )

    plain = pdfgen.write(tmp_path / "plain.pdf", received.contract())
    open_pdf(qtbot, window, plain)
    assert not banner.isVisible()


def show_anchors_tab(qtbot: QtBot, editor: EditorWidget) -> None:
    """Click the Anchors tab, as a user does."""
    bar = editor.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(ANCHORS_TAB).center())
    assert editor.side.current_tab() == ANCHORS_TAB


def test_the_anchors_panel_adds_up_the_fields(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    pdf = pdfgen.write(tmp_path / "terms.pdf", received.footer_pdf(210))
    editor = open_pdf(qtbot, window, pdf)
    show_anchors_tab(qtbot, editor)
    panel = editor.anchors
    panel.text_edit.setText("Initials:")
    panel.type_combo.setCurrentIndex(panel.type_combo.findData(FieldType.INITIALS))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert [a.anchor_string for a in editor.doc.anchors] == ["Initials:"]
    assert panel.total_label.isVisible()
    assert panel.total_label.text() == (
        "Fields: 210 from anchors + 0 placed = 210 of at most 200 — too many"
    )
    assert "font-weight: bold" in panel.total_label.styleSheet()
    problems = [p.message for p in editor.run_preflight()]
    assert any(
        m.startswith(
            "Anchors: they make 210 fields, more than the limit of 200 "
            "('Initials:' alone makes 210)"
        )
        for m in problems
    )
    assert not editor.send_button.isEnabled()


def test_the_remove_text_option_goes_into_the_anchor(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, pdfgen.write(tmp_path / "c.pdf", received.contract()))
    panel = editor.anchors
    show_anchors_tab(qtbot, editor)
    assert panel.remove_check.isChecked()
    qtbot.mouseClick(
        panel.remove_check, Qt.MouseButton.LeftButton, pos=panel.remove_check.rect().center()
    )
    assert not panel.remove_check.isChecked()
    panel.text_edit.setText(received.ANCHOR)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    (anchor,) = editor.doc.anchors
    assert not anchor.remove_text
    assert editor.doc.to_spec().to_json()["anchorTags"][0]["removeAnchorText"] is False
    assert panel.total_label.text() == "Fields: 1 from anchors + 0 placed = 1 of at most 200"


def test_ocr_finds_an_anchor_on_a_scan(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    scan = received.image_only_pdf([(f"Sign here: {received.ANCHOR}", (72, 400))])
    editor = open_pdf(qtbot, window, pdfgen.write(tmp_path / "scan.pdf", scan))
    panel = editor.anchors
    show_anchors_tab(qtbot, editor)
    editor.editing.perform(
        "Add anchor", lambda d: d.add_anchor(AnchorTag(received.ANCHOR, FieldType.SIGNATURE, 0))
    )
    (problem,) = [p.message for p in editor.run_preflight() if "scanned" in p.message]
    assert problem.startswith(
        "Anchor '{{sign_here}}' is not in the document; page 1 is a "
        'scanned image without a text layer (tick "Find anchors in '
        'scanned pages (OCR)" in Anchors to read it)'
    )
    assert panel.ocr_check.isEnabled()  # Tesseract is installed (.ci/run installs it)

    qtbot.mouseClick(panel.ocr_check, Qt.MouseButton.LeftButton)
    assert editor.doc.ocr_anchors and editor.doc.to_spec().ocr_anchors
    qtbot.waitUntil(
        lambda: editor.text_index is not None and bool(editor.text_index.ocr_pages),
        timeout=TIMEOUT_MS,
    )
    qtbot.waitUntil(lambda: panel.model.count(received.ANCHOR) == 1, timeout=TIMEOUT_MS)
    assert editor.run_preflight() == []

    editor.editing.stack.undo()  # the option is one undo step
    assert not editor.doc.ocr_anchors and not panel.ocr_check.isChecked()
    # The text is read again without OCR (waited for: no reading may outlive the test).
    qtbot.waitUntil(
        lambda: editor.text_index is not None and not editor.text_index.ocr_pages,
        timeout=TIMEOUT_MS,
    )
    assert panel.model.count(received.ANCHOR) == 0
