"""End to end through the window against a provider's loopback fake: send from the editor,
watch the row move as the fake advances, the files appear in the archive with an intact badge,
cancel from the details pane, a decline notifies; and Sign now opens in-person signing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.domain.lifecycle import Status
from app.domain.model import FieldType, Recipient
from app.services.sync import SyncResult
from app.ui.main import MainWindow
from app.ui.requests.model import STATUS_ROLE
from app.ui.signing import SigningView
from tests.fakes.saypdf import SayPdfFake
from tests.gui.test_editor import contract_pdf, open_pdf, place

TIMEOUT_MS = 30_000


@pytest.fixture
def window(sayfake_window: MainWindow) -> MainWindow:
    return sayfake_window


def send_from_editor(qtbot: QtBot, win: MainWindow, tmp_path: Path, name: str) -> str:
    # Each its own document: the same one to the same people again would ask first.
    editor = open_pdf(qtbot, win, contract_pdf(tmp_path, f"{name}.pdf", title=name))
    editor.provider_box.setCurrentIndex(editor.provider_box.findData("saypdf"))
    editor.editing.perform("Name", lambda d: d.set_meta(name=name))
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    qtbot.waitUntil(editor.send_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(editor.sent, timeout=TIMEOUT_MS) as sent:
        qtbot.mouseClick(editor.send_button, Qt.MouseButton.LeftButton)
    request_id = str(sent.args[0])
    assert win.places.currentIndex() == 1
    assert win.requests_page.selected_id() == request_id
    return request_id


def row_status(win: MainWindow, request_id: str) -> str:
    model = win.requests_page.model
    row = model.row_of(request_id)
    assert row >= 0
    return str(model.index(row, 0).data(STATUS_ROLE))


def sync(qtbot: QtBot, win: MainWindow) -> SyncResult:
    with qtbot.waitSignal(win.sync.synced, timeout=TIMEOUT_MS) as done:
        assert win.sync.sync_now()
    result = done.args[0]
    assert isinstance(result, SyncResult)
    return result


def test_send_track_complete_archive_cancel_and_decline(
    qtbot: QtBot,
    window: MainWindow,
    saypdf: SayPdfFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requests = window.ctx.requests
    first = send_from_editor(qtbot, window, tmp_path, "Lease A")
    assert row_status(window, first) == Status.SENT.value
    envelope = str(requests.get(first).provider_id)

    saypdf.advance(envelope, "viewed")
    sync(qtbot, window)
    assert row_status(window, first) == Status.VIEWED.value

    saypdf.advance(envelope, "completed")
    notes: list[tuple[str, str]] = []
    window.sync.notified.connect(lambda title, text: notes.append((title, text)))
    result = sync(qtbot, window)
    assert first in result.archived
    assert row_status(window, first) == Status.COMPLETED.value
    assert ("Signed", "'Lease A' was signed by everyone.") in notes

    # Open in Archive from the details pane: the files are there and verify intact.
    window.requests_page.show_request(first)
    with qtbot.waitSignal(window.requests_page.openInArchive, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.requests_page.details.archive_button, Qt.MouseButton.LeftButton)
    assert window.places.currentIndex() == 2
    archive = window.archive_page
    assert archive.selected_ids() == [first]
    with qtbot.waitSignal(archive.verifyFinished, timeout=TIMEOUT_MS):
        archive.verify([first])
    badge = archive.model.badge(first)
    assert badge is not None and badge.state in ("valid", "untrusted")
    assert "intact" in badge.detail.lower() or badge.state == "valid"
    folder = window.ctx.paths.archive_dir / str(window.ctx.store.archive.folder(first))
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".pdf")

    # Cancel from the details pane, with a reason.
    second = send_from_editor(qtbot, window, tmp_path, "Lease B")
    window.requests_page.show_request(second)
    qtbot.mouseClick(window.requests_page.details.cancel_button, Qt.MouseButton.LeftButton)
    dialog = window.requests_page.cancel_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.reason_edit, "Sent to the wrong customer")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: requests.get(second).status == Status.CANCELLED, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: row_status(window, second) == Status.CANCELLED.value, timeout=TIMEOUT_MS
    )

    # A decline at the provider is noticed by the background sync and notified.
    third = send_from_editor(qtbot, window, tmp_path, "Lease C")
    saypdf.advance(str(requests.get(third).provider_id), "declined")
    sync(qtbot, window)
    assert requests.get(third).status == Status.DECLINED
    assert ("Declined", "'Lease C' was declined.") in notes


def test_sign_now_opens_in_person_signing_for_a_local_request(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    editor = open_pdf(qtbot, window, contract_pdf(tmp_path))
    editor.editing.perform(
        "Second", lambda d: d.add_recipient(Recipient("Sam", "Roe", "sam@example.com"))
    )
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    editor.view.current_recipient = 1
    place(editor, FieldType.SIGNATURE, 1, 300, 680)
    qtbot.waitUntil(editor.send_button.isEnabled, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(editor.sent, timeout=TIMEOUT_MS) as sent:
        editor.send()
    request_id = str(sent.args[0])
    page = window.requests_page
    assert page.show_request(request_id)
    sign = page.details.sign_button
    qtbot.waitUntil(lambda: sign.isVisible() and sign.isEnabled(), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(page.signNow, timeout=TIMEOUT_MS):
        qtbot.mouseClick(sign, Qt.MouseButton.LeftButton)
    dialog = window.signing_windows[request_id]
    view = dialog.findChild(SigningView)
    assert view is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: "Jane Doe" in view.handover_text, timeout=TIMEOUT_MS)
    dialog.close()
    qtbot.waitUntil(lambda: request_id not in window.signing_windows, timeout=TIMEOUT_MS)
