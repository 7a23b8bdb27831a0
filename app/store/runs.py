"""Runs of "send to many": one document sent to every row of a sheet.

A run is recorded, with every row it will send and each row's own idempotency key, in one
transaction before its first send. Each row then becomes an ordinary request (committed to the
outbox with the row's key by :func:`app.services.send.prepare`) and the row points at it. A run
cut off at any moment is finished by ``sealbox sync``: a row with no request yet is prepared
with its key (an outbox entry already holding the key is the row's request: it is not made
twice), and the outbox delivers it exactly once.

Row states: ``waiting`` (no request yet), ``queued`` (its request exists: its status is the
request's), ``skipped`` (a problem found before the run: not sent), ``cancelled`` (the run was
cancelled before the row's request was made).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.clock import iso, now, parse_iso
from app.errors import NotFoundError, UserError
from app.store.connection import StoreDatabase

if TYPE_CHECKING:
    import sqlite_utils

#: A run's states: ``running`` (rows left to make), ``done`` (every row has its request or was
#: skipped), ``cancelled``.
RUN_STATES = ("running", "done", "cancelled")


def create_tables(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            provider TEXT NOT NULL,
            render_id TEXT,
            spec_json TEXT NOT NULL,
            document_name TEXT NOT NULL,
            document_sha256 TEXT NOT NULL,
            sheet TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE run_rows (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            row_number INTEGER NOT NULL,
            row_json TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            request_id TEXT,
            state TEXT NOT NULL,
            problem TEXT,
            PRIMARY KEY (run_id, row_number)
        )""")
    db.execute("CREATE INDEX run_rows_request ON run_rows(request_id)")


@dataclass(frozen=True)
class Run:
    id: str
    name: str
    provider: str
    render_id: str | None
    spec: dict[str, Any]
    document_name: str
    document_sha256: str
    sheet: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class RunRow:
    run_id: str
    number: int
    #: What the row sends: ``{"recipients": [...], "values": {"<field index>": "text"}}``.
    data: dict[str, Any]
    idempotency_key: str
    request_id: str | None
    state: str
    problem: str | None


@dataclass(frozen=True)
class NewRow:
    number: int
    data: dict[str, Any]
    idempotency_key: str
    problem: str | None = None


