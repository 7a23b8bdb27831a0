"""Change notices of the shared store: which requests another desk (or this one) changed.

Every committed change to a request, its history or its archive index sends
``NOTIFY sealbox_changes, '<request id>'`` (a trigger of the schema, app/store/pg_schema.py).
:class:`ChangeFeed` listens on a connection of its own. Its :meth:`~ChangeFeed.connect` blocks
(run it off the window's thread); :meth:`~ChangeFeed.drain` never blocks: call it when the
connection's socket (:meth:`~ChangeFeed.fileno`) is readable. A server that goes away makes the
socket readable too, and :meth:`~ChangeFeed.drain` then raises :class:`StoreOfflineError`.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.store.pg import StoreOfflineError, host_of

CHANNEL = "sealbox_changes"
#: Seconds to wait for the server when connecting (the caller retries later).
CONNECT_TIMEOUT_S = 5
#: TCP keepalives: a server that vanishes without closing the connection (a cable pulled, a
#: firewall) is noticed within about 20 seconds.
KEEPALIVES = "keepalives=1 keepalives_idle=10 keepalives_interval=5 keepalives_count=2"


class ChangeFeed:
    """A listening connection to the shared store at ``conninfo``."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.conn: psycopg.Connection[Any] | None = None

    @property
    def host(self) -> str:
        return host_of(self.conninfo)

    def _offline(self) -> StoreOfflineError:
        return StoreOfflineError(f"The shared store at {self.host} cannot be reached.")

    def connect(self) -> None:
        """Connect and listen (blocks up to :data:`CONNECT_TIMEOUT_S`); raises
        :class:`StoreOfflineError` when the server cannot be reached."""
        self.close()
        try:
            conn = psycopg.connect(
                make_conninfo(self.conninfo, **conninfo_to_dict(KEEPALIVES)),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
            )
        except psycopg.OperationalError as exc:
            raise self._offline() from exc
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        except psycopg.OperationalError as exc:
            conn.close()
            raise self._offline() from exc
        self.conn = conn

    @property
    def connected(self) -> bool:
        return self.conn is not None and not self.conn.closed and not self.conn.broken

    def fileno(self) -> int:
        """The socket to watch for readability (connected only)."""
        if self.conn is None:
            raise self._offline()
        return self.conn.fileno()

    def drain(self) -> set[str]:
        """The ids of the requests changed since the last call, without waiting; raises
        :class:`StoreOfflineError` (and closes the connection) when the server is gone."""
        if self.conn is None:
            raise self._offline()
        try:
            return {n.payload for n in self.conn.notifies(timeout=0)}
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise self._offline() from exc

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
