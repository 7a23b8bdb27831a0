"""SQL stays in ``app/store``: everything else talks to the store's repositories.

A second backend (PostgreSQL for a shared office store) implements the same repositories; that
works only while no service, view or command runs SQL of its own or handles the SQLite
libraries' types.
"""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
STORE = APP / "store"

#: What SQL looks like in Python source: a statement run on a connection, a table of
#: sqlite-utils, a statement's keywords, the SQLite libraries.
SQL = re.compile(
    r"\.execute(?:many|script)?\(|\.table\(|\bSELECT\b[^\n]*\bFROM\b|\bINSERT\s+INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX)\b"
    r"|\bPRAGMA\b|^\s*(?:import|from)\s+sqlite(?:3|_utils)\b|\bsqlite(?:3|_utils)\.",
    re.MULTILINE,
)

#: Modules outside the store allowed to name the SQLite library, and why.
ALLOWED = {
    # Tells a full disk or a damaged database file from a bug, for the store's own messages
    # (``app.store.db`` raises what it finds).
    APP / "storage.py",
}


def offences(root: Path) -> list[str]:
    """``path:line: text`` of every line that looks like SQL in a module outside the store."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(STORE) or path in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        for match in SQL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(
                f"{path.relative_to(root.parent)}:{line}: {text.splitlines()[line - 1].strip()}"
            )
    return found


def test_no_sql_outside_the_store() -> None:
    assert offences(APP) == []


def test_the_check_finds_sql(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "services").mkdir(parents=True)
    (app / "services" / "bad.py").write_text(
        "import sqlite3\n"
        "rows = db.execute('SELECT id FROM requests WHERE status = ?', ['sent'])\n"
        "db.table('outbox').insert({})\n"
        "sql = 'UPDATE outbox SET state = ?'\n",
        encoding="utf-8",
    )
    (app / "services" / "good.py").write_text(
        "ids = ctx.requests.ids_with_status([Status.SENT])  # Select the ones in flight\n",
        encoding="utf-8",
    )
    assert [o.split(": ", 1)[0] for o in offences(app)] == [
        "app/services/bad.py:1",
        "app/services/bad.py:2",
        "app/services/bad.py:2",
        "app/services/bad.py:3",
        "app/services/bad.py:4",
    ]
