"""Sending a request: check everything, commit it to the outbox, then deliver it.

The order is what makes a send safe to interrupt:

1. The PDF, the spec and the provider's rules are checked; nothing is written if any fails.
2. A working copy of the PDF is written (whole or not at all) and the request is committed with
   its idempotency key in the outbox, in one transaction. From here on the request exists.
3. The provider is called with that key. If the process dies during the call, ``sealbox sync``
   calls again with the same key, so the provider sees one request, never two.

From the first write to the end of the call the sending process holds the request's send lock
(``DATA/locks/send-<id>.lock``, :mod:`app.oslock`). The kernel releases it when the process dies,
however it dies, so ``sync`` judges a send cut off by taking that lock: it gets it only when the
sender is gone. A process id is no such proof (a killed process not yet reaped still answers
``kill(pid, 0)``; after a reboot its id may belong to anyone).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, Request, RequestSpec
from app.domain.problems import Issue
from app.errors import BusyError, SealboxError, UnavailableError, UserError, ValidationError
from app.faults import crash_point, reached
from app.fsutil import atomic_copy
from app.oslock import is_held, lock_waiting_async, try_lock
from app.pdf.document import PdfInfo, check_pdf
from app.pdf.textindex import TextIndex
from app.providers.anchors import resolve_anchors
from app.providers.base import Provider
from app.providers.errors import AmbiguousSendError, ConflictError
from app.providers.info import Capabilities
from app.providers.local.provider import LocalProvider
from app.services.checks import AnchorMatches, Subject, refusals, setup_refusal

log = logging.getLogger(__name__)

#: How long ``send`` waits for a sync that started sending the same request.
SEND_WAIT = 120.0


@dataclass(frozen=True)
class Checked:
    """A send that passed every check: what :func:`prepare` commits (or a desk's outbox keeps
    until the shared store can be reached)."""

    provider: Provider
    info: PdfInfo
    #: The fields its anchors made (resolved on this machine), and the document's text as it
    #: was read to find them (None when it was not).
    fields: tuple[Field, ...]
    text: str | None
    warnings: tuple[Issue, ...]


def check(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    *,
    provider_id: str | None = None,
    render_id: str | None = None,
) -> Checked:
    """Check the PDF, the spec and the provider's rules; raises on the first refusal. Reads no
    store: a desk that cannot reach the shared store checks its sends the same way."""
    provider = ctx.provider(provider_id)
    setup_refusal(provider, render_id)
    info = check_pdf(pdf_path)
    anchors, fields, text = _anchors(spec, pdf_path, info, provider.capabilities)
    problems, warnings = refusals(Subject(spec, provider, info, render_id, anchors, purpose="send"))
    if problems:
        raise ValidationError(problems, f"The request {spec.name!r}")
    return Checked(provider, info, fields, text, tuple(warnings))


def prepare(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    *,
    provider_id: str | None = None,
    render_id: str | None = None,
    idempotency_key: str | None = None,
    document_name: str | None = None,
    checked: Checked | None = None,
) -> Request:
    """Check the request and commit it to the outbox; returns the queued request.
    ``document_name``: the name the request gives the document (by default the file's);
    ``checked``: what :func:`check` found, when the caller checked it already."""
    if checked is None:
        checked = check(ctx, pdf_path, spec, provider_id=provider_id, render_id=render_id)
    provider, info = checked.provider, checked.info
    store = ctx.store
    key = idempotency_key or str(uuid.uuid4())
    existing = store.outbox.request_for_key(key)
    if existing:
        # The same send again (a retried command): return what was sent, send nothing new.
        return store.requests.get(existing)

    request = _new_request(
        provider.capabilities.id, spec, checked.fields, pdf_path, info, render_id, document_name
    )
    crash_point("before-outbox")
    # Until the request is committed, its working copy is this process's: it holds the send
    # lock, so `sync` can tell a copy whose send died from one being sent right now.
    held = try_lock(ctx.paths.lock("send", request.id))
    if held is None:  # a new id no one else has: cannot happen
        raise RuntimeError(f"the send lock of {request.id} is taken")
    with held:
        _commit_to_outbox(ctx, request, key, pdf_path, info, checked.warnings)
        if checked.text is not None and isinstance(provider, LocalProvider):
            provider.keep_text(request.id, checked.text)  # read for the anchors: not read again
        crash_point("after-outbox")
        # The provider sends the working copy as it was checked here, without reading it again.
        ctx.checked_documents[request.id] = replace(info, path=document_path(ctx, request.id))
    crash_point("after-outbox")
    return request


def _new_request(
    provider_id: str,
    spec: RequestSpec,
    fields: tuple[Field, ...],
    pdf_path: Path,
    info: PdfInfo,
    render_id: str | None,
    document_name: str | None = None,
) -> Request:
    """The request ``prepare`` commits: a new id, the spec with the fields its anchors made."""
    return Request(
        id=str(uuid.uuid4()),
        provider=provider_id,
        spec=replace(spec, fields=(*spec.fields, *fields)),
        # A file name that is not UTF-8 is kept readable (its stray bytes become U+FFFD).
        document_name=document_name or os.fsencode(pdf_path.name).decode("utf-8", "replace"),
        document_sha256=info.sha256,
        page_count=info.page_count,
        render_id=render_id,
    )


def _commit_to_outbox(
    ctx: Context,
    request: Request,
    key: str,
    pdf_path: Path,
    info: PdfInfo,
    warnings: Sequence[Issue],
) -> None:
    """Write the request's working copy (whole, and as checked), then commit the request with
    its key and warnings in one transaction; the copy is removed when either fails. The caller
    holds the request's send lock."""
    store = ctx.store
    pending = ctx.paths.documents_dir / f".pending-{os.getpid()}-{request.id}.pdf"
    digest = atomic_copy(pdf_path, pending, mode=0o600)
    if digest != info.sha256:
        pending.unlink(missing_ok=True)
        raise UserError(
            f"{pdf_path.name} changed while it was being sent: save it, then send again."
        )
    crash_point("after-copy")
    try:
        with store.transaction():
            store.requests.add(request, key)
            # What the provider will not deliver (the message, field labels) is sent
            # without, and kept here: the request's own record says so.
            for warning in warnings:
                store.requests.add_event(request.id, "warning", warning_sentence(warning))
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    log.info("queued request %s (%s) for %s", request.id, request.spec.name, request.provider)


def _anchors(
    spec: RequestSpec, pdf_path: Path, info: PdfInfo, caps: Capabilities
) -> tuple[AnchorMatches | None, tuple[Field, ...], str | None]:
    """The anchors of ``spec`` in the document: what the checks need to judge them, the fields
    they make when they are resolved on this machine, and the document's text as it was read to
    find them (None when it was not)."""
    if not spec.anchor_tags or not (caps.resolves_anchors or caps.sends_anchors):
        return None, (), None
    if caps.resolves_anchors:
        resolution = resolve_anchors(spec, pdf_path, info.pages)
        counts = {
            a.anchor_string: n for a, n in zip(spec.anchor_tags, resolution.counts, strict=True)
        }
        return (
            AnchorMatches(counts, resolved=resolution.problems),
            resolution.fields,
            resolution.text,
        )
    # The provider places them, but the fields they make count against the same limit.
    index = TextIndex.build(pdf_path, ocr=spec.ocr_anchors)
    counts = {
        a.anchor_string: len(index.find(a.anchor_string)) if a.anchor_string else 0
        for a in spec.anchor_tags
    }
    return AnchorMatches(counts), (), None


def earlier_sends(
    ctx: Context, sha256: str, emails: Sequence[str], *, idempotency_key: str | None = None
) -> list[Request]:
    """Requests that sent this very document (same SHA-256) to the same people (the same
    emails, in any order and case), newest first. Failed sends do not count, nor the request
    of ``idempotency_key`` (a send being retried is not a second one)."""
    wanted = sorted(e.strip().lower() for e in emails)
    found = []
    for request_id in ctx.requests.ids_with_document(sha256, except_key=idempotency_key):
        request = ctx.requests.get(request_id)
        if sorted(r.email.strip().lower() for r in request.spec.recipients) == wanted:
            found.append(request)
    return found


def warning_sentence(warning: Issue) -> str:
    """A provider's warning (``message: Craftkit does not …``) as a sentence for people: its
    text without the path."""
    text = str(warning.text)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def warnings_of(ctx: Context, request_id: str) -> list[str]:
    """The warnings recorded when the request was sent (what its provider did not deliver)."""
    return [e.detail for e in ctx.requests.events(request_id) if e.kind == "warning" and e.detail]


async def deliver(ctx: Context, request_id: str, *, wait: float = 0.0) -> Request:
    """Send a queued request to its provider with its outbox key; safe to call again.

    The process holds the request's send lock from before the outbox entry is marked
    ``sending`` until the outcome is stored. When another process holds it (it is sending this
    request right now), this one waits up to ``wait`` seconds, then raises
    :class:`BusyError`; a request that process has sent meanwhile is returned as it is."""
    request = ctx.requests.get(request_id)
    item = ctx.store.outbox.get(request.id)
    if item is None or item.state != "pending":
        return request
    if (elsewhere := sent_elsewhere(ctx, request.id)) is not None:
        raise BusyError(f"{request.name!r} {elsewhere}")
    held = await lock_waiting_async(ctx.paths.lock("send", request.id), wait)
    if held is None:
        raise BusyError(
            f"Another Sealbox is sending {request.name!r} right now: see "
            f"`sealbox show {request.id[:8]}` in a moment."
        )
    with held:
        return await _deliver_locked(ctx, request.id)


async def _deliver_locked(ctx: Context, request_id: str) -> Request:
    requests, outbox = ctx.requests, ctx.store.outbox
    request = requests.get(request_id)
    item = outbox.get(request.id)
    if item is None or not outbox.start_sending(request.id, os.getpid()):
        return request  # sent (or being reconciled) by another process meanwhile
    provider = ctx.provider(request.provider)
    log.info(
        "sending request %s to %s (attempt %d)", request.id, request.provider, item.attempts + 1
    )
    reached("send-calling")
    try:
        report = await provider.create(
            request, checked_document(ctx, request.id), item.idempotency_key
        )
    except AmbiguousSendError as exc:
        log.warning("send of %s ambiguous: %s", request.id, exc.message)
        outbox.mark_reconciling(request.id, exc.message)
        raise
    except UnavailableError as exc:
        # Nothing reached the provider (or it said so): back to pending for the next sync.
        log.warning("send of %s interrupted: %s", request.id, exc.message)
        outbox.mark_failed(request.id, exc.message, final=False)
        raise
    except SealboxError as exc:
        # A conflict ("not ready yet", e.g. a render still running) is worth sending again
        # later; any other refusal ends the request as failed.
        final = not isinstance(exc, ConflictError)
        log.warning("send of %s refused: %s", request.id, exc.message)
        outbox.mark_failed(request.id, exc.message, final=final)
        raise
    crash_point("after-provider")
    outbox.mark_done(request.id, report)
    return requests.get(request.id)


async def send(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    *,
    provider_id: str | None = None,
    render_id: str | None = None,
    idempotency_key: str | None = None,
    checked: Checked | None = None,
) -> Request:
    request = prepare(
        ctx,
        pdf_path,
        spec,
        provider_id=provider_id,
        render_id=render_id,
        idempotency_key=idempotency_key,
        checked=checked,
    )
    if request.status != Status.QUEUED:
        return request
    # A sync that picked the request up between the commit and here is sending it: wait.
    return await deliver(ctx, request.id, wait=SEND_WAIT)


def checked_document(ctx: Context, request_id: str) -> PdfInfo:
    """The working copy of a queued request as its provider sends it: as :func:`prepare` checked
    it when that was this process (the same bytes: the copy's SHA-256 was compared), else
    checked now (a send resumed by ``sync``)."""
    path = document_path(ctx, request_id)
    checked = ctx.checked_documents.pop(request_id, None)
    if checked is not None and checked.path == path:
        return checked
    return check_pdf(path)


def document_path(ctx: Context, request_id: str) -> Path:
    """The working copy of a committed request's PDF, finishing its rename if a send died
    between the commit and the rename."""
    final = ctx.paths.document(request_id)
    if not final.exists():
        for pending in ctx.paths.documents_dir.glob(f".pending-*-{request_id}.pdf"):
            os.replace(pending, final)
            break
    return final


_PENDING = re.compile(r"^\.pending-(\d+)-([0-9a-f-]{36})\.pdf$")
_PENDING_PART = re.compile(r"^\.\.pending-\d+-([0-9a-f-]{36})\.pdf\..*\.part$")


def sent_elsewhere(ctx: Context, request_id: str) -> str | None:
    """Why this desk leaves the send of ``request_id`` to another (None: it is this desk's).

    A request's working copy is written by the desk that commits it, into its own data folder,
    and only that desk can send it: on a shared store another desk's sync finds the request in
    the outbox without its document, and leaves it to that desk (its sync or its app sends it,
    and judges a send of its own that was cut off) rather than failing a request the provider
    may already have."""
    if document_path(ctx, request_id).exists():
        return None
    creator = ctx.requests.creator(request_id)
    who = f"by {creator}" if creator else "at another desk"
    return (
        f"was sent {who}: its document is on that computer, not this one, so that desk's "
        "Sealbox sends it (if that copy is lost, cancel the request and send it again)"
    )


def sending_elsewhere(ctx: Context, request_id: str) -> bool:
    """Whether a live process holds ``request_id``'s send lock (is sending it right now)."""
    return is_held(ctx.paths.lock("send", request_id))


def discard_orphans(ctx: Context) -> list[Path]:
    """Remove working copies left by sends that died before their request was committed, and
    half-written temporary files. Copies of committed requests are moved into place. A copy
    is its sender's while the sender holds the request's send lock, however long it takes."""
    removed: list[Path] = []
    folder = ctx.paths.documents_dir
    if not folder.exists():
        return removed
    for path in folder.iterdir():
        match = _PENDING.match(path.name)
        part = _PENDING_PART.match(path.name)
        if match:
            request_id = match.group(2)
            if ctx.requests.exists(request_id):
                document_path(ctx, request_id)
            elif not sending_elsewhere(ctx, request_id):
                path.unlink(missing_ok=True)
                removed.append(path)
        elif part:
            if not sending_elsewhere(ctx, part.group(1)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                removed.append(path)
        elif path.name.endswith(".part") and _abandoned(path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed.append(path)
    return removed


def _abandoned(path: Path) -> bool:
    """A temporary file no send names as its own: one untouched for an hour is abandoned."""
    try:
        return time.time() - path.stat().st_mtime >= 3600
    except FileNotFoundError:
        return False
