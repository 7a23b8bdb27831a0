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
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.archive.checks import check_download
from app.archive.integrity import (
    archived_names,
    certificate_facts,
    certificate_problems,
    extra_entries,
    folders_by_id,
    trust_root_problem,
)
from app.archive.names import NAME_BYTES, portable_name
from app.archive.staging import REPLACED_PREFIX, claim_staging, swap_into_place
from app.context import Context
from app.csvsafe import csv_text
from app.domain.clock import iso, now, parse_iso
from app.domain.lifecycle import Status
from app.domain.model import RecipientState, Request, RequestSpec
from app.errors import BusyError, NotFoundError, UserError
from app.faults import crash_point, reached
from app.fsutil import atomic_copy, atomic_file, atomic_write_bytes, fsync_dir, sha256_file
from app.oslock import lock_waiting_async
from app.pdf.document import extract_text
from app.providers import registry
from app.providers.errors import DownloadRejectedError
from app.store.requests import ArchivedFile, Event
from app.wording import Alt, Text

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
                                wait: float = ARCHIVE_WAIT, again: bool = False) -> Archived:
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
        raise BusyError(f"Another Sealbox is archiving {request.name!r} right now: it will be "
                        "in the archive when that is done.")
    with held:
        try:
            return await _archive_locked(ctx, request.id, again)
        except DownloadRejectedError as exc:
            ctx.requests.set_archive_error(request.id, exc.message, kind="download-rejected")
            raise


async def _archive_locked(ctx: Context, request_id: str, again: bool) -> Archived:
    requests = ctx.requests
    request = requests.get(request_id)
    root = ctx.paths.archive_dir
    existing = requests.archive_dir(request.id)
    replacing = None
    if existing and (root / existing).is_dir():
        if not again:
            return Archived(request.id, root / existing, requests.archived_files(request.id))
        replacing = root / existing
    if request.status != Status.COMPLETED:
        raise UserError(f"{request.name!r} is {request.status.value}, not completed: only a "
                        "completed request has a signed document to download.")
    provider = ctx.provider(request.provider)
    completed = request.completed_at or now()
    final = replacing or folder_for(root, request, completed)
    base = safe_name(request.name)
    if replacing is not None or not final.is_dir():
        with claim_staging(root, request.id) as staging:
            signed = staging.path / f"{base}-signed.pdf"
            certificate = staging.path / f"{base}-certificate.pdf"
            await provider.download_signed(request, signed)
            if provider.capabilities.certificate:
                await provider.download_certificate(request, certificate)
            name = provider.capabilities.name
            roots = trust_roots(ctx)
            for what, path in (("signed PDF", signed), ("certificate", certificate)):
                if path.exists():
                    await asyncio.to_thread(check_download, path, what, name, roots)
            crash_point("during-archive")
            reached("archive-staged")
            files = {
                kind: {"name": path.name, "sha256": sha256_file(path),
                       "size": path.stat().st_size}
                for kind, path in (("signed", signed), ("certificate", certificate))
                if path.exists()
            }
            stamp = f"{now():%Y%m%dT%H%M%SZ}"
            if replacing is not None:
                requests.add_event(request.id, "downloaded again",
                                   f"the earlier archived copy is kept in "
                                   f"{REPLACED_PREFIX}{stamp}")
            manifest = request_json(request, requests.events(request.id), files)
            atomic_write_bytes(staging.path / "request.json", manifest)
            fsync_dir(staging.path)
            final.parent.mkdir(parents=True, exist_ok=True)
            if replacing is None:
                os.replace(staging.path, final)
            else:
                swap_into_place(staging.path, final, root, stamp)
            fsync_dir(final.parent)
        log.info("archived request %s in %s%s", request.id, final,
                 " (downloaded again)" if replacing is not None else "")
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
    return _record(ctx, request.id, final, content)


def record_folder(ctx: Context, folder: Path) -> Archived:
    """Enter an archive folder in the store again, as its ``request.json`` has it (after a
    replacement cut off and finished by the clean-up)."""
    return _record(ctx, str(read_manifest(folder)["id"]), folder)


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


def archive_text(folder: Path, manifest: dict[str, Any],
                 known: Mapping[str, str] | None = None) -> str:
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

