"""Page thumbnails for the left side of the editor.

How it works: :class:`ThumbnailModel` has one row per page. A row's picture is rendered only
when a view asks for it (``data(DecorationRole)``, which a list view does for the rows it
shows): the model then asks the page view's own
:class:`~app.ui.pdfview.renderer.PageRenderer` for the page at a small scale with
:data:`~app.ui.pdfview.renderer.PRIORITY_THUMBNAIL` (after the main view's visible pages) and
answers with a grey placeholder of the page's shape until the image arrives.
:class:`ThumbnailStrip` is the list view: a narrow vertical strip that highlights the page view's
current page, goes to a page when its thumbnail is clicked, and drops pending thumbnail requests
for rows scrolled out of sight.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.domain.geometry import PageGeometry
from app.ui.pdfview.renderer import PRIORITY_THUMBNAIL, PageRenderer
from app.ui.pdfview.view import PageView

THUMB_WIDTH = 96
"""Largest thumbnail width in logical pixels."""
THUMB_HEIGHT = 124
"""Largest thumbnail height in logical pixels."""
STRIP_WIDTH = 150
CELL_MARGIN = 6
LABEL_HEIGHT = 18
PLACEHOLDER_COLOR = QColor(214, 214, 214)
FAILED_COLOR = QColor(236, 200, 200)

AnyIndex = QModelIndex | QPersistentModelIndex


def thumbnail_scale(geometry: PageGeometry, ratio: float) -> float:
    """Pixels per point that fit ``geometry`` into the thumbnail box at device pixel ratio
    ``ratio``."""
    fit = min(THUMB_WIDTH / geometry.width, THUMB_HEIGHT / geometry.height)
    return round(fit * ratio, 6)


class ThumbnailModel(QAbstractListModel):
    """One row per page: "Page n" and a lazily rendered picture of the page."""

    def __init__(
        self,
        renderer: PageRenderer,
        parent: QObject | None = None,
        *,
        ratio: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._ratio = ratio or (lambda: 1.0)
        self._pages: list[PageGeometry] = []
        self._generation = -1
        self._pixmaps: dict[int, QPixmap] = {}
        self._requested: dict[int, float] = {}
        self._failed: set[int] = set()
        self._placeholders: dict[tuple[int, int, float, bool], QPixmap] = {}
        renderer.rendered.connect(self._on_rendered)
        renderer.failed.connect(self._on_failed)

    # content ------------------------------------------------------------------------------------

    def set_pages(self, pages: list[PageGeometry]) -> None:
        """Show ``pages`` of the document the renderer has open now."""
        self.beginResetModel()
        self._pages = list(pages)
        self._generation = self._renderer.generation
        self._pixmaps.clear()
        self._requested.clear()
        self._failed.clear()
        self.endResetModel()

    def clear(self) -> None:
        self.set_pages([])

    def has_thumbnail(self, row: int) -> bool:
        """Whether row ``row``'s page image has arrived."""
        return self._pages[row].number in self._pixmaps

    def keep_only(self, rows: range) -> None:
        """Drop pending thumbnail requests for pages outside ``rows`` (rows scrolled away)."""
        keep = {self._pages[row].number for row in rows if 0 <= row < len(self._pages)}
        dropped = self._renderer.cancel_pending(
            lambda page, scale, priority: (
                priority == PRIORITY_THUMBNAIL
                and page not in keep
                and self._requested.get(page) == scale
            )
        )
        for page, _scale, _priority in dropped:
            self._requested.pop(page, None)

    # model --------------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._pages)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.parent().isValid():
            return None
        row = index.row()
        if not 0 <= row < len(self._pages):
            return None
        geom = self._pages[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"Page {geom.number}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Go to page {geom.number}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._picture(geom)
        return None

    def _picture(self, geom: PageGeometry) -> QPixmap:
        pixmap = self._pixmaps.get(geom.number)
        if pixmap is not None:
            return pixmap
        ratio = self._ratio()
        scale = thumbnail_scale(geom, ratio)
        failed = geom.number in self._failed
        if (
            not failed
            and self._requested.get(geom.number) != scale
            and self._generation == self._renderer.generation
        ):
            self._requested[geom.number] = scale
            self._renderer.request(geom.number, scale, PRIORITY_THUMBNAIL, ratio=ratio)
        return self._placeholder(
            round(geom.width * scale), round(geom.height * scale), ratio, failed
        )

    def _placeholder(self, width: int, height: int, ratio: float, failed: bool) -> QPixmap:
        key = (width, height, ratio, failed)
        pixmap = self._placeholders.get(key)
        if pixmap is None:
            pixmap = QPixmap(max(1, width), max(1, height))
            pixmap.fill(FAILED_COLOR if failed else PLACEHOLDER_COLOR)
            pixmap.setDevicePixelRatio(ratio)
            self._placeholders[key] = pixmap
        return pixmap

    def _row_of(self, page: int) -> int | None:
        row = page - 1
        if 0 <= row < len(self._pages) and self._pages[row].number == page:
            return row
        return None

    def _on_rendered(self, generation: int, page: int, scale: float, image: QImage) -> None:
        if generation != self._generation or self._requested.get(page) != scale:
            return  # another document's, or the main view's
        row = self._row_of(page)
        if row is None:
            return
        self._pixmaps[page] = QPixmap.fromImage(image)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _on_failed(self, page: int, message: str) -> None:
        row = self._row_of(page)
        if row is None or page in self._failed:
            return
        self._failed.add(page)
        self._requested.pop(page, None)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class _ThumbnailDelegate(QStyledItemDelegate):
    """Draws a thumbnail as a small page (white, framed) with its label underneath, the current
    one on a highlight. Every row has the same size, given without reading the row (the list
    view samples the last row's size, which would render that page)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(STRIP_WIDTH - 28, THUMB_HEIGHT + 2 * CELL_MARGIN + LABEL_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect: QRect = option.rect
        state = option.state
        palette: QPalette = option.palette
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), 4, 4)
        picture = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(picture, QPixmap) and not picture.isNull():
            size = picture.deviceIndependentSize()
            x = rect.x() + (rect.width() - size.width()) / 2
            y = rect.y() + CELL_MARGIN + (THUMB_HEIGHT - size.height())
            page = QRectF(x, y, size.width(), size.height())
            painter.fillRect(page.translated(1, 1), QColor(0, 0, 0, 60))
            painter.drawPixmap(page.topLeft(), picture)
            painter.setPen(QPen(QColor(0, 0, 0, 90), 0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(page.adjusted(-0.5, -0.5, 0.5, 0.5))
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.WindowText
        painter.setPen(palette.color(role))
        label = QRect(
            rect.x(),
            rect.bottom() - LABEL_HEIGHT - CELL_MARGIN // 2 + 1,
            rect.width(),
            LABEL_HEIGHT,
        )
        painter.drawText(
            label, Qt.AlignmentFlag.AlignCenter, str(index.data(Qt.ItemDataRole.DisplayRole))
        )
        painter.restore()


class ThumbnailStrip(QListView):
    """A vertical strip of page thumbnails that follows and drives a :class:`PageView`."""

    def __init__(self, view: PageView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.thumbnails = ThumbnailModel(view.renderer, self, ratio=lambda: view.render_ratio())
        self.setModel(self.thumbnails)
        self.setItemDelegate(_ThumbnailDelegate(self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)  # the view asks only visible rows for their pictures
        self.setIconSize(QSize(THUMB_WIDTH, THUMB_HEIGHT))
        self.setSpacing(2)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Mid)  # like the page view
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(STRIP_WIDTH)
        self.clicked.connect(self._go_to)
        self.activated.connect(self._go_to)
        self.verticalScrollBar().valueChanged.connect(self._drop_hidden_requests)
        view.documentChanged.connect(self._on_document_changed)
        view.currentPageChanged.connect(self.select_page)
        self._on_document_changed()

    def select_page(self, number: int) -> None:
        """Highlight page ``number`` (0: nothing) and scroll it into sight."""
        if not 1 <= number <= self.thumbnails.rowCount():
            self.clearSelection()
            return
        index = self.thumbnails.index(number - 1)
        if self.currentIndex() != index:
            self.setCurrentIndex(index)
        self.scrollTo(index)

    def visible_rows(self) -> range:
        """The rows shown in the strip now (probed down the middle of the viewport)."""
        area = self.viewport().rect()
        x = area.center().x()
        rows = [
            index.row()
            for y in range(area.top(), area.bottom() + 1, 8)
            if (index := self.indexAt(QPoint(x, y))).isValid()
        ]
        return range(min(rows), max(rows) + 1) if rows else range(0)

    def _on_document_changed(self) -> None:
        self.thumbnails.set_pages([item.geometry for item in self.view.doc_scene.page_items])
        self.select_page(self.view.current_page())

    def _go_to(self, index: QModelIndex) -> None:
        if index.isValid():
            self.view.go_to_page(index.row() + 1)

    def _drop_hidden_requests(self) -> None:
        self.thumbnails.keep_only(self.visible_rows())
