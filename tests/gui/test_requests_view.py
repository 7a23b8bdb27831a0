"""The requests place as the editor leaves it: a table over the store, newest first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, Request, RequestSpec
from app.ui.requests_view import COLUMNS, RequestsModel, RequestsPage


@pytest.fixture
def ctx(home: Path) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


def add_request(ctx: Context, name: str, signers: int = 2) -> Request:
    spec = RequestSpec(
        name=name,
        recipients=tuple(Recipient(f"R{i}", "Doe", f"r{i}@example.com", order=i + 1)
                         for i in range(signers)),
        fields=tuple(Field(i, FieldType.SIGNATURE, 1, 72, 72 + 60 * i, 180, 48)
                     for i in range(signers)),
    )
    request = Request(id=str(uuid.uuid4()), provider="local", spec=spec)
    ctx.requests.add(request, str(uuid.uuid4()))
    return request


def test_the_model_passes_the_model_tester(qtmodeltester: Any, ctx: Context) -> None:
    for n in range(3):
        add_request(ctx, f"Lease {n}", signers=n + 1)
    model = RequestsModel(ctx.requests)
    qtmodeltester.check(model, force_py=True)
    model.refresh()
    assert model.rowCount() == 3 and model.columnCount() == len(COLUMNS)
    qtmodeltester.check(model, force_py=True)


def test_rows_show_name_provider_progress_and_status(ctx: Context) -> None:
    first = add_request(ctx, "Lease A", signers=3)
    ctx.requests.set_status(first.id, Status.SENT)
    model = RequestsModel(ctx.requests)
    model.refresh()
    row = [model.data(model.index(0, c)) for c in range(len(COLUMNS))]
    assert row[:4] == ["Lease A", "local", "0 of 3 signed", "sent"]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.UserRole) == first.id
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Status"
    assert model.data(model.index(5, 0)) is None


def test_the_page_selects_a_request_and_says_when_there_are_none(qtbot: QtBot,
                                                                ctx: Context) -> None:
    page = RequestsPage(ctx.requests)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.empty.isVisible() and not page.table.isVisible()
    wanted = add_request(ctx, "Lease B")
    add_request(ctx, "Lease C")
    assert page.show_request(wanted.id)
    assert page.selected_id() == wanted.id
    assert not page.show_request("no-such-id")
