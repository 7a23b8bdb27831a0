"""Page images for the page views, drawn in a render process of their own.

:class:`PageRenderer` keeps the requests of one page view (and its thumbnail strip) in a
priority queue and hands them, one at a time, to its render process (:mod:`app.pdf.render`):
PyMuPDF holds Python's GIL while it draws (50-100 ms for a 300 dpi scan), so drawing in the
app's process, even on another thread, would stall the window. Everything here runs on the UI
thread and never waits on the process: a request is written to its pipe, and the answer is read
when the pipe says it is there (a socket notifier; a thread that waits on it where there is no
such notifier, on Windows). A page is two hops: to the process and back.

* Requests: one entry per (page, scale); visible pages before thumbnails; stale entries
  (document reopened, zoom changed away) dropped before they are sent. They are sent from the
  event loop (a zero timer), so the most urgent of a burst goes first.
* The process draws into shared memory in the byte order of an ``RGB888`` QImage and the image
  is made over that memory: no conversion, no copy (the raster engine paints it about as fast
  as ``RGB32``, which would cost MuPDF a third more to draw, with its alpha channel).
  ``rendered`` delivers it; ``failed`` a page that cannot be drawn, shown as a placeholder.
* The process starts with the first document (in a short-lived thread: with a fork server it
  may wait for the server to be ready). One that dies (a PDF that crashes MuPDF) fails the page
  it was drawing and is started again for the next; one that dies opening the document fails
  that document's pages. :meth:`PageRenderer.close` ends it (and the view's close does).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QThread, QTimer, Signal
from PySide6.QtGui import QImage

from app.pdf.render import (
    CRASHED,
    Answer,
    Drawn,
    Failed,
    Opened,
    RenderedPage,
    RenderLink,
    WorkerGone,
)

logger = logging.getLogger(__name__)

PRIORITY_VISIBLE = 0
"""Priority of the main view's requests: smaller numbers render first."""
PRIORITY_THUMBNAIL = 10

FAILED_TEXT = "This page could not be shown"

#: Read the render process's answers in a thread rather than with a socket notifier (Windows,
#: where the pipe is not a socket; tests set it to check that way too).
RECEIVE_IN_THREAD = sys.platform == "win32"


def page_image(drawn: RenderedPage, ratio: float) -> QImage:
    """The image of a drawn page, over its shared memory (no copy), drawing at ``1 / ratio``
    logical pixels per pixel. The memory stays valid while the image (or a copy) lives."""
    image = QImage(
        drawn.buffer, drawn.width, drawn.height, drawn.stride, QImage.Format.Format_RGB888
    )
    image.setDevicePixelRatio(ratio)
    return image


@dataclass
class _Job:
    page: int
    scale: float
    priority: int
    ratio: float
    generation: int
    order: int


class _Starter(QThread):
    """Starts a render process off the UI thread (a fork server may still be importing)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("sealbox-page-renderer-start")
        self.link: RenderLink | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.link = RenderLink()
        except (OSError, RuntimeError, ValueError) as exc:
            self.error = exc


class _Receiver(QThread):
    """Reads the render process's answers where there is no socket notifier."""

    answered = Signal(object)
    gone = Signal()

    def __init__(self, link: RenderLink) -> None:
        super().__init__()
        self.setObjectName("sealbox-page-renderer-receive")
        self._link = link

    def run(self) -> None:
        while True:
            try:
                answer = self._link.read()
            except WorkerGone:
                self.gone.emit()
                return
            self.answered.emit(answer)


@dataclass
class _Process:
    """The render process of a renderer and what talks to it (no reference to the renderer,
    so it can be ended from the renderer's ``destroyed`` signal)."""

    link: RenderLink | None = None
    starter: _Starter | None = None
    receiver: _Receiver | None = None
    notifier: QSocketNotifier | None = None
    threads: list[QThread] = field(default_factory=list)

    def end(self) -> None:
        """End the process and wait for the threads; safe to call again."""
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier = None
        if self.link is not None:
            self.link.terminate()
        for thread in self.threads:
            thread.wait()
        self.threads.clear()
        if self.starter is not None and self.starter.link is not None:
            self.starter.link.terminate()  # started while the renderer was closing
            self.starter.link.close()
            self.starter.link = None
        self.starter = None
        self.receiver = None
        if self.link is not None:
            self.link.close()
            self.link = None


