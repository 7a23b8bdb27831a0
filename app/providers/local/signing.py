"""In-person signing for the ``local`` provider: open, sign, approve, decline, finalize.

Recipients act in signing order. Opening a recipient's signing marks them (and the request)
``viewed``. A Signer signs with a typed name or a PNG image, which fills their signature and
initials fields; dates are filled with the signing date unless given; text, checkbox, dropdown and
radio values are given per field. An Approver approves (and fills any fields they have). CC
recipients only receive the result.

When the last acting recipient is done, :func:`finalize` stamps every value into the PDF, seals it
with a PAdES signature, builds a sealed completion certificate, and marks the request completed.
Finalizing is idempotent: if it is interrupted, ``sealbox sync`` runs it again.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import logging
import platform
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.context import Context
from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Designation, FieldType, Request
from app.domain.text import shown
from app.errors import BusyError, UserError
from app.faults import crash_point, reached
from app.fsutil import atomic_write_bytes
from app.oslock import is_held, lock_waiting, lock_waiting_async
from app.pdf.stamp import AnchorText, Stamp, default_handwriting_font, stamp_pdf
from app.providers.local.certificate import (
    CertificateData,
    CertificateEvent,
    CertificateRecipient,
    build_certificate_pdf,
)
from app.providers.local.provider import (
    CERTIFICATE_NAME,
    SEARCH_TEXT_NAME,
    SIGNED_NAME,
    LocalProvider,
)
from app.store.requests import FieldValue, StateConflict
from app.userfiles import display_name, read_user_file
from app.wording import Alt, Text

if TYPE_CHECKING:
    from app.providers.local.pki import SealIdentity

log = logging.getLogger(__name__)

PKCS12_PASSPHRASE = "local.pkcs12_passphrase"
TYPED_SIGNATURE = "typed signature"
DRAWN_SIGNATURE = "drawn signature"
UPLOADED_SIGNATURE = "uploaded signature image"
MAX_SIGNATURE_IMAGE = 5 * 1024 * 1024
TRUTHY = {"1", "true", "yes", "y", "on", "x", "checked"}
FALSY = {"0", "false", "no", "n", "off", ""}
IN_FLIGHT = (Status.SENT, Status.VIEWED)
#: How long a signing waits for another process completing the same request (sealing a very
#: long document takes minutes).
FINALIZE_WAIT = 600.0


@dataclass(frozen=True)
class Signature:
    """How a recipient signs: a typed name, or a PNG image of their handwriting (drawn on the
    signing screen, or an image file they brought: ``uploaded``)."""

    typed: str | None = None
    image_png: bytes | None = None
    uploaded: bool = False

    @property
    def how(self) -> str:
        """The way of signing as the history and the certificate name it."""
        if self.typed is not None:
            return TYPED_SIGNATURE
        return UPLOADED_SIGNATURE if self.uploaded else DRAWN_SIGNATURE

    def __post_init__(self) -> None:
        if (self.typed is None) == (self.image_png is None):
            raise ValueError("a signature is either typed or an image")


def read_signature_image(path: Path) -> bytes:
    """Read and check a PNG signature image; a clear error for each problem."""
    label = f"The signature image {display_name(path)}"
    data = read_user_file(path, label, "a PNG signature image", MAX_SIGNATURE_IMAGE)
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise UserError(f"{label} is not a PNG file: save the signature as PNG and try again.")
    return data


def initials_of(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p]
    return "".join(p[0].upper() for p in parts)[:4] or name[:2]


def recipient_index(request: Request, ref: str) -> int:
    """A recipient by index (as in the spec's ``recipientIndex``, from 0) or by email."""
    recipients = request.spec.recipients
    text = ref.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        index = int(text) if len(text) <= 9 else -1
        if 0 <= index < len(recipients):
            return index
        number = text if len(text) <= 12 else text[:12] + "…"
        raise UserError(f"There is no recipient {number}: {request.name!r} has "
                        f"recipients 0 to {len(recipients) - 1} (see "
                        f"`sealbox show {request.id[:8]}`).")
    matches = [i for i, r in enumerate(recipients) if r.email.lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    raise UserError(f"No recipient of {request.name!r} has the email {shown(ref)}: give the "
                    "recipient's number or email (see `sealbox show`).")


#: How a Signer gives a signature, in each front end's words.
_SIGN_WITH = Alt("pass --typed-signature NAME or --signature-image PNG",
                 "sign with a drawn or typed signature")


def _joined(parts: list[str], separator: str) -> list[str]:
    """``parts`` with ``separator`` between them, for ``Text(...)`` (which keeps each part's
    wording for the app, where ``separator.join`` would not)."""
    out: list[str] = []
    for i, part in enumerate(parts):
        out += [separator, part] if i else [part]
    return out


class LocalSigning:
    """The in-person signing steps for requests of the ``local`` provider."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.requests = ctx.requests

    def load(self, request_id: str) -> Request:
        request = self.requests.get(request_id)
        if request.provider != "local":
            raise UserError(f"{request.name!r} was sent through {request.provider}: its "
                            "recipients sign with that service, not on this computer.")
        return request

    def _check_turn(self, request: Request, index: int) -> None:
        if request.status == Status.QUEUED:
            raise UserError(Text(f"{request.name!r} has not been sent yet: ", Alt(
                "run `sealbox sync` first",
                "Sealbox sends it at the next check of the requests, then try again"), "."))
        if request.status.terminal:
            raise UserError(f"{request.name!r} is already {request.status.value}: nothing can "
                            "be signed any more.")
        recipient = request.spec.recipients[index]
        if recipient.designation == Designation.CC:
            raise UserError(f"{recipient.name} is a CC recipient: they receive the signed "
                            "document and have nothing to sign.")
        state = request.recipients[index]
        if state.done:
            verb = "approved" if recipient.designation == Designation.APPROVER else "signed"
            waiting = ""
            if self.needs_finalizing(request):
                waiting = (" Everyone has signed and it is being completed right now."
                           if is_held(self._lock_path(request.id)) else
                           " Everyone has signed; it is waiting to be completed: run `sealbox "
                           "sync`.")
            raise UserError(f"{recipient.name} has already {verb} {request.name!r}.{waiting}")
        turn = request.next_recipient()
        if turn != index:
            assert turn is not None
            first = request.spec.recipients[turn]
            raise UserError(f"It is not {recipient.name}'s turn yet: {first.name} (order "
                            f"{first.order}) must act first.")

    def open(self, request_id: str, index: int) -> Request:
        """Start recipient ``index``'s signing: marks them, and the request, viewed."""
        request = self.load(request_id)
        self._check_turn(request, index)
        with self.requests.database.write():
            current = self.requests.get(request.id)
            self._check_turn(current, index)
            self._mark_viewed(current, index)
        return self.requests.get(request.id)

    def _mark_viewed(self, request: Request, index: int) -> None:
        """Inside a write transaction, on ``request`` as read in it."""
        if request.recipients[index].viewed_at is None:
            self.requests.recipient_event(request.id, index, "viewed")
        if request.status == Status.SENT:
            self.requests.set_status(request.id, Status.VIEWED, expect=(Status.SENT,),
                                     detail=f"opened by {request.spec.recipients[index].name}")

    def sign(self, request_id: str, index: int, signature: Signature | None,
             values: dict[int, str] | None = None, *, complete: bool = True) -> Request:
        """Recipient ``index`` signs (or approves) with ``signature`` and field ``values``; the
        last one completes the request too (unless ``complete`` is False: the caller does).

        Everything is checked first: a refused signing changes nothing."""
        request = self.load(request_id)
        self._check_turn(request, index)
        recipient = request.spec.recipients[index]
        values = dict(values or {})
        own = dict(request.spec.fields_for(index))
        foreign = sorted(set(values) - set(own))
        if foreign:
            raise UserError(f"Field {foreign[0]} does not belong to {recipient.name}: give only "
                            f"the fields of recipient {index} "
                            f"({', '.join(map(str, sorted(own))) or 'none'}).")
        stored: dict[int, FieldValue] = {}
        problems: list[str] = []
        today = date.today().isoformat()
        for idx, f in own.items():
            given = values.get(idx)
            if f.type in (FieldType.SIGNATURE, FieldType.INITIALS):
                if signature is None:
                    if f.required:
                        problems.append(Text(f"field {idx} ({f.type.value}) needs a signature: ",
                                             _SIGN_WITH))
                    continue
                if signature.image_png is not None:
                    stored[idx] = FieldValue(None, signature.image_png)
                else:
                    assert signature.typed is not None
                    text = signature.typed if f.type == FieldType.SIGNATURE else initials_of(
                        signature.typed)
                    stored[idx] = FieldValue(text, None)
            elif f.type == FieldType.DATE:
                stored[idx] = FieldValue(given or today, None)
            elif f.type == FieldType.CHECKBOX:
                flag = (given or "").strip().lower()
                if flag not in TRUTHY | FALSY:
                    problems.append(f"field {idx} (checkbox) takes yes or no, not {given!r}")
                    continue
                if f.required and flag not in TRUTHY:
                    problems.append(Text(f"field {idx} (checkbox) is required: ",
                                         Alt(f"pass --field {idx}=yes", "tick it")))
                    continue
                stored[idx] = FieldValue("true" if flag in TRUTHY else "false", None)
            elif f.type.has_options:
                if given is None:
                    if f.required:
                        problems.append(Text(
                            f"field {idx} ({f.type.value}) is required: ",
                            Alt(f"pass --field {idx}=VALUE with", "choose"),
                            f" one of: {', '.join(f.options)}"))
                    continue
                if given not in f.options:
                    problems.append(f"field {idx} ({f.type.value}): {given!r} is not one of "
                                    f"{', '.join(f.options)}")
                    continue
                stored[idx] = FieldValue(given, None)
            else:
                if not given:
                    if f.required:
                        label = f" {f.label!r}" if f.label else ""
                        problems.append(Text(f"field {idx} ({f.type.value}{label}) is required: ",
                                             Alt(f"pass --field {idx}=TEXT", "fill it in")))
                    continue
                stored[idx] = FieldValue(given, None)
        if recipient.designation == Designation.SIGNER and signature is None:
            problems.append(Text(f"{recipient.name} is a Signer: ", _SIGN_WITH))
        if problems:
            raise UserError(Text(f"{recipient.name} cannot sign yet: ",
                                 *_joined(problems, "; "), "."))
        kind = "approved" if recipient.designation == Designation.APPROVER else "signed"
        how = signature.how if signature else "approval"
        reached("sign-checked")
        with self.requests.database.write():
            # The turn is checked again under the store's write lock, and the signature written
            # in the same transaction: of two people signing as one recipient at the same
            # moment, one signs and the other is told it has been done.
            current = self.requests.get(request.id)
            self._check_turn(current, index)
            self._mark_viewed(current, index)
            self.requests.set_field_values(request.id, stored)
            self.requests.recipient_event(request.id, index, kind, detail=how)
        log.info("request %s: recipient %d %s", request.id, index, kind)
        reached("sign-recorded")
        request = self.requests.get(request.id)
        if complete and request.next_recipient() is None and self.all_done(request):
            self.finalize(request.id)
        return self.requests.get(request.id)

    def decline(self, request_id: str, index: int, reason: str) -> Request:
        if not reason.strip():
            raise UserError(Text("Give a reason for declining",
                                 Alt(": --decline \"REASON\"", ""), "."))
        request = self.load(request_id)
        self._check_turn(request, index)
        reached("decline-checked")
        with self.requests.database.write():
            current = self.requests.get(request.id)
            self._check_turn(current, index)
            self._mark_viewed(current, index)
            self.requests.recipient_event(request.id, index, "declined", detail=reason)
            self.requests.set_status(request.id, Status.DECLINED, expect=IN_FLIGHT,
                                     detail=f"declined by {request.spec.recipients[index].name}",
                                     error_message=reason)
        return self.requests.get(request.id)

    @staticmethod
    def all_done(request: Request) -> bool:
        acting = request.spec.signers_in_order()
        return bool(acting) and all(request.recipients[i].done for i in acting)

    def needs_finalizing(self, request: Request) -> bool:
        return (request.provider == "local" and request.status.in_flight
                and self.all_done(request))

    # --- sealing --------------------------------------------------------------------------------

    def identity(self) -> SealIdentity:
        # pyHanko takes a good part of a second to import: only when sealing.
        from app.providers.local.pki import ensure_installation_identity, load_pkcs12_identity

        custom = self.ctx.settings.seal_pkcs12
        if custom:
            return load_pkcs12_identity(Path(custom).expanduser(),
                                        self.ctx.secrets.get(PKCS12_PASSPHRASE))
        return ensure_installation_identity(self.ctx.paths.seal_dir, self.ctx.secrets)

    def finalize(self, request_id: str, *, wait: float = FINALIZE_WAIT) -> Request:
        """Stamp, seal and certify a fully signed request, then mark it completed.

        One process at a time finalizes a request: it holds the request's finalize lock
        throughout. Another waits up to ``wait`` seconds for it (then :class:`BusyError`) and
        finds the request completed."""
        held = lock_waiting(self._lock_path(request_id), wait)
        if held is None:
            raise self._busy(request_id)
        with held:
            job = self._prepare(request_id)
            if isinstance(job, Request):
                return job
            return self._commit(job, *_seal(job))

    async def finalize_async(self, request_id: str, *, wait: float = FINALIZE_WAIT) -> Request:
        """:meth:`finalize` with the CPU-heavy part (stamping, sealing, the certificate) in a
        worker thread; the store is only touched from the calling thread."""
        held = await lock_waiting_async(self._lock_path(request_id), wait)
        if held is None:
            raise self._busy(request_id)
        with held:
            job = self._prepare(request_id)
            if isinstance(job, Request):
                return job
            return self._commit(job, *await asyncio.to_thread(_seal, job))

    def _lock_path(self, request_id: str) -> Path:
        return self.ctx.paths.lock("finalize", self.requests.resolve_id(request_id))

    def _busy(self, request_id: str) -> BusyError:
        request = self.requests.get(request_id)
        return BusyError(f"Another Sealbox is completing {request.name!r} right now: it will "
                         "be archived when that is done (`sealbox sync` finishes it otherwise).")

    def _prepare(self, request_id: str) -> _SealJob | Request:
        from app.services.send import document_path

        request = self.load(request_id)
        if request.status == Status.COMPLETED:
            return request
        if request.status.terminal:
            raise UserError(f"{request.name!r} is already {request.status.value}: it cannot be "
                            "completed.")
        if not self.needs_finalizing(request):
            raise UserError(f"{request.name!r} cannot be completed yet: not everyone has signed.")
        original = document_path(self.ctx, request.id).read_bytes()
        if hashlib.sha256(original).hexdigest() != request.document_sha256:
            raise UserError(f"The working copy of {request.name!r} no longer matches what was "
                            "sent: the request cannot be completed.")
        values = self.requests.field_values(request.id)
        events = [
            CertificateEvent(at=e.at, event=e.kind,
                             detail=self._event_detail(request, e.detail, e.recipient_index))
            for e in self.requests.events(request.id)
        ]
        sender_name, sender_email = self.ctx.settings.sender(self.ctx.environ)
        hows = {e.recipient_index: e.detail for e in self.requests.events(request.id)
                if e.kind == "signed" and e.recipient_index is not None and e.detail}
        return _SealJob(request=request, original=original, values=values, events=events,
                        identity=self.identity(), host=platform.node() or "this computer",
                        font=default_handwriting_font(), sender=(sender_name, sender_email),
                        hows=hows,
                        original_text=LocalProvider(self.ctx.paths).original_text(request.id))

    def _commit(self, job: _SealJob, signed: bytes, certificate: bytes,
                completed_at: datetime, search_text: str | None) -> Request:
        folder = LocalProvider(self.ctx.paths).result_dir(job.request.id)
        written = [folder / SIGNED_NAME, folder / CERTIFICATE_NAME]
        if search_text is not None:
            digest = hashlib.sha256(signed).hexdigest()
            written.append(folder / SEARCH_TEXT_NAME)
            atomic_write_bytes(written[2], f"sha256 {digest}\n{search_text}".encode(), mode=0o600)
        atomic_write_bytes(written[0], signed, mode=0o600)
        atomic_write_bytes(written[1], certificate, mode=0o600)
        log.info("request %s sealed by %s", job.request.id, job.identity.subject)
        try:
            # Only a request still in flight is completed (cancelled or expired meanwhile:
            # the sealed files go, nothing else changes).
            self.requests.set_status(job.request.id, Status.COMPLETED, at=completed_at,
                                     detail="stamped and sealed on this computer",
                                     expect=IN_FLIGHT)
        except StateConflict:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return self.requests.get(job.request.id)

    @staticmethod
    def _event_detail(request: Request, detail: str | None, index: int | None) -> str:
        who = request.spec.recipients[index].name if index is not None else ""
        return " — ".join(part for part in (who, detail or "") if part)


@dataclass(frozen=True)
class _SealJob:
    """Everything finalizing needs, read from the store up front."""

    request: Request
    original: bytes
    values: dict[int, FieldValue]
    events: list[CertificateEvent]
    identity: SealIdentity
    host: str
    font: Path
    sender: tuple[str | None, str | None]
    #: How each recipient signed ("typed signature", "uploaded signature image", ...).
    hows: dict[int, str] = field(default_factory=dict)
    #: The text of the document as sent, kept when the request was created (None: not kept).
    original_text: str | None = None


def _seal(job: _SealJob) -> tuple[bytes, bytes, datetime, str | None]:
    """Stamp every value, seal the document, build and seal the certificate, and write the
    signed document's text for search when the original's was kept (no store access)."""
    request = job.request
    stamps = []
    for idx, f in enumerate(request.spec.fields):
        value = job.values.get(idx)
        if value is None:
            continue
        if value.image is not None:
            stamps.append(Stamp(f.page, f.rect, "image", value.image))
        elif f.type in (FieldType.SIGNATURE, FieldType.INITIALS):
            stamps.append(Stamp(f.page, f.rect, "typed_signature", value.value or ""))
        elif f.type == FieldType.CHECKBOX:
            stamps.append(Stamp(f.page, f.rect, "checkbox", value.value or "false"))
        else:
            stamps.append(Stamp(f.page, f.rect, "text", value.value or ""))
    from app.providers.local.seal import seal_pdf

    # Anchor texts ({{sign_here}}) come off the page under their fields unless the spec keeps
    # them, also under a field left empty.
    anchor_texts = [AnchorText(f.page, f.anchor_rect) for f in request.spec.fields
                    if f.anchor_rect is not None and f.remove_anchor_text]
    stamped = stamp_pdf(job.original, stamps, job.font, anchor_texts=anchor_texts)
    signed = seal_pdf(stamped, job.identity,
                      reason=f"Signed in person with Sealbox: {request.name}", location=job.host)
    crash_point("during-sealing")
    reached("sealing")
    completed_at = now()
    certificate = seal_pdf(build_certificate_pdf(_certificate_data(job, signed, completed_at),
                                                 job.font),
                           job.identity, reason=f"Completion certificate: {request.name}",
                           location=job.host)
    return signed, certificate, completed_at, _search_text(job)


def _search_text(job: _SealJob) -> str | None:
    """The words of the signed document: the original's, less the anchor texts taken off the
    pages, and the stamped values (not checkbox states)."""
    if job.original_text is None:
        return None
    text = job.original_text
    fields = job.request.spec.fields
    for anchor in {f.anchor for f in fields if f.anchor and f.anchor_rect and
                   f.remove_anchor_text}:
        text = text.replace(anchor, "")
    values = [value.value for idx, value in sorted(job.values.items())
              if value.value and idx < len(fields) and fields[idx].type != FieldType.CHECKBOX]
    return "\n".join([text, *values])


def _certificate_data(job: _SealJob, signed: bytes, completed_at: datetime) -> CertificateData:
    request = job.request
    recipients = []
    for i, r in enumerate(request.spec.recipients):
        state = request.recipients[i]
        image = typed = None
        for idx, f in request.spec.fields_for(i):
            value = job.values.get(idx)
            if f.type == FieldType.SIGNATURE and value is not None:
                image = value.image
                typed = value.value
                break
        recipients.append(CertificateRecipient(
            name=r.name, email=r.email, designation=r.designation.value, order=r.order,
            viewed_at=state.viewed_at, signed_at=state.signed_at,
            declined_at=state.declined_at, decline_reason=state.decline_reason,
            signature_png=image, typed_signature=typed, signature_how=job.hows.get(i),
        ))
    events = [*job.events, CertificateEvent(at=completed_at, event="completed",
                                            detail="stamped and sealed on this computer")]
    return CertificateData(
        request_name=request.name, request_id=request.id, provider=request.provider,
        original_sha256=hashlib.sha256(job.original).hexdigest(),
        signed_sha256=hashlib.sha256(signed).hexdigest(),
        created_at=request.created_at, completed_at=completed_at,
        recipients=recipients, events=events, host=job.host, os_user=_os_user(),
        sender_name=job.sender[0], sender_email=job.sender[1],
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
