"""The shared store's change notices and its connection when the server goes away.

Every committed change to a request, its history or its archive index tells a listening
:class:`ChangeFeed` the request's id, from the store itself (another process's write included);
a change rolled back tells nothing. A server that goes away and comes back: the feed says so,
the store held offline fails at once in one sentence, and the store's connection is made anew
once the server is back.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.lifecycle import Status
from app.domain.model import Request
from app.store.notices import ChangeFeed
from app.store.pg import PgDatabase, StoreOfflineError
from app.store.postgres import PostgresStore
from app.store.records import ArchivedFile
from tests.support import pgserver
from tests.unit.test_store import make_request

#: Seconds to wait for a notice to arrive (it comes at once on loopback).
WAIT_S = 5.0


def notices(feed: ChangeFeed, wanted: set[str]) -> set[str]:
    """The ids the feed gets until it has ``wanted`` (or :data:`WAIT_S` passed)."""
    seen: set[str] = set()
    deadline = time.monotonic() + WAIT_S
    while not wanted <= seen and time.monotonic() < deadline:
        select.select([feed.fileno()], [], [], max(0.0, deadline - time.monotonic()))
        seen |= feed.drain()
    return seen


@pytest.fixture
def shared(pg_url: str, tmp_path: Path) -> Iterator[tuple[PostgresStore, ChangeFeed]]:
    store = PostgresStore(PgDatabase(pg_url), tmp_path / "drafts")
    feed = ChangeFeed(pg_url)
    feed.connect()
    yield store, feed
    feed.close()
    store.close()


def test_each_committed_change_names_its_request(
    shared: tuple[PostgresStore, ChangeFeed],
) -> None:
    store, feed = shared
    first, second = make_request("r-first", "First"), make_request("r-second", "Second")
    assert feed.drain() == set()  # nothing yet, and asking does not wait
    store.requests.add(first, "key-1")
    assert notices(feed, {"r-first"}) == {"r-first"}

    store.requests.add_event("r-first", "note", "a note")
    assert notices(feed, {"r-first"}) == {"r-first"}
    store.requests.set_status("r-first", Status.SENT)
    assert notices(feed, {"r-first"}) == {"r-first"}

    with pytest.raises(RuntimeError):
        rolled_back(store, second)
    store.archive.record("r-first", "2026/12/First", [archived()], "words")
    # The rolled-back request told nothing; the archive index told its request.
    assert notices(feed, {"r-first"}) == {"r-first"}
    assert feed.drain() == set()


def rolled_back(store: PostgresStore, request: Request) -> None:
    with store.transaction():
        store.requests.add(request, "key-2")
        raise RuntimeError("rolled back")


def archived() -> ArchivedFile:
    from app.domain.clock import now

    return ArchivedFile(
        kind="signed",
        path="2026/12/First/First-signed.pdf",
        sha256="0" * 64,
        size=1,
        archived_at=now(),
    )


def test_another_process_changes_are_told_too(
    shared: tuple[PostgresStore, ChangeFeed], pg_url: str, tmp_path: Path
) -> None:
    _store, feed = shared
    other = PostgresStore(PgDatabase(pg_url), tmp_path / "other-drafts")
    try:
        other.requests.add(make_request("r-other", "Other"), "key-o")
    finally:
        other.close()
    assert notices(feed, {"r-other"}) == {"r-other"}


def test_a_lost_server_is_said_and_the_store_reconnects_when_it_is_back(
    tmp_path: Path,
) -> None:
    if not pgserver.available():
        pytest.skip(pgserver.INSTALL_HINT)
    server = pgserver.start()
    try:
        url = server.url()
        store = PostgresStore(PgDatabase(url), tmp_path / "drafts")
        feed = ChangeFeed(url)
        feed.connect()
        store.requests.add(make_request("r-1", "Before"), "key-1")
        assert notices(feed, {"r-1"}) == {"r-1"}

        server.pause()
        with pytest.raises(StoreOfflineError, match="cannot be reached"):
            notices(feed, {"never"})
        with pytest.raises(StoreOfflineError, match="cannot be reached"):
            feed.connect()
        # The app holds the store offline: every use fails at once, in one sentence.
        store.database.offline = True
        started = time.monotonic()
        with pytest.raises(StoreOfflineError) as refused:
            store.requests.get("r-1")
        assert time.monotonic() - started < 1
        assert str(refused.value) == (
            f"The shared store at 127.0.0.1:{server.port} cannot be reached, so this was not "
            "done (nothing was sent or changed): try again when Sealbox says it is back online."
        )

        server.resume()
        feed.connect()
        store.database.offline = False
        assert store.requests.get("r-1").name == "Before"  # a new connection, made by itself
        store.requests.add(make_request("r-2", "After"), "key-2")
        assert notices(feed, {"r-2"}) == {"r-2"}
        feed.close()
        store.close()
    finally:
        server.stop()
