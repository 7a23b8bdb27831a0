# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Benchmarks of the document editor's page view; prints its figures, asserts nothing.

Run on demand (pytest ignores ``tests/bench``)::

    uv run --frozen python -m tests.bench.editor

Qt runs offscreen (set here), so the figures include real painting into the offscreen backing
store but no compositor. Two documents are generated in a temporary folder: a 500-page text PDF
(a few paragraphs a page) and a 20-page PDF of full-page scans (a different 2480 x 3508 noisy
grey JPEG per page, as a 300 dpi scanner makes). For each it measures:

1. ``set_document`` to page 1 painted (``pagePainted(1)``), in a fresh view (which starts its
   own render process; the render process imports this module, as multiprocessing does with
   the program's main module) and in the same view again (as the editor opens documents);
2. scrolling through every page with the scroll bar, waiting at each step until every visible
   page is painted, with the longest stall of the UI thread's event loop meanwhile (PyMuPDF
   holds the GIL while it renders: pages are drawn in the renderer's own process so that this
   stays short), three times, against the floor: the same scroll through blank pages;
3. resident memory (VmRSS) after the scroll through the 500 pages;
4. page render time through the app's ``PageRenderer`` (request to ``rendered`` received in the
   UI thread; the page is drawn in the renderer's own process) against PyMuPDF's
   ``get_pixmap`` alone in this process on the same pages at the same scale, measured in turns.

The machine's load makes single figures noisy: every figure is a median of several runs.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf
import PySide6
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from app.pdf.document import PdfInfo, check_pdf
from app.ui.pdfview.renderer import PRIORITY_VISIBLE, PageRenderer
from app.ui.pdfview.view import POINT_PX, PageView
from tests.bench.core import Summary, ms, section, size_text

TEXT_PAGES = 500
SCAN_PAGES = 20
SCAN_SIZE = (2480, 3508)  # A4 at 300 dpi
VIEW_SIZE = (1000, 800)
WARM_OPENS = 5
TEXT_RATIO_PAGES = 60  # pages sampled for the render-time comparison
TIMEOUT = 60.0
SEED = 20240605

CONTRACT_TEXT = (
    "the parties agree that this agreement sets out the whole understanding between them "
    "concerning its subject matter and supersedes every earlier proposal statement or "
    "arrangement whether written or oral notices shall be given in writing to the address "
    "stated above and take effect on receipt payment is due within thirty days of the invoice "
    "date the charterer shall return the vessel in the same good order and condition as when "
    "delivered fair wear and tear excepted the owner shall maintain insurance for hull and "
    "machinery protection and indemnity throughout the charter period"
)
WORDS = CONTRACT_TEXT.split()


# --- documents --------------------------------------------------------------------------------


def make_text_pdf(path: Path, pages: int = TEXT_PAGES) -> Path:
    """A Letter-size contract-like PDF: a heading and four paragraphs on every page."""
    rng = random.Random(SEED)
    doc = pymupdf.open()
    try:
        for number in range(1, pages + 1):
            page = doc.new_page(width=612, height=792)
            page.insert_text(
                (72, 80), f"Clause {number}. Terms and conditions", fontsize=15, fontname="hebo"
            )
            paragraphs = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(90, 140))) for _ in range(4)
            ]
            page.insert_textbox(
                pymupdf.Rect(72, 100, 540, 740),
                "\n\n".join(paragraphs),
                fontsize=10.5,
                fontname="helv",
                lineheight=1.3,
            )
            page.insert_text((290, 770), f"{number} / {pages}", fontsize=9)
        doc.save(path, garbage=3, deflate=True)
    finally:
        doc.close()
    return path


def _scan_jpeg(rng: random.Random) -> bytes:
    """A noisy grey page with dark text-like bars, JPEG-compressed like a scanner's output
    (about 0.85 MB a page, so the 20 pages stay under Sealbox's 20 MB limit)."""
    width, height = SCAN_SIZE
    paper = bytes(238 if i >= 40 else 226 + (i % 26) for i in range(256))  # speckled paper
    ink = bytes(40 + (i % 12) for i in range(256))  # uneven dark grey
    noise = rng.randbytes(width * height)
    pixels = bytearray(noise.translate(paper))
    for line in range(64):
        top = 300 + line * 48
        for y in range(top, top + 22):
            x = 250 + rng.randint(0, 30)
            row = y * width
            while x < width - 260:
                word = rng.randint(40, 220)
                pixels[row + x : row + x + word] = noise[row + x : row + x + word].translate(ink)
                x += word + rng.randint(18, 40)
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes(pixels), False)
    data: bytes = pixmap.tobytes("jpg", jpg_quality=55)
    return data


