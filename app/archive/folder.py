"""The archive folder: readable by a person, and by Sealbox with no database and no network.

Layout (DESIGN.md): ``archive/YYYY/MM/YYYY-MM-DD <request name> <first 8 of id>/`` holding
``<name>-signed.pdf``, ``<name>-certificate.pdf`` (when the provider gives one) and
``request.json``: the spec, the provider and its ids, recipients with their times, the status
history and the SHA-256 of every file, recorded as the file was written.

A request is archived in a staging folder (``archive/.staging/``) and renamed into place once
every file is written and synced, so a request folder appears whole or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.archive.audit import trust_roots
from app.archive.checks import check_download
from app.archive.manifest import read_manifest, request_json
from app.archive.names import NAME_BYTES, portable_name
from app.archive.staging import REPLACED_PREFIX, claim_staging, swap_into_place
from app.context import Context
from app.domain.clock import now, parse_iso
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.errors import BusyError, UserError
from app.faults import crash_point, reached
from app.fsutil import atomic_write_bytes, fsync_dir, sha256_file
from app.oslock import lock_waiting_async
from app.pdf.document import extract_text
from app.providers import registry
from app.providers.errors import DownloadRejectedError
from app.store.records import ArchivedFile

if TYPE_CHECKING:
    from app.providers.base import Provider

log = logging.getLogger(__name__)

#: How long archiving waits for another process archiving the same request.
ARCHIVE_WAIT = 600.0


def safe_name(name: str) -> str:
    """``name`` made into the start of an archive name (:func:`portable_name`)."""
    return portable_name(name, NAME_BYTES)


def folder_for(root: Path, request: Request, completed: datetime) -> Path:
    """Where ``request`` is archived: ``YYYY/MM/YYYY-MM-DD <name> <first 8 of id>``, or with
    the whole id if another request's folder already has that name."""
    local = completed.astimezone()
    parent = root / f"{local:%Y}" / f"{local:%m}"
    for tag in (request.id[:8], request.id):
        folder = parent / f"{local:%Y-%m-%d} {safe_name(request.name)} {tag}"
        if not folder.exists() or _manifest_id(folder) in (request.id, None):
            return folder
    raise UserError(
        f"The archive folder {folder} belongs to another request: move it away, then archive again."
    )


def _manifest_id(folder: Path) -> str | None:
    """The request id in ``folder``'s request.json, or None when it has none to read."""
    try:
        return str(read_manifest(folder)["id"])
    except UserError:
        return None


@dataclass(frozen=True)
class Archived:
    request_id: str
    directory: Path
    files: list[ArchivedFile]


async def archive_request_async(
    ctx: Context, request_id: str, *, wait: float = ARCHIVE_WAIT, again: bool = False
) -> Archived:
    """Download a completed request's signed PDF (and certificate) into its archive folder and
    record it; the folder already archived when there is one, unless ``again``: then the files
    are downloaded afresh and replace the archived ones, which are kept aside in the folder's
    ``.replaced-<time>/``. Every download is checked before it is archived
    (:func:`app.archive.checks.check_download`); one that fails is not archived, and the reason
    is kept on the request.

    One process at a time archives a request (it holds the request's archive lock); another
    waits up to ``wait`` seconds for it, then finds it archived (or :class:`BusyError`)."""
    request = ctx.requests.get(request_id)
    reached("archive-start")
    held = await lock_waiting_async(ctx.paths.lock("archive", request.id), wait)
    if held is None:
        raise BusyError(
            f"Another Sealbox is archiving {request.name!r} right now: it will be "
            "in the archive when that is done."
        )
    with held:
        try:
            return await _archive_locked(ctx, request.id, again)
        except DownloadRejectedError as exc:
            ctx.store.archive.set_error(request.id, exc.message, kind="download-rejected")
            raise


async def _archive_locked(ctx: Context, request_id: str, again: bool) -> Archived:
    requests, index = ctx.requests, ctx.store.archive
    request = requests.get(request_id)
    root = ctx.paths.archive_dir
    existing = index.folder(request.id)
    replacing = None
    if existing and (root / existing).is_dir():
        if not again:
            return Archived(request.id, root / existing, index.files(request.id))
        replacing = root / existing
    if request.status != Status.COMPLETED:
        raise UserError(
            f"{request.name!r} is {request.status.value}, not completed: only a "
            "completed request has a signed document to download."
        )
    provider = ctx.provider(request.provider)
    completed = request.completed_at or now()
    final = replacing or folder_for(root, request, completed)
    if replacing is not None or not final.is_dir():
        await _stage_and_place(ctx, request, provider, final, replacing)
        log.info(
            "archived request %s in %s%s",
            request.id,
            final,
            " (downloaded again)" if replacing is not None else "",
        )
    return await _record_with_text(ctx, request, final)