#: What holds for a file (or a folder): its content as archived ("intact"), changed since
#: ("modified"), gone ("missing"), the folder found elsewhere than the store has it ("moved"),
#: a file Sealbox did not archive there ("added"), or intact but not the document its sealed
#: certificate names ("mismatch").
FileState = Literal["intact", "modified", "missing", "moved", "added", "mismatch"]


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


@dataclass(frozen=True)
class Verification:
    """The outcome of ``archive verify``: every file's check, and what stops the checks from
    vouching for anything (this installation's trust root gone)."""

    checks: list[FileCheck]
    trust_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.trust_problem is None and all(c.ok for c in self.checks)


def trust_roots(ctx: Context) -> list[bytes]:
    """The roots a seal may chain to: this installation's (current and retired)."""
    from app.providers.local.pki import installation_trust_roots

    return installation_trust_roots(ctx.paths.seal_dir)


def verify(ctx: Context, ref: str | None = None) -> Verification:
    """Re-hash every archived file (or one request's), validate every PDF signature offline,
    cross-check each folder with its certificate, and report folders moved, files added and
    folders gone. ``verify`` of everything and of one request say the same about a folder."""
    root = ctx.paths.archive_dir
    roots = trust_roots(ctx)
    requests = ctx.requests
    if ref is not None:
        request_id = requests.resolve_id(ref)
        rel = requests.archive_dir(request_id)
        if not rel:
            raise UserError(f"Request {ref!r} is not archived yet: run `sealbox download "
                            f"{ref}` first.")
        wanted = [request_id]
        # Looked for by its id only when it is not where the store has it.
        on_disk = {} if (root / rel).is_dir() else folders_by_id(root)
    else:
        on_disk = folders_by_id(root)
        wanted = list(dict.fromkeys([*requests.archived_ids(), *on_disk]))
    checks: list[FileCheck] = []
    for rid in wanted:
        checks.extend(_verify_one(ctx, rid, on_disk.get(rid, []), roots))
    if ref is None:
        checks.extend(_unreadable_folders(root, on_disk))
    in_person = registry.in_person_ids()
    local = requests.db.execute(
        f"SELECT 1 FROM requests WHERE provider IN ({', '.join('?' * len(in_person))}) "
        "AND archive_dir IS NOT NULL LIMIT 1", list(in_person)).fetchone() is not None
    return Verification(checks, trust_root_problem(ctx.paths, local))


def _verify_one(ctx: Context, rid: str, found: list[Path], roots: Sequence[bytes]
                ) -> list[FileCheck]:
    root = ctx.paths.archive_dir
    rel = ctx.requests.archive_dir(rid)
    recorded_rows = ctx.requests.archived_files(rid)
    recorded = {f.kind: f for f in recorded_rows}
    expected = root / rel if rel else None
    out: list[FileCheck] = []
    if expected is not None and expected.is_dir():
        folders = [expected, *(f for f in found if f != expected)]
    else:
        folders = list(found)
        if expected is not None:
            name = ctx.requests.get(rid).name if ctx.requests.exists(rid) else rel
            where = (f"; a folder holding it is at {found[0].relative_to(root)}: run `sealbox "
                     "archive reindex` to record the new place, or move it back" if found else
                     ": restore it from a backup")
            out.append(FileCheck(rid, str(name), "folder", expected,
                                 "moved" if found else "missing", None,
                                 f"the archive folder {rel} is "
                                 f"{'not where it was archived' if found else 'missing'}{where}"))
    for folder in folders:
        manifest = read_manifest(folder)
        if expected is not None and folder != expected and expected.is_dir():
            out.append(FileCheck(rid, manifest.get("name", folder.name), "folder", folder,
                                 "moved", None,
                                 f"{folder.relative_to(root)} is a second folder of this "
                                 f"request (it is archived in {rel}): remove the copy"))
        elif expected is None:
            out.append(FileCheck(rid, manifest.get("name", folder.name), "folder", folder,
                                 "moved", None,
                                 f"{folder.relative_to(root)} is not in the archive index: run "
                                 "`sealbox archive reindex`"))
        out.extend(check for check, _ in _check_folder(folder, manifest, recorded, roots))
    return out


def _unreadable_folders(root: Path, on_disk: dict[str, list[Path]]) -> list[FileCheck]:
    """Folders with a request.json that cannot be read (so no id to check them by)."""
    readable = {folder for folders in on_disk.values() for folder in folders}
    out = []
    for folder in iter_folders(root):
        if folder in readable:
            continue
        try:
            read_manifest(folder)
        except UserError as exc:
            out.append(FileCheck("?", folder.name, "request", folder / "request.json",
                                 "missing" if isinstance(exc, NotFoundError) else "modified",
                                 None, exc.message))
    return out


