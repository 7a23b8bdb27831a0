"""The store on one SQLite file: every repository over one connection (:mod:`app.store.db`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.store.db import Database
from app.store.repositories import Repositories

if TYPE_CHECKING:
    from app.store.interface import Store


class SqliteStore(Repositories[Database]):
    """The repositories of :mod:`app.store.interface` on one SQLite file."""


if TYPE_CHECKING:

    def _implements_the_interface(store: SqliteStore) -> Store:
        return store  # mypy checks every repository against its protocol here
