"""The store on each backend, for the tests that run on both (the ``store`` fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.store.db import Database
from app.store.pg import PgDatabase
from app.store.postgres import PostgresStore
from app.store.sqlite import SqliteStore

BACKENDS = ["sqlite", "postgresql"]
AnyStore = SqliteStore | PostgresStore
AnyDatabase = Database | PgDatabase


def open_database(kind: str, folder: Path, pg_url: str | None) -> AnyDatabase:
    if kind == "sqlite":
        return Database(folder / "sealbox.db")
    assert pg_url is not None
    return PgDatabase(pg_url)


def make_store(database: AnyDatabase, folder: Path) -> AnyStore:
    if isinstance(database, Database):
        return SqliteStore(database, folder / "drafts")
    return PostgresStore(database, folder / "drafts")


def in_transaction(database: Any) -> bool:
    """Whether ``database`` (either backend) has a transaction open."""
    if isinstance(database, Database):
        return database.conn.in_transaction
    from psycopg.pq import TransactionStatus

    return bool(database.conn.info.transaction_status != TransactionStatus.IDLE)


def use_store(ctx: Any, store: AnyStore) -> None:
    """Make ``ctx`` (an :class:`app.context.Context`) work on ``store``."""
    ctx.__dict__["database"] = store.database
    ctx.__dict__["store"] = store
    ctx.__dict__.pop("requests", None)
