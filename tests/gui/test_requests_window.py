"""The Requests place in the main window, driven by mouse and keys: the history says each thing
once, the details show the request's message, the built-in provider has one name, and the
Cancel request dialog's buttons say what they do.

The request is sent and signed by its first recipient through the real ``sealbox`` command.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.domain.lifecycle import Status
from app.store.records import Event
from app.ui.bridge import AsyncBridge
from app.ui.cancel_dialog import CancelRequestDialog
from app.ui.main import MainWindow
from app.ui.requests.model import NAME_COLUMN, PROVIDER_COLUMN, STATUS_COLUMN
from app.ui.requests.page import RequestsPage
from tests.conftest import run_sealbox
from tests.fakes.itasign import ItaSignFake

WAIT_MS = 10_000
MESSAGE = "Please sign by Friday: the crane arrives on Monday."


@pytest.fixture
def signed_once(home: Path, tmp_path: Path) -> str:
    """A ``local`` request with a message, sent and signed by Jane through the command."""
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_text((72, 80), "Berth lease", fontsize=20)
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Berth lease 2026",
                "message": MESSAGE,
                "recipients": [
                    {
                        "firstName": "Jane",
                        "lastName": "Doe",
                        "email": "jane@example.com",
                        "order": 1,
                    },
                    {"firstName": "Bob", "lastName": "Roe", "email": "bob@example.com", "order": 2},
                ],
                "fields": [
                    {
                        "recipientIndex": 0,
                        "type": "signature",
                        "page": 1,
                        "x": 72,
                        "y": 600,
                        "width": 180,
                        "height": 48,
                    },
                    {
                        "recipientIndex": 1,
                        "type": "signature",
                        "page": 1,
                        "x": 300,
                        "y": 600,
                        "width": 180,
                        "height": 48,
                    },
                ],
            }
        )
    )
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    assert sent.returncode == 0, sent.stderr
    rid: str = json.loads(sent.stdout)["id"]
    signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert signed.returncode == 0, signed.stderr
    return rid


def open_requests(
    qtbot: QtBot, bridge: AsyncBridge, size: tuple[int, int] = (1024, 700)
) -> tuple[MainWindow, RequestsPage]:
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    rail = window.findChild(QToolBar, "places")
    assert rail is not None
    action = next(a for a in rail.actions() if a.text() == "Requests")
    button = rail.widgetForAction(action)
    assert isinstance(button, QWidget)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    page = window.requests_page
    qtbot.waitUntil(lambda: page.model.rowCount() == page.model.total > 0, timeout=WAIT_MS)
    rect = page.table.visualRect(page.model.index(0, NAME_COLUMN))
    QTest.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    qtbot.waitUntil(lambda: page.details.request is not None, timeout=WAIT_MS)
    return window, page


def test_the_history_says_each_event_once_and_the_message_is_shown(
    qtbot: QtBot, bridge: AsyncBridge, signed_once: str
) -> None:
    window, page = open_requests(qtbot, bridge)
    details = page.details
    history = details.history_texts()
    assert history == [
        "Signed by Jane Doe — typed signature",
        "Viewed by Jane Doe",
        "Sent",
        "Queued to send through In person",
    ]
    message = details.facts["Message"]
    assert message.isVisible() and message.text() == MESSAGE
    window.close()


def test_events_of_one_moment_are_listed_newest_first_in_the_order_they_happened(
    qtbot: QtBot, bridge: AsyncBridge, signed_once: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signature records "viewed" and "signed" often in the same millisecond (they are one
    act); the history must still list the signature above the view."""
    window, page = open_requests(qtbot, bridge)
    recorded = window.ctx.requests.events

    def one_moment(request_id: str) -> list[Event]:
        events = recorded(request_id)
        last = events[-1].at
        return [replace(e, at=last) if e.recipient_index == 0 else e for e in events]

    monkeypatch.setattr(window.ctx.requests, "events", one_moment)
    page.refresh()
    assert page.details.history_texts()[:2] == [
        "Signed by Jane Doe — typed signature",
        "Viewed by Jane Doe",
    ]
    window.close()


def test_the_built_in_provider_has_one_name(
    qtbot: QtBot, bridge: AsyncBridge, signed_once: str
) -> None:
    window, page = open_requests(qtbot, bridge)
    in_table = page.model.index(0, PROVIDER_COLUMN).data()
    in_filter = page.provider_box.itemText(page.provider_box.findData("local"))
    in_details = page.details.facts["Provider"].text()
    in_prepare = window.editor.provider_box.itemText(window.editor.provider_box.findData("local"))
    assert in_table == in_filter == in_details == in_prepare == "In person"
    window.close()


