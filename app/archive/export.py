"""Exporting archived requests: to a folder or a ``.zip``, with an index of what is in it.

Only the files Sealbox archived are exported (anything added to a folder later is left out), whole
or not at all. A folder renamed or moved is found by the request id in its ``request.json``.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.archive.integrity import archived_names, folders_by_id
from app.archive.manifest import read_manifest
from app.context import Context
from app.csvsafe import csv_text
from app.errors import NotFoundError, UserError
from app.fsutil import atomic_copy, atomic_file, atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportFolder:
    """One archived request as an export takes it: its folder where it is now (``rel`` from
    the archive root), its manifest, and whether it was found elsewhere than the store has it."""

    rel: str
    folder: Path
    manifest: dict[str, Any]
    moved: bool

    def files(self) -> list[Path]:
        """The files Sealbox archived there (anything added later is left out)."""
        names = archived_names(self.manifest)
        return [p for p in sorted(self.folder.iterdir()) if p.is_file() and p.name in names]


@dataclass(frozen=True)
class Exported:
    dest: Path
    folders: list[ExportFolder]

    @property
    def moved(self) -> list[ExportFolder]:
        return [f for f in self.folders if f.moved]


def locate_for_export(ctx: Context, ids: Sequence[str] | None) -> list[ExportFolder]:
    """The folders of the archived requests ``ids`` (all archived ones when None). A folder
    renamed or moved is found by the id in its ``request.json``; a request not archived, or
    whose folder cannot be found, refuses the export (nothing is left out silently)."""
    root = ctx.paths.archive_dir
    requests, index = ctx.requests, ctx.store.archive
    chosen = (
        list(dict.fromkeys(requests.resolve_id(r) for r in ids))
        if ids is not None
        else index.archived_ids()
    )
    by_id: dict[str, list[Path]] | None = None
    out: list[ExportFolder] = []
    lost: list[str] = []
    for rid in chosen:
        rel = index.folder(rid)
        if not rel:
            name = requests.get(rid).name
            raise UserError(
                f"{name!r} ({rid[:8]}) is not archived yet: only archived requests "
                "can be exported (`sealbox download` archives a completed one)."
            )
        folder = root / rel
        moved = False
        if not folder.is_dir():
            by_id = folders_by_id(root) if by_id is None else by_id
            found = by_id.get(rid, [])
            if not found:
                lost.append(f"{rid[:8]} ({rel})")
                continue
            folder, moved = found[0], True
        out.append(
            ExportFolder(folder.relative_to(root).as_posix(), folder, read_manifest(folder), moved)
        )
    if lost:
        raise NotFoundError(
            f"The archive folder of {len(lost)} request(s) is missing: "
            f"{', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}. Restore it "
            "from a backup (or export the others with --id); nothing was "
            "exported."
        )
    return out


def export(ctx: Context, dest: Path, ids: list[str] | None = None) -> Exported:
    """Copy archived requests (all, or ``ids``) to a folder or a ``.zip``, with ``index.csv``:
    only the files Sealbox archived, whole or not at all."""
    folders = locate_for_export(ctx, ids)
    index = _index_csv(folders)
    if dest.suffix.lower() == ".zip":
        if dest.exists():
            raise UserError(f"{dest} already exists: choose a new file name for the export.")
        _write_zip(dest, folders, index)
        return Exported(dest, folders)
    if dest.exists() and any(dest.iterdir()):
        raise UserError(f"{dest} is not empty: export into a new or empty folder.")
    for f in folders:
        for path in f.files():
            atomic_copy(path, dest / f.rel / path.name)
    atomic_write_bytes(dest / "index.csv", index.encode("utf-8"))
    return Exported(dest, folders)


def _index_csv(folders: list[ExportFolder]) -> str:
    """``index.csv`` of an export: one row a request folder."""
    rows = []
    for f in folders:
        m = f.manifest
        files = m["files"]
        rows.append(
            [
                m["id"],
                m.get("name"),
                m.get("provider"),
                m.get("status"),
                m.get("createdAt"),
                m.get("completedAt"),
                "; ".join(
                    f"{r.get('firstName', '')} {r.get('lastName', '')} <{r.get('email')}>".replace(
                        "  ", " "
                    )
                    for r in m.get("recipients", [])
                ),
                f.rel,
                files.get("signed", {}).get("sha256"),
                files.get("certificate", {}).get("sha256"),
                files.get("timestamped", {}).get("sha256"),
            ]
        )
    return csv_text(
        [
            "id",
            "name",
            "provider",
            "status",
            "created",
            "completed",
            "recipients",
            "folder",
            "signed_sha256",
            "certificate_sha256",
            "timestamped_sha256",
        ],
        rows,
    )


INDEX_COLUMNS = (
    "id",
    "name",
    "provider",
    "status",
    "completed",
    "folder",
    "signed_file",
    "signed_sha256",
    "certificate_file",
    "certificate_sha256",
)


def export_selection(ctx: Context, ids: Sequence[str], dest_zip: Path) -> Path:
    """Write the archived requests ``ids`` to the zip ``dest_zip``: each request's folder (as
    ``YYYY/MM/<folder>/``, only the files Sealbox archived) and an ``index.csv``
    (:data:`INDEX_COLUMNS`; file columns are paths inside the zip, hashes the SHA-256 recorded
    at archive time; cells that a spreadsheet would run as formulas are quoted).

    The zip appears whole or not at all: it is written to a temporary file beside
    ``dest_zip``, fsynced and renamed over it (an existing file is replaced, as a save dialog
    has asked). The destination folder must exist and be writable. A folder renamed or moved
    is found by its request id.
    """
    if not ids:
        raise UserError("Nothing to export: select one or more archived requests first.")
    dest_zip = Path(dest_zip)
    parent = dest_zip.parent
    if not parent.is_dir():
        raise UserError(
            f"Cannot export to {dest_zip}: the folder {parent} does not exist. "
            "Choose an existing folder."
        )
    if dest_zip.is_dir():
        raise UserError(
            f"Cannot export to {dest_zip}: it is a folder. Choose a file name ending in .zip."
        )
    chosen = locate_for_export(ctx, ids)
    index = _selection_index_csv(chosen)
    try:
        _write_zip(dest_zip, chosen, index)
    except PermissionError as exc:
        raise UserError(
            f"Cannot write {dest_zip}: permission denied. Choose a folder you can write to."
        ) from exc
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise UserError(
            f"Could not export to {dest_zip}: {exc.strerror or exc}{where}. "
            "Nothing was written; free some space or choose another folder, and "
            "export again."
        ) from exc
    log.info("exported %d archived request(s) to %s", len(chosen), dest_zip)
    return dest_zip


def _selection_index_csv(folders: list[ExportFolder]) -> str:
    """``index.csv`` of an export from the archive view (:data:`INDEX_COLUMNS`)."""
    rows = []
    for f in folders:
        manifest = f.manifest
        files = manifest["files"]
        row: list[Any] = [
            manifest["id"],
            manifest.get("name"),
            manifest.get("provider"),
            manifest.get("status"),
            manifest.get("completedAt"),
            f.rel,
        ]
        for kind in ("signed", "certificate"):
            entry = files.get(kind) or {}
            present = bool(entry) and (f.folder / entry["name"]).is_file()
            row += [f"{f.rel}/{entry['name']}" if present else "", entry.get("sha256") or ""]
        rows.append(row)
    return csv_text(INDEX_COLUMNS, rows, lineterminator="\n")


def _write_zip(dest: Path, folders: list[ExportFolder], index: str) -> None:
    """The zip ``dest``, whole or not at all: every folder's archived files under its place in
    the archive, and ``index``."""
    with (
        atomic_file(dest) as (_, handle),
        zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf,
    ):
        for f in folders:
            for path in f.files():
                zf.write(path, f"{f.rel}/{path.name}")
        zf.writestr("index.csv", index)
