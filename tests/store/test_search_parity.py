"""Full-text search finds the same requests on SQLite (FTS5) and on PostgreSQL (tsvector): the
same requests and archived documents, the same queries, on both stores side by side."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymupdf
import pytest

from app.domain.model import Recipient, Request, RequestSpec
from app.store.db import Database
from app.store.pg import PgDatabase
from app.store.postgres import PostgresStore
from app.store.records import ArchivedFile, RequestFilter
from app.store.sqlite import SqliteStore
from tests.support.stores import AnyStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

#: name, recipients (first, last, email), words of the archived PDF (None: not archived)
REQUESTS: list[tuple[str, list[tuple[str, str, str]], str | None]] = [
    ("Lease renewal Café Müller", [("Jane", "Doe", "jane@example.com")], None),
    ("Charter handover — BK-12345", [("Bob", "Martin", "bob.martin@fleet.example")], None),
    (
        "Quarterly report",
        [("Zoë", "Ångström", "zoe@example.org")],
        "The indemnity clause survives termination. Signed at Zürich.",
    ),
    ("LEASE of the office", [("Jane", "Doe", "jane@example.com")], "Office lease, floor 3"),
    ("Résumé review", [("Łukasz", "Nowak", "lukasz@example.pl")], None),
    ("Leasing terms", [("Ann", "Lee", "ann@example.com"), ("Jan", "Ek", "jan@ek.se")], None),
]

QUERIES = [
    "lease",  # a word, and as a prefix of "Leasing"
    "lea",  # a prefix
    "lease jane",  # several words, each must match
    "jane lease",
    "cafe",  # accents
    "CAFÉ",
    "café müller",
    "muller",
    "zoe angstrom",
    "lukasz",  # a letter that is not an accented one (ł) stays itself
    "LEASE",  # case
    "example",  # a part of an email
    "jane@example",
    "bk 12345",
    "12345",
    "indemnity",  # a word in an archived PDF's text
    "zurich",
    "floor 3",
    "zzzz",  # no match
    "lease zzzz",
    '"); DROP TABLE requests; --',
    "  ",
]


def pdf_text(tmp_path: Path, words: str) -> str:
    """The text of a one-page PDF showing ``words``, as the archive reads it."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), words, fontsize=11)
    path = tmp_path / "signed.pdf"
    doc.save(path)
    doc.close()
    with pymupdf.open(path) as signed:
        return "".join(page.get_text() for page in signed)


def fill(store: AnyStore, tmp_path: Path) -> list[str]:
    ids = []
    for n, (name, people, archived) in enumerate(REQUESTS):
        recipients = tuple(
            Recipient(first, last, email, order=i + 1)
            for i, (first, last, email) in enumerate(people)
        )
        request = Request(
            id=f"0193c2c3-0000-4aaa-8bbb-{n:012d}",
            provider="local",
            spec=RequestSpec(name=name, recipients=recipients),
            created_at=T0 + timedelta(hours=n),
        )
        store.requests.add(request, f"key-{n}")
        if archived is not None:
            signed = ArchivedFile("signed", "signed.pdf", "0" * 64, 1000, T0)
            store.archive.record(
                request.id, f"2026/{request.id}", [signed], pdf_text(tmp_path, archived)
            )
        ids.append(request.id)
    return ids


@pytest.fixture
def both(tmp_path: Path, pg_url: str) -> Iterator[tuple[AnyStore, AnyStore]]:
    sqlite = SqliteStore(Database(tmp_path / "sealbox.db"), tmp_path / "drafts")
    postgres = PostgresStore(PgDatabase(pg_url), tmp_path / "drafts")
    fill(sqlite, tmp_path)
    fill(postgres, tmp_path)
    yield sqlite, postgres
    sqlite.close()
    postgres.close()


def results(store: AnyStore, query: str) -> dict[str, object]:
    search = RequestFilter(search=query)
    return {
        "matches": sorted(store.search.matches(query)),
        "count_matches": store.search.count_matches(query),
        "archived": sorted(store.search.matches(query, archived_only=True)),
        "page": [r.id for r in store.search.page(search, 0, 100)],
        "count": store.search.count(search),
        "find": [r.id for r in store.requests.find(search=query)],
        # Best match first is each engine's own relevance (bm25, ts_rank): a page of them has
        # as many, and the pages together are the same requests.
        "pages_of_matches": sorted(
            rid for offset in (0, 2, 4, 6) for rid in store.search.matches(query, 2, offset=offset)
        ),
    }


def test_the_same_queries_find_the_same_requests(both: tuple[AnyStore, AnyStore]) -> None:
    sqlite, postgres = both
    assert {q: results(postgres, q) for q in QUERIES} == {q: results(sqlite, q) for q in QUERIES}


def test_what_the_queries_find(both: tuple[AnyStore, AnyStore]) -> None:
    """The shared answers are the right ones (not the same mistake twice)."""
    for store in both:

        def found(query: str, store: AnyStore = store) -> list[int]:
            return sorted(int(rid[-12:]) for rid in store.search.matches(query))

        assert found("lease") == [0, 3]
        assert found("lea") == [0, 3, 5]
        assert found("lease jane") == [0, 3]
        assert found("CAFÉ") == found("cafe") == [0]
        assert found("zoe angstrom") == [2]
        assert found("example") == [0, 1, 2, 3, 4, 5]
        assert found("indemnity") == found("zurich") == [2]
        assert found("zzzz") == found("  ") == []
        assert store.search.matches("lease", archived_only=True) == [REQUESTS_ID(3)]
        # The list's order: newest first.
        assert [r.id for r in store.search.page(RequestFilter(search="lea"), 0, 10)] == [
            REQUESTS_ID(5),
            REQUESTS_ID(3),
            REQUESTS_ID(0),
        ]


def REQUESTS_ID(n: int) -> str:
    return f"0193c2c3-0000-4aaa-8bbb-{n:012d}"