async def _stage_and_place(
    ctx: Context, request: Request, provider: Provider, final: Path, replacing: Path | None
) -> None:
    """Download the request's files into a staging folder, check them, write its request.json,
    and put the folder in place as ``final`` (or swap it for ``replacing``, kept aside)."""
    requests, root = ctx.requests, ctx.paths.archive_dir
    base = safe_name(request.name)
    with claim_staging(root, request.id) as staging:
        signed = staging.path / f"{base}-signed.pdf"
        certificate = staging.path / f"{base}-certificate.pdf"
        await _download_checked(ctx, request, provider, signed, certificate)
        crash_point("during-archive")
        reached("archive-staged")
        files = {
            kind: {"name": path.name, "sha256": sha256_file(path), "size": path.stat().st_size}
            for kind, path in (("signed", signed), ("certificate", certificate))
            if path.exists()
        }
        stamp = f"{now():%Y%m%dT%H%M%SZ}"
        if replacing is not None:
            requests.add_event(
                request.id,
                "downloaded again",
                f"the earlier archived copy is kept in {REPLACED_PREFIX}{stamp}",
            )
        manifest = request_json(request, requests.events(request.id), files)
        atomic_write_bytes(staging.path / "request.json", manifest)
        fsync_dir(staging.path)
        final.parent.mkdir(parents=True, exist_ok=True)
        if replacing is None:
            os.replace(staging.path, final)
        else:
            swap_into_place(staging.path, final, root, stamp)
        fsync_dir(final.parent)


async def _download_checked(
    ctx: Context, request: Request, provider: Provider, signed: Path, certificate: Path
) -> None:
    """Download the signed PDF (and the certificate, when the provider gives one) and check
    each (:func:`app.archive.checks.check_download`)."""
    await provider.download_signed(request, signed)
    if provider.capabilities.certificate:
        await provider.download_certificate(request, certificate)
    name = provider.capabilities.name
    roots = trust_roots(ctx)
    for what, path in (("signed PDF", signed), ("certificate", certificate)):
        if path.exists():
            await asyncio.to_thread(check_download, path, what, name, roots)


async def _record_with_text(ctx: Context, request: Request, final: Path) -> Archived:
    """Enter the archived folder in the store, with its documents' text for search."""
    # Extracting the text for search is CPU work: off the event loop. The built-in provider
    # wrote the signed PDF's text when it sealed it (reading a long PDF again takes seconds).
    recorded = read_manifest(final)
    known: dict[str, str] = {}
    signed_entry = recorded["files"].get("signed")
    if registry.in_person(request.provider) and signed_entry:
        from app.providers.local.provider import LocalProvider

        text = LocalProvider(ctx.paths).search_text(request.id, signed_entry["sha256"])
        if text is not None:
            known["signed"] = text
    content = await asyncio.to_thread(archive_text, final, recorded, known)
    return record_archive(ctx, request.id, final, content)


def record_folder(ctx: Context, folder: Path) -> Archived:
    """Enter an archive folder in the store again, as its ``request.json`` has it (after a
    replacement cut off and finished by the clean-up)."""
    return record_archive(ctx, str(read_manifest(folder)["id"]), folder)


def record_archive(
    ctx: Context, request_id: str, folder: Path, content: str | None = None
) -> Archived:
    """Enter an archived folder in the store (hashes as ``request.json`` recorded them)."""
    root = ctx.paths.archive_dir
    manifest = read_manifest(folder)
    stamp = parse_iso(manifest.get("archivedAt")) or now()
    rel = folder.relative_to(root).as_posix()
    files = [
        ArchivedFile(kind, f"{rel}/{entry['name']}", entry["sha256"], entry["size"], stamp)
        for kind, entry in manifest["files"].items()
    ]
    request_file = folder / "request.json"
    files.append(
        ArchivedFile(
            "request",
            f"{rel}/request.json",
            sha256_file(request_file),
            request_file.stat().st_size,
            stamp,
        )
    )
    ctx.store.archive.record(
        request_id, rel, files, content if content is not None else archive_text(folder, manifest)
    )
    working = ctx.paths.document(request_id)
    working.unlink(missing_ok=True)
    shutil.rmtree(ctx.paths.local_dir / request_id, ignore_errors=True)
    return Archived(request_id, folder, files)


def archive_text(
    folder: Path, manifest: dict[str, Any], known: Mapping[str, str] | None = None
) -> str:
    """The words of an archived request's PDFs for search; ``known`` gives the text of some
    of them (by kind) so they are not read again."""
    parts = []
    for kind, entry in manifest["files"].items():
        if known and kind in known:
            parts.append(known[kind])
            continue
        path = folder / entry["name"]
        if path.suffix.lower() == ".pdf" and path.exists():
            with contextlib.suppress(UserError):
                parts.append(extract_text(path))
    return "\n".join(parts)
