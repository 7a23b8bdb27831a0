"""Coordinate conversion: round trips for every system and known values for every rotation."""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import geometry
from app.domain.geometry import (
    PageGeometry,
    PercentRect,
    PointRect,
    Rect,
    canonical_page,
    display_to_pdf_point,
    displayed_size,
    from_pdf_space,
    from_percent,
    from_points,
    from_unrotated,
    normalize_rotation,
    pdf_to_display_point,
    provider_page,
    rect_within_page,
    to_pdf_space,
    to_percent,
    to_points,
    to_unrotated,
)
from tests.support import pdfgen

LETTER = (0.0, 0.0, 612.0, 792.0)


def close(a: float, b: float, tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=tol)


def same_rect(a: Rect, b: Rect, tol: float = 1e-6) -> bool:
    return all(
        close(x, y, tol)
        for x, y in zip((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height), strict=True)
    )


def same_box(a: tuple[float, ...], b: tuple[float, ...], tol: float = 1e-6) -> bool:
    return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))


# --- strategies --------------------------------------------------------------------------------

coords = st.floats(min_value=-2000, max_value=2000, allow_nan=False, allow_infinity=False)
sizes = st.floats(min_value=10, max_value=3000, allow_nan=False, allow_infinity=False)


@st.composite
def geometries(draw: st.DrawFn) -> PageGeometry:
    """Any rotation, a MediaBox anywhere, and often a CropBox that does not start at its corner."""
    mx0, my0 = draw(coords), draw(coords)
    mw, mh = draw(sizes), draw(sizes)
    mediabox = (mx0, my0, mx0 + mw, my0 + mh)
    cropbox = None
    if draw(st.booleans()):
        fx0 = draw(st.floats(min_value=0, max_value=0.45))
        fy0 = draw(st.floats(min_value=0, max_value=0.45))
        fx1 = draw(st.floats(min_value=0.55, max_value=1))
        fy1 = draw(st.floats(min_value=0.55, max_value=1))
        cropbox = (mx0 + fx0 * mw, my0 + fy0 * mh, mx0 + fx1 * mw, my0 + fy1 * mh)
    rotation = draw(st.sampled_from([0, 90, 180, 270, -90, 450, 630]))
    number = draw(st.integers(min_value=1, max_value=500))
    return PageGeometry.from_boxes(number, cropbox, mediabox, rotation)


@st.composite
def geometry_and_rect(draw: st.DrawFn) -> tuple[PageGeometry, Rect]:
    geom = draw(geometries())
    fx = draw(st.floats(min_value=0, max_value=1))
    fy = draw(st.floats(min_value=0, max_value=1))
    x, y = fx * geom.width, fy * geom.height
    width = draw(st.floats(min_value=0, max_value=1)) * (geom.width - x)
    height = draw(st.floats(min_value=0, max_value=1)) * (geom.height - y)
    return geom, Rect(x, y, width, height)


bases = st.sampled_from([0, 1])
origins = st.sampled_from(["top-left", "bottom-left"])


# --- round trips -------------------------------------------------------------------------------


@given(geometry_and_rect(), bases)
def test_percent_round_trip(case: tuple[PageGeometry, Rect], base: int) -> None:
    geom, rect = case
    percent = to_percent(rect, geom, base)
    assert percent.page == geom.number - 1 + base
    assert -1e-9 <= percent.x <= 100 + 1e-9
    assert -1e-9 <= percent.y + percent.height <= 100 + 1e-9
    assert same_rect(from_percent(percent, geom, base), rect)


@given(geometry_and_rect(), bases, origins)
def test_points_round_trip(case: tuple[PageGeometry, Rect], base: int, origin: str) -> None:
    geom, rect = case
    points = to_points(rect, geom, base, origin)  # type: ignore[arg-type]
    assert points.page == geom.number - 1 + base
    assert close(points.width, rect.width)
    assert close(points.height, rect.height)
    assert same_rect(from_points(points, geom, base, origin), rect)  # type: ignore[arg-type]


