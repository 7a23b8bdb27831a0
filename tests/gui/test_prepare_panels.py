"""Prepare's panels as a user meets them: the wheel scrolls panels instead of changing values,
the email entry says what is wrong with what is typed when it is typed, names sent to before are
offered at once in a list wide enough to read, and Check shows warnings without blocking Send."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.model import FieldType
from app.ui.bridge import AsyncBridge
from app.ui.crash import install_crash_hook
from app.ui.editor.preflight import SEVERITY_ROLE
from app.ui.main import MainWindow
from tests.gui.prepare_support import (
    CTRL,
    WAIT_MS,
    click,
    click_tab,
    lease_pdf,
    scroll_to,
    type_into,
    type_keys,
)
from tests.gui.test_editor import place


@pytest.fixture
def window(qtbot: QtBot, home: Path, bridge: AsyncBridge) -> Iterator[MainWindow]:
    yield from shown_window(qtbot, bridge)


def shown_window(qtbot: QtBot, bridge: AsyncBridge) -> Iterator[MainWindow]:
    """The main window at 1024×700, shown and active, closed after the test."""
    ctx = Context.from_environment()
    win = MainWindow(ctx, bridge)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=WAIT_MS)
    yield win
    win.close()
    ctx.close()


def open_lease(qtbot: QtBot, win: MainWindow, tmp_path: Path) -> None:
    assert win.open_file(lease_pdf(tmp_path))
    qtbot.waitUntil(lambda: win.editor.text_index is not None, timeout=WAIT_MS)


def wheel(widget: QWidget, notches: int = -1) -> None:
    """Turn the mouse wheel over the middle of ``widget`` (negative: towards the user)."""
    pos = QPointF(widget.rect().center())
    event = QWheelEvent(
        pos,
        QPointF(widget.mapToGlobal(pos.toPoint())),
        QPoint(),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def scroller(widget: QWidget) -> QAbstractScrollArea:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    assert parent is not None
    return parent


# --- item 4: the wheel --------------------------------------------------------------------------


def test_the_wheel_scrolls_the_panel_and_changes_only_a_focused_editor(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = window.editor
    open_lease(qtbot, window, tmp_path)
    fid = place(editor, FieldType.SIGNATURE, 1, 72, 600)
    editor.view.layer.select([fid])
    click_tab(qtbot, editor.side.tabs, "Fields")
    width = editor.properties.spins["width"]
    area = scroller(width)
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0  # at 1024×700 this tab scrolls
    bar.setValue(0)
    steps = editor.editing.stack.count()

    wheel(width)  # the pointer passes over the spin box while the panel scrolls
    assert editor.doc.field(fid).width == 180 and width.value() == 180
    assert bar.value() > 0  # the panel scrolled instead
    assert editor.editing.stack.count() == steps

    scroll_to(width)
    click(qtbot, width.lineEdit() or width)  # working in it: now the wheel is for it
    assert width.hasFocus()
    wheel(width, notches=1)
    qtbot.waitUntil(lambda: editor.doc.field(fid).width == 181, timeout=WAIT_MS)

    # The same in the Anchors tab's combo boxes, and in another window (Settings).
    click_tab(qtbot, editor.side.tabs, "Anchors")
    kind = editor.anchors.type_combo
    before = kind.currentText()
    wheel(kind)
    wheel(kind, notches=1)
    assert kind.currentText() == before
    assert kind.focusPolicy() == Qt.FocusPolicy.StrongFocus
    dialog = window.open_settings()
    qtbot.waitExposed(dialog)
    default = dialog.general.default_provider
    chosen = default.currentIndex()
    wheel(default)
    wheel(default, notches=1)
    assert default.currentIndex() == chosen
    dialog.reject()


# --- item 6: the email entry ---------------------------------------------------------------------


def test_the_email_entry_checks_what_is_typed_as_it_is_typed(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = window.editor
    open_lease(qtbot, window, tmp_path)
    panel = editor.recipients
    click_tab(qtbot, editor.side.tabs, "Recipients")
    type_into(qtbot, panel.first_edit, "Jane")  # committed: now the email is missing
    assert panel.email.error.text() == "Must not be empty" and panel.email.error.isVisible()

    click(qtbot, panel.email_edit)
    type_keys(qtbot, panel.email_edit, "j")
    # Typing: the stale "must not be empty" goes with the first key, and nothing new is
    # said while the address is being typed ...
    assert panel.email.error.isHidden()
    type_keys(qtbot, panel.email_edit, "ane@example")
    assert panel.email.error.isHidden()
    # ... until the typing pauses: then it says what is wrong with what is there.
    qtbot.waitUntil(panel.email.error.isVisible, timeout=WAIT_MS)
    assert panel.email.error.text() == "Not an email address ('jane@example')"
    type_keys(qtbot, panel.email_edit, ".com")
    assert panel.email.error.isHidden()  # right again: the message goes at once
    assert editor.doc.recipients[0].email == ""  # nothing committed key by key
    qtbot.keyClick(panel.email_edit, Qt.Key.Key_Tab)
    assert editor.doc.recipients[0].email == "jane@example.com"
    assert panel.email.error.isHidden()

    # Leaving a wrong address says so at once, without waiting for a pause.
    click(qtbot, panel.email_edit)
    qtbot.keyClick(panel.email_edit, Qt.Key.Key_A, CTRL)
    type_keys(qtbot, panel.email_edit, "jane@")
    assert panel.email.error.isHidden()
    qtbot.keyClick(panel.email_edit, Qt.Key.Key_Tab)
    assert panel.email.error.text() == "Not an email address ('jane@')"


# --- smaller: completions ------------------------------------------------------------------------


def test_people_sent_to_are_offered_at_once_in_a_list_wide_enough_to_read(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = window.editor
    open_lease(qtbot, window, tmp_path)
    panel = editor.recipients
    click_tab(qtbot, editor.side.tabs, "Recipients")
    type_into(qtbot, panel.first_edit, "Marguerite")
    type_into(qtbot, panel.last_edit, "Vandenberghe-Oosterhuis")
    type_into(qtbot, panel.email_edit, "marguerite.vandenberghe@harbour-lettings.example")
    place(editor, FieldType.SIGNATURE, 1, 72, 600)
    qtbot.waitUntil(editor.send_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(editor.sent, timeout=WAIT_MS):
        click(qtbot, editor.send_button)

    # No restart: the next document offers her as soon as her name is begun.
    window.show_place(0)
    assert window.open_file(lease_pdf(tmp_path, "other.pdf", title="Other"))
    click_tab(qtbot, editor.side.tabs, "Recipients")
    click(qtbot, panel.first_edit)
    type_keys(qtbot, panel.first_edit, "Mar")
    completer = panel.first_edit.completer()
    popup = completer.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible, timeout=WAIT_MS)
    entry = "Marguerite Vandenberghe-Oosterhuis <marguerite.vandenberghe@harbour-lettings.example>"
    assert completer.completionModel().index(0, 0).data() == entry
    assert popup.width() >= panel.first_edit.width()
    assert popup.width() >= popup.fontMetrics().horizontalAdvance(entry)
    qtbot.keyClick(popup, Qt.Key.Key_Escape)


# --- Check: warnings -----------------------------------------------------------------------------


@pytest.fixture
def signature_nc_window(
    qtbot: QtBot, home: Path, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """The window with Signature.nc set up (it does not deliver a request's message)."""
    monkeypatch.setenv("SEALBOX_SIGNATURE_NC_API_KEY", "test-key")
    yield from shown_window(qtbot, bridge)


def test_a_warning_is_shown_with_its_icon_and_does_not_block_send(
    qtbot: QtBot, signature_nc_window: MainWindow, tmp_path: Path
) -> None:
    window = signature_nc_window
    editor = window.editor
    open_lease(qtbot, window, tmp_path)
    # Signature.nc does not deliver a message (the built-in provider shows it on the handover):
    # chosen from the keyboard, as a user tabbing to the chooser would.
    editor.provider_box.setFocus()
    qtbot.keyClicks(editor.provider_box, "Signature.nc")
    qtbot.waitUntil(lambda: editor.provider_id == "signature_nc", timeout=WAIT_MS)
    panel = editor.recipients
    click_tab(qtbot, editor.side.tabs, "Recipients")
    type_into(qtbot, panel.first_edit, "Jane")
    type_into(qtbot, panel.last_edit, "Doe")
    type_into(qtbot, panel.email_edit, "jane@example.com")
    place(editor, FieldType.SIGNATURE, 1, 72, 600)
    click_tab(qtbot, editor.side.tabs, "Recipients")
    click(qtbot, editor.request_form.message_edit)
    qtbot.keyClicks(editor.request_form.message_edit, "Keys at the desk.")
    qtbot.waitUntil(lambda: "warning" in editor.check_status.text(), timeout=WAIT_MS)
    assert editor.check_status.text() == "Ready to send · 1 warning", [
        p.message for p in editor.run_preflight()
    ]
    assert editor.send_button.isEnabled()
    click(qtbot, editor.check_status)  # next to Send: opens Check
    assert editor.side.tabs.currentWidget().isAncestorOf(editor.preflight_panel)
    model = editor.preflight_panel.model
    assert model.rowCount() == 1
    assert model.index(0).data(SEVERITY_ROLE) == "warning"
    assert model.index(0).data().startswith("Message: Signature.nc does not deliver")
    assert "Ready to send" in editor.preflight_panel.summary.text()
    assert "1 warning" in editor.preflight_panel.summary.text()
    assert editor.side.tabs.tabText(3) == "Check"  # no problem to count


# --- bugs inside Qt callbacks --------------------------------------------------------------------


def test_a_bug_inside_a_qt_callback_is_reported_not_swallowed(
    qtbot: QtBot, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.crash.QMessageBox.warning", lambda _parent, _title, text: shown.append(text)
    )
    previous = install_crash_hook(parent, home / "data")
    try:
        try:
            raise RuntimeError("boundingRect failed: token=s3cr3t")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    finally:
        sys.excepthook = previous
    (report,) = (home / "data" / "crash-reports").iterdir()
    assert "boundingRect failed" in report.read_text(encoding="utf-8")
    assert "was not done" in shown[0] and str(report) in shown[0]
    assert "RuntimeError" not in shown[0] and "boundingRect" not in shown[0]