def make_blank_pdf(path: Path, like: PdfInfo) -> Path:
    """Empty pages of the sizes of ``like``'s: the floor of scrolling (nothing to draw)."""
    doc = pymupdf.open()
    try:
        for geom in like.pages:
            doc.new_page(width=geom.width, height=geom.height)
        doc.save(path)
    finally:
        doc.close()
    return path


def make_scanned_pdf(path: Path, pages: int = SCAN_PAGES) -> Path:
    """An A4 PDF of full-page scans, a different image on every page."""
    rng = random.Random(SEED + 1)
    doc = pymupdf.open()
    try:
        for _ in range(pages):
            page = doc.new_page(width=595.28, height=841.89)
            page.insert_image(page.rect, stream=_scan_jpeg(rng))
        doc.save(path)
    finally:
        doc.close()
    return path


# --- helpers ----------------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Process events (sleeping in the event loop, not in Python) until ``predicate()``."""
    deadline = time.perf_counter() + timeout
    guard = QTimer()
    guard.start(5)  # wakes the loop even if nothing else does
    try:
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError("timed out waiting for the page view")
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        guard.stop()


def painted(view: PageView, number: int) -> bool:
    item = view.doc_scene.page_item(number)
    return item.image is not None and item.image_scale == view.page_scale(item.geometry)


def all_visible_painted(view: PageView) -> bool:
    return all(painted(view, n) for n in view.pages_visible())


