"""Signing in person in its window, driven by mouse and keys: a second signature field offers the
signature already made (one click) rather than filling itself in, the date is the signing date
and cannot be typed over, and the result screens end with Done.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.ui import desktop
from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from app.ui.signing import DeclineDialog, SigningState, SigningView
from tests.gui.test_signing_view import (
    BOB,
    JANE,
    SCRIBBLE,
    SEAL_TIMEOUT_MS,
    SPEC,
    WAIT_MS,
    click_field,
    draw,
    send_local,
    signature_dialog,
    start,
)

#: Jane signs twice (pages 1 and 2), initials twice, and has a date; Bob signs once.
TWICE: dict[str, Any] = dict(
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
            "type": "signature",
            "page": 2,
            "x": 72,
            "y": 300,
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
            "recipientIndex": 1,
            "type": "signature",
            "page": 2,
            "x": 330,
            "y": 400,
            "width": 200,
            "height": 50,
        },
    ],
)

ONE_SIGNER: dict[str, Any] = dict(
    SPEC,
    recipients=[JANE],
    fields=[
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 200,
            "height": 50,
        }
    ],
)


@pytest.fixture
def ctx(home: Path) -> Any:
    context = Context.from_environment()
    yield context
    context.close()


def offer(qtbot: QtBot, view: SigningView) -> QMenu:
    qtbot.waitUntil(
        lambda: view.options_menu is not None and view.options_menu.isVisible(), timeout=WAIT_MS
    )
    menu = view.options_menu
    assert menu is not None
    return menu


def choose(qtbot: QtBot, menu: QMenu, text: str) -> None:
    action = next(a for a in menu.actions() if a.text().startswith(text))
    QTest.mouseClick(
        menu,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        menu.actionGeometry(action).center(),
    )


def sign_window(qtbot: QtBot, window: MainWindow, rid: str) -> SigningView:
    view = window.sign_now(rid)
    qtbot.waitExposed(view.window())
    qtbot.waitUntil(lambda: view.state == SigningState.HANDOVER, timeout=WAIT_MS)
    return view


def test_a_second_signature_field_offers_the_same_signature(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path, TWICE)
    window = MainWindow(ctx, bridge)
    qtbot.addWidget(window)
    view = sign_window(qtbot, window, rid)
    start(qtbot, view)

    # The date is the signing date, shown and done; there is nothing to type in it.
    assert view.field_item(4).shown_text == date.today().isoformat()
    assert view.field_item(4).editor is None
    click_field(qtbot, view, 4)
    assert view.active_dialog is None and view.options_menu is None
    assert 4 not in view.missing_fields()

    # The first signature is drawn in the dialog.
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    draw(qtbot, dialog.pad, SCRIBBLE)
    QTest.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    drawn = view.field_item(0).shown_image
    assert drawn is not None

    # The second one is not filled in by itself: a click offers the same signature.
    assert view.field_item(1).shown_image is None and 1 in view.missing_fields()
    click_field(qtbot, view, 1)
    menu = offer(qtbot, view)
    assert [a.text() for a in menu.actions()] == ["Use the same signature", "Sign again…"]
    assert menu.defaultAction() is menu.actions()[0]
    assert view.field_item(1).shown_image is None  # nothing until the signer chooses
    choose(qtbot, menu, "Use the same signature")
    qtbot.waitUntil(lambda: view.field_item(1).shown_image is not None, timeout=WAIT_MS)
    assert 1 not in view.missing_fields()

    # Initials: typed first, then "Initial again…" draws them, for both fields.
    click_field(qtbot, view, 2)
    initials = signature_dialog(qtbot, view)
    QTest.mouseClick(initials.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not initials.isVisible(), timeout=WAIT_MS)
    assert view.field_item(2).shown_typed == "JD"
    click_field(qtbot, view, 3)
    menu = offer(qtbot, view)
    assert [a.text() for a in menu.actions()] == ["Use the same initials (“JD”)", "Initial again…"]
    choose(qtbot, menu, "Initial again…")
    again = signature_dialog(qtbot, view)
    QTest.mouseClick(again.pad.mode_button, Qt.MouseButton.LeftButton)
    draw(qtbot, again.pad, SCRIBBLE[:2])
    QTest.mouseClick(again.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not again.isVisible(), timeout=WAIT_MS)
    assert view.field_item(3).shown_image is not None
    assert view.field_item(2).shown_image is not None  # the new initials, everywhere

    assert view.finish_button.isEnabled()
    QTest.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.state == SigningState.HANDOVER, timeout=WAIT_MS)
    values = ctx.requests.field_values(rid)
    assert values[0].image is not None and values[0].image == values[1].image
    assert values[2].image is not None and values[2].image == values[3].image
    assert values[4].value == date.today().isoformat()
    window.close()


def test_a_declined_request_ends_with_done(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path
) -> None:
    rid = send_local(qtbot, bridge, ctx, tmp_path)
    window = MainWindow(ctx, bridge)
    qtbot.addWidget(window)
    view = sign_window(qtbot, window, rid)
    start(qtbot, view)
    QTest.mouseClick(view.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(view.active_dialog, DeclineDialog), timeout=WAIT_MS)
    dialog = view.active_dialog
    assert isinstance(dialog, DeclineDialog)
    qtbot.keyClicks(dialog.reason_edit, "Wrong vessel")
    QTest.mouseClick(dialog.decline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.state == SigningState.DECLINED, timeout=WAIT_MS)
    assert view.done_button.isVisible() and view.done_button.text() == "Done"
    assert not view.retry_button.isVisible()

    QTest.mouseClick(view.done_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rid not in window.signing_windows, timeout=WAIT_MS)
    assert ctx.requests.get(rid).status == Status.DECLINED
    window.close()


def test_everyone_has_signed_ends_with_done_and_show_in_folder_copes_without_a_file_manager(
    qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desktop, "open_folder", lambda _path: False)
    rid = send_local(qtbot, bridge, ctx, tmp_path, ONE_SIGNER)
    window = MainWindow(ctx, bridge)
    qtbot.addWidget(window)
    view = sign_window(qtbot, window, rid)
    view.window().resize(1024, 700)
    start(qtbot, view)
    # The signer's field is in sight at once (it is low on the page).
    item = view.field_item(0)
    qtbot.waitUntil(
        lambda: (
            view.page_view.viewport()
            .rect()
            .contains(
                view.page_view.mapFromScene(item.mapRectToScene(item.field_rect())).boundingRect()
            )
        ),
        timeout=WAIT_MS,
    )
    click_field(qtbot, view, 0)
    dialog = signature_dialog(qtbot, view)
    QTest.mouseClick(dialog.pad.mode_button, Qt.MouseButton.LeftButton)
    QTest.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    QTest.mouseClick(view.finish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.state == SigningState.COMPLETED, timeout=SEAL_TIMEOUT_MS)
    assert view.outcome_title.text() == "Everyone has signed"
    assert view.done_button.isVisible() and view.done_button.text() == "Done"
    assert view.folder_button.isVisible()

    QTest.mouseClick(view.folder_button, Qt.MouseButton.LeftButton)
    folder = view.folder_dialog
    assert folder is not None
    qtbot.waitExposed(folder)
    assert view.archived is not None
    assert folder.path_edit.text() == str(view.archived.directory)
    QTest.mouseClick(folder.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == str(view.archived.directory)
    QTest.mouseClick(folder.close_button, Qt.MouseButton.LeftButton)

    QTest.mouseClick(view.done_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: rid not in window.signing_windows, timeout=WAIT_MS)
    window.close()
