"""The real app with a person at the keyboard, for the kill -9 test.

``python -m tests.support.draft_app FILE.pdf`` starts Sealbox exactly as ``sealbox FILE.pdf``
does (:func:`app.ui.main.run_app`); once its window is up, it types and clicks there as a person
would (a recipient's name and email, a field drawn on the page, another provider), waits until
the app has kept the draft, and prints one JSON line with what the window holds. Then it leaves
the app running with that unsent work, for the test to kill it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.domain.model import FieldType
from app.ui.editor.editor import EditorWidget
from app.ui.main import MainWindow, run_app

LEFT = Qt.MouseButton.LeftButton


def state(editor: EditorWidget) -> dict[str, Any]:
    """What the window holds, exactly (coordinates as floats, not rounded)."""
    spec = editor.doc.to_spec()
    return {
        "name": spec.name,
        "message": spec.message,
        "expirationHours": spec.expiration_hours,
        "provider": editor.provider_id,
        "recipients": [
            [r.first_name, r.last_name, r.email, r.designation.value] for r in spec.recipients
        ],
        "fields": [
            [f.type.value, f.recipient_index, f.page, f.x, f.y, f.width, f.height]
            for f in spec.fields
        ],
        "anchors": [[a.anchor_string, a.type.value, a.recipient_index] for a in spec.anchor_tags],
    }


class Person:
    """Does one step at a time on the event loop, each when the window is ready for it."""

    def __init__(self, app: QApplication) -> None:
        self.app = app
        self.steps: list[Callable[[], bool]] = [
            self.window_up,
            self.welcome_skipped,
            self.document_read,
            self.type_recipient,
            self.draw_field,
            self.open_providers,
            self.choose_provider,
            self.draft_kept,
        ]
        self.win: MainWindow | None = None
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    @property
    def editor(self) -> EditorWidget:
        assert self.win is not None
        return self.win.editor

    def tick(self) -> None:
        if self.steps and self.steps[0]():
            self.steps.pop(0)
        if not self.steps:
            self.timer.stop()

    def window_up(self) -> bool:
        self.win = next(
            (
                w
                for w in self.app.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible() and w.started
            ),
            None,
        )
        return self.win is not None

    def welcome_skipped(self) -> bool:
        """A first run asks for the sender's name: the person skips it, then works in the
        window."""
        from app.ui.welcome import WelcomeDialog

        assert self.win is not None
        welcome = next(
            (
                w
                for w in self.app.topLevelWidgets()
                if isinstance(w, WelcomeDialog) and w.isVisible()
            ),
            None,
        )
        if welcome is not None:
            QTest.mouseClick(welcome.skip_button, LEFT, pos=welcome.skip_button.rect().center())
            return False
        if self.editor.text_index is None:
            return False  # the welcome (if any) is asked before the document opens
        self.win.activateWindow()
        return True

    def document_read(self) -> bool:
        return self.editor.text_index is not None and QApplication.activeWindow() is self.win

    def type_recipient(self) -> bool:
        panel = self.editor.recipients
        for edit, text in (
            (panel.first_edit, "Jane"),
            (panel.last_edit, "Doe"),
            (panel.email_edit, "jane@example.com"),
        ):
            QTest.mouseClick(edit, LEFT, pos=edit.rect().center())
            QTest.keyClicks(edit, text)
            QTest.keyClick(edit, Qt.Key.Key_Tab)
        return True

    def draw_field(self) -> bool:
        editor = self.editor
        QTest.mouseClick(
            editor.side.tabs.tabBar(), LEFT, pos=editor.side.tabs.tabBar().tabRect(1).center()
        )
        button = editor.field_palette.buttons[FieldType.SIGNATURE]
        QTest.mouseClick(button, LEFT, pos=button.rect().center())
        view = editor.view
        page = view.doc_scene.page_item(1)

        def at(x: float, y: float) -> QPoint:
            return view.viewportTransform().map(page.mapToScene(QPointF(x, y))).toPoint()

        start, end = at(90.3, 500.7), at(290.1, 551.9)
        QTest.mousePress(view.viewport(), LEFT, pos=start)
        QTest.mouseMove(view.viewport(), pos=(start + end) / 2)
        QTest.mouseMove(view.viewport(), pos=end)
        QTest.mouseRelease(view.viewport(), LEFT, pos=end)
        return len(editor.doc) == 1

    def open_providers(self) -> bool:
        box = self.editor.provider_box
        QTest.mouseClick(box, LEFT, pos=box.rect().center())
        return True

    def choose_provider(self) -> bool:
        view = self.editor.provider_box.view()
        if not view.isVisible():
            return False
        QTest.keyClick(view, Qt.Key.Key_Down)  # the next provider in the list
        QTest.keyClick(view, Qt.Key.Key_Return)
        return True

    def draft_kept(self) -> bool:
        editor = self.editor
        if editor.keeper.pending() or editor.keeper.draft_id is None:
            return False
        draft = editor.drafts.get(editor.keeper.draft_id)
        if draft.spec != editor.doc.to_spec() or draft.provider != editor.provider_id:
            return False
        print(json.dumps({"draft": draft.id, **state(editor)}), flush=True)
        return True


def main(argv: list[str]) -> int:
    app = QApplication(sys.argv[:1])
    person = Person(app)
    try:
        return run_app(Path(argv[0]))
    finally:
        person.timer.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
