"""``sealbox archive verify``: every archived file re-hashed, every signature validated offline.

Each folder is checked against the store's record and its own ``request.json``, its certificate's
own word is cross-checked (:mod:`app.archive.integrity`), and folders moved, files added and
folders gone are reported. :func:`check_folder` touches no store, so a worker thread may run it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.archive.integrity import (
    certificate_facts,
    certificate_problems,
    extra_entries,
    folders_by_id,
    trust_root_problem,
)
from app.archive.manifest import iter_folders, read_manifest
from app.archive.renewal import DEFAULT_WINDOW_DAYS, Renewal, renewal_state, validation_time
from app.archive.trust_sources import (
    TrustRoots,
    read_ca_file,
    system_trust_chosen,
    system_trust_store,
)
from app.context import Context
from app.domain.clock import iso
from app.errors import NotFoundError, UserError
from app.fsutil import sha256_file
from app.oslock import lock_waiting
from app.providers import registry
from app.store.records import ArchivedFile

if TYPE_CHECKING:
    from app.archive.verify import SignatureCheck

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
    #: Each signature and document timestamp of a PDF, in revision order, as the signature
    #: panel shows it (:class:`app.archive.signature_details.SignatureDetails`).
    signatures: tuple[dict[str, Any], ...] = ()
    #: When the long-term proof must be renewed (ISO-8601; None without a document timestamp).
    renew_by: str | None = None
    #: Its last document timestamp must be renewed (due) or was not renewed in time (expired).
    renewal: Renewal | None = None

    @property
    def ok(self) -> bool:
        """Intact, no invalid signature, no signer whose certificate was revoked, and no
        document timestamp that ran out unrenewed."""
        expired = self.renewal is not None and self.renewal.state == "expired"
        return (
            self.state == "intact"
            and self.signature not in ("invalid",)
            and not expired
            and not any(s.get("trust") == "revoked" for s in self.signatures)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "name": self.request_name,
            "kind": self.kind,
            "path": str(self.path),
            "state": self.state,
            "signature": self.signature,
            "summary": self.summary,
            "ok": self.ok,
            "signatures": list(self.signatures),
            "renewBy": self.renew_by,
            "renewal": self.renewal.to_json() if self.renewal else None,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of ``archive verify``: every file's check, and what stops the checks from
    vouching for anything (this installation's trust root gone)."""

    checks: list[FileCheck]
    trust_problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.trust_problem is None and all(c.ok for c in self.checks)


def trust_roots(ctx: Context) -> TrustRoots:
    """The roots a seal may chain to: this installation's (current and retired), those the
    user imported (``sealbox archive trust add``), the system's where the user chose it
    (``[trust] system``), and for timestamps the authority's CA file (``[timestamp] ca_file``);
    see :mod:`app.archive.trust_sources`."""
    from app.archive.trust import imported_roots
    from app.providers.local.pki import installation_trust_roots

    return TrustRoots(
        installation=tuple(installation_trust_roots(ctx.paths.seal_dir)),
        imported=tuple(imported_roots(ctx.paths)),
        system=system_trust_store().roots if system_trust_chosen(ctx.settings.trust) else (),
        timestamp=read_ca_file(ctx.settings.timestamp.get("ca_file")),
    )


def verify(ctx: Context, ref: str | None = None) -> Verification:
    """Re-hash every archived file (or one request's), validate every PDF signature offline,
    cross-check each folder with its certificate, and report folders moved, files added and
    folders gone. ``verify`` of everything and of one request say the same about a folder."""
    root = ctx.paths.archive_dir
    roots = trust_roots(ctx)
    index = ctx.store.archive
    if ref is not None:
        request_id = ctx.requests.resolve_id(ref)
        rel = index.folder(request_id)
        if not rel:
            raise UserError(
                f"Request {ref!r} is not archived yet: run `sealbox download {ref}` first."
            )
        wanted = [request_id]
        # Looked for by its id only when it is not where the store has it.
        on_disk = {} if (root / rel).is_dir() else folders_by_id(root)
    else:
        on_disk = folders_by_id(root)
        wanted = list(dict.fromkeys([*index.archived_ids(), *on_disk]))
    checks: list[FileCheck] = []
    for rid in wanted:
        folders = [*([root / rel] if (rel := index.folder(rid)) else []), *on_disk.get(rid, [])]
        with _quiet_folder(ctx, rid, folders):
            checks.extend(_verify_one(ctx, rid, on_disk.get(rid, []), roots))
    if ref is None:
        checks.extend(_unreadable_folders(root, on_disk))
    # Seals made with the office's own certificate (a file or a token) never needed this
    # installation's root; a seal made here earlier left its certificate in the seal folder,
    # which trust_root_problem looks for.
    local = (
        index.any_archived_from(registry.in_person_ids())
        and ctx.settings.seal_source == "installation"
    )
    return Verification(checks, trust_root_problem(ctx.paths, local))


