"""Drafts: a request being prepared that has not been sent, kept so that no work is lost.

A draft holds everything the editor needs to carry on where the user left off: a copy of the PDF
(``DATA/drafts/<id>/<file name>``, so the draft survives the original being moved or changed),
the request as it is so far (name, message, expiry, recipients, fields, anchors: the request
spec, which may still be incomplete), the chosen provider and Craftkit's render id.

A draft is ``editing`` while a window has it open (``owner_pid`` is that process), and ``saved``
once the user has closed it with "Save Draft". An ``editing`` draft whose process is gone was cut
off by a crash or a kill: the next start offers to restore it (:meth:`Drafts.orphaned`).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from app.domain.clock import iso, now, parse_iso
from app.domain.model import RequestSpec
from app.errors import NotFoundError
from app.fsutil import atomic_copy
from app.store.connection import StoreDatabase

DraftState = Literal["editing", "saved"]


@dataclass(frozen=True)
class Draft:
    id: str
    name: str
    document_name: str
    source_path: str | None
    document_sha256: str
    page_count: int
    provider: str
    render_id: str | None
    spec: RequestSpec
    state: DraftState
    owner_pid: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def title(self) -> str:
        """How the draft is named in lists: its request name, else the document's name."""
        return self.name.strip() or self.document_name


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Drafts:
    """The repository of drafts; ``folder`` holds their PDF copies."""

    def __init__(
        self, database: StoreDatabase, folder: Path, alive: Callable[[int], bool] = _alive
    ) -> None:
        self.database = database
        self.db = database.reader
        self.folder = folder
        self._alive = alive

    # --- files ----------------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def pdf_path(self, draft_id: str, document_name: str) -> Path:
        return self.folder / draft_id / document_name

    def copy_document(self, draft_id: str, source: Path) -> str:
        """Copy the PDF into the draft's folder (whole or not at all); returns its SHA-256.
        Blocking: the editor runs it off the UI thread."""
        dest = self.pdf_path(draft_id, source.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return atomic_copy(source, dest, mode=0o600)

    # --- rows -----------------------------------------------------------------------------------

    def add(
        self,
        draft_id: str,
        *,
        source: Path,
        sha256: str,
        page_count: int,
        provider: str,
        render_id: str | None,
        spec: RequestSpec,
        pid: int | None = None,
    ) -> Draft:
        """Record a draft whose PDF was copied with :meth:`copy_document`."""
        stamp = iso(now())
        with self.database.write() as db:
            db.table("drafts").insert(
                {
                    "id": draft_id,
                    "name": spec.name,
                    "document_name": source.name,
                    "source_path": str(source),
                    "document_sha256": sha256,
                    "page_count": page_count,
                    "provider": provider,
                    "render_id": render_id,
                    "spec_json": _spec_json(spec),
                    "state": "editing",
                    "owner_pid": os.getpid() if pid is None else pid,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "touched": _next_touch(db),
                }
            )
        return self.get(draft_id)

    def save(
        self, draft_id: str, *, provider: str, render_id: str | None, spec: RequestSpec
    ) -> None:
        """Keep the request as it is now (one small UPDATE: cheap enough for the UI thread)."""
        with self.database.write() as db:
            db.execute(
                "UPDATE drafts SET name = ?, provider = ?, render_id = ?, spec_json = ?, "
                "updated_at = ?, touched = ? WHERE id = ?",
                [
                    spec.name,
                    provider,
                    render_id,
                    _spec_json(spec),
                    iso(now()),
                    _next_touch(db),
                    draft_id,
                ],
            )

    def set_state(self, draft_id: str, state: DraftState, pid: int | None = None) -> None:
        """``editing`` by process ``pid`` (default: this one), or ``saved`` (nobody's)."""
        owner = (os.getpid() if pid is None else pid) if state == "editing" else None
        with self.database.write() as db:
            db.execute(
                "UPDATE drafts SET state = ?, owner_pid = ? WHERE id = ?", [state, owner, draft_id]
            )

    def get(self, draft_id: str) -> Draft:
        rows = list(self.db.query("SELECT * FROM drafts WHERE id = ?", [draft_id]))
        if not rows:
            raise NotFoundError(f"There is no draft {draft_id}: it was sent or deleted.")
        return self._load(rows[0])

    def exists(self, draft_id: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM drafts WHERE id = ?", [draft_id]).fetchone() is not None
        )

    def all(self) -> list[Draft]:
        """Every draft, the most recently changed first."""
        rows = self.db.query("SELECT * FROM drafts ORDER BY touched DESC")
        return [self._load(row) for row in rows]

    def orphaned(self) -> list[Draft]:
        """Drafts that were open in a window whose process is gone (a crash, a kill), most
        recent first: the work there was never closed by its user."""
        return [
            d
            for d in self.all()
            if d.state == "editing" and (d.owner_pid is None or not self._alive(d.owner_pid))
        ]

    def delete(self, draft_id: str) -> None:
        """Forget the draft and its PDF copy (sent, or discarded by the user)."""
        with self.database.write() as db:
            db.execute("DELETE FROM drafts WHERE id = ?", [draft_id])
        shutil.rmtree(self.folder / draft_id, ignore_errors=True)

    @staticmethod
    def _load(data: dict[str, Any]) -> Draft:
        spec = RequestSpec.from_stored(json.loads(data["spec_json"]))
        return Draft(
            id=data["id"],
            name=data["name"],
            document_name=data["document_name"],
            source_path=data["source_path"],
            document_sha256=data["document_sha256"],
            page_count=int(data["page_count"]),
            provider=data["provider"],
            render_id=data["render_id"],
            spec=spec,
            state=data["state"],
            owner_pid=data["owner_pid"],
            created_at=parse_iso(data["created_at"]) or now(),
            updated_at=parse_iso(data["updated_at"]) or now(),
        )


def _next_touch(db: Any) -> int:
    """A number larger than any draft's: the order of changes, finer than the clock."""
    return int(db.execute("SELECT COALESCE(MAX(touched), 0) + 1 FROM drafts").fetchone()[0])


def _spec_json(spec: RequestSpec) -> str:
    """The spec as JSON, with every coordinate exact: a draft gives back the very rectangles
    the user left (the spec's own JSON rounds them to 4 decimals)."""
    data = spec.to_json()
    for out, f in zip(data["fields"], spec.fields, strict=True):
        out.update(x=f.x, y=f.y, width=f.width, height=f.height)
    for out, a in zip(data["anchorTags"], spec.anchor_tags, strict=True):
        if a.width is not None:
            out["width"] = a.width
        if a.height is not None:
            out["height"] = a.height
    return json.dumps(data, ensure_ascii=False)
