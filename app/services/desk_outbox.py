"""Sends kept on this desk while the shared store cannot be reached, until it can.

On a shared store (PostgreSQL) the outbox lives in the store, so that no two desks send one
request. A desk that cannot reach the server still lets its user send: the send is checked as
any send is (:func:`app.services.send.check`: the PDF, the spec, the provider's rules), then kept
in a folder of its own under ``DATA/desk-outbox/<key>/``: ``document.pdf`` (a copy of the file
as checked) and ``send.json`` (the spec, the provider, the template id, the document's name and
SHA-256, and the idempotency key the send was given). The folder is written under a temporary
name and renamed into place, so a kept send is whole or absent.

When the store can be reached again (the next ``sealbox sync`` or the app's sync, which starts as
soon as the app is back online), :func:`commit_kept` hands each kept send, oldest first, to
:func:`app.services.send.prepare` with its key, which checks it again and commits it to the
shared outbox; the folder is removed after the commit, and the sync's outbox pass then delivers
it like any send. The key is what makes this safe: the store refuses a second request with a key
it has, and ``prepare`` returns the request already committed under it, so a desk killed
between the commit and the removal, or two processes of the desk committing at once (each kept
send is also under an OS lock while it is committed), still make one request. The key is this
desk's own (made by its Send), so no other desk can commit the same send.

A kept send the checks now refuse (the provider's rules changed, its account was removed) stays
kept with the reason (``problem.json``) for the user to see and discard; it is never sent half.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.context import Context
from app.domain.clock import now
from app.domain.model import Request, RequestSpec
from app.errors import (
    BusyError,
    SealboxError,
    StoreUnreachableError,
    UnavailableError,
    UserError,
)
from app.faults import crash_point
from app.fsutil import atomic_copy, atomic_write_bytes, fsync_dir, sha256_file
from app.oslock import try_lock
from app.services.send import Checked, check, document_path, prepare
from app.storage import storage_error

log = logging.getLogger(__name__)

SEND_FILE = "send.json"
DOCUMENT_FILE = "document.pdf"
PROBLEM_FILE = "problem.json"
FORMAT = 1


@dataclass(frozen=True)
class KeptSend:
    """One send kept on this desk."""

    key: str
    folder: Path
    spec: RequestSpec
    provider_id: str
    render_id: str | None
    document_name: str
    document_sha256: str
    kept_at: str
    #: The draft the send was prepared in: deleted once the send is committed.
    draft_id: str | None = None
    #: Why the store would not take it when it was last tried (None: not tried yet).
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def document(self) -> Path:
        return self.folder / DOCUMENT_FILE


@dataclass
class CommitResult:
    """What :func:`commit_kept` did: the requests now in the shared outbox, and the kept sends
    the store (or the checks) would not take, with why."""

    committed: list[Request] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def keep(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    *,
    provider_id: str | None = None,
    render_id: str | None = None,
    idempotency_key: str | None = None,
    draft_id: str | None = None,
    checked: Checked | None = None,
) -> KeptSend:
    """Check a send and keep it on this desk until the shared store can be reached. The same
    key again returns the send already kept (nothing is kept twice). ``draft_id``: the draft it
    was prepared in, deleted from the store with the commit; ``checked``: what
    :func:`~app.services.send.check` found, when the caller checked it already."""
    key = idempotency_key or str(uuid.uuid4())
    folder = ctx.paths.desk_outbox_dir / key
    if (folder / SEND_FILE).exists():
        return read(folder)
    if checked is None:
        checked = check(ctx, pdf_path, spec, provider_id=provider_id, render_id=render_id)
    held = try_lock(ctx.paths.lock("kept", key))
    if held is None:
        raise BusyError(f"Another Sealbox is keeping {spec.name!r} on this desk right now.")
    with held:
        _keep_locked(ctx, pdf_path, spec, key, checked, render_id, draft_id)
    log.info("kept the send %s (%s) on this desk until the store can be reached", key, spec.name)
    return read(folder)


def _keep_locked(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    key: str,
    checked: Checked,
    render_id: str | None,
    draft_id: str | None,
) -> None:
    folder = ctx.paths.desk_outbox_dir / key
    staging = ctx.paths.desk_outbox_dir / f".staging-{key}"
    try:
        shutil.rmtree(staging, ignore_errors=True)  # a try of this key that was cut off
        staging.mkdir(parents=True, exist_ok=True)
        digest = atomic_copy(pdf_path, staging / DOCUMENT_FILE, mode=0o600)
        if digest != checked.info.sha256:
            raise UserError(
                f"{pdf_path.name} changed while it was being sent: save it, then send again."
            )
        record = {
            "format": FORMAT,
            "key": key,
            "provider": checked.provider.capabilities.id,
            "renderId": render_id,
            "documentName": os.fsencode(pdf_path.name).decode("utf-8", "replace"),
            "documentSha256": digest,
            "keptAt": now().isoformat(),
            "draftId": draft_id,
            "spec": spec.to_json(),
        }
        data = json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8")
        atomic_write_bytes(staging / SEND_FILE, data, mode=0o600)
        crash_point("desk-outbox-staged")
        os.replace(staging, folder)
        fsync_dir(folder.parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise _not_kept(ctx, exc) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _not_kept(ctx: Context, exc: OSError) -> SealboxError:
    full = storage_error(exc, writing=ctx.paths.desk_outbox_dir)
    if full is not None:
        return full
    return UserError(
        f"The send could not be kept on this desk ({exc.strerror or exc}, in "
        f"{ctx.paths.desk_outbox_dir}): nothing was sent; check that folder, then send again."
    )


def read(folder: Path) -> KeptSend:
    """The kept send in ``folder``."""
    data: Any = json.loads((folder / SEND_FILE).read_text(encoding="utf-8"))
    problem = None
    with contextlib.suppress(FileNotFoundError, ValueError):
        problem = json.loads((folder / PROBLEM_FILE).read_text(encoding="utf-8"))["problem"]
    return KeptSend(
        key=str(data["key"]),
        folder=folder,
        spec=RequestSpec.from_stored(data["spec"]),
        provider_id=str(data["provider"]),
        render_id=data.get("renderId"),
        document_name=str(data["documentName"]),
        document_sha256=str(data["documentSha256"]),
        kept_at=str(data["keptAt"]),
        draft_id=data.get("draftId"),
        problem=str(problem) if problem else None,
    )


def kept(ctx: Context) -> list[KeptSend]:
    """The sends kept on this desk, oldest first. A folder that cannot be read is named in the
    log and left for the user (``sealbox queued`` lists it)."""
    folder = ctx.paths.desk_outbox_dir
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith(".") or not (path / SEND_FILE).exists():
            continue
        try:
            found.append(read(path))
        except (OSError, ValueError, KeyError, SealboxError) as exc:
            log.warning("the kept send in %s cannot be read: %s", path, exc)
    return sorted(found, key=lambda k: (k.kept_at, k.key))


def find(ctx: Context, key_prefix: str) -> KeptSend:
    """The kept send whose key starts with ``key_prefix``."""
    matches = [k for k in kept(ctx) if k.key.startswith(key_prefix)] if key_prefix else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(
            f"No send kept on this desk has the key {key_prefix!r}: `sealbox queued` lists them."
        )
    raise UserError(f"{key_prefix!r} names {len(matches)} kept sends: give more of the key.")


def discard(kept_send: KeptSend) -> None:
    """Remove a kept send (the user decided not to send it)."""
    _remove(kept_send.folder)
    log.info("discarded the kept send %s (%s)", kept_send.key, kept_send.name)


def _remove(folder: Path) -> None:
    """Remove ``folder`` so that it is gone or whole: renamed away first, then deleted."""
    gone = folder.with_name(f".gone-{folder.name}")
    with contextlib.suppress(FileNotFoundError):
        os.replace(folder, gone)
    shutil.rmtree(gone, ignore_errors=True)


def commit_kept(ctx: Context) -> CommitResult:
    """Commit the sends kept on this desk to the shared outbox, oldest first (see the module's
    docstring); the sync delivers them afterwards. Stops at the first sign the store cannot be
    reached; a send the checks refuse stays kept with why."""
    result = CommitResult()
    _clean_leftovers(ctx)
    for kept_send in kept(ctx):
        held = try_lock(ctx.paths.lock("kept", kept_send.key))
        if held is None:
            continue  # another process of this desk is committing it right now
        with held:
            if not (kept_send.folder / SEND_FILE).exists():
                continue  # committed by another process meanwhile
            try:
                request = _commit_one(ctx, kept_send)
            except StoreUnreachableError:
                break  # the rest stay kept for the next try
            except (UnavailableError, UserError) as exc:
                result.refused[kept_send.key] = exc.message
                _note_problem(kept_send, exc.message)
                continue
            result.committed.append(request)
    return result


def _commit_one(ctx: Context, kept_send: KeptSend) -> Request:
    request = prepare(
        ctx,
        kept_send.document,
        kept_send.spec,
        provider_id=kept_send.provider_id,
        render_id=kept_send.render_id,
        idempotency_key=kept_send.key,
        document_name=kept_send.document_name,
    )
    crash_point("desk-outbox-committed")
    _ensure_working_copy(ctx, request, kept_send)
    if kept_send.draft_id is not None:
        ctx.store.drafts.delete(kept_send.draft_id)  # the draft has done its work
    _remove(kept_send.folder)
    log.info("the kept send %s is request %s in the shared outbox", kept_send.key, request.id)
    return request


def _ensure_working_copy(ctx: Context, request: Request, kept_send: KeptSend) -> None:
    """A request committed under the key by an earlier try whose process died (or whose
    connection was lost at the commit) may lack this desk's working copy: make it from the
    kept one, which is the same document (same SHA-256)."""
    path = document_path(ctx, request.id)
    if path.exists() or request.document_sha256 != kept_send.document_sha256:
        return
    if sha256_file(kept_send.document) == request.document_sha256:
        atomic_copy(kept_send.document, path, mode=0o600)


def _note_problem(kept_send: KeptSend, problem: str) -> None:
    data = {"problem": problem, "at": now().isoformat(timespec="seconds")}
    with contextlib.suppress(OSError):
        atomic_write_bytes(
            kept_send.folder / PROBLEM_FILE, json.dumps(data).encode("utf-8"), mode=0o600
        )


def _clean_leftovers(ctx: Context) -> None:
    """Folders of a keep or a removal that was cut off (their process is gone)."""
    folder = ctx.paths.desk_outbox_dir
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(".gone-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".staging-"):
            # Its keeper holds the send's lock while it writes: free, the keeper is gone.
            held = try_lock(ctx.paths.lock("kept", path.name.removeprefix(".staging-")))
            if held is not None:
                with held:
                    shutil.rmtree(path, ignore_errors=True)
