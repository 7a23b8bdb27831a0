"""The archive place says how many documents' timestamps are due for renewal, and Renew now
renews them in the background with progress, the window answering all along.

A request is sealed at B-LTA through the real ``sealbox`` command with timestamps from the
test PKI's short-lived authority (its certificate expires within the renewal window)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.context import Context
from app.pdf.pades import last_document_timestamp
from app.ui.archive.page import ArchivePage
from app.ui.bridge import AsyncBridge
from tests.e2e.test_archive_renew import sealed_with_short_tsa
from tests.support.testpki import TestPki, start_test_pki

WAIT_MS = 90_000


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


@pytest.fixture
def page(qtbot: QtBot, bridge: AsyncBridge) -> Iterator[ArchivePage]:
    ctx = Context.from_environment()
    widget = ArchivePage(ctx, bridge)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    ctx.close()


@pytest.fixture
def sealed(home: Path, tmp_path: Path, test_pki: TestPki) -> Path:
    """The signed PDF of a request whose timestamps must be renewed within the year."""
    _env, signed = sealed_with_short_tsa(home, tmp_path, test_pki)
    return signed


@pytest.mark.slow
def test_the_due_documents_are_counted_and_renew_now_renews_them_in_the_background(
    qtbot: QtBot, sealed: Path, page: ArchivePage
) -> None:
    before = sealed.read_bytes()
    old = last_document_timestamp(before)
    assert old is not None
    qtbot.waitUntil(page.renewal_bar.isVisible, timeout=WAIT_MS)
    assert page.renewal_label.text().startswith("2 documents are due for renewal")
    assert "within 365 days" in page.renewal_label.text()
    assert page.renew_button.isEnabled()

    # The window's event loop keeps turning while the renewal works.
    stalls: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        stalls.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    try:
        QTest.mouseClick(page.renew_button, Qt.MouseButton.LeftButton)
        assert page.renew_progress.isVisible() and not page.renew_button.isEnabled()
        qtbot.waitUntil(lambda: page.message.text().startswith("Renewed"), timeout=WAIT_MS)
    finally:
        timer.stop()
    assert page.message.text() == "Renewed 2 documents.", page.message.text()
    assert max(stalls) < 2.0, f"the window stalled {max(stalls):.2f} s"
    qtbot.waitUntil(lambda: not page.renewal_bar.isVisible(), timeout=WAIT_MS)
    after = sealed.read_bytes()
    assert after.startswith(before)
    new = last_document_timestamp(after)
    assert new is not None and new.expires > old.expires


@pytest.mark.slow
def test_without_a_timestamp_authority_it_says_where_to_set_one(
    qtbot: QtBot, home: Path, sealed: Path, bridge: AsyncBridge
) -> None:
    (home / "config.toml").write_text("", encoding="utf-8")
    ctx = Context.from_environment()
    widget = ArchivePage(ctx, bridge)
    qtbot.addWidget(widget)
    widget.show()
    try:
        qtbot.waitUntil(widget.renewal_bar.isVisible, timeout=WAIT_MS)
        assert "Set a timestamp authority in Settings › In person" in widget.renewal_label.text()
        assert not widget.renew_button.isEnabled()
    finally:
        widget.shutdown()
        ctx.close()
