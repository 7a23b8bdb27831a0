"""The Requests place over 100,000 requests on the shared store (PostgreSQL) beside the same on
this desk's SQLite file; prints its figures, asserts nothing.

Run on demand (pytest ignores ``tests/bench``; PostgreSQL's programs must be installed: a
throwaway server is started as the tests start theirs)::

    uv run --frozen python -m tests.bench.shared_requests_view

The same 100,000 synthetic requests as ``tests.bench.requests_view`` (its ``make_rows``: the
store's own request rows, recipients, fields, two events each and the full-text rows) are
written into a SQLite store (as that benchmark does) and into a PostgreSQL one, where they go in
with ``COPY`` in one transaction (the full-text rows through a temporary table, so that their
``tsvector`` is made by the server from the words as the store makes them,
``app.store.dialect.index_words``), then ``ANALYZE``. Each store is then measured by
``requests_view``'s ``bench_store`` (count and a page of 200, for each filter) and
``bench_page`` (create the page → first paint of the table; last keystroke or Enter → the rows
of a rare and a common word painted, against Enter with nothing to search for), each in a
process of its own (its own Qt application and event loop), with the store named by its address
as a desk names it (``SEALBOX_DATABASE_URL``, the password from the environment). The summary
prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.core import Summary, isolate, section
from tests.bench.requests_view import REQUESTS, SEED, bench_page, bench_store, fill, make_rows
from tests.support import pgserver

#: The child's last line: its summary as JSON.
MARK = "SUMMARY-JSON "
#: What the offscreen Qt platform says each time a window is shown (left out of the output).
QT_NOISE = "This plugin does not support propagateSizeHints()"


def fill_postgres(ctx: Any, total: int = REQUESTS, seed: int = SEED) -> float:
    """Write ``total`` synthetic requests into the shared store with COPY, in one transaction;
    the seconds it took (the rows made included, as ``requests_view.fill`` counts them)."""
    from app.store.db import docid_base
    from app.store.dialect import index_words
    from app.store.rows import request_row

    started = time.perf_counter()
    rows = make_rows(total, seed, docid_base, request_row)
    conn = ctx.store.database.conn
    with conn.transaction(), conn.cursor() as cur:
        for table, table_rows in rows.tables.items():
            _copy(cur, table, list(table_rows[0]), ([r[c] for c in r] for r in table_rows))
        _copy(cur, "search_keys", ["docid", "request_id"], rows.keys)
        cur.execute(
            "CREATE TEMPORARY TABLE search_words (rowid BIGINT, request_id TEXT, name TEXT, "
            "people TEXT, content TEXT, words TEXT) ON COMMIT DROP"
        )
        _copy(
            cur,
            "search_words",
            ["rowid", "request_id", "name", "people", "content", "words"],
            ((*row, index_words(*row[2:])) for row in rows.search),
        )
        cur.execute(
            "INSERT INTO search (rowid, request_id, name, people, content, tsv) "
            "SELECT rowid, request_id, name, people, content, strip(to_tsvector('simple', words)) "
            "FROM search_words"
        )
    conn.execute("ANALYZE")
    return time.perf_counter() - started


def _copy(cur: Any, table: str, columns: list[str], rows: Any) -> None:
    """COPY ``rows`` into ``table`` (booleans as the 0 and 1 the store keeps)."""
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([int(v) if isinstance(v, bool) else v for v in row])


def child(backend: str, address: str | None) -> int:
    """Fill one store and measure it; the summary printed, then as JSON on the last line."""
    started = time.perf_counter()
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as name:
        tmp = Path(name)
        isolate(tmp / "home", tmp / "keyring.json")
        if address is not None:
            os.environ["SEALBOX_DATABASE_URL"] = address
            os.environ["SEALBOX_STORE_PASSWORD"] = pgserver.PASSWORD
        from app.context import Context

        ctx = Context.from_environment()
        try:
            section(f"{backend}: fill the store with {REQUESTS:,} requests (one transaction)")
            took = fill_postgres(ctx) if address is not None else fill(ctx)
            print(f"  written in {took:.1f} s")
            summary.add(f"fill {REQUESTS:,} requests", f"{took:.1f} s")
            bench_store(ctx, summary)
            bench_page(ctx, summary)
        finally:
            ctx.close()
    summary.add("whole benchmark", f"{time.perf_counter() - started:.0f} s")
    summary.print()
    print(MARK + json.dumps(summary.rows), flush=True)
    return 0


def run_child(backend: str, address: str | None) -> list[tuple[str, str]]:
    """Run :func:`child` in a process of its own, passing its output through."""
    command = [sys.executable, "-m", "tests.bench.shared_requests_view", "--child", backend]
    if address is not None:
        command += ["--address", address]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    rows: list[tuple[str, str]] = []
    for line in proc.stdout:
        if line.startswith(MARK):
            rows = [(str(a), str(b)) for a, b in json.loads(line[len(MARK) :])]
        elif line.strip() != QT_NOISE:
            print(line, end="", flush=True)
    if proc.wait() != 0 or not rows:
        raise SystemExit(f"the {backend} run failed (exit {proc.returncode})")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("SQLite", "PostgreSQL"))
    parser.add_argument("--address")
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.address)
    if not pgserver.available():
        print(pgserver.INSTALL_HINT)
        return 1
    print(
        f"Requests place on SQLite and on PostgreSQL: {REQUESTS:,} requests, {os.cpu_count()} CPUs"
    )
    sqlite = run_child("SQLite", None)
    server = pgserver.start()
    try:
        address = f"postgresql://{pgserver.SUPERUSER}@127.0.0.1:{server.port}/postgres"
        postgres = dict(run_child("PostgreSQL", address))
    finally:
        server.stop()
    width = max(len(label) for label, _ in sqlite)
    print(f"\n{'SIDE BY SIDE':<{width}}   {'SQLite':>24}   {'PostgreSQL':>24}")
    print("-" * (width + 54))
    for label, value in sqlite:
        print(f"{label:<{width}}   {value:>24}   {postgres.get(label, '-'):>24}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
