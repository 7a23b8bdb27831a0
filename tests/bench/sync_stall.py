"""The longest UI stall while the app's background sync refreshes 1,000 requests.

Runs the app's own pieces (qasync loop, AsyncBridge, SyncController) against the SayPDF
loopback fake, with a 10 ms heartbeat timer on the Qt event loop; prints the longest gap between
heartbeats during the sync, and the sync's own time.

Run: ``uv run python -m tests.bench.sync_stall``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.context import Context
from app.services.send import deliver, prepare
from app.services.sync import SyncResult
from app.ui.bridge import AsyncBridge, close_loop, install_loop
from app.ui.gc_guard import GcGuard
from app.ui.sync_controller import SyncController
from tests.bench.core import Summary, isolate, ms, section
from tests.bench.providers import spec_for
from tests.fakes.saypdf import SayPdfFake
from tests.support import pdfgen

REQUESTS = 1000
ROUNDS = 3


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = install_loop(app)
    guard = GcGuard(app)
    summary = Summary()
    fake = SayPdfFake()
    fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="sealbox-bench-sync-") as name:
            tmp = Path(name)
            isolate(tmp / "home", tmp / "keyring.json")
            os.environ.update(fake.env())
            ctx = Context.from_environment()
            bridge = AsyncBridge(loop=loop)
            controller = SyncController(ctx, bridge)
            section(f"{REQUESTS:,} requests in flight at the SayPDF fake")
            pdf = pdfgen.write(tmp / "charter.pdf", pdfgen.text_pdf(["Charter handover"]))
            spec = spec_for("saypdf", "Charter handover")
            ids = [prepare(ctx, pdf, spec, provider_id="saypdf").id for _ in range(REQUESTS)]

            async def deliver_all() -> None:
                for request_id in ids:
                    await deliver(ctx, request_id)

            started = time.perf_counter()
            loop.run_until_complete(deliver_all())
            print(f"  sent in {time.perf_counter() - started:.1f} s")
            stalls: list[float] = []
            durations: list[float] = []

            async def one_round() -> None:
                ticks: list[float] = []
                heartbeat = QTimer()
                heartbeat.setInterval(10)
                heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
                finished: asyncio.Future[SyncResult] = loop.create_future()

                def done(result: SyncResult) -> None:
                    if not finished.done():
                        finished.set_result(result)

                controller.synced.connect(done)
                heartbeat.start()
                began = time.perf_counter()
                controller.sync_now()
                result = await finished
                durations.append(time.perf_counter() - began)
                heartbeat.stop()
                controller.synced.disconnect(done)
                controller.stop()
                assert len(result.refreshed) == REQUESTS, result
                stalls.append(max(b - a for a, b in itertools.pairwise(ticks)))
                print(
                    f"  sync {ms(durations[-1])}; longest UI stall {ms(stalls[-1])} "
                    f"({len(ticks)} heartbeats)",
                    flush=True,
                )

            for _ in range(ROUNDS):
                loop.run_until_complete(one_round())
            summary.add(
                f"longest UI stall while {REQUESTS:,} requests sync (worst of {ROUNDS})",
                ms(max(stalls)),
            )
            summary.add("  median of the rounds", ms(statistics.median(stalls)))
            summary.add(
                f"sync of {REQUESTS:,} in-flight requests (median)",
                ms(statistics.median(durations)),
            )
            loop.run_until_complete(ctx.aclose())
            ctx.close()
            bridge.shutdown(wait=True)
    finally:
        fake.stop()
        guard.stop()
        close_loop(loop)
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
