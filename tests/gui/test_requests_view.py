"""The requests place: the paged table model, the filter bar, the details pane and its
actions (run through the async bridge with the same services as the command line)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, Request, RequestSpec
from app.domain.report import RecipientReport, Report
from app.services.send import deliver, prepare
from app.store.records import RequestFilter
from app.ui.bridge import AsyncBridge
from app.ui.requests.filters import EMPTY_STORE, NO_MATCH
from app.ui.requests.model import (
    COLUMNS,
    FIRST_PAGE,
    ID_ROLE,
    PAGE_SIZE,
    STATUS_COLUMN,
    STATUS_ROLE,
    RequestsModel,
    short_when,
)
from app.ui.requests.page import RequestsPage
from app.ui.requests.table import StatusBadgeDelegate
from tests.bench.requests_view import fill

WAIT_MS = 5000
LEFT = Qt.MouseButton.LeftButton
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ctx(home: Path) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


def add_request(
    ctx: Context,
    name: str,
    *,
    signers: int = 2,
    status: Status = Status.SENT,
    provider: str = "local",
    created: datetime | None = None,
    emails: Sequence[str] = (),
) -> Request:
    """A request stored directly (no PDF, no provider call) in ``status``."""
    spec = RequestSpec(
        name=name,
        recipients=tuple(
            Recipient(
                f"R{i}", "Doe", emails[i] if i < len(emails) else f"r{i}@example.com", order=i + 1
            )
            for i in range(signers)
        ),
        fields=tuple(
            Field(i, FieldType.SIGNATURE, 1, 72, 72 + 60 * i, 180, 48) for i in range(signers)
        ),
    )
    moment = created or NOW
    request = Request(
        id=str(uuid.uuid4()),
        provider=provider,
        spec=spec,
        status=status,
        created_at=moment,
        updated_at=moment,
        sent_at=None if status in (Status.QUEUED, Status.FAILED) else moment,
    )
    ctx.requests.add(request, str(uuid.uuid4()))
    return request


def add_many(ctx: Context, count: int, prefix: str = "Lease") -> list[Request]:
    """``count`` requests a minute apart in one transaction; returned newest first."""
    made: list[Request] = []
    with ctx.database.write():
        for n in range(count):
            made.append(
                add_request(
                    ctx, f"{prefix} {n:04d}", signers=1, created=NOW - timedelta(minutes=count - n)
                )
            )
    return made[::-1]


def send_local(qtbot: QtBot, bridge: AsyncBridge, ctx: Context, tmp_path: Path) -> str:
    """A ``local`` request sent the way ``sealbox send`` sends it (prepare, then deliver)."""
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_text((72, 80), "Berth lease", fontsize=20)
    doc.save(pdf)
    doc.close()
    spec = RequestSpec(
        name="Berth lease 2026",
        recipients=(
            Recipient("Jane", "Doe", "jane@example.com"),
            Recipient("Bob", "Roe", "bob@example.com", order=2),
        ),
        fields=(
            Field(0, FieldType.SIGNATURE, 1, 72, 600, 180, 48),
            Field(1, FieldType.SIGNATURE, 1, 300, 600, 180, 48),
        ),
    )
    request = prepare(ctx, pdf, spec, provider_id="local")
    sent: list[Request] = []
    bridge.start(deliver(ctx, request.id), on_done=sent.append)
    qtbot.waitUntil(lambda: bool(sent), timeout=WAIT_MS)
    assert sent[0].status == Status.SENT
    return request.id


def open_page(qtbot: QtBot, ctx: Context, bridge: AsyncBridge) -> RequestsPage:
    page = RequestsPage(ctx, bridge)
    qtbot.addWidget(page)
    page.resize(1280, 760)
    page.show()
    qtbot.waitExposed(page)
    return page


def names(model: RequestsModel) -> list[str]:
    return [str(model.data(model.index(r, 0))) for r in range(model.rowCount())]


class Warnings:
    """Records QMessageBox.warning calls instead of opening a modal dialog."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, str]] = []
        monkeypatch.setattr("app.ui.requests.page.QMessageBox.warning", self)

    def __call__(self, _parent: object, title: str, text: str) -> None:
        self.seen.append((title, text))


