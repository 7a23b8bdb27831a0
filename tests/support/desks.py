"""Many desks on one store and one archive folder, as ``tests/e2e/test_many_desks.py`` and
``tests/bench/sync_desks.py`` run them (and the request ``tests/contract/test_webhooks.py`` sends).

An :class:`Office` is one store (a SQLite file's path or a PostgreSQL address), one archive
folder, Craftkit's loopback fake, and a Sealbox home per desk under one folder: each desk has its
own data folder, so its own lock files, and only the store's leases keep the desks apart. The
requests are sent through the fake first, by two desks at once, a process each
(:meth:`Office.send`: ``app.services.send``, the outbox and its keys in the shared store, as
``sealbox send`` does). Each desk then runs ``sealbox sync --json`` again and again, a separate
process each (:class:`Desks`, :class:`Run`), while the fake completes the requests still open; a
fifth desk (:class:`Victim`) claims its first batch of leases, is killed -9 holding them, and
then syncs again with the others. :func:`exactly_once` makes the checks: every request created
once at the fake, its signed PDF and certificate downloaded exactly once (counted at the fake),
one archive folder each, none left staged, no lease left, the killed desk's requests left to it
while its leases ran and archived by the others after, ``sealbox archive verify`` all intact.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf
from psycopg.conninfo import conninfo_to_dict

from app.context import Context
from app.domain.model import Request, RequestSpec
from app.services.send import send
from app.store.leases import Lease
from tests.conftest import ROOT, run_sealbox, sealbox_env
from tests.e2e.test_bad_input import SPEC
from tests.fakes.base import ProviderFake
from tests.fakes.craftkit import CraftkitFake

#: Desks sending the requests at once (a process each), and each one's sends in flight.
SENDERS = 2
SEND_CONCURRENCY = 4


def one_page_pdf(path: Path, text: str) -> Path:
    """A one-page PDF reading ``text``, written to ``path``."""
    doc = pymupdf.open()
    try:
        doc.new_page().insert_text((72, 72), text)
        doc.save(path)
    finally:
        doc.close()
    return path


def spec(name: str) -> dict[str, Any]:
    """A request spec named ``name``: one signer (Jane Doe), one signature field on page 1."""
    return {**SPEC, "name": name}


async def send_request(
    ctx: Context, fake: ProviderFake, pdf: Path, spec_json: dict[str, Any]
) -> Request:
    """Send ``pdf`` with ``spec_json`` through ``fake``'s provider (a Craftkit render first)."""
    render = None
    if isinstance(fake, CraftkitFake):
        render = fake.add_render(pdf.read_bytes())
    request_spec = RequestSpec.from_json(spec_json)
    return await send(ctx, pdf, request_spec, provider_id=fake.provider_id, render_id=render)


def _send_share(env: dict[str, str], pdf: Path, jobs: list[tuple[str, str]]) -> None:
    """Send ``pdf`` once for each (name, Craftkit render id) of ``jobs`` at the desk of
    ``env`` (in a sender process of :meth:`Office.send`)."""
    ctx = Context.from_environment(env)
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(name: str, render: str) -> None:
        async with gate:
            request_spec = RequestSpec.from_json(spec(name))
            await send(ctx, pdf, request_spec, provider_id="craftkit", render_id=render)

    async def run() -> None:
        try:
            await asyncio.gather(*(one(name, render) for name, render in jobs))
        finally:
            await ctx.aclose()

    try:
        asyncio.run(run())
    finally:
        ctx.close()


def store_address(url: str) -> tuple[str, dict[str, str]]:
    """A ``postgresql://`` URL holding a password, as a desk names it: the address without the
    password, and the environment that gives the password (as the keyring would)."""
    parts = conninfo_to_dict(url)
    password = str(parts.pop("password"))
    address = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    return address, {"SEALBOX_STORE_PASSWORD": password}


