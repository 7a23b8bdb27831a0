"""Finding requests: the full-text index (SQLite FTS5) and the pages of the requests list.

Each request has one full-text row (its name, its recipients' names and emails and, once
archived, the words of its documents), keyed by a docid that sorts as the request list does
(``app.store.db.DOCID_SPAN``): newest first is docid descending, so a search reads its matches
newest first straight off the index. The request a row belongs to is found through the indexed
``search_keys`` table (an FTS5 column cannot be looked up without scanning the whole index).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.domain.clock import iso, now
from app.domain.model import Request
from app.store import rows
from app.store.connection import StoreDatabase
from app.store.db import DOCID_SPAN, docid_base
from app.store.dialect import dialect_of, index_words
from app.store.records import RequestFilter, has_words
from app.store.rows import load_ids, load_requests, marks


def fts_query(text: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every word must match, as a prefix."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words:
        return '""'
    return " ".join(f'"{w}"*' for w in words)


def _write_row(db: Any, docid: int, request_id: str, name: str, people: str, content: str) -> None:
    """(Re)write one full-text row; on PostgreSQL with its ``tsvector`` of the words."""
    db.execute("DELETE FROM search WHERE rowid = ?", [docid])
    if dialect_of(db).name == "sqlite":
        db.execute(
            "INSERT INTO search (rowid, request_id, name, people, content) VALUES (?, ?, ?, ?, ?)",
            [docid, request_id, name, people, content],
        )
        return
    db.execute(
        "INSERT INTO search (rowid, request_id, name, people, content, tsv) "
        "VALUES (?, ?, ?, ?, ?, strip(to_tsvector('simple', ?)))",
        [docid, request_id, name, people, content, index_words(name, people, content)],
    )


def index_request(db: Any, request: Request) -> None:
    """(Re)write ``request``'s full-text row: its name and its recipients (on ``db``, a write
    transaction's handle). The documents' words are added when it is archived."""
    people = " ".join(f"{r.name} {r.email}" for r in request.spec.recipients)
    docid = _docid(db, request.id, iso(request.created_at))
    _write_row(db, docid, request.id, request.spec.name, people, "")


def index_text(db: Any, request_id: str, name: str, people: str, content: str) -> None:
    """Write a full-text row as another store had it (a store being moved)."""
    _write_row(db, _docid(db, request_id), request_id, name, people, content)


def set_content(db: Any, request_id: str, content: str) -> None:
    """Make the words of ``request_id``'s archived documents searchable."""
    docid = _docid(db, request_id)
    if dialect_of(db).name == "sqlite":
        db.execute("UPDATE search SET content = ? WHERE rowid = ?", [content, docid])
        return
    row = db.execute("SELECT name, people FROM search WHERE rowid = ?", [docid]).fetchone()
    name, people = (str(row[0]), str(row[1])) if row else ("", "")
    _write_row(db, docid, request_id, name, people, content)


def _docid(db: Any, request_id: str, created_at: str | None = None) -> int:
    """The full-text row of a request, found through an indexed key; a new one is keyed by the
    request's creation time (``created_at``, or as stored), after any other request of the
    same millisecond (see ``app.store.db.DOCID_SPAN``)."""
    row = db.execute("SELECT docid FROM search_keys WHERE request_id = ?", [request_id]).fetchone()
    if row is not None:
        return int(row[0])
    if created_at is None:
        stored = db.execute("SELECT created_at FROM requests WHERE id = ?", [request_id]).fetchone()
        created_at = str(stored[0]) if stored else iso(now())
    assert created_at is not None
    base = docid_base(created_at)
    lock = dialect_of(db).lock
    if lock is not None:  # another desk may be choosing a key of this millisecond too
        db.execute(lock, [base])
    last = db.execute(
        "SELECT max(docid) FROM search_keys WHERE docid >= ? AND docid < ?",
        [base, base + DOCID_SPAN],
    ).fetchone()[0]
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


