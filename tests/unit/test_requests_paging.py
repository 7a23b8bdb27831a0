"""Paging and filtering requests in the store, and the single-request services the command
line and the requests place share (refresh, cancel, download)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, Request, RequestSpec
from app.errors import CapabilityError, NotFoundError, UserError
from app.services.requests import cancel_request, download_request, refresh_request
from app.store import search as search_module
from app.store.db import MIGRATIONS, SCHEMA_VERSION, Database
from app.store.records import RequestFilter
from app.store.search import RequestSearch
from tests.support.stores import AnyStore, use_store

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(home: Path, store: AnyStore) -> Iterator[Context]:
    """A context on the store, on SQLite and on PostgreSQL."""
    context = Context.from_environment()
    use_store(context, store)
    yield context
    context.close()


def make(
    name: str,
    *,
    created: datetime = START,
    status: Status = Status.SENT,
    provider: str = "local",
    people: Sequence[tuple[str, str, str]] = (("Jane", "Doe", "jane@example.com"),),
) -> Request:
    recipients = tuple(
        Recipient(first, last, email, order=i + 1) for i, (first, last, email) in enumerate(people)
    )
    spec = RequestSpec(
        name=name,
        recipients=recipients,
        fields=tuple(
            Field(i, FieldType.SIGNATURE, 1, 72, 600 - 60 * i, 160, 48)
            for i in range(len(recipients))
        ),
    )
    sent = created if status not in (Status.QUEUED, Status.FAILED) else None
    return Request(
        id=str(uuid.uuid4()),
        provider=provider,
        spec=spec,
        status=status,
        provider_id="p-" + name if sent else None,
        created_at=created,
        sent_at=sent,
        updated_at=created,
    )


def add(ctx: Context, request: Request) -> Request:
    ctx.requests.add(request, str(uuid.uuid4()))
    return request


def many(ctx: Context, count: int) -> list[Request]:
    """``count`` requests one minute apart, in one transaction; returned newest first."""
    made = [make(f"Lease {n:03d}", created=START + timedelta(minutes=n)) for n in range(count)]
    with ctx.database.write():
        for request in made:
            add(ctx, request)
    return made[::-1]


def ids(requests: Sequence[Request]) -> list[str]:
    return [r.id for r in requests]


# --- paging ------------------------------------------------------------------------------------


def test_pages_are_newest_first_and_cover_every_request_once(ctx: Context) -> None:
    expected = many(ctx, 450)
    store = ctx.store.search
    everything = RequestFilter()
    assert store.count(everything) == store.count() == 450
    pages = [store.page(everything, offset, 200) for offset in (0, 200, 400)]
    assert [len(p) for p in pages] == [200, 200, 50]
    assert ids([r for p in pages for r in p]) == ids(expected)
    assert store.page(everything, 450, 200) == []
    assert store.page(everything, 0, 0) == []
    assert ids(store.page(everything, 0, 1000)) == ids(expected)  # read in chunks of 500
    # A paged request is the same as one read alone.
    assert pages[1][7] == ctx.requests.get(pages[1][7].id)


def test_a_long_page_is_read_in_chunks(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = many(ctx, 45)
    monkeypatch.setattr("app.store.rows.CHUNK", 10)
    assert ids(ctx.store.search.page(RequestFilter(), 3, 40)) == ids(expected[3:43])


def test_requests_created_at_the_same_moment_keep_one_order(ctx: Context) -> None:
    same = [add(ctx, make(f"Same {n}", created=START)) for n in range(5)]
    older = add(ctx, make("Older", created=START - timedelta(days=1)))
    first = ctx.store.search.page(RequestFilter(), 0, 3)
    rest = ctx.store.search.page(RequestFilter(), 3, 3)
    # Of equal times, the last stored comes first; the pages neither repeat nor skip one.
    assert ids(first + rest) == [*ids(same[::-1]), older.id]
    assert ctx.store.search.position(RequestFilter(), same[0].id) == 4
    assert ctx.store.search.position(RequestFilter(), older.id) == 5


def test_filters_by_status_provider_and_dates(ctx: Context) -> None:
    a = add(ctx, make("Charter A", status=Status.COMPLETED, created=START))
    b = add(
        ctx,
        make(
            "Charter B",
            status=Status.VIEWED,
            provider="craftkit",
            created=START + timedelta(days=10),
        ),
    )
    c = add(ctx, make("Charter C", status=Status.QUEUED, created=START + timedelta(days=20)))
    d = add(
        ctx,
        make(
            "Charter D",
            status=Status.CANCELLED,
            provider="saypdf",
            created=START + timedelta(days=30),
        ),
    )
    store = ctx.store.search

    def check(filters: RequestFilter, expected: list[Request]) -> None:
        assert ids(store.page(filters, 0, 50)) == ids(expected)
        assert store.count(filters) == len(expected)

    check(RequestFilter(), [d, c, b, a])
    check(RequestFilter(statuses=frozenset({Status.COMPLETED})), [a])
    in_flight = frozenset({Status.QUEUED, Status.RECONCILING, Status.SENT, Status.VIEWED})
    check(RequestFilter(statuses=in_flight), [c, b])
    check(RequestFilter(statuses=frozenset({Status.EXPIRED})), [])
    check(RequestFilter(provider="local"), [c, a])
    check(RequestFilter(provider="craftkit", statuses=in_flight), [b])
    check(RequestFilter(since=START + timedelta(days=10)), [d, c, b])  # since is inclusive
    check(RequestFilter(until=START + timedelta(days=20)), [b, a])  # until is exclusive
    check(
        RequestFilter(
            since=START + timedelta(days=5), until=START + timedelta(days=25), provider="local"
        ),
        [c],
    )
    assert store.position(RequestFilter(provider="local"), c.id) == 0
    assert store.position(RequestFilter(provider="local"), b.id) is None
    assert store.position(RequestFilter(), "no-such-id") is None


def test_search_matches_names_recipients_and_emails_as_prefixes(ctx: Context) -> None:
    lease = add(ctx, make("Berth lease 2026", people=[("Jane", "Doe", "jane@harbour.test")]))
    crew = add(
        ctx,
        make(
            "Crew contract Hopper",
            created=START + timedelta(hours=1),
            people=[("Bob", "Roe", "bob@acme.test"), ("Ada", "Lovelace", "ada@harbour.test")],
        ),
    )
    fuel = add(
        ctx,
        make(
            "Fuel supply agreement",
            created=START + timedelta(hours=2),
            status=Status.COMPLETED,
            people=[("Åsa", "Öberg", "asa@fuel.test")],
        ),
    )
    store = ctx.store.search

    def found(text: str, **more: object) -> list[str]:
        filters = RequestFilter(search=text, **more)  # type: ignore[arg-type]
        page = ids(store.page(filters, 0, 50))
        assert store.count(filters) == len(page)
        return page

    assert found("berth") == [lease.id]  # a word of the name
    assert found("lea") == [lease.id]  # as a prefix
    assert found("lovelace") == [crew.id]  # a recipient's name, not the first one
    assert found("harbour") == [crew.id, lease.id]  # an email's domain
    assert found("bob@acme.test") == [crew.id]  # a whole email
    assert found("asa oberg") == [fuel.id]  # diacritics do not matter
    assert found("crew ada") == [crew.id]  # every word must match
    assert found("crew jane") == []
    assert found(
        "harbour", statuses=frozenset({Status.SENT}), since=START + timedelta(minutes=30)
    ) == [crew.id]
    # Nothing to search for is no search at all (quotes and operators are only text).
    assert found("  ") == found("?!") == [fuel.id, crew.id, lease.id]
    assert found('"lease*"') == [lease.id]
    assert RequestFilter(search="-").is_empty and not RequestFilter(search="a").is_empty


def test_a_search_alone_is_paged_off_the_full_text_index_in_list_order(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = many(ctx, 260)
    ties = [
        add(ctx, make(f"Lease tie {n}", created=START + timedelta(minutes=100))) for n in range(3)
    ]
    add(ctx, make("Quarterly report", created=START - timedelta(days=1)))
    # A request read back from the archive later, created long before the others.
    old = make("Lease of 2019", created=START - timedelta(days=700))
    ctx.requests.restore(old, [])
    store = ctx.store.search
    filters = [
        RequestFilter(search="lease"),
        RequestFilter(search="lease tie"),
        RequestFilter(search="lease", since=START + timedelta(minutes=100)),
        RequestFilter(search="lease", until=START + timedelta(minutes=100)),
        RequestFilter(
            search="lease", since=START - timedelta(days=800), until=START + timedelta(minutes=7)
        ),
    ]

    def read(f: RequestFilter) -> tuple[int, list[str], list[int | None]]:
        rows = [r for offset in (0, 100, 200, 300) for r in ids(store.page(f, offset, 100))]
        return store.count(f), rows, [store.position(f, rid) for rid in rows]

    fast = [read(f) for f in filters]
    # The same through the requests table (as a search with a status filter is found).
    monkeypatch.setattr(search_module, "_text_only", lambda _f: False)
    assert [read(f) for f in filters] == fast
    monkeypatch.undo()
    everything = fast[0]
    assert everything[0] == 264 and everything[2] == list(range(264))
    newest_first = ids(made)
    # The ties share minute 100 with made[159]: of equal times the last stored comes first.
    newest_first[159:159] = ids(ties[::-1])
    assert everything[1] == [*newest_first, old.id]
    assert fast[1][1] == ids(ties[::-1])
    assert fast[2][1] == everything[1][:163] and fast[3][1] == everything[1][163:]
    assert store.position(RequestFilter(search="lease"), "no-such-id") is None
    assert store.position(RequestFilter(search="quarterly"), old.id) is None
    if not isinstance(ctx.database, Database):
        return
    # On SQLite, the page is read newest first off the index: no sorting of the matches.
    where, params = search_module._text_sql(ctx.database.reader, filters[0])
    plan = " ".join(
        str(r[3])
        for r in ctx.database.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT k.request_id FROM search JOIN search_keys k "
            f"ON k.docid = search.rowid{where} ORDER BY search.rowid DESC LIMIT 10",
            params,
        )
    )
    assert "TEMP B-TREE" not in plan


def test_version_5_keys_the_search_rows_in_list_order(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path)
    old = sqlite_utils.Database(conn)
    for step in MIGRATIONS[:4]:
        step(old)
    created = [
        "2026-03-01T09:00:00.000Z",
        "2025-01-01T00:00:00.000Z",
        "2026-03-01T09:00:00.000Z",
        "2026-05-01T10:00:00.000Z",
    ]
    for n, when in enumerate(created):
        old.execute(
            "INSERT INTO requests (id, name, provider, status, expiration_hours, "
            "spec_json, document_name, created_at, updated_at) VALUES "
            "(?, ?, 'local', 'sent', 1, '{}', 'a.pdf', ?, ?)",
            [f"r{n}", f"Lease {n}", when, when],
        )
        # As versions 2 to 4 keyed them: 1, 2, 3... in the order stored.
        old.execute("INSERT INTO search_keys (docid, request_id) VALUES (?, ?)", [n + 1, f"r{n}"])
        old.execute(
            "INSERT INTO search (rowid, request_id, name, people, content) VALUES "
            "(?, ?, ?, 'Jane Doe', ?)",
            [n + 1, f"r{n}", f"Lease {n}", "archived text" if n == 1 else ""],
        )
    old.execute("INSERT INTO search_keys (docid, request_id) VALUES (9, 'gone')")
    old.execute(
        "INSERT INTO search (rowid, request_id, name, people, content) VALUES "
        "(9, 'gone', 'Lease gone', '', '')"
    )
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    database = Database(path)
    try:
        assert database.user_version == SCHEMA_VERSION >= 5
        rows = database.conn.execute(
            "SELECT k.docid, k.request_id, s.request_id FROM search_keys k "
            "JOIN search s ON s.rowid = k.docid ORDER BY k.docid DESC"
        ).fetchall()
        # Newest first; of the two created at the same moment, the one stored last first.
        assert [r[1] for r in rows] == [r[2] for r in rows] == ["r3", "r2", "r0", "r1"]
        assert rows[1][0] == rows[2][0] + 1
        assert database.conn.execute("SELECT count(*) FROM search").fetchone()[0] == 4
        store = RequestSearch(database)
        assert store.matches("archived") == ["r1"]
        assert store.count(RequestFilter(search="lease")) == 4
    finally:
        database.close()


def test_version_4_adds_the_paging_indexes(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    conn = sqlite3.connect(path)
    old = sqlite_utils.Database(conn)
    for step in MIGRATIONS[:3]:
        step(old)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    database = Database(path)
    try:
        assert database.user_version == SCHEMA_VERSION >= 4
        indexes = {
            r[0]
            for r in database.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'"
            )
        }
        assert {
            "requests_status_created",
            "requests_provider_created",
            "requests_created",
        } <= indexes
        assert "requests_status" not in indexes
        where, params = search_module._filter_sql(
            database.reader, RequestFilter(statuses=frozenset({Status.SENT}))
        )
        plan = " ".join(
            str(r[3])
            for r in database.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT rowid FROM requests{where} ORDER BY created_at DESC, "
                "rowid DESC LIMIT 10",
                params,
            )
        )
        assert "requests_status_created" in plan and "TEMP B-TREE" not in plan
    finally:
        database.close()


# --- the single-request services -----------------------------------------------------------------


def test_cancel_a_local_request_in_flight(ctx: Context) -> None:
    request = add(ctx, make("Lease to cancel"))
    cancelled = asyncio.run(cancel_request(ctx, request.id[:8], "Terms changed"))
    assert cancelled.status == Status.CANCELLED
    assert cancelled.error_message == "Terms changed"
    assert ctx.requests.events(request.id)[-1].kind == "cancelled"
    with pytest.raises(UserError, match="already cancelled"):
        asyncio.run(cancel_request(ctx, request.id, None))


def test_cancel_is_refused_before_anything_is_sent(ctx: Context) -> None:
    done = add(ctx, make("Signed lease", status=Status.COMPLETED))
    with pytest.raises(UserError, match="already completed: only a request still in flight"):
        asyncio.run(cancel_request(ctx, done.id, None))
    other = add(ctx, make("Elsewhere", provider="signature_nc"))
    with pytest.raises(CapabilityError, match="does not offer cancelling"):
        asyncio.run(cancel_request(ctx, other.id, None))
    assert ctx.requests.get(other.id).status == Status.SENT
    live = add(ctx, make("Live lease"))
    with pytest.raises(UserError, match="at most 500"):
        asyncio.run(cancel_request(ctx, live.id, "x" * 501))
    assert ctx.requests.get(live.id).status == Status.SENT
    with pytest.raises(NotFoundError):
        asyncio.run(cancel_request(ctx, "0000dead", None))


def test_refresh_and_download(ctx: Context) -> None:
    live = add(ctx, make("Live lease", created=datetime.now(UTC)))
    assert asyncio.run(refresh_request(ctx, live.id)).status == Status.SENT
    overdue = add(ctx, make("Old lease", created=datetime.now(UTC) - timedelta(days=30)))
    assert asyncio.run(refresh_request(ctx, overdue.id)).status == Status.EXPIRED
    # A finished request is returned as it is, without asking anyone.
    assert asyncio.run(refresh_request(ctx, overdue.id)) == ctx.requests.get(overdue.id)
    with pytest.raises(UserError, match="not completed"):
        asyncio.run(download_request(ctx, live.id))


# --- the requests of one run of send to many ---------------------------------------------------


def _record_run(ctx: Context, name: str, requests: Sequence[Request]) -> str:
    from app.store.runs import NewRow, Run

    run_id = str(uuid.uuid4())
    ctx.store.runs.add(
        Run(
            id=run_id,
            name=name,
            provider="local",
            render_id=None,
            spec={},
            document_name="a.pdf",
            document_sha256="0" * 64,
            sheet="people.csv",
            state="running",
            created_at=START,
        ),
        [NewRow(i + 2, {}, str(uuid.uuid4())) for i in range(len(requests) + 1)],
    )
    for i, request in enumerate(requests):
        ctx.store.runs.link(run_id, i + 2, request.id)
    return run_id


def test_a_run_filter_shows_exactly_the_requests_of_that_run(ctx: Context) -> None:
    everyone = many(ctx, 9)
    first = _record_run(ctx, "Renewal", everyone[0:6:2])  # three of them, and a row not made
    second = _record_run(ctx, "Policy", everyone[1:3])
    store = ctx.store.search
    only_first = RequestFilter(run=first)
    assert not only_first.is_empty
    assert store.count(only_first) == 3
    assert ids(store.page(only_first, 0, 50)) == ids(everyone[0:6:2])
    assert ids(store.page(RequestFilter(run=second), 0, 50)) == ids(everyone[1:3])
    # With the other filters: a search, a status.
    named = RequestFilter(run=first, search="Lease 008")
    assert ids(store.page(named, 0, 50)) == [everyone[0].id]
    assert store.count(named) == 1
    assert store.count(RequestFilter(run=first, statuses=frozenset({Status.COMPLETED}))) == 0
    assert store.position(only_first, everyone[4].id) == 2
    assert store.position(only_first, everyone[1].id) is None
    assert store.count(RequestFilter(run=str(uuid.uuid4()))) == 0
