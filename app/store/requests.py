"""The repository of requests: their rows, recipients, fields and values, their history, and
every change to them as a compare-and-set on the request's ``version``.

Every method that changes something is one transaction (joining the caller's, if one is open:
:meth:`Requests.transaction`). The outbox, the archive index and the search index have
repositories of their own (:mod:`app.store.outbox`, :mod:`app.store.archive_index`,
:mod:`app.store.search`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from app.domain.clock import iso, now
from app.domain.lifecycle import Status, check_transition, merge_status
from app.domain.model import Request
from app.domain.report import RecipientReport, Report
from app.domain.text import shown
from app.errors import NotFoundError, UserError
from app.store.actor import describe
from app.store.connection import StoreDatabase
from app.store.dialect import dialect_of
from app.store.history import read_events, record_event, restore_events
from app.store.outbox import insert_entry
from app.store.records import (
    ID_LENGTH,
    ChangedMeanwhile,
    Event,
    FieldValue,
    StateConflict,
    stored_text,
)
from app.store.rows import (
    anchor_rows,
    load_requests,
    marks,
    recipient_rows,
    request_row,
    write_fields,
)
from app.store.search import index_request

# Kept importable from here for the code that has always imported them from this module.
__all__ = ["ChangedMeanwhile", "FieldValue", "Requests", "StateConflict"]

#: A recipient's time column for each thing a recipient does.
_RECIPIENT_TIMES = {
    "viewed": "viewed_at",
    "signed": "signed_at",
    "approved": "signed_at",
    "declined": "declined_at",
}


def touch(db: Any, request_id: str) -> None:
    """Raise the request's version: every change to it does (see :class:`ChangedMeanwhile`)."""
    db.execute("UPDATE requests SET version = version + 1 WHERE id = ?", [request_id])