# --- the model ---------------------------------------------------------------------------------


def test_the_model_passes_the_model_tester_with_filters_and_paging(
    qtmodeltester: Any, ctx: Context
) -> None:
    made = add_many(ctx, 450)
    add_request(ctx, "Signed charter", status=Status.COMPLETED, provider="craftkit")
    model = RequestsModel(ctx.store)
    # The tester checks the model now (nothing read yet) and again after every change below.
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    model.refresh()
    assert model.rowCount() == FIRST_PAGE and model.total == 451
    assert model.columnCount() == len(COLUMNS)
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == FIRST_PAGE + PAGE_SIZE
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 451 and not model.canFetchMore(QModelIndex())
    # A refresh inserts what is new and removes what is gone, row by row.
    add_request(ctx, "Newest", created=NOW + timedelta(hours=1))
    with ctx.database.write() as db:
        db.execute("DELETE FROM requests WHERE id = ?", [made[5].id])
    model.refresh()
    assert model.rowCount() == 451 and names(model)[:2] == ["Newest", "Signed charter"]
    assert model.row_of(made[5].id) == -1 and model.row_of(made[6].id) == 7
    model.set_filter(RequestFilter(statuses=frozenset({Status.COMPLETED})))
    assert names(model) == ["Signed charter"] and not model.canFetchMore(QModelIndex())
    model.set_filter(RequestFilter(search="lease 0449"))
    assert names(model) == ["Lease 0449"]
    model.set_filter(RequestFilter(provider="itasign"))
    assert model.rowCount() == 0


def test_rows_show_name_provider_progress_status_and_times(ctx: Context) -> None:
    first = add_request(ctx, "Lease A", signers=3)
    ctx.requests.apply_report(
        first.id,
        Report(
            status=Status.VIEWED,
            recipients=(RecipientReport(0, signed_at=NOW), RecipientReport(1, signed_at=NOW)),
        ),
    )
    add_request(
        ctx, "Charter", status=Status.QUEUED, provider="saypdf", created=NOW - timedelta(hours=1)
    )
    model = RequestsModel(ctx.store)
    model.refresh()
    row = [model.data(model.index(0, c)) for c in range(len(COLUMNS))]
    assert row[:4] == ["Lease A", "In person", "2 of 3 signed", "Viewed"]
    assert row[4] == short_when(NOW)  # sent
    assert row[5] == short_when(ctx.requests.get(first.id).updated_at)  # the report's time
    assert short_when(datetime(2024, 3, 5, 12, tzinfo=UTC), today=NOW) == "05 Mar 2024"
    assert short_when(NOW, today=NOW) == NOW.astimezone().strftime("%d %b %H:%M")
    assert NOW.astimezone().strftime("%Y-%m-%d %H:%M") in str(
        model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole)
    )
    assert model.data(model.index(0, 0), ID_ROLE) == first.id
    assert model.data(model.index(0, STATUS_COLUMN), STATUS_ROLE) == "viewed"
    assert [model.data(model.index(1, c)) for c in (1, 2, 3, 4)] == [
        "SayPDF",
        "0 of 2 signed",
        "Queued",
        "—",
    ]
    assert "Not sent yet" in str(model.data(model.index(1, 4), Qt.ItemDataRole.ToolTipRole))
    assert model.headerData(3, Qt.Orientation.Horizontal) == "Status"
    assert model.data(model.index(5, 0)) is None


