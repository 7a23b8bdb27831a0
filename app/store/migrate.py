"""Moving this desk's SQLite store into the shared PostgreSQL store (``sealbox store migrate``).

Every table is copied in one transaction on the shared store: requests with their recipients,
fields, anchors, events, outbox entries and full-text rows; the archive index and the
verifications; templates, drafts, runs with their rows, and the webhook deliveries already
handled. (The people offered as recipients are read from the recipients, so they come along.)

A row is found in the shared store by its key (a request's id, a template's name, …):

- not there: copied;
- there with the same content: skipped, so migrating again doubles nothing;
- there with other content (another desk changed it, or has a request of the same id): a
  *conflict*, reported and never overwritten; the request's events and full-text row are then
  left as the shared store has them.

Events have no key of their own (their ids are each store's): a request's events are compared
as a whole, and those the shared store lacks are added in order. Afterwards every table is
verified: the count and a SHA-256 over the rows in a canonical order (by key; the store's own
row ids left out), on this desk's file and on the same keys in the shared store. The SQLite file
is opened read-only and never changed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.store.db import SCHEMA_VERSION as SQLITE_VERSION
from app.store.pg import PgDatabase, PgWriter
from app.store.search import index_text


@dataclass(frozen=True)
class Table:
    name: str
    #: The columns that find a row in the other store.
    key: tuple[str, ...]
    #: Whether the key compares regardless of case (template names).
    nocase: bool = False


#: In the order rows can be written (a request before what belongs to it).
TABLES = (
    Table("requests", ("id",)),
    Table("recipients", ("request_id", "idx")),
    Table("fields", ("request_id", "idx")),
    Table("anchors", ("request_id", "idx")),
    Table("outbox", ("request_id",)),
    Table("archive_files", ("request_id", "kind")),
    Table("verifications", ("request_id",)),
    Table("templates", ("name",), nocase=True),
    Table("drafts", ("id",)),
    Table("runs", ("id",)),
    Table("run_rows", ("run_id", "row_number")),
    Table("webhook_deliveries", ("provider", "delivery_id")),
)
#: The tables whose rows belong to a request (left alone when the request is in conflict).
_OF_A_REQUEST = {"recipients", "fields", "anchors", "outbox"}
#: An event's content: everything but its id.
_EVENT = ("request_id", "at", "kind", "status", "recipient_index", "detail", "payload_json")
_SEARCH = ("request_id", "name", "people", "content")


@dataclass
class TableResult:
    copied: int = 0
    already: int = 0
    conflicts: list[str] = field(default_factory=list)
    #: After the copy: rows compared, and whether their hashes matched.
    verified: int = 0
    hash: str = ""
    matches: bool = True


@dataclass
class Migration:
    source: Path
    target: str
    tables: dict[str, TableResult] = field(default_factory=dict)

    @property
    def conflicts(self) -> list[str]:
        return [c for result in self.tables.values() for c in result.conflicts]

    @property
    def verified(self) -> bool:
        return all(result.matches for result in self.tables.values())


Row = dict[str, Any]


def open_source(path: Path) -> sqlite3.Connection:
    """This desk's store, read-only (the file is never changed)."""
    if not path.is_file():
        raise UserError(f"There is no Sealbox store at {path} on this computer: nothing to move.")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UserError(f"The store {path} cannot be read ({exc}): nothing was moved.") from exc
    if version != SQLITE_VERSION:
        conn.close()
        newer = version > SQLITE_VERSION
        raise UserError(
            f"The store {path} was written by a {'newer' if newer else 'older'} Sealbox "
            f"(schema {version}, this one knows {SQLITE_VERSION}): "
            + ("update Sealbox" if newer else "run `sealbox list` once to bring it up to date")
            + ", then migrate again. Nothing was moved."
        )
    return conn


def _rows(conn: sqlite3.Connection, sql: str) -> list[Row]:
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, bytes | memoryview):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, float):
        return repr(value)
    return value


def _key(table: Table, row: Row) -> tuple[Any, ...]:
    values = tuple(row[c] for c in table.key)
    return tuple(v.lower() for v in values) if table.nocase else values


def _content(row: Row, columns: Iterable[str]) -> list[Any]:
    return [_canonical(row.get(c)) for c in columns]


def digest(rows: Sequence[Sequence[Any]]) -> str:
    """SHA-256 of ``rows`` (already canonical and in canonical order), as JSON."""
    return hashlib.sha256(json.dumps(list(rows), ensure_ascii=False).encode()).hexdigest()


def _target_rows(target: PgDatabase, table: Table, keys: Sequence[tuple[Any, ...]]) -> list[Row]:
    """The shared store's rows of ``table`` under the first key column of ``keys``."""
    first = sorted({k[0] for k in keys})
    out: list[Row] = []
    for start in range(0, len(first), 5000):
        chunk = first[start : start + 5000]
        column = table.key[0]
        # The table and column names are this module's own; the values are bound.
        if table.nocase:
            sql = f"SELECT * FROM {table.name} WHERE lower({column}) = ANY(?)"
        else:
            sql = f"SELECT * FROM {table.name} WHERE {column} = ANY(?)"
        out += target.reader.query(sql, [list(chunk)])
    return out