def _check_folder(folder: Path, manifest: dict[str, Any], recorded: dict[str, ArchivedFile],
                  roots: Sequence[bytes]) -> list[tuple[FileCheck, list[SignatureCheck]]]:
    """Re-hash the files of one request folder against ``recorded`` (the store's rows, by kind)
    and the manifest, validate their signatures, cross-check the certificate and look for
    files nobody archived: no store access, safe in a worker thread."""
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
    hashes: dict[str, str] = {}
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
        hashes[kind] = actual
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
    certificate = manifest["files"].get("certificate")
    if certificate and "certificate" in hashes:
        # The certificate's own word (it is sealed) against the folder's: only files whose
        # hashes match the record are judged (a modified one is reported as such already).
        facts = certificate_facts(folder / certificate["name"])
        problems = certificate_problems(manifest, facts, hashes.get("signed")) if facts else {}
        out = [(_mismatch(c, problems[c.kind]) if c.kind in problems and c.state == "intact"
                else c, s) for c, s in out]
    for extra in extra_entries(folder, manifest):
        out.append((FileCheck(rid, name, "added", extra, "added", None,
                              f"{extra.name} was not archived by Sealbox: it was put in the "
                              "folder afterwards (exports leave it out)"), []))
    return out


def _mismatch(check: FileCheck, problems: list[str]) -> FileCheck:
    return FileCheck(check.request_id, check.request_name, check.kind, check.path, "mismatch",
                     check.signature, f"{check.path.name}: " + "; ".join(problems))


def describe_check(check: FileCheck) -> str:
    """One line that says what holds for a file: its content, then its signature."""
    content = {
        "intact": "file intact",
        "modified": "file modified since it was archived",
        "missing": "missing",
        "moved": "folder not where the archive index has it",
        "added": "not archived by Sealbox (added to the folder later)",
        "mismatch": "file intact, but not what its certificate names",
    }[check.state]
    signature = {
        None: "",
        "valid": "; signature valid",
        "untrusted": "; signature valid, but the signer is not trusted by this installation",
        "invalid": "; signature INVALID",
        "unsigned": "; no signature",
    }.get(check.signature, f"; signature {check.signature}")
    return f"{content}{signature}"


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
    #: Where the folder is now when it is not where the store has it (found by its id).
    moved_to: Path | None = None


def prepare_verify(ctx: Context, request_id: str,
                   roots: Sequence[bytes] | None = None) -> VerifyJob:
    """Read what :func:`run_verify` needs for ``request_id`` from the store; ``roots`` default
    to this installation's (pass them when preparing many)."""
    rid = ctx.requests.resolve_id(request_id)
    rel = ctx.requests.archive_dir(rid)
    if not rel:
        raise UserError(Text(f"Request {request_id!r} is not archived yet: download it first ",
                             Alt(f"(`sealbox download {request_id}`)", "(Download in Requests)"),
                             "."))
    root = ctx.paths.archive_dir
    moved_to = None
    if not (root / rel).is_dir():
        moved_to = next(iter(folders_by_id(root).get(rid, [])), None)
    return VerifyJob(rid, root / rel, rel, tuple(ctx.requests.archived_files(rid)),
                     tuple(trust_roots(ctx) if roots is None else roots), moved_to)


