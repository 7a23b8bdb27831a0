"""Page geometry and coordinate conversion, in pure Python.

Canonical coordinates (see DESIGN.md): a field rectangle is in PDF points, origin at the top-left
corner of the page *as the user sees it* (the visible box after the page's /Rotate), x to the
right, y down, pages numbered from 1.

Four other systems appear around Sealbox and are converted here, and only here:

* percentages of the displayed page, top-left origin, 1- or 0-based pages (Craftkit, SayPDF);
* points on the displayed page, top-left or bottom-left origin, 1- or 0-based pages
  (Signature.nc and others);
* the PDF file's own user space: unrotated, bottom-left origin, with the CropBox wherever the file
  puts it (annotation /Rect values, content stream coordinates);
* MuPDF's page space ("unrotated" coordinates): unrotated, top-left origin at the top-left corner
  of the visible box. PyMuPDF takes and returns these for drawing, text extraction and search.

/Rotate turns the page clockwise for display. With ``W``/``H`` the unrotated width/height of the
visible box and ``(u, v)`` a point in MuPDF page space, the displayed point ``(X, Y)`` is::

    /Rotate 0:    X = u        Y = v
    /Rotate 90:   X = H - v    Y = u
    /Rotate 180:  X = W - u    Y = H - v
    /Rotate 270:  X = v        Y = W - u
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Box = tuple[float, float, float, float]
"""``(x0, y0, x1, y1)`` with ``x0 <= x1`` and ``y0 <= y1``."""

Origin = Literal["top-left", "bottom-left"]
PageBase = Literal[0, 1]

ROTATIONS = (0, 90, 180, 270)
DEFAULT_TOLERANCE = 0.01
"""Points of slack allowed by :func:`rect_within_page` (rounding in stored specs and floats)."""


def normalize_rotation(value: int) -> int:
    """Snap a /Rotate value to 0, 90, 180 or 270 the way MuPDF does for display.

    Negative values count counter-clockwise, values beyond 360 wrap, and values that are not a
    multiple of 90 (invalid, but seen in the wild) round to the nearest quarter turn.
    """
    rotate = value % 360
    rotate = 90 * ((rotate + 45) // 90)
    return 0 if rotate >= 360 else rotate


def normalize_box(box: Box) -> Box:
    """The same rectangle with ``x0 <= x1`` and ``y0 <= y1``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _intersect(a: Box, b: Box) -> Box | None:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return None
    return (x0, y0, x1, y1)


def _check_page_base(page_base: int) -> None:
    if page_base not in (0, 1):
        raise ValueError(f"page_base must be 0 or 1, not {page_base!r}")


def provider_page(number: int, page_base: int) -> int:
    """A canonical (1-based) page number as a provider numbers pages (0- or 1-based)."""
    _check_page_base(page_base)
    return number - 1 + page_base


def canonical_page(page: int, page_base: int) -> int:
    """A provider's page number (0- or 1-based) as a canonical, 1-based page number."""
    _check_page_base(page_base)
    return page + 1 - page_base


@dataclass(frozen=True)
class Rect:
    """A rectangle in canonical coordinates: points, top-left origin of the displayed page."""

    x: float
    y: float
    width: float
    height: float

    @property
    def x1(self) -> float:
        """The right edge."""
        return self.x + self.width

    @property
    def y1(self) -> float:
        """The bottom edge."""
        return self.y + self.height

    @classmethod
    def from_corners(cls, x0: float, y0: float, x1: float, y1: float) -> Rect:
        """The rectangle spanned by two opposite corners, in any order."""
        left, right = min(x0, x1), max(x0, x1)
        top, bottom = min(y0, y1), max(y0, y1)
        return cls(left, top, right - left, bottom - top)

    def corners(self) -> Box:
        """``(x0, y0, x1, y1)``."""
        return (self.x, self.y, self.x1, self.y1)


