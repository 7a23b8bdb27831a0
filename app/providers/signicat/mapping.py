"""Signicat's JSON and Sealbox's request: tokens, uploads, collections and signing sessions read
back, the session sent, its error format. See the package's docstring for the assumptions.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from app.domain.clock import iso, now
from app.domain.lifecycle import Status
from app.domain.model import Request
from app.domain.report import RecipientReport, Report
from app.errors import SealboxError
from app.logs import register_secret
from app.providers.errors import AuthenticationError
from app.providers.http_errors import ErrorBody, Refusal, default_error_body
from app.providers.signicat.info import NAME
from app.providers.wire import Answer
from app.wording import Credentials, Text

SIGNING_FLOW = "AUTHENTICATION_BASED"
PACKAGE_TYPE = "PADES_CONTAINER"

#: Signicat's ``lifecycle.state`` onto Sealbox's lifecycle: the one table of this provider.
#: Only these two states are documented; any other is treated as still in flight.
STATUS_TABLE: dict[str, Status] = {
    "READY": Status.SENT,
    "SIGNED": Status.COMPLETED,
}
UNKNOWN_STATE_STATUS = Status.SENT

LOGIN_HINT = Text(Credentials("signicat", NAME, ("client_id", "client_secret")))

ANSWER = Answer(NAME)


def _id(data: dict[str, Any], key: str, what: str) -> str:
    value = ANSWER.text(data, key, what)
    if len(value) > 200 or any(c.isspace() or not c.isprintable() for c in value):
        raise ANSWER.bad(f"{what} whose {key} is not an identifier")
    return value


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: float | None


def parse_token_response(data: Any) -> Token:
    """An OAuth 2.0 token response: ``access_token``, ``token_type`` Bearer, ``expires_in``."""
    what = "a token response"
    body = ANSWER.object(data, what)
    token = ANSWER.text(body, "access_token", what)
    # RFC 6750 b64token: visible ASCII only, or it cannot go into a header.
    register_secret(token)
    if not all(0x21 <= ord(c) <= 0x7E for c in token):
        raise ANSWER.bad("an access token that cannot be sent in a header")
    token_type = ANSWER.optional(body, "token_type", what)
    if token_type is not None and token_type.lower() != "bearer":
        raise ANSWER.bad(f"a token of type {token_type[:40]!r} instead of a Bearer token")
    raw = body.get("expires_in")
    expires: float | None = None
    if raw is not None:
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if (
            isinstance(raw, bool)
            or not isinstance(raw, int | float)
            or not math.isfinite(raw)
            or raw <= 0
        ):
            raise ANSWER.bad(
                "a token response whose expires_in is not a positive number of seconds"
            )
        expires = float(raw)
    return Token(token, expires)


@dataclass(frozen=True)
class Upload:
    document_id: str
    hash_algorithm: str | None
    hash: str | None


def parse_document_response(data: Any) -> Upload:
    what = "an uploaded document"
    body = ANSWER.object(data, what)
    document_id = _id(body, "documentId", what)
    algorithm: str | None = None
    value: str | None = None
    digest = body.get("documentHash")
    if digest is not None:
        digest = ANSWER.object(digest, "a documentHash")
        algorithm = ANSWER.optional(digest, "hashAlgorithm", "a documentHash")
        value = ANSWER.optional(digest, "hash", "a documentHash")
    return Upload(document_id, algorithm, value)


def hash_mismatch(upload: Upload, digest: bytes) -> bool:
    """True only when the reported hash is readable and says another document arrived."""
    if upload.hash is None or upload.hash_algorithm is None:
        return False
    if upload.hash_algorithm.replace("-", "").upper() != "SHA256":
        return False
    try:
        decoded = base64.b64decode(upload.hash, validate=True)
    except (binascii.Error, ValueError):
        return False
    if decoded in (digest, digest.hex().encode(), digest.hex().upper().encode()):
        return False
    return len(decoded) in (32, 64)


def parse_collection_response(data: Any) -> str:
    return _id(ANSWER.object(data, "a document collection"), "id", "a document collection")


@dataclass(frozen=True)
class Session:
    """What Sealbox reads from a signing session."""

    id: str
    state: str
    final: bool | None
    signature_url: str | None
    external_reference: str | None
    package_document_id: str | None
    raw: dict[str, Any]


def _package(body: dict[str, Any]) -> str | None:
    """The result document id of the session's PAdES package, once it exists."""
    output = body.get("output")
    if output is None:
        return None
    output = ANSWER.object(output, "a session's output")
    if output.get("packages") is not None and not isinstance(output.get("packages"), list):
        raise ANSWER.bad("a session output whose packages are not a list")
    for entry in ANSWER.objects(output, "packages", "a session's output"):
        kind = ANSWER.optional(entry, "packageType", "a package")
        if kind in (None, PACKAGE_TYPE) and entry.get("resultDocumentId") is not None:
            return _id(entry, "resultDocumentId", "a package")
    return None


