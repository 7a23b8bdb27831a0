# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Page rendering in a process of its own, so that rendering never stalls the window.

PyMuPDF holds Python's GIL while MuPDF draws a page (50-100 ms for a 300 dpi scan): in the app's
own process every Python callback of the window (painting, scrolling, timers) would wait for it.
Here one *render process* per page view draws pages, and the view's process only waits on a
pipe, which lets the GIL go.

* The process is made by :mod:`multiprocessing`: forked from a *fork server*, a clean process
  started once (:func:`prestart`) that has already imported PyMuPDF, so a new render process is
  ready in some 20 ms instead of a second; spawned where there is no fork server (Windows).
  Never a plain fork of the app, whose threads would be copied mid-flight. A bundled app calls
  :func:`multiprocessing.freeze_support` first thing (``packaging/entry.py``).
* :class:`RenderLink` is the app's end: it starts the process, sends one request at a time
  and reads the answer when it is there, without waiting in between (the page view's renderer,
  :mod:`app.ui.pdfview.renderer`, restarts a process that dies).
* MuPDF draws a page straight into **shared memory**, three bytes a pixel (R, G, B: Qt's
  ``RGB888``, no alpha), and the view's process shows that memory as it is: no pixel is
  copied. (Drawing with an alpha channel into Qt's four-byte ``RGB32`` costs MuPDF a third more
  at 200 %, far more than the raster engine spends converting the three bytes as it paints.)
  Buffers are recycled: the process keeps the memory of images the view has let go (up to
  :data:`FREE_BUDGET`) and draws the next page into it, since fresh memory costs more to touch
  than drawing a text page. :class:`RenderedPage.buffer` keeps a buffer alive as long as any
  image made from it; when the last one goes, the buffer goes back to the process.
* On Linux and macOS the memory is an anonymous file (``memfd``, or an unlinked temporary file)
  whose descriptor is passed over the pipe; on Windows a named mapping.

Protocol (pickled tuples over a :func:`multiprocessing.Pipe`), one answer per request:
``("open", path)`` → ``("opened", pages)`` | ``("error", text)``;
``("render", page, scale, freed)`` → ``("image", slot, width, height, stride, new_size,
dropped, name)`` (a new buffer: its size, and its descriptor after the answer or its ``name``
on Windows) | ``("error", text)``;
``("free", freed)`` → ``("dropped", slots)``; ``("quit",)`` ends the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pymupdf

from app.errors import SealboxError
from app.pdf.reading import open_pdf_bytes

log = logging.getLogger(__name__)

#: Bytes of buffers the render process keeps for reuse once the view has let them go.
FREE_BUDGET = 48 * 1024 * 1024
#: Buffers are sized in steps of this many bytes, so pages of similar sizes share them.
SLOT_STEP = 64 * 1024
#: A buffer is reused for an image at most this many times smaller than itself.
SLOT_REUSE_RATIO = 2
#: The largest image drawn (pixels; 120 MB). The view caps its pages far below it.
MAX_PIXELS = 40_000_000
#: What the failed page of a crashed render process says.
CRASHED = "the page renderer stopped while drawing it"


class RenderError(SealboxError):
    """A page (or the document) could not be drawn; the message says why."""


class WorkerGone(RenderError):
    """The render process has ended (while drawing a page, or before a request reached it)."""


# --- shared memory -------------------------------------------------------------------------------


def _create_shared(size: int, name: str) -> tuple[mmap.mmap, int | str]:
    """New shared memory of ``size`` bytes: the mapping and its handle for the other process (a
    file descriptor to pass, or on Windows the mapping's name)."""
    if sys.platform == "win32":
        return mmap.mmap(-1, size, tagname=name), name
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
    else:  # macOS: an anonymous file in the temporary folder, gone when both close it
        with tempfile.NamedTemporaryFile(prefix="sealbox-page-", delete=True) as named:
            fd = os.dup(named.fileno())
    try:
        os.ftruncate(fd, size)
        return mmap.mmap(fd, size), fd
    except BaseException:
        os.close(fd)
        raise


def _open_shared(handle: int | str, size: int) -> mmap.mmap:
    """Map the shared memory another process created (and close the descriptor passed)."""
    if sys.platform == "win32":
        assert isinstance(handle, str)
        return mmap.mmap(-1, size, tagname=handle)
    assert isinstance(handle, int)
    try:
        return mmap.mmap(handle, size)
    finally:
        os.close(handle)


