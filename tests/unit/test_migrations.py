"""Every migration step, from an empty file and from each older version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.store.db import MIGRATIONS, SCHEMA_VERSION, Database


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    import sqlite_utils

    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("INSERT INTO events (request_id, at, kind) VALUES ('r', 't', 'k')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    db = Database(path)
    assert db.user_version == SCHEMA_VERSION
    assert db.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert db.conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0] == 0