class Runs:
    """The repository of runs. Every method that changes something is one transaction."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    def add(self, run: Run, rows: Sequence[NewRow]) -> None:
        """Record a run and every row it sends (or skips), in one transaction."""
        stamp = iso(run.created_at)
        with self.database.write() as db:
            db.execute(
                "INSERT INTO runs (id, name, provider, render_id, spec_json, document_name, "
                "document_sha256, sheet, state, created_at, updated_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run.id,
                    run.name,
                    run.provider,
                    run.render_id,
                    json.dumps(run.spec),
                    run.document_name,
                    run.document_sha256,
                    run.sheet,
                    run.state,
                    stamp,
                    stamp,
                ],
            )
            db.table("run_rows").insert_all(
                {
                    "run_id": run.id,
                    "row_number": r.number,
                    "row_json": json.dumps(r.data, ensure_ascii=False),
                    "idempotency_key": r.idempotency_key,
                    "request_id": None,
                    "state": "skipped" if r.problem else "waiting",
                    "problem": r.problem,
                }
                for r in rows
            )

    def resolve_id(self, ref: str) -> str:
        ref = ref.strip()
        if len(ref) < 4:
            raise UserError(
                f"{ref!r} is too short to name a run: give at least 4 characters of its id."
            )
        found = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
                [ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"],
            )
        ]
        if not found:
            raise NotFoundError(f"No run has an id starting {ref!r}: see the list of runs.")
        if len(found) > 1:
            raise UserError(f"More than one run has an id starting {ref!r}: give more of it.")
        return str(found[0])

    def get(self, ref: str) -> Run:
        row = next(self.db.query("SELECT * FROM runs WHERE id = ?", [self.resolve_id(ref)]))
        return _run(row)

    def all(self) -> list[Run]:
        return [_run(r) for r in self.db.query("SELECT * FROM runs ORDER BY created_at DESC")]

    def ids_in_state(self, state: str) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM runs WHERE state = ? ORDER BY created_at", [state]
            )
        ]

    def rows(self, run_id: str) -> list[RunRow]:
        return [
            _row(r)
            for r in self.db.query(
                "SELECT * FROM run_rows WHERE run_id = ? ORDER BY row_number", [run_id]
            )
        ]

    def row(self, run_id: str, number: int) -> RunRow:
        return _row(
            next(
                self.db.query(
                    "SELECT * FROM run_rows WHERE run_id = ? AND row_number = ?", [run_id, number]
                )
            )
        )

    def request_ids(self, run_id: str) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT request_id FROM run_rows WHERE run_id = ? AND request_id IS NOT NULL "
                "ORDER BY row_number",
                [run_id],
            )
        ]

    def counts(self, run_id: str) -> dict[str, int]:
        """Rows by state; queued rows by their request's status (``sent``, ``failed``, …)."""
        out: dict[str, int] = {}
        for state, status, count in self.db.execute(
            "SELECT w.state, r.status, COUNT(*) FROM run_rows w LEFT JOIN requests r "
            "ON r.id = w.request_id WHERE w.run_id = ? GROUP BY w.state, r.status",
            [run_id],
        ):
            key = status if state == "queued" and status else state
            out[key] = out.get(key, 0) + int(count)
        return out

    def request_for_key(self, key: str) -> str | None:
        """The request the outbox holds under ``key`` (a row whose request was committed but
        not yet linked when its run was cut off)."""
        row = self.db.execute(
            "SELECT request_id FROM outbox WHERE idempotency_key = ?", [key]
        ).fetchone()
        return str(row[0]) if row else None

    def link(self, run_id: str, number: int, request_id: str) -> None:
        with self.database.write() as db:
            db.execute(
                "UPDATE run_rows SET request_id = ?, state = 'queued' WHERE run_id = ? "
                "AND row_number = ?",
                [request_id, run_id, number],
            )

    def refuse_row(self, run_id: str, number: int, problem: str) -> None:
        """A row that could not be made into a request (checked again at send time)."""
        with self.database.write() as db:
            db.execute(
                "UPDATE run_rows SET state = 'skipped', problem = ? WHERE run_id = ? "
                "AND row_number = ? AND state = 'waiting'",
                [problem, run_id, number],
            )

    def set_state(self, run_id: str, state: str) -> None:
        assert state in RUN_STATES, state
        with self.database.write() as db:
            db.execute(
                "UPDATE runs SET state = ?, updated_at = ? WHERE id = ?",
                [state, iso(now()), run_id],
            )

    def state(self, run_id: str) -> str:
        row = self.db.execute("SELECT state FROM runs WHERE id = ?", [run_id]).fetchone()
        return str(row[0]) if row else "cancelled"

    def cancel(self, run_id: str) -> int:
        """Mark the run cancelled and its rows without a request as such; how many."""
        with self.database.write() as db:
            db.execute(
                "UPDATE runs SET state = 'cancelled', updated_at = ? WHERE id = ?",
                [iso(now()), run_id],
            )
            cursor = db.execute(
                "UPDATE run_rows SET state = 'cancelled' WHERE run_id = ? AND state = 'waiting'",
                [run_id],
            )
            return int(cursor.rowcount)

    def run_of(self, request_id: str) -> tuple[str, int] | None:
        """The run and sheet row a request was sent for, if any."""
        row = self.db.execute(
            "SELECT run_id, row_number FROM run_rows WHERE request_id = ?", [request_id]
        ).fetchone()
        return (str(row[0]), int(row[1])) if row else None


def _run(row: dict[str, Any]) -> Run:
    created = parse_iso(row["created_at"])
    assert created is not None
    return Run(
        id=row["id"],
        name=row["name"],
        provider=row["provider"],
        render_id=row["render_id"],
        spec=json.loads(row["spec_json"]),
        document_name=row["document_name"],
        document_sha256=row["document_sha256"],
        sheet=row["sheet"],
        state=row["state"],
        created_at=created,
    )


def _row(row: dict[str, Any]) -> RunRow:
    return RunRow(
        run_id=row["run_id"],
        number=int(row["row_number"]),
        data=json.loads(row["row_json"]),
        idempotency_key=row["idempotency_key"],
        request_id=row["request_id"],
        state=row["state"],
        problem=row["problem"],
    )
