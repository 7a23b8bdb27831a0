"""The store's connection on PostgreSQL: the same reader and write transactions the
repositories use on SQLite (:mod:`app.store.db`), over psycopg 3.

The repositories' SQL is written once, with ``?`` placeholders; :func:`translate` turns them into
psycopg's ``%s`` (parameters are always bound, never formatted into the SQL). A write is one
transaction (``BEGIN`` … ``COMMIT``, READ COMMITTED); a write inside another joins it as a
savepoint, as on SQLite. What the server says when it cannot be used (unreachable, a wrong
password, no rights, a newer schema) becomes one sentence for the user (:func:`connect_error`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from app.errors import StoreUnreachableError, UnavailableError, UserError
from app.store.dialect import POSTGRES
from app.store.records import StoreDatabaseError

#: The primary key ``table(name).update`` changes a row by.
_KEYS = {"requests": "id", "drafts": "id", "runs": "id", "templates": "name"}
CONNECT_TIMEOUT_S = 10


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """``sql`` with its ``?`` placeholders (outside quoted text) as psycopg's ``%s``, and every
    literal ``%`` doubled."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote is not None:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        else:
            out.append("%%" if ch == "%" else ch)
    return "".join(out)


def _bound(values: Iterable[Any]) -> list[Any]:
    """Parameters as SQLite stores them: a bool is 0 or 1 (the columns are integers)."""
    return [int(v) if isinstance(v, bool) else v for v in values]


def describe(conninfo: str) -> str:
    """Where ``conninfo`` points, for a message: ``database on host:port`` (no password)."""
    try:
        parts = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "the PostgreSQL server"
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "this computer"
    port = f":{parts['port']}" if parts.get("port") else ""
    database = parts.get("dbname") or parts.get("user") or ""
    return f"the database {database!s} on {host}{port}"


def connect_error(conninfo: str, exc: BaseException) -> UserError | UnavailableError:
    """The sentence a user gets for a server that cannot be used (``exc``: psycopg's error, or
    the store's error made of one)."""
    if not isinstance(exc, psycopg.Error) and isinstance(exc.__cause__, psycopg.Error):
        exc = exc.__cause__
    text = str(exc)
    where = describe(conninfo)
    user = conninfo_to_dict(conninfo).get("user") or "the user"
    if "password authentication failed" in text or "no password supplied" in text:
        return UserError(
            f"The PostgreSQL server refused the password of {user} for {where}: "
            "check the user name and password."
        )
    if "does not exist" in text and "database" in text:
        return UserError(
            f"There is no {where.removeprefix('the ')}: check the database name, or ask its "
            "administrator to create it."
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege) or "permission denied" in text:
        return UserError(
            f"{user} has no right to create or change Sealbox's tables in {where}: ask the "
            "database's administrator to make that user the database's owner."
        )
    return StoreUnreachableError(
        f"Cannot reach {where}: check the address and that the server is running "
        "(and that this computer may connect to it)."
    )


class LostConnectionError(StoreUnreachableError):
    """The shared store's server went away in the middle of the work."""


@contextmanager
def _guarded() -> Iterator[None]:
    """psycopg's errors as the store's: a lost server is :class:`LostConnectionError` (the
    work can be tried again later), anything else :class:`StoreDatabaseError`."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise LostConnectionError(
            "The connection to the shared store was lost: check the network and that the "
            "server is running, then try again."
        ) from exc
    except psycopg.Error as exc:
        raise StoreDatabaseError(str(exc)) from exc


class PgReader:
    """Reads: ``execute`` (a cursor) and ``query`` (rows as dicts), as on SQLite, on the
    database's connection as it is now (a new one after the server was lost)."""

    dialect = POSTGRES

    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    @property
    def conn(self) -> psycopg.Connection[Any]:
        return self.database.connection()

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> psycopg.Cursor[Any]:
        with _guarded():
            return self.conn.execute(translate(sql), _bound(parameters or ()))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        keys = [d.name for d in cursor.description or ()]
        for row in cursor.fetchall():
            yield dict(zip(keys, row, strict=True))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _guarded(), self.conn.cursor() as cursor:
            cursor.executemany(translate(sql), [_bound(r) for r in rows])


class PgTable:
    """The three calls of sqlite-utils' ``Table`` the repositories write with."""

    def __init__(self, writer: PgReader, name: str) -> None:
        self.writer = writer
        self.name = name

    def _insert_sql(self, columns: Sequence[str]) -> str:
        return (
            pgsql.SQL("INSERT INTO {} ({}) VALUES ({})")
            .format(
                pgsql.Identifier(self.name),
                pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns),
                pgsql.SQL(", ").join(pgsql.SQL("?") for _ in columns),
            )
            .as_string(None)
        )

    def insert(self, row: Mapping[str, Any]) -> None:
        self.writer.execute(self._insert_sql(list(row)), list(row.values()))

    def insert_all(self, rows: Iterable[Mapping[str, Any]]) -> None:
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(list(row.values()))
        for columns, values in groups.items():
            self.writer.executemany(self._insert_sql(columns), values)

    def update(self, key: Any, changes: Mapping[str, Any]) -> None:
        statement = pgsql.SQL("UPDATE {} SET {} WHERE {} = ?").format(
            pgsql.Identifier(self.name),
            pgsql.SQL(", ").join(pgsql.SQL("{} = ?").format(pgsql.Identifier(c)) for c in changes),
            pgsql.Identifier(_KEYS[self.name]),
        )
        self.writer.execute(statement.as_string(None), [*changes.values(), key])


