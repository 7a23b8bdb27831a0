"""Many desks on one store and one archive folder: each request is refreshed, downloaded and
archived by one desk at a time (its lease), and a desk killed while holding a lease has it
taken over once it expires.

Each desk is a Sealbox home of its own (its own data folder, so its own lock files: only the
store's leases keep the desks apart), all of them naming one store by its address and one
archive folder. The store is a SQLite file, then a PostgreSQL database (``STORES``), named by
its address; the PostgreSQL password comes from the environment, as the keyring's would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from psycopg.conninfo import conninfo_to_dict

from app.context import Context
from app.domain.model import RequestSpec
from app.services.send import send
from tests.conftest import run_sealbox, start_sealbox, wait_for_files
from tests.fakes.craftkit import CraftkitFake

#: The stores the test runs on (each gives the shared store's address for a test folder).
STORES = ["sqlite", "postgresql"]
REQUESTS = 18
#: The killed desk's lease: long enough for the others' first pass to find it held.
KILLED_LEASE_S = 12
#: The other desks' leases (short: a test does not wait for long ones).
LEASE_S = 3


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


@pytest.fixture(params=STORES)
def store_address(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The shared store's address, and the environment that gives its password."""
    if request.param == "postgresql":
        parts = conninfo_to_dict(str(request.getfixturevalue("pg_url")))
        password = str(parts.pop("password"))
        address = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
        return address, {"SEALBOX_STORE_PASSWORD": password}
    folder = tmp_path / "shared"
    folder.mkdir()
    return str(folder / "sealbox.db"), {}


class Desks:
    """Sealbox homes sharing ``address`` and one archive folder."""

    def __init__(self, root: Path, address: tuple[str, dict[str, str]], fake: CraftkitFake) -> None:
        self.root = root
        self.address, self.password_env = address
        self.fake = fake
        self.archive = root / "shared-archive"

    def env(self, name: str, **extra: str) -> dict[str, str]:
        home = self.root / name
        if not home.exists():
            home.mkdir()
            (home / "config.toml").write_text(f'archive_dir = "{self.archive}"\n', encoding="utf-8")
        return {
            "SEALBOX_HOME": str(home),
            "SEALBOX_DATABASE_URL": self.address,
            "SEALBOX_STORE_LEASE_S": str(LEASE_S),
            **self.password_env,
            **self.fake.env(),
            **extra,
        }


def send_requests(desks: Desks, tmp_path: Path, count: int) -> None:
    """``count`` requests sent through Craftkit from desk 0 (in this process: faster)."""
    pdf = tmp_path / "agreement.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Service agreement")
    doc.save(pdf)
    doc.close()
    ctx = Context.from_environment(desks.env("desk0"))

    async def send_all() -> None:
        try:
            for n in range(count):
                render = desks.fake.add_render(pdf.read_bytes())
                spec = RequestSpec.from_json(_spec(n))
                await send(ctx, pdf, spec, provider_id="craftkit", render_id=render)
        finally:
            await ctx.aclose()

    try:
        asyncio.run(send_all())
    finally:
        ctx.close()


def _spec(n: int) -> dict[str, Any]:
    return {
        "name": f"Service agreement {n:02d}",
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


def synced(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode in (0, 3), err
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.slow
def test_desks_syncing_together_download_and_archive_each_request_once(
    home: Path,
    tmp_path: Path,
    fake: CraftkitFake,
    store_address: tuple[str, dict[str, str]],
) -> None:
    desks = Desks(tmp_path, store_address, fake)
    send_requests(desks, tmp_path, REQUESTS)
    envelopes = fake.envelope_ids()
    assert len(envelopes) == REQUESTS
    for envelope in envelopes[: REQUESTS // 2]:
        fake.advance(envelope, "completed")

    # Desk A claims its first leases, stops there (as a desk hangs), and is killed -9.
    marks = tmp_path / "marks"
    marks.mkdir()
    killed = start_sealbox(
        "sync",
        "--json",
        env_extra=desks.env(
            "deskA",
            SEALBOX_STORE_LEASE_S=str(KILLED_LEASE_S),
            SEALBOX_REACHED_DIR=str(marks),
            SEALBOX_PAUSE_AT="lease-claimed",
        ),
    )
    try:
        wait_for_files(marks, "lease-claimed", 1)
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.communicate(timeout=60)
    held = [lease for lease in _lease_rows(desks) if lease[1].endswith(f"pid {killed.pid}")]
    assert held, _lease_rows(desks)  # the batch it claimed: every request in flight
    taken = {request_id for request_id, _, _ in held}
    expires_ms = min(expires for _, _, expires in held)

    # Three desks sync at once, again and again, while the provider completes the rest.
    others = ["deskB", "deskC", "deskD"]
    left_to_killed = False
    pending = envelopes[REQUESTS // 2 :]
    deadline = time.monotonic() + 240
    while True:
        procs = [start_sealbox("sync", "--json", env_extra=desks.env(d)) for d in others]
        for envelope in pending[:3]:  # completed while the desks are at work
            fake.advance(envelope, "completed")
        pending = pending[3:]
        results = [synced(p) for p in procs]
        if time.time() * 1000 < expires_ms:
            # The killed desk's lease is still running: every desk left that request to it.
            for result in results:
                assert taken <= set(result["leftInFlight"]), result
                for request_id in taken:
                    assert f"pid {killed.pid})" in result["leftInFlight"][request_id]
            left_to_killed = True
        if not pending and _all_archived(desks, REQUESTS):
            break
        assert time.monotonic() < deadline, "the desks did not archive every request in time"

    assert left_to_killed, "the first pass came after the killed desk's lease had expired"
    # Taken over: no lease of the killed desk is left, and its request is archived.
    assert not [lease for lease in _lease_rows(desks) if f"pid {killed.pid}" in lease[1]]
    downloads = Counter(r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/download"))
    certificates = Counter(
        r.path for r in fake.requests_to("GET", "/v1/signatures/[^/]+/certificate")
    )
    assert len(downloads) == REQUESTS and set(downloads.values()) == {1}, downloads
    assert len(certificates) == REQUESTS and set(certificates.values()) == {1}, certificates
    folders = [p for p in desks.archive.glob("*/*/*") if p.is_dir()]
    assert len(folders) == REQUESTS
    assert not (desks.archive / ".staging").exists() or not any(
        (desks.archive / ".staging").iterdir()
    )

    verified = run_sealbox("archive", "verify", "--json", env_extra=desks.env("deskB"))
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert len({f["requestId"] for f in report["files"]}) == REQUESTS


def _lease_rows(desks: Desks) -> list[tuple[str, str, int]]:
    """The store's leases, read through the store (whichever backend the address names)."""
    ctx = Context.from_environment(desks.env("deskB"))
    try:
        return [(x.request_id, x.holder, x.expires_at) for x in ctx.store.leases.held()]
    finally:
        ctx.close()


def _all_archived(desks: Desks, count: int) -> bool:
    listed = run_sealbox("archive", "list", "--json", env_extra=desks.env("deskB"))
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    return len(data["signatures"]) == count
