"""The shared store of a desk that started while its server could not be reached: made without
a connection, held offline, it connects and checks its schema at its first use after that (or
takes over a store opened meanwhile); a store of a newer Sealbox found then is refused for good
and left untouched."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from app.errors import UnavailableError
from app.store import pg_schema
from app.store.pg import PgDatabase, StoreOfflineError
from app.store.postgres import PostgresStore
from tests.unit.test_store import make_request


def tables(url: str) -> list[tuple[str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY 1"
        ).fetchall()


def test_a_store_made_offline_connects_and_sets_up_its_schema_at_its_first_use(
    pg_url: str, tmp_path: Path
) -> None:
    database = PgDatabase(pg_url, connect=False)
    store = PostgresStore(database, tmp_path / "drafts")
    try:
        assert database.offline and not database.checked
        with pytest.raises(StoreOfflineError, match=r"cannot be reached, so this was not done"):
            store.requests.exists("r-1")
        assert tables(pg_url) == []  # nothing was done on the server
        database.offline = False  # the server can be reached
        store.requests.add(make_request("r-1", "First use"), "key-1")
        assert database.checked
        assert store.requests.get("r-1").name == "First use"
    finally:
        store.close()
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SELECT version FROM schema_version").fetchall()
    assert version == [(pg_schema.SCHEMA_VERSION,)]


def test_a_store_made_offline_takes_over_one_opened_meanwhile(pg_url: str) -> None:
    database = PgDatabase(pg_url, connect=False)
    try:
        opened = PgDatabase(pg_url)  # as the app opens it off the window's thread
        database.take_over(opened)
        assert database.checked and not database.offline
        rows = database.reader.execute("SELECT version FROM schema_version").fetchall()
        assert rows == [(pg_schema.SCHEMA_VERSION,)]
        opened.close()  # it gave its connection away: closing it closes nothing in use
        assert database.reader.execute("SELECT 1").fetchall() == [(1,)]
    finally:
        database.close()


def test_a_newer_store_found_at_the_first_use_is_refused_for_good_and_left_untouched(
    pg_url: str,
) -> None:
    PgDatabase(pg_url).close()
    newer = pg_schema.SCHEMA_VERSION + 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [newer])
    before = tables(pg_url)
    database = PgDatabase(pg_url, connect=False)
    try:
        database.offline = False
        for _ in range(2):  # refused at the first use, and at every one after it
            with pytest.raises(pg_schema.NewerStoreError, match=r"made by a newer Sealbox"):
                database.reader.execute("SELECT 1")
        assert database.refused is not None and not database.checked
        with pytest.raises(pg_schema.NewerStoreError), database.write() as db:
            db.execute("CREATE TABLE must_not_exist (x INTEGER)")
    finally:
        database.close()
    assert tables(pg_url) == before
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(newer,)]


def test_a_server_still_out_of_reach_at_the_first_use_is_said_plainly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    database = PgDatabase(f"postgresql://clerk@127.0.0.1:{port}/sealbox", connect=False)
    database.offline = False
    with pytest.raises(UnavailableError) as unreached:
        database.reader.execute("SELECT 1")
    assert str(unreached.value) == (
        f"Cannot reach the database sealbox on 127.0.0.1:{port}: check the address and that "
        "the server is running (and that this computer may connect to it)."
    )
    assert database.refused is None and not database.checked  # tried again at the next use
    database.close()