@contextlib.contextmanager
def _quiet_folder(ctx: Context, rid: str, folders: Sequence[Path]) -> Iterator[None]:
    """Hold the request's archive lock while its folder is checked, so an upgrade under way
    (:mod:`app.archive.upgrade`) is seen before or after, never half-way; one cut off is
    finished or undone first. A lock held too long (a slow download) is not waited for: the
    folder is checked as it is."""
    from app.archive.upgrade import LOCK_WAIT, finish_interrupted

    held = lock_waiting(ctx.paths.lock("archive", rid), LOCK_WAIT)
    try:
        if held is not None:
            for folder in dict.fromkeys(folders):
                finish_interrupted(ctx, folder)
        yield
    finally:
        if held is not None:
            held.release(remove=True)


def _verify_one(
    ctx: Context, rid: str, found: list[Path], roots: Sequence[bytes]
) -> list[FileCheck]:
    root = ctx.paths.archive_dir
    rel = ctx.store.archive.folder(rid)
    recorded_rows = ctx.store.archive.files(rid)
    recorded = {f.kind: f for f in recorded_rows}
    expected = root / rel if rel else None
    out: list[FileCheck] = []
    if expected is not None and expected.is_dir():
        folders = [expected, *(f for f in found if f != expected)]
    else:
        folders = list(found)
        if expected is not None:
            out.append(_not_in_place(ctx, rid, rel, expected, found))
    for folder in folders:
        manifest = read_manifest(folder)
        stray = _stray_folder(ctx, rid, rel, expected, folder, manifest)
        if stray is not None:
            out.append(stray)
        checked = check_folder(folder, manifest, recorded, roots, window_days=renew_window(ctx))
        out.extend(check for check, _ in checked)
    return out


def renew_window(ctx: Context) -> float:
    """Days before a timestamp's certificate expires in which it is renewed
    (``[timestamp] renew_within_days``)."""
    return ctx.settings.limit("timestamp", "renew_within_days", DEFAULT_WINDOW_DAYS, ctx.environ)


def _not_in_place(
    ctx: Context, rid: str, rel: str | None, expected: Path, found: list[Path]
) -> FileCheck:
    """The request's archive folder is not where the store has it: moved (``found`` elsewhere)
    or missing."""
    root = ctx.paths.archive_dir
    name = ctx.requests.get(rid).name if ctx.requests.exists(rid) else rel
    where = (
        f"; a folder holding it is at {found[0].relative_to(root)}: run `sealbox "
        "archive reindex` to record the new place, or move it back"
        if found
        else ": restore it from a backup"
    )
    return FileCheck(
        rid,
        str(name),
        "folder",
        expected,
        "moved" if found else "missing",
        None,
        f"the archive folder {rel} is {'not where it was archived' if found else 'missing'}{where}",
    )


def _stray_folder(
    ctx: Context,
    rid: str,
    rel: str | None,
    expected: Path | None,
    folder: Path,
    manifest: dict[str, Any],
) -> FileCheck | None:
    """A folder of the request other than the one the store has (a second copy), or one the
    store has none for (not in the index); None for the folder the store has."""
    root = ctx.paths.archive_dir
    if expected is not None and folder != expected and expected.is_dir():
        return FileCheck(
            rid,
            manifest.get("name", folder.name),
            "folder",
            folder,
            "moved",
            None,
            f"{folder.relative_to(root)} is a second folder of this "
            f"request (it is archived in {rel}): remove the copy",
        )
    if expected is None:
        return FileCheck(
            rid,
            manifest.get("name", folder.name),
            "folder",
            folder,
            "moved",
            None,
            f"{folder.relative_to(root)} is not in the archive index: run "
            "`sealbox archive reindex`",
        )
    return None


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
            out.append(
                FileCheck(
                    "?",
                    folder.name,
                    "request",
                    folder / "request.json",
                    "missing" if isinstance(exc, NotFoundError) else "modified",
                    None,
                    exc.message,
                )
            )
    return out


Checked = tuple[FileCheck, list["SignatureCheck"]]


