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
import csv
import io
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.archive.names import NAME_BYTES, portable_name
from app.archive.staging import claim_staging
from app.context import Context
from app.domain.clock import iso, now, parse_iso
from app.domain.lifecycle import Status
from app.domain.model import RecipientState, Request, RequestSpec
from app.errors import BusyError, NotFoundError, UserError
from app.faults import crash_point, reached
from app.fsutil import atomic_file, atomic_write_bytes, fsync_dir, sha256_file
from app.oslock import lock_waiting_async
from app.pdf.document import extract_text
from app.store.requests import ArchivedFile, Event

if TYPE_CHECKING:
    from app.archive.verify import SignatureCheck

log = logging.getLogger(__name__)

FORMAT = 1
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
    raise UserError(f"The archive folder {folder} belongs to another request: move it away, "
                    "then archive again.")


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


async def archive_request_async(ctx: Context, request_id: str, *,
                                wait: float = ARCHIVE_WAIT) -> Archived:
    """Download a completed request's signed PDF (and certificate) into its archive folder and
    record it; the folder already archived when there is one.

    One process at a time archives a request (it holds the request's archive lock); another
    waits up to ``wait`` seconds for it, then finds it archived (or :class:`BusyError`)."""
    request = ctx.requests.get(request_id)
    reached("archive-start")
    held = await lock_waiting_async(ctx.paths.lock("archive", request.id), wait)
    if held is None:
        raise BusyError(f"Another Sealbox is archiving {request.name!r} right now: it will be "
                        "in the archive when that is done.")
    with held:
        return await _archive_locked(ctx, request.id)


async def _archive_locked(ctx: Context, request_id: str) -> Archived:
    requests = ctx.requests
    request = requests.get(request_id)
    root = ctx.paths.archive_dir
    existing = requests.archive_dir(request.id)
    if existing and (root / existing).is_dir():
        return Archived(request.id, root / existing, requests.archived_files(request.id))
    if request.status != Status.COMPLETED:
        raise UserError(f"{request.name!r} is {request.status.value}, not completed: only a "
                        "completed request has a signed document to download.")
    provider = ctx.provider(request.provider)
    completed = request.completed_at or now()
    final = folder_for(root, request, completed)
    base = safe_name(request.name)
    if not final.is_dir():
        with claim_staging(root, request.id) as staging:
            signed = staging.path / f"{base}-signed.pdf"
            certificate = staging.path / f"{base}-certificate.pdf"
            await provider.download_signed(request, signed)
            if provider.capabilities.certificate:
                await provider.download_certificate(request, certificate)
            crash_point("during-archive")
            reached("archive-staged")
            files = {
                kind: {"name": path.name, "sha256": sha256_file(path),
                       "size": path.stat().st_size}
                for kind, path in (("signed", signed), ("certificate", certificate))
                if path.exists()
            }
            manifest = request_json(request, requests.events(request.id), files)
            atomic_write_bytes(staging.path / "request.json", manifest)
            fsync_dir(staging.path)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging.path, final)
            fsync_dir(final.parent)
        log.info("archived request %s in %s", request.id, final)
    # Extracting the text for search is CPU work: off the event loop.
    content = await asyncio.to_thread(archive_text, final, read_manifest(final))
    return _record(ctx, request.id, final, content)