class PageRenderer(QObject):
    """Renders pages in a process of its own; results arrive in the UI thread.

    ``rendered(generation, page, scale, image)`` delivers an image (already checked to belong
    to the open document); ``failed(page, message)`` a page that could not be rendered.
    ``request`` priorities: smaller numbers render first (:data:`PRIORITY_VISIBLE`,
    :data:`PRIORITY_THUMBNAIL`). :meth:`close` must be called (the view does it); it is also
    called when the renderer is destroyed or the application quits.
    """

    rendered = Signal(int, int, float, QImage)
    failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process = _Process()
        self._pending: dict[tuple[int, float], _Job] = {}
        self._order = 0
        self._generation = 0
        self._path: Path | None = None
        #: The request the process is answering: ("open", key), ("render", job), ("free", None).
        self._in_flight: tuple[str, Any] | None = None
        self._open: tuple[Path, int] | None = None  # (file, generation) open in the process
        self._open_error: str | None = None
        self._start_error: int | None = None  # the generation whose process would not start
        self._drawn: int | None = None  # the last generation a page was drawn for (for the log)
        self._kick = QTimer(self)
        self._kick.setSingleShot(True)
        self._kick.setInterval(0)
        self._kick.timeout.connect(self._pump)
        # Runs from the C++ destructor too (no reference to self): the process must end.
        self.destroyed.connect(partial(_end_process, self._process))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    # --- state --------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Bumped by every :meth:`open` and :meth:`close`; results carry the one they were
        requested under."""
        return self._generation

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def running(self) -> bool:
        """Whether a render process runs (or is being started)."""
        return self._process.link is not None or self._process.starter is not None

    @property
    def worker_pid(self) -> int | None:
        """The render process's id while it runs (it starts with the first document)."""
        link = self._process.link
        return link.pid if link is not None else None

    # --- requests -------------------------------------------------------------------------------

    def open(self, path: Path | None) -> None:
        """Render pages of ``path`` from now on (None: nothing); drops every pending request."""
        self._path = path
        self._generation += 1
        self._pending.clear()
        if path is not None:
            self._ensure_process()
        self._kick.start()  # buffers let go by the last document go back

    def request(
        self, page: int, scale: float, priority: int = PRIORITY_VISIBLE, *, ratio: float = 1.0
    ) -> None:
        """Ask for page ``page`` at ``scale`` pixels per point (``ratio``: the device pixel
        ratio the image is for). Requests for the same page and scale coalesce."""
        if self._path is None:
            return
        busy = self._in_flight
        if (
            busy is not None
            and busy[0] == "render"
            and busy[1].generation == self._generation
            and (busy[1].page, busy[1].scale) == (page, scale)
        ):
            return  # being rendered now
        job = self._pending.get((page, scale))
        if job is not None:
            job.priority = min(job.priority, priority)
            return
        self._order += 1
        self._pending[(page, scale)] = _Job(
            page, scale, priority, ratio, self._generation, self._order
        )
        self._kick.start()

    def cancel_pending(
        self, predicate: Callable[[int, float, int], bool] | None = None
    ) -> list[tuple[int, float, int]]:
        """Drop pending requests (those for which ``predicate(page, scale, priority)`` is true,
        or all); returns the (page, scale, priority) of those dropped. A page being rendered
        now is not pending: its result still arrives."""
        drop = [
            job
            for job in self._pending.values()
            if predicate is None or predicate(job.page, job.scale, job.priority)
        ]
        for job in drop:
            del self._pending[(job.page, job.scale)]
        return [(job.page, job.scale, job.priority) for job in drop]

    def pending(self) -> list[tuple[int, float, int]]:
        """(page, scale, priority) of the requests waiting, most urgent first."""
        jobs = sorted(self._pending.values(), key=lambda j: (j.priority, j.order))
        return [(j.page, j.scale, j.priority) for j in jobs]

    def close(self) -> None:
        """Drop every request and end the render process (waiting for it)."""
        self._path = None
        self._generation += 1
        self._pending.clear()
        self._kick.stop()
        _end_process(self._process)
        self._in_flight = None
        self._open = None

    # --- the process ----------------------------------------------------------------------------

    def _ensure_process(self) -> None:
        state = self._process
        if state.link is not None or state.starter is not None:
            return
        if self._start_error == self._generation:
            return
        starter = _Starter()
        starter.finished.connect(self._started)
        state.starter = starter
        state.threads.append(starter)
        starter.start()

    def _started(self) -> None:
        state = self._process
        starter = state.starter
        if starter is None:
            return  # closed meanwhile: the process was ended with the renderer's
        state.starter = None
        starter.wait()
        state.threads.remove(starter)
        link, starter.link = starter.link, None
        if link is None:
            logger.error("the page renderer cannot start: %s", starter.error)
            self._start_error = self._generation
            self._fail_pending(f"{FAILED_TEXT}: the page renderer cannot start")
            return
        state.link = link
        if RECEIVE_IN_THREAD:
            receiver = _Receiver(link)
            receiver.answered.connect(self._answered)
            receiver.gone.connect(self._gone)
            state.receiver = receiver
            state.threads.append(receiver)
            receiver.start()
        else:
            notifier = QSocketNotifier(link.fileno(), QSocketNotifier.Type.Read, self)
            notifier.activated.connect(self._readable)
            state.notifier = notifier
        self._pump()

    def _pump(self) -> None:
        """Send the next request if the process is free: the document to open, the most urgent
        page, or buffers to give back."""
        link = self._process.link
        if self._in_flight is not None:
            return
        if link is None:
            if self._path is not None and self._pending:
                self._ensure_process()
            return
        try:
            if self._path is not None and self._pending:
                key = (self._path, self._generation)
                if self._open != key:
                    link.send_open(self._path)
                    self._in_flight = ("open", key)
                    return
                if self._open_error is not None:
                    self._fail_pending(f"{FAILED_TEXT}: {self._open_error}")
                    return
                job = min(self._pending.values(), key=lambda j: (j.priority, j.order))
                del self._pending[(job.page, job.scale)]
                self._in_flight = ("render", job)
                link.send_render(job.page, job.scale)
            elif link.has_freed():
                self._in_flight = ("free", None)
                link.send_free()
        except WorkerGone:
            # The process had ended before this request: nothing of it was drawn, so it is
            # asked again of a new process.
            flight: tuple[str, Any] | None = self._in_flight
            if flight is not None and flight[0] == "render":
                again: _Job = flight[1]
                self._pending[(again.page, again.scale)] = again
            self._in_flight = None
            self._lost()
            self._ensure_process()

    def _readable(self) -> None:
        link = self._process.link
        if link is None:
            return
        while self._in_flight is not None and link.poll():
            try:
                answer = link.read()
            except WorkerGone:
                self._gone()
                return
            self._answered(answer)
            if self._process.link is not link:
                return
        if self._in_flight is None and link.poll():
            # Nothing was asked: only the end of the process can be waiting.
            self._gone()

    def _answered(self, answer: Answer) -> None:
        if self._in_flight is None:
            return
        kind, what = self._in_flight
        self._in_flight = None
        if kind == "open":
            self._open = what
            self._open_error = answer.message if isinstance(answer, Failed) else None
            if isinstance(answer, Failed):
                logger.warning("cannot open %s for rendering: %s", what[0].name, answer.message)
            elif not isinstance(answer, Opened):
                logger.error("unexpected answer to open: %r", answer)
        # The next request goes first: the process draws it while this result is shown.
        self._pump()
        if kind == "render" and what.generation == self._generation:
            self._deliver(what, answer)

    def _deliver(self, job: _Job, answer: Answer) -> None:
        if isinstance(answer, Drawn):
            if self._drawn != job.generation and self._path is not None:
                self._drawn = job.generation
                logger.info(
                    "%s: page %d drawn by the page renderer (process %s)",
                    self._path.name,
                    job.page,
                    self.worker_pid,
                )
            self.rendered.emit(
                job.generation, job.page, job.scale, page_image(answer.page, job.ratio)
            )
        elif isinstance(answer, Failed):
            logger.warning("page %d cannot be rendered: %s", job.page, answer.message)
            self.failed.emit(job.page, f"{FAILED_TEXT}: {answer.message}")

    def _gone(self) -> None:
        """The render process ended while answering: fail the page it was drawing (or the
        document it was opening), and start another for what is left."""
        in_flight, self._in_flight = self._in_flight, None
        self._lost()
        if in_flight is not None and in_flight[0] == "open":
            self._open, self._open_error = in_flight[1], CRASHED
            logger.warning("the page renderer stopped while opening %s", in_flight[1][0].name)
        elif in_flight is not None and in_flight[0] == "render":
            job = in_flight[1]
            logger.warning(
                "the page renderer stopped while drawing page %d; it is started "
                "again for the next page",
                job.page,
            )
            if job.generation == self._generation:
                self.failed.emit(job.page, f"{FAILED_TEXT}: {CRASHED}")
        self._kick.start()

    def _lost(self) -> None:
        """Let go of a render process that has ended."""
        state = self._process
        if state.notifier is not None:
            state.notifier.setEnabled(False)
            state.notifier.deleteLater()
            state.notifier = None
        link, state.link = state.link, None
        if link is not None:
            link.terminate()
        if state.receiver is not None:
            state.receiver.wait()
            state.threads.remove(state.receiver)
            state.receiver = None
        if link is not None:
            link.close()
        if self._open is not None and self._open_error != CRASHED:
            self._open = None  # a new process opens the document again

    def _fail_pending(self, message: str) -> None:
        jobs = sorted(self._pending.values(), key=lambda j: (j.priority, j.order))
        self._pending.clear()
        for job in jobs:
            self.failed.emit(job.page, message)


def _end_process(process: _Process) -> None:
    process.end()
