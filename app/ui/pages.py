# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""The fast PDF page view of the document editor: scene, page items, view, renderer, cache.

How it works:

* :class:`DocumentScene` lays the pages out in one vertical column in scene units of PDF points:
  every page centred on x = 0, :data:`PAGE_GAP` points between pages and around the column. A
  :class:`PageItem` sits at its page's top-left and is exactly the page's displayed size, so a
  child item at (x, y) is at canonical coordinates (points from the top-left of the page as the
  user sees it). Lookups by y are binary searches over the page tops.
* :class:`PageView` shows the scene at ``zoom * 96/72`` logical pixels per point and renders
  only the pages in view: after every scroll, resize or zoom it asks the :class:`PageRenderer`
  for the visible pages it has no image for (at ``zoom * 96/72 * render_ratio()`` pixels per
  point), and drops pending requests for pages that left the view. A page that scrolls out of
  view gives its image back; the :class:`ImageCache` (an LRU bounded by bytes) keeps recent
  images so scrolling back is instant. After a zoom the pages draw the best cached image scaled
  until the re-render, which waits :data:`RERENDER_DELAY_MS` for the zooming to settle.
* :class:`~app.ui.page_renderer.PageRenderer` draws the pages in a **render process** of its
  own (PyMuPDF holds Python's GIL while it draws, 50-100 ms for a 300 dpi scan, which would
  stall the window): requests in a priority queue, images over shared memory, a placeholder for
  a page that cannot be drawn.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections import OrderedDict
from pathlib import Path
from typing import Literal

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QImage,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.domain.geometry import PageGeometry
from app.ui.page_renderer import (
    FAILED_TEXT,
    PRIORITY_THUMBNAIL,
    PRIORITY_VISIBLE,
    PageRenderer,
)

__all__ = ["FAILED_TEXT", "PRIORITY_THUMBNAIL", "PRIORITY_VISIBLE", "DocumentScene",
           "ImageCache", "PageItem", "PageRenderer", "PageView"]

logger = logging.getLogger(__name__)

PAGE_GAP = 24.0
"""Points between pages and around the column."""
POINT_PX = 96.0 / 72.0
"""Logical pixels per point at 100 % (a constant, not the screen's DPI)."""
MIN_ZOOM = 0.1
MAX_ZOOM = 8.0
ZOOM_STEPS = (0.1, 0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 3.0, 4.0,
              6.0, 8.0)
WHEEL_ZOOM_BASE = 1.2
"""Zoom factor per wheel notch (120 eighths of a degree) with Ctrl held."""
DEFAULT_CACHE_BYTES = 160 * 1024 * 1024
RERENDER_DELAY_MS = 100
MAX_RENDER_PIXELS = 16_000_000
"""Largest page image rendered (48 MB); beyond it a page is drawn scaled up."""

FitMode = Literal["width", "page"]


# --- scene ------------------------------------------------------------------------------------


class PageItem(QGraphicsObject):
    """One page: its rendered image, or a white placeholder with a faint page number.

    The item is at the page's top-left in the scene and its bounding rect is the displayed page
    in points, so children are placed in canonical coordinates. The border and shadow are drawn
    around the page by the view's background (outside this item's bounds).
    """

    def __init__(self, geometry: PageGeometry, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.number = geometry.number
        self.geometry = geometry
        self._rect = QRectF(0.0, 0.0, geometry.width, geometry.height)
        self._image: QImage | None = None
        self._image_scale = 0.0
        self._failed: str | None = None
        self.setZValue(0.0)

    # state --------------------------------------------------------------------------------------

    @property
    def image(self) -> QImage | None:
        """The image drawn now (possibly at another scale than the view's), or None."""
        return self._image

    @property
    def image_scale(self) -> float:
        """Pixels per point of :attr:`image` (0 without an image)."""
        return self._image_scale

    @property
    def failed(self) -> str | None:
        """Why the page could not be rendered, or None."""
        return self._failed

    def set_image(self, image: QImage, scale: float) -> None:
        self._image = image
        self._image_scale = scale
        self._failed = None
        self.update()

    def clear_image(self) -> None:
        if self._image is not None:
            self._image = None
            self._image_scale = 0.0
            self.update()

    def set_failed(self, message: str) -> None:
        self._failed = message
        self._image = None
        self._image_scale = 0.0
        self.update()

    # painting -----------------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        image = self._image
        if image is not None and not image.isNull():
            if not _blit(painter, image, self._rect):
                painter.drawImage(self._rect, image)
            return
        painter.fillRect(self._rect, Qt.GlobalColor.white)
        if self._failed is not None:
            self._paint_failed(painter)
        else:
            self._paint_number(painter)

    def _paint_number(self, painter: QPainter) -> None:
        font = QFont(painter.font())
        font.setPointSizeF(max(4.0, min(self._rect.width(), self._rect.height()) / 8.0))
        painter.setFont(font)
        painter.setPen(QColor(0, 0, 0, 40))
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, str(self.number))

    def _paint_failed(self, painter: QPainter) -> None:
        font = QFont(painter.font())
        font.setPointSizeF(max(4.0, self._rect.width() / 28.0))
        painter.setFont(font)
        painter.setPen(QColor(120, 40, 40))
        margin = self._rect.width() / 10.0
        text_rect = self._rect.adjusted(margin, margin, -margin, -margin)
        painter.drawText(
            text_rect,
            int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
            f"{FAILED_TEXT}\n(page {self.number})",
        )