def _filter_sql(db: Any, filters: RequestFilter) -> tuple[str, list[Any]]:
    """The WHERE clause (with its leading ``WHERE``, or empty) and parameters of ``filters`` on
    the requests table. Times are compared as stored ISO-8601 UTC text, which sorts as time.

    A search with a status or provider goes from the full-text rows to their requests through
    ``search_keys`` (the FTS rowid is read from the index itself; the request id column would
    be read from the FTS content for every match); a search alone is answered by the
    full-text index (:func:`_text_only`)."""
    where: list[str] = []
    params: list[Any] = []
    if filters.statuses:
        values = sorted(s.value for s in filters.statuses)
        where.append(f"status IN ({marks(values)})")
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
    if filters.run:
        where.append("id IN (SELECT request_id FROM run_rows WHERE run_id = ?)")
        params.append(filters.run)
    if filters.mine is not None:
        where.append("created_desk = ? AND created_user = ?")
        params.extend(filters.mine)
    if has_words(filters.search):
        dialect = dialect_of(db)
        where.append(
            "id IN (SELECT request_id FROM search_keys WHERE docid IN "
            f"(SELECT rowid FROM search WHERE {dialect.match}))"
        )
        params.append(dialect.fts_query(filters.search))
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _text_only(filters: RequestFilter) -> bool:
    """Whether ``filters`` is a search with at most a date range: answered from the full-text
    index alone, whose docids sort as the list does (``DOCID_SPAN``), so the matches come
    newest first and a date range is a docid range."""
    return (
        has_words(filters.search)
        and not filters.statuses
        and not filters.provider
        and not filters.run
        and filters.mine is None
    )


def _text_sql(db: Any, filters: RequestFilter) -> tuple[str, list[Any]]:
    """The WHERE clause on the ``search`` table for a :func:`_text_only` filter."""
    dialect = dialect_of(db)
    where = [dialect.match]
    params: list[Any] = [dialect.fts_query(filters.search)]
    if filters.since is not None:
        where.append("search.rowid >= ?")
        params.append(_docid_floor(filters.since))
    if filters.until is not None:
        where.append("search.rowid < ?")
        params.append(_docid_floor(filters.until))
    return " WHERE " + " AND ".join(where), params


#: Matches of a search, best first (then newest first), with their request ids read from the
#: indexed ``search_keys`` rather than from the full-text table's content.
_MATCHES = "FROM search JOIN search_keys k ON k.docid = search.rowid WHERE {match}{archived}"
_ARCHIVED = " AND EXISTS (SELECT 1 FROM archive_files a WHERE a.request_id = k.request_id)"


