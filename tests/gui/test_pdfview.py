"""The page view: layout, lazy rendering, cache, zoom, navigation, rotated and cropped pages,
render failures and the render process's life (started with a document, ended on close,
started again after a crash)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsRectItem
from pytestqt.qtbot import QtBot

from app.domain.geometry import PageGeometry
from app.pdf.document import PdfInfo, check_pdf
from app.pdf.render import CRASHED, RenderLink
from app.ui.pdfview import renderer as page_renderer
from app.ui.pdfview.cache import ImageCache
from app.ui.pdfview.renderer import FAILED_TEXT, PRIORITY_VISIBLE, PageRenderer
from app.ui.pdfview.scene import PAGE_GAP, DocumentScene
from app.ui.pdfview.view import POINT_PX, PageView
from tests.support.pdfgen import (
    OFFSET_CROPBOX,
    anchor_page,
    build_pdf,
    text_pdf,
    write,
)

BIG_PAGES = 500
RenderLog = list[tuple[int, float]]


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> PdfInfo:
    """A 500-page Letter text PDF, checked once for the module."""
    path = tmp_path_factory.mktemp("big") / "big.pdf"
    texts = [
        f"Page {n}\nThe parties agree to the terms set out below.\nClause {n}.1"
        for n in range(1, BIG_PAGES + 1)
    ]
    write(path, text_pdf(texts))
    return check_pdf(path)


@pytest.fixture
def small_pdf(tmp_path: Path) -> PdfInfo:
    """Three pages: Letter, Letter turned by /Rotate 90, and a CropBox not at the origin."""
    path = write(
        tmp_path / "small.pdf",
        build_pdf(
            [
                anchor_page(),
                anchor_page(rotate=90),
                anchor_page(cropbox=OFFSET_CROPBOX, at=(50.0, 100.0)),
            ]
        ),
    )
    return check_pdf(path)


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[PageView]:
    view = PageView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    yield view
    pid = view.renderer.worker_pid
    view.close_document()
    assert not view.renderer.running and ended(pid)


def ended(pid: int | None) -> bool:
    """Whether render process ``pid`` is gone (waited for, not left as a zombie)."""
    return pid is None or pid not in {p.pid for p in multiprocessing.active_children()}


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> RenderLog:
    """Every (page, scale) asked of the render process, in order."""
    log: RenderLog = []
    real = RenderLink.send_render

    def counting(link: RenderLink, page: int, scale: float) -> None:
        log.append((page, scale))
        real(link, page, scale)

    monkeypatch.setattr(RenderLink, "send_render", counting)
    return log


def painted(view: PageView, number: int) -> bool:
    item = view.doc_scene.page_item(number)
    return item.image is not None and item.image_scale == view.page_scale(item.geometry)


def all_visible_painted(view: PageView) -> bool:
    return all(painted(view, n) for n in view.pages_visible())


def open_and_wait(qtbot: QtBot, view: PageView, info: PdfInfo) -> None:
    with qtbot.waitSignal(view.pagePainted, check_params_cb=lambda n: n == 1):
        view.set_document(info.path, info.pages)
    qtbot.waitUntil(lambda: all_visible_painted(view))


def view_centre(view: PageView) -> QPointF:
    return view.mapToScene(view.viewport().rect().center())


def dark_pixels(image: QImage, rect: QRectF) -> int:
    """Dark pixels of ``image`` inside ``rect`` (in pixels)."""
    found = 0
    x0, y0 = max(0, int(rect.left())), max(0, int(rect.top()))
    x1, y1 = min(image.width(), int(rect.right())), min(image.height(), int(rect.bottom()))
    for y in range(y0, y1):
        for x in range(x0, x1):
            if image.pixelColor(x, y).lightness() < 128:
                found += 1
    return found


# --- layout -----------------------------------------------------------------------------------


def layout_pages() -> list[PageGeometry]:
    return [
        PageGeometry.plain(1, 612, 792),
        PageGeometry.from_boxes(2, None, (0, 0, 612, 792), 90),  # 792 x 612 as shown
        PageGeometry.plain(3, 300, 400),
    ]


def test_pages_are_laid_out_in_a_centred_column(qtbot: QtBot) -> None:
    scene = DocumentScene()
    scene.set_pages(layout_pages())
    one, two, three = scene.page_items
    assert [item.number for item in scene.page_items] == [1, 2, 3]
    assert one.pos() == QPointF(-306, PAGE_GAP)
    assert two.pos() == QPointF(-396, PAGE_GAP + 792 + PAGE_GAP)
    assert three.pos() == QPointF(-150, 840 + 612 + PAGE_GAP)
    assert two.boundingRect() == QRectF(0, 0, 792, 612)
    assert two.geometry.rotation == 90
    assert scene.page_rect(2) == QRectF(-396, 840, 792, 612)
    assert scene.sceneRect() == QRectF(
        -396 - PAGE_GAP, 0, 792 + 2 * PAGE_GAP, 1476 + 400 + PAGE_GAP
    )
    assert scene.page_item(3) is three
    with pytest.raises(IndexError):
        scene.page_item(4)

    # A child at (x, y) is at canonical coordinates of its page.
    child = QGraphicsRectItem(0, 0, 10, 10, two)
    child.setPos(10, 20)
    assert child.scenePos() == QPointF(-386, 860)


def test_page_at_and_nearest_page(qtbot: QtBot) -> None:
    scene = DocumentScene()
    scene.set_pages(layout_pages())

    def at(x: float, y: float) -> int | None:
        item = scene.page_at(QPointF(x, y))
        return None if item is None else item.number

    def nearest(x: float, y: float) -> int:
        return scene.nearest_page(QPointF(x, y)).number

    assert at(0, 100) == 1
    assert at(-306, PAGE_GAP) == 1  # the corner belongs to the page
    assert at(0, 830) is None  # the gap between pages 1 and 2
    assert at(0, 10) is None  # the margin above page 1
    assert at(-390, 900) == 2
    assert at(-390, 100) is None  # beside page 1, which is narrower
    assert at(-200, 1500) is None  # beside page 3
    assert at(0, 1e6) is None

    assert nearest(0, 820) == 1  # 4 points below page 1, 20 above page 2
    assert nearest(0, 836) == 2
    assert nearest(0, -50) == 1
    assert nearest(0, 1e6) == 3
    assert nearest(-380, 1500) == 3
    assert nearest(0, 100) == 1


def test_page_lookup_over_many_pages_matches_a_linear_scan(qtbot: QtBot) -> None:
    geoms = [PageGeometry.plain(n, 400 + 100 * (n % 3), 500 + 200 * (n % 2)) for n in range(1, 601)]
    scene = DocumentScene()
    scene.set_pages(geoms)
    rects = [scene.page_rect(n) for n in range(1, 601)]
    bottom = rects[-1].bottom() + PAGE_GAP
    for step in range(0, 4000):
        point = QPointF(((step * 37) % 700) - 350, bottom * step / 4000)
        expected = next((n for n, r in enumerate(rects, 1) if r.contains(point)), None)
        found = scene.page_at(point)
        assert (found.number if found else None) == expected
    assert scene.pages_in(QRectF(-10, rects[99].top() + 1, 20, 10)) == [100]


def test_scene_to_page_gives_canonical_points(view: PageView, small_pdf: PdfInfo) -> None:
    view.set_document(small_pdf.path, small_pdf.pages)
    rect = view.doc_scene.page_rect(2)
    assert view.scene_to_page(rect.topLeft() + QPointF(72, 36)) == (2, QPointF(72, 36))
    assert view.scene_to_page(QPointF(0, rect.top() - 1)) is None


# --- lazy rendering ---------------------------------------------------------------------------


def test_opening_500_pages_paints_page_1_and_renders_only_visible_pages(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo, renders: RenderLog
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    visible = view.pages_visible()
    assert visible[0] == 1 and len(visible) <= 2
    assert len(view.doc_scene.page_items) == BIG_PAGES
    assert sorted(page for page, _ in renders) == visible
    assert view.current_page() == 1
    assert view.doc_scene.page_item(1).image is not None


def test_scrolling_renders_only_the_pages_that_come_into_view(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo, renders: RenderLog
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    seen: set[int] = set(view.pages_visible())
    bar = view.verticalScrollBar()

    def settled() -> bool:
        """Visible pages painted, and pages out of view gave their images back."""
        holding = {item.number for item in view.doc_scene.page_items if item.image is not None}
        return all_visible_painted(view) and holding <= set(view.pages_visible())

    for _ in range(8):
        bar.setValue(bar.value() + view.viewport().height() // 2)
        qtbot.waitUntil(settled)
        seen.update(view.pages_visible())
    view.go_to_page(400)
    qtbot.waitUntil(lambda: all_visible_painted(view))
    seen.update(view.pages_visible())
    rendered = [page for page, _ in renders]
    assert set(rendered) <= seen
    assert len(rendered) == len(set(rendered))  # nothing rendered twice
    assert max(p for p in rendered if p < 400) < 20  # nothing in between


def test_scrolling_back_uses_the_cache(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo, renders: RenderLog
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    view.go_to_page(10)
    qtbot.waitUntil(lambda: all_visible_painted(view))
    count = len(renders)
    with qtbot.waitSignal(view.pagePainted, check_params_cb=lambda n: n == 1):
        view.go_to_page(1)
    assert len(renders) == count


def test_image_cache_evicts_least_recently_used_by_bytes(qtbot: QtBot) -> None:
    def image(width: int) -> QImage:
        return QImage(width, 100, QImage.Format.Format_RGB32)  # width * 400 bytes

    cache = ImageCache(max_bytes=100_000)
    cache.put(1, 1.0, image(100))
    cache.put(2, 1.0, image(100))
    assert cache.bytes_used == 80_000
    assert cache.get(1, 1.0) is not None  # page 1 is now the most recently used
    cache.put(3, 1.0, image(100))
    assert cache.keys() == [(1, 1.0), (3, 1.0)]
    assert cache.bytes_used == 80_000
    cache.put(4, 2.0, image(200))  # 80,000 bytes on its own
    assert cache.keys() == [(4, 2.0)]
    cache.put(4, 1.0, image(50))
    assert cache.bytes_used == 100_000
    found = cache.best(4, 1.5)
    assert found is not None and found[0] == 2.0  # a larger image is the better stand-in
    found = cache.best(4, 0.9)
    assert found is not None and found[0] == 1.0
    assert cache.best(5, 1.0) is None
    cache.max_bytes = 50_000
    assert cache.keys() == [(4, 1.0)]
    cache.put(6, 1.0, image(200))  # bigger than the whole budget: not kept
    assert cache.bytes_used <= 50_000
    cache.clear()
    assert len(cache) == 0 and cache.bytes_used == 0


def test_view_cache_stays_within_its_budget(qtbot: QtBot, view: PageView, big_pdf: PdfInfo) -> None:
    open_and_wait(qtbot, view, big_pdf)
    one_page = view.doc_scene.page_item(1).image
    assert one_page is not None
    view.cache.max_bytes = 3 * one_page.sizeInBytes()
    for number in range(2, 12):
        view.go_to_page(number)
        qtbot.waitUntil(lambda: all_visible_painted(view))
        assert view.cache.bytes_used <= view.cache.max_bytes
    assert len(view.cache) == 3


# --- zoom -------------------------------------------------------------------------------------


def test_zoom_steps_and_limits(view: PageView, small_pdf: PdfInfo, qtbot: QtBot) -> None:
    view.set_document(small_pdf.path, small_pdf.pages)
    assert view.zoom == 1.0
    with qtbot.waitSignal(view.zoomChanged, check_params_cb=lambda z: z == 1.1):
        view.zoom_in()
    view.zoom_in()
    assert view.zoom == 1.25
    view.zoom_out()
    view.zoom_out()
    view.zoom_out()
    assert view.zoom == 0.9
    view.set_zoom(0.8)
    view.zoom_in()
    assert view.zoom == 0.9
    view.set_zoom(0.8)
    view.zoom_out()
    assert view.zoom == 0.75
    view.set_zoom(100)
    assert view.zoom == 8.0
    view.zoom_in()
    assert view.zoom == 8.0
    view.set_zoom(0)
    assert view.zoom == 0.1
    view.zoom_out()
    assert view.zoom == 0.1
    view.set_zoom(1.5)
    assert view.transform().m11() == pytest.approx(1.5 * 96 / 72)


def test_set_zoom_keeps_the_point_at_the_centre(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    view.set_zoom(1.5)
    view.go_to_page(3)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum() // 3)
    for zoom in (2.0, 4.0, 1.75, 3.0):
        before = view_centre(view)
        view.set_zoom(zoom)
        after = view_centre(view)
        tolerance = 1.0 / (zoom * POINT_PX) + 0.01
        assert after.x() == pytest.approx(before.x(), abs=tolerance)
        assert after.y() == pytest.approx(before.y(), abs=tolerance)


def test_fit_width_fills_the_width_and_follows_resizes(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo
) -> None:
    view.set_document(small_pdf.path, small_pdf.pages)
    view.fit_width()
    assert view.fit_mode == "width"
    column = (view.doc_scene.max_page_width + 2 * PAGE_GAP) * view.zoom * POINT_PX
    width = view.viewport().width()
    assert width - 2 <= column <= width
    assert view.horizontalScrollBar().maximum() == 0
    zoom = view.zoom
    view.resize(900, 480)
    assert view.zoom > zoom
    column = (view.doc_scene.max_page_width + 2 * PAGE_GAP) * view.zoom * POINT_PX
    assert view.viewport().width() - 2 <= column <= view.viewport().width()
    view.set_zoom(1.0)  # picking a percentage ends the fit mode
    assert view.fit_mode is None
    view.resize(700, 480)
    assert view.zoom == 1.0


def test_fit_page_shows_the_whole_current_page(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo
) -> None:
    view.set_document(small_pdf.path, small_pdf.pages)
    view.go_to_page(2)
    view.fit_page()
    assert view.fit_mode == "page"

    def whole_page_shown() -> bool:
        shown = view.mapFromScene(view.doc_scene.page_rect(2)).boundingRect()
        return view.viewport().rect().contains(shown)

    assert view.current_page() == 2
    assert whole_page_shown()
    zoom = view.zoom  # limited by the height
    view.resize(640, 800)
    assert view.zoom > zoom
    assert whole_page_shown()
    zoom = view.zoom  # page 2 is landscape: now limited by the width
    view.resize(400, 800)
    assert view.zoom < zoom
    assert view.current_page() == 2
    assert whole_page_shown()


def test_ctrl_wheel_zooms_under_the_mouse_and_plain_wheel_scrolls(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    view.set_zoom(1.0)
    view.go_to_page(2)

    def wheel(pos: QPointF, delta: int, modifiers: Qt.KeyboardModifier) -> None:
        event = QWheelEvent(
            pos,
            QPointF(view.viewport().mapToGlobal(pos.toPoint())),
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view.viewport(), event)

    pos = QPointF(150, 120)
    before = view.mapToScene(pos.toPoint())
    wheel(pos, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(1.2)
    after = view.mapToScene(pos.toPoint())
    assert after.x() == pytest.approx(before.x(), abs=1.5)
    assert after.y() == pytest.approx(before.y(), abs=1.5)
    wheel(pos, -240, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(1.2 / 1.44)

    value = view.verticalScrollBar().value()
    wheel(pos, -120, Qt.KeyboardModifier.NoModifier)
    assert view.zoom == pytest.approx(1.2 / 1.44)
    assert view.verticalScrollBar().value() > value


def test_zooming_draws_a_stand_in_then_renders_at_the_new_scale(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    old = view.page_scale(view.doc_scene.page_item(1).geometry)
    view.set_zoom(2.0)
    item = view.doc_scene.page_item(1)
    assert item.image is not None and item.image_scale == old  # the scaled stand-in
    with qtbot.waitSignal(view.pagePainted, check_params_cb=lambda n: n == 1):
        pass
    assert item.image_scale == view.page_scale(item.geometry) == pytest.approx(2 * old)


# --- navigation -------------------------------------------------------------------------------


def test_go_to_page_and_current_page(qtbot: QtBot, view: PageView, big_pdf: PdfInfo) -> None:
    open_and_wait(qtbot, view, big_pdf)
    with qtbot.waitSignal(view.currentPageChanged, check_params_cb=lambda n: n == 5):
        view.go_to_page(5)
    top = view.mapFromScene(view.doc_scene.page_rect(5).topLeft())
    assert top.y() == 0
    assert view.current_page() == 5
    # Scroll until page 6 fills most of the view.
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + int(792 * POINT_PX * 0.9))
    qtbot.waitUntil(lambda: view.current_page() == 6)
    view.go_to_page(BIG_PAGES)
    assert view.current_page() == BIG_PAGES
    view.go_to_page(9999)
    assert view.current_page() == BIG_PAGES
    view.go_to_page(-3)
    assert view.current_page() == 1
    assert view.verticalScrollBar().value() > 0  # page 1's top, below the margin


# --- rotated and cropped pages ----------------------------------------------------------------


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_rotated_and_cropped_pages_render_as_a_reader_shows_them(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch, ratio: float
) -> None:
    monkeypatch.setattr(view, "render_ratio", lambda: ratio)
    view.set_document(small_pdf.path, small_pdf.pages)
    # The anchor text, drawn upright where the user sees it (baseline start, size 14).
    anchors = {2: (100.0, 150.0), 3: (50.0, 100.0)}
    for number, (x, y) in anchors.items():
        view.go_to_page(number)
        qtbot.waitUntil(lambda n=number: painted(view, n))  # type: ignore[misc]
        item = view.doc_scene.page_item(number)
        image = item.image
        assert image is not None
        scale = POINT_PX * ratio
        assert item.image_scale == pytest.approx(scale)
        assert image.width() == round(item.geometry.width * scale)
        assert image.height() == round(item.geometry.height * scale)
        assert image.devicePixelRatio() == ratio
        assert image.format() == QImage.Format.Format_RGB888

        def ink(
            x0: float, y0: float, x1: float, y1: float, image: QImage = image, scale: float = scale
        ) -> int:
            return dark_pixels(
                image, QRectF(x0 * scale, y0 * scale, (x1 - x0) * scale, (y1 - y0) * scale)
            )

        # The text reads left to right from its baseline start, on the displayed page.
        assert ink(x, y - 11, x + 25, y) > 0
        assert ink(x + 50, y - 11, x + 75, y) > 0
        assert ink(x, y + 4, x + 80, y + 40) == 0
        assert ink(x - 40, y - 60, x - 2, y + 60) == 0
    assert small_pdf.pages[1].width == 792 and small_pdf.pages[2].width == 400


# --- failures, threads, stale results ---------------------------------------------------------


def test_a_page_that_cannot_be_rendered_shows_a_placeholder(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = RenderLink.send_render
    attempts: list[int] = []

    def page_2_is_missing(link: RenderLink, page: int, scale: float) -> None:
        attempts.append(page)
        real(link, 99 if page == 2 else page, scale)  # the process cannot draw it

    monkeypatch.setattr(RenderLink, "send_render", page_2_is_missing)
    view.set_zoom(0.15)  # all three pages in view
    with qtbot.waitSignal(view.renderer.failed, check_params_cb=lambda p, m: p == 2) as failed:
        view.set_document(small_pdf.path, small_pdf.pages)
    assert failed.args is not None and "there is no page 99" in failed.args[1]
    qtbot.waitUntil(lambda: painted(view, 1) and painted(view, 3))
    item = view.doc_scene.page_item(2)
    assert item.failed is not None and item.failed.startswith(FAILED_TEXT)
    assert item.image is None
    assert not view.grab().isNull()  # paints the placeholder
    view.set_zoom(0.2)
    qtbot.waitUntil(lambda: painted(view, 1) and painted(view, 3))
    assert attempts.count(2) == 1  # not retried over and over


def test_pages_are_drawn_in_a_process_that_ends_with_the_document(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo
) -> None:
    assert not view.renderer.running  # nothing starts before a document
    open_and_wait(qtbot, view, small_pdf)
    pid = view.renderer.worker_pid
    assert pid is not None and pid != os.getpid() and not ended(pid)
    image = view.doc_scene.page_item(1).image
    assert image is not None
    view.set_zoom(2.0)  # starts the re-render timer
    view.close_document()
    assert not view.renderer.running and ended(pid)
    assert not view._rerender_timer.isActive()
    assert view.doc_scene.page_items == []
    # An image drawn by the process stays whole after it has ended (shared memory).
    assert image.pixelColor(2, 2).lightness() == 255
    open_and_wait(qtbot, view, small_pdf)  # and a document can be opened again
    assert view.renderer.worker_pid not in (None, pid)


def test_closing_or_destroying_the_view_ends_the_process(qtbot: QtBot, small_pdf: PdfInfo) -> None:
    closed = PageView()
    qtbot.addWidget(closed)
    closed.show()
    open_and_wait(qtbot, closed, small_pdf)
    pid = closed.renderer.worker_pid
    assert pid is not None
    closed.close()
    assert ended(pid)

    destroyed = PageView()
    open_and_wait(qtbot, destroyed, small_pdf)
    pid = destroyed.renderer.worker_pid
    assert pid is not None and not ended(pid)
    shiboken6.delete(destroyed)
    assert ended(pid)


def slow_pdf(path: Path) -> PdfInfo:
    """Page 2 takes MuPDF a long while to draw (tens of thousands of strokes); 1 and 3 do not."""
    import pymupdf

    doc = pymupdf.open()
    for number in (1, 2, 3):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72), f"Page {number}", fontsize=20)
        if number == 2:
            shape = page.new_shape()
            for i in range(60_000):
                x, y = 20 + (i * 7) % 570, 20 + (i * 13) % 750
                shape.draw_bezier((x, y), (x + 40, y + 90), (x + 90, y - 40), (x + 30, y + 30))
            shape.finish(width=2.5, color=(0.2, 0.2, 0.2), fill=(0.8, 0.8, 1.0), fill_opacity=0.5)
            shape.commit()
        doc.save(path)
    doc.close()
    return check_pdf(path)


def test_a_crashed_render_process_fails_its_page_and_is_started_again(
    qtbot: QtBot, view: PageView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = slow_pdf(tmp_path / "slow.pdf")
    drawing: list[int] = []
    real = RenderLink.send_render

    def note(link: RenderLink, page: int, scale: float) -> None:
        drawing.append(page)
        real(link, page, scale)

    monkeypatch.setattr(RenderLink, "send_render", note)
    view.set_zoom(0.5)
    view.set_document(info.path, info.pages)
    view.go_to_page(2)
    qtbot.waitUntil(lambda: drawing[-1:] == [2])  # page 2 is being drawn...
    first = view.renderer.worker_pid
    assert first is not None
    with qtbot.waitSignal(view.renderer.failed, check_params_cb=lambda p, m: p == 2) as failed:
        os.kill(first, signal.SIGKILL)  # ...when its process dies, as a crash in MuPDF would
    assert failed.args is not None and CRASHED in failed.args[1]
    item = view.doc_scene.page_item(2)
    assert item.failed is not None and item.image is None  # the placeholder
    # The other pages are drawn by a new process, which opens the document again.
    view.go_to_page(3)
    qtbot.waitUntil(lambda: painted(view, 3))
    assert view.renderer.worker_pid not in (None, first) and ended(first)
    assert view.doc_scene.page_item(2).failed is not None  # not retried


def test_a_render_process_that_ended_while_idle_is_replaced_without_a_failure(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo
) -> None:
    open_and_wait(qtbot, view, big_pdf)
    first = view.renderer.worker_pid
    assert first is not None
    failures: list[int] = []
    view.renderer.failed.connect(lambda page, _m: failures.append(page))
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: view.renderer.worker_pid != first)  # noticed at once
    view.go_to_page(100)
    qtbot.waitUntil(lambda: all_visible_painted(view))
    assert failures == [] and ended(first)


@pytest.mark.parametrize("in_thread", [False, True], ids=["socket notifier", "thread"])
def test_answers_arrive_by_notifier_or_by_thread(
    qtbot: QtBot, small_pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch, in_thread: bool
) -> None:
    monkeypatch.setattr(page_renderer, "RECEIVE_IN_THREAD", in_thread)  # Windows: a thread
    renderer = PageRenderer()
    try:
        renderer.open(small_pdf.path)
        with qtbot.waitSignal(
            renderer.rendered, check_params_cb=lambda _g, p, _s, _i: p == 3
        ) as got:
            for page in (1, 2, 3):
                renderer.request(page, 0.5)
        assert got.args is not None and got.args[3].width() == round(400 * 0.5)
        pid = renderer.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: renderer.worker_pid != pid)
        with qtbot.waitSignal(renderer.rendered):
            renderer.request(1, 0.25)
    finally:
        pid = renderer.worker_pid
        renderer.close()
    assert not renderer.running and ended(pid)


def test_results_for_a_previous_document_are_ignored(
    qtbot: QtBot, view: PageView, big_pdf: PdfInfo, tmp_path: Path
) -> None:
    landscape = write(
        tmp_path / "landscape.pdf", build_pdf([anchor_page(mediabox=(0, 0, 842, 595))] * 3)
    )
    other = check_pdf(landscape)
    received: list[int] = []
    view.renderer.rendered.connect(lambda gen, *_: received.append(gen))
    view.set_document(big_pdf.path, big_pdf.pages)  # its pages are being rendered...
    old_generation = view.renderer.generation
    open_and_wait(qtbot, view, other)  # ...when another document is opened
    assert set(received) == {view.renderer.generation}
    item = view.doc_scene.page_item(1)
    assert item.image is not None and item.image.width() == round(
        842 * view.page_scale(item.geometry)
    )
    # A late result of the earlier document (as if it had been queued) changes nothing.
    stale = QImage(10, 10, QImage.Format.Format_RGB32)
    view.renderer.rendered.emit(old_generation, 1, view.page_scale(item.geometry), stale)
    assert item.image is not None and item.image.width() != 10


def test_renderer_drops_stale_and_coalesces_requests(
    qtbot: QtBot, small_pdf: PdfInfo, big_pdf: PdfInfo
) -> None:
    renderer = PageRenderer()
    results: list[tuple[int, int, float]] = []
    renderer.rendered.connect(lambda gen, page, scale, _image: results.append((gen, page, scale)))
    try:
        renderer.open(big_pdf.path)
        for page in range(1, 30):
            renderer.request(page, 0.5, PRIORITY_VISIBLE)
        renderer.request(5, 0.5, PRIORITY_VISIBLE)  # coalesces with the pending one
        assert [p for p, _, _ in renderer.pending()].count(5) <= 1
        dropped = renderer.cancel_pending(lambda page, _s, _p: page > 3)
        assert dropped and all(page > 3 for page, _, _ in dropped)
        assert all(page <= 3 for page, _, _ in renderer.pending())
        renderer.open(small_pdf.path)  # drops everything of the big document
        assert renderer.pending() == []
        with qtbot.waitSignal(renderer.rendered, check_params_cb=lambda _g, p, _s, _i: p == 2):
            renderer.request(2, 1.0, PRIORITY_VISIBLE)
        assert results[-1] == (renderer.generation, 2, 1.0)
        assert all(gen == renderer.generation for gen, _, _ in results)
    finally:
        pid = renderer.worker_pid
        renderer.close()
        assert pid is not None and ended(pid)


def test_the_view_paints_pages_frames_and_placeholders(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo
) -> None:
    view.set_zoom(0.15)
    open_and_wait(qtbot, view, small_pdf)
    shot = view.grab().toImage()
    background = shot.pixelColor(5, shot.height() // 2)
    page = view.mapFromScene(view.doc_scene.page_rect(1).center())
    assert shot.pixelColor(page.x(), page.y() + 60).lightness() == 255  # a white page
    assert background.lightness() < 250  # on a darker background
    assert view.pages_visible() == [1, 2, 3]
    callable_ratio: Callable[[], float] = view.render_ratio
    assert callable_ratio() == view.devicePixelRatioF()


def test_a_render_process_that_cannot_start_fails_the_pages_with_a_message(
    qtbot: QtBot, view: PageView, small_pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot(_link: RenderLink) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(RenderLink, "__init__", cannot)
    with qtbot.waitSignal(view.renderer.failed, check_params_cb=lambda p, m: p == 1) as failed:
        view.set_document(small_pdf.path, small_pdf.pages)
    assert failed.args is not None and "cannot start" in failed.args[1]
    qtbot.waitUntil(lambda: view.doc_scene.page_item(1).failed is not None)
    assert not view.renderer.running
    monkeypatch.undo()
    open_and_wait(qtbot, view, small_pdf)  # the next document tries again
