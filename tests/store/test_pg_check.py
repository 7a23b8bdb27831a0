"""Test connection to a shared store, against a real (throwaway) PostgreSQL server: each answer
it can give, in the words the user reads."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from app.store.address import StoreAddress, parse_address
from app.store.pg import PgDatabase
from app.store.pg_check import check_store
from app.store.pg_schema import SCHEMA_VERSION


def split(url: str) -> tuple[StoreAddress, str]:
    """``url`` (with its password) as an address without one, and the password."""
    parts = conninfo_to_dict(url)
    password = str(parts.pop("password"))
    address = parse_address(
        f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    )
    assert address is not None
    return address, password


@pytest.fixture
def migrated(pg_url: str) -> str:
    """A shared store set up by Sealbox (its schema, at this Sealbox's version)."""
    PgDatabase(pg_url).close()
    return pg_url


@pytest.fixture
def role(pg_url: str) -> Iterator[tuple[str, str]]:
    """A login role of its own (name, password) that may connect to ``pg_url``'s database and
    nothing more; dropped after the test."""
    name, password = f"clerk_{uuid.uuid4().hex[:8]}", "clerk-password"
    dbname = str(conninfo_to_dict(pg_url)["dbname"])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT CONNECT ON DATABASE {dbname} TO {name}")
    yield name, password
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {name}")
        conn.execute(f"DROP ROLE {name}")


def as_role(url: str, role: tuple[str, str]) -> tuple[StoreAddress, str]:
    address, _ = split(url)
    return StoreAddress(
        kind="postgresql", host=address.host, port=address.port, user=role[0], dbname=address.dbname
    ), role[1]


def test_a_store_set_up_and_writable_is_ready(migrated: str) -> None:
    answer = check_store(*split(migrated))
    assert answer.ok and answer.kind == "ready"
    assert answer.message == (
        f"The server answers: the shared store is ready (schema version {SCHEMA_VERSION}), "
        "and postgres may read and write it."
    )


def test_an_empty_database_will_be_set_up(pg_url: str) -> None:
    answer = check_store(*split(pg_url))
    assert answer.ok and answer.kind == "empty"
    assert answer.message == "The server answers: the shared store is empty and will be set up."


def test_a_host_that_does_not_answer(pg_url: str) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address, password = split(pg_url)
    answer = check_store(StoreAddress("postgresql", "127.0.0.1", port, "postgres", "x"), password)
    assert answer.kind == "unreachable" and not answer.ok
    assert answer.message == (
        f"Cannot reach 127.0.0.1 (port {port}): check the address or the network."
    )
    assert address.host == "127.0.0.1"


def test_a_wrong_or_missing_password(pg_url: str) -> None:
    address, password = split(pg_url)
    wrong = check_store(address, "not-" + password)
    assert wrong.kind == "password"
    assert wrong.message == (
        "The server refused the password of postgres: check the user name and the password."
    )
    assert password not in wrong.message
    missing = check_store(address, None)
    assert missing.kind == "password"
    assert missing.message == (
        "The server asks for the password of postgres: enter it and test again."
    )


def test_a_database_that_is_not_there(pg_url: str) -> None:
    address, password = split(pg_url)
    answer = check_store(
        StoreAddress("postgresql", address.host, address.port, "postgres", "no_such_db"), password
    )
    assert answer.kind == "no-database"
    assert answer.message == (
        "The server at 127.0.0.1 has no database 'no_such_db': check its name, or ask the "
        "database's administrator to create it."
    )


def test_a_newer_schema_says_update_sealbox(migrated: str) -> None:
    with psycopg.connect(migrated, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [SCHEMA_VERSION + 5])
    answer = check_store(*split(migrated))
    assert answer.kind == "newer" and not answer.ok
    assert answer.message == (
        f"The shared store's schema version {SCHEMA_VERSION + 5} is newer than this Sealbox "
        f"knows ({SCHEMA_VERSION}): update Sealbox."
    )


def test_a_user_who_may_only_read(migrated: str, role: tuple[str, str]) -> None:
    with psycopg.connect(migrated, autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role[0]}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role[0]}")
    answer = check_store(*as_role(migrated, role))
    assert answer.kind == "read-only" and not answer.ok
    assert answer.message == (
        f"{role[0]} may read the shared store but not write to it: ask the database's "
        "administrator for the rights to change its tables."
    )


def test_a_user_who_may_not_read(migrated: str, role: tuple[str, str]) -> None:
    answer = check_store(*as_role(migrated, role))
    assert answer.kind == "no-rights" and not answer.ok
    assert answer.message == (
        f"{role[0]} may not read the shared store: ask the database's administrator for the "
        "rights to read and write its tables."
    )


def test_a_user_who_may_not_set_up_an_empty_store(pg_url: str, role: tuple[str, str]) -> None:
    # PostgreSQL 15 and later: only the database's owner may create tables in "public".
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    answer = check_store(*as_role(pg_url, role))
    assert answer.kind == "cannot-set-up" and not answer.ok
    assert answer.message == (
        f"The shared store is empty and {role[0]} may not set it up: ask the database's "
        "administrator to let that user create tables in it."
    )


def test_an_older_schema_will_be_brought_up(migrated: str) -> None:
    with psycopg.connect(migrated, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [SCHEMA_VERSION - 1])
    answer = check_store(*split(migrated))
    assert answer.kind == "older" and answer.ok
    assert answer.message == (
        f"The server answers: the shared store is at schema version {SCHEMA_VERSION - 1} and "
        f"will be brought up to {SCHEMA_VERSION} when Sealbox opens it."
    )
