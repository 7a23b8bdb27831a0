"""Rebuilding the store's archive index from the archive folder alone, and searching it."""

from __future__ import annotations

from app.archive.folder import Archived, record_archive
from app.archive.manifest import iter_folders, read_manifest, request_from_manifest
from app.context import Context
from app.errors import UserError


def reindex(ctx: Context) -> list[Archived]:
    """Rebuild the store's archive rows (and any lost request rows) from the folder alone."""
    root = ctx.paths.archive_dir
    requests = ctx.requests
    out = []
    found: set[str] = set()
    for folder in iter_folders(root):
        try:
            manifest = read_manifest(folder)
        except UserError:
            continue
        request, events = request_from_manifest(manifest)
        if not requests.exists(request.id):
            requests.restore(request, events)
        found.add(request.id)
        out.append(record_archive(ctx, request.id, folder))
    ctx.store.archive.forget_missing(keep=found)
    return out


def search(ctx: Context, text: str, limit: int | None = None) -> list[str]:
    """Archived request ids whose name, recipients, emails or document text match ``text``."""
    return ctx.store.search.matches(text, limit, archived_only=True)