def new_view() -> PageView:
    view = PageView()
    view.resize(*VIEW_SIZE)
    view.show()
    QCoreApplication.processEvents()
    return view


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of this process, or of process ``pid`` (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class StallMeter:
    """The longest gap between two turns of the UI thread's event loop (a 0 ms timer)."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def __enter__(self) -> StallMeter:
        self._last = time.perf_counter()
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.stop()


@dataclass
class Document:
    label: str
    info: PdfInfo


# --- 1. open ----------------------------------------------------------------------------------


def open_once(doc: Document, view: PageView | None = None) -> tuple[float, PageView]:
    """Seconds from ``set_document`` to ``pagePainted(1)``, in ``view`` or a fresh view
    (returned open)."""
    view = view or new_view()
    done: list[float] = []

    def first(number: int) -> None:
        if number == 1 and not done:
            done.append(time.perf_counter())

    view.pagePainted.connect(first)
    start = time.perf_counter()
    view.set_document(doc.info.path, doc.info.pages)
    wait_until(lambda: bool(done))
    view.pagePainted.disconnect(first)
    return done[0] - start, view


def bench_open(doc: Document, summary: Summary) -> None:
    fresh: list[float] = []
    for _ in range(WARM_OPENS):
        seconds, view = open_once(doc)
        fresh.append(seconds)
        view.close_document()
        view.deleteLater()
    warm: list[float] = []
    view = new_view()
    open_once(doc, view)
    for _ in range(WARM_OPENS):
        seconds, _ = open_once(doc, view)
        warm.append(seconds)
    view.close_document()
    view.deleteLater()
    print(
        f"  set_document -> page 1 painted: in a fresh view (which starts its render process) "
        f"median of {WARM_OPENS} {ms(statistics.median(fresh))} "
        f"[{', '.join(ms(s) for s in fresh)}]; the document opened again in the same view "
        f"(as the editor does), median {ms(statistics.median(warm))} "
        f"[{', '.join(ms(s) for s in warm)}]"
    )
    summary.add(
        f"{doc.label}: open to page 1 painted, fresh view (median)", ms(statistics.median(fresh))
    )
    summary.add(
        f"{doc.label}: open to page 1 painted, same view (median)", ms(statistics.median(warm))
    )


# --- 2. scroll --------------------------------------------------------------------------------


SCROLL_RUNS = 3


def scroll_once(view: PageView, info: PdfInfo) -> tuple[float, list[float], int, float]:
    """Open ``info`` (nothing cached) and scroll from the top through every page, waiting at
    each step until every visible page is painted: (seconds, step times, pages painted,
    longest UI stall)."""
    view.set_document(info.path, info.pages)
    wait_until(lambda: all_visible_painted(view))
    count = len(info.pages)
    bar = view.verticalScrollBar()
    steps: list[float] = []
    renders: list[int] = []
    view.pagePainted.connect(renders.append)
    with StallMeter() as stall:
        start = time.perf_counter()
        for number in range(2, count + 1):
            step = time.perf_counter()
            top = view.mapFromScene(view.doc_scene.page_rect(number).topLeft()).y()
            bar.setValue(bar.value() + top)
            wait_until(lambda: all_visible_painted(view))
            steps.append(time.perf_counter() - step)
        total = time.perf_counter() - start
    view.pagePainted.disconnect(renders.append)
    return total, steps, len(renders), stall.longest


def bench_scroll(doc: Document, blank: Document, summary: Summary) -> PageView:
    """Scroll through every page (SCROLL_RUNS times, each from an empty cache), and as the
    floor through as many blank pages of the same sizes; returns the view (still open) for
    the memory figure."""
    floor_view = new_view()
    floors = [scroll_once(floor_view, blank.info)[3] for _ in range(SCROLL_RUNS)]
    floor_view.close_document()
    floor_view.deleteLater()
    view = new_view()
    count = len(doc.info.pages)
    runs = [scroll_once(view, doc.info) for _ in range(SCROLL_RUNS)]
    total = statistics.median(r[0] for r in runs)
    steps = [t for r in runs for t in r[1]]
    stalls = [r[3] for r in runs]
    stall, floor = statistics.median(stalls), statistics.median(floors)
    print(
        f"  scroll through {count} pages with the scroll bar, waiting for every visible page "
        f"to be painted, {SCROLL_RUNS} times from an empty cache: median {total:.2f} s "
        f"({ms(total / max(1, count - 1))} a page; step median {ms(statistics.median(steps))}"
        f", slowest {ms(max(steps))}); {runs[0][2]} pages painted a run"
    )
    print(
        f"  longest UI event-loop stall while scrolling: median {ms(stall)} "
        f"[{', '.join(ms(s) for s in stalls)}]; floor (the same scroll through blank pages, "
        f"nothing to draw) {ms(floor)} [{', '.join(ms(s) for s in floors)}]"
    )
    summary.add(f"{doc.label}: scroll through all pages (median)", f"{total:.2f} s")
    summary.add(f"{doc.label}: scroll, per page", ms(total / max(1, count - 1)))
    summary.add(
        f"{doc.label}: longest UI stall while scrolling (median of {SCROLL_RUNS})",
        f"{ms(stall)} (floor {ms(floor)})",
    )
    return view


# --- 3. render time: pipeline against PyMuPDF alone --------------------------------------------


def render_times(
    path: Path, numbers: list[int], scale: float, passes: int = 2
) -> tuple[list[float], list[float]]:
    """Seconds per page through the app's ``PageRenderer`` (``request`` to ``rendered``
    received in the UI thread) and through PyMuPDF's ``doc[n - 1].get_pixmap`` alone (page load
    included), page by page in turns: the machine's load drifts, so both are measured side by
    side, each going first on every other page. Both have their document open beforehand."""
    renderer = PageRenderer()
    arrived: dict[int, float] = {}

    def on_rendered(_generation: int, page: int, _scale: float, _image: QImage) -> None:
        arrived[page] = time.perf_counter()

    renderer.rendered.connect(on_rendered)
    doc = pymupdf.open(path)
    app: list[float] = []
    raw: list[float] = []

    def through_app(number: int) -> None:
        arrived.pop(number, None)
        start = time.perf_counter()
        renderer.request(number, scale, PRIORITY_VISIBLE)
        wait_until(lambda: number in arrived)
        app.append(arrived[number] - start)
        renderer.cancel_pending()

    def alone(number: int) -> None:
        start = time.perf_counter()
        doc[number - 1].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
        raw.append(time.perf_counter() - start)

    try:
        renderer.open(path)
        warm_page = 1 if 1 not in numbers else len(numbers) + 1
        through_app(warm_page)  # starts the render process, opens its document
        alone(warm_page)
        app.clear()
        raw.clear()
        for turn in range(passes):
            for i, number in enumerate(numbers):
                for measure in (
                    (through_app, alone) if (i + turn) % 2 == 0 else (alone, through_app)
                ):
                    measure(number)
        return app, raw
    finally:
        doc.close()
        renderer.close()


def bench_render_ratio(doc: Document, summary: Summary) -> None:
    count = len(doc.info.pages)
    every = max(1, count // TEXT_RATIO_PAGES)
    numbers = list(range(2, count + 1, every))[:TEXT_RATIO_PAGES]
    for zoom in (1.0, 2.0):
        scale = zoom * POINT_PX
        app_times, raw_times = render_times(doc.info.path, numbers, scale)
        app, raw = statistics.median(app_times), statistics.median(raw_times)
        print(
            f"  {zoom:.0%} ({scale:.3f} px/pt), {len(numbers)} pages x 2, in turns: "
            f"PageRenderer request -> rendered median {ms(app)}; get_pixmap alone median "
            f"{ms(raw)}; ratio {app / raw:.2f}"
        )
        summary.add(
            f"{doc.label}: render {zoom:.0%} PageRenderer / get_pixmap",
            f"{ms(app)} / {ms(raw)} = {app / raw:.2f}",
        )


# --- 4. memory --------------------------------------------------------------------------------


def bench_memory(view: PageView, before: int, summary: Summary) -> None:
    now = rss_bytes()
    pid = getattr(view.renderer, "worker_pid", None)  # (None: a Sealbox rendering in-process)
    worker = rss_bytes(pid) if pid is not None else 0
    print(
        f"  resident memory after the scroll: {size_text(now)} (before opening it: "
        f"{size_text(before)}), its render process {size_text(worker)} (the page images are "
        f"memory both share, counted in both); image cache {size_text(view.cache.bytes_used)} "
        f"in {len(view.cache)} images (budget {size_text(view.cache.max_bytes)})"
    )
    summary.add(
        "RSS after scrolling the 500 pages (app / render process)",
        f"{size_text(now)} / {size_text(worker)}",
    )


# --- main -------------------------------------------------------------------------------------


DRAG_FIELDS = 500
DRAG_MOVES = 120


def bench_drag(doc: Document, summary: Summary) -> None:
    """Frame time while dragging one field on a page holding 500: each mouse move is handled
    (snapping against every other field's edges included) and the viewport repainted at once."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest

    from app.domain.editing import EditorDocument
    from app.domain.model import Field, FieldType, Recipient
    from app.ui.commands import Editing
    from app.ui.editor.view import EditorView

    editor_doc = EditorDocument(list(doc.info.pages))
    editor_doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    editor_doc.add_recipient(Recipient("Sam", "Roe", "sam@example.com"))
    geom = doc.info.pages[0]
    columns, rows = 20, DRAG_FIELDS // 20
    cell_w, cell_h = geom.width / columns, geom.height / rows
    kinds = list(FieldType)
    editor_doc.add_fields(
        Field(
            i % 2,
            kinds[i % len(kinds)],
            1,
            (i % columns) * cell_w + 2,
            (i // columns) * cell_h + 2,
            cell_w - 4,
            cell_h - 4,
        )
        for i in range(DRAG_FIELDS)
    )
    editing = Editing(editor_doc)
    view = EditorView(editing)
    view.resize(*VIEW_SIZE)
    view.show()
    view.set_document(doc.info.path, list(doc.info.pages))
    view.layer.rebuild()
    view.fit_page()
    wait_until(lambda: painted(view, 1))
    fid = editor_doc.field_ids()[DRAG_FIELDS // 2]
    f = editor_doc.field(fid)
    page = view.doc_scene.page_item(1)

    def to_view(x: float, y: float) -> QPoint:
        return view.viewportTransform().map(page.mapToScene(QPointF(x, y))).toPoint()

    start = to_view(f.x + f.width / 2, f.y + f.height / 2)
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    frames: list[float] = []
    for i in range(1, DRAG_MOVES + 1):
        point = start + QPoint(int(150 * i / DRAG_MOVES), int(90 * i / DRAG_MOVES))
        began = time.perf_counter()
        QTest.mouseMove(viewport, point)
        viewport.repaint()
        frames.append(time.perf_counter() - began)
    # The same moves as Qt paints them in use: only the regions that changed.
    partial: list[float] = []
    for i in range(DRAG_MOVES, 0, -1):
        point = start + QPoint(int(150 * i / DRAG_MOVES), int(90 * i / DRAG_MOVES) + 1)
        began = time.perf_counter()
        QTest.mouseMove(viewport, point)
        QCoreApplication.processEvents()
        partial.append(time.perf_counter() - began)
    began = time.perf_counter()
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    commit = time.perf_counter() - began
    moved = editor_doc.field(fid)
    assert (moved.x, moved.y) != (f.x, f.y), "the drag did not move the field"
    assert editing.stack.count() == 1
    frames.sort()
    partial.sort()
    median = statistics.median(frames)
    p95 = frames[int(len(frames) * 0.95) - 1]
    print(
        f"  {DRAG_MOVES} mouse moves dragging one of {DRAG_FIELDS} fields on one page, each "
        f"followed by a full repaint: median {ms(median)}, 95th percentile {ms(p95)}, "
        f"longest {ms(frames[-1])}"
    )
    print(
        f"  the same moves painted as Qt does (changed regions only): median "
        f"{ms(statistics.median(partial))}, longest {ms(partial[-1])}; release (one undo "
        f"command) {ms(commit)}"
    )
    summary.add(
        f"drag among {DRAG_FIELDS} fields: full-repaint frame median / p95",
        f"{ms(median)} / {ms(p95)}",
    )
    summary.add(
        f"drag among {DRAG_FIELDS} fields: frame as painted, median", ms(statistics.median(partial))
    )
    view.layer.close()
    view.close_document()
    view.deleteLater()
    QCoreApplication.processEvents()


def main() -> int:
    started = time.perf_counter()
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    summary = Summary()
    platform = QGuiApplication.platformName()
    print(
        f"Sealbox page view benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"Qt {PySide6.__version__} ({platform}), PyMuPDF {pymupdf.VersionBind}; "
        f"view {VIEW_SIZE[0]} x {VIEW_SIZE[1]}, zoom 100 %"
    )
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-editor-") as name:
        tmp = Path(name)
        section("documents")
        generated = time.perf_counter()
        text = Document("text 500 p", check_pdf(make_text_pdf(tmp / "text-500.pdf")))
        scans = Document("scans 20 p", check_pdf(make_scanned_pdf(tmp / "scans-20.pdf")))
        for doc in (text, scans):
            print(
                f"  {doc.info.path.name}: {doc.info.page_count} pages, "
                f"{size_text(doc.info.size_bytes)}"
            )
        print(
            f"  generated in {time.perf_counter() - generated:.1f} s; resident memory now "
            f"{size_text(rss_bytes())}"
        )

        blanks = {
            doc.label: Document(
                f"blank {doc.label}",
                check_pdf(make_blank_pdf(tmp / f"blank-{doc.info.path.name}", doc.info)),
            )
            for doc in (text, scans)
        }
        for doc in (text, scans):
            section(f"1. open: {doc.label}")
            bench_open(doc, summary)
            section(f"2. scroll: {doc.label}")
            before = rss_bytes()
            view = bench_scroll(doc, blanks[doc.label], summary)
            if doc is text:
                section("3. memory after scrolling the 500-page text PDF")
                bench_memory(view, before, summary)
            view.close_document()
            view.deleteLater()
            QCoreApplication.processEvents()
            section(f"4. render time, PageRenderer vs PyMuPDF alone: {doc.label}")
            bench_render_ratio(doc, summary)
        section("5. dragging a field on a page holding 500 fields")
        bench_drag(text, summary)
    summary.add("whole benchmark", f"{time.perf_counter() - started:.0f} s")
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
