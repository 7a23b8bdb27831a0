"""The one place that runs asyncio work from the Qt UI.

The app runs a :class:`qasync.QEventLoop` as its asyncio loop: Qt's event loop drives asyncio,
so coroutines run on the UI thread between Qt events and their results can touch widgets
directly. :func:`install_loop` creates and sets it, :func:`run_app_loop` runs it until the app
quits and then cancels what is still running and closes the loop.

:class:`AsyncBridge` starts coroutines for the UI and delivers their outcome on the UI thread:
a result to ``on_done``; an error to ``on_error`` or, without one, to the ``errorReported``
signal. A :class:`~app.errors.SealboxError` is a "known" error whose message is for the user;
anything else is a bug, logged with its traceback and shown as "Something went wrong" (without
its class or text: raw exception text never reaches a window). Blocking
work (PDF parsing, SQLite, file copies) goes to the bridge's thread pool with
:meth:`AsyncBridge.run_blocking`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, TypeVarTuple

import qasync
import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from app.errors import SealboxError
from app.wording import ANYWHERE, Where

log = logging.getLogger(__name__)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

DEFAULT_TITLE = "Sealbox"


#: The loop :func:`install_loop` made, for bridges asked to start work before it runs.
_installed: asyncio.AbstractEventLoop | None = None


def install_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """Create a qasync event loop on ``app`` and make it the current asyncio loop."""
    global _installed
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    _installed = loop
    return loop


def run_app_loop(app: QApplication, loop: asyncio.AbstractEventLoop) -> int:
    """Run the Qt event loop of ``app`` (and asyncio with it) until the app quits; then cancel
    every task still running, let them finish, close ``loop`` and return the exit code.

    ``QEventLoop.run_forever`` is qasync's way to run the app: it marks the loop running for
    asyncio and returns what ``app.exec()`` returned (the code given to ``app.exit``).
    """
    qt_loop: Any = loop  # qasync's run_forever returns the exit code; asyncio's says None
    try:
        code = qt_loop.run_forever()
    finally:
        close_loop(loop)
    return int(code) if isinstance(code, int) else 0


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every unfinished task of the stopped ``loop``, run it until they are done, shut
    down async generators and close it (what ``asyncio.run`` does on the way out)."""
    global _installed
    if loop.is_closed():
        return
    try:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            for task in tasks:
                if not task.cancelled() and task.exception() is not None:
                    loop.call_exception_handler(
                        {
                            "message": "unhandled exception while the app was quitting",
                            "exception": task.exception(),
                            "task": task,
                        }
                    )
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        if _installed is loop:
            _installed = None


def describe_error(exc: BaseException, where: Where = ANYWHERE) -> str:
    """The sentence a window shows for ``exc`` at ``where``: a known error's message in the app's
    words; for a file that could not be read or written, the system's reason; for a bug, that
    it is one (its class and text go to the log, never to a window)."""
    if isinstance(exc, SealboxError):
        return exc.for_app(where)
    if isinstance(exc, OSError) and exc.strerror:
        name = f" ({exc.filename})" if isinstance(exc.filename, str) else ""
        return (
            f"Sealbox could not read or write a file{name}: {exc.strerror}. The details are "
            "in the log."
        )
    return BUG_TEXT


#: What a window says about a bug: what happened is in the log, with its traceback.
BUG_TEXT = (
    "Something went wrong inside Sealbox: this is a fault in Sealbox, not in what you "
    "did. The details are in the log."
)


