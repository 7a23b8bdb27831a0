"""Opening the store: the shared PostgreSQL store when an address is given, else this desk's
SQLite file."""

from __future__ import annotations

from pathlib import Path

from app.store.db import Database
from app.store.interface import Store
from app.store.sqlite import SqliteStore

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_address(address: str | None) -> bool:
    """Whether ``address`` names a PostgreSQL server (``postgresql://`` or ``postgres://``)."""
    return address is not None and address.strip().lower().startswith(_POSTGRES_SCHEMES)


def open_store(address: str | None, database_file: Path, drafts_dir: Path) -> Store:
    """The store at ``address`` (a ``postgresql://`` conninfo) or, without one, the SQLite file
    ``database_file``. ``drafts_dir`` holds the drafts' PDF copies either way."""
    if address is not None and address.strip():
        if not is_postgres_address(address):
            from app.errors import UserError

            raise UserError(
                "The store's address must start with postgresql:// (for example "
                "postgresql://sealbox@server/sealbox): correct it in Settings."
            )
        from app.store.pg import PgDatabase
        from app.store.postgres import PostgresStore

        return PostgresStore(PgDatabase(address.strip()), drafts_dir)
    return SqliteStore(Database(database_file), drafts_dir)
