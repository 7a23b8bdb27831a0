"""Many desks syncing one shared store: throughput with 1 and with 5 desks, and the issue's
many-desks run (5 desks, 1,000 requests, one desk killed -9 in the middle); prints its figures
and the exactly-once checks (it exits 1 when a check fails).

Run on demand (pytest ignores ``tests/bench``; PostgreSQL's programs must be installed: a
throwaway server is started as the tests start theirs)::

    uv run --frozen python -m tests.bench.sync_desks [--requests N] [--only throughput|kill]

Each scenario has a database of its own on the throwaway server, one archive folder and a
Sealbox home per desk (each with its own data folder, so only the store's leases keep the desks
apart), as ``tests/e2e/test_many_desks.py`` sets them up. The requests are sent through
Craftkit's loopback fake from one desk in this process (``app.services.send``, the outbox and
its keys, as ``sealbox send`` does), then each desk runs ``sealbox sync --json`` again and again,
a separate process each, until every request is archived.

1. Throughput: every request completed at the fake before the desks start; requests archived a
   second (wall time from the first desk's start to the last request archived), with 1 desk and
   with 5.
2. The many-desks run: half the requests completed before the desks start and the rest while
   they work (50 every half second); when a third are archived a fifth desk starts, claims its
   first batch of leases and is killed -9 there (``SEALBOX_PAUSE_AT=lease-claimed``), holding
   them; the four others leave those requests to it until its leases expire
   (``SEALBOX_STORE_LEASE_S``: 30 s for it, 10 s for the others), then take them over.

After each: every request was created once at the fake (no duplicate create), its signed PDF
and certificate downloaded exactly once (counted at the fake), one archive folder each, none
left staged, no lease of the killed desk left, and ``sealbox archive verify`` all intact.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pymupdf

from tests.bench.core import isolate, section
from tests.conftest import ROOT, run_sealbox, sealbox_env
from tests.fakes.craftkit import CraftkitFake
from tests.support import pgserver

REQUESTS = 1000
#: Every desk's lease (seconds).
LEASE_S = 10
#: The killed desk's lease: long enough for the others' next passes to find its requests held
#: (a pass over 1,000 requests takes tens of seconds), as a desk configured so would.
KILLED_LEASE_S = 30
#: Completed at the fake at each step while the desks work (scenario 2).
COMPLETE_STEP = 50
STEP_S = 0.5
DEADLINE_S = 1800


@dataclass
class Scenario:
    """A database, an archive folder and the desks' homes under ``root``."""

    root: Path
    server: pgserver.PgServer
    fake: CraftkitFake
    name: str
    address: str = ""
    archive: Path = field(init=False)

    def __post_init__(self) -> None:
        with psycopg.connect(self.server.socket_url(), autocommit=True) as conn:
            conn.execute(
                psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(self.name))
            )
        self.address = f"postgresql://{pgserver.SUPERUSER}@127.0.0.1:{self.server.port}/{self.name}"
        self.archive = self.root / self.name / "archive"
        self.archive.mkdir(parents=True)

    def env(self, desk: str, **extra: str) -> dict[str, str]:
        home = self.root / self.name / desk
        if not home.exists():
            home.mkdir()
            (home / "config.toml").write_text(f'archive_dir = "{self.archive}"\n', encoding="utf-8")
        return {
            "SEALBOX_HOME": str(home),
            "SEALBOX_DATABASE_URL": self.address,
            "SEALBOX_STORE_PASSWORD": pgserver.PASSWORD,
            "SEALBOX_STORE_LEASE_S": str(LEASE_S),
            **self.fake.env(),
            **extra,
        }

    def archived(self) -> int:
        """Requests archived so far: their folders (year/month/request), whole ones only."""
        found = 0
        for year in self.archive.iterdir():
            if year.name.startswith("."):  # .staging: folders being made, renamed when whole
                continue
            for month in year.iterdir():
                found += sum(1 for p in month.iterdir() if p.is_dir())
        return found

    def leases(self) -> list[tuple[str, str]]:
        with psycopg.connect(self.server.socket_url(self.name), autocommit=True) as conn:
            return [
                (str(r[0]), str(r[1]))
                for r in conn.execute("SELECT request_id, holder FROM leases")
            ]


def send_all(scenario: Scenario, count: int) -> float:
    """``count`` requests sent through Craftkit from desk 0 in this process; seconds taken."""
    from app.context import Context
    from app.domain.model import RequestSpec
    from app.services.send import send

    pdf = scenario.root / "agreement.pdf"
    if not pdf.exists():
        doc = pymupdf.open()
        doc.new_page().insert_text((72, 72), "Service agreement")
        doc.save(pdf)
        doc.close()
    data = pdf.read_bytes()
    ctx = Context.from_environment(scenario.env("desk0"))

    async def run() -> None:
        try:
            for n in range(count):
                render = scenario.fake.add_render(data)
                spec = RequestSpec.from_json(_spec(n))
                await send(ctx, pdf, spec, provider_id="craftkit", render_id=render)
        finally:
            await ctx.aclose()

    began = time.perf_counter()
    try:
        asyncio.run(run())
    finally:
        ctx.close()
    return time.perf_counter() - began


