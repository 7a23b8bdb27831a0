"""What the repositories ask of a database, on SQLite (:class:`app.store.db.Database`) and on
PostgreSQL (:class:`app.store.pg.PgDatabase`) alike: a reader, and write transactions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class ReaderLike(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Any: ...
    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]: ...


class StoreDatabase(Protocol):
    @property
    def reader(self) -> ReaderLike: ...

    def write(self) -> AbstractContextManager[Any]:
        """A write transaction (joined when one is open); its handle has ``execute`` and
        ``table(name).insert/insert_all/update``."""

    def close(self) -> None: ...