def check_folder(
    folder: Path,
    manifest: dict[str, Any],
    recorded: dict[str, ArchivedFile],
    roots: Sequence[bytes],
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> list[Checked]:
    """Re-hash the files of one request folder against ``recorded`` (the store's rows, by kind)
    and the manifest, validate their signatures, cross-check the certificate and look for
    files nobody archived: no store access, safe in a worker thread."""
    rid, name = manifest["id"], manifest.get("name", folder.name)
    out: list[Checked] = []
    request_json_row = recorded.get("request")
    if request_json_row is not None:
        request_file = folder / "request.json"
        intact = sha256_file(request_file) == request_json_row.sha256
        summary = "request.json intact" if intact else "request.json was changed after archiving"
        out.append(
            (
                FileCheck(
                    rid,
                    name,
                    "request",
                    request_file,
                    "intact" if intact else "modified",
                    None,
                    summary,
                ),
                [],
            )
        )
    hashes: dict[str, str] = {}
    for kind, entry in manifest["files"].items():
        expected = entry["sha256"]
        if kind in recorded and recorded[kind].sha256 != expected:
            expected = recorded[kind].sha256
        path = folder / entry["name"]
        out.append(_check_file(rid, name, kind, path, expected, roots, hashes, window_days))
    certificate = manifest["files"].get("certificate")
    if certificate and "certificate" in hashes:
        # The certificate's own word (it is sealed) against the folder's: only files whose
        # hashes match the record are judged (a modified one is reported as such already).
        facts = certificate_facts(folder / certificate["name"])
        signed_checks = next((s for c, s in out if c.kind == "signed"), [])
        sealed = _as_sealed(folder, manifest, hashes.get("signed"), signed_checks)
        problems = certificate_problems(manifest, facts, sealed) if facts else {}
        out = [
            (_mismatch(c, problems[c.kind]) if c.kind in problems and c.state == "intact" else c, s)
            for c, s in out
        ]
    for extra in extra_entries(folder, manifest):
        summary = (
            f"{extra.name} was not archived by Sealbox: it was put in the folder afterwards "
            "(exports leave it out)"
        )
        out.append((FileCheck(rid, name, "added", extra, "added", None, summary), []))
    return out


def _as_sealed(
    folder: Path, manifest: dict[str, Any], actual: str | None, checks: Sequence[SignatureCheck]
) -> str | None:
    """The SHA-256 of the signed document as it was sealed: the file's own, or, for a file
    upgraded in the archive (``sealed`` in its record), that of its first bytes up to the size
    it had then, provided that everything after them only adds validation data and document
    timestamps (the last signature's later changes are long-term updates only)."""
    entry = manifest["files"].get("signed") or {}
    sealed = entry.get("sealed")
    if actual is None or not isinstance(sealed, dict) or not isinstance(sealed.get("size"), int):
        return actual
    signatures = [c for c in checks if c.kind == "signature"]
    if not signatures or not signatures[-1].lta_only_after:
        return actual
    digest = hashlib.sha256()
    with (folder / entry["name"]).open("rb") as handle:
        digest.update(handle.read(sealed["size"]))
    return digest.hexdigest()


def _check_file(
    rid: str,
    name: str,
    kind: str,
    path: Path,
    expected: str,
    roots: Sequence[bytes],
    hashes: dict[str, str],
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> Checked:
    """One archived file: re-hashed against ``expected`` (its hash is added to ``hashes``) and,
    for a PDF, its signatures validated against ``roots``."""
    from app.archive.signature_details import describe_signatures
    from app.archive.verify import pdf_signature_status, verify_pdf_signatures

    if not path.exists():
        return FileCheck(rid, name, kind, path, "missing", None, f"{path.name} is missing"), []
    actual = sha256_file(path)
    hashes[kind] = actual
    state: FileState = "intact" if actual == expected else "modified"
    signature = summary = None
    results: list[SignatureCheck] = []
    details: tuple[dict[str, Any], ...] = ()
    renew_by = None
    renewal = None
    if path.suffix.lower() == ".pdf":
        at = validation_time()
        data = _read_or_none(path)
        # A file that cannot be read: the verifier says why (it reads the path itself).
        results = verify_pdf_signatures(path if data is None else data, roots, at=at)
        signature = pdf_signature_status(results)
        summary = "; ".join(r.summary for r in results) or "no signature"
        described = describe_signatures(data or b"", results, roots)
        details = tuple(d.to_json() for d in described.signatures if d.kind != "unreadable")
        renew_by = iso(described.renew_by)
        renewal = renewal_state(data, at, window_days) if data is not None else None
        if renewal is not None:
            summary += f"; {renewal.describe()}"
    text = (
        f"{path.name} intact"
        if state == "intact"
        else f"{path.name} was modified: its SHA-256 no longer matches the archive record"
    )
    return (
        FileCheck(
            rid,
            name,
            kind,
            path,
            state,
            signature,
            f"{text}; {summary}" if summary else text,
            details,
            renew_by,
            renewal,
        ),
        results,
    )


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _mismatch(check: FileCheck, problems: list[str]) -> FileCheck:
    return replace(check, state="mismatch", summary=f"{check.path.name}: " + "; ".join(problems))


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
    if any(s.get("trust") == "revoked" for s in check.signatures):
        return f"{content}; signature valid, but the signer's certificate was REVOKED"
    signature = {
        None: "",
        "valid": "; signature valid",
        "untrusted": "; signature valid, but the signer is not trusted by this installation",
        "invalid": "; signature INVALID",
        "unsigned": "; no signature",
    }.get(check.signature, f"; signature {check.signature}")
    if check.renewal is not None and check.renewal.state == "expired":
        day = f"{check.renewal.expires:%Y-%m-%d}"
        return f"{content}{signature}; timestamp EXPIRED {day}: needs renewal"
    if check.renewal is not None:
        return (
            f"{content}{signature}; timestamp due for renewal by {check.renewal.expires:%Y-%m-%d}"
        )
    return f"{content}{signature}"