def test_the_cancel_dialog_says_cancel_request_or_keep_request(
    qtbot: QtBot, bridge: AsyncBridge, signed_once: str
) -> None:
    window, page = open_requests(qtbot, bridge)
    ctx = window.ctx

    def open_dialog() -> CancelRequestDialog:
        QTest.mouseClick(page.details.cancel_button, Qt.MouseButton.LeftButton)
        dialog = page.cancel_dialog
        assert dialog is not None
        qtbot.waitExposed(dialog)
        return dialog

    dialog = open_dialog()
    texts = sorted(b.text() for b in dialog.findChildren(QPushButton) if b.isVisible())
    assert texts == ["Cancel request", "Keep request"]
    # Escape, and Keep request, keep it; Enter in the reason does not cancel either.
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.cancel_dialog is None, timeout=WAIT_MS)
    dialog = open_dialog()
    qtbot.keyClicks(dialog.reason_edit, "Wrong berth")
    QTest.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    assert page.cancel_dialog is dialog and dialog.isVisible()
    QTest.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.cancel_dialog is None, timeout=WAIT_MS)
    assert ctx.requests.get(signed_once).status == Status.VIEWED

    dialog = open_dialog()
    qtbot.keyClicks(dialog.reason_edit, "Wrong berth")
    with qtbot.waitSignal(page.requestChanged, timeout=WAIT_MS):
        QTest.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert ctx.requests.get(signed_once).status == Status.CANCELLED
    assert page.details.badge.text() == "Cancelled"
    assert page.details.history_texts()[0] == "Cancelled — “Wrong berth”"
    window.close()


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_the_list_fits_the_window_and_names_can_be_told_apart(
    qtbot: QtBot, bridge: AsyncBridge, signed_once: str, tmp_path: Path, size: tuple[int, int]
) -> None:
    base = "Service agreement — ACME Shipping Ltd, Rotterdam harbour cranes 2026-"
    spec = json.loads((tmp_path / "spec.json").read_text())
    for month in ("01", "02"):
        spec["name"] = base + month
        (tmp_path / "look-alike.json").write_text(json.dumps(spec))
        sent = run_sealbox(
            "send", str(tmp_path / "lease.pdf"), "--spec", str(tmp_path / "look-alike.json")
        )
        assert sent.returncode == 0, sent.stderr
    window, page = open_requests(qtbot, bridge, size)
    table = page.table
    header = table.horizontalHeader()
    # The status is whole in sight, with no sideways scrolling.
    assert not table.isColumnHidden(STATUS_COLUMN)
    right = header.sectionViewportPosition(STATUS_COLUMN) + header.sectionSize(STATUS_COLUMN)
    assert right <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    rows = {page.model.index(r, NAME_COLUMN).data(): r for r in range(page.model.rowCount())}
    drawn = {shown_name(table, rows[base + month]) for month in ("01", "02")}
    assert len(drawn) == 2, drawn  # told apart, as drawn
    if size[0] >= 1600:
        assert not any(table.isColumnHidden(c) for c in range(page.model.columnCount()))
    window.close()


def shown_name(table: QTableView, row: int) -> str:
    """The name as the table draws it in its column (elided to the width it has)."""
    index = table.model().index(row, NAME_COLUMN)
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    delegate = table.itemDelegateForIndex(index)
    assert isinstance(delegate, QStyledItemDelegate)
    delegate.initStyleOption(option, index)
    style = table.style()
    text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, table)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    return option.fontMetrics.elidedText(
        option.text, option.textElideMode, text_rect.width() - 2 * margin
    )


def test_a_refused_send_is_noted_in_the_apps_words(
    qtbot: QtBot, bridge: AsyncBridge, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ItaSign refuses the API key: the command line's record says `sealbox login`; the
    details pane says where to enter the key."""
    fake = ItaSignFake()
    with fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SEALBOX_ITASIGN_API_KEY", "not-the-key")
        pdf = tmp_path / "nda.pdf"
        doc = pymupdf.open()
        doc.new_page().insert_text((72, 80), "Supplier NDA", fontsize=20)
        doc.save(pdf)
        doc.close()
        spec = tmp_path / "spec.json"
        spec.write_text(
            json.dumps(
                {
                    "name": "Supplier NDA",
                    "recipients": [
                        {"firstName": "Dina", "lastName": "Vik", "email": "dina@example.com"}
                    ],
                }
            )
        )
        sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--provider", "itasign")
        assert sent.returncode == 1
        assert "sealbox login itasign" in sent.stderr  # the command line's words
        window, page = open_requests(qtbot, bridge)
    details = page.details
    assert details.badge.text() == "Failed"
    note = details.facts["Note"].text()
    assert note.startswith("ItaSign refused the credentials")
    assert "enter the API key in Settings › ItaSign" in note
    history = details.history_texts()
    assert any(h.startswith("Failed — ItaSign refused the credentials") for h in history)
    for text in [note, *history]:
        assert "sealbox" not in text and "SEALBOX_" not in text, text
    window.close()