def _blit(painter: QPainter, image: QImage, rect: QRectF) -> bool:
    """Draw ``image`` over ``rect`` pixel for pixel when the painter's transform maps ``rect``
    onto the image's own size (give or take a device pixel): no resampling, so text stays sharp
    and drawing is several times faster. False when the image would have to be scaled."""
    transform = painter.worldTransform()
    if transform.m12() or transform.m21() or transform.m13() or transform.m23():
        return False  # rotated, sheared or projected
    if transform.m11() <= 0 or transform.m22() <= 0:
        return False
    target = transform.mapRect(rect)
    ratio = image.devicePixelRatio()
    if (abs(target.width() * ratio - image.width()) > 1.0
            or abs(target.height() * ratio - image.height()) > 1.0):
        return False
    painter.save()
    painter.setWorldTransform(QTransform())
    x = round(target.x() * ratio) / ratio
    y = round(target.y() * ratio) / ratio
    painter.drawImage(QPointF(x, y), image)
    painter.restore()
    return True


class DocumentScene(QGraphicsScene):
    """All pages in one continuous vertical column, in PDF points (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.page_items: list[PageItem] = []
        self._tops: list[float] = []
        self._bottoms: list[float] = []
        self._max_width = 0.0

    def set_pages(self, pages: list[PageGeometry]) -> None:
        """Lay out one :class:`PageItem` per page (replacing any earlier pages and their
        children)."""
        self.clear_pages()
        y = PAGE_GAP
        for geom in pages:
            item = PageItem(geom)
            item.setPos(-geom.width / 2.0, y)
            self.addItem(item)
            self.page_items.append(item)
            self._tops.append(y)
            self._bottoms.append(y + geom.height)
            y += geom.height + PAGE_GAP
        self._max_width = max((g.width for g in pages), default=0.0)
        half = self._max_width / 2.0 + PAGE_GAP
        self.setSceneRect(QRectF(-half, 0.0, 2.0 * half, y if pages else 0.0))

    def clear_pages(self) -> None:
        for item in self.page_items:
            self.removeItem(item)
        self.page_items = []
        self._tops = []
        self._bottoms = []
        self._max_width = 0.0
        self.setSceneRect(QRectF())

    @property
    def max_page_width(self) -> float:
        return self._max_width

    def page_item(self, number: int) -> PageItem:
        """The item of page ``number`` (from 1); IndexError outside the document."""
        if not 1 <= number <= len(self.page_items):
            raise IndexError(f"page {number} is not in this document of "
                             f"{len(self.page_items)} pages")
        return self.page_items[number - 1]

    def page_rect(self, number: int) -> QRectF:
        """Page ``number``'s rectangle in scene coordinates."""
        item = self.page_item(number)
        return QRectF(item.pos(), item.boundingRect().size())

    def page_at(self, scene_pos: QPointF) -> PageItem | None:
        """The page under a scene point, or None (gaps, margins, outside)."""
        index = bisect.bisect_right(self._tops, scene_pos.y()) - 1
        if index < 0 or scene_pos.y() > self._bottoms[index]:
            return None
        item = self.page_items[index]
        half = item.geometry.width / 2.0
        return item if -half <= scene_pos.x() <= half else None

    def nearest_page(self, scene_pos: QPointF) -> PageItem:
        """The page under a scene point or, in a gap or margin, the closest page (by distance
        to its rectangle). The document must have pages."""
        if not self.page_items:
            raise IndexError("the document has no pages")
        index = bisect.bisect_right(self._tops, scene_pos.y()) - 1
        candidates = [i for i in (index, index + 1) if 0 <= i < len(self.page_items)]
        return min((self.page_items[i] for i in candidates),
                   key=lambda item: _distance(self.page_rect(item.number), scene_pos))

    def pages_in(self, rect: QRectF) -> list[int]:
        """Numbers of the pages whose rectangle overlaps ``rect`` (scene coordinates)."""
        if not self.page_items or rect.isEmpty():
            return []
        first = bisect.bisect_right(self._bottoms, rect.top())
        last = bisect.bisect_left(self._tops, rect.bottom())
        found: list[int] = []
        for index in range(first, min(last, len(self.page_items))):
            half = self.page_items[index].geometry.width / 2.0
            if rect.left() < half and rect.right() > -half:
                found.append(index + 1)
        return found

    def draw_page_frames(self, painter: QPainter, rect: QRectF) -> None:
        """Draw a soft shadow and a thin border around every page overlapping ``rect``."""
        pixel = 1.0 / max(painter.worldTransform().m11(), 1e-6)  # one logical pixel in points
        grow = 4.0 * pixel
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        for number in self.pages_in(rect.adjusted(-grow, -grow, grow, grow)):
            page = self.page_rect(number)
            for step, alpha in ((3.0, 18), (2.0, 28), (1.0, 40)):
                painter.setBrush(QColor(0, 0, 0, alpha))
                shadow = page.adjusted(-step * pixel + pixel, -step * pixel + 2 * pixel,
                                       step * pixel + pixel, step * pixel + 2 * pixel)
                painter.drawRect(shadow)
            painter.fillRect(page, Qt.GlobalColor.white)
            pen = QPen(QColor(0, 0, 0, 90), 0)  # cosmetic: one pixel at any zoom
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(page.adjusted(-pixel / 2, -pixel / 2, pixel / 2, pixel / 2))
            painter.setPen(Qt.PenStyle.NoPen)
        painter.restore()