class PgWriter(PgReader):
    """A write transaction's handle: ``execute``, ``table(name)`` and ``conn.executemany``."""

    def table(self, name: str) -> PgTable:
        return PgTable(self, name)

    @property
    def writer(self) -> PgWriter:
        return self


def host_of(conninfo: str) -> str:
    """The server ``conninfo`` names, for a status line: ``host:port`` (no password)."""
    try:
        parts = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "the server"
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "this computer"
    return f"{host}:{parts['port']}" if parts.get("port") else host


class StoreOfflineError(LostConnectionError):
    """The shared store cannot be reached now (this desk is working offline)."""


class PgDatabase:
    """One connection to the shared store. Use :meth:`write` for every change.

    A connection the server dropped is replaced by a new one at the next use. While the store
    is held :attr:`offline` (the app does this when it finds the server gone, until its own
    retry reaches it again) every use fails at once with :class:`StoreOfflineError` instead of
    waiting for a connection that cannot be made.

    ``PgDatabase(conninfo, connect=False)`` is the store of a desk that started while its server
    could not be reached: held offline, not connected, its schema not checked yet. The first
    use once it is no longer offline connects and checks (and brings up to date) the schema
    first, as opening it does; or the app checks it off the window's thread
    (``PgDatabase(conninfo)``) and hands that over with :meth:`take_over`. A store found to be
    of a newer Sealbox then is refused as at opening, changed in nothing, and every later use
    raises that refusal."""

    dialect = POSTGRES

    def __init__(self, conninfo: str, *, connect: bool = True) -> None:
        self.conninfo = conninfo
        self._offline = not connect
        #: Writes open (nested ones are savepoints): a connection lost inside one is not
        #: replaced, so no statement of the transaction runs outside it.
        self._writing = 0
        self._conn: psycopg.Connection[Any] | None = None
        #: Whether the schema was checked on this server (it is before any other use).
        self._checked = False
        #: Why this store must not be used (found when it was first reached).
        self._refused: UserError | None = None
        self.reader = PgReader(self)
        self._writer = PgWriter(self)
        if connect:
            self._open()

    def _open(self) -> None:
        """Connect and check the schema (bringing an older one up to date); what the server
        says when it cannot be used is :func:`connect_error`'s sentence."""
        from app.store.pg_schema import NewerStoreError, migrate

        try:
            conn = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            )
        except psycopg.Error as exc:
            raise connect_error(self.conninfo, exc) from exc
        self._conn = conn
        self._checked = True  # the schema's own queries run on this connection
        try:
            migrate(self)
        except NewerStoreError as exc:
            self._forget(conn)
            self._refused = exc
            raise
        except (psycopg.Error, StoreDatabaseError, LostConnectionError) as exc:
            self._forget(conn)
            raise connect_error(self.conninfo, exc) from exc
        except BaseException:
            self._forget(conn)
            raise

    def _forget(self, conn: psycopg.Connection[Any]) -> None:
        conn.close()
        self._conn = None
        self._checked = False

    @property
    def checked(self) -> bool:
        """Whether the store was reached and its schema checked (False for a store held
        offline since the start, until its server is reached)."""
        return self._checked

    def take_over(self, opened: PgDatabase) -> None:
        """Use the connection of ``opened`` (the same address, opened and checked meanwhile,
        e.g. off the window's thread) from now on, and no longer be offline."""
        if opened.conninfo != self.conninfo or opened._conn is None:
            raise ValueError("take_over needs an opened database at the same address")
        if self._conn is not None:
            self._conn.close()
        self._conn, opened._conn = opened._conn, None
        self._checked = True
        self._offline = False

    @property
    def refused(self) -> UserError | None:
        """Why this store must not be used (a newer schema found when it was first reached)."""
        return self._refused

    def refuse(self, reason: UserError) -> None:
        """Never use this store: every use from now on raises ``reason``."""
        self._refused = reason

    @property
    def conn(self) -> psycopg.Connection[Any]:
        """The connection as it is now (the store must have been reached)."""
        if self._conn is None:
            raise self.offline_error()
        return self._conn

    @property
    def where(self) -> str:
        return describe(self.conninfo)

    @property
    def host(self) -> str:
        return host_of(self.conninfo)

    @property
    def offline(self) -> bool:
        """Whether the store is held offline (every use fails at once)."""
        return self._offline

    @offline.setter
    def offline(self, offline: bool) -> None:
        if self._offline and not offline and self._conn is not None:
            # The connection of before the outage is not trusted: the next use makes a new one
            # (a server that restarted dropped it without this process reading so yet).
            self._conn.close()
        self._offline = offline

    def offline_error(self) -> StoreOfflineError:
        return StoreOfflineError(
            f"The shared store at {self.host} cannot be reached, so this was not done (nothing "
            "was sent or changed): try again when Sealbox says it is back online."
        )

    def connection(self) -> psycopg.Connection[Any]:
        """The connection, made anew when the server dropped the last one."""
        if self._refused is not None:
            raise self._refused
        if self._offline:
            raise self.offline_error()
        if not self._checked:
            self._open()  # the first use of a store that was out of reach at the start
            return self.conn
        if self._conn is None or self._conn.closed or self._conn.broken:
            if self._writing:
                raise LostConnectionError(
                    "The connection to the shared store was lost: check the network and that "
                    "the server is running, then try again."
                )
            try:
                self._conn = psycopg.connect(
                    self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                )
            except psycopg.OperationalError as exc:
                raise self.offline_error() from exc
        return self._conn

    @contextmanager
    def write(self) -> Iterator[PgWriter]:
        """A transaction (a savepoint inside one already open); commits on success."""
        conn = self.connection()
        self._writing += 1
        try:
            with _guarded(), conn.transaction():
                yield self._writer
        finally:
            self._writing -= 1

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
