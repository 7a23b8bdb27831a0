"""Send to many: a 1,000-row run against the SayPDF loopback fake, and the stamping cost.

The run goes as the app runs it: on the qasync event loop with a 10 ms heartbeat timer on the Qt
event loop, each row's stamping and checks in a worker thread, and the objects made before the
run left out of garbage collections while it runs (``old_objects_left_alone``). Prints the rows
sent a second, the longest gap between heartbeats (the longest UI stall; goal at most 100 ms),
the process's peak memory at the end, and the cost of stamping one row's values into a 20-page
document (the per-row stamp, median of 50).

Run: ``uv run python -m tests.bench.bulk_send``.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.context import Context
from app.domain.geometry import Rect
from app.domain.model import RequestSpec
from app.pdf.stamp import Stamp, default_handwriting_font, stamp_pdf
from app.services.bulk import checks, mapping, run, sheet
from app.ui.bridge import close_loop, install_loop
from app.ui.gc_guard import GcGuard, old_objects_left_alone
from tests.bench.core import Summary, isolate, ms, section
from tests.fakes.saypdf import SayPdfFake
from tests.support import pdfgen

ROWS = 1000
STAMPS = 50

SPEC = {
    "name": "Renewal",
    "recipients": [{"firstName": "Customer", "lastName": "", "email": "c@example.com"}],
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
            "recipientIndex": 0,
            "type": "text",
            "page": 1,
            "x": 72,
            "y": 120,
            "width": 150,
            "height": 20,
            "label": "Amount",
        },
    ],
}


def write_sheet(path: Path, rows: int) -> Path:
    lines = ["Name;Email;Amount"] + [
        f"Person {i:04d};person{i}@example.com;{i},00 €" for i in range(1, rows + 1)
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


def bench_run(tmp: Path, summary: Summary) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = install_loop(app)
    guard = GcGuard(app)
    fake = SayPdfFake()
    fake.start()
    try:
        isolate(tmp / "home", tmp / "keyring.json")
        os.environ.update(fake.env())
        ctx = Context.from_environment()
        pdf = pdfgen.write(tmp / "renewal.pdf", pdfgen.text_pdf(["Renewal agreement"]))
        spec = RequestSpec.from_json(json.loads(json.dumps(SPEC)))
        section(f"{ROWS:,} rows to the SayPDF fake, stamped with each row's amount")
        began = time.perf_counter()
        table = sheet.read_sheet(write_sheet(tmp / "people.csv", ROWS))
        plan = checks.plan_run(
            ctx, pdf, spec, table, mapping.guess(spec, table), provider_id="saypdf"
        )
        run_id = run.start(ctx, pdf, plan)
        checked = time.perf_counter() - began
        ticks: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
        heartbeat.start()
        began = time.perf_counter()
        outcomes = loop.run_until_complete(old_objects_left_alone(run.proceed(ctx, run_id)))
        sent_in = time.perf_counter() - began
        heartbeat.stop()
        counts = run.summary(outcomes)
        assert counts["sent"] == ROWS and len(fake.envelope_ids()) == ROWS, counts
        stall = max(b - a for a, b in itertools.pairwise(ticks))
        gaps = sorted(b - a for a, b in itertools.pairwise(ticks))
        summary.add(f"read, map and check {ROWS:,} rows, record the run", ms(checked))
        summary.add(
            f"send {ROWS:,} rows (stamp, outbox, create)",
            f"{sent_in:.1f} s = {ROWS / sent_in:.0f} rows/s",
        )
        summary.add("longest UI stall during the run", ms(stall))
        summary.add("  99th percentile of the heartbeat gaps", ms(gaps[int(len(gaps) * 0.99)]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary.add("peak memory of the process at the end (RSS)", f"{peak:.0f} MiB")
        loop.run_until_complete(ctx.aclose())
        ctx.close()
    finally:
        fake.stop()
        guard.stop()
        close_loop(loop)


def bench_stamp(tmp: Path, summary: Summary) -> None:
    section(f"stamping one row's values into a 20-page document ({STAMPS} times)")
    data = pdfgen.text_pdf([f"Page {i} of the contract" for i in range(1, 21)])
    font = default_handwriting_font()
    times = []
    for i in range(STAMPS):
        stamps = [
            Stamp(1, Rect(72, 120, 150, 20), "text", f"{i},00 €"),
            Stamp(20, Rect(72, 160, 200, 20), "text", f"Person {i:04d}"),
        ]
        began = time.perf_counter()
        stamp_pdf(data, stamps, font)
        times.append(time.perf_counter() - began)
    summary.add(
        "stamp two values into a 20-page PDF, per row (median)", ms(statistics.median(times))
    )
    summary.add("  slowest", ms(max(times)))


def main() -> int:
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-bulk-") as name:
        tmp = Path(name)
        bench_stamp(tmp, summary)
        bench_run(tmp, summary)
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
