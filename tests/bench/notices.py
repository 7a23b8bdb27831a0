"""What the shared store's change notices cost and how soon they arrive, on a throwaway
PostgreSQL server (tests/support/pgserver.py):

- latency: from the start of a change (an event added to a request's history, one
  transaction) to its notice read by a listening :class:`app.store.notices.ChangeFeed` on
  another connection;
- cost: storing 1,000 requests (four rounds of 250, alternated; each request one transaction
  writing the request, its recipients, fields and first event) with the notice triggers, and
  with them disabled.

Run: ``uv run python -m tests.bench.notices``.
"""

from __future__ import annotations

import select
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from app.store.notices import ChangeFeed
from app.store.pg import PgDatabase
from app.store.pg_schema import NOTIFYING
from app.store.postgres import PostgresStore
from tests.support import pgserver
from tests.unit.test_store import make_request

CHANGES = 300
REQUESTS = 250
ROUNDS = 4


def latency(store: PostgresStore, feed: ChangeFeed) -> list[float]:
    """Seconds from each commit to its notice, for :data:`CHANGES` changes."""
    store.requests.add(make_request("latency", "Latency"), "key-latency")
    feed.drain()
    seen: list[float] = []
    for i in range(CHANGES):
        started = time.perf_counter()
        store.requests.add_event("latency", "note", f"change {i}")
        got: set[str] = set()
        while "latency" not in got:
            select.select([feed.fileno()], [], [], 5)
            got = feed.drain()
        seen.append(time.perf_counter() - started)
    return seen


def store_many(store: PostgresStore, prefix: str) -> float:
    start = time.perf_counter()
    for i in range(REQUESTS):
        store.requests.add(make_request(f"{prefix}-{i}", f"Bench {i}"), f"{prefix}-key-{i}")
    return time.perf_counter() - start


def triggers(url: str, enable: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in NOTIFYING:
            verb = "ENABLE" if enable else "DISABLE"
            conn.execute(f"ALTER TABLE {table} {verb} TRIGGER {table}_notify")


def main() -> None:
    if not pgserver.available():
        print(pgserver.INSTALL_HINT)
        return
    server = pgserver.start()
    try:
        url = server.url()
        with tempfile.TemporaryDirectory() as folder:
            store = PostgresStore(PgDatabase(url), Path(folder) / "drafts")
            feed = ChangeFeed(url)
            feed.connect()
            seen = sorted(latency(store, feed))
            ms = [s * 1000 for s in seen]
            print(
                f"change → notice over loopback TCP, {CHANGES} changes: median "
                f"{statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, "
                f"max {ms[-1]:.2f} ms"
            )
            feed.close()
            with_notices = without = 0.0
            for round_ in range(ROUNDS):  # alternated: the tables grow as they are timed
                triggers(url, enable=False)
                without += store_many(store, f"off{round_}")
                triggers(url, enable=True)
                with_notices += store_many(store, f"on{round_}")
            print(
                f"storing {REQUESTS * ROUNDS} requests: {with_notices:.2f} s with notices "
                f"({REQUESTS * ROUNDS / with_notices:.0f}/s), {without:.2f} s without "
                f"({REQUESTS * ROUNDS / without:.0f}/s): "
                f"{100 * (with_notices / without - 1):+.1f} %"
            )
            store.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
