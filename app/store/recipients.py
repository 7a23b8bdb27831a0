"""People earlier requests went to: offered as the user types a recipient."""

from __future__ import annotations

from app.store.connection import StoreDatabase


class KnownRecipients:
    """The recipients of every stored request, one entry per email."""

    def __init__(self, database: StoreDatabase) -> None:
        self.db = database.reader

    def recent(self, limit: int = 500) -> list[tuple[str, str, str]]:
        """``(first name, last name, email)`` of people earlier requests went to, most recently
        used first, one entry per email (compared regardless of case) with the latest name."""
        if limit <= 0:
            return []
        rows = self.db.execute(
            """
            SELECT first_name, last_name, email FROM (
                SELECT r.first_name, r.last_name, r.email, q.created_at,
                       q.rowid AS seq, r.idx,
                       ROW_NUMBER() OVER (
                           PARTITION BY lower(trim(r.email))
                           ORDER BY q.created_at DESC, q.rowid DESC, r.idx
                       ) AS pick
                FROM recipients r JOIN requests q ON q.id = r.request_id
                WHERE trim(r.email) <> ''
            ) AS latest
            WHERE pick = 1
            ORDER BY created_at DESC, seq DESC, idx
            LIMIT ?
            """,
            [limit],
        ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
