"""The async bridge: results and errors reach the UI thread, blocking work leaves it, tasks can
be cancelled, busy state follows the work, and the app's loop quits cleanly."""

from __future__ import annotations

import asyncio
import errno
import logging
import threading

import pytest
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.errors import UserError
from app.ui.bridge import (
    BUG_TEXT,
    AsyncBridge,
    close_loop,
    describe_error,
    install_loop,
    run_app_loop,
)
from app.wording import Credentials, Text, Where

TIMEOUT_MS = 3000


def reported(bridge: AsyncBridge) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    bridge.errorReported.connect(lambda title, message: out.append((title, message)))
    return out


def test_on_done_gets_the_result_on_the_ui_thread(bridge: AsyncBridge, qtbot: QtBot) -> None:
    results: list[tuple[int, int]] = []

    async def work() -> int:
        await asyncio.sleep(0)
        return 42

    task = bridge.start(
        work(), on_done=lambda v: results.append((v, threading.get_ident())), label="Adding"
    )
    qtbot.waitUntil(lambda: results != [], timeout=TIMEOUT_MS)
    assert results == [(42, threading.get_ident())]
    assert task.result() == 42 and task.get_name() == "Adding"


def test_a_known_error_goes_to_on_error_with_its_message(
    bridge: AsyncBridge, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []
    shown = reported(bridge)

    async def fail() -> None:
        raise UserError("contract.pdf is not a PDF: choose a PDF file.")

    bridge.start(
        fail(), on_done=lambda _: pytest.fail("no result expected"), on_error=errors.append
    )
    qtbot.waitUntil(lambda: errors != [], timeout=TIMEOUT_MS)
    assert isinstance(errors[0], UserError)
    assert describe_error(errors[0]) == "contract.pdf is not a PDF: choose a PDF file."
    assert shown == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # not a bug


def test_a_known_error_without_on_error_is_reported(bridge: AsyncBridge, qtbot: QtBot) -> None:
    async def fail() -> None:
        raise UserError("The provider refused the request: check the recipients.")

    with qtbot.waitSignal(bridge.errorReported, timeout=TIMEOUT_MS) as blocker:
        bridge.start(fail(), label="Sending")
    assert blocker.args == ["Sending", "The provider refused the request: check the recipients."]


def test_a_bug_is_reported_clearly_and_logged(
    bridge: AsyncBridge, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    async def buggy() -> int:
        await asyncio.sleep(0)
        return 1 // 0

    with qtbot.waitSignal(bridge.errorReported, timeout=TIMEOUT_MS) as blocker:
        bridge.start(buggy(), label="Reading the document")
    assert blocker.args == ["Reading the document", BUG_TEXT]
    assert "ZeroDivisionError" not in BUG_TEXT
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Reading the document" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is ZeroDivisionError
    assert "in buggy" in caplog.text  # the traceback


def test_a_bug_with_on_error_is_logged_and_handed_over(
    bridge: AsyncBridge, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[BaseException] = []
    shown = reported(bridge)

    async def buggy() -> None:
        raise KeyError("page")

    bridge.start(buggy(), on_error=errors.append, label="Preflight")
    qtbot.waitUntil(lambda: errors != [], timeout=TIMEOUT_MS)
    assert describe_error(errors[0]) == BUG_TEXT
    assert shown == []
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_a_bug_in_a_callback_is_reported(
    bridge: AsyncBridge, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    async def work() -> str:
        return "done"

    def on_done(value: str) -> None:
        raise RuntimeError(f"widget gone after {value}.")

    with qtbot.waitSignal(bridge.errorReported, timeout=TIMEOUT_MS) as blocker:
        bridge.start(work(), on_done=on_done)
    assert blocker.args == ["Sealbox", BUG_TEXT]
    assert "in on_done" in caplog.text


def test_run_blocking_runs_off_the_ui_thread(bridge: AsyncBridge, qtbot: QtBot) -> None:
    results: list[tuple[int, int]] = []

    async def work() -> tuple[int, int]:
        worker = await bridge.run_blocking(threading.get_ident)
        power = await bridge.run_blocking(pow, 2, 10)
        return worker, power

    bridge.start(work(), on_done=results.append)
    qtbot.waitUntil(lambda: results != [], timeout=TIMEOUT_MS)
    worker, power = results[0]
    assert worker != threading.get_ident()
    assert power == 1024


def test_run_blocking_can_be_started_directly(bridge: AsyncBridge, qtbot: QtBot) -> None:
    results: list[str] = []
    bridge.start(bridge.run_blocking(str.upper, "sealbox"), on_done=results.append)
    qtbot.waitUntil(lambda: results != [], timeout=TIMEOUT_MS)
    assert results == ["SEALBOX"]


def test_errors_in_blocking_work_reach_the_ui(bridge: AsyncBridge, qtbot: QtBot) -> None:
    def refuse() -> None:
        raise UserError("The archive folder is read-only: choose another one in Settings.")

    with qtbot.waitSignal(bridge.errorReported, timeout=TIMEOUT_MS) as blocker:
        bridge.start(bridge.run_blocking(refuse), label="Archiving")
    assert blocker.args == [
        "Archiving",
        "The archive folder is read-only: choose another one in Settings.",
    ]


def test_cancel_all_cancels_a_long_task(
    bridge: AsyncBridge, qloop: asyncio.AbstractEventLoop, qtbot: QtBot
) -> None:
    started = asyncio.Event()
    never: asyncio.Future[None] = qloop.create_future()
    seen: list[str] = []
    shown = reported(bridge)

    async def long() -> None:
        started.set()
        try:
            await never
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = bridge.start(
        long(), on_done=lambda _: seen.append("done"), on_error=lambda _: seen.append("error")
    )
    qtbot.waitUntil(started.is_set, timeout=TIMEOUT_MS)
    assert bridge.busy
    assert bridge.cancel_all() == 1
    qtbot.waitUntil(task.done, timeout=TIMEOUT_MS)
    assert task.cancelled()
    assert seen == ["cancelled"]  # neither on_done nor on_error
    assert shown == []
    assert not bridge.busy


def test_busy_follows_the_running_tasks(
    bridge: AsyncBridge, qloop: asyncio.AbstractEventLoop, qtbot: QtBot
) -> None:
    states: list[bool] = []
    bridge.busyChanged.connect(states.append)
    first: asyncio.Future[int] = qloop.create_future()
    second: asyncio.Future[int] = qloop.create_future()
    done: list[int] = []
    assert not bridge.busy
    bridge.start(first, on_done=done.append)
    b = bridge.start(second)
    assert bridge.busy and states == [True]
    first.set_result(1)
    qtbot.waitUntil(lambda: done == [1], timeout=TIMEOUT_MS)
    assert bridge.busy and states == [True]
    with qtbot.waitSignal(bridge.busyChanged, timeout=TIMEOUT_MS) as blocker:
        second.set_result(2)
    assert blocker.args == [False]
    assert b.result() == 2 and not bridge.busy and states == [True, False]


def test_aclose_stops_everything_and_refuses_new_work(
    bridge: AsyncBridge, qloop: asyncio.AbstractEventLoop, qtbot: QtBot
) -> None:
    never: asyncio.Future[None] = qloop.create_future()
    task = bridge.start(never)
    closed: list[bool] = []

    async def close() -> None:
        await bridge.aclose()
        closed.append(True)

    closer = qloop.create_task(close())
    qtbot.waitUntil(lambda: closed != [], timeout=TIMEOUT_MS)
    assert task.cancelled() and closer.done() and not bridge.busy and bridge.closed

    async def late() -> None:
        pytest.fail("must not run")

    with pytest.raises(RuntimeError, match="shut down"):
        bridge.start(late())  # closed without a "never awaited" warning
    with pytest.raises(RuntimeError):
        bridge.run_blocking(str.upper, "x")


def test_describe_error() -> None:
    assert describe_error(UserError("Choose a PDF.")) == "Choose a PDF."
    assert describe_error(ValueError()) == BUG_TEXT
    assert describe_error(OSError("disk full.")) == BUG_TEXT
    full = OSError(errno.ENOSPC, "No space left on device", "/archive/a.pdf")
    assert describe_error(full) == (
        "Sealbox could not read or write a file (/archive/a.pdf): "
        "No space left on device. The details are in the log."
    )
    # A message with the command line's advice is worded for the app.
    hint = UserError(Text("Craftkit needs an API key: ", Credentials("craftkit", "Craftkit"), "."))
    assert describe_error(hint) == (
        "Craftkit needs an API key: enter the API key in Settings › Craftkit."
    )
    assert describe_error(hint, Where("craftkit")) == (
        "Craftkit needs an API key: enter the API key on this page."
    )


def test_the_app_loop_returns_the_exit_code_and_cancels_what_is_left(qapp: QApplication) -> None:
    """The real thing: ``QApplication.exec()`` runs, the app quits with code 3, the task still
    waiting is cancelled and the loop closed (and Qt's quit flag is clear again afterwards)."""
    loop = install_loop(qapp)
    assert isinstance(loop, qasync.QEventLoop)
    events: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    tasks: list[asyncio.Task[None]] = []

    async def main() -> None:
        tasks.append(asyncio.get_running_loop().create_task(forever()))
        await asyncio.sleep(0)
        events.append("quitting")
        qapp.exit(3)

    # Work may start before the loop runs (a PDF named on the command line is opened then).
    bridge = AsyncBridge()
    bridge.start(main(), on_done=lambda _: events.append("main done"))
    assert run_app_loop(qapp, loop) == 3
    assert events[0] == "quitting"
    assert sorted(events[1:]) == ["cancelled", "main done"]
    assert tasks[0].cancelled()
    assert loop.is_closed()
    close_loop(loop)  # closing again does nothing
    bridge.shutdown()
    bridge.deleteLater()


def test_a_bridge_finds_the_running_loop(qloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    bridge = AsyncBridge()
    results: list[int] = []

    async def work() -> int:
        return 7

    bridge.start(work(), on_done=results.append)
    assert bridge.loop is qloop
    qtbot.waitUntil(lambda: results == [7], timeout=TIMEOUT_MS)
    bridge.shutdown()
    bridge.deleteLater()


def test_without_a_loop_starting_work_is_a_clear_error() -> None:
    bridge = AsyncBridge()

    async def work() -> None:
        pytest.fail("must not run")

    with pytest.raises(RuntimeError, match="install_loop"):
        bridge.start(work())  # the coroutine is closed: no "never awaited" warning
    bridge.shutdown()
    bridge.deleteLater()


def test_qt_still_runs_nested_event_loops_afterwards(qtbot: QtBot) -> None:
    """After the tests above, ``waitSignal`` (a nested ``QEventLoop``) still waits and works."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setInterval(1)
    with qtbot.waitSignal(timer.timeout, timeout=TIMEOUT_MS):
        timer.start()
