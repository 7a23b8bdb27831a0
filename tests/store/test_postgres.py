"""The store on PostgreSQL: what only the shared store has (its schema version, several desks
at once, the server's own refusals). Everything else runs on both backends (tests/unit)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from app.domain.lifecycle import Status
from app.domain.report import Report
from app.errors import UnavailableError, UserError
from app.store import pg_schema
from app.store.open import open_store
from app.store.pg import PgDatabase, translate
from app.store.postgres import PostgresStore
from app.store.records import ChangedMeanwhile
from app.store.sqlite import SqliteStore
from tests.support import pgserver
from tests.unit.test_store import make_request


def test_placeholders_are_translated_outside_quoted_text_only() -> None:
    assert translate("SELECT ? , 'a?b', \"c?\" FROM t WHERE x LIKE '10%' AND y = ?") == (
        "SELECT %s , 'a?b', \"c?\" FROM t WHERE x LIKE '10%%' AND y = %s"
    )


def test_the_address_chooses_the_backend(tmp_path: Path, pg_url: str) -> None:
    local = open_store(None, tmp_path / "sealbox.db", tmp_path / "drafts")
    shared = open_store(pg_url.replace("postgresql://", "postgres://"), tmp_path, tmp_path)
    try:
        assert isinstance(local, SqliteStore) and isinstance(shared, PostgresStore)
    finally:
        local.close()
        shared.close()
    with pytest.raises(UserError, match=r"must start with postgresql://"):
        open_store("mysql://server/db", tmp_path / "sealbox.db", tmp_path)


def test_a_newer_shared_store_is_refused_and_left_untouched(pg_url: str) -> None:
    PgDatabase(pg_url).close()
    newer = pg_schema.SCHEMA_VERSION + 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [newer])
        conn.execute("CREATE TABLE from_the_future (x INTEGER)")
        before = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY 1"
        ).fetchall()
    with pytest.raises(pg_schema.NewerStoreError) as refused:
        PgDatabase(pg_url)
    assert str(refused.value).startswith("The shared store, the database t_")
    assert f"newer Sealbox (schema {newer}, this one knows {newer - 1})" in str(refused.value)
    assert str(refused.value).endswith("update Sealbox to use it. It was not changed.")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(newer,)]
        after = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY 1"
        ).fetchall()
    assert after == before


def test_opening_again_migrates_nothing(pg_url: str) -> None:
    first = PgDatabase(pg_url)
    second = PgDatabase(pg_url)
    try:
        rows = second.reader.execute("SELECT version FROM schema_version").fetchall()
        assert rows == [(pg_schema.SCHEMA_VERSION,)]
    finally:
        first.close()
        second.close()


def _waiting_for_a_lock(pg_url: str, pid: int, timeout: float = 30) -> None:
    """Wait (polling, with a deadline) until backend ``pid`` waits for a row lock."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()
            if row is not None and row[0] == "Lock":
                return
            if time.monotonic() > deadline:
                raise AssertionError("the second desk never waited for the first")
            time.sleep(0.01)


def test_two_desks_racing_on_one_version_change_it_once(pg_url: str, tmp_path: Path) -> None:
    """Both desks read version v and report on it; the first holds its change open until the
    second is waiting; the second then finds the version changed and changes nothing."""
    one = PostgresStore(PgDatabase(pg_url), tmp_path)
    two = PostgresStore(PgDatabase(pg_url), tmp_path)
    request = make_request()
    one.requests.add(request, "key-race")
    one.requests.apply_report(request.id, Report(status=Status.SENT))
    seen = two.requests.version(request.id)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with one.transaction():
            one.requests.apply_report(
                request.id, Report(status=Status.DECLINED), expect_version=seen
            )
            second = pool.submit(
                two.requests.apply_report,
                request.id,
                Report(status=Status.EXPIRED),
                expect_version=seen,
            )
            _waiting_for_a_lock(pg_url, two.database.conn.info.backend_pid)
        with pytest.raises(ChangedMeanwhile):
            second.result(timeout=60)
    assert one.requests.get(request.id).status == Status.DECLINED
    kinds = [e.kind for e in one.requests.events(request.id)]
    assert kinds.count("refresh") == 2  # sent, declined: the expiry was not applied
    one.close()
    two.close()


def test_a_wrong_password_is_said_plainly(pg_server: pgserver.PgServer, pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with pytest.raises(UserError) as refused:
        PgDatabase(pg_server.url(name, password="not-the-password"))
    assert str(refused.value) == (
        f"The PostgreSQL server refused the password of postgres for the database {name} on "
        f"127.0.0.1:{pg_server.port}: check the user name and password."
    )
    assert "not-the-password" not in str(refused.value)


def test_an_unreachable_server_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError) as refused:
        PgDatabase(f"postgresql://sealbox:pw@127.0.0.1:{pgserver._free_port()}/office")
    assert str(refused.value).startswith("Cannot reach the database office on 127.0.0.1:") and str(
        refused.value
    ).endswith(
        "check the address and that the server is running (and that this computer may "
        "connect to it)."
    )


def test_a_user_without_rights_is_told_whom_to_ask(
    pg_server: pgserver.PgServer, pg_url: str
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'")
    try:
        with pytest.raises(UserError) as refused:
            PgDatabase(pg_server.url(name, user="clerk", password="clerk-pw"))
        assert str(refused.value) == (
            f"clerk has no right to create or change Sealbox's tables in the database {name} on "
            f"127.0.0.1:{pg_server.port}: ask the database's administrator to make that user "
            "the database's owner."
        )
    finally:
        with psycopg.connect(pg_server.socket_url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            conn.execute("DROP ROLE clerk")