@dataclass(frozen=True)
class PageGeometry:
    """The geometry of one page.

    ``width``/``height`` are the size as displayed (after /Rotate). ``cropbox`` is the visible
    box (the CropBox clipped to the MediaBox, as viewers show it) and ``mediabox`` the MediaBox,
    both ``(x0, y0, x1, y1)`` in the file's own user space: bottom-left origin, unrotated.
    """

    number: int
    width: float
    height: float
    rotation: int
    cropbox: Box
    mediabox: Box

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValueError(f"page numbers start at 1, not {self.number}")
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, not {self.rotation}")
        if normalize_box(self.cropbox) != tuple(self.cropbox):
            raise ValueError(f"cropbox {self.cropbox} is not normalised (x0 <= x1, y0 <= y1)")
        if normalize_box(self.mediabox) != tuple(self.mediabox):
            raise ValueError(f"mediabox {self.mediabox} is not normalised (x0 <= x1, y0 <= y1)")
        width, height = displayed_size(self.cropbox, self.rotation)
        if width <= 0 or height <= 0:
            raise ValueError(f"page {self.number} has an empty visible box {self.cropbox}")
        if not (
            math.isclose(width, self.width, abs_tol=1e-3)
            and math.isclose(height, self.height, abs_tol=1e-3)
        ):
            raise ValueError(
                f"page {self.number}: width/height {self.width} x {self.height} do not match "
                f"the cropbox {self.cropbox} turned by {self.rotation} ({width} x {height})"
            )

    @classmethod
    def from_boxes(
        cls,
        number: int,
        cropbox: Box | None,
        mediabox: Box,
        rotation: int = 0,
    ) -> PageGeometry:
        """Build from the boxes and /Rotate as written in the file.

        Boxes may be unnormalised; the rotation is snapped like viewers do; the visible box is
        the CropBox clipped to the MediaBox (the MediaBox itself when there is no CropBox or the
        two do not overlap).
        """
        media = normalize_box(mediabox)
        visible = media
        if cropbox is not None:
            visible = _intersect(normalize_box(cropbox), media) or media
        rotate = normalize_rotation(rotation)
        width, height = displayed_size(visible, rotate)
        return cls(number, width, height, rotate, visible, media)

    @classmethod
    def plain(cls, number: int, width: float, height: float) -> PageGeometry:
        """An unrotated page whose MediaBox is ``[0 0 width height]`` and has no CropBox."""
        box = (0.0, 0.0, float(width), float(height))
        return cls(number, float(width), float(height), 0, box, box)

    @property
    def unrotated_width(self) -> float:
        """Width of the visible box before /Rotate is applied."""
        return self.cropbox[2] - self.cropbox[0]

    @property
    def unrotated_height(self) -> float:
        """Height of the visible box before /Rotate is applied."""
        return self.cropbox[3] - self.cropbox[1]


def displayed_size(cropbox: Box, rotation: int) -> tuple[float, float]:
    """The (width, height) the user sees for a visible box turned by ``rotation``."""
    x0, y0, x1, y1 = normalize_box(cropbox)
    width, height = x1 - x0, y1 - y0
    if normalize_rotation(rotation) in (90, 270):
        return height, width
    return width, height