def _distance(rect: QRectF, point: QPointF) -> float:
    dx = max(rect.left() - point.x(), 0.0, point.x() - rect.right())
    dy = max(rect.top() - point.y(), 0.0, point.y() - rect.bottom())
    return math.hypot(dx, dy)


# --- image cache ------------------------------------------------------------------------------


class ImageCache:
    """Rendered page images keyed by (page, scale), least recently used evicted first once
    their total size passes ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._images: OrderedDict[tuple[int, float], QImage] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._max_bytes = value
        self._evict()

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, key: tuple[int, float]) -> bool:
        return key in self._images

    def keys(self) -> list[tuple[int, float]]:
        """Keys from least to most recently used."""
        return list(self._images)

    def get(self, page: int, scale: float) -> QImage | None:
        image = self._images.get((page, scale))
        if image is not None:
            self._images.move_to_end((page, scale))
        return image

    def put(self, page: int, scale: float, image: QImage) -> None:
        old = self._images.pop((page, scale), None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._images[(page, scale)] = image
        self._bytes += image.sizeInBytes()
        self._evict()

    def best(self, page: int, scale: float) -> tuple[float, QImage] | None:
        """The cached image of ``page`` closest to ``scale`` (a larger one preferred)."""
        found: tuple[float, QImage] | None = None
        for (number, have), image in self._images.items():
            if number != page:
                continue
            if found is None or _closer(have, found[0], scale):
                found = (have, image)
        return found

    def clear(self) -> None:
        self._images.clear()
        self._bytes = 0

    def _evict(self) -> None:
        while self._bytes > self._max_bytes and len(self._images) > 1:
            _, image = self._images.popitem(last=False)
            self._bytes -= image.sizeInBytes()
        if self._bytes > self._max_bytes and self._images:  # one image bigger than the budget
            _, image = self._images.popitem(last=False)
            self._bytes -= image.sizeInBytes()


def _closer(candidate: float, current: float, wanted: float) -> bool:
    """Whether scale ``candidate`` is a better stand-in for ``wanted`` than ``current``."""
    if (candidate >= wanted) != (current >= wanted):
        return candidate >= wanted
    return abs(candidate - wanted) < abs(current - wanted)


# --- view -------------------------------------------------------------------------------------


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

        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform
                            | QPainter.RenderHint.TextAntialiasing)
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
        return min(width / ((geom.width + 2 * PAGE_GAP) * POINT_PX),
                   height / ((geom.height + 2 * PAGE_GAP) * POINT_PX))

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
            lambda page, scale, priority: priority == PRIORITY_VISIBLE
            and (page, scale) not in wanted)
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
