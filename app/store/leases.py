"""Leases: which desk and process is refreshing, downloading or archiving a request in flight.

Several desks (and several processes of one desk) share a store; each request is worked on by
one of them at a time. A lease is a row ``(request_id, holder, expires_at)``:

- :meth:`Leases.claim` takes it with one atomic statement (an insert that, on conflict, updates
  the row only when it is free: expired, or already this holder's), so of two desks claiming at
  once exactly one gets it;
- the holder renews it while it works (:meth:`Leases.renew`) and releases it at the end
  (:meth:`Leases.release`);
- a holder that dies (a crash, ``kill -9``, a desk switched off) stops renewing: its lease
  expires and the next desk claims it.

``expires_at`` is milliseconds since 1970 by the claiming desk's clock: desks sharing a store
keep their clocks set (NTP), and a lease lasts far longer than they drift apart. The SQL is
the same on SQLite and PostgreSQL (``INSERT … ON CONFLICT … DO UPDATE … WHERE``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from app.store.connection import StoreDatabase

#: Take a lease when it is free: none, expired, or already this holder's. One statement, so of
#: two desks claiming at once exactly one gets it (the other's conflict update finds it held).
_CLAIM = (
    "INSERT INTO leases (request_id, holder, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (request_id) DO UPDATE SET holder = excluded.holder, "
    "expires_at = excluded.expires_at "
    "WHERE leases.expires_at <= ? OR leases.holder = excluded.holder"
)


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Lease:
    request_id: str
    holder: str
    #: Milliseconds since 1970.
    expires_at: int

    @property
    def expired(self) -> bool:
        return self.expires_at <= _now_ms()


class Leases:
    """The repository of leases; each call is one transaction of its own."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    def claim(self, request_id: str, holder: str, seconds: float) -> bool:
        """Take ``request_id``'s lease for ``seconds`` if it is free (no lease, an expired one,
        or ``holder``'s own); False when another holder's lease is still running."""
        now = _now_ms()
        until = now + int(seconds * 1000)
        with self.database.write() as db:
            cursor = db.execute(_CLAIM, [request_id, holder, until, now])
            return bool(cursor.rowcount == 1)

    def claim_many(self, request_ids: Sequence[str], holder: str, seconds: float) -> list[str]:
        """:meth:`claim` each of ``request_ids`` in one transaction (one commit for them all);
        returns those claimed, in order."""
        now = _now_ms()
        until = now + int(seconds * 1000)
        claimed = []
        with self.database.write() as db:
            for request_id in request_ids:
                cursor = db.execute(_CLAIM, [request_id, holder, until, now])
                if cursor.rowcount == 1:
                    claimed.append(request_id)
        return claimed

    def renew_many(self, request_ids: Sequence[str], holder: str, seconds: float) -> int:
        """Extend ``holder``'s leases of ``request_ids``; returns how many it still held."""
        if not request_ids:
            return 0
        until = _now_ms() + int(seconds * 1000)
        marks = ", ".join("?" for _ in request_ids)
        with self.database.write() as db:
            cursor = db.execute(
                f"UPDATE leases SET expires_at = ? WHERE holder = ? AND request_id IN ({marks})",
                [until, holder, *request_ids],
            )
            return int(cursor.rowcount)

    def release_many(self, request_ids: Sequence[str], holder: str) -> None:
        """Give up ``holder``'s leases of ``request_ids`` in one transaction."""
        if not request_ids:
            return
        marks = ", ".join("?" for _ in request_ids)
        with self.database.write() as db:
            db.execute(
                f"DELETE FROM leases WHERE holder = ? AND request_id IN ({marks})",
                [holder, *request_ids],
            )

    def renew(self, request_id: str, holder: str, seconds: float) -> bool:
        """Extend ``holder``'s lease by ``seconds`` from now; False when it is no longer
        ``holder``'s (it expired and another took it over)."""
        until = _now_ms() + int(seconds * 1000)
        with self.database.write() as db:
            cursor = db.execute(
                "UPDATE leases SET expires_at = ? WHERE request_id = ? AND holder = ?",
                [until, request_id, holder],
            )
            return bool(cursor.rowcount == 1)

    def release(self, request_id: str, holder: str) -> None:
        """Give up ``holder``'s lease (nothing when it is not ``holder``'s any more)."""
        with self.database.write() as db:
            db.execute(
                "DELETE FROM leases WHERE request_id = ? AND holder = ?", [request_id, holder]
            )

    def get(self, request_id: str) -> Lease | None:
        """``request_id``'s lease as it stands (perhaps expired), or None."""
        row = self.db.execute(
            "SELECT request_id, holder, expires_at FROM leases WHERE request_id = ?", [request_id]
        ).fetchone()
        return Lease(str(row[0]), str(row[1]), int(row[2])) if row else None

    def held(self) -> list[Lease]:
        """Every lease in the table, expired or not, by request id."""
        return [
            Lease(str(r[0]), str(r[1]), int(r[2]))
            for r in self.db.execute(
                "SELECT request_id, holder, expires_at FROM leases ORDER BY request_id"
            ).fetchall()
        ]