@given(geometry_and_rect())
def test_pdf_space_round_trip(case: tuple[PageGeometry, Rect]) -> None:
    geom, rect = case
    box = to_pdf_space(rect, geom)
    assert box[0] <= box[2]
    assert box[1] <= box[3]
    # the rectangle lands inside the visible box, in the file's user space
    cx0, cy0, cx1, cy1 = geom.cropbox
    tol = 1e-6 * max(1.0, *map(abs, geom.cropbox))
    assert cx0 - tol <= box[0]
    assert box[2] <= cx1 + tol
    assert cy0 - tol <= box[1]
    assert box[3] <= cy1 + tol
    # a quarter turn swaps width and height
    w, h = box[2] - box[0], box[3] - box[1]
    if geom.rotation in (90, 270):
        w, h = h, w
    assert close(w, rect.width, 1e-6 * max(1.0, geom.width))
    assert close(h, rect.height, 1e-6 * max(1.0, geom.height))
    assert same_rect(from_pdf_space(box, geom), rect, 1e-6 * max(1.0, *map(abs, geom.cropbox)))


@given(geometry_and_rect())
def test_unrotated_round_trip(case: tuple[PageGeometry, Rect]) -> None:
    geom, rect = case
    box = to_unrotated(rect, geom)
    assert -1e-6 <= box[0] <= box[2] <= geom.unrotated_width + 1e-6
    assert -1e-6 <= box[1] <= box[3] <= geom.unrotated_height + 1e-6
    assert same_rect(from_unrotated(box, geom), rect, 1e-6 * max(geom.width, geom.height))


@given(geometries(), st.floats(0, 1), st.floats(0, 1))
def test_points_agree_with_the_independent_pdfgen_formula(
    geom: PageGeometry, fx: float, fy: float
) -> None:
    """tests/support/pdfgen writes its test PDFs with its own, case-by-case formula."""
    spec = pdfgen.PageSpec(mediabox=geom.mediabox, cropbox=geom.cropbox, rotate=geom.rotation)
    x, y = fx * geom.width, fy * geom.height
    expected = pdfgen.displayed_to_user(spec, x, y)
    got = display_to_pdf_point(x, y, geom)
    tol = 1e-6 * max(1.0, *map(abs, geom.cropbox))
    assert close(got[0], expected[0], tol)
    assert close(got[1], expected[1], tol)
    back = pdf_to_display_point(*got, geom)
    assert close(back[0], x, tol)
    assert close(back[1], y, tol)


@given(geometries())
def test_page_corners_map_to_visible_box_corners(geom: PageGeometry) -> None:
    whole = Rect(0, 0, geom.width, geom.height)
    assert same_box(to_pdf_space(whole, geom), geom.cropbox, 1e-6 * max(map(abs, geom.cropbox)))
    assert rect_within_page(whole, geom)


# --- known values ------------------------------------------------------------------------------

TOP_LEFT = Rect(0, 0, 30, 40)


@pytest.mark.parametrize(
    ("rotation", "cropbox", "expected"),
    [
        # /Rotate 0: the displayed top-left is the file's top-left
        (0, None, (0, 752, 30, 792)),
        # /Rotate 90 turns the page clockwise: its bottom-left corner comes to the top-left
        (90, None, (0, 0, 40, 30)),
        # /Rotate 180: the file's bottom-right corner, upside down
        (180, None, (582, 0, 612, 40)),
        # /Rotate 270 (counter-clockwise): the file's top-right corner, on its side
        (270, None, (572, 762, 612, 792)),
        # the same with a CropBox [30 80 430 680]
        (0, (30, 80, 430, 680), (30, 640, 60, 680)),
        (90, (30, 80, 430, 680), (30, 80, 70, 110)),
        (180, (30, 80, 430, 680), (400, 80, 430, 120)),
        (270, (30, 80, 430, 680), (390, 650, 430, 680)),
    ],
)
def test_top_left_rect_in_pdf_space(
    rotation: int,
    cropbox: tuple[float, float, float, float] | None,
    expected: tuple[float, float, float, float],
) -> None:
    geom = PageGeometry.from_boxes(1, cropbox, LETTER, rotation)
    assert same_box(to_pdf_space(TOP_LEFT, geom), expected)
    assert same_rect(from_pdf_space(expected, geom), TOP_LEFT)