def _spec(n: int) -> dict[str, Any]:
    return {
        "name": f"Service agreement {n:04d}",
        "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 180,
                "height": 48,
            }
        ],
    }


_NUMBERS = itertools.count(1)


@dataclass
class Pass:
    """One ``sealbox sync --json`` process; its output goes to files (a pipe nobody reads
    while it runs would stop it once its report fills the pipe)."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def result(self) -> dict[str, Any]:
        """Its report, once it has ended (exit 0, or 3: a service could not be reached)."""
        self.proc.wait(timeout=600)
        if self.proc.returncode not in (0, 3):
            raise SystemExit(
                f"a desk's sync failed ({self.proc.returncode}): {self.err.read_text().strip()}"
            )
        report: dict[str, Any] = json.loads(self.out.read_text())
        return report


def start_sync(scenario: Scenario, desk: str, **extra: str) -> Pass:
    """Start ``sealbox sync --json`` at ``desk``."""
    n = next(_NUMBERS)
    out = scenario.root / scenario.name / f"{desk}-{n}.out"
    err = out.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "sync", "--json"],
            stdout=stdout,
            stderr=stderr,
            env=sealbox_env(scenario.env(desk, **extra)),
            cwd=ROOT,
        )
    return Pass(proc, out, err)


@dataclass
class Desks:
    """The desks' ``sealbox sync`` processes, each started again as soon as it ends."""

    scenario: Scenario
    names: list[str]
    running: dict[str, Pass] = field(default_factory=dict)
    passes: int = 0
    left_to_killed: int = 0
    killed_pid: int | None = None

    def keep_going(self) -> None:
        for name in self.names:
            running = self.running.get(name)
            if running is not None and running.proc.poll() is None:
                continue
            if running is not None:
                self._collect(running)
            self.running[name] = start_sync(self.scenario, name)

    def _collect(self, running: Pass) -> None:
        self.passes += 1
        result = running.result()
        if self.killed_pid is not None:
            self.left_to_killed += sum(
                1
                for why in result.get("leftInFlight", {}).values()
                if f"pid {self.killed_pid})" in why
            )

    def stop(self) -> None:
        """Let the passes still running finish, and read them."""
        for running in self.running.values():
            self._collect(running)
        self.running.clear()


def run_until_archived(
    scenario: Scenario, desks: Desks, count: int, pending: list[str], victim: Victim | None
) -> float:
    """Keep the desks syncing until ``count`` requests are archived; complete ``pending`` at
    the fake as they work; let ``victim`` do its part. Seconds taken."""
    began = time.perf_counter()
    next_step = began
    deadline = time.monotonic() + DEADLINE_S
    while scenario.archived() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {scenario.archived()} of {count} archived in {DEADLINE_S} s")
        desks.keep_going()
        if pending and time.perf_counter() >= next_step:
            for envelope in pending[:COMPLETE_STEP]:
                scenario.fake.advance(envelope, "completed")
            del pending[:COMPLETE_STEP]
            next_step = time.perf_counter() + STEP_S
        if victim is not None and victim.killed_pid is None:
            desks.killed_pid = victim.step()
        time.sleep(0.05)
    took = time.perf_counter() - began
    desks.stop()
    return took


@dataclass
class Victim:
    """A fifth desk started once ``kill_at`` requests are archived (again, if a pass of it
    found no request free), killed -9 as soon as it holds its first batch of leases."""

    scenario: Scenario
    kill_at: int
    proc: Pass | None = None
    killed_pid: int | None = None

    def step(self) -> int | None:
        """Start, watch or kill the desk; its pid once killed."""
        scenario = self.scenario
        marks = scenario.root / scenario.name / "marks"
        if self.proc is None:
            if scenario.archived() < self.kill_at:
                return None
            marks.mkdir(exist_ok=True)
            self.proc = start_sync(
                scenario,
                "deskE",
                SEALBOX_REACHED_DIR=str(marks),
                SEALBOX_PAUSE_AT="lease-claimed",
                SEALBOX_STORE_LEASE_S=str(KILLED_LEASE_S),
            )
            return None
        proc = self.proc.proc
        if not (marks / f"lease-claimed-{proc.pid}").exists():
            if proc.poll() is not None:  # a pass that found nothing free: again
                self.proc.result()
                self.proc = None
            return None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        self.killed_pid = proc.pid
        held = [rid for rid, holder in scenario.leases() if holder.endswith(f"pid {proc.pid}")]
        print(
            f"  killed -9 desk E (pid {proc.pid}) at {scenario.archived()} archived, "
            f"holding {len(held)} leases (they expire after {KILLED_LEASE_S} s)",
            flush=True,
        )
        return self.killed_pid