class Requests:
    """The repository of requests."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around several calls (to this or another repository of the same
        store): all of them are committed together, or none."""
        with self.database.write():
            yield

    # --- create ---------------------------------------------------------------------------------

    def add(self, request: Request, idempotency_key: str) -> None:
        """Commit a new request with its outbox entry: the point of no return for a send."""
        with self.database.write() as db:
            self._insert(db, request, with_state=False)
            db.table("anchors").insert_all(anchor_rows(request))
            insert_entry(db, request.id, idempotency_key)
            record_event(
                db,
                request.id,
                "queued",
                status=request.status,
                detail=f"queued for {request.provider}",
            )
            index_request(db, request)

    def restore(self, request: Request, events: Sequence[Event]) -> None:
        """Re-create a request read back from its archived ``request.json``."""
        with self.database.write() as db:
            self._insert(db, request, with_state=True)
            restore_events(db, request.id, events)
            index_request(db, request)

    @staticmethod
    def _insert(db: Any, request: Request, *, with_state: bool) -> None:
        db.table("requests").insert(request_row(request))
        db.table("recipients").insert_all(recipient_rows(request, with_state=with_state))
        write_fields(db, request.id, request.spec.fields)

    # --- read -----------------------------------------------------------------------------------

    def resolve_id(self, ref: str) -> str:
        """The full id for ``ref``: a whole id or an unambiguous prefix of at least 4 characters
        (the archive folders show the first 8)."""
        ref = ref.strip()
        if len(ref) > ID_LENGTH or any(0xD800 <= ord(c) <= 0xDFFF for c in ref):
            # Longer than any id (and no LIKE pattern SQLite would call too complex), or bytes
            # that are not text.
            raise NotFoundError(
                f"There is no request {shown(ref, 40)}: check the id with `sealbox list`."
            )
        row = self.db.execute("SELECT id FROM requests WHERE id = ?", [ref]).fetchone()
        if row:
            return str(row[0])
        if len(ref) >= 4 and re.fullmatch(r"[0-9a-fA-F-]+", ref):
            rows = self.db.execute(
                "SELECT id FROM requests WHERE id LIKE ? LIMIT 2", [ref.lower() + "%"]
            ).fetchall()
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise UserError(
                    f"More than one request starts with {ref!r}: give more of the "
                    "id (see `sealbox list`)."
                )
        raise NotFoundError(
            f"There is no request {shown(ref, 40)}: check the id with `sealbox list`."
        )

    def get(self, ref: str) -> Request:
        """The request ``ref`` names (see :meth:`resolve_id`)."""
        request_id = self.resolve_id(ref)
        rows = list(self.db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
        return load_requests(self.db, rows)[0]

    def exists(self, request_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone()
            is not None
        )

    def creator(self, request_id: str) -> str | None:
        """Who created the request, as an event's doer is shown (``jane on DESK-4``); None
        when the store does not say (a request from before desks were recorded)."""
        row = self.db.execute(
            "SELECT created_desk, created_user FROM requests WHERE id = ?", [request_id]
        ).fetchone()
        return describe(row[0], row[1], None) if row is not None else None

    def version(self, request_id: str) -> int:
        row = self.db.execute("SELECT version FROM requests WHERE id = ?", [request_id]).fetchone()
        if row is None:
            raise NotFoundError(
                f"There is no request {request_id!r}: check the id with `sealbox list`."
            )
        return int(row[0])

    def find(
        self,
        *,
        status: Sequence[Status] | None = None,
        provider: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        mine: tuple[str, str] | None = None,
    ) -> list[Request]:
        """Requests of any of ``status``, of ``provider``, matching ``search`` (the words of
        :class:`~app.store.records.RequestFilter`), created at the desk by the OS user ``mine``,
        newest first, at most ``limit``."""
        where: list[str] = []
        params: list[Any] = []
        if mine is not None:
            where.append("created_desk = ? AND created_user = ?")
            params.extend(mine)
        if status:
            where.append(f"status IN ({marks(status)})")
            params.extend(s.value for s in status)
        if provider:
            where.append("provider = ?")
            params.append(provider)
        if search and search.strip():
            dialect = dialect_of(self.db)
            where.append(f"id IN (SELECT request_id FROM search WHERE {dialect.match})")
            params.append(dialect.fts_query(search))
        sql = "SELECT * FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return load_requests(self.db, list(self.db.query(sql, params)))

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]:
        """Ids of the requests in any of ``statuses``, oldest first."""
        values = [s.value for s in statuses]
        rows = self.db.execute(
            f"SELECT id FROM requests WHERE status IN ({marks(values)}) ORDER BY created_at", values
        ).fetchall()
        return [str(r[0]) for r in rows]

    def providers_by_id(self) -> dict[str, str]:
        """Every request's provider, by request id (one query for them all)."""
        return {
            str(rid): str(pid)
            for rid, pid in self.db.execute("SELECT id, provider FROM requests").fetchall()
        }

    def id_at_provider(self, provider: str, provider_request_id: str) -> str | None:
        """The id of the request ``provider`` knows as ``provider_request_id``, if any."""
        row = self.db.execute(
            "SELECT id FROM requests WHERE provider = ? AND provider_id = ?",
            [provider, provider_request_id],
        ).fetchone()
        return str(row[0]) if row else None

    def ids_with_document(self, sha256: str, *, except_key: str | None = None) -> list[str]:
        """Ids of the requests that sent the document with this SHA-256, newest first, leaving
        out failed ones and the request of the outbox key ``except_key``."""
        rows = self.db.execute(
            "SELECT id FROM requests WHERE document_sha256 = ? AND status <> ? AND id NOT IN "
            "(SELECT request_id FROM outbox WHERE idempotency_key = ?) ORDER BY created_at DESC",
            [sha256, Status.FAILED.value, except_key or ""],
        ).fetchall()
        return [str(r[0]) for r in rows]

    # --- lifecycle ------------------------------------------------------------------------------

    def set_status(
        self,
        request_id: str,
        status: Status,
        *,
        kind: str | None = None,
        detail: str | None = None,
        payload: dict[str, Any] | None = None,
        error_message: str | None = None,
        at: datetime | None = None,
        expect: Collection[Status] | None = None,
    ) -> None:
        """Move a request to ``status`` (checked against the lifecycle) and record the event.

        With ``expect``, only if it is still in one of those states (compare-and-set: the check
        and the change are one transaction); otherwise :class:`StateConflict`, nothing changed.
        """
        moment = at or now()
        with self.database.write() as db:
            row = db.execute(
                "SELECT status, name FROM requests WHERE id = ?" + dialect_of(db).for_update,
                [request_id],
            ).fetchone()
            current = Status(row[0])
            if expect is not None and current not in expect:
                raise StateConflict(request_id, row[1], current)
            check_transition(current, status)
            changes: dict[str, Any] = {"status": status.value, "updated_at": iso(moment)}
            if status == Status.SENT and current != Status.SENT:
                changes["sent_at"] = iso(moment)
            if status.terminal and status != current:
                changes["completed_at"] = iso(moment)
            if error_message is not None:
                changes["error_message"] = stored_text(error_message)
            db.table("requests").update(request_id, changes)
            touch(db, request_id)
            record_event(
                db, request_id, kind or status.value, status=status, detail=detail, payload=payload
            )

    def apply_report(
        self,
        request_id: str,
        report: Report,
        *,
        kind: str = "refresh",
        expect_version: int | None = None,
        expect: Collection[Status] | None = None,
    ) -> Status:
        """Apply what the provider reported; returns the status kept.

        A stale report never moves a request backwards; per-recipient times are merged (a time
        once known is kept). Compare-and-set, in the same transaction as the change: with
        ``expect_version`` (the :attr:`Request.version` the report was asked on) a request
        changed since raises :class:`ChangedMeanwhile`; with ``expect`` one no longer in those
        states raises :class:`StateConflict`. Either way nothing is changed.
        """
        moment = now()
        with self.database.write() as db:
            row = db.execute(
                "SELECT status, sent_at, version, name FROM requests WHERE id = ?"
                + dialect_of(db).for_update,
                [request_id],
            ).fetchone()
            current = Status(row[0])
            if expect_version is not None and row[2] != expect_version:
                raise ChangedMeanwhile(request_id)
            if expect is not None and current not in expect:
                raise StateConflict(request_id, row[3], current)
            new = merge_status(current, report.status)
            changes: dict[str, Any] = {"status": new.value, "updated_at": iso(moment)}
            if report.provider_id:
                changes["provider_id"] = report.provider_id
            if new in (Status.SENT, Status.VIEWED) and row[1] is None:
                changes["sent_at"] = iso(moment)
            if new.terminal and new != current:
                changes["completed_at"] = iso(report.completed_at or moment)
            if report.error_message:
                changes["error_message"] = stored_text(report.error_message)
            db.table("requests").update(request_id, changes)
            touch(db, request_id)
            for rec in report.recipients:
                self._merge_recipient(db, request_id, rec)
            if new != current:
                # The history keeps every change with the provider's answer that brought it; a
                # refresh that finds nothing new adds nothing.
                record_event(
                    db,
                    request_id,
                    kind,
                    status=new,
                    detail=f"{current.value} → {new.value}",
                    payload=report.payload or None,
                )
        return new

    @staticmethod
    def _merge_recipient(db: Any, request_id: str, rec: RecipientReport) -> None:
        """What the provider reported of one recipient: a time once known is kept."""
        existing = db.execute(
            "SELECT viewed_at, signed_at, declined_at FROM recipients "
            "WHERE request_id = ? AND idx = ?",
            [request_id, rec.index],
        ).fetchone()
        if existing is None:
            return
        updates: dict[str, Any] = {}
        for column, seen_at, old in (
            ("viewed_at", rec.viewed_at, existing[0]),
            ("signed_at", rec.signed_at, existing[1]),
            ("declined_at", rec.declined_at, existing[2]),
        ):
            if seen_at is not None and old is None:
                updates[column] = iso(seen_at)
                record_event(
                    db, request_id, column.removesuffix("_at"), index=rec.index, at=seen_at
                )
        for column, text in (
            ("provider_recipient_id", rec.provider_recipient_id),
            ("decline_reason", rec.decline_reason),
            ("signing_url", rec.signing_url),
        ):
            if text:
                updates[column] = stored_text(text)
        if updates:
            # The column names are the fixed ones above; the values are bound.
            db.execute(
                "UPDATE recipients SET "
                + ", ".join(f"{k} = ?" for k in updates)
                + " WHERE request_id = ? AND idx = ?",
                [*updates.values(), request_id, rec.index],
            )

    def recipient_event(
        self,
        request_id: str,
        index: int,
        kind: str,
        *,
        at: datetime | None = None,
        detail: str | None = None,
    ) -> None:
        """Record that recipient ``index`` viewed, signed, approved or declined."""
        moment = at or now()
        column = _RECIPIENT_TIMES[kind]
        with self.database.write() as db:
            sets = [f"{column} = COALESCE({column}, ?)"]
            params: list[Any] = [iso(moment)]
            if kind == "declined":
                sets.append("decline_reason = ?")
                params.append(stored_text(detail))
            db.execute(
                f"UPDATE recipients SET {', '.join(sets)} WHERE request_id = ? AND idx = ?",
                [*params, request_id, index],
            )
            db.execute("UPDATE requests SET updated_at = ? WHERE id = ?", [iso(moment), request_id])
            touch(db, request_id)
            record_event(db, request_id, kind, index=index, detail=detail, at=moment)

    # --- history --------------------------------------------------------------------------------

    def events(self, request_id: str) -> list[Event]:
        """The request's history, oldest first."""
        return read_events(self.db, request_id)

    def add_event(
        self,
        request_id: str,
        kind: str,
        detail: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """Add an event (a warning, a note of what was done) to the request's history."""
        with self.database.write() as db:
            record_event(db, request_id, kind, detail=detail, payload=payload)

    # --- field values (in-person signing) -------------------------------------------------------

    def set_field_values(self, request_id: str, values: dict[int, FieldValue]) -> None:
        with self.database.write() as db:
            for idx, value in values.items():
                db.execute(
                    "UPDATE fields SET value = ?, image = ? WHERE request_id = ? AND idx = ?",
                    [value.value, value.image, request_id, idx],
                )
            touch(db, request_id)

    def field_values(self, request_id: str) -> dict[int, FieldValue]:
        return {
            r["idx"]: FieldValue(r["value"], r["image"])
            for r in self.db.query(
                "SELECT idx, value, image FROM fields WHERE request_id = ? AND "
                "(value IS NOT NULL OR image IS NOT NULL)",
                [request_id],
            )
        }
