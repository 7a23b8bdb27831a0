"""The signature panel in Prepare, with a PDF that arrives signed twice with a form filled in
between: each signature listed with what a reader needs, a click that shows the signature's
field on its page, and the revision it signed opened read only. (The Archive place's panel is
tested with the archive's fixtures in test_archive_view.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsRectItem, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from app.ui.signatures.panel import SignaturePanel
from tests.support import pdfgen, received

TIMEOUT_MS = 15_000
#: Erika's field: page 2, (72, 500)-(272, 560) in PDF space, so 232 points from the top.
ERIKA_BOX = (72, 500, 272, 560)


@pytest.fixture(scope="module")
def twice_signed() -> tuple[bytes, int]:
    """Erika signs (a visible field on page 2), a form field is filled in, Max signs; and the
    length of what Erika signed. Made before the test's loop runs (pyHanko runs its own)."""
    first = received.sign(received.form_with_field(), box=ERIKA_BOX, page=2)
    filled = received.fill_field(first, "Name", "Jane Doe")
    return received.sign(filled, name="Max Muster", field_name="Signature2"), len(first)


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


def click_item(qtbot: QtBot, panel: SignaturePanel, item: QTreeWidgetItem) -> None:
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def top_texts(panel: SignaturePanel) -> list[str]:
    """The signatures' rows, as the panel shows them."""
    out = []
    for i in range(panel.tree.topLevelItemCount()):
        item = panel.tree.topLevelItem(i)
        assert item is not None
        out.append(item.text(0))
    return out


def child(item: QTreeWidgetItem | None, index: int) -> QTreeWidgetItem:
    assert item is not None
    found = item.child(index)
    assert found is not None
    return found


def child_texts(item: QTreeWidgetItem | None) -> list[str]:
    """The lines under a row."""
    assert item is not None
    return [child(item, i).text(0) for i in range(item.childCount())]


def test_prepare_lists_the_signatures_of_a_signed_pdf_and_shows_them(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, twice_signed: tuple[bytes, int]
) -> None:
    data, erika_length = twice_signed
    path = pdfgen.write(tmp_path / "registration.pdf", data)
    editor = window.editor
    panel = editor.signatures.panel
    with qtbot.waitSignal(panel.loaded, timeout=TIMEOUT_MS) as loaded:
        assert window.open_file(path)
    assert loaded.args == [2]
    tabs = editor.tabs
    index = editor.signatures.index
    assert tabs.isTabVisible(index) and tabs.tabText(index) == "Signatures"
    bar = tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentWidget() is panel

    assert top_texts(panel) == [
        "Signature 1: valid, but the signer is not trusted (Erika Mustermann)",
        "Signature 2: valid, but the signer is not trusted (Max Muster)",
    ]
    erika = panel.signature_item(1)
    assert erika is not None
    lines = child_texts(erika)
    assert lines[0] == "Signed by: CN=Erika Mustermann, O=Beispiel GmbH"
    assert lines[1].startswith("Signed on ") and lines[1].endswith(
        "by the signer's own clock (not proven)"
    )
    assert lines[2] == "Certificates (the signer's first):"
    assert child_texts(child(erika, 2))[0].startswith(
        "CN=Erika Mustermann, O=Beispiel GmbH — issuer unknown (until "
    )
    assert "Revocation data found: none" in lines
    assert "Long-term level: B-B (a basic signature: its time is the signer's clock)" in lines
    assert "Covers: later revisions added: form fill, a signature by Max Muster" in lines
    assert "On page 2" in lines
    assert panel.renewal.text() == "No document timestamp: there is no long-term proof to renew."
    assert not panel.signed_button.isEnabled()  # nothing chosen yet

    # A click shows Erika's field, outlined, on page 2.
    click_item(qtbot, panel, erika)
    view = editor.view
    qtbot.waitUntil(lambda: view.current_page() == 2, timeout=TIMEOUT_MS)
    outline = editor.signatures.highlight.item
    assert isinstance(outline, QGraphicsRectItem)
    assert outline.parentItem() is view.doc_scene.page_item(2)
    box = outline.rect()
    assert (round(box.x()), round(box.y()), round(box.width()), round(box.height())) == (
        72,
        232,
        200,
        60,
    )
    assert view.viewport().rect().contains(view.mapFromScene(outline.sceneBoundingRect().center()))

    # View signed version: the file as Erika signed it, read only, in a window of its own.
    assert panel.signed_button.isEnabled()
    QTest.mouseClick(panel.signed_button, Qt.MouseButton.LeftButton)
    [signed_window] = panel.signed_windows
    with qtbot.waitSignal(signed_window.ready, timeout=TIMEOUT_MS) as ready:
        pass
    assert ready.args == [2]
    assert signed_window.path is not None
    assert signed_window.path.read_bytes() == data[:erika_length]
    assert signed_window.note.text().startswith(
        "The document as it was when Erika Mustermann made signature 1"
    )
    folder = signed_window.path.parent
    signed_window.close()
    qtbot.waitUntil(lambda: not folder.exists(), timeout=TIMEOUT_MS)
    assert path.read_bytes() == data  # the opened file is untouched

    # A PDF without signatures has no Signatures tab.
    plain = pdfgen.write(tmp_path / "plain.pdf", received.contract())
    assert window.open_file(plain)
    assert not tabs.isTabVisible(index)