def check(scenario: Scenario, count: int, killed_pid: int | None) -> list[str]:
    """The exactly-once checks, printed; the failed ones returned."""
    fake = scenario.fake
    downloads = Counter(r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/download"))
    certificates = Counter(
        r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/certificate")
    )
    creates = len(fake.requests_to("POST", "/v1/signatures"))
    staging = scenario.archive / ".staging"
    verified = run_sealbox(
        "archive", "verify", "--json", env_extra=scenario.env("deskB"), timeout=1800
    )
    report = (
        json.loads(verified.stdout) if verified.returncode in (0, 1) and verified.stdout else {}
    )
    checks = {
        f"created once at the fake ({len(fake.envelope_ids())} envelopes, {creates} creates)": (
            len(fake.envelope_ids()) == count and creates == count
        ),
        f"signed PDF downloaded exactly once each ({len(downloads)} requests, "
        f"at most {max(downloads.values(), default=0)} times)": len(downloads) == count
        and set(downloads.values()) == {1},
        f"certificate downloaded exactly once each ({len(certificates)} requests, "
        f"at most {max(certificates.values(), default=0)} times)": len(certificates) == count
        and set(certificates.values()) == {1},
        f"one archive folder each ({scenario.archived()})": scenario.archived() == count,
        "nothing left staged": not staging.exists() or not any(staging.iterdir()),
        f"archive verify: exit {verified.returncode}, ok={report.get('ok')}, "
        f"{len({f['requestId'] for f in report.get('files', [])})} requests": verified.returncode
        == 0
        and report.get("ok") is True
        and len({f["requestId"] for f in report.get("files", [])}) == count,
    }
    if killed_pid is not None:
        left = [h for _, h in scenario.leases() if h.endswith(f"pid {killed_pid}")]
        checks[f"the killed desk's leases taken over ({len(left)} left)"] = not left
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    return [label for label, ok in checks.items() if not ok]


def throughput(
    root: Path, server: pgserver.PgServer, count: int, desks: int
) -> tuple[float, list[str]]:
    with CraftkitFake() as fake:
        scenario = Scenario(root, server, fake, f"desks{desks}")
        sent = send_all(scenario, count)
        print(
            f"  {count:,} requests sent in {sent:.1f} s ({count / sent:.1f} a second)", flush=True
        )
        for envelope in fake.envelope_ids():
            fake.advance(envelope, "completed")
        running = Desks(scenario, [f"desk{chr(ord('A') + k)}" for k in range(desks)])
        took = run_until_archived(scenario, running, count, [], None)
        rate = count / took
        print(
            f"  {desks} desk(s): {count:,} archived in {took:.1f} s: {rate:.1f} a second "
            f"({running.passes} sync passes)"
        )
        return rate, check(scenario, count, None)


def many_desks(root: Path, server: pgserver.PgServer, count: int) -> list[str]:
    with CraftkitFake() as fake:
        scenario = Scenario(root, server, fake, "killed")
        sent = send_all(scenario, count)
        print(
            f"  {count:,} requests sent in {sent:.1f} s ({count / sent:.1f} a second)", flush=True
        )
        envelopes = fake.envelope_ids()
        for envelope in envelopes[: count // 2]:
            fake.advance(envelope, "completed")
        running = Desks(scenario, ["deskA", "deskB", "deskC", "deskD"])
        victim = Victim(scenario, count // 3)
        took = run_until_archived(scenario, running, count, envelopes[count // 2 :], victim)
        print(
            f"  4 desks and a killed fifth: {count:,} archived in {took:.1f} s "
            f"({count / took:.1f} a second, {running.passes} sync passes; "
            f"{running.left_to_killed} times a request was left to the killed desk)"
        )
        failed = check(scenario, count, running.killed_pid)
        if running.killed_pid is None:
            failed.append("the fifth desk was never killed (every request archived first)")
            print(f"  FAIL {failed[-1]}")
        elif running.left_to_killed == 0:
            failed.append("no desk found a request leased by the killed desk")
            print("  FAIL no desk found a request leased by the killed desk")
        return failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--only", choices=("throughput", "kill"))
    args = parser.parse_args()
    if not pgserver.available():
        print(pgserver.INSTALL_HINT)
        return 1
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as name:
        root = Path(name)
        isolate(root / "home", root / "keyring.json")
        server = pgserver.start()
        try:
            print(
                f"Many desks on one PostgreSQL store: {args.requests:,} requests, "
                f"{os.cpu_count()} CPUs"
            )
            rates: dict[int, float] = {}
            if args.only in (None, "throughput"):
                for desks in (1, 5):
                    section(f"sync throughput, {desks} desk(s)")
                    rates[desks], bad = throughput(root, server, args.requests, desks)
                    failed += bad
            if args.only in (None, "kill"):
                section("5 desks, one killed -9 in the middle, the provider completing meanwhile")
                began = time.perf_counter()
                failed += many_desks(root, server, args.requests)
                print(
                    f"  the whole run (sends, syncs, checks): {time.perf_counter() - began:.0f} s"
                )
            if rates:
                print(
                    "\nrequests archived a second: "
                    + ", ".join(f"{d} desk(s) {r:.1f}" for d, r in rates.items())
                )
        finally:
            server.stop()
    print("all checks passed" if not failed else f"FAILED: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
