"""One archived request's verdict for people (a badge in the Archive place): the files re-hashed
and their signatures validated offline, summed up in one sentence.

:func:`prepare_verify` reads what the check needs from the store; :func:`run_verify` does the file
work with no store access, so the app runs it in a worker thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.archive.audit import FileCheck, check_folder, trust_roots
from app.archive.integrity import folders_by_id
from app.archive.manifest import read_manifest
from app.context import Context
from app.errors import NotFoundError, UserError
from app.store.records import ArchivedFile
from app.wording import Alt, Text

if TYPE_CHECKING:
    from app.archive.verify import SignatureCheck

log = logging.getLogger(__name__)

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
    #: The roots to trust (a TrustRoots keeps where each comes from, and the timestamp
    #: authority's CA for timestamps).
    roots: Sequence[bytes]
    #: Where the folder is now when it is not where the store has it (found by its id).
    moved_to: Path | None = None


def prepare_verify(
    ctx: Context, request_id: str, roots: Sequence[bytes] | None = None
) -> VerifyJob:
    """Read what :func:`run_verify` needs for ``request_id`` from the store; ``roots`` default
    to this installation's (pass them when preparing many)."""
    rid = ctx.requests.resolve_id(request_id)
    rel = ctx.store.archive.folder(rid)
    if not rel:
        raise UserError(
            Text(
                f"Request {request_id!r} is not archived yet: download it first ",
                Alt(f"(`sealbox download {request_id}`)", "(Download in Requests)"),
                ".",
            )
        )
    root = ctx.paths.archive_dir
    moved_to = None
    if not (root / rel).is_dir():
        moved_to = next(iter(folders_by_id(root).get(rid, [])), None)
    return VerifyJob(
        rid,
        root / rel,
        rel,
        tuple(ctx.store.archive.files(rid)),
        trust_roots(ctx) if roots is None else roots,
        moved_to,
    )


def run_verify(job: VerifyJob) -> Badge:
    """Re-hash and validate one request folder offline (no store access: a worker thread may
    run it)."""
    if not job.folder.is_dir():
        if job.moved_to is not None:
            return Badge(
                "missing",
                None,
                f"The archive folder {job.rel} is not where it was "
                f"archived: it is now at {job.moved_to} (Reindex from folder records "
                "the new place).",
            )
        return Badge("missing", None, f"The archive folder {job.rel} is missing.")
    try:
        manifest = read_manifest(job.folder)
    except NotFoundError:
        return Badge("missing", None, "request.json is missing from the archive folder.")
    except UserError:
        return Badge("modified", None, "request.json is damaged: it was changed after archiving.")
    recorded = {f.kind: f for f in job.recorded}
    results = check_folder(job.folder, manifest, recorded, job.roots)
    return _badge(results)


def lower_priority(niceness: int) -> None:
    """Lower this process's scheduling priority (POSIX ``nice``; nothing elsewhere): run first
    in a process that verifies in the background, so that on a busy machine the window's
    process gets the processor first."""
    if hasattr(os, "nice"):
        try:
            os.nice(niceness)
        except OSError as exc:
            log.info("the verification process keeps its priority: %s", exc)


def verify_request(ctx: Context, request_id: str) -> Badge:
    """One request's verification summary: re-hash its files and validate their signatures
    offline against this installation's roots."""
    return run_verify(prepare_verify(ctx, request_id))


def _badge(results: list[tuple[FileCheck, list[SignatureCheck]]]) -> Badge:
    changed = [c for c, _ in results if c.state == "modified"]
    if changed:
        return Badge(
            "modified",
            None,
            f"{_names(changed)} {_was(changed)} changed after "
            "archiving: the SHA-256 no longer matches the archive record.",
        )
    mismatch = [c for c, _ in results if c.state == "mismatch"]
    if mismatch:
        return Badge(
            "modified",
            None,
            f"The folder does not hold what its certificate certifies: {mismatch[0].summary}.",
        )
    added = [c for c, _ in results if c.state == "added"]
    if added:
        return Badge(
            "modified",
            None,
            f"{_names(added)} {_was(added)} put in the folder "
            "after archiving (Sealbox did not archive "
            f"{'it' if len(added) == 1 else 'them'}).",
        )
    broken = [(c, s) for c, s in results if c.signature == "invalid"]
    if broken:
        check, signatures = broken[0]
        why = next(
            (s.summary for s in signatures if not s.intact or not s.valid or s.modified_after),
            "invalid signature",
        )
        return Badge("modified", None, f"The signature of {check.path.name} does not hold: {why}.")
    gone = [c for c, _ in results if c.state == "missing"]
    if gone:
        return Badge(
            "missing",
            None,
            f"{_names(gone)} {_was(gone, 'is', 'are')} missing from the archive folder.",
        )
    expired = [
        (c, c.renewal) for c, _ in results if c.renewal is not None and c.renewal.state == "expired"
    ]
    if expired:
        check, renewal = expired[0]
        return Badge(
            "untrusted",
            None,
            f"The files are intact, but the last timestamp of {check.path.name} expired "
            f"on {renewal.expires:%d %b %Y} without being renewed: it no longer proves when "
            "the document was signed.",
        )
    for check, signatures in results:
        untrusted = next((s for s in signatures if not s.trusted), None)
        if untrusted is not None:
            return Badge(
                "untrusted",
                untrusted.signer_subject,
                f"The files are intact, but the signer of {check.path.name} is not "
                f"trusted by this installation ({untrusted.signer_subject}).",
            )
    signed = [(c, s) for c, s in results if c.kind == "signed"]
    if signed and not signed[0][1]:
        return Badge(
            "untrusted",
            None,
            f"The files are intact, but {signed[0][0].path.name} "
            "carries no digital signature to check.",
        )
    signers = sorted({s.signer_subject for _, sigs in signed for s in sigs})
    by = f" (signed by {', '.join(signers)})" if signers else ""
    return Badge("valid", None, f"Every file is intact and every signature is valid{by}.")


def _names(checks: list[FileCheck]) -> str:
    names = [c.path.name for c in checks]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _was(checks: list[FileCheck], one: str = "was", many: str = "were") -> str:
    return one if len(checks) == 1 else many
