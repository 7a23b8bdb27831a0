"""Page thumbnails: the model (checked by Qt's model tester), lazy rendering of visible rows
only, navigation by click, and the strip following the page view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QPixmap
from pytestqt.qtbot import QtBot

from app.pdf.document import PdfInfo, check_pdf
from app.pdf.render import RenderLink
from app.ui.pdfview.renderer import PRIORITY_THUMBNAIL, PRIORITY_VISIBLE, PageRenderer
from app.ui.pdfview.thumbnails import (
    THUMB_HEIGHT,
    THUMB_WIDTH,
    ThumbnailModel,
    ThumbnailStrip,
    thumbnail_scale,
)
from app.ui.pdfview.view import PageView
from tests.support.pdfgen import anchor_page, build_pdf, text_pdf, write


@pytest.fixture
def pdf(tmp_path: Path) -> PdfInfo:
    """Five pages, the second one landscape by /Rotate 90."""
    specs = [anchor_page(rotate=90 if n == 2 else 0) for n in range(1, 6)]
    return check_pdf(write(tmp_path / "five.pdf", build_pdf(specs)))


@pytest.fixture
def long_pdf(tmp_path: Path) -> PdfInfo:
    return check_pdf(write(tmp_path / "long.pdf", text_pdf([f"Page {n}" for n in range(1, 201)])))


@pytest.fixture
def renderer(qtbot: QtBot) -> Iterator[PageRenderer]:
    renderer = PageRenderer()
    yield renderer
    renderer.close()
    assert not renderer.running


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[PageView]:
    view = PageView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    yield view
    view.close_document()
    assert not view.renderer.running


def decoration(model: ThumbnailModel, row: int) -> QPixmap:
    value = model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
    assert isinstance(value, QPixmap)
    return value


def test_model_passes_the_model_tester(
    qtmodeltester: Any, qtbot: QtBot, renderer: PageRenderer, pdf: PdfInfo
) -> None:
    renderer.open(pdf.path)
    model = ThumbnailModel(renderer)
    model.set_pages(pdf.pages)
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    assert model.rowCount(model.index(0)) == 0
    assert model.data(model.index(1)) == "Page 2"
    for row in range(5):
        decoration(model, row)
    qtbot.waitUntil(lambda: all(model.has_thumbnail(row) for row in range(5)))
    qtmodeltester.check(model)
    model.clear()
    qtmodeltester.check(model)
    assert model.rowCount() == 0


def test_thumbnails_render_lazily_through_the_shared_renderer(
    qtbot: QtBot, renderer: PageRenderer, pdf: PdfInfo
) -> None:
    renderer.open(pdf.path)
    model = ThumbnailModel(renderer, ratio=lambda: 2.0)
    model.set_pages(pdf.pages)
    assert renderer.pending() == []  # nothing until a view asks
    placeholder = decoration(model, 1)
    assert not model.has_thumbnail(1)
    assert [(p, prio) for p, _, prio in renderer.pending()] in ([(2, PRIORITY_THUMBNAIL)], [])
    with qtbot.waitSignal(model.dataChanged) as changed:
        pass
    assert changed.args is not None and changed.args[0].row() == 1
    picture = decoration(model, 1)
    assert model.has_thumbnail(1)
    assert picture.cacheKey() != placeholder.cacheKey()
    geom = pdf.pages[1]
    scale = thumbnail_scale(geom, 2.0)
    assert (picture.width(), picture.height()) == (
        round(geom.width * scale),
        round(geom.height * scale),
    )
    assert picture.devicePixelRatio() == 2.0
    logical = picture.deviceIndependentSize()
    assert logical.width() <= THUMB_WIDTH + 0.5 and logical.height() <= THUMB_HEIGHT + 0.5
    assert (placeholder.width(), placeholder.height()) == (picture.width(), picture.height())


def test_view_requests_go_before_thumbnails(
    qtbot: QtBot, renderer: PageRenderer, pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[int, float]] = []
    real = RenderLink.send_render

    def note(link: RenderLink, page: int, scale: float) -> None:
        sent.append((page, scale))
        real(link, page, scale)

    monkeypatch.setattr(RenderLink, "send_render", note)
    renderer.open(pdf.path)
    model = ThumbnailModel(renderer)
    model.set_pages(pdf.pages)
    # Requests wait for the event loop, which sends the most urgent first.
    for row in range(5):
        decoration(model, row)
    renderer.request(4, 1.0, PRIORITY_VISIBLE)
    queued = renderer.pending()
    assert queued[0] == (4, 1.0, PRIORITY_VISIBLE)
    assert {prio for _, _, prio in queued[1:]} == {PRIORITY_THUMBNAIL}
    qtbot.waitUntil(lambda: all(model.has_thumbnail(row) for row in range(5)))
    assert sent[0] == (4, 1.0) and len(sent) == 6


def test_strip_renders_only_the_rows_it_shows(
    qtbot: QtBot, view: PageView, long_pdf: PdfInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    thumbs: list[int] = []
    real = RenderLink.send_render

    def counting(link: RenderLink, page: int, scale: float) -> None:
        if scale < 0.5:  # thumbnails are far smaller than any page view scale here
            thumbs.append(page)
        real(link, page, scale)

    monkeypatch.setattr(RenderLink, "send_render", counting)
    strip = ThumbnailStrip(view)
    qtbot.addWidget(strip)
    strip.resize(150, 400)
    strip.show()
    qtbot.waitExposed(strip)
    view.set_document(long_pdf.path, long_pdf.pages)
    shown = strip.visible_rows()
    assert 1 <= len(shown) < 10
    qtbot.waitUntil(lambda: all(strip.thumbnails.has_thumbnail(r) for r in shown))
    assert set(thumbs) <= {row + 1 for row in range(shown.stop + 1)}
    strip.verticalScrollBar().setValue(strip.verticalScrollBar().maximum())
    shown = strip.visible_rows()
    assert shown.stop == 200
    qtbot.waitUntil(lambda: all(strip.thumbnails.has_thumbnail(r) for r in shown))
    assert len(thumbs) < 30


def test_clicking_a_thumbnail_goes_to_its_page(qtbot: QtBot, view: PageView, pdf: PdfInfo) -> None:
    strip = ThumbnailStrip(view)
    qtbot.addWidget(strip)
    strip.resize(150, 700)
    strip.show()
    view.set_document(pdf.path, pdf.pages)
    assert strip.model().rowCount() == 5
    index = strip.model().index(3, 0)
    with qtbot.waitSignal(view.currentPageChanged, check_params_cb=lambda n: n == 4):
        qtbot.mouseClick(
            strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualRect(index).center()
        )
    assert view.current_page() == 4
    assert strip.currentIndex().row() == 3


def test_strip_follows_the_current_page(qtbot: QtBot, view: PageView, pdf: PdfInfo) -> None:
    view.set_document(pdf.path, pdf.pages)
    strip = ThumbnailStrip(view)  # made after the document was opened
    qtbot.addWidget(strip)
    strip.show()
    assert strip.model().rowCount() == 5
    assert strip.currentIndex().row() == 0
    view.go_to_page(3)
    assert strip.currentIndex().row() == 2
    assert strip.selectionModel().isSelected(strip.model().index(2, 0))
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    qtbot.waitUntil(lambda: strip.currentIndex().row() == view.current_page() - 1 > 2)
    view.clear()
    assert strip.model().rowCount() == 0
    assert strip.currentIndex() == QModelIndex()
