"""The store on SQLite and on PostgreSQL side by side; prints its figures, asserts nothing.

Run on demand (pytest ignores ``tests/bench``; PostgreSQL's programs must be installed: a
throwaway server is started as the tests start theirs)::

    uv run --frozen python -m tests.bench.store_backends [REQUESTS]

Fills each store with the same REQUESTS (default 20,000) requests through the store itself
(``requests.add``, 1,000 to a transaction: the writing rate is a figure), archives every tenth
with a few words of document text, then times, as medians of several runs: a page of the list
(the first, one deep in it, by status), counting, and searching (a rare word, a common one, a
word of the archived documents).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, Request, RequestSpec
from app.store.db import Database
from app.store.pg import PgDatabase
from app.store.postgres import PostgresStore
from app.store.records import ArchivedFile, RequestFilter
from app.store.sqlite import SqliteStore
from tests.support import pgserver

START = datetime(2025, 1, 1, tzinfo=UTC)
WORDS = ["lease", "charter", "loan", "handover", "renewal", "agreement", "invoice", "contract"]
RUNS = 7


def requests(count: int) -> list[tuple[Request, str | None]]:
    rng = random.Random(20261206)
    out = []
    for n in range(count):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n}"
        if n % 5000 == 0:
            name += " Quinquennial"
        spec = RequestSpec(
            name=name,
            recipients=(Recipient("Jane", f"Doe{n % 97}", f"jane{n % 97}@example.com"),),
            fields=(Field(0, FieldType.SIGNATURE, 1, 72, 600, 160, 48),),
        )
        request = Request(
            id=f"0193c2c3-0000-4aaa-8bbb-{n:012d}",
            provider="local",
            spec=spec,
            status=Status.SENT if n % 3 else Status.COMPLETED,
            created_at=START + timedelta(minutes=n),
        )
        out.append((request, "indemnity clause survives" if n % 10 == 0 else None))
    return out


def fill(store: Any, made: list[tuple[Request, str | None]]) -> float:
    began = time.perf_counter()
    for first in range(0, len(made), 1000):
        with store.transaction():
            for request, text in made[first : first + 1000]:
                store.requests.add(request, "key-" + request.id)
                if text is not None:
                    signed = ArchivedFile("signed", "s.pdf", "0" * 64, 1, START)
                    store.archive.record(request.id, request.id, [signed], text)
    return time.perf_counter() - began


def median_ms(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(store: Any, count: int) -> dict[str, float]:
    search = store.search
    every = RequestFilter()
    sent = RequestFilter(statuses=frozenset({Status.SENT}))
    return {
        "first page (100)": median_ms(lambda: search.page(every, 0, 100)),
        "page deep in the list": median_ms(lambda: search.page(every, count // 2, 100)),
        "page by status": median_ms(lambda: search.page(sent, 0, 100)),
        "count all": median_ms(lambda: search.count(every)),
        "search rare word, first page": median_ms(
            lambda: search.page(RequestFilter(search="quinquennial"), 0, 100)
        ),
        "search common word, first page": median_ms(
            lambda: search.page(RequestFilter(search="lease"), 0, 100)
        ),
        "count common word": median_ms(lambda: search.count(RequestFilter(search="lease"))),
        "archive search (50 best)": median_ms(
            lambda: search.matches("indemnity", 50, archived_only=True)
        ),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    made = requests(count)
    server = pgserver.start()
    folder = Path(tempfile.mkdtemp(prefix="sealbox-bench-"))
    try:
        sqlite = SqliteStore(Database(folder / "sealbox.db"), folder / "drafts")
        postgres = PostgresStore(PgDatabase(server.socket_url()), folder / "drafts")
        results = {}
        for name, store in (("SQLite", sqlite), ("PostgreSQL", postgres)):
            seconds = fill(store, made)
            print(
                f"{name}: {count:,} requests stored in {seconds:.1f} s "
                f"({count / seconds:,.0f} a second)"
            )
            results[name] = measure(store, count)
            store.close()
        print(f"\n{'(median of ' + str(RUNS) + ' runs, ms)':<34}{'SQLite':>10}{'PostgreSQL':>12}")
        for what in results["SQLite"]:
            print(f"{what:<34}{results['SQLite'][what]:>10.2f}{results['PostgreSQL'][what]:>12.2f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