def _copy_table(
    db: PgWriter,
    target: PgDatabase,
    table: Table,
    rows: list[Row],
    in_conflict: set[str],
) -> tuple[TableResult, list[Row]]:
    """Copy the rows of ``table`` the shared store lacks; returns what happened and the rows
    copied. A request found changed there is added to ``in_conflict``."""
    result = TableResult()
    existing = {
        _key(table, r): r for r in _target_rows(target, table, [_key(table, r) for r in rows])
    }
    columns = list(rows[0]) if rows else []
    new: list[Row] = []
    for row in rows:
        if table.name in _OF_A_REQUEST and row["request_id"] in in_conflict:
            continue
        there = existing.get(_key(table, row))
        if there is None:
            new.append(row)
        elif _content(there, columns) == _content(row, columns):
            result.already += 1
        else:
            key = ", ".join(str(v) for v in _key(table, row))
            result.conflicts.append(f"{table.name} {key}")
            if table.name == "requests":
                in_conflict.add(row["id"])
    db.table(table.name).insert_all(new)
    result.copied = len(new)
    return result, new


def _copy_events(
    db: PgWriter, target: PgDatabase, source: sqlite3.Connection, skip: set[str]
) -> TableResult:
    """Each request's events the shared store lacks, added in their order."""
    result = TableResult()
    mine: dict[str, list[Row]] = {}
    for row in _rows(source, "SELECT * FROM events ORDER BY id"):
        mine.setdefault(row["request_id"], []).append(row)
    keys = [(rid,) for rid in mine if rid not in skip]
    theirs: dict[str, list[list[Any]]] = {}
    for row in sorted(
        _target_rows(target, Table("events", ("request_id",)), keys), key=lambda r: r["id"]
    ):
        theirs.setdefault(row["request_id"], []).append(_content(row, _EVENT))
    for (request_id,) in keys:
        there = list(theirs.get(request_id, []))
        missing: list[Row] = []
        for event in mine[request_id]:
            content = _content(event, _EVENT)
            if content in there:
                there.remove(content)
                result.already += 1
            else:
                missing.append({c: event[c] for c in _EVENT})
        db.table("events").insert_all(missing)
        result.copied += len(missing)
    return result


def _copy_search(db: PgWriter, source: sqlite3.Connection, new_requests: set[str]) -> TableResult:
    """The full-text rows of the requests copied (with the words of their archived
    documents); the shared store keeps its own for the others."""
    result = TableResult()
    for row in _rows(source, "SELECT request_id, name, people, content FROM search"):
        if row["request_id"] in new_requests:
            index_text(db, row["request_id"], row["name"], row["people"], row["content"])
            result.copied += 1
        else:
            result.already += 1
    return result


def _source_rows(source: sqlite3.Connection, table: Table) -> list[Row]:
    # The table names are this module's own.
    return _rows(source, f"SELECT * FROM {table.name} ORDER BY rowid")


def _verify_table(
    target: PgDatabase, table: Table, rows: list[Row], result: TableResult, skip: set[str]
) -> None:
    """Count and hash ``rows`` and the shared store's rows of the same keys (leaving out those
    in conflict)."""
    bad = {c.split(" ", 1)[1] for c in result.conflicts}

    def kept(row: Row) -> bool:
        if table.name in _OF_A_REQUEST and row["request_id"] in skip:
            return False
        return ", ".join(str(v) for v in _key(table, row)) not in bad

    mine = sorted((r for r in rows if kept(r)), key=lambda r: _key(table, r))
    columns = list(rows[0]) if rows else []
    wanted = {_key(table, r) for r in mine}
    theirs = sorted(
        (r for r in _target_rows(target, table, list(wanted)) if _key(table, r) in wanted),
        key=lambda r: _key(table, r),
    )
    result.verified = len(mine)
    result.hash = digest([_content(r, columns) for r in mine])
    result.matches = len(theirs) == len(mine) and result.hash == digest(
        [_content(r, columns) for r in theirs]
    )


def _verify_grouped(
    target: PgDatabase,
    source: sqlite3.Connection,
    name: str,
    sql: str,
    columns: tuple[str, ...],
    result: TableResult,
    skip: set[str],
) -> None:
    """Count and hash the events (or full-text rows) of the requests not in conflict, in
    each request's order, here and in the shared store."""
    mine = [r for r in _rows(source, sql) if r["request_id"] not in skip]
    keys = sorted({(r["request_id"],) for r in mine})
    theirs = _target_rows(target, Table(name, ("request_id",)), keys)
    order = "id" if name == "events" else "request_id"

    def arranged(rows: list[Row]) -> list[list[Any]]:
        ordered = sorted(rows, key=lambda r: (r["request_id"], r[order]))
        return [_content(r, columns) for r in ordered]

    result.verified = len(mine)
    result.hash = digest(arranged(mine))
    result.matches = len(theirs) == len(mine) and result.hash == digest(arranged(theirs))


def migrate_store(source_path: Path, target: PgDatabase) -> Migration:
    """Copy this desk's store at ``source_path`` into ``target`` (one transaction), then
    verify every table. Nothing is overwritten; the SQLite file is not changed."""
    source = open_source(source_path)
    migration = Migration(source=source_path, target=target.where)
    try:
        rows = {t.name: _source_rows(source, t) for t in TABLES}
        in_conflict: set[str] = set()
        copied: set[str] = set()
        with target.write() as db:
            for table in TABLES:
                result, new = _copy_table(db, target, table, rows[table.name], in_conflict)
                migration.tables[table.name] = result
                if table.name == "requests":
                    copied = {r["id"] for r in new}
            migration.tables["events"] = _copy_events(db, target, source, in_conflict)
            migration.tables["search"] = _copy_search(db, source, copied)
        for table in TABLES:
            _verify_table(
                target, table, rows[table.name], migration.tables[table.name], in_conflict
            )
        _verify_grouped(
            target,
            source,
            "events",
            "SELECT * FROM events",
            _EVENT,
            migration.tables["events"],
            in_conflict,
        )
        _verify_grouped(
            target,
            source,
            "search",
            "SELECT request_id, name, people, content FROM search",
            _SEARCH,
            migration.tables["search"],
            in_conflict,
        )
    finally:
        source.close()
    return migration
