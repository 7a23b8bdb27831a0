"""Requests in the store: saving, loading, status history, outbox, archive rows and search."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.clock import iso, now, parse_iso
from app.domain.geometry import Rect
from app.domain.lifecycle import Status, check_transition, merge_status
from app.domain.model import Field, FieldType, RecipientState, Request, RequestSpec
from app.domain.report import Report
from app.domain.text import shown
from app.errors import NotFoundError, SealboxError, UserError
from app.logs import redact, scrub
from app.store.db import DOCID_SPAN, Database, docid_base
from app.wording import Text

#: An event's detail in the app's words (in its payload), where they differ from the detail's.
APP_DETAIL = "appDetail"

#: The most of a message from elsewhere (a provider's error, a reason) the store keeps, in
#: characters; longer ones are cut and marked so. Secrets in them are masked.
STORED_TEXT_LIMIT = 4000
#: Longer than any request id (a UUID has 36 characters): a longer reference names none.
ID_LENGTH = 64
#: A provider payload kept in the history larger than this (as JSON) is kept only in part.
STORED_PAYLOAD_LIMIT = 64 * 1024


def stored_text(text: str | None) -> str | None:
    """``text`` as the store keeps it: secrets masked, at most :data:`STORED_TEXT_LIMIT`."""
    return scrub(text, STORED_TEXT_LIMIT) if text is not None else None


def stored_payload(payload: dict[str, Any]) -> str:
    """A provider's payload as JSON for the history: secrets masked, and a large one cut to its
    start (``{"cut": N, "start": "…"}``)."""
    text = redact(json.dumps(payload, ensure_ascii=False, default=str))
    if len(text) <= STORED_PAYLOAD_LIMIT:
        return text
    return json.dumps({"cut": len(text.encode("utf-8", "surrogatepass")),
                       "start": text[:STORED_TEXT_LIMIT]}, ensure_ascii=False)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    status: str | None
    recipient_index: int | None
    detail: str | None
    payload: dict[str, Any] | None


@dataclass(frozen=True)
class OutboxItem:
    request_id: str
    idempotency_key: str
    state: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class ArchivedFile:
    kind: str
    path: str
    sha256: str
    size: int
    archived_at: datetime


@dataclass(frozen=True)
class FieldValue:
    value: str | None
    image: bytes | None


@dataclass(frozen=True)
class RequestFilter:
    """Which requests a list shows: any of ``statuses`` (none: every status), one provider,
    created in ``[since, until)``, and ``search``: words that must all match (as prefixes) the
    request's name, its recipients' names or their emails."""

    statuses: frozenset[Status] = frozenset()
    provider: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""

    @property
    def is_empty(self) -> bool:
        """Whether this filter lets every request through."""
        return (not self.statuses and not self.provider and self.since is None
                and self.until is None and not _has_words(self.search))


class Requests:
    """The repository of requests. Every method that changes something is one transaction."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.reader

    # --- create and read --------------------------------------------------------------------

    def add(self, request: Request, idempotency_key: str) -> None:
        """Commit a new request with its outbox entry: the point of no return for a send."""
        stamp = iso(now())
        with self.database.write() as db:
            db.table("requests").insert(self._row(request))
            db.table("recipients").insert_all(
                {
                    "request_id": request.id, "idx": i, "first_name": r.first_name,
                    "last_name": r.last_name, "email": r.email,
                    "designation": r.designation.value, "signing_order": r.order,
                }
                for i, r in enumerate(request.spec.recipients)
            )
            self._write_fields(db, request.id, request.spec.fields)
            db.table("anchors").insert_all(
                {
                    "request_id": request.id, "idx": i, "anchor_string": a.anchor_string,
                    "type": a.type.value, "recipient_index": a.recipient_index,
                    "width": a.width, "height": a.height, "required": a.required,
                    "ignore_if_not_present": a.ignore_if_not_present,
                }
                for i, a in enumerate(request.spec.anchor_tags)
            )
            db.table("outbox").insert({
                "request_id": request.id, "idempotency_key": idempotency_key,
                "state": "pending", "attempts": 0, "created_at": stamp, "updated_at": stamp,
            })
            self._event(db, request.id, "queued", request.status, None,
                        f"queued for {request.provider}", None)
            self._index(db, request)

    def _row(self, request: Request) -> dict[str, Any]:
        return {
            "id": request.id, "name": request.spec.name, "provider": request.provider,
            "provider_id": request.provider_id, "render_id": request.render_id,
            "status": request.status.value, "message": request.spec.message,
            "expiration_hours": request.spec.expiration_hours,
            "spec_json": json.dumps(request.spec.to_json(), ensure_ascii=False),
            "document_name": request.document_name,
            "document_sha256": request.document_sha256, "page_count": request.page_count,
            "error_message": request.error_message, "created_at": iso(request.created_at),
            "sent_at": iso(request.sent_at), "completed_at": iso(request.completed_at),
            "updated_at": iso(request.updated_at or request.created_at),
        }

    @staticmethod
    def _write_fields(db: Any, request_id: str, fields: Sequence[Field]) -> None:
        db.execute("DELETE FROM fields WHERE request_id = ?", [request_id])
        db.table("fields").insert_all(
            {
                "request_id": request_id, "idx": i, "recipient_index": f.recipient_index,
                "type": f.type.value, "page": f.page, "x": f.x, "y": f.y, "width": f.width,
                "height": f.height, "required": f.required, "label": f.label,
                "options_json": json.dumps(list(f.options)) if f.options else None,
                "anchor": f.anchor,
                "anchor_rect_json": json.dumps([f.anchor_rect.x, f.anchor_rect.y,
                                                f.anchor_rect.width, f.anchor_rect.height])
                if f.anchor_rect is not None else None,
                "keep_anchor_text": not f.remove_anchor_text,
            }
            for i, f in enumerate(fields)
        )

    def resolve_id(self, ref: str) -> str:
        """The full id for ``ref``: a whole id or an unambiguous prefix of at least 4 characters
        (the archive folders show the first 8)."""
        ref = ref.strip()
        if len(ref) > ID_LENGTH or any(0xD800 <= ord(c) <= 0xDFFF for c in ref):
            # Longer than any id (and no LIKE pattern SQLite would call too complex), or bytes
            # that are not text.
            raise NotFoundError(f"There is no request {shown(ref, 40)}: check the id with "
                                "`sealbox list`.")
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
                raise UserError(f"More than one request starts with {ref!r}: give more of the "
                                "id (see `sealbox list`).")
        raise NotFoundError(f"There is no request {shown(ref, 40)}: check the id with "
                            "`sealbox list`.")

    def get(self, ref: str) -> Request:
        request_id = self.resolve_id(ref)
        row = next(self.db.query("SELECT * FROM requests WHERE id = ?", [request_id]))
        return self._load(row)

    def _load(self, row: dict[str, Any]) -> Request:
        spec = RequestSpec.from_stored(json.loads(row["spec_json"]))
        fields = [
            _field(f)
            for f in self.db.query(
                "SELECT * FROM fields WHERE request_id = ? ORDER BY idx", [row["id"]])
        ]
        spec = spec.with_fields(fields)
        states = [
            RecipientState(
                provider_recipient_id=r["provider_recipient_id"],
                viewed_at=parse_iso(r["viewed_at"]), signed_at=parse_iso(r["signed_at"]),
                declined_at=parse_iso(r["declined_at"]), decline_reason=r["decline_reason"],
                signing_url=r["signing_url"],
            )
            for r in self.db.query(
                "SELECT * FROM recipients WHERE request_id = ? ORDER BY idx", [row["id"]])
        ]
        created = parse_iso(row["created_at"])
        assert created is not None
        return Request(
            id=row["id"], provider=row["provider"], spec=spec, status=Status(row["status"]),
            provider_id=row["provider_id"], created_at=created,
            sent_at=parse_iso(row["sent_at"]), completed_at=parse_iso(row["completed_at"]),
            updated_at=parse_iso(row["updated_at"]), error_message=row["error_message"],
            document_name=row["document_name"], document_sha256=row["document_sha256"],
            page_count=row["page_count"], render_id=row["render_id"], recipients=states,
            version=row["version"], archive_error=row["archive_error"],
        )

    def find(
        self,
        *,
        status: Sequence[Status] | None = None,
        provider: str | None = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> list[Request]:
        where: list[str] = []
        params: list[Any] = []
        if status:
            where.append(f"status IN ({', '.join('?' for _ in status)})")
            params.extend(s.value for s in status)
        if provider:
            where.append("provider = ?")
            params.append(provider)
        if search and search.strip():
            where.append("id IN (SELECT request_id FROM search WHERE search MATCH ?)")
            params.append(fts_query(search))
        sql = "SELECT * FROM requests"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(str(limit))
        return [self._load(row) for row in self.db.query(sql, params)]

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]:
        values = [s.value for s in statuses]
        rows = self.db.execute(
            f"SELECT id FROM requests WHERE status IN ({', '.join('?' for _ in values)}) "
            "ORDER BY created_at", values).fetchall()
        return [str(r[0]) for r in rows]

    # --- paging (the requests place) ------------------------------------------------------------

    @staticmethod
    def _filter_sql(filters: RequestFilter) -> tuple[str, list[Any]]:
        """The WHERE clause (with its leading ``WHERE``, or empty) and parameters of
        ``filters`` on the requests table. Times are compared as stored ISO-8601 UTC text,
        which sorts as time.

        A search with a status or provider goes from the full-text rows to their requests
        through ``search_keys`` (the FTS rowid is read from the index itself; the request id
        column would be read from the FTS content for every match); a search alone is answered
        by the full-text index (:meth:`_text_only`)."""
        where: list[str] = []
        params: list[Any] = []
        if filters.statuses:
            values = sorted(s.value for s in filters.statuses)
            where.append(f"status IN ({', '.join('?' for _ in values)})")
            params.extend(values)
        if filters.provider:
            where.append("provider = ?")
            params.append(filters.provider)
        if filters.since is not None:
            where.append("created_at >= ?")
            params.append(iso(filters.since))
        if filters.until is not None:
            where.append("created_at < ?")
            params.append(iso(filters.until))
        if _has_words(filters.search):
            where.append("id IN (SELECT request_id FROM search_keys WHERE docid IN "
                         "(SELECT rowid FROM search WHERE search MATCH ?))")
            params.append(fts_query(filters.search))
        return (" WHERE " + " AND ".join(where) if where else ""), params

    @staticmethod
    def _text_only(filters: RequestFilter) -> bool:
        """Whether ``filters`` is a search with at most a date range: answered from the
        full-text index alone, whose docids sort as the list does (``DOCID_SPAN``), so the
        matches come newest first and a date range is a docid range."""
        return _has_words(filters.search) and not filters.statuses and not filters.provider

    @staticmethod
    def _text_sql(filters: RequestFilter) -> tuple[str, list[Any]]:
        """The WHERE clause on the ``search`` table for a :meth:`_text_only` filter."""
        where = ["search MATCH ?"]
        params: list[Any] = [fts_query(filters.search)]
        if filters.since is not None:
            where.append("search.rowid >= ?")
            params.append(_docid_floor(filters.since))
        if filters.until is not None:
            where.append("search.rowid < ?")
            params.append(_docid_floor(filters.until))
        return " WHERE " + " AND ".join(where), params

    def count(self, filters: RequestFilter | None = None) -> int:
        """How many requests ``filters`` lets through (all of them without one)."""
        filters = filters or RequestFilter()
        if self._text_only(filters):
            where, params = self._text_sql(filters)
            return int(self.db.execute(f"SELECT count(*) FROM search{where}", params)
                       .fetchone()[0])
        where, params = self._filter_sql(filters)
        return int(self.db.execute(f"SELECT count(*) FROM requests{where}", params)
                   .fetchone()[0])

    def page(self, filters: RequestFilter, offset: int, limit: int) -> list[Request]:
        """Requests ``offset`` to ``offset + limit`` of those ``filters`` lets through, newest
        first (by creation; of requests created at the same moment, the last stored first).

        The page is chosen on the indexes alone (``created_at``, or ``status``/``provider``
        with ``created_at``) and only its rows are read, with their recipients and fields in
        one query each: a page costs about the same at the top of 100,000 requests as of 100."""
        if limit <= 0:
            return []
        offset = max(offset, 0)
        if self._text_only(filters):
            where, params = self._text_sql(filters)
            ids = [str(r[0]) for r in self.db.execute(
                f"SELECT k.request_id FROM search JOIN search_keys k ON k.docid = search.rowid"
                f"{where} ORDER BY search.rowid DESC LIMIT ? OFFSET ?",
                [*params, limit, offset]).fetchall()]
            return self._load_ids(ids)
        where, params = self._filter_sql(filters)
        order = "ORDER BY created_at DESC, rowid DESC"
        keys = [int(r[0]) for r in self.db.execute(
            f"SELECT rowid FROM requests{where} {order} LIMIT ? OFFSET ?",
            [*params, limit, offset]).fetchall()]
        out: list[Request] = []
        for first in range(0, len(keys), _CHUNK):  # within SQLite's limit on parameters
            chunk = keys[first:first + _CHUNK]
            rows = list(self.db.query(
                f"SELECT rowid AS _seq, * FROM requests WHERE rowid IN "
                f"({', '.join('?' for _ in chunk)})", chunk))
            place = {key: i for i, key in enumerate(chunk)}
            rows.sort(key=lambda row: place[row["_seq"]])
            out += self._load_many(rows)
        return out

    def _load_ids(self, ids: Sequence[str]) -> list[Request]:
        """The requests ``ids`` in that order (ids with no request are left out)."""
        out: list[Request] = []
        for first in range(0, len(ids), _CHUNK):  # within SQLite's limit on parameters
            chunk = ids[first:first + _CHUNK]
            rows = list(self.db.query(
                f"SELECT * FROM requests WHERE id IN ({', '.join('?' for _ in chunk)})", chunk))
            place = {rid: i for i, rid in enumerate(chunk)}
            rows.sort(key=lambda row: place[row["id"]])
            out += self._load_many(rows)
        return out

    def position(self, filters: RequestFilter, request_id: str) -> int | None:
        """The row of request ``request_id`` in :meth:`page`'s order under ``filters``, or None
        when the filters leave it out (or there is no such request)."""
        if self._text_only(filters):
            found = self.db.execute("SELECT docid FROM search_keys WHERE request_id = ?",
                                    [request_id]).fetchone()
            if found is None or not self.exists(request_id):
                return None
            where, params = self._text_sql(filters)
            if self.db.execute(f"SELECT 1 FROM search{where} AND search.rowid = ?",
                               [*params, found[0]]).fetchone() is None:
                return None
            return int(self.db.execute(f"SELECT count(*) FROM search{where} AND "
                                       "search.rowid > ?", [*params, found[0]]).fetchone()[0])
        where, params = self._filter_sql(filters)
        key = self.db.execute(
            f"SELECT created_at, rowid FROM requests{where}{' AND' if where else ' WHERE'} "
            "id = ?", [*params, request_id]).fetchone()
        if key is None:
            return None
        before = (f"{where}{' AND' if where else ' WHERE'} (created_at > ? OR "
                  "(created_at = ? AND rowid > ?))")
        return int(self.db.execute(f"SELECT count(*) FROM requests{before}",
                                   [*params, key[0], key[0], key[1]]).fetchone()[0])

    def _load_many(self, rows: Sequence[dict[str, Any]]) -> list[Request]:
        """:meth:`_load` for many rows at once (at most a few hundred: one SQL parameter
        each): the same requests, in the same order."""
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        marks = ", ".join("?" for _ in ids)
        fields: dict[str, list[Field]] = {rid: [] for rid in ids}
        for f in self.db.query(
                f"SELECT * FROM fields WHERE request_id IN ({marks}) ORDER BY request_id, idx",
                ids):
            fields[f["request_id"]].append(_field(f))
        states: dict[str, list[RecipientState]] = {rid: [] for rid in ids}
        for r in self.db.query(
                f"SELECT * FROM recipients WHERE request_id IN ({marks}) "
                "ORDER BY request_id, idx", ids):
            states[r["request_id"]].append(RecipientState(
                provider_recipient_id=r["provider_recipient_id"],
                viewed_at=parse_iso(r["viewed_at"]), signed_at=parse_iso(r["signed_at"]),
                declined_at=parse_iso(r["declined_at"]), decline_reason=r["decline_reason"],
                signing_url=r["signing_url"],
            ))
        out: list[Request] = []
        for row in rows:
            spec = RequestSpec.from_stored(json.loads(row["spec_json"]))
            created = parse_iso(row["created_at"])
            assert created is not None
            out.append(Request(
                id=row["id"], provider=row["provider"],
                spec=spec.with_fields(fields[row["id"]]), status=Status(row["status"]),
                provider_id=row["provider_id"], created_at=created,
                sent_at=parse_iso(row["sent_at"]), completed_at=parse_iso(row["completed_at"]),
                updated_at=parse_iso(row["updated_at"]), error_message=row["error_message"],
                document_name=row["document_name"], document_sha256=row["document_sha256"],
                page_count=row["page_count"], render_id=row["render_id"],
                recipients=states[row["id"]],
                version=row["version"], archive_error=row["archive_error"],
            ))
        return out

    # --- lifecycle ----------------------------------------------------------------------------

    def set_status(self, request_id: str, status: Status, *, kind: str | None = None,
                   detail: str | None = None, payload: dict[str, Any] | None = None,
                   error_message: str | None = None, at: datetime | None = None,
                   expect: Collection[Status] | None = None) -> None:
        """Move a request to ``status`` (checked against the lifecycle) and record the event.

        With ``expect``, only if it is still in one of those states (compare-and-set: the check
        and the change are one transaction); otherwise :class:`StateConflict`, nothing changed.
        """
        moment = at or now()
        with self.database.write() as db:
            row = db.execute("SELECT status, name FROM requests WHERE id = ?",
                             [request_id]).fetchone()
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
            _touch(db, request_id)
            self._event(db, request_id, kind or status.value, status, None, detail, payload)

    def version(self, request_id: str) -> int:
        row = self.db.execute("SELECT version FROM requests WHERE id = ?",
                              [request_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no request {request_id!r}: check the id with "
                                "`sealbox list`.")
        return int(row[0])

    def apply_report(self, request_id: str, report: Report, *, kind: str = "refresh",
                     expect_version: int | None = None,
                     expect: Collection[Status] | None = None) -> Status:
        """Apply what the provider reported; returns the status kept.

        A stale report never moves a request backwards; per-recipient times are merged (a time
        once known is kept). Compare-and-set, in the same transaction as the change: with
        ``expect_version`` (the :attr:`Request.version` the report was asked on) a request
        changed since raises :class:`ChangedMeanwhile`; with ``expect`` one no longer in those
        states raises :class:`StateConflict`. Either way nothing is changed.
        """
        moment = now()
        with self.database.write() as db:
            row = db.execute("SELECT status, sent_at, version, name FROM requests WHERE id = ?",
                             [request_id]).fetchone()
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
            _touch(db, request_id)
            for rec in report.recipients:
                existing = db.execute(
                    "SELECT viewed_at, signed_at, declined_at FROM recipients "
                    "WHERE request_id = ? AND idx = ?", [request_id, rec.index]).fetchone()
                if existing is None:
                    continue
                updates: dict[str, Any] = {}
                for column, seen_at, old in (
                    ("viewed_at", rec.viewed_at, existing[0]),
                    ("signed_at", rec.signed_at, existing[1]),
                    ("declined_at", rec.declined_at, existing[2]),
                ):
                    if seen_at is not None and old is None:
                        updates[column] = iso(seen_at)
                        self._event(db, request_id, column.removesuffix("_at"), None, rec.index,
                                    None, None, at=seen_at)
                for column, text in (("provider_recipient_id", rec.provider_recipient_id),
                                     ("decline_reason", rec.decline_reason),
                                     ("signing_url", rec.signing_url)):
                    if text:
                        updates[column] = stored_text(text)
                if updates:
                    db.execute(
                        "UPDATE recipients SET "
                        + ", ".join(f"{k} = ?" for k in updates)
                        + " WHERE request_id = ? AND idx = ?",
                        [*updates.values(), request_id, rec.index])
            if new != current:
                # The history keeps every change with the provider's answer that brought it; a
                # refresh that finds nothing new adds nothing.
                self._event(db, request_id, kind, new, None, f"{current.value} → {new.value}",
                            report.payload or None)
        return new

    def recipient_event(self, request_id: str, index: int, kind: str, *,
                        at: datetime | None = None, detail: str | None = None) -> None:
        """Record that recipient ``index`` viewed, signed, approved or declined."""
        moment = at or now()
        column = {"viewed": "viewed_at", "signed": "signed_at", "approved": "signed_at",
                  "declined": "declined_at"}[kind]
        with self.database.write() as db:
            sets = [f"{column} = COALESCE({column}, ?)"]
            params: list[Any] = [iso(moment)]
            if kind == "declined":
                sets.append("decline_reason = ?")
                params.append(stored_text(detail))
            db.execute(f"UPDATE recipients SET {', '.join(sets)} WHERE request_id = ? AND idx = ?",
                       [*params, request_id, index])
            db.execute("UPDATE requests SET updated_at = ? WHERE id = ?", [iso(moment),
                                                                           request_id])
            _touch(db, request_id)
            self._event(db, request_id, kind, None, index, detail, None, at=moment)

    def events(self, request_id: str) -> list[Event]:
        return [
            Event(
                at=parse_iso(r["at"]) or now(), kind=r["kind"], status=r["status"],
                recipient_index=r["recipient_index"], detail=r["detail"],
                payload=json.loads(r["payload_json"]) if r["payload_json"] else None,
            )
            for r in self.db.query("SELECT * FROM events WHERE request_id = ? ORDER BY id",
                                   [request_id])
        ]

    def add_event(self, request_id: str, kind: str, detail: str | None = None,
                  payload: dict[str, Any] | None = None) -> None:
        with self.database.write() as db:
            self._event(db, request_id, kind, None, None, detail, payload)

    @staticmethod
    def _event(db: Any, request_id: str, kind: str, status: Status | None, index: int | None,
               detail: str | None, payload: dict[str, Any] | None,
               at: datetime | None = None) -> None:
        if isinstance(detail, Text) and detail.gui() != detail:
            # The detail is kept in the command line's words; the app shows its own.
            payload = {**(payload or {}), APP_DETAIL: detail.gui()}
        db.table("events").insert({
            "request_id": request_id, "at": iso(at or now()), "kind": kind,
            "status": status.value if status else None, "recipient_index": index,
            "detail": stored_text(detail),
            "payload_json": stored_payload(payload) if payload is not None else None,
        })

    # --- field values (in-person signing) -----------------------------------------------------

    def set_field_values(self, request_id: str, values: dict[int, FieldValue]) -> None:
        with self.database.write() as db:
            for idx, value in values.items():
                db.execute("UPDATE fields SET value = ?, image = ? WHERE request_id = ? AND "
                           "idx = ?", [value.value, value.image, request_id, idx])
            _touch(db, request_id)

    def field_values(self, request_id: str) -> dict[int, FieldValue]:
        return {
            r["idx"]: FieldValue(r["value"], r["image"])
            for r in self.db.query(
                "SELECT idx, value, image FROM fields WHERE request_id = ? AND "
                "(value IS NOT NULL OR image IS NOT NULL)", [request_id])
        }

    # --- outbox -------------------------------------------------------------------------------

    def outbox(self, request_id: str) -> OutboxItem | None:
        row = self.db.execute(
            "SELECT request_id, idempotency_key, state, attempts, last_error FROM outbox "
            "WHERE request_id = ?", [request_id]).fetchone()
        return OutboxItem(*row) if row else None

    def pending_outbox(self, state: str = "pending") -> list[OutboxItem]:
        rows = self.db.execute(
            "SELECT request_id, idempotency_key, state, attempts, last_error FROM outbox "
            "WHERE state = ? ORDER BY created_at", [state]).fetchall()
        return [OutboxItem(*r) for r in rows]

    def outbox_reconciling(self, request_id: str, error: str) -> None:
        """A send whose outcome is unknown: it must be reconciled with the provider before
        anything is sent again."""
        with self.database.write() as db:
            db.execute("UPDATE outbox SET state = 'reconciling', last_error = ?, updated_at = ? "
                       "WHERE request_id = ?", [stored_text(error), iso(now()), request_id])
            self.set_status(request_id, Status.RECONCILING, detail=error)

    def outbox_requeue(self, request_id: str, detail: str) -> None:
        """Send again with the same key (the provider does not have it, or the user said so)."""
        with self.database.write() as db:
            db.execute("UPDATE outbox SET state = 'pending', updated_at = ? WHERE request_id = ?",
                       [iso(now()), request_id])
            current = db.execute("SELECT status FROM requests WHERE id = ?",
                                 [request_id]).fetchone()[0]
            if current == Status.RECONCILING.value:
                self.set_status(request_id, Status.QUEUED, kind="requeued", detail=detail)

    def outbox_sending(self, request_id: str, pid: int) -> bool:
        """Committed before the provider is called: a crash from here on leaves the entry
        ``sending``, which sync must reconcile rather than send blindly. Compare-and-set: only
        a ``pending`` entry becomes ``sending`` (False when another process took it first)."""
        with self.database.write() as db:
            cursor = db.execute("UPDATE outbox SET state = 'sending', owner_pid = ?, "
                                "attempts = attempts + 1, updated_at = ? WHERE request_id = ? "
                                "AND state = 'pending'", [pid, iso(now()), request_id])
            return bool(cursor.rowcount == 1)

    def outbox_owner(self, request_id: str) -> int | None:
        row = self.db.execute("SELECT owner_pid FROM outbox WHERE request_id = ?",
                              [request_id]).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def outbox_done(self, request_id: str, report: Report) -> Status:
        """The provider accepted the request: apply its report and close the outbox entry."""
        with self.database.write() as db:
            status = self.apply_report(request_id, report, kind="sent")
            db.execute("UPDATE outbox SET state = 'done', last_error = NULL, updated_at = ? "
                       "WHERE request_id = ?", [iso(now()), request_id])
        return status

    def outbox_failed(self, request_id: str, error: str, *, final: bool) -> None:
        """A send failed: a final failure (the provider said no) ends the request as failed;
        otherwise the entry stays pending for ``sync`` to retry with the same key."""
        with self.database.write() as db:
            db.execute("UPDATE outbox SET state = ?, last_error = ?, updated_at = ? WHERE "
                       "request_id = ?", ["failed" if final else "pending", stored_text(error),
                                          iso(now()), request_id])
            if final:
                self.set_status(request_id, Status.FAILED, detail=error, error_message=error)
            else:
                self._event(db, request_id, "send-error", None, None, error, None)

    # --- archive --------------------------------------------------------------------------------

    def record_archive(self, request_id: str, directory: str, files: Sequence[ArchivedFile],
                       content: str | None) -> None:
        with self.database.write() as db:
            db.execute("DELETE FROM archive_files WHERE request_id = ?", [request_id])
            db.table("archive_files").insert_all(
                {"request_id": request_id, "kind": f.kind, "path": f.path, "sha256": f.sha256,
                 "size": f.size, "archived_at": iso(f.archived_at)} for f in files)
            if db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone():
                db.execute("UPDATE requests SET archive_dir = ?, archive_error = NULL WHERE "
                           "id = ?", [directory, request_id])
                self._event(db, request_id, "archived", None, None, directory, None)
            if content is not None:
                db.execute("UPDATE search SET content = ? WHERE rowid = ?",
                           [content, _docid(db, request_id)])

    def set_archive_error(self, request_id: str, error: str, *, kind: str = "archive-error"
                          ) -> None:
        """Record why the request's signed files could not be archived (kept until an archive
        succeeds), with an event in its history."""
        with self.database.write() as db:
            db.execute("UPDATE requests SET archive_error = ? WHERE id = ?", [error, request_id])
            self._event(db, request_id, kind, None, None, error, None)

    def archived_files(self, request_id: str) -> list[ArchivedFile]:
        return [
            ArchivedFile(r["kind"], r["path"], r["sha256"], r["size"],
                         parse_iso(r["archived_at"]) or now())
            for r in self.db.query("SELECT * FROM archive_files WHERE request_id = ? "
                                   "ORDER BY kind", [request_id])
        ]

    def archive_dir(self, request_id: str) -> str | None:
        row = self.db.execute("SELECT archive_dir FROM requests WHERE id = ?",
                              [request_id]).fetchone()
        return row[0] if row else None

    def archived_ids(self) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT request_id FROM archive_files ORDER BY archived_at DESC").fetchall()
        return [str(r[0]) for r in rows]

    def forget_archives(self, keep: set[str]) -> None:
        """Drop archive rows of requests whose folder is gone (after a reindex)."""
        with self.database.write() as db:
            for rid in self.archived_ids():
                if rid not in keep:
                    db.execute("DELETE FROM archive_files WHERE request_id = ?", [rid])
                    db.execute("UPDATE requests SET archive_dir = NULL WHERE id = ?", [rid])

    def restore(self, request: Request, events: Sequence[Event]) -> None:
        """Re-create a request read back from its archived ``request.json``."""
        with self.database.write() as db:
            db.table("requests").insert(self._row(request))
            db.table("recipients").insert_all(
                {
                    "request_id": request.id, "idx": i, "first_name": r.first_name,
                    "last_name": r.last_name, "email": r.email,
                    "designation": r.designation.value, "signing_order": r.order,
                    "provider_recipient_id": state.provider_recipient_id,
                    "viewed_at": iso(state.viewed_at), "signed_at": iso(state.signed_at),
                    "declined_at": iso(state.declined_at),
                    "decline_reason": state.decline_reason,
                }
                for i, (r, state) in enumerate(zip(request.spec.recipients, request.recipients,
                                                   strict=True))
            )
            self._write_fields(db, request.id, request.spec.fields)
            for e in events:
                db.table("events").insert({
                    "request_id": request.id, "at": iso(e.at), "kind": e.kind,
                    "status": e.status, "recipient_index": e.recipient_index,
                    "detail": e.detail,
                    "payload_json": json.dumps(e.payload, ensure_ascii=False, default=str)
                    if e.payload is not None else None,
                })
            self._index(db, request)

    def unarchived_completed(self) -> list[str]:
        rows = self.db.execute(
            "SELECT id FROM requests WHERE status = 'completed' AND archive_dir IS NULL "
            "ORDER BY completed_at").fetchall()
        return [str(r[0]) for r in rows]

    def exists(self, request_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM requests WHERE id = ?",
                               [request_id]).fetchone() is not None

    # --- search ---------------------------------------------------------------------------------

    @staticmethod
    def _index(db: Any, request: Request) -> None:
        people = " ".join(f"{r.name} {r.email}" for r in request.spec.recipients)
        docid = _docid(db, request.id, iso(request.created_at))
        db.execute("DELETE FROM search WHERE rowid = ?", [docid])
        db.execute("INSERT INTO search (rowid, request_id, name, people, content) "
                   "VALUES (?, ?, ?, ?, ?)", [docid, request.id, request.spec.name, people, ""])

    #: Matches of a search, best first (then newest first), with their request ids read from
    #: the indexed ``search_keys`` rather than from the full-text table's content.
    _MATCHES = ("FROM search JOIN search_keys k ON k.docid = search.rowid WHERE search MATCH ?"
                "{archived}")
    _ARCHIVED = (" AND EXISTS (SELECT 1 FROM archive_files a WHERE a.request_id = "
                 "k.request_id)")

    def search_ids(self, text: str, limit: int | None = None, *,
                   archived_only: bool = False, offset: int = 0) -> list[str]:
        """Ids of the requests whose name, recipients, emails or (archived) document text
        match ``text``, best match first; ``limit`` and ``offset`` choose a page of them."""
        sql = ("SELECT k.request_id " + self._MATCHES.format(
            archived=self._ARCHIVED if archived_only else "")
            + " ORDER BY search.rank, search.rowid DESC LIMIT ? OFFSET ?")
        params: list[Any] = [fts_query(text), -1 if limit is None else limit, max(offset, 0)]
        return [str(r[0]) for r in self.db.execute(sql, params).fetchall()]

    def search_count(self, text: str, *, archived_only: bool = False) -> int:
        """How many requests :meth:`search_ids` finds for ``text`` in all."""
        sql = "SELECT count(*) " + self._MATCHES.format(
            archived=self._ARCHIVED if archived_only else "")
        return int(self.db.execute(sql, [fts_query(text)]).fetchone()[0])

    # --- completions ------------------------------------------------------------------------------

    def known_recipients(self, limit: int = 500) -> list[tuple[str, str, str]]:
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
            )
            WHERE pick = 1
            ORDER BY created_at DESC, seq DESC, idx
            LIMIT ?
            """, [limit]).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


#: Requests read per query by :meth:`Requests.page` (each id is one SQL parameter).
_CHUNK = 500


class ChangedMeanwhile(SealboxError):
    """The request changed after it was read: what was decided on the old reading is not
    applied. Read it again and decide again."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"The request {request_id} changed while it was being updated: try "
                         "again.")
        self.request_id = request_id


