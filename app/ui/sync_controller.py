"""Background sync for the app: the same work as ``sealbox sync``, on a timer, never blocking.

On start the controller finishes interrupted sends (the outbox), then refreshes in-flight
requests every ``sync_interval_s`` seconds (settings), with the per-provider concurrency bound of
:mod:`app.services.sync`; ``Retry-After`` answers are honoured by the HTTP layer. When nothing
could be reached the app is shown offline and the next try backs off (doubling, at most
:data:`MAX_BACKOFF_S`) until a provider answers again. Finished requests are archived by the
sync itself. A request that completes, is declined or expires raises a notification: the system
tray's where there is one, the status bar's otherwise.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QSystemTrayIcon

from app.context import Context
from app.domain.lifecycle import Status
from app.errors import SealboxError
from app.services.sync import SyncResult, sync
from app.ui.bridge import AsyncBridge

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 600
#: Status changes worth telling the user about, with the sentence for each.
NOTIFY: dict[str, str] = {
    Status.COMPLETED.value: "{name} was signed by everyone.",
    Status.DECLINED.value: "{name} was declined.",
    Status.EXPIRED.value: "{name} expired before everyone signed.",
}
TITLES: dict[str, str] = {
    Status.COMPLETED.value: "Signed",
    Status.DECLINED.value: "Declined",
    Status.EXPIRED.value: "Expired",
}


class SyncController(QObject):
    #: A sync finished (its result).
    synced = Signal(object)
    #: Requests whose rows may have changed (ids).
    requestsChanged = Signal(list)
    #: True while the providers can be reached.
    onlineChanged = Signal(bool)
    #: A notification was raised (title, message) — also shown in the tray if there is one.
    notified = Signal(str, str)
    #: A sync started (True) or ended (False).
    runningChanged = Signal(bool)

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.online = True
        self.running = False
        self.failures = 0
        self.last: SyncResult | None = None
        self.tray: QSystemTrayIcon | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._again = False

    @property
    def interval_s(self) -> int:
        return max(1, int(self.ctx.settings.sync_interval_s))

    def start(self) -> None:
        """Sync now (finishing interrupted sends) and then on the interval."""
        self.sync_now()

    def stop(self) -> None:
        self._timer.stop()

    def apply_settings(self) -> None:
        """Settings changed: the new interval applies from now."""
        if self._timer.isActive():
            self._timer.start(self.interval_s * 1000)

    def next_delay_s(self) -> int:
        if self.failures == 0:
            return self.interval_s
        backoff: int = self.interval_s * 2 ** min(self.failures, 10)
        return min(MAX_BACKOFF_S, backoff)

    def sync_now(self, *, again: bool = False) -> bool:
        """Start a sync unless one is running; False when one already was (``again``: then
        another starts as soon as it ends, for what it could not see)."""
        if self.running:
            self._again = self._again or again
            return False
        self._timer.stop()
        self.running = True
        self.runningChanged.emit(True)
        self.bridge.start(
            sync(self.ctx), on_done=self._done, on_error=self._failed, label="Checking requests"
        )
        return True

    def _schedule(self) -> None:
        self.running = False
        self.runningChanged.emit(False)
        again, self._again = self._again, False
        self._timer.start(0 if again else self.next_delay_s() * 1000)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.onlineChanged.emit(online)

    def _done(self, result: SyncResult) -> None:
        self.last = result
        if result.offline:
            self.failures += 1
            self._set_online(False)
        else:
            self.failures = 0
            self._set_online(True)
        touched = sorted(
            {
                *result.delivered,
                *result.reconciled,
                *result.changed,
                *result.finalized,
                *result.archived,
            }
        )
        for request_id, status in result.changed.items():
            if status in NOTIFY:
                self._notify(request_id, status)
        if touched:
            self.requestsChanged.emit(touched)
        self.synced.emit(result)
        self._schedule()

    def _failed(self, exc: BaseException) -> None:
        log.warning("sync failed: %s", exc)
        self.failures += 1
        self._schedule()

    def _notify(self, request_id: str, status: str) -> None:
        if not self.ctx.settings.notifications:
            return
        try:
            name = self.ctx.requests.get(request_id).name
        except SealboxError:
            name = request_id[:8]
        title = TITLES[status]
        message = NOTIFY[status].format(name=repr(name))
        if self.tray is not None and self.tray.isVisible():
            self.tray.showMessage(title, message)
        self.notified.emit(title, message)