def run_verify(job: VerifyJob) -> Badge:
    """Re-hash and validate one request folder offline (no store access: a worker thread may
    run it)."""
    if not job.folder.is_dir():
        if job.moved_to is not None:
            return Badge("missing", None, f"The archive folder {job.rel} is not where it was "
                         f"archived: it is now at {job.moved_to} (Reindex from folder records "
                         "the new place).")
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
    mismatch = [c for c, _ in results if c.state == "mismatch"]
    if mismatch:
        return Badge("modified", None, f"The folder does not hold what its certificate "
                     f"certifies: {mismatch[0].summary}.")
    added = [c for c, _ in results if c.state == "added"]
    if added:
        return Badge("modified", None, f"{_names(added)} {_was(added)} put in the folder "
                     "after archiving (Sealbox did not archive "
                     f"{'it' if len(added) == 1 else 'them'}).")
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
    requests = ctx.requests
    chosen = list(dict.fromkeys(requests.resolve_id(r) for r in ids)) if ids is not None \
        else requests.archived_ids()
    by_id: dict[str, list[Path]] | None = None
    out: list[ExportFolder] = []
    lost: list[str] = []
    for rid in chosen:
        rel = requests.archive_dir(rid)
        if not rel:
            name = requests.get(rid).name
            raise UserError(f"{name!r} ({rid[:8]}) is not archived yet: only archived requests "
                            "can be exported (`sealbox download` archives a completed one).")
        folder = root / rel
        moved = False
        if not folder.is_dir():
            by_id = folders_by_id(root) if by_id is None else by_id
            found = by_id.get(rid, [])
            if not found:
                lost.append(f"{rid[:8]} ({rel})")
                continue
            folder, moved = found[0], True
        out.append(ExportFolder(folder.relative_to(root).as_posix(), folder,
                                read_manifest(folder), moved))
    if lost:
        raise NotFoundError(f"The archive folder of {len(lost)} request(s) is missing: "
                            f"{', '.join(lost[:5])}{' …' if len(lost) > 5 else ''}. Restore it "
                            "from a backup (or export the others with --id); nothing was "
                            "exported.")
    return out


def export(ctx: Context, dest: Path, ids: list[str] | None = None) -> Exported:
    """Copy archived requests (all, or ``ids``) to a folder or a ``.zip``, with ``index.csv``:
    only the files Sealbox archived, whole or not at all."""
    folders = locate_for_export(ctx, ids)
    rows = []
    for f in folders:
        m = f.manifest
        files = m["files"]
        rows.append([
            m["id"], m.get("name"), m.get("provider"), m.get("status"), m.get("createdAt"),
            m.get("completedAt"),
            "; ".join(f"{r.get('firstName', '')} {r.get('lastName', '')} <{r.get('email')}>"
                      .replace("  ", " ") for r in m.get("recipients", [])),
            f.rel, files.get("signed", {}).get("sha256"),
            files.get("certificate", {}).get("sha256"),
        ])
    index = csv_text(["id", "name", "provider", "status", "created", "completed", "recipients",
                      "folder", "signed_sha256", "certificate_sha256"], rows)
    if dest.suffix.lower() == ".zip":
        if dest.exists():
            raise UserError(f"{dest} already exists: choose a new file name for the export.")
        with atomic_file(dest) as (_, handle), \
                zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in folders:
                for path in f.files():
                    zf.write(path, f"{f.rel}/{path.name}")
            zf.writestr("index.csv", index)
        return Exported(dest, folders)
    if dest.exists() and any(dest.iterdir()):
        raise UserError(f"{dest} is not empty: export into a new or empty folder.")
    for f in folders:
        for path in f.files():
            atomic_copy(path, dest / f.rel / path.name)
    atomic_write_bytes(dest / "index.csv", index.encode("utf-8"))
    return Exported(dest, folders)


INDEX_COLUMNS = ("id", "name", "provider", "status", "completed", "folder", "signed_file",
                 "signed_sha256", "certificate_file", "certificate_sha256")


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
        raise UserError(f"Cannot export to {dest_zip}: the folder {parent} does not exist. "
                        "Choose an existing folder.")
    if dest_zip.is_dir():
        raise UserError(f"Cannot export to {dest_zip}: it is a folder. Choose a file name "
                        "ending in .zip.")
    chosen = locate_for_export(ctx, ids)
    rows = []
    for f in chosen:
        manifest = f.manifest
        files = manifest["files"]
        row: list[Any] = [manifest["id"], manifest.get("name"), manifest.get("provider"),
                          manifest.get("status"), manifest.get("completedAt"), f.rel]
        for kind in ("signed", "certificate"):
            entry = files.get(kind) or {}
            present = bool(entry) and (f.folder / entry["name"]).is_file()
            row += [f"{f.rel}/{entry['name']}" if present else "", entry.get("sha256") or ""]
        rows.append(row)
    index = csv_text(INDEX_COLUMNS, rows, lineterminator="\n")
    try:
        with atomic_file(dest_zip) as (_, handle), \
                zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in chosen:
                for path in f.files():
                    zf.write(path, f"{f.rel}/{path.name}")
            zf.writestr("index.csv", index)
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