def parse_session(data: Any) -> Session:
    what = "a signing session"
    body = ANSWER.object(data, what)
    session_id = _id(body, "id", what)
    if body.get("lifecycle") is None:
        raise ANSWER.bad("a signing session without lifecycle")
    lifecycle = ANSWER.object(body["lifecycle"], "a session lifecycle")
    state = ANSWER.text(lifecycle, "state", "a session lifecycle")
    final = ANSWER.flag(lifecycle, "stateIsFinal", "a session lifecycle")
    url = ANSWER.optional(body, "signatureUrl", what)
    if url is not None and not url.startswith(("https://", "http://")):
        raise ANSWER.bad("a signing session whose signatureUrl is not a web address")
    reference = ANSWER.optional(body, "externalReference", what)
    return Session(session_id, state.strip().upper(), final, url, reference, _package(body), body)


def parse_session_list(data: Any) -> list[Session]:
    """The answer of create and of the external-reference query: a JSON array of sessions."""
    if not isinstance(data, list):
        raise ANSWER.bad("an unexpected shape (the signing sessions are not a list)")
    return [parse_session(item) for item in data]


def signer_index(request: Request) -> int:
    """The spec recipient a session belongs to. A session names nobody (there is no email to
    match by), so it is the first recipient in signing order: preflight allows only one."""
    order = request.spec.signers_in_order()
    return order[0] if order else 0


def session_report(request: Request, session: Session) -> Report:
    """A signing session in Sealbox's vocabulary (status through :data:`STATUS_TABLE`)."""
    status = STATUS_TABLE.get(session.state, UNKNOWN_STATE_STATUS)
    message: str | None = None
    if session.state not in STATUS_TABLE and session.final:
        message = (
            f"{NAME} reports the signing session as {session.state[:40]!r}, a final "
            "state Sealbox does not know: look at the session in the Signicat "
            "Dashboard."
        )
    index = signer_index(request)
    signed_at: datetime | None = None
    if status == Status.COMPLETED:
        known = request.recipients[index].signed_at if index < len(request.recipients) else None
        signed_at = known or now()
    recipients: tuple[RecipientReport, ...] = ()
    if index < len(request.spec.recipients):
        recipients = (
            RecipientReport(
                index=index,
                provider_recipient_id=session.id,
                signed_at=signed_at,
                signing_url=session.signature_url,
            ),
        )
    return Report(
        status=status,
        provider_id=session.id,
        recipients=recipients,
        error_message=message,
        completed_at=signed_at,
        payload=session.raw,
    )


def session_body(
    request: Request, collection_id: str, document_id: str, identity_providers: list[str]
) -> dict[str, Any]:
    """One signing session of ``POST /signing-sessions`` for ``request``."""
    setup: dict[str, Any] = {"signingFlow": SIGNING_FLOW}
    if identity_providers:
        setup = {"identityProviders": [{"idpName": p} for p in identity_providers], **setup}
    due = now() + timedelta(hours=request.spec.expiration_hours)
    return {
        "title": request.spec.name,
        "externalReference": request.id,
        "documents": [
            {"action": "SIGN", "documentCollectionId": collection_id, "documentId": document_id}
        ],
        "signingSetup": [setup],
        "packageTo": [PACKAGE_TYPE],
        "dueDate": iso(due),
    }


# --- errors --------------------------------------------------------------------------------------


def signicat_error_body(response: httpx.Response) -> ErrorBody:
    """Problem details (RFC 7807) with Signicat's ``invalidParams``, or an OAuth error."""
    body = default_error_body(response)
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return body
    if not isinstance(data, dict) or not isinstance(data.get("invalidParams"), list):
        return body
    issues = list(body.issues)
    for item in data["invalidParams"][:20]:
        if isinstance(item, dict):
            name = item.get("name")
            reason = item.get("reason")
            if isinstance(name, str) and isinstance(reason, str):
                issues.append(f"{name}: {reason}")
            elif isinstance(reason, str):
                issues.append(reason)
        elif isinstance(item, str):
            issues.append(item)
    return ErrorBody(code=body.code, message=body.message, issues=tuple(issues))


#: The operation of the call that fetches an access token.
TOKEN = "token"


def status_hook(refusal: Refusal) -> SealboxError | None:
    """Signicat's own meaning of a status: the token endpoint's 400, 401 and 403 all say that
    the client credentials were refused."""
    if refusal.operation != TOKEN or refusal.status not in (400, 401, 403, 422):
        return None
    said = refusal.body.code or "refused"
    detail = f"{said}: {refusal.body.issues[0]}" if refusal.body.issues else said
    return AuthenticationError(
        Text(f"{NAME} refused the API client credentials ({detail}): ", LOGIN_HINT, "."),
        **refusal.kwargs(),
    )