@dataclass(frozen=True)
class PercentRect:
    """Percentages (0-100) of the displayed page, top-left origin, on a 0- or 1-based page."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class PointRect:
    """Points on the displayed page on a 0- or 1-based page, with a top-left or bottom-left
    origin (``y`` is then the distance of the rectangle's bottom edge from the page bottom)."""

    page: int
    x: float
    y: float
    width: float
    height: float


def _check_page(page: int, geom: PageGeometry, page_base: int) -> None:
    expected = provider_page(geom.number, page_base)
    if page != expected:
        raise ValueError(
            f"rectangle is on page {page} ({page_base}-based) but the geometry is for page "
            f"{geom.number} (1-based)"
        )


def to_percent(rect: Rect, geom: PageGeometry, page_base: int) -> PercentRect:
    """Canonical rectangle -> percentages of the displayed page."""
    return PercentRect(
        page=provider_page(geom.number, page_base),
        x=rect.x / geom.width * 100.0,
        y=rect.y / geom.height * 100.0,
        width=rect.width / geom.width * 100.0,
        height=rect.height / geom.height * 100.0,
    )


def from_percent(percent: PercentRect, geom: PageGeometry, page_base: int) -> Rect:
    """Percentages of the displayed page -> canonical rectangle (``geom`` must be its page)."""
    _check_page(percent.page, geom, page_base)
    return Rect(
        x=percent.x / 100.0 * geom.width,
        y=percent.y / 100.0 * geom.height,
        width=percent.width / 100.0 * geom.width,
        height=percent.height / 100.0 * geom.height,
    )


def _check_origin(origin: str) -> None:
    if origin not in ("top-left", "bottom-left"):
        raise ValueError(f"origin must be 'top-left' or 'bottom-left', not {origin!r}")


def to_points(rect: Rect, geom: PageGeometry, page_base: int, origin: Origin) -> PointRect:
    """Canonical rectangle -> points on the displayed page with the given origin."""
    _check_origin(origin)
    y = rect.y if origin == "top-left" else geom.height - rect.y - rect.height
    return PointRect(provider_page(geom.number, page_base), rect.x, y, rect.width, rect.height)


def from_points(points: PointRect, geom: PageGeometry, page_base: int, origin: Origin) -> Rect:
    """Points on the displayed page with the given origin -> canonical rectangle."""
    _check_origin(origin)
    _check_page(points.page, geom, page_base)
    y = points.y if origin == "top-left" else geom.height - points.y - points.height
    return Rect(points.x, y, points.width, points.height)


def display_to_unrotated_point(x: float, y: float, geom: PageGeometry) -> tuple[float, float]:
    """A displayed point (canonical) -> MuPDF page space (unrotated, top-left origin)."""
    w, h = geom.unrotated_width, geom.unrotated_height
    if geom.rotation == 0:
        return x, y
    if geom.rotation == 90:
        return y, h - x
    if geom.rotation == 180:
        return w - x, h - y
    return w - y, x  # 270


def unrotated_to_display_point(u: float, v: float, geom: PageGeometry) -> tuple[float, float]:
    """A point in MuPDF page space (unrotated, top-left origin) -> displayed (canonical)."""
    w, h = geom.unrotated_width, geom.unrotated_height
    if geom.rotation == 0:
        return u, v
    if geom.rotation == 90:
        return h - v, u
    if geom.rotation == 180:
        return w - u, h - v
    return v, w - u  # 270


def display_to_pdf_point(x: float, y: float, geom: PageGeometry) -> tuple[float, float]:
    """A displayed point (canonical) -> the file's user space (bottom-left origin)."""
    u, v = display_to_unrotated_point(x, y, geom)
    return geom.cropbox[0] + u, geom.cropbox[3] - v


def pdf_to_display_point(px: float, py: float, geom: PageGeometry) -> tuple[float, float]:
    """A point in the file's user space (bottom-left origin) -> displayed (canonical)."""
    return unrotated_to_display_point(px - geom.cropbox[0], geom.cropbox[3] - py, geom)


def _box_of(points: list[tuple[float, float]]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def to_unrotated(rect: Rect, geom: PageGeometry) -> Box:
    """Canonical rectangle -> MuPDF page space ``(x0, y0, x1, y1)``: what PyMuPDF's drawing and
    insertion methods take (unrotated page, top-left origin at the visible box's corner)."""
    return _box_of(
        [
            display_to_unrotated_point(x, y, geom)
            for x in (rect.x, rect.x1)
            for y in (rect.y, rect.y1)
        ]
    )


def from_unrotated(box: Box, geom: PageGeometry) -> Rect:
    """MuPDF page space ``(x0, y0, x1, y1)`` (what PyMuPDF's text search and extraction return)
    -> canonical rectangle."""
    x0, y0, x1, y1 = _box_of(
        [unrotated_to_display_point(u, v, geom) for u in (box[0], box[2]) for v in (box[1], box[3])]
    )
    return Rect(x0, y0, x1 - x0, y1 - y0)


def to_pdf_space(rect: Rect, geom: PageGeometry) -> Box:
    """Canonical rectangle -> the file's user space ``(x0, y0, x1, y1)``: unrotated, bottom-left
    origin, CropBox offset included. This is what an annotation's /Rect holds."""
    return _box_of(
        [display_to_pdf_point(x, y, geom) for x in (rect.x, rect.x1) for y in (rect.y, rect.y1)]
    )


def from_pdf_space(box: Box, geom: PageGeometry) -> Rect:
    """The file's user space ``(x0, y0, x1, y1)`` -> canonical rectangle."""
    x0, y0, x1, y1 = _box_of(
        [pdf_to_display_point(px, py, geom) for px in (box[0], box[2]) for py in (box[1], box[3])]
    )
    return Rect(x0, y0, x1 - x0, y1 - y0)


def rect_within_page(rect: Rect, geom: PageGeometry, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Whether the canonical rectangle has a non-negative size and lies on the displayed page,
    allowing ``tolerance`` points of slack on every edge."""
    values = (rect.x, rect.y, rect.width, rect.height)
    if not all(math.isfinite(v) for v in values):
        return False
    return (
        rect.width >= 0
        and rect.height >= 0
        and rect.x >= -tolerance
        and rect.y >= -tolerance
        and rect.x1 <= geom.width + tolerance
        and rect.y1 <= geom.height + tolerance
    )


def field_at_anchor(x: float, y: float, width: float, height: float, geom: PageGeometry) -> Rect:
    """Where an anchor's field goes for a match whose top-left corner is (x, y): its top-left
    corner there, its size the anchor's, kept inside the page (shrunk only if larger)."""
    w, h = min(width, geom.width), min(height, geom.height)
    return Rect(max(0.0, min(x, geom.width - w)), max(0.0, min(y, geom.height - h)), w, h)