@pytest.mark.parametrize(
    ("rotation", "expected_unrotated"),
    [
        (0, (0, 0, 30, 40)),
        (90, (0, 762, 40, 792)),
        (180, (582, 752, 612, 792)),
        (270, (572, 0, 612, 30)),
    ],
)
def test_top_left_rect_in_mupdf_space(
    rotation: int, expected_unrotated: tuple[float, float, float, float]
) -> None:
    geom = PageGeometry.from_boxes(1, None, LETTER, rotation)
    assert same_box(to_unrotated(TOP_LEFT, geom), expected_unrotated)


def test_offset_mediabox_and_cropbox_known_values() -> None:
    geom = PageGeometry.from_boxes(
        3, pdfgen.OFFSET_CROPBOX_IN_OFFSET_MEDIABOX, pdfgen.OFFSET_MEDIABOX, 90
    )
    assert (geom.width, geom.height) == (580.0, 460.0)
    # a 10 x 20 field 5 pt from the displayed left and 7 pt from the displayed top
    box = to_pdf_space(Rect(5, 7, 10, 20), geom)
    # rotated 90: displayed x runs up the file's y axis from the CropBox bottom (120),
    # displayed y runs along the file's x axis from the CropBox left (-60)
    assert same_box(box, (-53, 125, -33, 135))


def test_percent_known_values_on_a_rotated_page() -> None:
    geom = PageGeometry.from_boxes(2, None, LETTER, 90)  # displayed 792 x 612
    percent = to_percent(Rect(79.2, 61.2, 396, 306), geom, page_base=0)
    assert percent.page == 1
    assert same_box((percent.x, percent.y, percent.width, percent.height), (10.0, 10.0, 50.0, 50.0))
    assert to_percent(Rect(0, 0, 1, 1), geom, page_base=1).page == 2


def test_points_bottom_left_known_values() -> None:
    geom = PageGeometry.from_boxes(1, None, LETTER, 0)
    points = to_points(Rect(72, 650, 180, 48), geom, 0, "bottom-left")
    assert points == PointRect(0, 72, 792 - 650 - 48, 180, 48)
    assert to_points(Rect(72, 650, 180, 48), geom, 1, "top-left") == PointRect(1, 72, 650, 180, 48)


def test_converting_back_checks_the_page() -> None:
    geom = PageGeometry.plain(2, 612, 792)
    with pytest.raises(ValueError, match="page 2"):
        from_percent(PercentRect(2, 1, 1, 1, 1), geom, page_base=0)
    with pytest.raises(ValueError, match="page 0"):
        from_points(PointRect(0, 1, 1, 1, 1), geom, 1, "top-left")
    assert from_points(PointRect(1, 1, 2, 3, 4), geom, 0, "top-left") == Rect(1, 2, 3, 4)


def test_bad_page_base_and_origin_are_refused() -> None:
    geom = PageGeometry.plain(1, 612, 792)
    with pytest.raises(ValueError, match="page_base"):
        to_percent(Rect(0, 0, 1, 1), geom, 2)
    with pytest.raises(ValueError, match="origin"):
        to_points(Rect(0, 0, 1, 1), geom, 1, "centre")  # type: ignore[arg-type]


def test_page_numbering_helpers() -> None:
    assert provider_page(1, 0) == 0
    assert provider_page(1, 1) == 1
    assert canonical_page(0, 0) == 1
    assert canonical_page(5, 1) == 5


