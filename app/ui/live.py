"""Keeping the window current with what other desks (and other processes) do.

On the shared store (PostgreSQL) every committed change to a request, its history or its
archive index sends a notice (app/store/notices.py). :class:`LiveUpdates` listens on a
connection of its own: it connects off the window's thread and reads the notices when a
``QSocketNotifier`` says the connection's socket is readable, so the window never waits for the
server. ``changed(ids)`` then names the requests changed (the notices of
:data:`GATHER_MS` together); ``changed([])`` says anything may have
changed (the periodic refresh, every :data:`REFRESH_S` seconds on either backend, which also
catches what another process wrote to a SQLite file).

When the server goes away the store is held offline (every use fails at once with one clear
sentence instead of waiting), ``onlineChanged(False)`` is emitted, and a connection is tried
again every :data:`RETRY_S` seconds; when one succeeds the store is used again,
``onlineChanged(True)`` and ``changed([])`` follow (the notices missed meanwhile are lost, so
everything shown is read again).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from app.context import Context
from app.errors import UnavailableError
from app.ui.bridge import AsyncBridge

if TYPE_CHECKING:
    from app.store.notices import ChangeFeed
    from app.store.pg import PgDatabase

log = logging.getLogger(__name__)

#: What the status bar says when the shared store is back.
BACK_ONLINE = "Back online: the shared store can be reached again."


def offline_text(host: str) -> str:
    """What the status bar says while the shared store at ``host`` cannot be reached."""
    return (
        f"Offline — the shared store at {host} cannot be reached; Sealbox shows what it last "
        "read and reconnects by itself (sends wait on this desk until then)."
    )


#: Seconds between two periodic refreshes (the fallback for notices).
REFRESH_S = 30
#: Seconds between two tries to reach a shared store that was lost.
RETRY_S = 10
#: Notices arriving within this many milliseconds are read as one change (another desk's sync
#: of a thousand requests reloads the place a few times, not a thousand).
GATHER_MS = 200


class LiveUpdates(QObject):
    #: Requests that changed (ids); an empty list: anything may have changed.
    changed = Signal(list)
    #: True when the shared store can be reached again, False when it was lost.
    onlineChanged = Signal(bool)

    def __init__(
        self,
        ctx: Context,
        bridge: AsyncBridge,
        parent: QObject | None = None,
        *,
        refresh_s: float = REFRESH_S,
        retry_s: float = RETRY_S,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.online = True
        self.retry_s = retry_s
        self._feed: ChangeFeed | None = None
        self._notifier: QSocketNotifier | None = None
        self._connecting = False
        self._periodic = QTimer(self)
        self._periodic.setInterval(int(refresh_s * 1000))
        self._periodic.timeout.connect(self._tick)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._connect)
        self._pending: set[str] = set()
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.setInterval(GATHER_MS)
        self._gather.timeout.connect(self._flush)

    # --- the shared store ---------------------------------------------------------------------

    @property
    def database(self) -> PgDatabase | None:
        """The shared store's database; None on SQLite."""
        address = self.ctx.store_address.address
        if address is None or not address.is_postgresql:
            return None
        from app.store.pg import PgDatabase

        database = self.ctx.store.database
        return database if isinstance(database, PgDatabase) else None

    @property
    def host(self) -> str:
        database = self.database
        return database.host if database is not None else ""

    @property
    def listening(self) -> bool:
        return self._notifier is not None

    def start(self) -> None:
        """Refresh periodically and, on the shared store, listen for its notices."""
        self._periodic.start()
        database = self.database
        if database is not None:
            from app.store.notices import ChangeFeed

            self._feed = ChangeFeed(database.conninfo)
            self._connect()

    def stop(self) -> None:
        self._periodic.stop()
        self._retry.stop()
        self._gather.stop()
        self._drop_notifier()
        if self._feed is not None:
            self._feed.close()

    def _connect(self) -> None:
        if self._connecting or self._feed is None or self.bridge.closed:
            return
        self._connecting = True
        self.bridge.start(
            self.bridge.run_blocking(self._feed.connect),
            on_done=self._connected,
            on_error=self._connect_failed,
            label="Reaching the shared store",
        )

    def _connected(self, _result: object) -> None:
        self._connecting = False
        if self._feed is None:
            return
        notifier = QSocketNotifier(self._feed.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._readable)
        self._notifier = notifier
        database = self.database
        if database is not None:
            database.offline = False
        if not self.online:
            self.online = True
            log.info("the shared store at %s can be reached again", self.host)
            self.onlineChanged.emit(True)
            self.changed.emit([])

    def _connect_failed(self, exc: BaseException) -> None:
        self._connecting = False
        if not isinstance(exc, UnavailableError):
            raise exc
        self.lost(exc)

    def _readable(self) -> None:
        if self._feed is None:
            return
        try:
            ids = self._feed.drain()
        except UnavailableError as exc:
            self.lost(exc)
            return
        if ids:
            self._pending |= ids
            if not self._gather.isActive():
                self._gather.start()

    def _flush(self) -> None:
        ids, self._pending = sorted(self._pending), set()
        if ids:
            self.changed.emit(ids)

    def lost(self, reason: BaseException | None = None) -> None:
        """The shared store cannot be reached: work offline and try again later."""
        self._drop_notifier()
        if self._feed is not None:
            self._feed.close()
        database = self.database
        if database is not None:
            database.offline = True
        if self.online:
            self.online = False
            log.warning("the shared store at %s cannot be reached: %s", self.host, reason)
            self.onlineChanged.emit(False)
        if self._feed is not None and not self._retry.isActive():
            self._retry.start(int(self.retry_s * 1000))

    def trouble(self, exc: UnavailableError) -> None:
        """Reading the store failed for ``exc``: on the shared store the server was lost."""
        if self.database is not None:
            self.lost(exc)
        else:
            log.warning("the store could not be read: %s", exc)

    def _drop_notifier(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None

    def _tick(self) -> None:
        if self.online:
            self.changed.emit([])
