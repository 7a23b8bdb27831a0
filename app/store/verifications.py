"""The last verification of each archived request, kept so that it outlives the app.

One row per request (``verifications``): the verdict (``valid``, ``untrusted``, ``modified`` or
``missing``), the signer it names, the sentence saying what is wrong, and when it was checked. A
new verification replaces the row; reindexing the archive forgets them all (the files may be other
ones now).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.domain.clock import iso, now, parse_iso
from app.store.connection import StoreDatabase
from app.store.records import Verification

__all__ = ["Verification", "Verifications"]


class Verifications:
    """The ``verifications`` table."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database

    def record(
        self,
        request_id: str,
        state: str,
        subject: str | None,
        detail: str,
        at: datetime | None = None,
    ) -> Verification:
        """Keep the verdict on ``request_id`` (replacing the one before); returns it."""
        moment = at or now()
        with self.database.write() as db:
            db.execute(
                "INSERT INTO verifications (request_id, state, subject, detail, checked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(request_id) DO UPDATE SET "
                "state = excluded.state, subject = excluded.subject, detail = excluded.detail, "
                "checked_at = excluded.checked_at",
                [request_id, state, subject, detail, iso(moment)],
            )
        return Verification(request_id, state, subject, detail, moment)

    def all(self) -> dict[str, Verification]:
        """Every kept verdict, by request id."""
        rows = self.database.reader.execute(
            "SELECT request_id, state, subject, detail, checked_at FROM verifications"
        )
        out: dict[str, Verification] = {}
        for rid, state, subject, detail, checked_at in rows:
            out[rid] = Verification(rid, state, subject, detail, parse_iso(checked_at) or now())
        return out

    def forget(self, request_ids: Iterable[str] | None = None) -> None:
        """Drop the verdicts on ``request_ids`` (None: every one)."""
        with self.database.write() as db:
            if request_ids is None:
                db.execute("DELETE FROM verifications")
            else:
                for rid in request_ids:
                    db.execute("DELETE FROM verifications WHERE request_id = ?", [rid])
