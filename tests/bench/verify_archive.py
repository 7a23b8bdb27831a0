"""Verifying the archive offline, and what a long-term seal costs.

(a) 1,000 archived requests: one request is signed in person and archived through the real
    ``sealbox`` command (the built-in provider, this installation's seal, B-B; or, with
    ``--lta``, sealed at B-LTA by the test PKI's office certificate and timestamp authority);
    its folder is copied 1,000 times with fresh ids and the store rebuilt from the folder
    (``archive reindex``'s own function). Then:

    * ``sealbox archive verify --json`` over the whole archive, through the command (files a
      second; every file re-hashed and every signature validated and described, as the panel
      shows it), and the same in process;
    * the Archive place's **Verify all** in the app's own pieces (qasync loop, AsyncBridge,
      ArchivePage, offscreen) with a 10 ms heartbeat timer on the Qt event loop: the longest
      gap between heartbeats is the longest the window stalls.

(b) A 20-page document sealed with the test PKI's office certificate: B-B (the signature
    alone) against B-LTA (with the timestamp authority, the validation data and the document
    timestamp, all on loopback).

Run: ``uv run python -m tests.bench.verify_archive [--lta] [--requests N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.bench.core import ROOT, Summary, isolate, ms, sealbox, section
from tests.support import pdfgen
from tests.support.testpki import TestPki, start_test_pki

REQUESTS = 1000
SEAL_RUNS = 5
SEAL_PAGES = 20
SPEC = {
    "version": 1,
    "name": "Charter handover",
    "recipients": [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "designation": "Signer",
            "order": 1,
        }
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
            "required": True,
        }
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lta", action="store_true", help="archive B-LTA seals (test PKI)")
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-verify-") as name:
        tmp = Path(name)
        isolate(tmp / "home", tmp / "keyring.json")
        with start_test_pki(tmp / "pki") as pki:
            seal_cost(pki, summary)
            level = "B-B"
            if args.lta:
                configure_office_seal(tmp / "home", pki)
                level = "B-LTA"
            template = archive_one(tmp)
            pki.stop()  # verification is offline
        section(f"{args.requests:,} archived requests ({level} seals)")
        started = time.perf_counter()
        copies = copy_archive(template, args.requests)
        print(f"  copied and reindexed in {time.perf_counter() - started:.1f} s", flush=True)
        verify_cli(copies, level, summary)
        verify_in_ui(copies, level, summary)
    summary.print()
    return 0


# --- (b) the cost of a long-term seal ------------------------------------------------------


def seal_cost(pki: TestPki, summary: Summary) -> None:
    from app.providers.local.ltv import TimestampAuthority, seal_long_term
    from app.providers.local.pki import load_pkcs12_identity
    from app.providers.local.seal import seal_pdf

    section(f"B-B against B-LTA on a {SEAL_PAGES}-page document (test PKI on loopback)")
    identity = load_pkcs12_identity(pki.signer_p12, pki.p12_passphrase)
    tsa = TimestampAuthority(pki.tsa_url, trust_roots_pem=[pki.root_pem.read_bytes()], timeout=10)
    pdf = pdfgen.build_pdf(
        [pdfgen.text_page(f"Charter party, page {n}") for n in range(1, SEAL_PAGES + 1)]
    )
    basic: list[float] = []
    long_term: list[float] = []
    sizes = (0, 0)
    for _ in range(SEAL_RUNS):
        began = time.perf_counter()
        plain = seal_pdf(pdf, identity, reason="bench")
        basic.append(time.perf_counter() - began)
        began = time.perf_counter()
        sealed = asyncio.run(seal_long_term(pdf, identity, tsa, reason="bench"))
        long_term.append(time.perf_counter() - began)
        assert sealed.level == "B-LTA", sealed.reason
        sizes = (len(plain) - len(pdf), len(sealed.pdf) - len(pdf))
    b, lta = statistics.median(basic), statistics.median(long_term)
    print(f"  B-B   {', '.join(ms(s) for s in basic)}")
    print(f"  B-LTA {', '.join(ms(s) for s in long_term)}")
    summary.add(f"B-B seal, {SEAL_PAGES} pages (median of {SEAL_RUNS})", ms(b))
    summary.add(f"B-LTA seal, {SEAL_PAGES} pages (median of {SEAL_RUNS})", ms(lta))
    summary.add("  cost of B-LTA over B-B", f"+{ms(lta - b)} ({lta / b:.1f}x)")
    summary.add("  bytes added: B-B / B-LTA", f"{sizes[0]:,} / {sizes[1]:,}")


# --- (a) the archive ---------------------------------------------------------------------


def configure_office_seal(home: Path, pki: TestPki) -> None:
    (home / "config.toml").write_text(
        f'seal_pkcs12 = "{pki.signer_p12}"\n\n[timestamp]\nurl = "{pki.tsa_url}"\n'
        f'ca_file = "{pki.root_pem}"\n',
        encoding="utf-8",
    )
    os.environ["SEALBOX_LOCAL_PKCS12_PASSPHRASE"] = pki.p12_passphrase
    sealbox("archive", "trust", "add", str(pki.root_pem))


def archive_one(tmp: Path) -> Path:
    """One request signed in person and archived through the command; its folder."""
    pdf = pdfgen.write(tmp / "charter.pdf", pdfgen.text_pdf(["Charter handover", "Page 2"]))
    spec = tmp / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    _, sent = sealbox("send", str(pdf), "--spec", str(spec), "--json")
    rid = json.loads(sent.stdout)["id"]
    sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe", "--json")
    _, shown = sealbox("show", rid, "--json")
    return Path(json.loads(shown.stdout)["archive"]["files"]["signed"]["path"]).parent


def copy_archive(template: Path, count: int) -> int:
    """``count`` copies of the template folder with fresh ids, then the store rebuilt from
    the folder; returns how many requests are archived."""
    from app.archive.reindex import reindex
    from app.context import Context

    manifest = json.loads((template / "request.json").read_text(encoding="utf-8"))
    old = manifest["id"]
    for _ in range(count - 1):
        new = str(uuid.uuid4())
        target = template.parent / template.name.replace(old[:8], new[:8])
        shutil.copytree(template, target)
        manifest["id"] = new
        (target / "request.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    ctx = Context.from_environment()
    try:
        return len(reindex(ctx))
    finally:
        ctx.close()


def verify_cli(count: int, level: str, summary: Summary) -> None:
    from app.archive import audit
    from app.context import Context

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "archive", "verify", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=3600,
        check=False,
    )
    elapsed = time.perf_counter() - began
    report = json.loads(result.stdout)
    files = report["files"]
    pdfs = [f for f in files if f["path"].endswith(".pdf")]
    # Each copy's completion certificate names the template's request (it is sealed): verify
    # says so ("mismatch"), and that is the only thing it may find.
    wrong = [f for f in files if not f["ok"] and f["state"] != "mismatch"]
    assert not wrong and len(pdfs) == 2 * count, (wrong[:1], len(pdfs))
    assert all(f["signature"] == "valid" and f["signatures"][0]["chain"] for f in pdfs)
    print(f"  sealbox archive verify --json: {elapsed:.1f} s for {len(files):,} files", flush=True)
    summary.add(f"archive verify --json, {count:,} requests ({level})", f"{elapsed:.1f} s")
    summary.add("  files a second (PDFs and request.json)", f"{len(files) / elapsed:,.0f}")
    summary.add("  signed PDFs a second", f"{len(pdfs) / elapsed:,.1f}")
    ctx = Context.from_environment()
    try:
        began = time.perf_counter()
        checks = audit.verify(ctx).checks
        inproc = time.perf_counter() - began
    finally:
        ctx.close()
    summary.add("  the same in process", f"{inproc:.1f} s ({len(checks) / inproc:,.0f} files/s)")


def verify_in_ui(count: int, level: str, summary: Summary) -> None:
    """Verify all in the Archive place, with a heartbeat on the Qt event loop."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.context import Context
    from app.ui.archive.page import ArchivePage
    from app.ui.bridge import AsyncBridge, close_loop, install_loop
    from app.ui.gc_guard import GcGuard

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = install_loop(app)
    guard = GcGuard(app)
    ctx = Context.from_environment()
    bridge = AsyncBridge(loop=loop)
    page = ArchivePage(ctx, bridge)
    page.resize(1400, 800)
    page.show()
    ticks: list[float] = []

    spent: dict[str, list[float]] = {"badge": [], "keep": []}
    timed_ui_work(page, spent)

    async def idle(seconds: float) -> float:
        """The longest heartbeat gap with nothing running: the machine's own floor."""
        beats: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
        heartbeat.start()
        await asyncio.sleep(seconds)
        heartbeat.stop()
        return max(b - a for a, b in itertools.pairwise(beats))

    async def run() -> float:
        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
        finished: asyncio.Future[int] = loop.create_future()

        def ended(verified: int) -> None:
            if not finished.done():
                finished.set_result(verified)

        page.verifyFinished.connect(ended)
        heartbeat.start()
        began = time.perf_counter()
        page.verify_all_button.click()
        done = await finished
        elapsed = time.perf_counter() - began
        heartbeat.stop()
        assert done == count, done
        return elapsed

    try:
        floor = loop.run_until_complete(idle(10.0))
        elapsed = loop.run_until_complete(run())
        gaps = sorted((b - a for a, b in itertools.pairwise(ticks)), reverse=True)
        print(
            f"  Verify all in the Archive place: {elapsed:.1f} s; longest stall {ms(gaps[0])}, "
            f"next {', '.join(ms(g) for g in gaps[1:5])} ({len(ticks):,} heartbeats)",
            flush=True,
        )
        summary.add(f"Archive place Verify all, {count:,} requests", f"{elapsed:.1f} s")
        summary.add("  longest UI stall meanwhile", ms(gaps[0]))
        summary.add("  99th percentile of heartbeat gaps", ms(gaps[len(gaps) // 100]))
        summary.add("  floor: longest gap over 10 s with nothing running", ms(floor))
        summary.add("  longest badge shown (UI thread)", ms(max(spent["badge"])))
        summary.add("  longest write of the badges (UI thread)", ms(max(spent["keep"])))
    finally:
        page.shutdown()
        page.close()
        page.deleteLater()
        ctx.close()
        bridge.shutdown(wait=True)
        guard.stop()
        close_loop(loop)


def timed_ui_work(page: Any, spent: dict[str, list[float]]) -> None:
    """Time what the window's thread does for each badge and each write of the badges."""
    model = page.model
    show, keep = model.set_badge, model.keep_badges

    def set_badge(*args: Any, **kwargs: Any) -> None:
        began = time.perf_counter()
        show(*args, **kwargs)
        spent["badge"].append(time.perf_counter() - began)

    def keep_badges() -> None:
        began = time.perf_counter()
        keep()
        spent["keep"].append(time.perf_counter() - began)

    model.set_badge, model.keep_badges = set_badge, keep_badges


if __name__ == "__main__":
    raise SystemExit(main())