def _record(ctx: Context, request_id: str, folder: Path, content: str | None = None
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
    files.append(ArchivedFile("request", f"{rel}/request.json", sha256_file(request_file),
                              request_file.stat().st_size, stamp))
    ctx.requests.record_archive(request_id, rel, files,
                                content if content is not None else archive_text(folder, manifest))
    working = ctx.paths.document(request_id)
    working.unlink(missing_ok=True)
    shutil.rmtree(ctx.paths.local_dir / request_id, ignore_errors=True)
    return Archived(request_id, folder, files)


def archive_text(folder: Path, manifest: dict[str, Any]) -> str:
    parts = []
    for entry in manifest["files"].values():
        path = folder / entry["name"]
        if path.suffix.lower() == ".pdf" and path.exists():
            with contextlib.suppress(UserError):
                parts.append(extract_text(path))
    return "\n".join(parts)


def request_json(request: Request, events: list[Event], files: dict[str, Any]) -> bytes:
    recipients = []
    for r, state in zip(request.spec.recipients, request.recipients, strict=True):
        entry = r.to_json()
        entry.update({
            "providerRecipientId": state.provider_recipient_id,
            "viewedAt": iso(state.viewed_at), "signedAt": iso(state.signed_at),
            "declinedAt": iso(state.declined_at), "declineReason": state.decline_reason,
        })
        recipients.append(entry)
    data = {
        "sealboxArchive": FORMAT,
        "archivedAt": iso(now()),
        "id": request.id,
        "name": request.name,
        "provider": request.provider,
        "providerId": request.provider_id,
        "renderId": request.render_id,
        "status": request.status.value,
        "errorMessage": request.error_message,
        "createdAt": iso(request.created_at),
        "sentAt": iso(request.sent_at),
        "completedAt": iso(request.completed_at),
        "document": {"name": request.document_name, "sha256": request.document_sha256,
                     "pages": request.page_count},
        "spec": request.spec.to_json(),
        "recipients": recipients,
        "history": [
            {"at": iso(e.at), "kind": e.kind, "status": e.status,
             "recipientIndex": e.recipient_index, "detail": e.detail, "payload": e.payload}
            for e in events
        ],
        "files": files,
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "request.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{folder} has no request.json: it is not a Sealbox archive "
                            "folder.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is damaged ({exc}): restore it from a backup.") from exc
    if not isinstance(data, dict) or "id" not in data or not isinstance(data.get("files"), dict):
        raise UserError(f"{path} is not a Sealbox request.json: restore it from a backup.")
    return data


def request_from_manifest(data: dict[str, Any]) -> tuple[Request, list[Event]]:
    spec = RequestSpec.from_json(data["spec"])
    states = [
        RecipientState(provider_recipient_id=r.get("providerRecipientId"),
                       viewed_at=parse_iso(r.get("viewedAt")),
                       signed_at=parse_iso(r.get("signedAt")),
                       declined_at=parse_iso(r.get("declinedAt")),
                       decline_reason=r.get("declineReason"))
        for r in data.get("recipients", [])
    ]
    request = Request(
        id=data["id"], provider=data.get("provider", "unknown"), spec=spec,
        status=Status(data.get("status", "completed")), provider_id=data.get("providerId"),
        created_at=parse_iso(data.get("createdAt")) or now(),
        sent_at=parse_iso(data.get("sentAt")), completed_at=parse_iso(data.get("completedAt")),
        error_message=data.get("errorMessage"),
        document_name=(data.get("document") or {}).get("name") or "document.pdf",
        document_sha256=(data.get("document") or {}).get("sha256"),
        page_count=(data.get("document") or {}).get("pages") or 0,
        render_id=data.get("renderId"), recipients=states,
    )
    events = [
        Event(at=parse_iso(e.get("at")) or now(), kind=e.get("kind", "event"),
              status=e.get("status"), recipient_index=e.get("recipientIndex"),
              detail=e.get("detail"), payload=e.get("payload"))
        for e in data.get("history", [])
    ]
    return request, events


def iter_folders(root: Path) -> Iterator[Path]:
    """Every request folder under ``root`` (``YYYY/MM/<folder>/request.json``)."""
    if not root.is_dir():
        return
    for manifest in sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/request.json")):
        yield manifest.parent


# --- verify ------------------------------------------------------------------------------------

FileState = Literal["intact", "modified", "missing"]


@dataclass(frozen=True)
class FileCheck:
    request_id: str
    request_name: str
    kind: str
    path: Path
    state: FileState
    signature: str | None
    summary: str

    @property
    def ok(self) -> bool:
        return self.state == "intact" and self.signature not in ("invalid",)

    def to_json(self) -> dict[str, Any]:
        return {"requestId": self.request_id, "name": self.request_name, "kind": self.kind,
                "path": str(self.path), "state": self.state, "signature": self.signature,
                "summary": self.summary, "ok": self.ok}


def trust_roots(ctx: Context) -> list[bytes]:
    """The roots a seal may chain to: this installation's (current and retired)."""
    from app.providers.local.pki import installation_trust_roots

    return installation_trust_roots(ctx.paths.seal_dir)


def verify(ctx: Context, ref: str | None = None) -> list[FileCheck]:
    """Re-hash every archived file and validate every PDF signature, offline."""
    root = ctx.paths.archive_dir
    roots = trust_roots(ctx)
    folders = list(iter_folders(root))
    if ref is not None:
        request_id = ctx.requests.resolve_id(ref)
        rel = ctx.requests.archive_dir(request_id)
        if not rel:
            raise UserError(f"Request {ref!r} is not archived yet: run `sealbox download "
                            f"{ref}` first.")
        folders = [root / rel]
    checks: list[FileCheck] = []
    seen: set[str] = set()
    for folder in folders:
        try:
            manifest = read_manifest(folder)
        except UserError as exc:
            checks.append(FileCheck("?", folder.name, "request", folder / "request.json",
                                    "missing" if isinstance(exc, NotFoundError) else "modified",
                                    None, exc.message))
            continue
        rid = manifest["id"]
        seen.add(rid)
        recorded = {f.kind: f for f in ctx.requests.archived_files(rid)}
        checks.extend(check for check, _ in _check_folder(folder, manifest, recorded, roots))
    if ref is None:
        # Archived requests the store knows whose folder has gone.
        for rid in ctx.requests.archived_ids():
            if rid not in seen:
                rel = ctx.requests.archive_dir(rid) or "?"
                checks.append(FileCheck(rid, rel, "folder", root / rel, "missing", None,
                                        f"the archive folder {rel} is missing"))
    return checks


def _check_folder(folder: Path, manifest: dict[str, Any], recorded: dict[str, ArchivedFile],
                  roots: Sequence[bytes]) -> list[tuple[FileCheck, list[SignatureCheck]]]:
    """Re-hash the files of one request folder against ``recorded`` (the store's rows, by kind)
    and the manifest, and validate their signatures: no store access, safe in a worker thread."""
    from app.archive.verify import pdf_signature_status, verify_pdf_signatures

    rid, name = manifest["id"], manifest.get("name", folder.name)
    out: list[tuple[FileCheck, list[SignatureCheck]]] = []
    request_json_row = recorded.get("request")
    if request_json_row is not None:
        request_file = folder / "request.json"
        actual = sha256_file(request_file)
        state: FileState = "intact" if actual == request_json_row.sha256 else "modified"
        out.append((FileCheck(rid, name, "request", request_file, state, None,
                              "request.json intact" if state == "intact" else
                              "request.json was changed after archiving"), []))
    for kind, entry in manifest["files"].items():
        path = folder / entry["name"]
        expected = entry["sha256"]
        if kind in recorded and recorded[kind].sha256 != expected:
            expected = recorded[kind].sha256
        if not path.exists():
            out.append((FileCheck(rid, name, kind, path, "missing", None,
                                  f"{path.name} is missing"), []))
            continue
        actual = sha256_file(path)
        state = "intact" if actual == expected else "modified"
        signature = summary = None
        results: list[SignatureCheck] = []
        if path.suffix.lower() == ".pdf":
            results = verify_pdf_signatures(path, roots)
            signature = pdf_signature_status(results)
            summary = "; ".join(r.summary for r in results) or "no signature"
        text = f"{path.name} intact" if state == "intact" else (
            f"{path.name} was modified: its SHA-256 no longer matches the archive record")
        out.append((FileCheck(rid, name, kind, path, state, signature,
                              f"{text}; {summary}" if summary else text), results))
    return out


# --- one request's badge -----------------------------------------------------------------------

BadgeState = Literal["valid", "untrusted", "modified", "missing"]


@dataclass(frozen=True)
class Badge:
    """The verdict on one archived request, for people: every file intact and signed by a
    trusted signer ("valid"); intact, but a signer this installation does not trust, or no
    signature at all ("untrusted", ``subject`` names the signer when there is one); a file or
    a signature that no longer matches ("modified"); a file or the folder gone ("missing")."""

    state: BadgeState
    subject: str | None
    detail: str


@dataclass(frozen=True)
class VerifyJob:
    """What checking one request needs from the store, read up front so that the file work
    (:func:`run_verify`) can run in a worker thread without touching the database."""

    request_id: str
    folder: Path
    rel: str
    recorded: tuple[ArchivedFile, ...]
    roots: tuple[bytes, ...]


def prepare_verify(ctx: Context, request_id: str,
                   roots: Sequence[bytes] | None = None) -> VerifyJob:
    """Read what :func:`run_verify` needs for ``request_id`` from the store; ``roots`` default
    to this installation's (pass them when preparing many)."""
    rid = ctx.requests.resolve_id(request_id)
    rel = ctx.requests.archive_dir(rid)
    if not rel:
        raise UserError(f"Request {request_id!r} is not archived yet: download it first "
                        f"(`sealbox download {request_id}`).")
    return VerifyJob(rid, ctx.paths.archive_dir / rel, rel,
                     tuple(ctx.requests.archived_files(rid)),
                     tuple(trust_roots(ctx) if roots is None else roots))


def run_verify(job: VerifyJob) -> Badge:
    """Re-hash and validate one request folder offline (no store access: a worker thread may
    run it)."""
    if not job.folder.is_dir():
        return Badge("missing", None, f"The archive folder {job.rel} is missing.")
    try:
        manifest = read_manifest(job.folder)
    except NotFoundError:
        return Badge("missing", None, "request.json is missing from the archive folder.")
    except UserError:
        return Badge("modified", None,
                     "request.json is damaged: it was changed after archiving.")
    recorded = {f.kind: f for f in job.recorded}
    results = _check_folder(job.folder, manifest, recorded, job.roots)
    return _badge(results)


def verify_request(ctx: Context, request_id: str) -> Badge:
    """One request's verification summary: re-hash its files and validate their signatures
    offline against this installation's roots."""
    return run_verify(prepare_verify(ctx, request_id))


def _badge(results: list[tuple[FileCheck, list[SignatureCheck]]]) -> Badge:
    changed = [c for c, _ in results if c.state == "modified"]
    if changed:
        return Badge("modified", None, f"{_names(changed)} {_was(changed)} changed after "
                     "archiving: the SHA-256 no longer matches the archive record.")
    broken = [(c, s) for c, s in results if c.signature == "invalid"]
    if broken:
        check, signatures = broken[0]
        why = next((s.summary for s in signatures
                    if not s.intact or not s.valid or s.modified_after), "invalid signature")
        return Badge("modified", None, f"The signature of {check.path.name} does not hold: "
                     f"{why}.")
    gone = [c for c, _ in results if c.state == "missing"]
    if gone:
        return Badge("missing", None,
                     f"{_names(gone)} {_was(gone, 'is', 'are')} missing from the archive folder.")
    for check, signatures in results:
        untrusted = next((s for s in signatures if not s.trusted), None)
        if untrusted is not None:
            return Badge("untrusted", untrusted.signer_subject,
                         f"The files are intact, but the signer of {check.path.name} is not "
                         f"trusted by this installation ({untrusted.signer_subject}).")
    signed = [(c, s) for c, s in results if c.kind == "signed"]
    if signed and not signed[0][1]:
        return Badge("untrusted", None, f"The files are intact, but {signed[0][0].path.name} "
                     "carries no digital signature to check.")
    signers = sorted({s.signer_subject for _, sigs in signed for s in sigs})
    by = f" (signed by {', '.join(signers)})" if signers else ""
    return Badge("valid", None, f"Every file is intact and every signature is valid{by}.")


def _names(checks: list[FileCheck]) -> str:
    names = [c.path.name for c in checks]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _was(checks: list[FileCheck], one: str = "was", many: str = "were") -> str:
    return one if len(checks) == 1 else many


# --- reindex, search, export -------------------------------------------------------------------


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
        out.append(_record(ctx, request.id, folder))
    requests.forget_archives(keep=found)
    return out


def search(ctx: Context, text: str, limit: int | None = None) -> list[str]:
    """Archived request ids whose name, recipients, emails or document text match ``text``."""
    return ctx.requests.search_ids(text, limit, archived_only=True)


def export(ctx: Context, dest: Path, ids: list[str] | None = None) -> Path:
    """Copy archived requests (all, or ``ids``) to a folder or a ``.zip``, with ``index.csv``."""
    root = ctx.paths.archive_dir
    chosen = ids if ids is not None else ctx.requests.archived_ids()
    folders = []
    for rid in chosen:
        rel = ctx.requests.archive_dir(ctx.requests.resolve_id(rid))
        if rel and (root / rel).is_dir():
            folders.append((rel, read_manifest(root / rel)))
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["id", "name", "provider", "status", "created", "completed", "recipients",
                     "folder", "signed_sha256", "certificate_sha256"])
    for rel, m in folders:
        files = m["files"]
        writer.writerow([
            m["id"], m.get("name"), m.get("provider"), m.get("status"), m.get("createdAt"),
            m.get("completedAt"),
            "; ".join(f"{r.get('firstName', '')} {r.get('lastName', '')} <{r.get('email')}>"
                      .replace("  ", " ") for r in m.get("recipients", [])),
            rel, files.get("signed", {}).get("sha256"), files.get("certificate", {}).get("sha256"),
        ])
    if dest.suffix.lower() == ".zip":
        if dest.exists():
            raise UserError(f"{dest} already exists: choose a new file name for the export.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for rel, _ in folders:
                for path in sorted((root / rel).iterdir()):
                    zf.write(path, f"{rel}/{path.name}")
            zf.writestr("index.csv", index.getvalue())
        os.replace(tmp, dest)
        return dest
    if dest.exists() and any(dest.iterdir()):
        raise UserError(f"{dest} is not empty: export into a new or empty folder.")
    for rel, _ in folders:
        shutil.copytree(root / rel, dest / rel)
    atomic_write_bytes(dest / "index.csv", index.getvalue().encode("utf-8"))
    return dest


INDEX_COLUMNS = ("id", "name", "provider", "status", "completed", "folder", "signed_file",
                 "signed_sha256", "certificate_file", "certificate_sha256")


def export_selection(ctx: Context, ids: Sequence[str], dest_zip: Path) -> Path:
    """Write the archived requests ``ids`` to the zip ``dest_zip``: each request's folder (as
    ``YYYY/MM/<folder>/``) and an ``index.csv`` (:data:`INDEX_COLUMNS`; file columns are paths
    inside the zip, hashes the SHA-256 recorded at archive time).

    The zip appears whole or not at all: it is written to a temporary file beside
    ``dest_zip``, fsynced and renamed over it (an existing file is replaced, as a save dialog
    has asked). The destination folder must exist and be writable.
    """
    if not ids:
        raise UserError("Nothing to export: select one or more archived requests first.")
    dest_zip = Path(dest_zip)
    parent = dest_zip.parent
    if not parent.is_dir():
        raise UserError(f"Cannot export to {dest_zip}: the folder {parent} does not exist. "
                        "Choose an existing folder.")
    if dest_zip.is_dir():
        raise UserError(f"Cannot export to {dest_zip}: it is a folder. Choose a file name "
                        "ending in .zip.")
    root = ctx.paths.archive_dir
    chosen: list[tuple[str, Path, dict[str, Any]]] = []
    for ref in dict.fromkeys(ids):
        rid = ctx.requests.resolve_id(ref)
        rel = ctx.requests.archive_dir(rid)
        if not rel:
            raise UserError(f"Request {ref!r} is not archived yet: only archived requests can "
                            "be exported.")
        folder = root / rel
        if not folder.is_dir():
            raise NotFoundError(f"The archive folder {rel} is missing: restore it from a backup "
                                "or run Reindex from folder, then export again.")
        chosen.append((rel, folder, read_manifest(folder)))
    index = io.StringIO()
    writer = csv.writer(index, lineterminator="\n")
    writer.writerow(INDEX_COLUMNS)
    for rel, folder, manifest in chosen:
        files = manifest["files"]
        row: list[Any] = [manifest["id"], manifest.get("name"), manifest.get("provider"),
                          manifest.get("status"), manifest.get("completedAt"), rel]
        for kind in ("signed", "certificate"):
            entry = files.get(kind) or {}
            present = bool(entry) and (folder / entry["name"]).is_file()
            row += [f"{rel}/{entry['name']}" if present else "", entry.get("sha256") or ""]
        writer.writerow(row)
    try:
        with atomic_file(dest_zip) as (_, handle), \
                zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
            for rel, folder, _ in chosen:
                for path in sorted(folder.iterdir()):
                    if path.is_file():
                        zf.write(path, f"{rel}/{path.name}")
            zf.writestr("index.csv", index.getvalue())
    except PermissionError as exc:
        raise UserError(f"Cannot write {dest_zip}: permission denied. Choose a folder you can "
                        "write to.") from exc
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise UserError(f"Could not export to {dest_zip}: {exc.strerror or exc}{where}. "
                        "Nothing was written; free some space or choose another folder, and "
                        "export again.") from exc
    log.info("exported %d archived request(s) to %s", len(chosen), dest_zip)
    return dest_zip
