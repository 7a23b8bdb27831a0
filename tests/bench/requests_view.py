"""The requests place over 100,000 requests; prints its figures, asserts nothing.

Run on demand (pytest ignores ``tests/bench``)::

    uv run --frozen python -m tests.bench.requests_view

Everything runs with a temporary ``SEALBOX_HOME`` and a file-backed keyring, offscreen. The
store is filled straight through sqlite-utils in one transaction: the request rows are the
store's own (``Requests._row``), recipients, fields and two events per request, and the
full-text rows are written as ``Requests._index`` writes them (a ``search_keys`` docid from the
creation time, then the ``search`` row with the name and "<recipient name> <email>" of every
recipient). It measures:

1. the store: ``count`` and ``page`` with no filter, deep in the list, by status, by provider,
   by date and by search;
2. the page: from creating ``RequestsPage`` to the first paint of its table, and scrolling to the
   end of the first page (``fetchMore``);
3. searching from the page: from the last keystroke to the rows painted, for a rare name and a
   common word (the 250 ms debounce included, and without it: Enter), against the floor: Enter
   with nothing to search for (the same reset and paint of the newest rows).

Figures are medians of several runs: the machine's load makes single ones noisy.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.core import (
    DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    SUBJECTS,
    Summary,
    isolate,
    ms,
    section,
)

REQUESTS = 100_000
SEED = 20240611
RUNS = 5
#: Runs of each search from the page (the machine is shared: medians of several runs).
SEARCH_RUNS = 9
#: In the name of a handful of requests only.
RARE_WORD = "Quinquennial"
RARE_REQUESTS = 5
#: In the name of every request made from an "... agreement" subject (about one in five).
COMMON_WORD = "agreement"

#: Status mix of the synthetic store (weights).
STATUS_MIX = {
    "completed": 55,
    "sent": 14,
    "viewed": 10,
    "declined": 5,
    "expired": 5,
    "cancelled": 5,
    "failed": 2,
    "queued": 3,
    "reconciling": 1,
}
PROVIDER_MIX = {
    "local": 30,
    "craftkit": 25,
    "saypdf": 15,
    "signature_nc": 10,
    "signicat": 10,
    "itasign": 10,
}


def _person(rng: random.Random, i: int) -> tuple[str, str, str]:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    return first, last, f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}"


@dataclass
class Rows:
    """The synthetic store's rows, as the store writes them: the tables' rows in the order
    they are written (``tables``), the ``search_keys`` rows and the full-text rows."""

    tables: dict[str, list[dict[str, Any]]]
    keys: list[tuple[int, str]]
    search: list[tuple[int, str, str, str, str]]


def fill(ctx: Any, total: int = REQUESTS, seed: int = SEED) -> float:
    """Write ``total`` synthetic requests in one transaction; returns the seconds it took."""
    try:
        from app.store.db import docid_base
    except ImportError:  # a Sealbox before the search rows were keyed by time (to compare)
        counter = itertools.count(1)

        def docid_base(created_at: str) -> int:
            return next(counter)

    row_of: Callable[[Any], dict[str, Any]]
    try:
        from app.store.rows import request_row as row_of
    except ImportError:  # a Sealbox before the store was split into repositories
        row_of = ctx.requests._row

    started = time.perf_counter()
    rows = make_rows(total, seed, docid_base, row_of)
    ctx.database.conn.execute("PRAGMA cache_size = -262144")  # 256 MiB, this connection only
    with ctx.database.write() as db:
        for table, table_rows in rows.tables.items():
            _insert_all(db.conn, table, table_rows)
        db.conn.executemany("INSERT INTO search_keys (docid, request_id) VALUES (?, ?)", rows.keys)
        db.conn.executemany(
            "INSERT INTO search (rowid, request_id, name, people, content) VALUES (?, ?, ?, ?, ?)",
            rows.search,
        )
    ctx.database.conn.execute("PRAGMA cache_size = -2000")  # SQLite's default again
    return time.perf_counter() - started


def make_rows(
    total: int,
    seed: int,
    docid_base: Callable[[str], int],
    row_of: Callable[[Any], dict[str, Any]],
) -> Rows:
    """``total`` synthetic requests (the same for the same ``seed``) as rows: ``row_of`` makes
    a request's row, ``docid_base`` the docid of its full-text row."""
    from app.domain.clock import iso
    from app.domain.lifecycle import Status
    from app.domain.model import Field, FieldType, Recipient, RecipientState, Request, RequestSpec

    rng = random.Random(seed)
    statuses = list(STATUS_MIX)
    status_weights = list(STATUS_MIX.values())
    providers = list(PROVIDER_MIX)
    provider_weights = list(PROVIDER_MIX.values())
    rare_at = {total * (k + 1) // (RARE_REQUESTS + 1) for k in range(RARE_REQUESTS)}
    start_time = datetime.now(UTC) - timedelta(days=730)
    step = timedelta(days=730) / total
    requests_rows: list[dict[str, Any]] = []
    recipient_rows: list[dict[str, Any]] = []
    field_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    key_rows: list[tuple[int, str]] = []
    search_rows: list[tuple[int, str, str, str, str]] = []
    for n in range(total):
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        people = [_person(rng, n * 3 + k) for k in range(rng.choice((1, 1, 2, 2, 2, 3)))]
        recipients = tuple(
            Recipient(f, last, e, order=i + 1) for i, (f, last, e) in enumerate(people)
        )
        fields = tuple(
            Field(i, FieldType.SIGNATURE, 1, 72, 600 - 60 * i, 160, 48)
            for i in range(len(recipients))
        )
        subject = f"{RARE_WORD} review" if n in rare_at else rng.choice(SUBJECTS)
        name = f"{subject} — {rng.choice(LAST_NAMES)} BK-{10000 + n}"
        status = Status(rng.choices(statuses, status_weights)[0])
        provider = rng.choices(providers, provider_weights)[0]
        created = start_time + step * n
        sent = None if status in (Status.QUEUED, Status.FAILED) else created + timedelta(seconds=2)
        finished = created + timedelta(hours=rng.randint(1, 300)) if status.terminal else None
        signed = {
            Status.COMPLETED: len(recipients),
            Status.VIEWED: rng.randint(0, len(recipients) - 1),
            Status.DECLINED: rng.randint(0, len(recipients) - 1),
        }.get(status, 0)
        states = []
        for i in range(len(recipients)):
            state = RecipientState(provider_recipient_id=f"{rid}:{i}")
            if i < signed:
                state.viewed_at = created + timedelta(minutes=10 + i)
                state.signed_at = created + timedelta(minutes=20 + i)
            elif i == signed and status == Status.DECLINED:
                state.viewed_at = created + timedelta(minutes=10 + i)
                state.declined_at = finished
                state.decline_reason = "The figures are wrong"
            elif i == signed and status == Status.VIEWED:
                state.viewed_at = created + timedelta(minutes=10 + i)
            states.append(state)
        request = Request(
            id=rid,
            provider=provider,
            spec=RequestSpec(name=name, recipients=recipients, fields=fields),
            status=status,
            provider_id=None if sent is None else f"env-{n}",
            created_at=created,
            sent_at=sent,
            completed_at=finished,
            updated_at=finished or (created + timedelta(minutes=30)),
            document_name=f"contract-{n}.pdf",
            page_count=rng.randint(1, 40),
            recipients=states,
        )
        requests_rows.append(row_of(request))
        for i, (r, s) in enumerate(zip(recipients, states, strict=True)):
            recipient_rows.append(
                {
                    "request_id": rid,
                    "idx": i,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "email": r.email,
                    "designation": r.designation.value,
                    "signing_order": r.order,
                    "provider_recipient_id": s.provider_recipient_id,
                    "viewed_at": iso(s.viewed_at),
                    "signed_at": iso(s.signed_at),
                    "declined_at": iso(s.declined_at),
                    "decline_reason": s.decline_reason,
                    "signing_url": None,
                }
            )
        for i, f in enumerate(fields):
            field_rows.append(
                {
                    "request_id": rid,
                    "idx": i,
                    "recipient_index": f.recipient_index,
                    "type": f.type.value,
                    "page": f.page,
                    "x": f.x,
                    "y": f.y,
                    "width": f.width,
                    "height": f.height,
                    "required": f.required,
                    "label": None,
                    "options_json": None,
                    "anchor": None,
                }
            )
        event_rows.append(
            {
                "request_id": rid,
                "at": iso(created),
                "kind": "queued",
                "status": "queued",
                "recipient_index": None,
                "detail": f"queued for {provider}",
                "payload_json": None,
            }
        )
        if status != Status.QUEUED:
            event_rows.append(
                {
                    "request_id": rid,
                    "at": iso(finished or sent or created),
                    "kind": status.value,
                    "status": status.value,
                    "recipient_index": None,
                    "detail": f"sent → {status.value}",
                    "payload_json": None,
                }
            )
        # As index_request: an indexed docid (keyed by the creation time, every request
        # here a different millisecond), then the full-text row under it.
        docid = docid_base(iso(created) or "")
        key_rows.append((docid, rid))
        search_rows.append(
            (docid, rid, name, " ".join(f"{r.name} {r.email}" for r in recipients), "")
        )
    # Child rows in their primary key's order: the B-trees grow at their ends instead of at
    # random places.
    recipient_rows.sort(key=lambda r: (r["request_id"], r["idx"]))
    field_rows.sort(key=lambda r: (r["request_id"], r["idx"]))
    event_rows.sort(key=lambda r: r["request_id"])
    tables = {
        "requests": requests_rows,
        "recipients": recipient_rows,
        "fields": field_rows,
        "events": event_rows,
    }
    return Rows(tables, key_rows, search_rows)


def _insert_all(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """One prepared INSERT for every row (sqlite-utils' ``insert_all`` builds and checks each
    batch in Python, several times slower for 100,000 rows)."""
    columns = list(rows[0])
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [[row[c] for c in columns] for row in rows],
    )


def median_ms(action: Callable[[], object], runs: int = RUNS) -> tuple[str, object]:
    samples = []
    value: object = None
    for _ in range(runs):
        start = time.perf_counter()
        value = action()
        samples.append(time.perf_counter() - start)
    return ms(statistics.median(samples)), value


def bench_store(ctx: Any, summary: Summary) -> None:
    from app.domain.lifecycle import Status
    from app.store.records import RequestFilter

    section("1. the store: count and one page of 200 (median of 5)")
    year_start = datetime(datetime.now().year, 1, 1).astimezone()
    cases: list[tuple[str, RequestFilter, int]] = [
        ("no filter, first page", RequestFilter(), 0),
        ("no filter, page at row 50,000", RequestFilter(), 50_000),
        ("no filter, last page", RequestFilter(), REQUESTS - 200),
        (
            "in flight (queued/sent/viewed/...)",
            RequestFilter(
                statuses=frozenset({Status.QUEUED, Status.RECONCILING, Status.SENT, Status.VIEWED})
            ),
            0,
        ),
        ("failed (2 %)", RequestFilter(statuses=frozenset({Status.FAILED})), 0),
        ("provider itasign", RequestFilter(provider="itasign"), 0),
        ("last 7 days", RequestFilter(since=datetime.now(UTC) - timedelta(days=7)), 0),
        ("this year", RequestFilter(since=year_start), 0),
        (f"search rare {RARE_WORD!r}", RequestFilter(search=RARE_WORD.lower()), 0),
        (f"search common {COMMON_WORD!r}", RequestFilter(search=COMMON_WORD), 0),
        ("search a first name 'ada'", RequestFilter(search="ada"), 0),
        (
            "search common word + failed",
            RequestFilter(search=COMMON_WORD, statuses=frozenset({Status.FAILED})),
            0,
        ),
    ]
    print(f"  {'filter':<40} {'count':>9} {'rows':>8} {'page':>9} {'rows':>5}")
    for label, filters, offset in cases:

        def count(f: RequestFilter = filters) -> int:
            return int(ctx.store.search.count(f))

        def page(f: RequestFilter = filters, o: int = offset) -> list[Any]:
            return list(ctx.store.search.page(f, o, 200))

        t_count, total = median_ms(count)
        t_page, rows = median_ms(page)
        assert isinstance(total, int) and isinstance(rows, list)
        print(f"  {label:<40} {t_count:>9} {total:>8,} {t_page:>9} {len(rows):>5}")
        summary.add(f"store: {label} (count / page)", f"{t_count} / {t_page}")


def bench_page(ctx: Any, summary: Summary) -> None:
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.ui.bridge import AsyncBridge, close_loop, install_loop
    from app.ui.requests.page import RequestsPage

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    loop = install_loop(app)
    asyncio.events._set_running_loop(loop)

    class Painted(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.at: float | None = None

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and self.at is None:
                self.at = time.perf_counter()
            return False

    def wait_paint(painted: Painted, limit: float = 30.0) -> float:
        deadline = time.perf_counter() + limit
        while painted.at is None and time.perf_counter() < deadline:
            app.processEvents()
        assert painted.at is not None, "the table was never painted"
        return painted.at

    section("2. the page: open to first paint, scroll through the first page")
    bridge = AsyncBridge(loop=loop)
    opens: list[float] = []
    page: Any = None
    for run in range(RUNS):
        if page is not None:
            page.close()
            page.deleteLater()
            app.processEvents()
        painted = Painted()
        start = time.perf_counter()
        page = RequestsPage(ctx, bridge)
        page.table.viewport().installEventFilter(painted)
        page.resize(1280, 800)
        page.show()
        page.refresh()
        opens.append(wait_paint(painted) - start)
        if run == 0:
            print(
                f"  first run {ms(opens[0])}: {page.model.rowCount():,} rows loaded of "
                f"{page.model.total:,}"
            )
    print(
        f"  create RequestsPage → first paint of the table: median "
        f"{ms(statistics.median(opens))} (runs: {', '.join(ms(t) for t in opens)})"
    )
    summary.add("page: create → first paint (median)", ms(statistics.median(opens)))

    model = page.model
    fetches = []
    for _ in range(10):
        start = time.perf_counter()
        page.table.scrollToBottom()
        app.processEvents()
        fetches.append(time.perf_counter() - start)
    print(
        f"  scroll to the bottom 10 times (each loads 200 more): median "
        f"{ms(statistics.median(fetches))}; {model.rowCount():,} rows loaded"
    )
    summary.add("page: scroll to bottom, 200 more rows (median)", ms(statistics.median(fetches)))

    section("3. search from the page: last keystroke → rows painted")

    class Probe(QObject):
        """Times the last keystroke, the model's reset and the first paint after it."""

        def __init__(self) -> None:
            super().__init__()
            self.key_at = self.reset_at = self.paint_at = 0.0

        def arm(self) -> None:
            self.key_at = self.reset_at = self.paint_at = 0.0

        def key(self) -> None:
            self.key_at = time.perf_counter()

        def reset(self) -> None:
            self.reset_at = self.reset_at or time.perf_counter()

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and self.reset_at and not self.paint_at:
                self.paint_at = time.perf_counter()
            return False

    probe = Probe()
    page.search.textChanged.connect(lambda _text: probe.key())
    page.model.modelReset.connect(probe.reset)
    page.table.viewport().installEventFilter(probe)

    def settle(limit: float = 30.0) -> float:
        deadline = time.perf_counter() + limit
        while not probe.paint_at and time.perf_counter() < deadline:
            app.processEvents()
        assert probe.paint_at, "the rows were never painted"
        return probe.paint_at - probe.key_at

    def enter(text: str) -> float:
        page.clear_filters()
        app.processEvents()
        probe.arm()
        page.search.setText(text)
        QTest.keyClick(page.search, Qt.Key.Key_Return)  # Enter searches at once
        return settle()

    # The floor: the same Enter with nothing to search for (a space): the model reads the
    # newest rows off the date index and the table paints them, as after any search.
    floor_runs = [enter(" ") for _ in range(SEARCH_RUNS)]
    floor = statistics.median(floor_runs)
    print(
        f"  floor: Enter with nothing to search for (the newest rows) median {ms(floor)} "
        f"[{', '.join(ms(t) for t in floor_runs)}]"
    )
    summary.add("floor: Enter, nothing to search for → painted (median)", ms(floor))
    for label, text in (
        (f"rare name {RARE_WORD!r}", RARE_WORD.lower()),
        (f"common word {COMMON_WORD!r}", COMMON_WORD),
        ("an email fragment 'ada.'", "ada."),
    ):
        with_debounce: list[float] = []
        without: list[float] = []
        for _ in range(SEARCH_RUNS):
            page.clear_filters()
            app.processEvents()
            probe.arm()
            QTest.keyClicks(page.search, text)  # the search starts 250 ms after the last key
            with_debounce.append(settle())
            without.append(enter(text))
        median = statistics.median(without)
        print(
            f"  {label:<28} {page.model.total:>7,} rows; with the 250 ms debounce "
            f"{ms(statistics.median(with_debounce))}, Enter (no debounce) median "
            f"{ms(median)} [{', '.join(ms(t) for t in without)}]; ratio to the floor "
            f"{median / floor:.2f}"
        )
        summary.add(
            f"search {label}: keystroke → painted (debounce incl. / Enter)",
            f"{ms(statistics.median(with_debounce))} / {ms(median)} ({median / floor:.2f}x floor)",
        )
    page.close()
    page.deleteLater()
    bridge.shutdown(wait=True)
    app.processEvents()
    asyncio.events._set_running_loop(None)
    close_loop(loop)


def main() -> int:
    started = time.perf_counter()
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as name:
        tmp = Path(name)
        isolate(tmp / "home", tmp / "keyring.json")
        from app.context import Context

        print(
            f"Requests place benchmark: Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs; temporary home {tmp}"
        )
        ctx = Context.from_environment()
        try:
            section(f"0. fill the store with {REQUESTS:,} requests (one transaction)")
            took = fill(ctx)
            print(f"  written in {took:.1f} s")
            summary.add(f"fill {REQUESTS:,} requests", f"{took:.1f} s")
            bench_store(ctx, summary)
            bench_page(ctx, summary)
        finally:
            ctx.close()
    summary.add("whole benchmark", f"{time.perf_counter() - started:.0f} s")
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
