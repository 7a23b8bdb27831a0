"""The store on a shared PostgreSQL database: the same repositories as on SQLite
(:mod:`app.store.sqlite`), over :class:`app.store.pg.PgDatabase`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.store.pg import PgDatabase
from app.store.repositories import Repositories

if TYPE_CHECKING:
    from app.store.interface import Store


class PostgresStore(Repositories[PgDatabase]):
    """The repositories of :mod:`app.store.interface` on the shared PostgreSQL database."""


if TYPE_CHECKING:

    def _implements_the_interface(store: PostgresStore) -> Store:
        return store  # mypy checks every repository against its protocol here