class RequestSearch:
    """The requests list (filtered, newest first, a page at a time) and full-text search."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    def count(self, filters: RequestFilter | None = None) -> int:
        """How many requests ``filters`` lets through (all of them without one)."""
        filters = filters or RequestFilter()
        if _text_only(filters):
            where, params = _text_sql(self.db, filters)
            return int(self.db.execute(f"SELECT count(*) FROM search{where}", params).fetchone()[0])
        where, params = _filter_sql(self.db, filters)
        return int(self.db.execute(f"SELECT count(*) FROM requests{where}", params).fetchone()[0])

    def page(self, filters: RequestFilter, offset: int, limit: int) -> list[Request]:
        """Requests ``offset`` to ``offset + limit`` of those ``filters`` lets through, newest
        first (by creation; of requests created at the same moment, the last stored first).

        The page is chosen on the indexes alone (``created_at``, or ``status``/``provider``
        with ``created_at``) and only its rows are read, with their recipients and fields in
        one query each: a page costs about the same at the top of 100,000 requests as of 100."""
        if limit <= 0:
            return []
        offset = max(offset, 0)
        if _text_only(filters):
            where, params = _text_sql(self.db, filters)
            ids = [
                str(r[0])
                for r in self.db.execute(
                    f"SELECT k.request_id FROM search JOIN search_keys k ON k.docid = search.rowid"
                    f"{where} ORDER BY search.rowid DESC LIMIT ? OFFSET ?",
                    [*params, limit, offset],
                ).fetchall()
            ]
            return load_ids(self.db, ids)
        where, params = _filter_sql(self.db, filters)
        order = "ORDER BY created_at DESC, rowid DESC"
        keys = [
            int(r[0])
            for r in self.db.execute(
                f"SELECT rowid FROM requests{where} {order} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        ]
        out: list[Request] = []
        for first in range(0, len(keys), rows.CHUNK):
            chunk = keys[first : first + rows.CHUNK]
            found = list(
                self.db.query(
                    f"SELECT rowid AS _seq, * FROM requests WHERE rowid IN ({marks(chunk)})", chunk
                )
            )
            place = {key: i for i, key in enumerate(chunk)}
            found.sort(key=lambda row: place[row["_seq"]])
            out += load_requests(self.db, found)
        return out

    def position(self, filters: RequestFilter, request_id: str) -> int | None:
        """The row of request ``request_id`` in :meth:`page`'s order under ``filters``, or None
        when the filters leave it out (or there is no such request)."""
        if _text_only(filters):
            return self._text_position(filters, request_id)
        where, params = _filter_sql(self.db, filters)
        key = self.db.execute(
            f"SELECT created_at, rowid FROM requests{where}{' AND' if where else ' WHERE'} id = ?",
            [*params, request_id],
        ).fetchone()
        if key is None:
            return None
        before = (
            f"{where}{' AND' if where else ' WHERE'} (created_at > ? OR "
            "(created_at = ? AND rowid > ?))"
        )
        return int(
            self.db.execute(
                f"SELECT count(*) FROM requests{before}", [*params, key[0], key[0], key[1]]
            ).fetchone()[0]
        )

    def _text_position(self, filters: RequestFilter, request_id: str) -> int | None:
        found = self.db.execute(
            "SELECT docid FROM search_keys WHERE request_id = ?", [request_id]
        ).fetchone()
        if (
            found is None
            or self.db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone()
            is None
        ):
            return None
        where, params = _text_sql(self.db, filters)
        if (
            self.db.execute(
                f"SELECT 1 FROM search{where} AND search.rowid = ?", [*params, found[0]]
            ).fetchone()
            is None
        ):
            return None
        return int(
            self.db.execute(
                f"SELECT count(*) FROM search{where} AND search.rowid > ?", [*params, found[0]]
            ).fetchone()[0]
        )

    def matches(
        self, text: str, limit: int | None = None, *, archived_only: bool = False, offset: int = 0
    ) -> list[str]:
        """Ids of the requests whose name, recipients, emails or (archived) document text
        match ``text``, best match first; ``limit`` and ``offset`` choose a page of them."""
        dialect = dialect_of(self.db)
        query = dialect.fts_query(text)
        rank, rank_params = dialect.rank_order(query)
        sql = (
            "SELECT k.request_id "
            + _MATCHES.format(match=dialect.match, archived=_ARCHIVED if archived_only else "")
            + f" ORDER BY {rank}, search.rowid DESC LIMIT ? OFFSET ?"
        )
        everything = dialect.no_limit
        params = [query, *rank_params, everything if limit is None else limit, max(offset, 0)]
        return [str(r[0]) for r in self.db.execute(sql, params).fetchall()]

    def count_matches(self, text: str, *, archived_only: bool = False) -> int:
        """How many requests :meth:`matches` finds for ``text`` in all."""
        dialect = dialect_of(self.db)
        sql = "SELECT count(*) " + _MATCHES.format(
            match=dialect.match, archived=_ARCHIVED if archived_only else ""
        )
        return int(self.db.execute(sql, [dialect.fts_query(text)]).fetchone()[0])