@dataclass
class Office:
    """Desks' homes under ``root`` sharing the store at ``address`` and one archive folder."""

    root: Path
    address: str
    fake: CraftkitFake
    #: The environment giving the store's password (none for a SQLite file).
    secrets: dict[str, str] = field(default_factory=dict)
    #: Every desk's lease (seconds) unless a desk is given its own.
    lease_s: float = 10
    archive: Path = field(init=False)

    def __post_init__(self) -> None:
        self.archive = self.root / "archive"
        self.archive.mkdir(parents=True, exist_ok=True)

    def env(self, desk: str, **extra: str) -> dict[str, str]:
        """The environment of ``sealbox`` at ``desk`` (its home made on first use)."""
        home = self.root / desk
        if not home.exists():
            home.mkdir()
            (home / "config.toml").write_text(f'archive_dir = "{self.archive}"\n', encoding="utf-8")
        return {
            "SEALBOX_HOME": str(home),
            "SEALBOX_DATABASE_URL": self.address,
            "SEALBOX_STORE_LEASE_S": str(self.lease_s),
            **self.secrets,
            **self.fake.env(),
            **extra,
        }

    def send(self, count: int, *, senders: int = SENDERS) -> float:
        """``count`` requests sent through Craftkit, shared out between ``senders`` desks
        sending at once, each in a process of its own (their outbox keys in the shared store);
        seconds taken."""
        pdf = self.root / "agreement.pdf"
        if not pdf.exists():
            one_page_pdf(pdf, "Service agreement")
        data = pdf.read_bytes()
        jobs = [(f"Service agreement {n:04d}", self.fake.add_render(data)) for n in range(count)]
        began = time.perf_counter()
        if senders == 1:  # in this process
            _send_share(self.env("sender0"), pdf, jobs)
            return time.perf_counter() - began
        with ProcessPoolExecutor(senders, mp_context=multiprocessing.get_context("spawn")) as pool:
            shares = [
                pool.submit(_send_share, self.env(f"sender{k}"), pdf, jobs[k::senders])
                for k in range(senders)
            ]
            for share in shares:
                share.result()
        return time.perf_counter() - began

    def complete(self, envelopes: list[str]) -> None:
        """The signer signs each of ``envelopes`` at the fake."""
        for envelope in envelopes:
            self.fake.advance(envelope, "completed")

    def archived(self) -> int:
        """Requests archived so far: their folders (year/month/request), whole ones only."""
        found = 0
        for year in self.archive.iterdir():
            if year.name.startswith("."):  # .staging: folders being made, renamed when whole
                continue
            for month in year.iterdir():
                with os.scandir(month) as entries:  # polled often: no stat of each entry
                    found += sum(1 for e in entries if e.is_dir(follow_symlinks=False))
        return found

    def staged(self) -> list[Path]:
        """What is left in the archive's staging folder (nothing, once every desk is done)."""
        staging = self.archive / ".staging"
        return sorted(staging.iterdir()) if staging.exists() else []

    def leases(self) -> list[Lease]:
        """The store's leases (expired or not), read through the store as a desk reads it."""
        ctx = Context.from_environment(self.env("reader"))
        try:
            return ctx.store.leases.held()
        finally:
            ctx.close()


_NUMBERS = itertools.count(1)


