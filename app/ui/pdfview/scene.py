"""The scene of the PDF view: the pages in one vertical column, in PDF points.

:class:`DocumentScene` lays the pages out: every page centred on x = 0, :data:`PAGE_GAP` points
between pages and around the column. A :class:`PageItem` sits at its page's top-left and is
exactly the page's displayed size, so a child item at (x, y) is at canonical coordinates (points
from the top-left of the page as the user sees it). Lookups by y are binary searches over the
page tops.
"""

from __future__ import annotations

import bisect
import math

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.domain.geometry import PageGeometry
from app.ui.pdfview.renderer import FAILED_TEXT

PAGE_GAP = 24.0
"""Points between pages and around the column."""


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

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
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
    if (
        abs(target.width() * ratio - image.width()) > 1.0
        or abs(target.height() * ratio - image.height()) > 1.0
    ):
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
            raise IndexError(
                f"page {number} is not in this document of {len(self.page_items)} pages"
            )
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
        return min(
            (self.page_items[i] for i in candidates),
            key=lambda item: _distance(self.page_rect(item.number), scene_pos),
        )

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
                shadow = page.adjusted(
                    -step * pixel + pixel,
                    -step * pixel + 2 * pixel,
                    step * pixel + pixel,
                    step * pixel + 2 * pixel,
                )
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
