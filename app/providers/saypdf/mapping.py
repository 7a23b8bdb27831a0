"""SayPDF's JSON and Sealbox's request: the ``CreateDocumentDto`` out, documents back in, its
error format and its own meaning of some statuses. See the package's docstring for the
assumptions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx

from app.domain.clock import now
from app.domain.geometry import to_percent
from app.domain.lifecycle import Status
from app.domain.model import RequestSpec
from app.domain.report import RecipientReport, Report
from app.errors import SealboxError, UserError
from app.logs import register_secret
from app.pdf.document import PdfInfo
from app.providers.errors import AuthenticationError, ConflictError, OutOfCreditsError
from app.providers.http_errors import ErrorBody, Refusal
from app.providers.saypdf.info import NAME
from app.providers.wire import Answer, match_recipients
from app.wording import Text

#: SayPDF pages are numbered from 0.
PAGE_BASE: Literal[0] = 0

Operation = Literal["login", "create", "list", "get", "download", "certificate", "cancel"]

#: Every endpoint Sealbox calls, relative to the base URL (``{id}`` is the document id).
ENDPOINTS: dict[Operation, tuple[str, str]] = {
    "login": ("POST", "auth/login"),
    "create": ("POST", "esign/documents"),
    "list": ("GET", "esign/documents"),
    "get": ("GET", "esign/documents/{id}"),
    "download": ("GET", "esign/documents/{id}/download"),
    "certificate": ("GET", "esign/documents/{id}/certificate"),
    "cancel": ("POST", "esign/documents/{id}/cancel"),
}

#: SayPDF's document status -> Sealbox's. ``pending`` becomes ``viewed`` once a party has opened
#: the document (see :func:`_top_status`).
STATUSES: dict[str, Status] = {
    "draft": Status.SENT,
    "pending": Status.SENT,
    "completed": Status.COMPLETED,
    "declined": Status.DECLINED,
    "expired": Status.EXPIRED,
    "cancelled": Status.CANCELLED,
}

#: Party statuses that mean the party has opened the document.
_PARTY_SEEN = frozenset({"viewed", "signed", "declined"})

ANSWER = Answer(NAME)


# --- the request ---------------------------------------------------------------------------------


def _clamp(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 4)


def expires_in_days(hours: int) -> int:
    return max(1, math.ceil(hours / 24))


def create_document(
    spec: RequestSpec, pdf: PdfInfo, owner_email: str, owner_name: str | None
) -> dict[str, Any]:
    """The ``CreateDocumentDto`` for ``spec`` on ``pdf`` (fields converted to percentages)."""
    pages = pdf.pages
    parties: list[dict[str, Any]] = []
    for i, r in enumerate(spec.recipients):
        fields: list[dict[str, Any]] = []
        for _, f in spec.fields_for(i):
            if not 1 <= f.page <= len(pages):
                raise UserError(
                    f"A field of {spec.name!r} is on page {f.page}, but the "
                    f"document has {len(pages)} pages: place it again."
                )
            pct = to_percent(f.rect, pages[f.page - 1], PAGE_BASE)
            fields.append(
                {
                    "type": f.type.value,
                    "page": pct.page,
                    "x": _clamp(pct.x),
                    "y": _clamp(pct.y),
                    "width": _clamp(pct.width),
                    "height": _clamp(pct.height),
                }
            )
        parties.append(
            {"name": r.name or r.email, "email": r.email, "signingOrder": r.order, "fields": fields}
        )
    dto: dict[str, Any] = {"title": spec.name}
    if spec.message:
        dto["message"] = spec.message
    dto["ownerEmail"] = owner_email
    if owner_name:
        dto["ownerName"] = owner_name
    dto["expiresInDays"] = expires_in_days(spec.expiration_hours)
    dto["parties"] = parties
    return dto


# --- reading answers -----------------------------------------------------------------------------


def _success(data: Any) -> dict[str, Any]:
    body = ANSWER.object(data, "an answer")
    if body.get("success") is not True:
        raise ANSWER.bad('an answer without "success": true')
    return body


@dataclass(frozen=True)
class _Party:
    id: str | None
    email: str | None
    status: str | None
    viewed_at: datetime | None
    signed_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None

    @property
    def seen(self) -> bool:
        return (
            self.status in _PARTY_SEEN
            or self.viewed_at is not None
            or self.signed_at is not None
            or self.declined_at is not None
        )


def _party(obj: dict[str, Any], moment: datetime) -> _Party:
    what = "a party"
    pid = obj.get("id")
    if pid is not None and not isinstance(pid, str | int):
        raise ANSWER.bad("a party whose id is not text")
    status = ANSWER.optional(obj, "status", what)
    viewed = ANSWER.time(obj, "viewedAt", what)
    signed = ANSWER.time(obj, "signedAt", what)
    declined = ANSWER.time(obj, "declinedAt", what)
    # The status says so but no time came with it: the moment Sealbox learnt it.
    if status == "signed" and signed is None:
        signed = moment
    if status == "declined" and declined is None:
        declined = moment
    if status in _PARTY_SEEN and viewed is None:
        viewed = signed or declined or moment
    return _Party(
        id=None if pid is None or isinstance(pid, bool) else str(pid),
        email=ANSWER.optional(obj, "email", what),
        status=status,
        viewed_at=viewed,
        signed_at=signed,
        declined_at=declined,
        decline_reason=ANSWER.optional(obj, "declineReason", what),
    )


def _top_status(raw: str, parties: Sequence[_Party]) -> Status:
    status = ANSWER.one_of(STATUSES, raw, "document status")
    if status == Status.SENT and raw == "pending" and any(p.seen for p in parties):
        return Status.VIEWED
    return status


def _error_message(
    status: Status, matched: list[tuple[int, _Party]], spec: RequestSpec
) -> str | None:
    if status == Status.DECLINED:
        decliner = next(((i, p) for i, p in matched if p.declined_at is not None), None)
        if decliner is None:
            return "A signer declined to sign."
        who = spec.recipients[decliner[0]]
        why = f": {decliner[1].decline_reason}" if decliner[1].decline_reason else ""
        return f"{who.name or who.email} declined to sign{why}"
    if status == Status.EXPIRED:
        return "The request expired before everyone had signed."
    if status == Status.CANCELLED:
        return "The request was cancelled."
    return None


def _report(
    document_id: str,
    raw_status: str,
    holder: dict[str, Any],
    spec: RequestSpec,
    payload: dict[str, Any],
    completed_at: datetime | None,
) -> Report:
    moment = now()
    parties = [_party(p, moment) for p in ANSWER.objects(holder, "parties", "a document")]
    status = _top_status(raw_status, parties)
    indexes = match_recipients([p.email for p in parties], spec)
    matched = sorted(
        ((i, p) for i, p in zip(indexes, parties, strict=True) if i is not None),
        key=lambda pair: pair[0],
    )
    recipients = tuple(
        RecipientReport(
            index=i,
            provider_recipient_id=p.id,
            viewed_at=p.viewed_at,
            signed_at=p.signed_at,
            declined_at=p.declined_at,
            decline_reason=p.decline_reason,
        )
        for i, p in matched
    )
    if status == Status.COMPLETED and completed_at is None:
        signed = [p.signed_at for p in parties if p.signed_at is not None]
        completed_at = max(signed) if signed else None
    if status != Status.COMPLETED:
        completed_at = None
    return Report(
        status=status,
        provider_id=document_id,
        recipients=recipients,
        error_message=_error_message(status, matched, spec),
        completed_at=completed_at,
        payload=payload,
    )


def report_from_document(data: Any, spec: RequestSpec) -> Report:
    """``{"success": true, "document": SigningDocument}`` (get, cancel) -> a Report."""
    body = _success(data)
    what = "a document"
    document = ANSWER.object(body.get("document"), what)
    return _report(
        ANSWER.identifier(document, "id", what),
        ANSWER.text(document, "status", what),
        document,
        spec,
        body,
        ANSWER.time(document, "completedAt", what),
    )


def report_from_create(data: Any, spec: RequestSpec) -> Report:
    """The create answer, in either documented shape, -> a Report."""
    body = _success(data)
    if "document" in body:
        return report_from_document(body, spec)
    what = "a created document"
    return _report(
        ANSWER.identifier(body, "documentId", what),
        ANSWER.text(body, "status", what),
        body,
        spec,
        body,
        None,
    )


def documents_from_list(data: Any) -> list[dict[str, Any]]:
    """``{"success": true, "documents": [SigningDocument]}`` -> the documents, each checked to
    have an id and a known status."""
    body = _success(data)
    if not isinstance(body.get("documents"), list):
        raise ANSWER.bad("a document list that is not a list")
    documents = ANSWER.objects(body, "documents", "a document list")
    for document in documents:
        ANSWER.identifier(document, "id", "a document")
        ANSWER.one_of(STATUSES, ANSWER.text(document, "status", "a document"), "document status")
    return documents


def token_from_login(data: Any) -> str:
    """``{"access_token": "eyJ…"}`` -> the token."""
    body = ANSWER.object(data, "a sign-in answer")
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip() or any(c in token for c in "\r\n"):
        raise ANSWER.bad("a sign-in answer without an access_token")
    register_secret(token.strip())
    return token.strip()


# --- errors --------------------------------------------------------------------------------------


def error_body(response: httpx.Response) -> ErrorBody:
    """NestJS errors: ``{"statusCode", "message": str | [str], "error"}``, or plain text."""
    text = response.text.strip()
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return ErrorBody(message=text[:500] or None)
    if not isinstance(data, dict):
        return ErrorBody(message=text[:500] or None)
    code = data.get("error") if isinstance(data.get("error"), str) else None
    raw = data.get("message")
    messages: list[str] = []
    if isinstance(raw, str) and raw.strip():
        messages = [raw.strip()]
    elif isinstance(raw, list):
        messages = [m.strip() for m in raw[:20] if isinstance(m, str) and m.strip()]
    message = "; ".join(messages) or code
    return ErrorBody(code=code, message=message, issues=tuple(messages))


def status_hook(login_hint: Callable[[], str]) -> Callable[[Refusal], SealboxError | None]:
    """SayPDF's own meaning of 403 (a quota used up, or another account's document) and, per
    operation, of 400 (a cancel of a finished document, a download before completion)."""

    def meaning(refusal: Refusal) -> SealboxError | None:
        said, kwargs = refusal.said, refusal.kwargs()
        if refusal.status == 403:
            if "quota" in said.lower():
                return OutOfCreditsError(
                    f"The {NAME} account's quota is used up{said}: upgrade the {NAME} plan or "
                    "wait until the quota renews, then send again.",
                    **kwargs,
                )
            return AuthenticationError(
                Text(
                    f"{NAME} refused access{said}: the request belongs to another {NAME} account "
                    "or the quota is used up; check that Sealbox uses the account it was sent with "
                    "(",
                    login_hint(),
                    ").",
                ),
                **kwargs,
            )
        if refusal.status in (400, 422):
            issues = "; ".join(refusal.body.issues)
            detail = f" ({issues})" if issues else ""
            if refusal.operation == "cancel":
                return ConflictError(
                    f"{NAME} cannot cancel this request{detail}: only a request still waiting "
                    "for signatures can be cancelled.",
                    **kwargs,
                )
            if refusal.operation in ("download", "certificate"):
                what = "signed PDF" if refusal.operation == "download" else "certificate"
                return ConflictError(
                    f"{NAME} has no {what} for this request yet{detail}: it is ready once "
                    "everyone has signed; Sealbox will try again later.",
                    **kwargs,
                )
        return None

    return meaning