def test_five_thousand_rows_are_read_a_page_at_a_time(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    fill(ctx, 5000)
    page = open_page(qtbot, ctx, bridge)
    model = page.model
    assert model.total == 5000
    assert model.rowCount() == FIRST_PAGE  # the first paint reads a screenful only
    fetches = 0
    while model.canFetchMore(QModelIndex()):
        page.table.scrollToBottom()  # the view asks for the next page
        QApplication.processEvents()
        fetches += 1
    assert model.rowCount() == 5000 and 0 < fetches <= -(-(5000 - FIRST_PAGE) // PAGE_SIZE)
    created = [r.created_at for r in model.rows]
    assert created == sorted(created, reverse=True)
    assert len({r.id for r in model.rows}) == 5000
    # The last row is the oldest request, and it can be shown.
    oldest = ctx.store.search.page(RequestFilter(), 4999, 1)[0]
    assert model.rows[-1].id == oldest.id


def test_refresh_keeps_the_selection_and_reload_row_updates_one_row(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    made = add_many(ctx, 5)
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(made[2].id)
    newer = add_request(ctx, "Newest lease", created=NOW + timedelta(minutes=5))
    ctx.requests.set_status(made[2].id, Status.VIEWED)
    page.refresh()
    assert page.model.rows[0].id == newer.id
    assert page.selected_id() == made[2].id
    assert page.table.selectionModel().selectedRows()[0].row() == 3
    assert page.model.data(page.model.index(3, STATUS_COLUMN)) == "Viewed"
    ctx.requests.set_status(made[2].id, Status.CANCELLED)
    assert page.model.reload_row(made[2].id)
    assert page.model.data(page.model.index(3, STATUS_COLUMN)) == "Cancelled"
    assert page.selected_id() == made[2].id
    assert not page.model.reload_row("no-such-id")


def test_a_refresh_keeps_a_selection_further_down_than_it_reads(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = add_many(ctx, 450)
    monkeypatch.setattr("app.ui.requests.model.REFRESH_LIMIT", 250)
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(made[420].id)
    page.refresh()
    assert page.selected_id() == made[420].id
    assert page.model.rows[420].id == made[420].id


def test_show_request_reads_down_to_an_old_request_and_clears_filters(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    made = add_many(ctx, 450)
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(made[-1].id)
    assert page.selected_id() == made[-1].id and page.model.rowCount() == 450
    page.status_box.setCurrentIndex(page.status_box.findText("Completed"))
    assert page.model.rowCount() == 0
    assert page.show_request(made[0].id)
    assert page.status_box.currentText() == "All" and page.selected_id() == made[0].id
    assert not page.show_request("no-such-id")


# --- the filter bar ----------------------------------------------------------------------------


def test_filter_combos_and_search_narrow_the_rows(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    add_request(ctx, "Berth lease", status=Status.COMPLETED, emails=["jane@harbour.test"])
    add_request(
        ctx,
        "Crew contract",
        status=Status.VIEWED,
        provider="craftkit",
        created=NOW - timedelta(days=3),
        emails=["bob@acme.test"],
    )
    add_request(ctx, "Fuel order", status=Status.QUEUED, created=NOW - timedelta(days=12))
    add_request(ctx, "Old charter", status=Status.DECLINED, created=NOW - timedelta(days=400))
    page = open_page(qtbot, ctx, bridge)
    model = page.model
    assert names(model) == ["Berth lease", "Crew contract", "Fuel order", "Old charter"]
    assert page.count_label.text() == "4 requests"

    page.status_box.setCurrentIndex(page.status_box.findText("In flight"))
    assert names(model) == ["Crew contract", "Fuel order"]  # queued counts as in flight
    page.provider_box.setCurrentIndex(page.provider_box.findData("craftkit"))
    assert names(model) == ["Crew contract"]
    page.status_box.setCurrentIndex(page.status_box.findText("All"))
    page.provider_box.setCurrentIndex(0)
    page.date_box.setCurrentIndex(page.date_box.findText("Last 7 days"))
    assert names(model) == ["Berth lease", "Crew contract"]
    page.date_box.setCurrentIndex(page.date_box.findText("Last 30 days"))
    assert names(model) == ["Berth lease", "Crew contract", "Fuel order"]
    page.date_box.setCurrentIndex(page.date_box.findText("Any time"))
    page.status_box.setCurrentIndex(page.status_box.findText("Declined"))
    assert names(model) == ["Old charter"] and page.count_label.text() == "1 request"
    page.status_box.setCurrentIndex(0)

    # The search waits for typing to pause, then matches names, recipients and emails.
    qtbot.keyClicks(page.search, "harbour")
    assert page.search_timer.isActive() and len(names(model)) == 4
    qtbot.waitUntil(lambda: names(model) == ["Berth lease"], timeout=WAIT_MS)
    page.search.clear()
    qtbot.keyClicks(page.search, "bob@acme")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # Enter searches at once
    assert names(model) == ["Crew contract"] and not page.search_timer.isActive()

    qtbot.keyClicks(page.search, " nothing")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.list_stack.currentWidget() is page.empty
    assert page.empty_label.text() == NO_MATCH and page.clear_button.isVisible()
    qtbot.mouseClick(page.clear_button, LEFT)
    assert page.search.text() == "" and len(names(model)) == 4
    assert page.list_stack.currentWidget() is page.table


def test_an_empty_store_says_so(qtbot: QtBot, ctx: Context, bridge: AsyncBridge) -> None:
    page = open_page(qtbot, ctx, bridge)
    assert page.list_stack.currentWidget() is page.empty
    assert page.empty_label.text() == EMPTY_STORE and not page.clear_button.isVisible()
    assert page.count_label.text() == "0 requests"
    assert page.details.stack.currentWidget() is page.details.placeholder
    assert page.selected_id() is None
    page.refresh_selected()  # nothing selected: nothing happens
    page.cancel_selected()
    page.download_selected()


# --- details and actions -----------------------------------------------------------------------


def test_details_show_recipients_links_history_and_copy(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    request = add_request(ctx, "Charter BK-12345", provider="craftkit", signers=3)
    link = "https://sign.example.com/s/abc123"
    later = datetime.now(UTC) + timedelta(minutes=1)  # after the request was queued
    ctx.requests.apply_report(
        request.id,
        Report(
            status=Status.DECLINED,
            recipients=(
                RecipientReport(0, viewed_at=later, signed_at=later + timedelta(minutes=5)),
                RecipientReport(
                    1,
                    viewed_at=later,
                    declined_at=later + timedelta(minutes=9),
                    decline_reason="Wrong hire figure",
                ),
                RecipientReport(2, signing_url=link),
            ),
            error_message="Wrong hire figure",
        ),
    )
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(request.id)
    details = page.details
    assert details.stack.currentWidget() is details.scroll_area
    assert details.title.text() == "Charter BK-12345"
    assert details.badge.text() == "Declined"
    assert details.progress.text() == "1 of 3 signed"
    assert details.facts["Provider"].text() == "Craftkit"
    assert details.facts["Finished"].text().startswith("Declined ")
    assert details.facts["Note"].text() == "Wrong hire figure"
    states = [v.state_label.text() for v in details.recipient_views]
    assert "Signed " in states[0] and "Viewed " in states[0]
    assert "Declined " in states[1] and "“Wrong hire figure”" in states[1]
    assert states[2] == "Did not sign"
    assert details.recipient_views[0].link_edit is None
    view = details.recipient_views[2]
    assert view.link_edit is not None and view.link_edit.text() == link
    assert view.copy_button is not None
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(view.copy_button, LEFT)
    assert QGuiApplication.clipboard().text() == link
    assert view.copy_button.text() == "Copied"
    history = details.history_texts()
    assert history[-1] == "Queued to send through Craftkit"  # oldest last
    assert "Declined by R1 Doe — Wrong hire figure" in history
    assert any(h.startswith("Signed by R0 Doe") for h in history)
    # The request was declined because R1 declined: said once, by R1's line.
    assert not any(h.startswith("Declined —") or h == "Declined" for h in history)
    assert not any("→" in h for h in history)
    # Craftkit can cancel, but not a finished request; nothing to download or sign here.
    assert not details.cancel_button.isEnabled()
    assert not details.download_button.isEnabled()
    assert not details.archive_button.isEnabled()
    assert details.sign_button.isHidden()


def test_cancel_a_local_request_from_the_details_pane(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = send_local(qtbot, bridge, ctx, tmp_path)
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(request_id)
    details = page.details
    assert details.cancel_button.isEnabled() and details.refresh_button.isEnabled()
    assert not details.sign_button.isHidden()  # a local request whose signer is next
    with qtbot.waitSignal(page.signNow, timeout=WAIT_MS) as asked:
        qtbot.mouseClick(details.sign_button, LEFT)
    assert asked.args == [request_id]

    qtbot.mouseClick(details.cancel_button, LEFT)
    dialog = page.cancel_dialog
    assert dialog is not None
    assert "Berth lease 2026" in dialog.question.text()
    qtbot.keyClicks(dialog.reason_edit, "  Customer changed the terms ")
    with qtbot.waitSignal(page.requestChanged, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.cancel_button, LEFT)
        assert not details.cancel_button.isEnabled()  # while it runs
    stored = ctx.requests.get(request_id)
    assert stored.status == Status.CANCELLED
    assert stored.error_message == "Customer changed the terms"
    row = page.model.row_of(request_id)
    assert page.model.data(page.model.index(row, STATUS_COLUMN)) == "Cancelled"
    assert details.badge.text() == "Cancelled"
    assert details.history_texts()[0] == "Cancelled — “Customer changed the terms”"
    assert not details.cancel_button.isEnabled() and details.sign_button.isHidden()
    assert page.selected_id() == request_id


def test_a_refused_action_shows_its_message(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings = Warnings(monkeypatch)
    elsewhere = add_request(ctx, "Signature.nc lease", provider="signature_nc")
    local = add_request(ctx, "Local lease", created=NOW - timedelta(minutes=1))
    page = open_page(qtbot, ctx, bridge)

    # A provider that cannot cancel: the button says why and stays disabled; asked anyway,
    # the refusal is shown and nothing changes.
    assert page.show_request(elsewhere.id)
    assert not page.details.cancel_button.isEnabled()
    assert "does not offer cancelling" in page.details.cancel_button.toolTip()
    page.cancel_selected()
    assert warnings.seen[-1][0] == "Cancel request"
    assert "does not offer cancelling" in warnings.seen[-1][1]
    assert ctx.requests.get(elsewhere.id).status == Status.SENT

    # A refusal from the service, after the action started.
    assert page.show_request(local.id)
    with qtbot.waitSignal(page.requestChanged, timeout=WAIT_MS):
        page.download_selected()
    assert warnings.seen[-1][0] == "Download" and "not completed" in warnings.seen[-1][1]
    assert ctx.requests.get(local.id).status == Status.SENT
    assert page.details.cancel_button.isEnabled()  # usable again
    # The reason takes at most what the service accepts; dismissing the dialog cancels nothing.
    page.cancel_selected()
    dialog = page.cancel_dialog
    assert dialog is not None
    dialog.reason_edit.setText("x" * 501)
    assert len(dialog.reason_edit.text()) == 500
    qtbot.mouseClick(dialog.keep_button, LEFT)
    assert page.cancel_dialog is None
    assert not bridge.busy and ctx.requests.get(local.id).status == Status.SENT


def test_refresh_download_and_open_in_archive(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings = Warnings(monkeypatch)
    overdue = add_request(ctx, "Overdue lease", created=NOW - timedelta(days=30))
    done = add_request(ctx, "Done lease", status=Status.COMPLETED, created=NOW - timedelta(days=40))
    ctx.store.archive.record(done.id, "2026/01/2026-01-02 Done lease x", [], None)
    page = open_page(qtbot, ctx, bridge)
    assert page.show_request(overdue.id)
    with qtbot.waitSignal(page.requestChanged, timeout=WAIT_MS):
        qtbot.mouseClick(page.details.refresh_button, LEFT)
    assert page.details.badge.text() == "Expired"
    assert page.model.data(page.model.index(0, STATUS_COLUMN)) == "Expired"

    assert page.show_request(done.id)
    assert page.details.download_button.isEnabled()
    assert page.details.archive_button.isEnabled()
    with qtbot.waitSignal(page.openInArchive, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(page.details.archive_button, LEFT)
    assert opened.args == [done.id]
    assert warnings.seen == []


def test_the_status_column_is_painted_as_a_pill(
    qtbot: QtBot, ctx: Context, bridge: AsyncBridge
) -> None:
    add_request(ctx, "Signed", status=Status.COMPLETED)
    page = open_page(qtbot, ctx, bridge)
    delegate = page.table.itemDelegateForColumn(STATUS_COLUMN)
    assert isinstance(delegate, StatusBadgeDelegate)
    image = page.table.viewport().grab().toImage()
    rect = page.table.visualRect(page.model.index(0, STATUS_COLUMN))
    y = rect.center().y()
    colours = {image.pixelColor(x, y).name() for x in range(rect.left(), rect.right())}
    assert "#2e7d32" in colours  # the completed green
