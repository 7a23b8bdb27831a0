"""Provider benchmarks: ``sync`` against a fake on loopback, and the memory of a 20 MB upload.

Run on demand (pytest ignores ``tests/bench``)::

    uv run python -m tests.bench.providers [--profile]

Like ``tests/bench/core.py`` (and the ``home`` fixture of ``tests/conftest.py``), everything runs
with a temporary ``SEALBOX_HOME`` and a file-backed keyring. It prints its figures and asserts
nothing except that the work it times really happened. It measures:

1. ``app.services.sync.sync`` refreshing 1,000 in-flight requests at the SayPDF fake (a real HTTP
   server on 127.0.0.1, started in this process): wall time, requests per second, the rows the
   store gained, and the most requests the fake ever had in flight at once (which must stay <=
   ``PER_PROVIDER_CONCURRENCY``). The 1,000 requests are first sent in process through
   ``app.services.send.send`` (timed too), as ``sealbox send`` would. The refresh runs again with
   20 ms of latency added at the fake (on loopback the answers are too quick to overlap, so only
   then is the bound reached). Then the fake completes every request and ``sync`` runs once more,
   refreshing, downloading and archiving all 1,000. With ``--profile``, one more refresh-only
   sync and the archiving sync run under cProfile and the top of each profile is printed.
2. The peak memory of uploading a ~19.5 MB PDF (incompressible noise images, under the 20 MB
   limit) to each remote provider: every provider's ``create()`` is called directly, in a fresh
   subprocess per provider, against that provider's fake running in this (parent) process, so
   the fake's own copies of the document do not count. The child reports the tracemalloc peak of
   Python allocations during the call and its peak RSS growth: ``VmHWM`` (reset through
   ``/proc/self/clear_refs`` just before the call) minus the RSS before it, and the
   ``ru_maxrss`` growth, which on Linux is useless here because a subprocess inherits its
   parent's peak RSS.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import importlib
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.errors import SealboxError
from app.pdf.document import MAX_PDF_BYTES, check_pdf
from app.services import sync as sync_service
from app.services.send import send
from tests.bench.core import Summary, isolate, ms, section, size_text
from tests.fakes.base import FakeRequest, FakeResponse, ProviderFake
from tests.fakes.saypdf import SayPdfFake

ROOT = Path(__file__).resolve().parent.parent.parent

SYNC_REQUESTS = 1_000
#: Requests completed at the fake, then refreshed, downloaded and archived by one sync (all of
#: them: this takes well under a minute on a 2-core machine).
ARCHIVE_REQUESTS = 1_000
#: Seconds each answer of the fake is held back in the second refresh run.
LATENCY = 0.020
UPLOAD_TARGET_BYTES = int(19.5 * 1024 * 1024)
UPLOAD_PAGES = 8
CHILD_TIMEOUT = 120.0
SENDER = {"SEALBOX_SENDER_NAME": "Ada Office", "SEALBOX_SENDER_EMAIL": "ada@example.com"}

#: Every remote provider and its fake, in the order they are measured.
FAKES: dict[str, tuple[str, str]] = {
    "craftkit": ("tests.fakes.craftkit", "CraftkitFake"),
    "signature_nc": ("tests.fakes.signature_nc", "SignatureNcFake"),
    "signicat": ("tests.fakes.signicat", "SignicatFake"),
    "saypdf": ("tests.fakes.saypdf", "SayPdfFake"),
    "itasign": ("tests.fakes.itasign", "ItaSignFake"),
}
#: Providers whose signers place their own signatures (or sign by identity): no fields.
NO_FIELDS = {"signicat", "itasign"}

#: Environment of the upload child (set by the parent).
CHILD_PROVIDER = "BENCH_UPLOAD_PROVIDER"
CHILD_PDF = "BENCH_UPLOAD_PDF"
CHILD_SMALL_PDF = "BENCH_UPLOAD_SMALL_PDF"
CHILD_RENDER = "BENCH_UPLOAD_RENDER_ID"
CHILD_SMALL_RENDER = "BENCH_UPLOAD_SMALL_RENDER_ID"
CHILD_PAGES = "BENCH_UPLOAD_PAGES"

MB = 1024 * 1024


def mb(size: float) -> str:
    return f"{size / MB:,.1f} MB"


# --- documents and specs ----------------------------------------------------------------------


def small_pdf(path: Path, title: str) -> Path:
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_text((72, 72), title)
    doc.save(path)
    doc.close()
    return path


def noise_pdf(path: Path, target: int = UPLOAD_TARGET_BYTES, pages: int = UPLOAD_PAGES) -> Path:
    """A valid PDF of about ``target`` bytes: ``pages`` Letter pages, each with an RGB image of
    random noise (incompressible, so the file stays as large as the pixels)."""
    per_page = (target - 40_000) // pages
    side = int((per_page / 3) ** 0.5)
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=612, height=792)
        pixmap = pymupdf.Pixmap(pymupdf.csRGB, side, side, os.urandom(side * side * 3), 0)
        page.insert_image(pymupdf.Rect(56, 120, 556, 620), pixmap=pixmap)
        page.insert_text((72, 72), f"Noise page {number} of {pages}", fontsize=14)
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    size = path.stat().st_size
    if size > MAX_PDF_BYTES:
        raise SystemExit(f"the generated PDF is {size:,} bytes, over the {MAX_PDF_BYTES:,} limit")
    return path


def spec_for(provider_id: str, name: str) -> RequestSpec:
    """One signer, with one signature field where the provider takes placed fields (Signicat
    and ItaSign signers place their own); Signature.nc needs the last name, which is given."""
    fields = (
        []
        if provider_id in NO_FIELDS
        else [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 650,
                "width": 180,
                "height": 48,
                "required": True,
            }
        ]
    )
    return RequestSpec.from_json(
        {
            "name": name,
            "expirationHours": 168,
            "recipients": [
                {
                    "firstName": "Jane",
                    "lastName": "Doe",
                    "email": "jane@example.com",
                    "designation": "Signer",
                    "order": 1,
                }
            ],
            "fields": fields,
        }
    )


# --- 1. sync against the SayPDF fake ---------------------------------------------------------


class CountingSayPdfFake(SayPdfFake):
    """The SayPDF fake, counting the requests inside ``dispatch`` at once.

    The counter has a lock of its own: the fake's lock is held for the whole of each ``dispatch``
    (the fake answers one request at a time), so counting under it would serialise the counting
    too and hide any concurrency. A request counts as in flight from the moment its handler
    thread has read it and enters ``dispatch`` (waiting for the fake's lock included) until
    ``dispatch`` returns its answer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.counter_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.handled = 0
        self.busy = 0.0
        #: Seconds every answer is held back, outside the fake's lock (a network's latency).
        self.latency = 0.0

    def reset_counters(self) -> None:
        with self.counter_lock:
            self.in_flight = 0
            self.max_in_flight = 0
            self.handled = 0
            self.busy = 0.0

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.counter_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        elapsed = 0.0
        try:
            if self.latency:
                time.sleep(self.latency)
            start = time.perf_counter()
            try:
                return super().dispatch(request)
            finally:
                elapsed = time.perf_counter() - start
        finally:
            with self.counter_lock:
                self.in_flight -= 1
                self.handled += 1
                self.busy += elapsed


@dataclass
class SyncFigures:
    requests: int
    seconds: float
    refreshed: int
    archived: int
    changed: int
    errors: dict[str, str]
    waiting: int
    max_in_flight: int
    fake_requests: int
    fake_busy: float


async def timed_sync(
    ctx: Context, fake: CountingSayPdfFake, count: int, profile: cProfile.Profile | None = None
) -> SyncFigures:
    fake.reset_counters()
    start = time.perf_counter()
    if profile is not None:
        profile.enable()
    try:
        result = await sync_service.sync(ctx)
    finally:
        if profile is not None:
            profile.disable()
    seconds = time.perf_counter() - start
    return SyncFigures(
        count,
        seconds,
        len(result.refreshed),
        len(result.archived),
        len(result.changed),
        dict(result.errors),
        len(result.waiting),
        fake.max_in_flight,
        fake.handled,
        fake.busy,
    )


def print_sync(label: str, figures: SyncFigures, summary: Summary) -> None:
    bound = sync_service.PER_PROVIDER_CONCURRENCY
    rate = figures.requests / figures.seconds
    per = figures.seconds / figures.requests
    verdict = "holds" if figures.max_in_flight <= bound else "BROKEN"
    print(
        f"  {label}: {figures.seconds:.2f} s wall, {rate:,.0f} requests/s ({ms(per)} per request)"
    )
    print(
        f"    refreshed {figures.refreshed:,}, changed {figures.changed:,}, archived "
        f"{figures.archived:,}, waiting {figures.waiting}, errors {len(figures.errors)}"
    )
    print(
        f"    the fake answered {figures.fake_requests:,} HTTP requests and spent "
        f"{figures.fake_busy:.2f} s of the {figures.seconds:.2f} s handling them (one at a "
        "time, under its lock; simulated latency excluded)"
    )
    print(
        f"    most requests in flight at the fake at once: {figures.max_in_flight} "
        f"(PER_PROVIDER_CONCURRENCY = {bound}: the bound {verdict})",
        flush=True,
    )
    for rid, error in list(figures.errors.items())[:3]:
        print(f"    error {rid[:8]}: {error}")
    summary.add(f"{label}: wall", f"{figures.seconds:.2f} s")
    summary.add(f"{label}: requests/s", f"{rate:,.0f}")
    summary.add(f"{label}: max in flight (bound {bound})", str(figures.max_in_flight))


def print_profile(profile: cProfile.Profile, title: str, limit: int = 30) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    print(
        f"\n  cProfile of {title} (cumulative, top entries; the fake's threads are not profiled):"
    )
    for line in out.getvalue().splitlines():
        if line.strip():
            print(f"    {line}")


async def sync_flow(
    ctx: Context, fake: CountingSayPdfFake, pdf: Path, summary: Summary, profile: bool
) -> None:
    spec = spec_for("saypdf", "Charter handover BK-1000")
    requests = ctx.requests

    start = time.perf_counter()
    for _ in range(SYNC_REQUESTS):
        sent = await send(ctx, pdf, spec, provider_id="saypdf")
        assert sent.status == Status.SENT, sent.status
    seconds = time.perf_counter() - start
    assert len(fake.envelope_ids()) == SYNC_REQUESTS
    in_flight = requests.ids_with_status([Status.SENT, Status.VIEWED])
    assert len(in_flight) == SYNC_REQUESTS, len(in_flight)
    print(
        f"  sent {SYNC_REQUESTS:,} requests in process with app.services.send.send (one after "
        f"another): {seconds:.2f} s, {ms(seconds / SYNC_REQUESTS)} per send, "
        f"{SYNC_REQUESTS / seconds:,.0f} sends/s",
        flush=True,
    )
    summary.add(f"send {SYNC_REQUESTS:,} requests in process", f"{seconds:.2f} s")
    summary.add("  per send", ms(seconds / SYNC_REQUESTS))

    before = store_figures(ctx)
    refresh = await timed_sync(ctx, fake, SYNC_REQUESTS)
    after = store_figures(ctx)
    assert refresh.refreshed == SYNC_REQUESTS, refresh
    assert refresh.changed == 0, refresh
    print_sync(f"sync, refresh {SYNC_REQUESTS:,} (status unchanged)", refresh, summary)
    grown = after.size - before.size
    print(
        f"    the store grew by {after.events - before.events:,} event rows ("
        f"{after.payload_bytes - before.payload_bytes:,} bytes of stored provider answers) and "
        f"{size_text(grown)} on disk (database + WAL), though nothing changed",
        flush=True,
    )
    summary.add(
        "  event rows added by that sync (nothing changed)", f"{after.events - before.events:,}"
    )
    if profile:
        extra = cProfile.Profile()
        await timed_sync(ctx, fake, SYNC_REQUESTS, extra)
        print_profile(extra, "one more refresh-only sync (not the timed one)")

    # The same with a network's latency at the fake, so that requests overlap there and the
    # bound is actually reached (on loopback each answer takes well under a millisecond).
    fake.latency = LATENCY
    try:
        slow = await timed_sync(ctx, fake, SYNC_REQUESTS)
    finally:
        fake.latency = 0.0
    assert slow.refreshed == SYNC_REQUESTS, slow
    print()
    print_sync(
        f"sync, refresh {SYNC_REQUESTS:,}, {LATENCY * 1000:.0f} ms latency at the fake",
        slow,
        summary,
    )
    serial = SYNC_REQUESTS * LATENCY
    ideal = serial / sync_service.PER_PROVIDER_CONCURRENCY
    print(
        f"    (latency alone: {serial:.0f} s one at a time, {ideal:.1f} s at "
        f"{sync_service.PER_PROVIDER_CONCURRENCY} at once)",
        flush=True,
    )

    # Every request completed at the fake (signed PDF and certificate generated there).
    envelopes = fake.envelope_ids()[:ARCHIVE_REQUESTS]
    start = time.perf_counter()
    for envelope in envelopes:
        fake.advance(envelope, "completed")
    print(
        f"\n  the fake completed {len(envelopes):,} requests (PyMuPDF signed PDF and certificate "
        f"for each; not timed as sync): {time.perf_counter() - start:.2f} s",
        flush=True,
    )
    profiler = cProfile.Profile() if profile else None
    archive = await timed_sync(ctx, fake, len(envelopes), profiler)
    assert archive.refreshed == len(envelopes), archive
    assert archive.archived == len(envelopes), archive
    slower = " (under cProfile: slower)" if profile else ""
    print_sync(f"sync, refresh + download + archive {len(envelopes):,}{slower}", archive, summary)
    if profiler is not None:
        print_profile(profiler, "the refresh + archive sync")
    archived = len(ctx.store.archive.archived_ids())
    print(
        f"    {archived:,} requests now in the archive; archive folder "
        f"{size_text(folder_size(ctx.paths.archive_dir))}"
    )


@dataclass
class StoreFigures:
    events: int
    payload_bytes: int
    size: int


def store_figures(ctx: Context) -> StoreFigures:
    """Rows in the events table, bytes of stored provider answers, database + WAL size."""
    db = ctx.database.db
    events, payload = db.execute(
        "SELECT count(*), coalesce(sum(length(payload_json)), 0) FROM events"
    ).fetchone()
    path = ctx.paths.database
    wal = path.with_name(path.name + "-wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return StoreFigures(int(events), int(payload), size)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_sync(tmp: Path, keyring_file: Path, summary: Summary, profile: bool) -> None:
    section(
        f"1. sync: refresh {SYNC_REQUESTS:,} in-flight requests at the SayPDF fake "
        "(in process, 127.0.0.1)"
    )
    isolate(tmp / "home-sync", keyring_file)
    fake = CountingSayPdfFake()
    fake.start()
    ctx = Context.from_environment({**os.environ, **fake.env(), **SENDER})
    try:
        pdf = small_pdf(tmp / "handover.pdf", "Charter handover BK-1000")
        print(
            f"  the fake runs on threads of this process (it shares the GIL with sync); "
            f"PER_PROVIDER_CONCURRENCY = {sync_service.PER_PROVIDER_CONCURRENCY}",
            flush=True,
        )

        async def run() -> None:
            try:
                await sync_flow(ctx, fake, pdf, summary, profile)
            finally:
                await ctx.aclose()

        asyncio.run(run())
    finally:
        ctx.close()
        fake.stop()


# --- 2. memory of a 20 MB upload ---------------------------------------------------------------


def child_request(provider_id: str, name: str, pages: int, render_id: str | None) -> Request:
    return Request(
        id=str(uuid.uuid4()),
        provider=provider_id,
        spec=spec_for(provider_id, name),
        document_name=f"{name}.pdf",
        page_count=pages,
        render_id=render_id,
    )


def proc_status(key: str) -> int | None:
    """A size from ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in bytes; None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (``VmHWM``) to its current RSS (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def ru_maxrss() -> int:
    """``ru_maxrss`` in bytes (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def upload_child() -> int:
    """In the child: one warm-up create with a one-page PDF (connection, token, lazy imports),
    then the measured create of the large PDF. Prints one JSON object."""
    provider_id = os.environ[CHILD_PROVIDER]
    big = Path(os.environ[CHILD_PDF])
    small = Path(os.environ[CHILD_SMALL_PDF])
    pages = int(os.environ[CHILD_PAGES])
    ctx = Context.from_environment()
    warm = child_request(provider_id, "warm-up", 1, os.environ.get(CHILD_SMALL_RENDER))
    measured = child_request(provider_id, "noise", pages, os.environ.get(CHILD_RENDER))
    out: dict[str, Any] = {"provider": provider_id, "size": big.stat().st_size}
    # Checked before, as ``send.prepare`` does: create gets the checked document.
    small_pdf, big_pdf = check_pdf(small), check_pdf(big)

    async def run() -> None:
        provider = ctx.provider(provider_id)
        try:
            await provider.create(warm, small_pdf, str(uuid.uuid4()))
            gc.collect()
            out["maxrss_before"] = ru_maxrss()
            out["hwm_reset"] = reset_peak_rss()
            out["rss_before"] = proc_status("VmRSS")
            tracemalloc.start()
            start = time.perf_counter()
            report = await provider.create(measured, big_pdf, str(uuid.uuid4()))
            out["seconds"] = time.perf_counter() - start
            out["traced_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out["maxrss_after"] = ru_maxrss()
            out["hwm_after"] = proc_status("VmHWM")
            out["status"] = report.status.value
        finally:
            await provider.aclose()

    try:
        asyncio.run(run())
    except SealboxError as exc:  # the provider refused: reported by the parent
        out["error"] = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
    print(json.dumps(out))
    return 0


@dataclass
class Upload:
    provider: str
    size: int
    seconds: float = 0.0
    traced_peak: int = 0
    #: Peak RSS during the call minus RSS before it (VmHWM reset before the call), or the
    #: ru_maxrss growth where that is not available.
    rss_increase: int = 0
    #: ru_maxrss after - before, and before (on Linux it starts at the parent's peak RSS).
    maxrss_increase: int = 0
    maxrss_before: int = 0
    rss_before: int = 0
    hwm: bool = False
    error: str | None = None

    @property
    def traced_ratio(self) -> float:
        return self.traced_peak / self.size

    @property
    def rss_ratio(self) -> float:
        return self.rss_increase / self.size


def start_fake(provider_id: str) -> ProviderFake:
    module, name = FAKES[provider_id]
    fake: ProviderFake = getattr(importlib.import_module(module), name)()
    fake.start()
    return fake


def measure_upload(provider_id: str, big: Path, small: Path, pages: int) -> Upload:
    size = big.stat().st_size
    try:
        fake = start_fake(provider_id)
    except (ImportError, SyntaxError, NameError, AttributeError, TypeError, OSError) as exc:
        # e.g. a provider or fake module being edited: report it and measure the others
        return Upload(
            provider_id, size, error=f"its fake does not start: {type(exc).__name__}: {exc}"
        )
    try:
        env = {
            **os.environ,
            **fake.env(),
            **SENDER,
            "PYTHONPATH": str(ROOT),
            CHILD_PROVIDER: provider_id,
            CHILD_PDF: str(big),
            CHILD_SMALL_PDF: str(small),
            CHILD_PAGES: str(pages),
        }
        if provider_id == "craftkit":
            add_render: Callable[[bytes], str] = fake.add_render  # type: ignore[attr-defined]
            env[CHILD_RENDER] = add_render(big.read_bytes())
            env[CHILD_SMALL_RENDER] = add_render(small.read_bytes())
        result = subprocess.run(
            [sys.executable, "-m", "tests.bench.providers", "--upload-child"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            return Upload(
                provider_id,
                size,
                error=f"the child failed ({result.returncode}): " + " | ".join(tail),
            )
        data = json.loads(lines[-1])
        if "error" in data:
            return Upload(provider_id, size, error=str(data["error"]))
        created = len(fake.envelope_ids())
        if created != 2:
            return Upload(provider_id, size, error=f"the fake holds {created} requests, not 2")
        maxrss_increase = int(data["maxrss_after"]) - int(data["maxrss_before"])
        hwm = bool(data["hwm_reset"]) and data["hwm_after"] is not None
        rss_before = int(data["rss_before"] or 0)
        return Upload(
            provider_id,
            size,
            seconds=float(data["seconds"]),
            traced_peak=int(data["traced_peak"]),
            rss_increase=int(data["hwm_after"]) - rss_before if hwm else maxrss_increase,
            maxrss_increase=maxrss_increase,
            maxrss_before=int(data["maxrss_before"]),
            rss_before=rss_before,
            hwm=hwm,
        )
    finally:
        fake.stop()


def verdict(upload: Upload) -> str:
    copies = max(upload.traced_ratio, upload.rss_ratio)
    if upload.provider == "craftkit":
        note = "uploads nothing (a render id); reads the render to check it"
    else:
        note = ""
    if copies < 0.5:
        text = "streamed"
    elif copies < 1.5:
        text = "one copy"
    else:
        text = f"SEVERAL COPIES (~{copies:.1f}x)"
    return f"{text}; {note}" if note else text


def bench_uploads(tmp: Path, keyring_file: Path, summary: Summary) -> list[Upload]:
    section("2. peak memory of a ~19.5 MB upload, per provider (create() in a fresh subprocess)")
    isolate(tmp / "home-upload", keyring_file)
    start = time.perf_counter()
    big = noise_pdf(tmp / "noise.pdf")
    small = small_pdf(tmp / "warm-up.pdf", "Warm-up")
    size = big.stat().st_size
    print(
        f"  document: {size:,} bytes ({mb(size)}; limit {mb(MAX_PDF_BYTES)}), {UPLOAD_PAGES} "
        f"pages of random-noise images, generated in {time.perf_counter() - start:.2f} s"
    )
    print(
        "  each child: a warm-up create with a 1-page PDF, then the measured create; the fake "
        "runs in this process\n  (its memory does not count, but its time does: the time column "
        "includes the fake reading and\n  parsing the upload)."
    )
    print(
        "  tracemalloc peak: Python allocations during the call. RSS increase: peak RSS during "
        "the call (VmHWM,\n  reset through /proc/self/clear_refs just before it) minus RSS "
        "before it; includes PyMuPDF's C memory.\n  ru_maxrss after - before is shown too.",
        flush=True,
    )
    header = (
        f"  {'provider':<13} {'tracemalloc peak':>17} {'x file':>7} {'RSS increase':>13} "
        f"{'x file':>7} {'ru_maxrss +':>12} {'time':>9}  verdict"
    )
    print("\n" + header)
    uploads: list[Upload] = []
    for provider_id in FAKES:
        upload = measure_upload(provider_id, big, small, UPLOAD_PAGES)
        uploads.append(upload)
        if upload.error:
            print(f"  {provider_id:<13} NOT MEASURED: {upload.error}", flush=True)
            summary.add(f"upload {provider_id}", "not measured")
            continue
        print(
            f"  {provider_id:<13} {mb(upload.traced_peak):>17} {upload.traced_ratio:>6.2f}x "
            f"{mb(upload.rss_increase):>13} {upload.rss_ratio:>6.2f}x "
            f"{mb(upload.maxrss_increase):>12} {ms(upload.seconds):>9}  {verdict(upload)}",
            flush=True,
        )
        summary.add(
            f"upload {provider_id}: tracemalloc peak / RSS increase",
            f"{mb(upload.traced_peak)} / {mb(upload.rss_increase)}",
        )
    measured = [u for u in uploads if not u.error]
    if measured and not all(u.hwm for u in measured):
        print("\n  (VmHWM could not be reset here: the RSS increase is the ru_maxrss growth)")
    if measured and any(u.maxrss_before > 2 * u.rss_before for u in measured):
        worst = max(measured, key=lambda u: u.maxrss_before)
        print(
            "\n  ru_maxrss is no use here: a child started by subprocess inherits the parent's "
            f"peak RSS (up to\n  {mb(worst.maxrss_before)} before the call, against an RSS of "
            f"{mb(worst.rss_before)}), so it does not grow; hence the VmHWM figure."
        )
    heavy = [u.provider for u in uploads if not u.error and max(u.traced_ratio, u.rss_ratio) >= 1.5]
    print(f"  holding the document more than once: {', '.join(heavy) or 'none'}")
    summary.add("providers holding several copies of the document", ", ".join(heavy) or "none")
    return uploads


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    if "--upload-child" in argv:
        return upload_child()
    profile = "--profile" in argv
    started = time.perf_counter()
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-providers-") as name:
        tmp = Path(name)
        keyring_file = tmp / "keyring.json"
        print(
            f"Sealbox provider benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} "
            f"CPUs, PyMuPDF {pymupdf.VersionBind}; temporary home {tmp}",
            flush=True,
        )
        bench_sync(tmp, keyring_file, summary, profile)
        bench_uploads(tmp, keyring_file, summary)
    summary.add("whole benchmark", f"{time.perf_counter() - started:.0f} s")
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