@dataclass
class SyncPass:
    """One ``sealbox sync --json`` process; its output goes to files (a pipe nobody reads
    while it runs would stop it once its report fills the pipe)."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def result(self, timeout: float = 600) -> dict[str, Any]:
        """Its report, once it has ended (exit 0, or 3: a service could not be reached)."""
        self.proc.wait(timeout=timeout)
        stderr = self.err.read_text(encoding="utf-8", errors="replace").strip()
        assert self.proc.returncode in (0, 3), f"sync exited {self.proc.returncode}: {stderr}"
        report: dict[str, Any] = json.loads(self.out.read_text(encoding="utf-8"))
        return report

    def left_to(self, pid: int) -> set[str]:
        """The requests this pass left to the desk of process ``pid`` (it held their leases)."""
        left: dict[str, str] = self.result().get("leftInFlight", {})
        return {rid for rid, why in left.items() if f"pid {pid})" in why}


def start_sync(office: Office, desk: str, **extra: str) -> SyncPass:
    """Start ``sealbox sync --json`` at ``desk`` (``extra``: more of its environment)."""
    out = office.root / "passes" / f"{desk}-{next(_NUMBERS)}.out"
    out.parent.mkdir(exist_ok=True)
    err = out.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "sync", "--json"],
            stdout=stdout,
            stderr=stderr,
            env=sealbox_env(office.env(desk, **extra)),
            cwd=ROOT,
        )
    return SyncPass(proc, out, err)


@dataclass
class Victim:
    """A desk started with a lease of ``lease_s`` that stops as soon as it holds its first batch
    of leases (``SEALBOX_PAUSE_AT=lease-claimed``) and is killed -9 there, holding them."""

    office: Office
    lease_s: float
    name: str = "deskE"
    sync: SyncPass | None = None
    #: Once killed: its process id, the requests whose leases it held, and how many were
    #: archived then.
    pid: int | None = None
    held: list[str] = field(default_factory=list)
    killed_at: int = 0
    #: How many times a desk's pass left one of them to it (its lease still running).
    left: int = 0

    @property
    def marks(self) -> Path:
        return self.office.root / "marks"

    def start(self) -> None:
        self.marks.mkdir(exist_ok=True)
        self.sync = start_sync(
            self.office,
            self.name,
            SEALBOX_REACHED_DIR=str(self.marks),
            SEALBOX_PAUSE_AT="lease-claimed",
            SEALBOX_STORE_LEASE_S=str(self.lease_s),
        )

    def step(self) -> bool:
        """Start the desk, or kill it -9 if it holds its first leases now (True once killed);
        start it again if its pass ended finding no request free."""
        if self.pid is not None:
            return True
        if self.sync is None:
            self.start()
            return False
        proc = self.sync.proc
        if (self.marks / f"lease-claimed-{proc.pid}").exists():
            self._kill()
            return True
        if proc.poll() is not None:  # a pass that found nothing free: again
            self.sync.result()
            self.start()
        return False

    def kill_once_claimed(self, timeout: float = 120) -> None:
        """Start the desk, wait until it holds its first leases, and kill it -9 there (when
        there are requests free for it to claim)."""
        deadline = time.monotonic() + timeout
        while not self.step():
            assert time.monotonic() < deadline, f"{self.name} claimed no lease in {timeout:.0f} s"
            time.sleep(0.02)  # polling for its mark

    def _kill(self) -> None:
        assert self.sync is not None
        proc = self.sync.proc
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        self.pid = proc.pid
        self.held = [x.request_id for x in self.office.leases() if self.holds(x)]
        self.killed_at = self.office.archived()

    def holds(self, lease: Lease) -> bool:
        return self.pid is not None and lease.holder.endswith(f"pid {self.pid}")


@dataclass
class Desks:
    """The desks' ``sealbox sync`` processes, each started again as soon as it ends."""

    office: Office
    names: list[str]
    #: The desk killed -9 (what each pass left to it is counted there).
    victim: Victim | None = None
    running: dict[str, SyncPass] = field(default_factory=dict)
    passes: int = 0

    def ended(self) -> list[str]:
        """The desks with no pass running (their last one read)."""
        idle = []
        for name in self.names:
            running = self.running.get(name)
            if running is not None and running.proc.poll() is None:
                continue
            if running is not None:
                self._collect(self.running.pop(name))
            idle.append(name)
        return idle

    def start(self, names: list[str]) -> None:
        for name in names:
            self.running[name] = start_sync(self.office, name)

    def keep_going(self) -> None:
        """Start a new pass at each desk whose last one has ended."""
        self.start(self.ended())

    def _collect(self, running: SyncPass) -> None:
        self.passes += 1
        if self.victim is not None and self.victim.pid is not None:
            self.victim.left += len(running.left_to(self.victim.pid))
        else:
            running.result()

    def stop(self) -> None:
        """Let the passes still running finish, and read them."""
        for running in self.running.values():
            self._collect(running)
        self.running.clear()


