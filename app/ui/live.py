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

A desk that started while the server could not be reached holds a store never reached yet
(:attr:`LiveUpdates.unread`): the same retry then also opens the store off the window's thread,
checking its schema, before it is used. A store that cannot be used even then (a newer
Sealbox's, or a password refused meanwhile) is refused for good: ``refused(text)`` says why, and
nothing is tried again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

from app.context import Context
from app.errors import UnavailableError, UserError
from app.ui.bridge import AsyncBridge

if TYPE_CHECKING:
    from app.store.notices import ChangeFeed
    from app.store.pg import PgDatabase

log = logging.getLogger(__name__)

#: What the status bar says when the shared store is back.
BACK_ONLINE = "Back online: the shared store can be reached again."


def store_unread(ctx: Context, what: str) -> str | None:
    """What a place says instead of its rows while the shared store has not been read since
    the start (``what``: the requests, the archive): its server could not be reached yet, or,
    reached at last, it cannot be used. None once it has been read (and on SQLite)."""
    from app.store.pg import PgDatabase

    database = ctx.store.database
    if not isinstance(database, PgDatabase) or database.checked:
        return None
    if database.refused is not None:
        return f"Nothing can be read. {database.refused.for_app()}"
    return (
        f"Nothing read yet: the shared store at {database.host} cannot be reached yet. "
        f"Sealbox tries again by itself and shows {what} once it can."
    )


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
    #: The shared store, reached at last, cannot be used: why (one sentence for the window).
    refused = Signal(str)

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
    def unread(self) -> bool:
        """Whether the shared store has not been reached since the start."""
        database = self.database
        return database is not None and not database.checked

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
        database = self.database
        if database is not None and database.refused is not None:
            return
        self._connecting = True
        unread = database.conninfo if database is not None and not database.checked else None
        self.bridge.start(
            self.bridge.run_blocking(_reach, self._feed, unread),
            on_done=self._connected,
            on_error=self._connect_failed,
            label="Reaching the shared store",
        )

    def _connected(self, opened: PgDatabase | None) -> None:
        self._connecting = False
        if self._feed is None:
            if opened is not None:
                opened.close()
            return
        if opened is not None and self.database is not None:
            self.database.take_over(opened)  # its schema checked: the store is used from now
            log.info("the shared store at %s was reached for the first time", self.host)
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
        if isinstance(exc, UserError):
            self._refuse(exc)
            return
        if not isinstance(exc, UnavailableError):
            raise exc
        self.lost(exc)

    def _refuse(self, exc: UserError) -> None:
        """The store, reached at last, cannot be used (``exc`` says why): it stays unused, held
        offline, and nothing is tried again."""
        database = self.database
        if database is not None:
            database.refuse(exc)
        self._retry.stop()
        if self._feed is not None:
            self._feed.close()
        log.warning("the shared store at %s cannot be used: %s", self.host, exc)
        self.refused.emit(exc.for_app())

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
            why = reason if reason is not None else "not reached since the start"
            log.warning("the shared store at %s cannot be reached: %s", self.host, why)
            self.onlineChanged.emit(False)
        refused = database is not None and database.refused is not None
        if self._feed is not None and not refused and not self._retry.isActive():
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


def _reach(feed: ChangeFeed, unread: str | None) -> PgDatabase | None:
    """Off the window's thread: listen on ``feed`` and, for a store never reached yet (its
    address ``unread``), open it first (connecting and checking its schema); the store opened,
    or None. Raises what the server says (:func:`app.store.pg.connect_error`'s sentences, a
    newer store's refusal)."""
    from app.store.pg import PgDatabase

    opened = PgDatabase(unread) if unread is not None else None
    try:
        feed.connect()
    except BaseException:
        if opened is not None:
            opened.close()
        raise
    return opened
