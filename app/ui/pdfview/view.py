# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""The PDF view: :class:`PageView`, a scrollable, zoomable view of a
:class:`~app.ui.pdfview.scene.DocumentScene` that renders only the pages in view.

It shows the scene at ``zoom * 96/72`` logical pixels per point: after every scroll, resize or
zoom it asks its :class:`~app.ui.pdfview.renderer.PageRenderer` for the visible pages it has no
image for (at ``zoom * 96/72 * render_ratio()`` pixels per point), and drops pending requests for
pages that left the view. A page that scrolls out of view gives its image back; the
:class:`~app.ui.pdfview.cache.ImageCache` keeps recent images so scrolling back is instant. After
a zoom the pages draw the best cached image scaled until the re-render, which waits
:data:`RERENDER_DELAY_MS` for the zooming to settle.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QImage,
    QPainter,
    QPalette,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from app.domain.geometry import PageGeometry
from app.ui.pdfview.cache import DEFAULT_CACHE_BYTES, ImageCache
from app.ui.pdfview.renderer import PRIORITY_VISIBLE, PageRenderer
from app.ui.pdfview.scene import PAGE_GAP, DocumentScene, PageItem

logger = logging.getLogger(__name__)

POINT_PX = 96.0 / 72.0
"""Logical pixels per point at 100 % (a constant, not the screen's DPI)."""
MIN_ZOOM = 0.1
MAX_ZOOM = 8.0
ZOOM_STEPS = (
    0.1,
    0.25,
    0.33,
    0.5,
    0.67,
    0.75,
    0.9,
    1.0,
    1.1,
    1.25,
    1.5,
    1.75,
    2.0,
    3.0,
    4.0,
    6.0,
    8.0,
)
WHEEL_ZOOM_BASE = 1.2
"""Zoom factor per wheel notch (120 eighths of a degree) with Ctrl held."""
RERENDER_DELAY_MS = 100
MAX_RENDER_PIXELS = 16_000_000
"""Largest page image rendered (48 MB); beyond it a page is drawn scaled up."""

FitMode = Literal["width", "page"]


