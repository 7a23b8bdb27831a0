"""Helpers for driving Prepare as a user does: mouse clicks and key presses on the real widgets.

Nothing here calls the code behind a widget: a tab is clicked on its tab bar, a name is typed
into its input, a combo box is opened and its entry picked with the keyboard, a question is
answered by clicking its button. A widget inside a scrolled panel is first scrolled into view,
as the user would scroll to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.domain.model import FieldType
from app.ui.editor.editor import EditorWidget
from app.ui.editor.fields import FieldItem
from app.ui.main import MainWindow
from tests.gui.test_editor import to_viewport
from tests.support import pdfgen

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier
WAIT_MS = 10_000


def lease_pdf(tmp_path: Path, name: str = "lease.pdf", title: str = "Flat lease") -> Path:
    """Two pages; page 1 has a {{bob_signs}} anchor once, page 2 a plain line."""
    pages = [
        pdfgen.anchor_page(
            anchor="{{bob_signs}}",
            at=(320, 650),
            extra=[
                pdfgen.TextRun("Flat lease agreement", 72, 90, 18),
                pdfgen.TextRun("Tenant signature:", 72, 620, 11),
            ],
        ),
        pdfgen.anchor_page(anchor="Inventory", at=(72, 100)),
    ]
    return pdfgen.write(tmp_path / name, pdfgen.build_pdf(pages, title=title))


def scroll_to(widget: QWidget) -> None:
    """Scroll every panel around ``widget`` so that it is in view (what the user does)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            parent.ensureWidgetVisible(widget, 10, 10)
        parent = parent.parentWidget()


def click(qtbot: QtBot, widget: QWidget, pos: QPoint | None = None) -> None:
    scroll_to(widget)
    assert widget.isVisible() and widget.isEnabled(), widget
    qtbot.mouseClick(widget, LEFT, pos=pos if pos is not None else widget.rect().center())


def click_tab(qtbot: QtBot, tabs: QTabWidget, title: str) -> None:
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i).startswith(title))
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index


def key_target(widget: QWidget) -> QWidget:
    """Where the keyboard goes: an open popup (a completion list) first, as on a desktop."""
    return QApplication.activePopupWidget() or widget


def type_keys(qtbot: QtBot, widget: QWidget, text: str) -> None:
    for char in text:
        qtbot.keyClicks(key_target(widget), char)


def type_into(qtbot: QtBot, edit: QLineEdit, text: str, *, leave: bool = True) -> None:
    """Click into ``edit``, select what is there, type ``text`` and (``leave``) press Tab."""
    click(qtbot, edit)
    qtbot.keyClick(edit, Qt.Key.Key_A, CTRL)
    type_keys(qtbot, edit, text)
    if leave:
        qtbot.keyClick(key_target(edit), Qt.Key.Key_Tab)


def choose(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Open ``combo`` with a click and pick the entry reading ``text`` with the arrow keys."""
    target = combo.findText(text)
    assert target >= 0, (text, [combo.itemText(i) for i in range(combo.count())])
    click(qtbot, combo)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=WAIT_MS)
    current = view.currentIndex().row()
    key = Qt.Key.Key_Down if target > current else Qt.Key.Key_Up
    for _ in range(abs(target - current)):
        qtbot.keyClick(view, key)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=WAIT_MS)
    assert combo.currentText() == text


def shortcut(
    qtbot: QtBot, win: MainWindow, key: Qt.Key, modifier: Qt.KeyboardModifier = CTRL
) -> None:
    """Press a key combination in the window (its menus' shortcuts answer)."""
    if QApplication.activeWindow() is not win:  # e.g. after a question closed
        win.activateWindow()
        QtBot.waitUntil(qtbot, lambda: QApplication.activeWindow() is win, timeout=WAIT_MS)
    focus = QApplication.focusWidget()
    target = focus if focus is not None and focus.window() is win else win
    qtbot.keyClick(target, key, modifier)


class Answers:
    """Answers the next questions (modal message boxes) by clicking the named buttons, and
    records what each said (its object name, text and informative text)."""

    def __init__(self, *buttons: str) -> None:
        self.buttons = list(buttons)
        self.seen: list[tuple[str, str, str]] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)

    def _poll(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or not box.isVisible() or not self.buttons:
            return
        wanted = self.buttons.pop(0)
        self.seen.append((box.objectName(), box.text(), box.informativeText()))
        names = {b.text().replace("&", ""): b for b in box.buttons()}
        button = names.get(wanted)
        assert isinstance(button, QAbstractButton), (wanted, list(names))
        QTest.mouseClick(button, LEFT)
        if not self.buttons:
            self.timer.stop()


@contextmanager
def answering(*buttons: str) -> Iterator[Answers]:
    answers = Answers(*buttons)
    answers.timer.start()
    try:
        yield answers
    finally:
        answers.timer.stop()
        answers.timer.deleteLater()
    assert answers.buttons == [], f"these questions were never asked: {answers.buttons}"


def draw_field(
    qtbot: QtBot,
    editor: EditorWidget,
    kind: FieldType,
    page: int,
    start: tuple[float, float],
    end: tuple[float, float],
) -> None:
    """Click the field type in the palette, then press, drag and release on the page."""
    click(qtbot, editor.field_palette.buttons[kind])
    view = editor.view
    a, b = to_viewport(view, page, *start), to_viewport(view, page, *end)
    qtbot.mousePress(view.viewport(), LEFT, pos=a)
    qtbot.mouseMove(view.viewport(), pos=(a + b) / 2)
    qtbot.mouseMove(view.viewport(), pos=b)
    qtbot.mouseRelease(view.viewport(), LEFT, pos=b)


def scene_fields(editor: EditorWidget) -> list[tuple[str, int, tuple[float, float, float, float]]]:
    """What the pages show: each field item's type, recipient and rectangle, sorted."""
    out = []
    for item in editor.view.doc_scene.items():
        if isinstance(item, FieldItem):
            r = item.page_rect()
            out.append(
                (
                    item.field.type.value,
                    item.field.recipient_index,
                    (round(r.x(), 2), round(r.y(), 2), round(r.width(), 2), round(r.height(), 2)),
                )
            )
    return sorted(out)
