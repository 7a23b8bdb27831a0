"""The archive index: which requests are archived, in which folder, with which files and hashes.

The archive folder is the truth (it can be read with no database); this index is what the app and
``sealbox`` look things up in, and it can be rebuilt from the folder (``sealbox archive
reindex``). Recording an archive also makes the words of its documents searchable.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from app.domain.clock import iso, now, parse_iso
from app.store.connection import StoreDatabase
from app.store.history import record_event
from app.store.records import ArchivedFile
from app.store.search import set_content


class ArchiveIndex:
    """The ``archive_files`` rows and each request's archive folder and archive error."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    def record(
        self, request_id: str, directory: str, files: Sequence[ArchivedFile], content: str | None
    ) -> None:
        """``request_id`` is archived in ``directory`` (relative to the archive folder) with
        ``files``; ``content`` (the words of its documents) is made searchable. Clears the
        request's archive error and adds an event to its history."""
        with self.database.write() as db:
            db.execute("DELETE FROM archive_files WHERE request_id = ?", [request_id])
            db.table("archive_files").insert_all(
                {
                    "request_id": request_id,
                    "kind": f.kind,
                    "path": f.path,
                    "sha256": f.sha256,
                    "size": f.size,
                    "archived_at": iso(f.archived_at),
                }
                for f in files
            )
            if db.execute("SELECT 1 FROM requests WHERE id = ?", [request_id]).fetchone():
                db.execute(
                    "UPDATE requests SET archive_dir = ?, archive_error = NULL WHERE id = ?",
                    [directory, request_id],
                )
                record_event(db, request_id, "archived", detail=directory)
            if content is not None:
                set_content(db, request_id, content)

    def set_error(self, request_id: str, error: str, *, kind: str = "archive-error") -> None:
        """Record why the request's signed files could not be archived (kept until an archive
        succeeds), with an event in its history."""
        with self.database.write() as db:
            db.execute("UPDATE requests SET archive_error = ? WHERE id = ?", [error, request_id])
            record_event(db, request_id, kind, detail=error)

    def files(self, request_id: str) -> list[ArchivedFile]:
        """The archived files of ``request_id`` (none when it is not archived)."""
        return [
            ArchivedFile(
                r["kind"], r["path"], r["sha256"], r["size"], parse_iso(r["archived_at"]) or now()
            )
            for r in self.db.query(
                "SELECT * FROM archive_files WHERE request_id = ? ORDER BY kind", [request_id]
            )
        ]

    def folder(self, request_id: str) -> str | None:
        """The request's archive folder, relative to the archive (None: not archived)."""
        row = self.db.execute(
            "SELECT archive_dir FROM requests WHERE id = ?", [request_id]
        ).fetchone()
        return row[0] if row else None

    def archived_ids(self) -> list[str]:
        """Every archived request, the most recently archived first."""
        rows = self.db.execute(
            "SELECT request_id FROM archive_files GROUP BY request_id "
            "ORDER BY max(archived_at) DESC, request_id"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def completed_unarchived(self) -> list[str]:
        """Completed requests whose signed files are not archived yet, oldest first."""
        rows = self.db.execute(
            "SELECT id FROM requests WHERE status = 'completed' AND archive_dir IS NULL "
            "ORDER BY completed_at"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def any_archived_from(self, providers: Collection[str]) -> bool:
        """Whether any request sent through one of ``providers`` is archived."""
        if not providers:
            return False
        marks = ", ".join("?" * len(providers))
        return (
            self.db.execute(
                f"SELECT 1 FROM requests WHERE provider IN ({marks}) "
                "AND archive_dir IS NOT NULL LIMIT 1",
                list(providers),
            ).fetchone()
            is not None
        )

    def forget_missing(self, keep: set[str]) -> None:
        """Drop the archive rows of requests not in ``keep`` (their folder is gone: after a
        reindex)."""
        with self.database.write() as db:
            for rid in self.archived_ids():
                if rid not in keep:
                    db.execute("DELETE FROM archive_files WHERE request_id = ?", [rid])
                    db.execute("UPDATE requests SET archive_dir = NULL WHERE id = ?", [rid])
