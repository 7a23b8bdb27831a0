"""What leases cost a sync pass: claiming and releasing the leases of 1,000 requests in flight
on this desk's SQLite store, one commit per request against one per batch of 32 (what sync does,
app/services/sync.py ``LEASE_BATCH``), and the same on PostgreSQL when it is installed (a
throwaway server, tests/support/pgserver.py).

Run: ``uv run python -m tests.bench.leases``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app.services.sync import LEASE_BATCH
from app.store.db import Database
from app.store.interface import LeaseRepository
from app.store.leases import Leases
from tests.support import pgserver

REQUESTS = 1000
HOLDER = "bench@DESK pid 1"


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_by_one(leases: LeaseRepository, ids: list[str]) -> None:
    for rid in ids:
        assert leases.claim(rid, HOLDER, 60)
    for rid in ids:
        leases.release(rid, HOLDER)


def batched(leases: LeaseRepository, ids: list[str]) -> None:
    for start in range(0, len(ids), LEASE_BATCH):
        chunk = ids[start : start + LEASE_BATCH]
        assert leases.claim_many(chunk, HOLDER, 60) == chunk
        leases.release_many(chunk, HOLDER)


def report(label: str, leases: LeaseRepository) -> None:
    ids = [f"request-{n:05d}" for n in range(REQUESTS)]
    single = timed(lambda: one_by_one(leases, ids))
    batch = timed(lambda: batched(leases, ids))
    print(
        f"{label}: {REQUESTS} leases claimed and released one by one {single * 1000:.0f} ms "
        f"({single / REQUESTS * 1e6:.0f} µs a request); in batches of {LEASE_BATCH} "
        f"{batch * 1000:.0f} ms ({batch / REQUESTS * 1e6:.0f} µs a request)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(Path(folder) / "sealbox.db")
        try:
            report("SQLite (synchronous=FULL)", Leases(database))
        finally:
            database.close()
    if not pgserver.available():
        print(f"PostgreSQL: not measured ({pgserver.INSTALL_HINT})")
        return
    from app.store.pg import PgDatabase

    server = pgserver.start()
    try:
        pg = PgDatabase(server.url())
        try:
            report("PostgreSQL (loopback, fsync off)", Leases(pg))
        finally:
            pg.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
