"""ItaSign's JSON and Sealbox's request: the create body out (the PDF in base64, streamed),
documents and their signers back in, its error format. See the package's docstring for the
assumptions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.report import RecipientReport, Report
from app.providers.errors import ProviderRejectedError
from app.providers.http_errors import ErrorBody, default_error_body
from app.providers.itasign.info import NAME
from app.providers.wire import Answer, match_recipients

#: ItaSign's document statuses onto Sealbox's lifecycle: the one table of this provider.
#: ``pending`` becomes ``viewed`` once a signer's own status is in ``SIGNER_VIEWED``.
STATUS_TABLE: dict[str, Status] = {
    "draft": Status.QUEUED,
    "pending": Status.SENT,
    "partially_signed": Status.VIEWED,
    "completed": Status.COMPLETED,
    "declined": Status.DECLINED,
    "expired": Status.EXPIRED,
    "voided": Status.CANCELLED,
}
#: ItaSign's signer statuses (every one documented); the ones that say the signer opened it.
SIGNER_STATUSES = frozenset({"pending", "notified", "viewed", "signed", "declined"})
SIGNER_VIEWED = frozenset({"viewed"})

_MESSAGES: dict[Status, str] = {
    Status.EXPIRED: "The request expired on ItaSign before everyone had signed.",
    Status.CANCELLED: "The request was voided on ItaSign.",
}

ANSWER = Answer(NAME)


# --- the create body ---------------------------------------------------------------------------


class Base64JsonBody:
    """``prefix + base64(file) + suffix`` as an async byte stream of known length; every
    iteration (every attempt) reads the file afresh."""

    CHUNK = 3 * 64 * 1024  # a multiple of 3: the chunks' base64 concatenates cleanly

    def __init__(self, prefix: bytes, path: Path, size: int, suffix: bytes) -> None:
        self.prefix, self.path, self.suffix = prefix, path, suffix
        self.length = len(prefix) + 4 * ((size + 2) // 3) + len(suffix)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        with self.path.open("rb") as handle:
            while chunk := handle.read(self.CHUNK):
                yield base64.b64encode(chunk)
        yield self.suffix

    def read_all(self) -> bytes:
        """The whole body at once (for tests)."""
        with self.path.open("rb") as handle:
            return self.prefix + base64.b64encode(handle.read()) + self.suffix


def create_body(request: Request, pdf: Path, size: int) -> Base64JsonBody:
    """The JSON body of ``POST /documents`` for the ``size`` bytes at ``pdf``: streamed, with
    the PDF base64-encoded chunk by chunk as it is sent, so the document is never held in memory
    whole."""
    spec = request.spec
    fields: dict[str, Any] = {
        "title": spec.name,
        "file_type": "base64",
        "signers": [
            {"name": r.name, "email": r.email, "signing_order": r.order} for r in spec.recipients
        ],
        "send": True,
        "external_reference": request.id,
    }
    if spec.message:
        fields["message"] = spec.message
    rest = json.dumps(fields, separators=(",", ":")).encode("ascii")
    # Base64's alphabet needs no JSON escaping; ``rest`` starts with "{" and is never empty.
    return Base64JsonBody(b'{"file":"', pdf, size, b'",' + rest[1:])


# --- reading ItaSign's answers -----------------------------------------------------------------


def _check_success(data: dict[str, Any]) -> None:
    success = data.get("success", True)
    if success is True:
        return
    if success is False:
        said = data.get("error") if isinstance(data.get("error"), str) else None
        detail = f" ({said.strip()[:300]})" if said and said.strip() else ""
        raise ProviderRejectedError(
            f"{NAME} refused the request{detail}: check the document and "
            "the signers, then try again."
        )
    raise ANSWER.bad("an unreadable success flag")


def answer_body(data: Any, what: str = "the answer") -> dict[str, Any]:
    """An answer's object, once its ``success`` flag says it is not a refusal."""
    body = ANSWER.object(data, what)
    _check_success(body)
    return body


def _indexes(spec: RequestSpec, signers: list[dict[str, Any]]) -> list[int | None]:
    emails = [s.get("email") for s in signers]
    return match_recipients([e if isinstance(e, str) else None for e in emails], spec)


