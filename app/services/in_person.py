"""In-person signing: the built-in provider's recipients sign on this computer, in turn.

One service for ``sealbox sign`` and the app's signing screen (Qt-free). Recipients act in
signing order. :meth:`InPersonSigning.open` marks a recipient (and the request) ``viewed``;
:meth:`~InPersonSigning.sign` records a Signer's signature or an Approver's approval with the
values of their fields (typed values, :mod:`app.services.signing_values`);
:meth:`~InPersonSigning.decline` ends the request. Each returns a :class:`Step`: the request as
stored afterwards, and whether it is now to be completed. CC recipients only receive the result.

Every change that depends on whose turn it is checks the turn again inside the store's write
transaction that makes it (a compare-and-set): of two people signing as one recipient at the
same moment, one signs and the other is told it has been done.

Once every acting recipient is done, :meth:`~InPersonSigning.finalize` stamps every value into
the PDF, seals it, builds a sealed completion certificate (:mod:`app.services.completion`) and
marks the request completed, holding the request's completion lock (an OS lock: the kernel
releases it when a process dies) so that one process completes it; then the archive takes the
files (:func:`app.archive.folder.archive_request_async`). Completing is idempotent: if it is
interrupted, ``sealbox sync`` (or the app's next check) finishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import platform
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.archive.folder import Archived, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Designation, Request
from app.domain.text import shown
from app.errors import BusyError, SealboxError, UserError
from app.faults import reached
from app.fsutil import atomic_write_bytes
from app.oslock import is_held, lock_waiting, lock_waiting_async
from app.pdf.stamp import default_handwriting_font
from app.providers import registry
from app.providers.local.certificate import CertificateEvent
from app.providers.local.provider import (
    CERTIFICATE_NAME,
    SEARCH_TEXT_NAME,
    SIGNED_NAME,
    LocalProvider,
)
from app.services.completion import COMPLETED_DETAIL, Sealed, SealJob, seal_job
from app.services.seal_levels import record_seal_levels, timestamp_authority
from app.services.signing_values import FieldInput, Signature, stored_values
from app.storage import storage_error
from app.store.records import DATABASE_ERRORS
from app.store.requests import StateConflict
from app.wording import Alt, Text

if TYPE_CHECKING:
    from app.providers.local.pki import SealIdentity
    from app.secrets import SecretStore

log = logging.getLogger(__name__)

IN_FLIGHT = (Status.SENT, Status.VIEWED)
#: How long a signing waits for another process completing the same request (sealing a very
#: long document takes minutes).
FINALIZE_WAIT = 600.0
#: How to finish a request that was left half-way, in each front end's words.
_FINISH_LATER = Alt("run `sealbox sync`", "Sealbox finishes it at its next check of the requests")


@dataclass(frozen=True)
class Step:
    """What one recipient's action left: the request as stored afterwards, the recipient, the
    event recorded ("viewed", "signed", "approved" or "declined"), and whether every acting
    recipient is now done, so the request is to be completed (stamped, sealed, archived)."""

    request: Request
    recipient: int
    event: str
    needs_completing: bool = False


@dataclass(frozen=True)
class Stopped:
    """Completing or archiving did not finish: which step ("completing it", "archiving it")
    and why. Every signature is kept; ``sealbox sync`` finishes it."""

    step: str
    problem: SealboxError


def recipient_index(request: Request, ref: str) -> int:
    """A recipient by index (as in the spec's ``recipientIndex``, from 0) or by email."""
    recipients = request.spec.recipients
    text = ref.strip()
    if re.fullmatch(r"-?[0-9]+", text):
        index = int(text) if len(text) <= 9 else -1
        if 0 <= index < len(recipients):
            return index
        number = text if len(text) <= 12 else text[:12] + "…"
        raise UserError(
            f"There is no recipient {number}: {request.name!r} has "
            f"recipients 0 to {len(recipients) - 1} (see "
            f"`sealbox show {request.id[:8]}`)."
        )
    matches = [i for i, r in enumerate(recipients) if r.email.lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    raise UserError(
        f"No recipient of {request.name!r} has the email {shown(ref)}: give the "
        "recipient's number or email (see `sealbox show`)."
    )


def _joined(parts: list[str], separator: str) -> list[str]:
    """``parts`` with ``separator`` between them, for ``Text(...)`` (which keeps each part's
    wording for the app, where ``separator.join`` would not)."""
    out: list[str] = []
    for i, part in enumerate(parts):
        out += [separator, part] if i else [part]
    return out


class InPersonSigning:
    """The in-person signing of requests of the built-in provider (see the module docstring)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.requests = ctx.requests
        #: Passwords and PINs entered for this signing only (the app's password dialog), by
        #: keyring name; used before the keyring's, never stored.
        self.entered: dict[str, str] = {}

    def load(self, request_id: str) -> Request:
        request = self.requests.get(request_id)
        if not registry.in_person(request.provider):
            raise UserError(
                f"{request.name!r} was sent through {request.provider}: its "
                "recipients sign with that service, not on this computer."
            )
        return request

    @staticmethod
    def all_done(request: Request) -> bool:
        acting = request.spec.signers_in_order()
        return bool(acting) and all(request.recipients[i].done for i in acting)

    def needs_finalizing(self, request: Request) -> bool:
        return (
            registry.in_person(request.provider)
            and request.status.in_flight
            and self.all_done(request)
        )

    # --- the recipients' steps ------------------------------------------------------------------

    def check_turn(self, request: Request, index: int) -> None:
        """Refuse, saying why, unless it is recipient ``index``'s turn to act on ``request``."""
        if request.status == Status.QUEUED:
            raise UserError(
                Text(
                    f"{request.name!r} has not been sent yet: ",
                    Alt(
                        "run `sealbox sync` first",
                        "Sealbox sends it at the next check of the requests, then try again",
                    ),
                    ".",
                )
            )
        if request.status.terminal:
            raise UserError(
                f"{request.name!r} is already {request.status.value}: nothing can "
                "be signed any more."
            )
        recipient = request.spec.recipients[index]
        if recipient.designation == Designation.CC:
            raise UserError(
                f"{recipient.name} is a CC recipient: they receive the signed "
                "document and have nothing to sign."
            )
        if request.recipients[index].done:
            verb = "approved" if recipient.designation == Designation.APPROVER else "signed"
            waiting: str | Text = ""
            if self.needs_finalizing(request):
                waiting = (
                    " Everyone has signed and it is being completed right now."
                    if is_held(self._lock_path(request.id))
                    else Text(
                        " Everyone has signed; it is waiting to be completed: ", _FINISH_LATER, "."
                    )
                )
            raise UserError(Text(f"{recipient.name} has already {verb} {request.name!r}.", waiting))
        turn = request.next_recipient()
        if turn != index:
            assert turn is not None
            first = request.spec.recipients[turn]
            raise UserError(
                f"It is not {recipient.name}'s turn yet: {first.name} (order "
                f"{first.order}) must act first."
            )

    def open(self, request_id: str, index: int) -> Step:
        """Start recipient ``index``'s signing: marks them, and the request, viewed."""
        request = self.load(request_id)
        self.check_turn(request, index)
        with self.requests.database.write():
            current = self.requests.get(request.id)
            self.check_turn(current, index)
            self._mark_viewed(current, index)
        return Step(self.requests.get(request.id), index, "viewed")

    def _mark_viewed(self, request: Request, index: int) -> None:
        """Inside a write transaction, on ``request`` as read in it."""
        if request.recipients[index].viewed_at is None:
            self.requests.recipient_event(request.id, index, "viewed")
        if request.status == Status.SENT:
            self.requests.set_status(
                request.id,
                Status.VIEWED,
                expect=(Status.SENT,),
                detail=f"opened by {request.spec.recipients[index].name}",
            )

    def sign(
        self,
        request_id: str,
        index: int,
        signature: Signature | None,
        values: dict[int, FieldInput] | None = None,
    ) -> Step:
        """Recipient ``index`` signs (or approves) with ``signature`` and field ``values``.

        Everything is checked first: a refused signing changes nothing. Completing the request
        after the last one is the caller's next step (``Step.needs_completing``)."""
        request = self.load(request_id)
        self.check_turn(request, index)
        recipient = request.spec.recipients[index]
        stored, problems = stored_values(
            recipient,
            index,
            dict(request.spec.fields_for(index)),
            signature,
            values or {},
            date.today().isoformat(),
        )
        if problems:
            raise UserError(
                Text(f"{recipient.name} cannot sign yet: ", *_joined(problems, "; "), ".")
            )
        kind = "approved" if recipient.designation == Designation.APPROVER else "signed"
        reached("sign-checked")
        with self.requests.database.write():
            # The turn is checked again under the store's write lock, and the signature written
            # in the same transaction: of two people signing as one recipient at the same
            # moment, one signs and the other is told it has been done.
            current = self.requests.get(request.id)
            self.check_turn(current, index)
            self._mark_viewed(current, index)
            self.requests.set_field_values(request.id, stored)
            self.requests.recipient_event(
                request.id, index, kind, detail=signature.how if signature else "approval"
            )
        log.info("request %s: recipient %d %s", request.id, index, kind)
        reached("sign-recorded")
        updated = self.requests.get(request.id)
        return Step(updated, index, kind, needs_completing=self.needs_finalizing(updated))

    def decline(self, request_id: str, index: int, reason: str) -> Step:
        if not reason.strip():
            raise UserError(
                Text("Give a reason for declining", Alt(': --decline "REASON"', ""), ".")
            )
        request = self.load(request_id)
        self.check_turn(request, index)
        reached("decline-checked")
        with self.requests.database.write():
            current = self.requests.get(request.id)
            self.check_turn(current, index)
            self._mark_viewed(current, index)
            self.requests.recipient_event(request.id, index, "declined", detail=reason)
            self.requests.set_status(
                request.id,
                Status.DECLINED,
                expect=IN_FLIGHT,
                detail=f"declined by {request.spec.recipients[index].name}",
                error_message=reason,
            )
        return Step(self.requests.get(request.id), index, "declined")

    # --- completing -----------------------------------------------------------------------------

    def identity(self) -> SealIdentity:
        """The identity that seals, as Settings › In person chooses it, ready to sign: close it
        when done. A password or PIN that is neither kept nor entered (:attr:`entered`) raises
        :class:`~app.errors.SecretNeededError`."""
        # pyHanko takes a good part of a second to import: only when sealing.
        from app.providers.local.choice import SealChoice, open_seal_identity

        choice = SealChoice.read(lambda key: getattr(self.ctx.settings, key, None))
        secrets = _Entered(self.entered, self.ctx.secrets)
        return open_seal_identity(choice, self.ctx.paths.seal_dir, secrets)

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
            try:
                sealed = seal_job(job)
            finally:
                job.identity.close()
            return self._commit(job, sealed)

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
            try:
                sealed = await asyncio.to_thread(seal_job, job)
            finally:
                job.identity.close()
            return self._commit(job, sealed)

    def complete_and_archive(self, request_id: str) -> Stopped | None:
        """Seal and archive a request whose signers are all done (the command line's way: on
        this thread); if that stopped, the step and the reason (the request stays as far as it
        got, for ``sync`` to finish, and an archiving problem is kept on the request)."""
        step = "completing it"
        try:
            self.finalize(request_id)
            step = "archiving it"
            asyncio.run(archive_request_async(self.ctx, request_id))
        except SealboxError as exc:
            problem: SealboxError = exc
        except OSError as exc:
            problem = storage_error(exc, database=self.ctx.paths.database) or UserError(
                f"{exc.strerror or exc} ({exc.filename})."
            )
        else:
            return None
        if step == "archiving it":
            with contextlib.suppress(SealboxError, OSError, *DATABASE_ERRORS):  # a full disk, too
                self.ctx.store.archive.set_error(request_id, problem.message)
        return Stopped(step, problem)

    async def complete_and_archive_async(self, request_id: str) -> Archived:
        """Seal (in a worker thread) and archive a request whose signers are all done, or
        archive a completed one; the app's way. Errors are raised: every signature is kept."""
        await self.finalize_async(request_id)
        return await archive_request_async(self.ctx, request_id)

    def _lock_path(self, request_id: str) -> Path:
        return self.ctx.paths.lock("finalize", self.requests.resolve_id(request_id))

    def _busy(self, request_id: str) -> BusyError:
        request = self.requests.get(request_id)
        return BusyError(
            Text(
                f"Another Sealbox is completing {request.name!r} right now: it "
                "will be archived when that is done (",
                Alt(
                    "`sealbox sync` finishes it otherwise",
                    "Sealbox finishes it at its next check otherwise",
                ),
                ").",
            )
        )

    def _prepare(self, request_id: str) -> SealJob | Request:
        from app.services.send import document_path

        request = self.load(request_id)
        if request.status == Status.COMPLETED:
            return request
        if request.status.terminal:
            raise UserError(
                f"{request.name!r} is already {request.status.value}: it cannot be completed."
            )
        if not self.needs_finalizing(request):
            raise UserError(f"{request.name!r} cannot be completed yet: not everyone has signed.")
        original = document_path(self.ctx, request.id).read_bytes()
        if hashlib.sha256(original).hexdigest() != request.document_sha256:
            raise UserError(
                f"The working copy of {request.name!r} no longer matches what was "
                "sent: the request cannot be completed."
            )
        history = self.requests.events(request.id)
        events = [
            CertificateEvent(
                at=e.at, event=e.kind, detail=_event_detail(request, e.detail, e.recipient_index)
            )
            for e in history
        ]
        hows = {
            e.recipient_index: e.detail
            for e in history
            if e.kind == "signed" and e.recipient_index is not None and e.detail
        }
        tsa = timestamp_authority(self.ctx.settings, self.ctx.secrets, self.ctx.environ)
        text = LocalProvider(self.ctx.paths).original_text(request.id)
        values, font = self.requests.field_values(request.id), default_handwriting_font()
        # Opened last: the caller closes it (a token's session) once the seals are made.
        return SealJob(
            request=request,
            original=original,
            values=values,
            events=events,
            host=platform.node() or "this computer",
            font=font,
            sender=self.ctx.settings.sender(self.ctx.environ),
            hows=hows,
            original_text=text,
            tsa=tsa,
            identity=self.identity(),
        )

    def _commit(self, job: SealJob, sealed: Sealed) -> Request:
        folder = LocalProvider(self.ctx.paths).result_dir(job.request.id)
        written = [folder / SIGNED_NAME, folder / CERTIFICATE_NAME]
        if sealed.search_text is not None:
            digest = hashlib.sha256(sealed.signed).hexdigest()
            written.append(folder / SEARCH_TEXT_NAME)
            atomic_write_bytes(
                written[2], f"sha256 {digest}\n{sealed.search_text}".encode(), mode=0o600
            )
        atomic_write_bytes(written[0], sealed.signed, mode=0o600)
        atomic_write_bytes(written[1], sealed.certificate, mode=0o600)
        log.info("request %s sealed by %s", job.request.id, job.identity.subject)
        record_seal_levels(self.requests, job.request.id, sealed.levels, sealed.revoked)
        try:
            # Only a request still in flight is completed (cancelled or expired meanwhile:
            # the sealed files go, nothing else changes).
            self.requests.set_status(
                job.request.id,
                Status.COMPLETED,
                at=sealed.completed_at,
                detail=COMPLETED_DETAIL,
                expect=IN_FLIGHT,
            )
        except StateConflict:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        return self.requests.get(job.request.id)


def _event_detail(request: Request, detail: str | None, index: int | None) -> str:
    who = request.spec.recipients[index].name if index is not None else ""
    return " — ".join(part for part in (who, detail or "") if part)


class _Entered:
    """The secrets entered for one signing, before the keyring's (read only)."""

    def __init__(self, entered: dict[str, str], secrets: SecretStore) -> None:
        self.entered = entered
        self.secrets = secrets

    def get(self, name: str) -> str | None:
        return self.entered.get(name) or self.secrets.get(name)

    def set(self, name: str, value: str) -> None:
        self.secrets.set(name, value)

    def delete(self, name: str) -> None:
        self.secrets.delete(name)
