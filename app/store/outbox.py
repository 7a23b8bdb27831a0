"""The outbox: each request's idempotency key and how far its send got.

An entry is written with its request (:meth:`app.store.requests.Requests.add`), in the same
transaction: from then on the request exists and is sent with that key, however often the send
is tried again. Its state moves ``pending`` → ``sending`` (committed before the provider is
called) → ``done``; a send whose outcome is unknown is ``reconciling`` until the provider has
been asked; a refused one ends ``failed``. Each change of state that changes the request is one
transaction with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.domain.clock import iso, now
from app.domain.lifecycle import Status
from app.domain.report import Report
from app.store.connection import StoreDatabase
from app.store.history import record_event
from app.store.records import OutboxItem, stored_text

if TYPE_CHECKING:
    from app.store.requests import Requests

_COLUMNS = "request_id, idempotency_key, state, attempts, last_error"


def insert_entry(db: Any, request_id: str, idempotency_key: str) -> None:
    """A new ``pending`` entry (on ``db``, a write transaction's handle)."""
    stamp = iso(now())
    db.table("outbox").insert(
        {
            "request_id": request_id,
            "idempotency_key": idempotency_key,
            "state": "pending",
            "attempts": 0,
            "created_at": stamp,
            "updated_at": stamp,
        }
    )


class Outbox:
    """The repository of outbox entries; changes to a request go through ``requests``."""

    def __init__(self, database: StoreDatabase, requests: Requests) -> None:
        self.database = database
        self.db = database.reader
        self.requests = requests

    def get(self, request_id: str) -> OutboxItem | None:
        """The entry of ``request_id`` (None for a request that was never queued here)."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE request_id = ?", [request_id]
        ).fetchone()
        return OutboxItem(*row) if row else None

    def request_for_key(self, idempotency_key: str) -> str | None:
        """The id of the request queued with ``idempotency_key``, if there is one."""
        row = self.db.execute(
            "SELECT request_id FROM outbox WHERE idempotency_key = ?", [idempotency_key]
        ).fetchone()
        return str(row[0]) if row else None

    def in_state(self, state: str = "pending") -> list[OutboxItem]:
        """The entries in ``state``, oldest first."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE state = ? ORDER BY created_at", [state]
        ).fetchall()
        return [OutboxItem(*r) for r in rows]

    def owner_pid(self, request_id: str) -> int | None:
        """The process that marked the entry ``sending`` (None if none did)."""
        row = self.db.execute(
            "SELECT owner_pid FROM outbox WHERE request_id = ?", [request_id]
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def start_sending(self, request_id: str, pid: int) -> bool:
        """Committed before the provider is called: a crash from here on leaves the entry
        ``sending``, which sync must reconcile rather than send blindly. Compare-and-set: only
        a ``pending`` entry becomes ``sending`` (False when another process took it first)."""
        with self.database.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'sending', owner_pid = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE request_id = ? "
                "AND state = 'pending'",
                [pid, iso(now()), request_id],
            )
            return bool(cursor.rowcount == 1)

    def mark_done(self, request_id: str, report: Report) -> Status:
        """The provider accepted the request: apply its report and close the entry."""
        with self.database.write() as db:
            status = self.requests.apply_report(request_id, report, kind="sent")
            db.execute(
                "UPDATE outbox SET state = 'done', last_error = NULL, updated_at = ? "
                "WHERE request_id = ?",
                [iso(now()), request_id],
            )
        return status

    def mark_failed(self, request_id: str, error: str, *, final: bool) -> None:
        """A send failed: a final failure (the provider said no) ends the request as failed;
        otherwise the entry stays pending for ``sync`` to retry with the same key."""
        with self.database.write() as db:
            db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE request_id = ?",
                ["failed" if final else "pending", stored_text(error), iso(now()), request_id],
            )
            if final:
                self.requests.set_status(
                    request_id, Status.FAILED, detail=error, error_message=error
                )
            else:
                record_event(db, request_id, "send-error", detail=error)

    def mark_reconciling(self, request_id: str, error: str) -> None:
        """A send whose outcome is unknown: it must be reconciled with the provider before
        anything is sent again."""
        with self.database.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'reconciling', last_error = ?, updated_at = ? "
                "WHERE request_id = ?",
                [stored_text(error), iso(now()), request_id],
            )
            self.requests.set_status(request_id, Status.RECONCILING, detail=error)

    def requeue(self, request_id: str, detail: str) -> None:
        """Send again with the same key (the provider does not have it, or the user said so)."""
        with self.database.write() as db:
            db.execute(
                "UPDATE outbox SET state = 'pending', updated_at = ? WHERE request_id = ?",
                [iso(now()), request_id],
            )
            current = db.execute(
                "SELECT status FROM requests WHERE id = ?", [request_id]
            ).fetchone()[0]
            if current == Status.RECONCILING.value:
                self.requests.set_status(request_id, Status.QUEUED, kind="requeued", detail=detail)
