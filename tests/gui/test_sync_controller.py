"""Background sync in the app: finishes sends, refreshes on its own, notifies, shows offline,
and never stalls the window while 1,000 requests sync."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from pytestqt.qtbot import QtBot

from app.context import Context
from app.domain.lifecycle import Status
from app.services.send import deliver, prepare
from app.services.sync import SyncResult
from app.ui.bridge import AsyncBridge
from app.ui.sync_controller import SyncController
from tests.bench.providers import spec_for
from tests.fakes.saypdf import SayPdfFake
from tests.support import pdfgen

HEARTBEAT_REQUESTS = 1000


@pytest.fixture
def saypdf(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SayPdfFake]:
    fake = SayPdfFake()
    fake.start()
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def ctx(saypdf: SayPdfFake) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


@pytest.fixture
def controller(ctx: Context, bridge: AsyncBridge, qtbot: QtBot) -> Iterator[SyncController]:
    sync = SyncController(ctx, bridge)
    yield sync
    qtbot.waitUntil(lambda: not sync.running, timeout=60_000)
    sync.stop()
    # Deleted here, on the GUI thread: left to the garbage collector, a QObject owning a timer
    # may be destroyed on whichever thread collects it.
    sync.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    closed: list[bool] = []
    bridge.start(ctx.aclose(), on_done=lambda _: closed.append(True))  # the HTTP clients
    qtbot.waitUntil(lambda: closed == [True])


def queue(ctx: Context, tmp_path: Path, count: int) -> list[str]:
    pdf = pdfgen.write(tmp_path / "charter.pdf", pdfgen.text_pdf(["Charter handover"]))
    spec = spec_for("saypdf", "Charter handover")
    return [prepare(ctx, pdf, spec, provider_id="saypdf").id for _ in range(count)]


def run_sync(qtbot: QtBot, controller: SyncController, timeout: int = 60_000) -> SyncResult:
    with qtbot.waitSignal(controller.synced, timeout=timeout) as done:
        assert controller.sync_now()
    result = done.args[0]
    assert isinstance(result, SyncResult)
    return result


def test_first_sync_delivers_queued_sends_then_waits_for_the_interval(
    qtbot: QtBot, ctx: Context, controller: SyncController, saypdf: SayPdfFake, tmp_path: Path
) -> None:
    ids = queue(ctx, tmp_path, 2)
    changed: list[list[str]] = []
    controller.requestsChanged.connect(changed.append)
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        controller.start()
    assert [ctx.requests.get(i).status for i in ids] == [Status.SENT, Status.SENT]
    assert changed and set(ids) <= set(changed[0])
    assert controller.online and controller._timer.isActive()
    assert controller._timer.remainingTime() > (controller.interval_s - 5) * 1000
    with qtbot.waitSignal(controller.synced, timeout=10_000):
        assert controller.sync_now()
        assert not controller.sync_now()  # one sync at a time


def test_a_sync_asked_for_again_while_one_runs_starts_as_soon_as_it_ends(
    qtbot: QtBot, ctx: Context, controller: SyncController, saypdf: SayPdfFake, tmp_path: Path
) -> None:
    results: list[SyncResult] = []
    controller.synced.connect(results.append)
    assert controller.sync_now()
    assert not controller.sync_now(again=True)  # the store came back during this sync
    ids = queue(ctx, tmp_path, 1)  # what the running one may not have seen
    qtbot.waitUntil(lambda: len(results) == 2, timeout=30_000)
    assert ctx.requests.get(ids[0]).status == Status.SENT
    # Then back to the interval, not once more.
    qtbot.waitUntil(lambda: not controller.running, timeout=30_000)
    assert controller._timer.remainingTime() > (controller.interval_s - 5) * 1000


def test_finished_requests_are_archived_and_notified(
    qtbot: QtBot, ctx: Context, controller: SyncController, saypdf: SayPdfFake, tmp_path: Path
) -> None:
    done_id, declined_id = queue(ctx, tmp_path, 2)
    run_sync(qtbot, controller)
    envelopes = {ctx.requests.get(i).provider_id: i for i in (done_id, declined_id)}
    by_request = {v: k for k, v in envelopes.items()}
    saypdf.advance(str(by_request[done_id]), "completed")
    saypdf.advance(str(by_request[declined_id]), "declined")
    notes: list[tuple[str, str]] = []
    controller.notified.connect(lambda title, text: notes.append((title, text)))
    result = run_sync(qtbot, controller)
    assert result.changed == {done_id: "completed", declined_id: "declined"}
    assert done_id in result.archived and ctx.store.archive.folder(done_id)
    assert sorted(notes) == [
        ("Declined", "'Charter handover' was declined."),
        ("Signed", "'Charter handover' was signed by everyone."),
    ]


def test_no_notification_when_they_are_turned_off(
    qtbot: QtBot, ctx: Context, controller: SyncController, saypdf: SayPdfFake, tmp_path: Path
) -> None:
    (request_id,) = queue(ctx, tmp_path, 1)
    run_sync(qtbot, controller)
    saypdf.advance(str(ctx.requests.get(request_id).provider_id), "expired")
    ctx.settings.notifications = False
    notes: list[str] = []
    controller.notified.connect(lambda title, text: notes.append(title))
    assert run_sync(qtbot, controller).changed == {request_id: "expired"}
    assert notes == []


def test_unreachable_providers_show_offline_and_back_off(
    qtbot: QtBot,
    ctx: Context,
    controller: SyncController,
    bridge: AsyncBridge,
    saypdf: SayPdfFake,
    tmp_path: Path,
) -> None:
    queue(ctx, tmp_path, 1)
    run_sync(qtbot, controller)
    # The network goes away: the provider's address now leads to a port nobody listens on.
    closed: list[bool] = []
    bridge.start(ctx.aclose(), on_done=lambda _: closed.append(True))
    qtbot.waitUntil(lambda: closed == [True])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx.environ = {**ctx.environ, "SEALBOX_SAYPDF_BASE_URL": f"http://127.0.0.1:{port}"}
    states: list[bool] = []
    controller.onlineChanged.connect(states.append)
    result = run_sync(qtbot, controller)
    assert result.offline and result.unavailable == {"saypdf"}
    assert states == [False] and not controller.online
    assert controller.next_delay_s() == 2 * controller.interval_s
    assert controller._timer.remainingTime() > controller.interval_s * 1000


@pytest.mark.slow
def test_the_window_never_stalls_while_1000_requests_sync(
    qtbot: QtBot,
    ctx: Context,
    controller: SyncController,
    bridge: AsyncBridge,
    saypdf: SayPdfFake,
    tmp_path: Path,
) -> None:
    ids = queue(ctx, tmp_path, HEARTBEAT_REQUESTS)

    async def deliver_all() -> None:
        for request_id in ids:
            await deliver(ctx, request_id)

    done: list[bool] = []
    bridge.start(deliver_all(), on_done=lambda _: done.append(True))
    qtbot.waitUntil(lambda: done == [True], timeout=120_000)
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    heartbeat.start()
    try:
        result = run_sync(qtbot, controller, timeout=120_000)
    finally:
        heartbeat.stop()
    assert len(result.refreshed) == HEARTBEAT_REQUESTS
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    longest = max(gaps)
    print(
        f"longest UI stall during a {HEARTBEAT_REQUESTS}-request sync: {longest * 1000:.1f} ms "
        f"({len(ticks)} heartbeats)"
    )
    assert longest < 0.1, f"the UI stalled for {longest * 1000:.0f} ms"
    assert asyncio.get_event_loop() is bridge.loop