@dataclass
class Run:
    """The desks syncing until every request is archived, the fake completing ``pending``
    (``step`` of them every ``step_s`` seconds) meanwhile; once ``kill_at`` requests are
    archived the desks' victim is killed -9 holding its first leases, and its desk then syncs
    with the others."""

    office: Office
    desks: Desks
    count: int
    pending: list[str]
    kill_at: int = 0
    step: int = 50
    step_s: float = 0.5
    deadline_s: float = 900

    def __call__(self) -> float:
        """Seconds from the desks' start to the last request archived (the passes then still
        running are finished and read)."""
        began = time.monotonic()
        next_step = began
        deadline = began + self.deadline_s
        while (archived := self.office.archived()) < self.count:
            assert time.monotonic() < deadline, (
                f"only {archived} of {self.count} requests archived in {self.deadline_s:.0f} s"
            )
            self.desks.keep_going()
            victim = self.desks.victim
            due = victim is not None and victim.pid is None and archived >= self.kill_at
            if due and victim is not None and victim.step():
                # Its desk starts Sealbox again and syncs with the others from now on: its
                # first pass finds the leases its dead process held still running.
                self.desks.names.append(victim.name)
                self.desks.keep_going()
            if self.pending and time.monotonic() >= next_step:
                self.office.complete(self.pending[: self.step])
                del self.pending[: self.step]
                next_step = time.monotonic() + self.step_s
            time.sleep(0.05)  # polling the processes and the archive folder
        took = time.monotonic() - began
        self.desks.stop()
        return took


def exactly_once(office: Office, count: int, victim: Victim | None = None) -> dict[str, bool]:
    """The checks once every desk is done, each labelled with what was found: every request
    created once at the fake, its signed PDF and certificate downloaded exactly once, one archive
    folder each, nothing staged, no lease left (the victim's taken over and its requests
    archived), ``sealbox archive verify --json`` all intact."""
    fake = office.fake
    downloads = Counter(r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/download"))
    certificates = Counter(
        r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/certificate")
    )
    creates = len(fake.requests_to("POST", "/v1/signatures"))
    envelopes = len(fake.envelope_ids())
    archived, staged, leases = office.archived(), office.staged(), office.leases()
    verified = run_sealbox(
        "archive", "verify", "--json", env_extra=office.env("deskB"), timeout=900
    )
    report = json.loads(verified.stdout) if verified.stdout else {}
    in_archive = {f["requestId"] for f in report.get("files", [])}
    bad = [f["path"] for f in report.get("files", []) if not f.get("ok")]
    said = f", said {verified.stderr.strip()[-300:]!r}" if verified.returncode else ""
    checks = {
        f"created once at the fake ({envelopes} envelopes, {creates} creates)": (
            envelopes == count and creates == count
        ),
        f"signed PDF downloaded exactly once each ({len(downloads)} requests, "
        f"at most {max(downloads.values(), default=0)} times)": (
            len(downloads) == count and set(downloads.values()) == {1}
        ),
        f"certificate downloaded exactly once each ({len(certificates)} requests, "
        f"at most {max(certificates.values(), default=0)} times)": (
            len(certificates) == count and set(certificates.values()) == {1}
        ),
        f"one archive folder each ({archived})": archived == count,
        f"nothing left staged ({len(staged)})": not staged,
        f"no lease left ({len(leases)})": not leases,
        f"archive verify: exit {verified.returncode}, ok={report.get('ok')}, "
        f"{len(in_archive)} requests, failed {bad[:3]}{said}": (
            verified.returncode == 0 and report.get("ok") is True and len(in_archive) == count
        ),
    }
    if victim is not None and victim.pid is None:
        checks[f"{victim.name} killed -9 in the middle: it held no lease before the end"] = False
    elif victim is not None:
        taken = set(victim.held) & in_archive
        checks[
            f"{victim.name} killed -9 (pid {victim.pid}) at {victim.killed_at} archived holding "
            f"{len(victim.held)} leases; left to it {victim.left} times while they ran, then "
            f"taken over: {len(taken)} of its requests archived by the others"
        ] = bool(victim.held) and victim.left > 0 and taken == set(victim.held)
    return checks


def failed(checks: dict[str, bool]) -> list[str]:
    return [label for label, ok in checks.items() if not ok]
