"""The app starting while its shared store cannot be used.

A server that is down (stopped here: a real throwaway PostgreSQL server, paused) does not keep
the window from opening: it says Offline, Requests and Archive say that nothing could be read
yet, a document can be prepared, and when the server is back the places are read. A store of a
newer Sealbox found then is refused and left untouched. A store that needs the user (a password
refused, an address that cannot be used) is said in a dialog offering Open Settings and Quit;
the dialog's buttons are clicked.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import psycopg
import pymupdf
import pytest
from psycopg.conninfo import conninfo_to_dict
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QPushButton
from pytestqt.qtbot import QtBot

from app.context import Context
from app.store import pg_schema
from app.store.address import PASSWORD_SECRET
from app.store.pg import PgDatabase
from app.ui.bridge import AsyncBridge
from app.ui.live import BACK_ONLINE, offline_text
from app.ui.main import MainWindow
from app.ui.requests.filters import EMPTY_STORE
from app.ui.store_start import (
    OPEN_SETTINGS,
    QUIT,
    SETTINGS_NOTE,
    TITLE,
    WHAT_TO_DO,
    StoreProblem,
)
from tests.gui.test_live_store import (
    SEEN_MS,
    archive_names,
    click_place,
    rows,
    send_elsewhere,
    use_address,
)
from tests.gui.test_settings_store import click_ok, click_test, type_into
from tests.support import pgserver

NEVER_S = 3600


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()
    return pdf, tmp_path / "spec.json"


def start_window(qtbot: QtBot, bridge: AsyncBridge) -> MainWindow:
    """The window as the app starts it: its frame shown first, then completed."""
    window = MainWindow(bridge=bridge, deferred=True)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.finish_start()
    if window.started:
        window.live.retry_s = 0.2
        window.live._periodic.setInterval(NEVER_S * 1000)
    return window


def unread_line(host: str, what: str) -> str:
    return (
        f"Nothing read yet: the shared store at {host} cannot be reached yet. Sealbox tries "
        f"again by itself and shows {what} once it can."
    )


def requests_line(window: MainWindow) -> str:
    """What the Requests place says instead of rows (empty when it shows rows)."""
    page = window.requests_page
    if page.list_stack.currentWidget() is not page.empty or not page.empty.isVisible():
        return ""
    return page.empty_label.text()


def archive_line(window: MainWindow) -> str:
    page = window.archive_page
    if page.list_stack.currentWidget() is not page.empty or not page.empty.isVisible():
        return ""
    return page.empty.text()


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text


def test_a_desk_starting_while_the_server_is_down_opens_offline_and_reads_it_when_back(
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
    send_elsewhere(files, "Sent before the server went down")
    own_server.pause()

    window = start_window(qtbot, bridge)
    assert window.started and window.store_problem is None
    assert window.store_label.isVisible()
    assert window.store_label.text() == offline_text(host)
    # Requests and Archive say that nothing could be read yet, and why, in plain words.
    click_place(window, "Requests")
    assert requests_line(window) == unread_line(host, "the requests")
    assert rows(window) == [] and not window.requests_page.run_filter.box.isVisible()
    click_place(window, "Archive")
    assert archive_line(window) == f"<p>{unread_line(host, 'the archive')}</p>"
    assert archive_names(window) == []
    assert window.archive_page.provider_box.currentText() == "All providers"
    assert not window.archive_page.message.isVisible()
    # A document can be prepared meanwhile.
    click_place(window, "Prepare")
    assert window.open_file(files[0])
    assert window.windowTitle() == "lease.pdf — Sealbox"

    click_place(window, "Requests")
    window.live.start()  # tries at once, and again every retry_s while the server is down
    qtbot.waitUntil(lambda: not window.live._connecting, timeout=SEEN_MS)
    assert window.store_label.isVisible() and not window.live.online
    assert requests_line(window) == unread_line(host, "the requests")

    own_server.resume()
    qtbot.waitUntil(lambda: not window.store_label.isVisible(), timeout=SEEN_MS)
    assert window.statusBar().currentMessage() == BACK_ONLINE
    qtbot.waitUntil(
        lambda: rows(window) == [("Sent before the server went down", "Sent")], timeout=SEEN_MS
    )
    assert requests_line(window) == ""
    click_place(window, "Archive")
    assert "Nothing archived yet" in archive_line(window)
    # Listening again: another desk's send shows at once.
    click_place(window, "Requests")
    send_elsewhere(files, "Sent once the server was back")
    qtbot.waitUntil(lambda: len(rows(window)) == 2, timeout=SEEN_MS)
    no_traceback(caplog)


def test_a_newer_store_found_when_the_server_is_back_is_refused_and_left_untouched(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    own_server: pgserver.PgServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    url = own_server.url()
    host = use_address(monkeypatch, url)
    PgDatabase(url).close()
    newer = pg_schema.SCHEMA_VERSION + 1
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [newer])
    own_server.pause()

    window = start_window(qtbot, bridge)
    assert window.store_label.text() == offline_text(host)
    click_place(window, "Requests")
    window.live.start()
    own_server.resume()
    refusal = (
        f"The shared store, the database postgres on {host}, was made by a newer Sealbox "
        f"(schema {newer}, this one knows {newer - 1}): update Sealbox to use it. It was not "
        "changed."
    )
    qtbot.waitUntil(
        lambda: window.store_label.text() == refusal,
        timeout=SEEN_MS,
    )
    assert window.store_label.isVisible()
    assert requests_line(window) == f"Nothing can be read. {refusal}"
    click_place(window, "Archive")
    assert archive_line(window) == f"<p>Nothing can be read. {refusal}</p>"
    # Nothing is tried again, and the store is not used.
    assert not window.live._retry.isActive() and not window.live.listening
    with pytest.raises(pg_schema.NewerStoreError):
        window.ctx.store.requests.exists("any")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(newer,)]
    no_traceback(caplog)


def write_address(home: Path, url: str) -> str:
    """Name the shared store at ``url`` in the settings file (its password is not written);
    returns the address written."""
    parts = conninfo_to_dict(url)
    address = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    (home / "config.toml").write_text(f'[store]\naddress = "{address}"\n', encoding="utf-8")
    return address


def dialog_of(window: MainWindow) -> StoreProblem:
    problem = window.store_problem
    assert problem is not None and problem.box.isVisible()
    assert problem.box.windowTitle() == TITLE
    assert problem.box.informativeText() == WHAT_TO_DO
    assert [b.text() for b in problem.box.findChildren(QPushButton)] == [OPEN_SETTINGS, QUIT]
    return problem


def click(button: QAbstractButton | None) -> None:
    assert button is not None and button.isVisible()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_refused_password_is_said_and_corrected_in_settings(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    write_address(home, pg_url)
    parts = conninfo_to_dict(pg_url)
    ctx = Context.from_environment()
    ctx.secrets.set(PASSWORD_SECRET, "not-the-password")

    window = start_window(qtbot, bridge)
    assert not window.started
    problem = dialog_of(window)
    refused = (
        f"The PostgreSQL server refused the password of postgres for the database "
        f"{parts['dbname']} on 127.0.0.1:{parts['port']}: check the user name and password."
    )
    assert problem.box.text() == refused
    click(problem.settings_button)
    qtbot.waitUntil(lambda: problem.settings is not None and problem.settings.isVisible())
    settings = problem.settings
    assert settings is not None and not problem.box.isVisible()
    page = settings.store_page
    assert settings.current_page() is page
    assert page.host_edit.text() == "127.0.0.1" and page.database_edit.text() == parts["dbname"]
    assert page.status_label.text() == f"{refused} {SETTINGS_NOTE}"
    type_into(qtbot, page.password.edit, str(parts["password"]))
    assert click_test(qtbot, page) == (
        "The server answers: the shared store is empty and will be set up."
    )
    click_ok(settings)

    qtbot.waitUntil(lambda: window.started, timeout=SEEN_MS)
    assert not settings.isVisible() and window.store_problem is None
    assert not window.store_label.isVisible()
    click_place(window, "Requests")
    assert requests_line(window) == EMPTY_STORE
    with psycopg.connect(pg_url) as conn:  # the store it now names was opened (and set up)
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [
            (pg_schema.SCHEMA_VERSION,)
        ]
    no_traceback(caplog)


def test_an_address_that_cannot_be_used_offers_settings_and_quit(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / "config.toml").write_text(
        '[store]\naddress = "postgresql://clerk@db.office.lan:99999/sealbox"\n', encoding="utf-8"
    )
    window = start_window(qtbot, bridge)
    problem = dialog_of(window)
    assert problem.box.text() == (
        "The shared store's address has the port '99999': a port is a number from 1 to 65535."
    )
    # Settings, then Cancel: the problem is said again.
    click(problem.settings_button)
    settings = problem.settings
    assert settings is not None
    qtbot.waitUntil(settings.isVisible)
    assert settings.current_page() is settings.store_page
    click(settings.buttons.button(settings.buttons.StandardButton.Cancel))
    qtbot.waitUntil(problem.box.isVisible)
    assert not window.started
    # Quit: the window closes.
    click(problem.quit_button)
    qtbot.waitUntil(lambda: not window.isVisible())
    assert not problem.box.isVisible() and not window.started
    no_traceback(caplog)


def test_a_database_the_server_does_not_have_is_said_and_quit(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    parts = conninfo_to_dict(pg_url)
    write_address(home, pg_url.replace(f"/{parts['dbname']}", "/no_such_database"))
    Context.from_environment().secrets.set(PASSWORD_SECRET, str(parts["password"]))
    window = start_window(qtbot, bridge)
    problem = dialog_of(window)
    assert problem.box.text() == (
        f"There is no database no_such_database on 127.0.0.1:{parts['port']}: check the "
        "database name, or ask its administrator to create it."
    )
    QTest.keyClick(problem.box, Qt.Key.Key_Escape)  # as Quit
    qtbot.waitUntil(lambda: not window.isVisible())
    assert not window.started
    no_traceback(caplog)


def test_a_server_that_never_answers_does_not_freeze_the_window_while_it_starts(
    qtbot: QtBot,
    bridge: AsyncBridge,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A host that takes the connection and never says a word (as one behind a VPN that drops
    # packets): opening the store waits for the connection's timeout, here 2 s.
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    monkeypatch.setattr("app.store.pg.CONNECT_TIMEOUT_S", 2)
    monkeypatch.setenv("SEALBOX_DATABASE_URL", f"postgresql://sealbox@127.0.0.1:{port}/sealbox")
    monkeypatch.setenv("SEALBOX_STORE_PASSWORD", "secret")
    try:
        window = MainWindow(bridge=bridge, deferred=True)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        beats: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(20)
        heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
        heartbeat.start()
        started = time.monotonic()
        window.finish_start()
        waited = time.monotonic() - started
        heartbeat.stop()
    finally:
        silent.close()
    assert waited >= 1.5, f"the store was opened in {waited:.2f} s: the server was not silent"
    gaps = [b - a for a, b in zip([started, *beats], [*beats, started + waited], strict=True)]
    assert max(gaps) < 0.5, f"the window froze for {max(gaps):.2f} s while it started"
    assert window.started and window.store_problem is None
    assert window.store_label.isVisible()
    assert window.store_label.text() == offline_text(f"127.0.0.1:{port}")
    no_traceback(caplog)