class AsyncBridge(QObject):
    """Runs coroutines for the UI and reports their outcome on the UI thread.

    ``errorReported(title, message)`` carries errors of tasks started without ``on_error``
    (and errors raised by ``on_done``/``on_error`` themselves); ``busyChanged(busy)`` says
    whether any task is running.
    """

    errorReported = Signal(str, str)
    busyChanged = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        max_workers: int | None = None,
    ) -> None:
        """``loop`` defaults to the current asyncio loop (see :func:`install_loop`), looked up
        when the first task starts."""
        super().__init__(parent)
        self._loop = loop
        self._tasks: set[asyncio.Task[Any]] = set()
        self._executor = ThreadPoolExecutor(
            max_workers=max_workers or min(4, os.cpu_count() or 1),
            thread_name_prefix="sealbox-worker",
        )
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop tasks run on: the one given, else the running loop, else the one
        :func:`install_loop` installed (work may start before :func:`run_app_loop` runs it)."""
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                if _installed is None or _installed.is_closed():
                    raise RuntimeError(
                        "no event loop for the async bridge: call install_loop(app) first"
                    ) from None
                self._loop = _installed
        return self._loop

    @property
    def busy(self) -> bool:
        """Whether any task started here is still running."""
        return bool(self._tasks)

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` or :meth:`aclose` was called."""
        return self._closed

    def start(
        self,
        coro: Awaitable[T],
        *,
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        label: str = "",
    ) -> asyncio.Task[T]:
        """Run ``coro`` (a coroutine, or any awaitable such as :meth:`run_blocking`'s) as a
        task; its result goes to ``on_done``, its error to ``on_error`` or ``errorReported``,
        both on the UI thread. Cancelling the task calls neither. ``label`` names the work in
        the log and is the title of a reported error."""
        try:
            if self._closed:
                raise RuntimeError("the async bridge is shut down: no new work can start")
            loop = self.loop
        except RuntimeError:
            if asyncio.iscoroutine(coro):
                coro.close()  # never started: no "was never awaited" warning
            raise
        work = coro if asyncio.iscoroutine(coro) else _awaiting(coro)
        task: asyncio.Task[T] = loop.create_task(work, name=label or None)
        was_busy = self.busy
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, on_done, on_error, label))
        if not was_busy:
            self.busyChanged.emit(True)
        return task

    def run_blocking(self, fn: Callable[[*Ts], T], *args: *Ts) -> asyncio.Future[T]:
        """Run ``fn(*args)`` in the bridge's thread pool; await the result on the UI thread.

        Cancelling the returned future drops the call if it has not started; a call already
        running finishes in its thread and its result is discarded.
        """
        return asyncio.wrap_future(self._executor.submit(fn, *args), loop=self.loop)

    def cancel_all(self) -> int:
        """Cancel every running task; returns how many were asked to stop. Their ``busy`` state
        clears once the loop has delivered the cancellations."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    async def aclose(self) -> None:
        """Cancel every task, wait until they have stopped, then shut the thread pool down.
        Starting work afterwards raises ``RuntimeError``."""
        self._closed = True
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, *, wait: bool = False) -> None:
        """Cancel every task and shut the thread pool down without waiting for the loop (for
        quitting: :func:`run_app_loop` lets the cancelled tasks finish). ``wait`` blocks until
        calls already running in the pool have returned. Calling it again does nothing more."""
        self._closed = True
        self.cancel_all()
        self._executor.shutdown(wait=wait, cancel_futures=True)

    # --- outcome ----------------------------------------------------------------------------

    def _finished(
        self,
        task: asyncio.Task[Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str,
    ) -> None:
        self._tasks.discard(task)
        try:
            if task.cancelled():
                log.debug("%s: cancelled", label or task.get_name())
                return
            exc = task.exception()
            if exc is None:
                if on_done is not None:
                    self._call(on_done, task.result(), label)
                return
            if not isinstance(exc, SealboxError):
                log.error(
                    "Unexpected error in %s",
                    label or task.get_name(),
                    exc_info=(type(exc), exc, exc.__traceback__),
                )
            if on_error is not None:
                self._call(on_error, exc, label)
            else:
                self._report(label, describe_error(exc))
        finally:
            if not self._tasks and shiboken6.isValid(self):
                self.busyChanged.emit(False)

    def _call(self, callback: Callable[[Any], None], value: Any, label: str) -> None:
        """Run a UI callback; a bug in it is logged and reported instead of being lost in the
        event loop's exception handler."""
        try:
            callback(value)
        except Exception as exc:
            log.exception(
                "Unexpected error while handling the outcome of %s", label or "a background task"
            )
            self._report(label, describe_error(exc))

    def _report(self, label: str, message: str) -> None:
        if shiboken6.isValid(self):
            self.errorReported.emit(label or DEFAULT_TITLE, message)
        else:
            log.warning("%s: %s (the window that started it is gone)", label, message)


async def _awaiting(awaitable: Awaitable[T]) -> T:
    """A coroutine for any awaitable, so that every piece of work is a task."""
    return await awaitable