class StateConflict(UserError):
    """The request is no longer in the state a change needs (another process moved it first):
    nothing was changed."""

    def __init__(self, request_id: str, name: str, status: Status) -> None:
        super().__init__(f"{name!r} is already {status.value}: it changed a moment ago, before "
                         f"this could be done (see `sealbox show {request_id[:8]}`).")
        self.request_id = request_id
        self.status = status


def _touch(db: Any, request_id: str) -> None:
    """Raise the request's version: every change to it does (see :class:`ChangedMeanwhile`)."""
    db.execute("UPDATE requests SET version = version + 1 WHERE id = ?", [request_id])


def _docid(db: Any, request_id: str, created_at: str | None = None) -> int:
    """The full-text row of a request, found through an indexed key (an FTS5 column cannot be
    looked up without scanning the whole index); a new one is keyed by the request's creation
    time (``created_at``, or as stored), after any other request of the same millisecond (see
    ``app.store.db.DOCID_SPAN``)."""
    row = db.execute("SELECT docid FROM search_keys WHERE request_id = ?",
                     [request_id]).fetchone()
    if row is not None:
        return int(row[0])
    if created_at is None:
        stored = db.execute("SELECT created_at FROM requests WHERE id = ?",
                            [request_id]).fetchone()
        created_at = str(stored[0]) if stored else iso(now())
    assert created_at is not None
    base = docid_base(created_at)
    last = db.execute("SELECT max(docid) FROM search_keys WHERE docid >= ? AND docid < ?",
                      [base, base + DOCID_SPAN]).fetchone()[0]
    docid = base if last is None else int(last) + 1
    if docid >= base + DOCID_SPAN:  # over a thousand requests in one millisecond: any free key
        docid = int(db.execute("SELECT max(docid) FROM search_keys").fetchone()[0]) + 1
    db.execute("INSERT INTO search_keys (docid, request_id) VALUES (?, ?)", [docid, request_id])
    return docid


def _docid_floor(moment: datetime) -> int:
    """The smallest docid of a request created at ``moment`` or later."""
    text = iso(moment)
    assert text is not None
    return docid_base(text)


def _has_words(text: str) -> bool:
    """Whether ``text`` holds anything to search for (a word :func:`fts_query` would keep)."""
    return re.search(r"\w", text, flags=re.UNICODE) is not None


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must match, as a prefix."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words:
        return '""'
    return " ".join(f'"{w}"*' for w in words)


def _field(row: dict[str, Any]) -> Field:
    """A field as the ``fields`` table holds it."""
    rect = json.loads(row["anchor_rect_json"]) if row.get("anchor_rect_json") else None
    return Field(
        recipient_index=row["recipient_index"], type=FieldType(row["type"]), page=row["page"],
        x=row["x"], y=row["y"], width=row["width"], height=row["height"],
        required=bool(row["required"]), label=row["label"],
        options=tuple(json.loads(row["options_json"])) if row["options_json"] else (),
        anchor=row["anchor"],
        anchor_rect=Rect(*rect) if rect else None,
        remove_anchor_text=not row.get("keep_anchor_text"),
    )
