"""Completing an in-person request once everyone has signed: stamp, seal, certify.

:class:`~app.services.in_person.InPersonSigning` reads everything the work needs from the store
into a :class:`SealJob` (under the request's completion lock), hands it to :func:`seal_job`
(no store access: it runs in a worker thread for the app), and stores the result.
:func:`seal_job` stamps every value into the PDF at its field (taking anchor texts off the page
unless the request keeps them), seals the document with the installation's PAdES seal, builds
the completion certificate and seals that too, and writes the signed document's words for the
archive's search from the original's and the stamped values.
"""

from __future__ import annotations

import asyncio
import getpass
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.clock import now
from app.domain.model import FieldType, Request
from app.faults import crash_point, reached
from app.pdf.stamp import AnchorText, Stamp, stamp_pdf
from app.providers.local.certificate import (
    CertificateData,
    CertificateEvent,
    CertificateRecipient,
    build_certificate_pdf,
)
from app.store.requests import FieldValue

if TYPE_CHECKING:
    from app.providers.local.ltv import TimestampAuthority
    from app.providers.local.pki import SealIdentity

#: What completing records as the request's last event.
COMPLETED_DETAIL = "stamped and sealed on this computer"


@dataclass(frozen=True)
class SealJob:
    """Everything completing needs, read from the store up front."""

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
    #: The timestamp authority for long-term seals (None: seals are PAdES B-B, as before).
    tsa: TimestampAuthority | None = None


@dataclass(frozen=True)
class Sealed:
    """What :func:`seal_job` made: the signed PDF, the certificate, when it was completed, and
    the signed document's words (None when the original's were not kept)."""

    signed: bytes
    certificate: bytes
    completed_at: datetime
    search_text: str | None
    #: With a timestamp authority: each sealed file's kind ("signed", "certificate") with the
    #: PAdES level it reached and, below B-LTA, why.
    levels: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: Per sealed file: the certificates its revocation data says are revoked (when, by whom).
    revoked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def seal_job(job: SealJob) -> Sealed:
    """Stamp every value, seal the document, build and seal the certificate, and write the
    signed document's text for search when the original's was kept (no store access)."""
    request = job.request
    # Anchor texts ({{sign_here}}) come off the page under their fields unless the spec keeps
    # them, also under a field left empty.
    anchor_texts = [
        AnchorText(f.page, f.anchor_rect)
        for f in request.spec.fields
        if f.anchor_rect is not None and f.remove_anchor_text
    ]
    stamped = stamp_pdf(job.original, _stamps(job), job.font, anchor_texts=anchor_texts)
    levels: dict[str, tuple[str, str | None]] = {}
    revoked: dict[str, list[dict[str, Any]]] = {}
    signed = _seal(
        stamped, job, f"Signed in person with Sealbox: {request.name}", ("signed", levels, revoked)
    )
    crash_point("during-sealing")
    reached("sealing")
    completed_at = now()
    certificate = _seal(
        build_certificate_pdf(_certificate_data(job, signed, completed_at), job.font),
        job,
        f"Completion certificate: {request.name}",
        ("certificate", levels, revoked),
    )
    return Sealed(signed, certificate, completed_at, _search_text(job), levels, revoked)


#: The kind of file being sealed, and where its level and revocations are noted.
_Notes = tuple[str, dict[str, tuple[str, str | None]], dict[str, list[dict[str, Any]]]]


def _seal(pdf: bytes, job: SealJob, reason: str, notes: _Notes) -> bytes:
    """Seal ``pdf``: PAdES B-B without a timestamp authority (no network), else as far up as
    B-LTA as the network allows, noting the level reached in ``levels``."""
    # pyHanko takes a good part of a second to import: only when sealing.
    if job.tsa is None:
        from app.providers.local.seal import seal_pdf

        return seal_pdf(pdf, job.identity, reason=reason, location=job.host)
    from app.providers.local.ltv import seal_long_term

    sealed = asyncio.run(
        seal_long_term(pdf, job.identity, job.tsa, reason=reason, location=job.host)
    )
    kind, levels, revoked = notes
    levels[kind] = (sealed.level, sealed.reason)
    if sealed.revoked:
        revoked[kind] = [r.to_json() for r in sealed.revoked]
    return sealed.pdf


def _stamps(job: SealJob) -> list[Stamp]:
    stamps = []
    for idx, f in enumerate(job.request.spec.fields):
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
    return stamps


def _search_text(job: SealJob) -> str | None:
    """The words of the signed document: the original's, less the anchor texts taken off the
    pages, and the stamped values (not checkbox states)."""
    if job.original_text is None:
        return None
    text = job.original_text
    fields = job.request.spec.fields
    for anchor in {f.anchor for f in fields if f.anchor and f.anchor_rect and f.remove_anchor_text}:
        text = text.replace(anchor, "")
    values = [
        value.value
        for idx, value in sorted(job.values.items())
        if value.value and idx < len(fields) and fields[idx].type != FieldType.CHECKBOX
    ]
    return "\n".join([text, *values])


def _certificate_data(job: SealJob, signed: bytes, completed_at: datetime) -> CertificateData:
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
        recipients.append(
            CertificateRecipient(
                name=r.name,
                email=r.email,
                designation=r.designation.value,
                order=r.order,
                viewed_at=state.viewed_at,
                signed_at=state.signed_at,
                declined_at=state.declined_at,
                decline_reason=state.decline_reason,
                signature_png=image,
                typed_signature=typed,
                signature_how=job.hows.get(i),
            )
        )
    events = [
        *job.events,
        CertificateEvent(at=completed_at, event="completed", detail=COMPLETED_DETAIL),
    ]
    return CertificateData(
        request_name=request.name,
        request_id=request.id,
        provider=request.provider,
        original_sha256=hashlib.sha256(job.original).hexdigest(),
        signed_sha256=hashlib.sha256(signed).hexdigest(),
        created_at=request.created_at,
        completed_at=completed_at,
        recipients=recipients,
        events=events,
        host=job.host,
        os_user=_os_user(),
        sender_name=job.sender[0],
        sender_email=job.sender[1],
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
