"""Fixtures for the GUI tests: a qasync loop on pytest-qt's application and the async bridge."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.context import Context
from app.ui.bridge import AsyncBridge
from app.ui.gc_guard import GcGuard
from app.ui.main import MainWindow
from tests.fakes.saypdf import SayPdfFake

TIMEOUT_MS = 3000


@pytest.fixture(autouse=True)
def gc_on_gui_thread(qapp: QApplication) -> Iterator[None]:
    """Collect garbage on the GUI thread only, as the app does (see app/ui/gc_guard.py)."""
    guard = GcGuard()
    yield
    guard.stop()
    guard.deleteLater()


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    """Every process a test starts (a page view's render process) has ended, and been waited
    for, by the end of the test (after pytest-qt has closed the test's widgets)."""
    before = {p.pid for p in multiprocessing.active_children()}
    yield
    left = [p for p in multiprocessing.active_children() if p.pid not in before]
    assert left == [], f"processes left running: {left}"


@pytest.fixture
def qloop(qapp: QApplication, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on pytest-qt's QApplication, current and running for this test.

    pytest-qt never calls ``QApplication.exec()``: it spins Qt with ``processEvents`` (inside
    ``qtbot.waitUntil``) or a local ``QEventLoop`` (``qtbot.waitSignal``). qasync schedules
    asyncio callbacks as Qt timers and delivers thread-safe calls as queued signals, so those
    spins run the asyncio work too. Two things must be arranged by hand:

    * asyncio must see the loop as the *running* one (``asyncio.get_running_loop()``, futures
      and ``asyncio.Event`` need it), so the fixture marks it with
      ``asyncio.events._set_running_loop`` (what qasync's own ``run_forever`` does) and clears
      it at teardown.
    * qasync's ``already_running=True`` would do that too, but it cannot be stopped without
      ``loop.stop()``, which calls ``QApplication.exit()``. With no ``exec()`` running, that
      leaves Qt's "quit now" flag set and every later ``QEventLoop.exec()`` returns at once, so
      ``qtbot.waitSignal`` in every following test would fail (pytest-qt issue #37). Nor does
      each test run under ``loop.run_until_complete``, which would re-enter ``exec()``.

    At teardown, tasks still pending are cancelled and Qt is spun until they have finished; the
    loop is then closed (no "unclosed event loop" ResourceWarning, which ``filterwarnings =
    error`` would turn into a failure). Anything the loop's exception handler saw (a "Task
    exception was never retrieved", a failing callback) fails the test.
    """
    loop = qasync.QEventLoop(qapp)
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=TIMEOUT_MS)
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()
        asyncio.set_event_loop(None)
        # The loop's timers are QObjects: collect them here, on the GUI thread. Left to the
        # cyclic garbage collector they may be destroyed on a worker thread ("Timers cannot be
        # stopped from another thread"), which crashes Qt.
        del loop
        gc.collect()
    assert seen == [], f"the event loop reported problems: {seen}"


@pytest.fixture
def bridge(qloop: asyncio.AbstractEventLoop) -> Iterator[AsyncBridge]:
    """A bridge on the test's loop; shut down (its worker threads joined) at teardown."""
    bridge = AsyncBridge(loop=qloop)
    yield bridge
    bridge.shutdown(wait=True)
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("sealbox-worker")]
    assert leftover == []
    bridge.deleteLater()


@pytest.fixture
def saypdf(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SayPdfFake]:
    """A SayPDF fake on loopback, configured for the test's home."""
    fake = SayPdfFake()
    fake.start()
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def sayfake_window(qtbot: QtBot, saypdf: SayPdfFake, bridge: AsyncBridge) -> Iterator[MainWindow]:
    """The whole main window, shown, with SayPDF configured; its sync is let finish and its
    context closed at the end."""
    ctx = Context.from_environment()
    win = MainWindow(ctx, bridge)
    qtbot.addWidget(win)
    win.resize(1300, 900)
    win.show()
    yield win
    qtbot.waitUntil(lambda: not win.sync.running, timeout=30_000)
    win.close()
    closed: list[bool] = []
    bridge.start(ctx.aclose(), on_done=lambda _: closed.append(True))
    qtbot.waitUntil(lambda: closed == [True])
    ctx.close()
