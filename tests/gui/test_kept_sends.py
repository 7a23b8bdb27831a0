"""A send made in the window while the shared store is down waits on the desk, says so, and goes
by itself when the store is back; a kept send the user no longer wants can be discarded.

The window is on a real PostgreSQL server of the test's own, stopped and started again; the
user's clicks are real (the Send button, the status bar's button, the list and Discard).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.model import FieldType, RequestSpec
from app.services import desk_outbox
from app.ui.bridge import AsyncBridge
from app.ui.kept_sends import WAITING, KeptSendsDialog
from app.ui.main import MainWindow
from tests.e2e.test_bad_input import SPEC
from tests.gui.test_editor import contract_pdf, open_pdf, place
from tests.gui.test_live_store import SEEN_MS, click_place, open_window, rows, use_address
from tests.support import pgserver

TIMEOUT_MS = 30_000


def open_list(qtbot: QtBot, window: MainWindow) -> KeptSendsDialog:
    button = window.kept_sends
    assert button.isVisible()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = button.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def close_list(dialog: KeptSendsDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    QTest.mouseClick(box.button(QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def listed(dialog: KeptSendsDialog) -> list[tuple[str, str, str, str]]:
    table = dialog.table
    found = []
    for i in range(table.topLevelItemCount()):
        item = table.topLevelItem(i)
        assert item is not None
        found.append((item.text(0), item.text(1), item.text(2), item.text(4)))
    return found


def test_a_send_while_the_store_is_down_waits_on_the_desk_and_goes_when_it_is_back(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    tmp_path: Path,
    own_server: pgserver.PgServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    host = use_address(monkeypatch, own_server.url())
    window = open_window(qtbot, bridge, "Requests")
    assert rows(window) == [] and not window.kept_sends.isVisible()
    click_place(window, "Prepare")
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    editor.editing.perform("Name", lambda d: d.set_meta(name="Lease while offline"))
    keeper = editor.keeper  # its draft is kept in the shared store
    keeper.autosave()
    qtbot.waitUntil(lambda: keeper.draft_id is not None and not keeper.pending(), timeout=SEEN_MS)
    draft_id = str(keeper.draft_id)

    own_server.pause()
    window.live.lost()  # as when its socket says the server went away
    qtbot.waitUntil(window.store_label.isVisible, timeout=SEEN_MS)
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    qtbot.waitUntil(editor.send_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(editor.kept, timeout=TIMEOUT_MS):
        qtbot.mouseClick(editor.send_button, Qt.MouseButton.LeftButton)

    page = editor.sent_page
    assert editor.stack.currentWidget() is page
    assert "Lease while offline" in page.title.text() and "will be sent" in page.title.text()
    assert f"The shared store at {host} cannot be reached right now" in page.detail.text()
    assert "contract.pdf waits on this computer" in page.detail.text()
    assert "to Jane Doe through In person" in page.detail.text()
    assert not page.show_button.isVisible()
    assert window.kept_sends.isVisible()
    assert window.kept_sends.text() == "1 send waits for the shared store"

    dialog = open_list(qtbot, window)
    assert listed(dialog) == [("Lease while offline", "Jane Doe", "In person", WAITING)]
    close_list(dialog)

    own_server.resume()
    qtbot.waitUntil(lambda: not window.store_label.isVisible(), timeout=TIMEOUT_MS)
    click_place(window, "Requests")
    # The sync starts the moment the store is back: the kept send becomes a request.
    qtbot.waitUntil(
        lambda: dict(rows(window)).get("Lease while offline") == "Sent", timeout=TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: not window.kept_sends.isVisible(), timeout=TIMEOUT_MS)
    assert desk_outbox.kept(window.ctx) == []
    assert [n for n, _ in rows(window)] == ["Lease while offline"]
    assert not window.ctx.store.drafts.exists(draft_id)  # the draft went with the commit
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_kept_send_the_store_would_not_take_shows_why_and_can_be_discarded(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = contract_pdf(tmp_path)
    ctx = Context.from_environment()
    for name in ("Lease A", "Lease B"):
        spec = RequestSpec.from_json({**SPEC, "name": name})
        desk_outbox.keep(ctx, pdf, spec, provider_id="local")
    first, _second = desk_outbox.kept(ctx)
    (first.folder / "problem.json").write_text(
        json.dumps({"problem": "contract.pdf is not a PDF file"}), encoding="utf-8"
    )
    window = open_window(qtbot, bridge, "Requests")
    assert window.kept_sends.text() == "2 sends wait for the shared store (1 could not be sent)"

    dialog = open_list(qtbot, window)
    assert [(r[0], r[3]) for r in listed(dialog)] == [
        ("Lease A", "Not sent: contract.pdf is not a PDF file"),
        ("Lease B", WAITING),
    ]
    assert not dialog.discard_button.isEnabled()
    item = dialog.table.topLevelItem(0)
    assert item is not None
    rect = dialog.table.visualItemRect(item)
    QTest.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.discard_button.isEnabled()
    assert dialog.detail.text() == "Lease A was not sent: contract.pdf is not a PDF file"
    asked: list[str] = []

    def answer(_parent: object, _title: str, text: str, *_args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr("app.ui.kept_sends.QMessageBox.question", answer)
    QTest.mouseClick(dialog.discard_button, Qt.MouseButton.LeftButton)
    assert asked == ["Discard 'Lease A'? It will not be sent to anyone."]
    assert [r[0] for r in listed(dialog)] == ["Lease B"]
    assert [k.name for k in desk_outbox.kept(ctx)] == ["Lease B"]
    close_list(dialog)
    qtbot.waitUntil(
        lambda: window.kept_sends.text() == "1 send waits for the shared store", timeout=SEEN_MS
    )