class PageView(QGraphicsView):
    """Scrollable, zoomable view of a :class:`DocumentScene` that renders visible pages."""

    zoomChanged = Signal(float)
    currentPageChanged = Signal(int)
    pagePainted = Signal(int)
    documentChanged = Signal()
    """A document was set or the view was cleared (``doc_scene.page_items`` changed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc_scene = DocumentScene(self)
        self.setScene(self.doc_scene)
        self.renderer = PageRenderer(self)
        self.renderer.rendered.connect(self._on_rendered)
        self.renderer.failed.connect(self._on_failed)
        self.cache = ImageCache(DEFAULT_CACHE_BYTES)
        self._path: Path | None = None
        self._zoom = 1.0
        self._fit: FitMode | None = None
        self._current = 0
        self._pinned = 0  # the page go_to_page went to, while the view stays there
        self._navigating = False
        self._shown: set[int] = set()  # pages whose item holds an image
        self._requested: set[tuple[int, float]] = set()  # (page, scale) asked of the renderer

        self._rerender_timer = QTimer(self)
        self._rerender_timer.setSingleShot(True)
        self._rerender_timer.setInterval(RERENDER_DELAY_MS)
        self._rerender_timer.timeout.connect(self._refresh)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh)

        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
            | QPainter.RenderHint.TextAntialiasing
        )
        # Only what changed is repainted; scrolling moves the viewport's pixels. The background
        # (page frames and shadows) is cached and redrawn only when the view is transformed.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._apply_transform()

        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close_document)

    # document -----------------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self._path

    def set_document(self, path: Path, pages: list[PageGeometry]) -> None:
        """Show ``pages`` of the PDF at ``path``, page 1 at the top; renders visible pages."""
        self._rerender_timer.stop()
        self._path = Path(path)
        self.cache.clear()
        self._shown.clear()
        self._requested.clear()
        self._pinned = 0
        self.renderer.open(self._path)
        self.doc_scene.set_pages(pages)
        self.resetCachedContent()
        if self._fit is not None:
            self._apply_fit(keep_position=False)
        self.verticalScrollBar().setValue(self.verticalScrollBar().minimum())
        self._center_horizontally()
        self._current = 0
        self.documentChanged.emit()
        self._refresh()

    def clear(self) -> None:
        """Show nothing (the renderer stays ready for the next document)."""
        self._rerender_timer.stop()
        self._refresh_timer.stop()
        self._path = None
        self.renderer.open(None)
        self.cache.clear()
        self._shown.clear()
        self._requested.clear()
        self._pinned = 0
        self.doc_scene.clear_pages()
        self.resetCachedContent()
        self.documentChanged.emit()
        self._set_current(0)

    def close_document(self) -> None:
        """Clear the view and stop the renderer's thread."""
        self.clear()
        self.renderer.close()

    # zoom ---------------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        """1.0 = 100 % = one point drawn as 96/72 logical pixels."""
        return self._zoom

    @property
    def fit_mode(self) -> FitMode | None:
        return self._fit

    def set_zoom(self, factor: float) -> None:
        """Zoom to ``factor`` (clamped to 0.1–8), keeping the point at the view centre fixed;
        ends fit width / fit page."""
        self._fit = None
        self._zoom_to(factor, None)

    def zoom_in(self) -> None:
        bigger = [step for step in ZOOM_STEPS if step > self._zoom * 1.001]
        self.set_zoom(bigger[0] if bigger else MAX_ZOOM)

    def zoom_out(self) -> None:
        smaller = [step for step in ZOOM_STEPS if step < self._zoom / 1.001]
        self.set_zoom(smaller[-1] if smaller else MIN_ZOOM)

    def fit_width(self) -> None:
        """Zoom so the widest page and its margins fill the view's width (kept on resize)."""
        self._fit = "width"
        self._apply_fit(keep_position=True)
        self.zoomChanged.emit(self._zoom)  # the mode changed even if the zoom did not

    def fit_page(self) -> None:
        """Zoom so the current page fits the view whole (kept on resize)."""
        self._fit = "page"
        self._apply_fit(keep_position=True)
        self.zoomChanged.emit(self._zoom)

    def _fit_zoom(self) -> float | None:
        items = self.doc_scene.page_items
        if not items or self._fit is None:
            return None
        viewport = self.viewport().rect()
        width = viewport.width() - 1
        height = viewport.height() - 1
        if width <= 0 or height <= 0:
            return None
        if self._fit == "width":
            return width / ((self.doc_scene.max_page_width + 2 * PAGE_GAP) * POINT_PX)
        geom = self.doc_scene.page_item(max(1, self.current_page())).geometry
        return min(
            width / ((geom.width + 2 * PAGE_GAP) * POINT_PX),
            height / ((geom.height + 2 * PAGE_GAP) * POINT_PX),
        )

    def _apply_fit(self, *, keep_position: bool) -> None:
        zoom = self._fit_zoom()
        if zoom is None:
            return
        page = self.current_page()
        self._zoom_to(zoom, None)
        if self._fit == "page" and keep_position and page:
            self.centerOn(self.doc_scene.page_rect(page).center())
            self._pinned = page
        self._center_horizontally()

    def _zoom_to(self, factor: float, anchor: QPointF | None) -> None:
        """Zoom keeping the scene point at viewport position ``anchor`` (default: the
        centre) where it is."""
        factor = min(MAX_ZOOM, max(MIN_ZOOM, float(factor)))
        if math.isclose(factor, self._zoom, rel_tol=1e-9):
            return
        viewport = self.viewport().rect()
        if anchor is None:
            anchor = QPointF(viewport.width() / 2.0, viewport.height() / 2.0)
        scene_point = self._to_scene(anchor)
        self._zoom = factor
        self._apply_transform()
        self._scroll_to_place(scene_point, anchor)
        self.zoomChanged.emit(factor)
        self._rerender_timer.start()
        self._refresh(settling=True)

    def _apply_transform(self) -> None:
        scale = self._zoom * POINT_PX
        self.setTransform(QTransform.fromScale(scale, scale))

    def _to_scene(self, viewport_pos: QPointF) -> QPointF:
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(viewport_pos)

    def _scroll_to_place(self, scene_point: QPointF, viewport_pos: QPointF) -> None:
        """Scroll so ``scene_point`` shows at ``viewport_pos`` (as far as the scroll bars go)."""
        now = self.viewportTransform().map(scene_point)
        hbar, vbar = self.horizontalScrollBar(), self.verticalScrollBar()
        hbar.setValue(hbar.value() + round(now.x() - viewport_pos.x()))
        vbar.setValue(vbar.value() + round(now.y() - viewport_pos.y()))

    def _center_horizontally(self) -> None:
        hbar = self.horizontalScrollBar()
        hbar.setValue((hbar.minimum() + hbar.maximum()) // 2)

    # navigation ---------------------------------------------------------------------------------

    def go_to_page(self, number: int) -> None:
        """Scroll so page ``number``'s top is at the top of the view (as far as possible)."""
        items = self.doc_scene.page_items
        if not items:
            return
        number = min(max(1, number), len(items))
        top = self.doc_scene.page_rect(number).top()
        now = self.viewportTransform().map(QPointF(0.0, top))
        vbar = self.verticalScrollBar()
        self._navigating = True
        try:
            vbar.setValue(vbar.value() + math.floor(now.y() + 0.5))
        finally:
            self._navigating = False
        self._pinned = number
        self._refresh()

    def current_page(self) -> int:
        """The page that fills most of the view's height (the topmost of equals), or the page
        :meth:`go_to_page` went to while it is in view; 0 without pages."""
        visible = self._visible_scene_rect()
        pages = self.doc_scene.pages_in(visible)
        if not pages:
            if not self.doc_scene.page_items:
                return 0
            return self.doc_scene.nearest_page(visible.center()).number
        if self._pinned in pages:
            return self._pinned
        best, best_height = pages[0], -1.0
        for number in pages:
            rect = self.doc_scene.page_rect(number).intersected(visible)
            if rect.height() > best_height + 1e-6:
                best, best_height = number, rect.height()
        return best

    def pages_visible(self) -> list[int]:
        """Numbers of the pages (partly) in view, top to bottom."""
        return self.doc_scene.pages_in(self._visible_scene_rect())

    def scene_to_page(self, scene_pos: QPointF) -> tuple[int, QPointF] | None:
        """(page number, canonical point on it) for a scene point on a page, else None."""
        item = self.doc_scene.page_at(scene_pos)
        if item is None:
            return None
        return item.number, scene_pos - item.pos()

    def _visible_scene_rect(self) -> QRectF:
        inverse, _ = self.viewportTransform().inverted()
        return inverse.mapRect(QRectF(self.viewport().rect()))

    # rendering ----------------------------------------------------------------------------------

    def render_ratio(self) -> float:
        """Device pixels per logical pixel that pages are rendered for."""
        return self.devicePixelRatioF()

    def render_scale(self) -> float:
        """Pixels per point pages are rendered at for the current zoom (before the size cap)."""
        return self._zoom * POINT_PX * self.render_ratio()

    def page_scale(self, geometry: PageGeometry) -> float:
        """Pixels per point page ``geometry`` is rendered at now (capped for huge images)."""
        scale = self.render_scale()
        limit = math.sqrt(MAX_RENDER_PIXELS / max(geometry.width * geometry.height, 1.0))
        return round(min(scale, limit), 6)

    def _schedule_refresh(self) -> None:
        if self.doc_scene.page_items and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh(self, *, settling: bool | None = None) -> None:
        """Give visible pages their images (cached or requested), take images back from pages
        out of view, drop requests for them, and update the current page."""
        self._refresh_timer.stop()
        if settling is None:
            settling = self._rerender_timer.isActive()
        if self._path is None:
            return
        visible = self.pages_visible()
        ratio = self.render_ratio()
        wanted: set[tuple[int, float]] = set()
        for number in self._shown - set(visible):
            self.doc_scene.page_item(number).clear_image()
        self._shown.intersection_update(visible)
        for number in visible:
            item = self.doc_scene.page_item(number)
            if item.failed is not None:
                continue
            target = self.page_scale(item.geometry)
            if item.image is not None and item.image_scale == target:
                continue
            cached = self.cache.get(number, target)
            if cached is not None:
                self._show(item, cached, target, painted=True)
                continue
            if item.image is None:
                best = self.cache.best(number, target)
                if best is not None:
                    self._show(item, best[1], best[0], painted=False)
            if settling and item.image is not None:
                continue  # drawn scaled until the zoom settles
            wanted.add((number, target))
            if (number, target) not in self._requested:  # else queued or being rendered
                self._requested.add((number, target))
                self.renderer.request(number, target, PRIORITY_VISIBLE, ratio=ratio)
        dropped = self.renderer.cancel_pending(
            lambda page, scale, priority: (
                priority == PRIORITY_VISIBLE and (page, scale) not in wanted
            )
        )
        for page, scale, _ in dropped:
            self._requested.discard((page, scale))
        self._set_current(self.current_page())

    def _show(self, item: PageItem, image: QImage, scale: float, *, painted: bool) -> None:
        item.set_image(image, scale)
        self._shown.add(item.number)
        if painted:
            self.pagePainted.emit(item.number)

    def _on_rendered(self, generation: int, page: int, scale: float, image: QImage) -> None:
        if generation != self.renderer.generation or (page, scale) not in self._requested:
            return  # another document's, or a thumbnail
        self._requested.discard((page, scale))
        self.cache.put(page, scale, image)
        item = self.doc_scene.page_item(page)
        if page not in self.pages_visible():
            return
        if scale == self.page_scale(item.geometry):
            self._show(item, image, scale, painted=True)
        elif item.image is None:
            self._show(item, image, scale, painted=False)  # a stand-in until re-rendered

    def _on_failed(self, page: int, message: str) -> None:
        if not 1 <= page <= len(self.doc_scene.page_items):
            return
        self.doc_scene.page_item(page).set_failed(message)
        self._shown.discard(page)
        self._requested = {key for key in self._requested if key[0] != page}

    def _set_current(self, page: int) -> None:
        if page != self._current:
            self._current = page
            self.currentPageChanged.emit(page)

    # events -------------------------------------------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if not self._navigating:
            self._pinned = 0
        self._schedule_refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit is not None:
            self._apply_fit(keep_position=True)
        self._schedule_refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._schedule_refresh()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y() or event.angleDelta().x()
            if delta:
                self._fit = None
                self._zoom_to(self._zoom * WHEEL_ZOOM_BASE ** (delta / 120.0), event.position())
            event.accept()
            return
        super().wheelEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.resetCachedContent()
        elif event.type() == QEvent.Type.DevicePixelRatioChange:
            self._schedule_refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.close_document()
        super().closeEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        area = QRectF(rect)
        painter.fillRect(area, self.palette().color(QPalette.ColorRole.Mid))
        self.doc_scene.draw_page_frames(painter, area)
