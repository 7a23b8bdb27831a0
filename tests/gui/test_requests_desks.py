"""Requests from several desks in one store: the "Mine / Everyone's" filter, opened with the
mouse and picked with the keys, and each event of the history saying who did it (the desk and
the person)."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.ui.bridge import AsyncBridge
from app.ui.requests.model import NAME_COLUMN
from app.ui.requests.page import RequestsPage
from tests.conftest import run_sealbox
from tests.e2e.test_bad_input import SPEC
from tests.e2e.test_who_did_it import sent_elsewhere
from tests.gui.prepare_support import choose
from tests.gui.test_requests_window import WAIT_MS, open_requests


@pytest.fixture
def two_desks(home: Path, tmp_path: Path) -> tuple[str, str]:
    """A request sent here by Jane (through the command) and one sent from the front desk by
    Bob; returns their ids."""
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "name": "Jane's lease"}), encoding="utf-8")
    sent = run_sealbox(
        "send", str(pdf), "--spec", str(spec), "--json", env_extra={"SEALBOX_SENDER_NAME": "Jane"}
    )
    assert sent.returncode == 0, sent.stderr
    return json.loads(sent.stdout)["id"], sent_elsewhere(pdf, "Front desk lease")


def names(page: RequestsPage) -> list[str]:
    return [page.model.index(r, NAME_COLUMN).data() for r in range(page.model.rowCount())]


def pick(qtbot: QtBot, page: RequestsPage, text: str) -> None:
    """Open the Mine / Everyone's box with a click and pick ``text`` (the arrow keys and
    Return: a popup list ignores a click that comes at once after it opened)."""
    choose(qtbot, page.whose_box, text)


def test_mine_shows_only_this_desks_requests_and_the_history_names_who(
    qtbot: QtBot, bridge: AsyncBridge, two_desks: tuple[str, str]
) -> None:
    _mine, theirs = two_desks
    window, page = open_requests(qtbot, bridge)
    assert page.whose_box.currentText() == "Everyone's"
    assert sorted(names(page)) == ["Front desk lease", "Jane's lease"]

    pick(qtbot, page, "Mine")
    qtbot.waitUntil(lambda: names(page) == ["Jane's lease"], timeout=WAIT_MS)
    assert page.count_label.text() == "1 request"

    pick(qtbot, page, "Everyone's")
    qtbot.waitUntil(lambda: len(names(page)) == 2, timeout=WAIT_MS)
    row = names(page).index("Front desk lease")
    rect = page.table.visualRect(page.model.index(row, NAME_COLUMN))
    QTest.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    qtbot.waitUntil(
        lambda: page.details.request is not None and page.details.request.id == theirs,
        timeout=WAIT_MS,
    )
    doers = page.details.history_doer_texts()
    assert doers and set(doers) == {"by Bob Smith (bob on FRONT-DESK)"}
    qtbot.waitUntil(
        lambda: all(label.isVisible() for label in page.details.history_doers), timeout=WAIT_MS
    )

    row = names(page).index("Jane's lease")
    rect = page.table.visualRect(page.model.index(row, NAME_COLUMN))
    QTest.mouseClick(
        page.table.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    qtbot.waitUntil(lambda: page.details.request.id != theirs, timeout=WAIT_MS)  # type: ignore[union-attr]
    me = f"by Jane ({getpass.getuser()} on {socket.gethostname()})"
    assert set(page.details.history_doer_texts()) == {me}
    window.close()