def parse_create_response(data: Any, spec: RequestSpec) -> tuple[str, Status, Report]:
    """The answer to ``POST /documents`` (or ``/send``): the document id, its ItaSign status
    mapped, and the report (signers' ids and signing links by spec index)."""
    body = answer_body(data)
    document = ANSWER.object(body.get("document"), "a document")
    doc_id = ANSWER.text(document, "id", "a document")
    status = ANSWER.one_of(STATUS_TABLE, document.get("status"), "document status")
    signers = ANSWER.objects(body, "signers", "the answer")
    recipients = [
        RecipientReport(
            index=index,
            provider_recipient_id=ANSWER.optional(signer, "id", "a signer"),
            signing_url=ANSWER.optional(signer, "signing_url", "a signer"),
        )
        for signer, index in zip(signers, _indexes(spec, signers), strict=True)
        if index is not None
    ]
    return (
        doc_id,
        status,
        Report(status=status, provider_id=doc_id, recipients=tuple(recipients), payload=body),
    )


def _signer_status(signer: dict[str, Any]) -> str:
    state = signer.get("status")
    if not isinstance(state, str) or state not in SIGNER_STATUSES:
        shown = state[:40] if isinstance(state, str) else type(state).__name__
        raise ANSWER.bad(f"an unknown signer status ({shown!r})")
    return state


def parse_status_response(
    data: Any, spec: RequestSpec, document_id: str, seen_at: datetime
) -> Report:
    """The answer to ``GET /documents/{id}/status``. ``seen_at`` stands in for the times ItaSign
    does not give (a signer's viewing or declining)."""
    body = answer_body(data)
    answered_id = ANSWER.optional(body, "documentId", "the answer")
    if answered_id is not None and answered_id != document_id:
        raise ANSWER.bad(f"the status of another document ({answered_id[:40]!r})")
    status = ANSWER.one_of(STATUS_TABLE, body.get("status"), "document status")
    signers = ANSWER.objects(body, "signerStatuses", "the answer")
    recipients: list[RecipientReport] = []
    signed_times: list[datetime] = []
    decliners: list[str] = []
    states = [_signer_status(signer) for signer in signers]
    for signer, state, index in zip(signers, states, _indexes(spec, signers), strict=True):
        signed_time = ANSWER.time(signer, "signedTime", "a signer")
        signed_at = (signed_time or seen_at) if state == "signed" else None
        if signed_at is not None:
            signed_times.append(signed_at)
        if state == "declined":
            name = ANSWER.optional(signer, "name", "a signer")
            decliners.append(
                name or (spec.recipients[index].name if index is not None else "A signer")
            )
        if index is not None:
            recipients.append(
                RecipientReport(
                    index=index,
                    provider_recipient_id=ANSWER.optional(signer, "id", "a signer"),
                    viewed_at=seen_at if state == "viewed" else None,
                    signed_at=signed_at,
                    declined_at=seen_at if state == "declined" else None,
                )
            )
    if status == Status.SENT and any(state in SIGNER_VIEWED for state in states):
        status = Status.VIEWED
    completed_at = max(signed_times) if status == Status.COMPLETED and signed_times else None
    message = _MESSAGES.get(status)
    if status == Status.DECLINED:
        who = ", ".join(decliners) if decliners else "A signer"
        message = f"{who} declined to sign on {NAME}."
    return Report(
        status=status,
        provider_id=document_id,
        recipients=tuple(recipients),
        error_message=message,
        completed_at=completed_at,
        payload=body,
    )


def parse_void_response(data: Any, document_id: str, reason: str | None) -> Report:
    """The answer to ``POST /documents/{id}/void``."""
    body = answer_body(data)
    document = ANSWER.object(body.get("document"), "a document")
    answered_id = ANSWER.optional(document, "id", "a document")
    if answered_id is not None and answered_id != document_id:
        raise ANSWER.bad(f"another document ({answered_id[:40]!r})")
    status = ANSWER.one_of(STATUS_TABLE, document.get("status"), "document status")
    if status != Status.CANCELLED:
        raise ANSWER.bad(f"a void that left the document {status.value}")
    return Report(
        status=Status.CANCELLED,
        provider_id=document_id,
        error_message=reason or _MESSAGES[Status.CANCELLED],
        completed_at=ANSWER.time(document, "voided_at", "a document"),
        payload=body,
    )


def itasign_error_body(response: httpx.Response) -> ErrorBody:
    """``{"success": false, "error": "<message>", "details": [...]}``: the message is ``error``."""
    body = default_error_body(response)
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return body
    if isinstance(data, dict) and isinstance(data.get("error"), str) and data["error"].strip():
        code = data.get("code") if isinstance(data.get("code"), str) else None
        return ErrorBody(
            code=code, message=body.message or data["error"].strip()[:500], issues=body.issues
        )
    return body