# --- page geometry -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "snapped"),
    [
        (0, 0),
        (90, 90),
        (180, 180),
        (270, 270),
        (360, 0),
        (-90, 270),
        (450, 90),
        (-180, 180),
        (44, 0),
        (45, 90),
        (134, 90),
        (316, 0),
        (720, 0),
    ],
)
def test_normalize_rotation(raw: int, snapped: int) -> None:
    assert normalize_rotation(raw) == snapped


def test_from_boxes_computes_displayed_size() -> None:
    geom = PageGeometry.from_boxes(1, (30, 80, 430, 680), LETTER, 270)
    assert (geom.width, geom.height) == (600.0, 400.0)
    assert geom.cropbox == (30.0, 80.0, 430.0, 680.0)
    assert geom.mediabox == LETTER
    assert (geom.unrotated_width, geom.unrotated_height) == (400.0, 600.0)
    assert displayed_size((30, 80, 430, 680), 90) == (600.0, 400.0)


def test_from_boxes_normalises_and_clips() -> None:
    # unnormalised boxes are normalised
    geom = PageGeometry.from_boxes(1, (430, 680, 30, 80), (612, 792, 0, 0), 0)
    assert geom.cropbox == (30.0, 80.0, 430.0, 680.0)
    assert geom.mediabox == LETTER
    # a CropBox reaching outside the MediaBox is clipped to it, as viewers show it
    geom = PageGeometry.from_boxes(1, pdfgen.OVERSIZED_CROPBOX, LETTER, 90)
    assert geom.cropbox == (0.0, 0.0, 300.0, 792.0)
    assert (geom.width, geom.height) == (792.0, 300.0)
    # a CropBox that misses the MediaBox entirely is ignored
    geom = PageGeometry.from_boxes(1, (700, 900, 800, 1000), LETTER, 0)
    assert geom.cropbox == LETTER
    # no CropBox: the MediaBox
    assert PageGeometry.from_boxes(1, None, LETTER, 0) == PageGeometry.plain(1, 612, 792)


def test_page_geometry_refuses_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="rotation"):
        PageGeometry(1, 612, 792, 45, LETTER, LETTER)
    with pytest.raises(ValueError, match="do not match"):
        PageGeometry(1, 612, 792, 90, LETTER, LETTER)
    with pytest.raises(ValueError, match="start at 1"):
        PageGeometry(0, 612, 792, 0, LETTER, LETTER)
    with pytest.raises(ValueError, match="normalised"):
        PageGeometry(1, 612, 792, 0, (612, 0, 0, 792), LETTER)
    with pytest.raises(ValueError, match="empty"):
        PageGeometry(1, 0, 792, 0, (0, 0, 0, 792), LETTER)


def test_rect_helpers() -> None:
    rect = Rect.from_corners(50, 80, 10, 20)
    assert rect == Rect(10, 20, 40, 60)
    assert (rect.x1, rect.y1) == (50, 80)
    assert rect.corners() == (10, 20, 50, 80)


def test_rect_within_page() -> None:
    geom = PageGeometry.from_boxes(1, None, LETTER, 90)  # displayed 792 x 612
    assert rect_within_page(Rect(0, 0, 792, 612), geom)
    assert rect_within_page(Rect(-0.005, 0, 792.005, 612), geom)  # within the tolerance
    assert not rect_within_page(Rect(0, 0, 612, 792), geom)  # the unrotated size does not fit
    assert not rect_within_page(Rect(-1, 0, 10, 10), geom)
    assert not rect_within_page(Rect(700, 600, 100, 13), geom)
    assert not rect_within_page(Rect(10, 10, -5, 10), geom)
    assert not rect_within_page(Rect(math.nan, 10, 5, 10), geom)
    assert rect_within_page(Rect(0, 0, 0, 0), geom)
    assert rect_within_page(Rect(-1, 0, 10, 10), geom, tolerance=1.5)


def test_geometry_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(geometry.__file__).read_text(encoding="utf-8"))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules
