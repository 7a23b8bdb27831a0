"""Every desk sees the others at once, and a desk that loses the shared store keeps working.

The window is on a shared store (a real PostgreSQL server); another desk is the real ``sealbox``
command in a process of its own. What it sends, cancels and signs shows in the window's
Requests and Archive places through the store's change notices (the periodic refresh is set far
beyond the test's time, so only a notice can bring it). Then the server is stopped: the window
says it is offline and keeps its rows; started again, it says it is back and follows the other
desk again.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pymupdf
import pytest
from psycopg.conninfo import conninfo_to_dict
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QToolBar, QWidget
from pytestqt.qtbot import QtBot

from app.domain.model import RequestSpec
from app.services.desk_outbox import KeptSend
from app.store.pg import PgDatabase, StoreOfflineError
from app.store.postgres import PostgresStore
from app.ui.bridge import AsyncBridge
from app.ui.crash import install_crash_hook
from app.ui.editor.sending import Delivery, Job
from app.ui.live import BACK_ONLINE, offline_text
from app.ui.main import MainWindow
from app.ui.requests.model import NAME_COLUMN, STATUS_COLUMN
from tests.conftest import run_sealbox
from tests.e2e.test_bad_input import SPEC
from tests.support import pgserver
from tests.unit.test_store import make_request

#: "Within a second or two" (and slack for a loaded machine).
SEEN_MS = 5000
#: The periodic refresh, far beyond the test: what the window shows came by a notice.
NEVER_S = 3600


def use_address(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    """Name the shared store at ``url`` for this process and the ``sealbox`` it runs (the
    password from the environment, as the keyring's would be); returns its host:port."""
    parts = conninfo_to_dict(url)
    address = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    monkeypatch.setenv("SEALBOX_DATABASE_URL", address)
    monkeypatch.setenv("SEALBOX_STORE_PASSWORD", str(parts["password"]))
    return f"{parts['host']}:{parts['port']}"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return pdf, spec


def send_elsewhere(files: tuple[Path, Path], name: str) -> str:
    """Another desk sends ``name`` (the real command, its own process); its id."""
    pdf, spec = files
    spec.write_text(json.dumps({**SPEC, "name": name}), encoding="utf-8")
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    assert sent.returncode == 0, sent.stderr
    return str(json.loads(sent.stdout)["id"])


def open_window(
    qtbot: QtBot, bridge: AsyncBridge, place: str, *, refresh_s: float = NEVER_S
) -> MainWindow:
    """The main window, listening to the shared store (if it is on one), showing ``place``
    (clicked on the rail); its periodic refresh every ``refresh_s`` seconds."""
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.live.retry_s = 0.2
    window.live._periodic.setInterval(int(refresh_s * 1000))
    window.show()
    qtbot.waitExposed(window)
    window.live.start()
    if window.live.database is not None:
        qtbot.waitUntil(lambda: window.live.listening, timeout=SEEN_MS)
    click_place(window, place)
    return window


def click_place(window: MainWindow, place: str) -> None:
    rail = window.findChild(QToolBar, "places")
    assert rail is not None
    action = next(a for a in rail.actions() if a.text() == place)
    button = rail.widgetForAction(action)
    assert isinstance(button, QWidget)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def rows(window: MainWindow) -> list[tuple[str, str]]:
    """The Requests place's rows as the user reads them: (name, status)."""
    model = window.requests_page.model
    return [
        (model.index(r, NAME_COLUMN).data(), model.index(r, STATUS_COLUMN).data())
        for r in range(model.rowCount())
    ]


def archive_names(window: MainWindow) -> list[str]:
    model = window.archive_page.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_what_another_desk_does_shows_within_seconds(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    pg_url: str,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_address(monkeypatch, pg_url)
    first = send_elsewhere(files, "First lease")
    window = open_window(qtbot, bridge, "Requests")
    qtbot.waitUntil(lambda: [n for n, _ in rows(window)] == ["First lease"], timeout=SEEN_MS)

    second = send_elsewhere(files, "Second lease")
    qtbot.waitUntil(
        lambda: [n for n, _ in rows(window)] == ["Second lease", "First lease"], timeout=SEEN_MS
    )
    cancelled = run_sealbox("cancel", first, "--reason", "Wrong tenant")
    assert cancelled.returncode == 0, cancelled.stderr
    qtbot.waitUntil(lambda: dict(rows(window))["First lease"] == "Cancelled", timeout=SEEN_MS)

    click_place(window, "Archive")
    assert archive_names(window) == []
    signed = run_sealbox("sign", second, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert signed.returncode == 0, signed.stderr
    qtbot.waitUntil(lambda: archive_names(window) == ["Second lease"], timeout=SEEN_MS)


def test_many_changes_at_once_are_read_as_one(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_address(monkeypatch, pg_url)
    window = open_window(qtbot, bridge, "Requests")
    other = PostgresStore(PgDatabase(pg_url), home / "other-desk")
    told: list[list[str]] = []
    window.live.changed.connect(told.append)
    try:
        ids = [f"r-{i:02d}" for i in range(40)]
        for rid in ids:  # another desk's sync: forty commits in a row
            other.requests.add(make_request(rid, f"Request {rid}"), f"key-{rid}")
    finally:
        other.close()
    qtbot.waitUntil(lambda: len(rows(window)) == 40, timeout=SEEN_MS)
    assert told == [ids]  # one reload of the place, naming them all


def test_on_a_desks_own_file_the_periodic_refresh_shows_another_process(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, files: tuple[Path, Path]
) -> None:
    window = open_window(qtbot, bridge, "Requests", refresh_s=0.2)
    assert window.live.database is None and not window.live.listening
    assert rows(window) == []
    send_elsewhere(files, "Sent by the command")
    qtbot.waitUntil(lambda: rows(window) == [("Sent by the command", "Sent")], timeout=SEEN_MS)
    assert not window.store_label.isVisible()


def test_a_desk_that_loses_the_server_keeps_its_rows_and_comes_back(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    own_server: pgserver.PgServer,
    files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    host = use_address(monkeypatch, own_server.url())
    send_elsewhere(files, "Before the outage")
    window = open_window(qtbot, bridge, "Requests")
    page = window.requests_page
    qtbot.waitUntil(lambda: len(rows(window)) == 1, timeout=SEEN_MS)
    assert not window.store_label.isVisible()
    # A document being prepared, its draft kept in the shared store.
    assert window.open_file(files[0])
    keeper = window.editor.keeper
    keeper.touch()
    keeper.autosave()
    qtbot.waitUntil(lambda: keeper.draft_id is not None and not keeper.pending(), timeout=SEEN_MS)
    click_place(window, "Requests")

    own_server.pause()
    qtbot.waitUntil(window.store_label.isVisible, timeout=SEEN_MS)
    assert window.store_label.text() == offline_text(host)
    assert host == "127.0.0.1:" + str(own_server.port)
    # What it had stays shown, and can still be looked at.
    assert rows(window) == [("Before the outage", "Sent")]
    rect = page.table.visualRect(page.model.index(0, NAME_COLUMN))
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(
        lambda: (
            page.details.request is not None and page.details.request.name == "Before the outage"
        ),
        timeout=SEEN_MS,
    )
    # Moving between the places keeps the rows (nothing is read; nothing fails).
    click_place(window, "Archive")
    click_place(window, "Requests")
    assert rows(window) == [("Before the outage", "Sent")]
    # The draft waits (said in the log, not in a window) and the work stays in Prepare.
    keeper.touch()
    keeper.autosave()
    assert "the draft of lease.pdf waits: The shared store at" in caplog.text
    assert keeper.has_unsaved_work()
    # A send is kept on the desk (checked, under its key) until the store is back.
    outcomes: list[object] = []
    errors: list[BaseException] = []
    pdf, _spec = files
    spec = RequestSpec.from_json({**SPEC, "name": "Sent while offline"})
    Delivery(window.ctx, bridge).start(
        lambda: Job(pdf, spec, "local", None), on_done=outcomes.append, on_error=errors.append
    )
    qtbot.waitUntil(lambda: outcomes != [] or errors != [], timeout=SEEN_MS)
    assert errors == []
    [kept] = outcomes
    assert isinstance(kept, KeptSend) and kept.name == "Sent while offline"

    own_server.resume()
    qtbot.waitUntil(lambda: not window.store_label.isVisible(), timeout=SEEN_MS)
    assert window.statusBar().currentMessage() == BACK_ONLINE
    # Back online, the sync starts at once and sends what was kept.
    qtbot.waitUntil(lambda: "Sent while offline" in dict(rows(window)), timeout=SEEN_MS)
    send_elsewhere(files, "After the outage")
    qtbot.waitUntil(
        lambda: (
            [n for n, _ in rows(window)]
            == ["After the outage", "Sent while offline", "Before the outage"]
        ),
        timeout=SEEN_MS,
    )
    keeper.autosave()  # back online: the draft is kept
    assert window.ctx.store.drafts.exists(str(keeper.draft_id))
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text


def test_a_store_out_of_reach_inside_a_qt_callback_is_said_not_reported_as_a_bug(
    qtbot: QtBot, home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    shown: list[str] = []
    monkeypatch.setattr(
        "app.ui.crash.QMessageBox.warning", lambda _parent, _title, text: shown.append(text)
    )
    previous = install_crash_hook(window, home / "data")
    try:
        try:
            raise StoreOfflineError("The shared store at db.office:5432 cannot be reached.")
        except StoreOfflineError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
    assert window.statusBar().currentMessage() == (
        "The shared store at db.office:5432 cannot be reached."
    )
    assert not (home / "data" / "crash-reports").exists()
    assert shown == []
    assert not [r for r in caplog.records if r.exc_info]