@dataclass
class _Slot:
    memory: mmap.mmap
    size: int


class _Slots:
    """The render process's buffers: those lent to the view and those free for reuse."""

    def __init__(self) -> None:
        self.slots: dict[int, _Slot] = {}
        self.free: OrderedDict[int, None] = OrderedDict()  # least recently freed first
        self._next = 1

    def release(self, ids: Sequence[int]) -> None:
        for slot_id in ids:
            if slot_id in self.slots:
                self.free[slot_id] = None

    def take(self, size: int) -> tuple[int, _Slot, int | str | None]:
        """A buffer of at least ``size`` bytes: a free one, or a new one with its handle."""
        fits = [
            i
            for i in self.free
            if size <= self.slots[i].size <= size * SLOT_REUSE_RATIO + SLOT_STEP
        ]
        if fits:
            slot_id = min(fits, key=lambda i: self.slots[i].size)
            del self.free[slot_id]
            return slot_id, self.slots[slot_id], None
        slot_id = self._next
        self._next += 1
        rounded = -(-size // SLOT_STEP) * SLOT_STEP
        memory, handle = _create_shared(rounded, f"sealbox-{os.getpid()}-{slot_id}")
        self.slots[slot_id] = _Slot(memory, rounded)
        return slot_id, self.slots[slot_id], handle

    def trim(self, budget: int = FREE_BUDGET) -> list[int]:
        """Let go of the least recently freed buffers beyond ``budget`` bytes; their ids."""
        dropped: list[int] = []
        spare = sum(self.slots[i].size for i in self.free)
        while spare > budget and self.free:
            slot_id, _ = self.free.popitem(last=False)
            slot = self.slots.pop(slot_id)
            spare -= slot.size
            slot.memory.close()
            dropped.append(slot_id)
        return dropped


# --- the render process -------------------------------------------------------------------------


@dataclass(frozen=True)
class PageToDraw:
    """A page loaded for drawing: MuPDF's page and its bounds (points, as a reader shows it)."""

    page: Any
    x0: float
    y0: float
    width: float
    height: float

    def size(self, scale: float) -> tuple[int, int]:
        """Pixels of the page drawn at ``scale`` pixels per point."""
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


def load_page(doc: Any, page: int) -> PageToDraw:
    """Page ``page`` (from 1) of an open PyMuPDF document, through MuPDF directly (PyMuPDF's
    own page object costs a tenth of a text page's drawing time in Python)."""
    mupdf = pymupdf.mupdf
    loaded = mupdf.fz_load_page(doc.this, page - 1)
    bounds = mupdf.fz_bound_page(loaded)
    return PageToDraw(loaded, bounds.x0, bounds.y0, bounds.x1 - bounds.x0, bounds.y1 - bounds.y0)


def draw_page(page: PageToDraw, scale: float, memory: Any, stride: int) -> None:
    """Draw a loaded page as a reader shows it (/Rotate and CropBox applied, annotations
    included, like ``get_pixmap``) at ``scale`` pixels per point into ``memory``: R, G, B
    bytes (Qt's ``RGB888``), ``stride`` bytes a row, on white."""
    mupdf = pymupdf.mupdf
    width, height = page.size(scale)
    samples = mupdf.python_mutable_buffer_data(memory)
    pixmap = mupdf.fz_new_pixmap_with_data(
        mupdf.fz_device_rgb(), width, height, mupdf.FzSeparations(), 0, stride, samples
    )
    mupdf.fz_clear_pixmap_with_value(pixmap, 255)
    device = mupdf.fz_new_draw_device(mupdf.FzMatrix(), pixmap)
    try:
        sx, sy = width / page.width, height / page.height
        ctm = mupdf.FzMatrix(sx, 0, 0, sy, -page.x0 * sx, -page.y0 * sy)
        mupdf.fz_run_page(page.page, device, ctm, mupdf.FzCookie())
        mupdf.fz_close_device(device)
    finally:
        del device, pixmap, samples  # MuPDF lets go of the memory before it is handed on


def row_bytes(width: int) -> int:
    """Bytes of a row of ``width`` pixels: three a pixel, rounded up to four (as Qt's images
    align their rows)."""
    return (width * 3 + 3) & ~3


def _close_document(doc: Any) -> None:
    """Close the document and empty MuPDF's store of decoded images and fonts (up to 256 MB),
    which would otherwise keep the closed document's."""
    doc.close()
    pymupdf.TOOLS.store_shrink(100)


def serve(conn: Connection) -> None:
    """The render process: answer requests on ``conn`` until it closes or says quit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is for the app to handle
    slots = _Slots()
    doc: Any = None
    try:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "quit":
                return
            if kind == "open":
                if doc is not None:
                    _close_document(doc)
                    doc = None
                try:
                    path = Path(message[1])
                    doc = open_pdf_bytes(path.read_bytes(), path.name)
                except (OSError, SealboxError) as exc:
                    conn.send(("error", str(exc)))
                else:
                    conn.send(("opened", doc.page_count))
            elif kind == "free":
                slots.release(message[1])
                conn.send(("dropped", slots.trim()))
            elif kind == "render":
                _render(conn, doc, slots, *message[1:])
    finally:
        if doc is not None:
            _close_document(doc)


def _render(
    conn: Connection, doc: Any, slots: _Slots, page: int, scale: float, freed: Sequence[int]
) -> None:
    slots.release(freed)
    try:
        if doc is None:
            raise ValueError("no document is open")
        if not 1 <= page <= doc.page_count:
            raise ValueError(f"there is no page {page} in this document of {doc.page_count}")
        pdf_page = load_page(doc, page)
        width, height = pdf_page.size(scale)
        if width * height > MAX_PIXELS:
            raise ValueError(f"a {width} x {height} image is too large to draw")
        stride = row_bytes(width)
        slot_id, slot, handle = slots.take(stride * height)
        try:
            draw_page(pdf_page, scale, slot.memory, stride)
        except BaseException:
            slots.release([slot_id])
            raise
    except (
        RuntimeError,
        ValueError,
        MemoryError,
        IndexError,
        OSError,
        pymupdf.mupdf.FzErrorBase,
    ) as exc:
        conn.send(("error", str(exc) or type(exc).__name__))
        return
    conn.send(
        (
            "image",
            slot_id,
            width,
            height,
            stride,
            slot.size if handle is not None else 0,
            slots.trim(),
            handle if isinstance(handle, str) else None,
        )
    )
    if isinstance(handle, int):  # a descriptor follows the answer (SCM_RIGHTS; no pid needed)
        reduction.send_handle(conn, handle, 0)
        os.close(handle)


# --- the view's side ---------------------------------------------------------------------------


def start_method() -> str:
    """``forkserver`` where there is one (a render process then starts in milliseconds), else
    ``spawn``. Never a plain ``fork`` of the app, whose threads would be copied mid-flight."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _context() -> Any:
    context = multiprocessing.get_context(start_method())
    if start_method() == "forkserver":
        # The fork server imports PyMuPDF (this module) and the program's main script once;
        # without the script, every render process would run it again as multiprocessing
        # does (a script run as a module, ``python -m``, still is: keep such modules light).
        context.set_forkserver_preload(["__main__", __name__])
    return context


def prestart() -> None:
    """Start the fork server now (it imports PyMuPDF, about a second, in its own process), so
    the first page view opened later gets its render process at once. Does not wait."""
    if start_method() == "forkserver":
        _context()
        from multiprocessing import forkserver

        forkserver.ensure_running()


@dataclass
class RenderedPage:
    """A drawn page: ``buffer`` (shared memory, ``stride * height`` bytes of R, G, B) stays
    valid while anything holds it or an image made from it."""

    buffer: Any
    width: int
    height: int
    stride: int


@dataclass(frozen=True)
class Opened:
    """The answer to :meth:`RenderLink.send_open`: the document is open (``pages`` long)."""

    pages: int


@dataclass(frozen=True)
class Failed:
    """The answer to an open or a render that could not be done, and why."""

    message: str


@dataclass(frozen=True)
class Drawn:
    """The answer to :meth:`RenderLink.send_render`."""

    page: RenderedPage


@dataclass(frozen=True)
class GaveBack:
    """The answer to :meth:`RenderLink.send_free`."""


Answer = Opened | Failed | Drawn | GaveBack


class RenderLink:
    """The app's end of one render process, which it starts (waiting, with a fork server,
    until the server has forked it: up to a second while the server is still importing
    PyMuPDF, so not on the UI thread).

    Requests are sent and answers read without blocking one another: one request at a time,
    each followed by exactly one :meth:`read` (when :meth:`poll` says the answer is there, or
    blocking). Sending and reading may be done by two threads, :meth:`terminate` by any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        ours, theirs = multiprocessing.Pipe(duplex=True)
        process = _context().Process(
            target=serve, args=(theirs,), daemon=True, name="sealbox-page-renderer"
        )
        process.start()
        theirs.close()
        self._process: Any = process
        self._conn: Connection = ours
        self._terminated = False
        self._slots: dict[int, mmap.mmap] = {}
        self._freed: list[int] = []  # slots of images let go, under _lock
        self.pid: int = process.pid
        log.info("page renderer started (process %s)", process.pid)

    def fileno(self) -> int:
        return self._conn.fileno()

    # --- requests ---------------------------------------------------------------------------------

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self._conn.send(message)
        except (OSError, ValueError) as exc:  # the process has ended (or the link was closed)
            raise WorkerGone(CRASHED) from exc

    def send_open(self, path: Path) -> None:
        """Open the PDF at ``path`` (read anew) in place of the one open; answered by
        :class:`Opened` or :class:`Failed`."""
        self._send(("open", str(path)))

    def send_render(self, page: int, scale: float) -> None:
        """Draw page ``page`` at ``scale`` pixels per point; answered by :class:`Drawn` or
        :class:`Failed`. Buffers let go since the last request go back with it."""
        self._send(("render", page, scale, self._take_freed()))

    def send_free(self) -> None:
        """Give back the buffers let go (see :meth:`has_freed`); answered by :class:`GaveBack`."""
        self._send(("free", self._take_freed()))

    def has_freed(self) -> bool:
        with self._lock:
            return bool(self._freed)

    def _take_freed(self) -> list[int]:
        with self._lock:
            freed, self._freed = self._freed, []
        return freed

    def _let_go(self, slot_id: int) -> None:
        """Called when the last image over buffer ``slot_id`` is gone (from any thread)."""
        with self._lock:
            self._freed.append(slot_id)

    # --- answers ----------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Whether an answer (or the end of the process) is waiting to be read."""
        try:
            return self._conn.poll(0)
        except (OSError, ValueError):
            return True  # read() says what happened

    def read(self) -> Answer:
        """The answer to the request sent last (blocking until it is there). Raises
        :class:`WorkerGone` when the process has ended instead."""
        try:
            answer: tuple[Any, ...] = self._conn.recv()
            kind = answer[0]
            if kind == "opened":
                return Opened(answer[1])
            if kind == "error":
                return Failed(answer[1])
            if kind == "dropped":
                self._drop(answer[1])
                return GaveBack()
            _, slot_id, width, height, stride, new_size, dropped, name = answer
            if new_size:
                handle = name if name is not None else reduction.recv_handle(self._conn)
                self._slots[slot_id] = _open_shared(handle, new_size)
        except (EOFError, OSError, ValueError) as exc:
            raise WorkerGone(CRASHED) from exc
        self._drop(dropped)
        buffer = (ctypes.c_ubyte * (stride * height)).from_buffer(self._slots[slot_id])
        weakref.finalize(buffer, self._let_go, slot_id)
        return Drawn(RenderedPage(buffer, width, height, stride))

    def _drop(self, slots: Sequence[int]) -> None:
        for slot_id in slots:
            self._slots.pop(slot_id, None)  # unmapped once no image uses it

    # --- the end ----------------------------------------------------------------------------------

    def terminate(self) -> None:
        """End the process now (from any thread): a request under way is not answered."""
        with self._lock:
            if self._terminated:
                return
            self._terminated = True
            if self._process.is_alive():
                self._process.terminate()

    def close(self) -> None:
        """Ask the process to end (or end it), wait for it and let go of the link. The images
        drawn stay valid while shown."""
        with self._lock:
            polite = not self._terminated
            self._terminated = True
        if polite:
            # A process that has already ended cannot be asked: it is waited for all the same.
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(("quit",))
        self._process.join(5)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._slots = {}
