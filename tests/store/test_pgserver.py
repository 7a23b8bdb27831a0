"""The throwaway PostgreSQL server the store tests run on (tests/support/pgserver.py)."""

from __future__ import annotations

import psycopg
import pytest

from tests.support import pgserver


def test_each_test_gets_an_empty_database_of_its_own(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")
        row = conn.execute("SELECT current_user, count(*) FROM t").fetchone()
    assert row == ("postgres", 1)


def test_the_database_of_the_test_before_is_gone(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_over_tcp_a_wrong_password_is_refused(pg_server: pgserver.PgServer) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg_server.url(password="wrong"))


def test_the_unix_socket_needs_no_password(pg_server: pgserver.PgServer) -> None:
    with psycopg.connect(pg_server.socket_url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
