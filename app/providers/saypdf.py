"""SayPDF e-sign (provider id ``saypdf``): multipart upload, fields in page percentages.

A request is one ``POST /esign/documents`` (``multipart/form-data``): the PDF and a ``data`` part
holding the JSON ``CreateDocumentDto`` (title, message, ownerEmail, ownerName, expiresInDays,
parties with their fields). Fields are percentages (0–100) of the displayed page with a top-left
origin on 0-based pages; anchors are resolved on this machine before ``create`` is called. The
document is then read back, cancelled and downloaded (signed PDF with embedded PKCS#7
signatures, certificate of completion) by its id. SayPDF signs its webhooks with HMAC-SHA256 of
the raw body in ``X-SayPDF-Signature`` (see :func:`parse_webhook`).

Configuration:

* ``api_key`` (keyring ``saypdf.api_key``, env ``SEALBOX_SAYPDF_API_KEY``) — the primary mode:
  every call carries ``X-API-Key`` and goes to the API-key host, :data:`DEFAULT_BASE_URL`.
* Without an API key, ``email`` and ``password`` (``SEALBOX_SAYPDF_EMAIL``,
  ``SEALBOX_SAYPDF_PASSWORD``) sign in at ``POST /auth/login`` on :data:`LOGIN_BASE_URL`; the
  ``access_token`` it returns is sent as ``Authorization: Bearer <JWT>`` and renewed once when a
  call answers 401.
* ``base_url`` (setting, env ``SEALBOX_SAYPDF_BASE_URL``) overrides the host in either mode.
* The sender's email and name (``SEALBOX_SENDER_EMAIL``/``SEALBOX_SENDER_NAME`` or settings) are
  the request's ``ownerEmail``/``ownerName``.

Assumptions where the document is silent (kept in the constants and tables below):

* Base URL: the API-key host ``https://api.saypdf.com/api/v1`` (the one the document shows with
  ``X-API-Key``) serves every ``/esign/documents`` endpoint with ``X-API-Key``, not only create;
  the JWT host ``https://pdf.classicmovie.net/api`` is the default only in email/password mode.
* Endpoint paths lost from the page are the conventional REST ones next to the documented
  ``/esign/documents`` (table :data:`ENDPOINTS`): ``GET /esign/documents/:id``,
  ``GET /esign/documents/:id/download``, ``GET /esign/documents/:id/certificate`` and
  ``POST /esign/documents/:id/cancel`` (sent without a body; the cancel reason is kept only in
  Sealbox).
* The PDF part is named ``pdf`` (:data:`FILE_PART`), as in every example (the table says
  ``file``): the examples are what the service was observed to accept.
* The create answer is read in both documented shapes: ``{"document": {"id", "status", …}}``
  (JWT example) and ``{"documentId", "status", "parties"}`` (API-key example). Every success has
  ``"success": true`` (as the document says); an answer without it is refused as unreadable. The
  login answer is only ``{"access_token"}``.
* Parties are read as ``{"id", "email", "status", "viewedAt", "signedAt", "declinedAt",
  "declineReason"}`` with party statuses ``pending``/``viewed``/``signed``/``declined`` (only
  ``pending`` is shown); an unknown party status is ignored. A party whose status says it
  viewed/signed/declined but that carries no time is given the time Sealbox learnt it.
* Document status ``declined`` exists (the ``document.declined`` webhook implies it) besides the
  five listed; ``draft`` ("reserved") counts as ``sent``; ``pending`` becomes ``viewed`` once any
  party has opened, signed or declined. Any other status is an unreadable answer.
  ``completedAt`` (or else the last ``signedAt``) is the completion time.
* ``expiresInDays`` is ``expirationHours`` rounded up to whole days (at least 1).
* ``signingOrder`` is always sent (the spec's orders are unique, so signing is sequential).
* SayPDF parties are all signers and its fields carry no ``required`` flag or label: CC and
  Approver recipients and optional fields are refused before sending, every signer needs at
  least one field or anchor, and field labels are not sent.
* No idempotency key is documented, so none is sent and a create is never retried after it may
  have arrived. There is no external reference either, so ``reconcile`` raises
  ``CapabilityError`` (the user looks the request up in SayPDF).
* A 400 answer to a cancel means the document is no longer pending, and to a download or
  certificate that it is not completed yet (both ``ConflictError``). A 403 mentioning a quota is
  ``OutOfCreditsError``; any other 403 is an ``AuthenticationError`` (not your resource).
* Webhooks carry no delivery id and no signed timestamp: the delivery id is the SHA-256 of the raw
  body (a retried delivery has the same body), and no age limit is applied because the document
  describes retries up to hours later and replays at any time. The signature is the bare hex
  digest (no ``sha256=`` prefix is shown, so none is accepted).
* The size limit is Sealbox's own 20 MiB (SayPDF documents none).
* Connection check: ``GET /esign/documents``, the documented list, which reads and changes
  nothing (in email/password mode after ``POST /auth/login``, which only issues a token). A 401
  is "rejected the API key" (or the email or password); an answer without ``"success": true``
  and a document list means the base URL is not SayPDF's API. The sender's email is not needed
  for it.
* A PDF that is already signed is refused: SayPDF puts the values on the pages before it
  embeds its PKCS#7 signature ("finalized with PKCS#7 signature embedding"), which is taken as
  a rewrite that breaks earlier signatures (``signed_pdfs``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import quote

import httpx

from app.domain.clock import now, parse_iso
from app.domain.geometry import to_percent
from app.domain.lifecycle import Status
from app.domain.model import EMAIL_RE, Designation, FieldType, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.errors import CapabilityError, UserError
from app.logs import register_secret
from app.pdf.document import MAX_PDF_BYTES, PdfInfo, check_pdf
from app.providers.base import (
    CHECK_ATTEMPTS,
    FINISH_SENDING,
    SENDER_SETTING,
    Capabilities,
    ProviderConfig,
    WebhookEvent,
    WebhookRejected,
    base_url_setting,
    capability_problems,
    credentials_rejected,
    delivery_warnings,
    not_the_api,
)
from app.providers.errors import (
    AuthenticationError,
    BadResponseError,
    ConflictError,
    InvalidRequestError,
    OutOfCreditsError,
    RemoteNotFoundError,
)
from app.providers.http import UPLOAD_TIMEOUT, ErrorBody, ProviderHttp, RetryPolicy
from app.wording import Alt, Text

PROVIDER_ID = "saypdf"
NAME = "SayPDF"

#: The API-key host (``X-API-Key``): the default.
DEFAULT_BASE_URL = "https://api.saypdf.com/api/v1"
#: The host of ``/auth/login`` and Bearer JWTs: the default in email/password mode.
LOGIN_BASE_URL = "https://pdf.classicmovie.net/api"

API_KEY_HEADER = "X-API-Key"
SIGNATURE_HEADER = "X-SayPDF-Signature"
#: The multipart part carrying the PDF (``pdf`` in every example; ``file`` in the table).
FILE_PART = "pdf"
#: The multipart part carrying the JSON ``CreateDocumentDto``.
DATA_PART = "data"
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

#: Field types a ``CreateFieldDto`` takes (its ``type`` is named the same as Sealbox's).
FIELD_TYPES = frozenset({FieldType.SIGNATURE, FieldType.INITIALS, FieldType.DATE,
                         FieldType.TEXT})

CAPABILITIES = Capabilities(
    id=PROVIDER_ID,
    name=NAME,
    field_types=FIELD_TYPES,
    anchors="local",
    cancel=True,
    certificate=True,
    list=True,
    webhooks=True,
    idempotency=False,
    max_bytes=MAX_PDF_BYTES,
    field_labels=False,
)


# --- reading answers ---------------------------------------------------------------------------


def _bad(what: str) -> BadResponseError:
    return BadResponseError(f"{NAME} answered with {what}: try again later.")


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"{what} that is not an object")
    return data


def _success(data: Any) -> dict[str, Any]:
    body = _object(data, "an answer")
    if body.get("success") is not True:
        raise _bad('an answer without "success": true')
    return body


def _string(obj: Mapping[str, Any], key: str, what: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise _bad(f"{what} without {key}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(f"{what} whose {key} is not a string")
    return value


def _time(obj: Mapping[str, Any], key: str, what: str) -> datetime | None:
    text = _string(obj, key, what, required=False)
    if not text:
        return None
    try:
        return parse_iso(text)
    except (ValueError, OverflowError) as exc:
        raise _bad(f"{what} whose {key} is not a date ({text[:40]!r})") from exc


def _status(raw: str) -> Status:
    try:
        return STATUSES[raw]
    except KeyError:
        raise _bad(f"an unknown document status {raw[:40]!r}") from None


def _parties(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("parties that are not a list")
    return [_object(p, "a party") for p in value]


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
        return (self.status in _PARTY_SEEN or self.viewed_at is not None
                or self.signed_at is not None or self.declined_at is not None)


def _party(obj: dict[str, Any], moment: datetime) -> _Party:
    what = "a party"
    pid = obj.get("id")
    if pid is not None and not isinstance(pid, str | int):
        raise _bad("a party whose id is not a string")
    status = _string(obj, "status", what, required=False)
    viewed = _time(obj, "viewedAt", what)
    signed = _time(obj, "signedAt", what)
    declined = _time(obj, "declinedAt", what)
    # The status says so but no time came with it: the moment Sealbox learnt it.
    if status == "signed" and signed is None:
        signed = moment
    if status == "declined" and declined is None:
        declined = moment
    if status in _PARTY_SEEN and viewed is None:
        viewed = signed or declined or moment
    return _Party(
        id=None if pid is None or isinstance(pid, bool) else str(pid),
        email=_string(obj, "email", what, required=False),
        status=status,
        viewed_at=viewed,
        signed_at=signed,
        declined_at=declined,
        decline_reason=_string(obj, "declineReason", what, required=False),
    )


def _recipients(parties: Sequence[_Party], spec: RequestSpec) -> list[tuple[int, _Party]]:
    """Each party with the spec's recipient index: by email first, else by position, else (when
    exactly as many parties as recipients are left) the remaining ones in order."""
    by_email: dict[str, list[int]] = {}
    for i, r in enumerate(spec.recipients):
        by_email.setdefault(r.email.strip().lower(), []).append(i)
    used: set[int] = set()
    index_of: dict[int, int] = {}
    for position, party in enumerate(parties):
        if party.email is None:
            continue
        index = next((i for i in by_email.get(party.email.strip().lower(), [])
                      if i not in used), None)
        if index is not None:
            used.add(index)
            index_of[position] = index
    for position in range(len(parties)):
        if position not in index_of and position < len(spec.recipients) and position not in used:
            used.add(position)
            index_of[position] = position
    left_parties = [p for p in range(len(parties)) if p not in index_of]
    left_indexes = [i for i in range(len(spec.recipients)) if i not in used]
    if len(left_parties) == len(left_indexes):
        index_of.update(zip(left_parties, left_indexes, strict=True))
    return sorted(((index, parties[position]) for position, index in index_of.items()),
                  key=lambda pair: pair[0])


def _top_status(raw: str, parties: Sequence[_Party]) -> Status:
    status = _status(raw)
    if status == Status.SENT and raw == "pending" and any(p.seen for p in parties):
        return Status.VIEWED
    return status


def _report(document_id: str, raw_status: str, raw_parties: Any, spec: RequestSpec,
            payload: dict[str, Any], completed_at: datetime | None) -> Report:
    moment = now()
    parties = [_party(p, moment) for p in _parties(raw_parties)]
    status = _top_status(raw_status, parties)
    matched = _recipients(parties, spec)
    recipients = tuple(sorted(
        (RecipientReport(index=i, provider_recipient_id=p.id, viewed_at=p.viewed_at,
                         signed_at=p.signed_at, declined_at=p.declined_at,
                         decline_reason=p.decline_reason) for i, p in matched),
        key=lambda r: r.index))
    error: str | None = None
    if status == Status.DECLINED:
        decliner = next(((i, p) for i, p in matched if p.declined_at is not None), None)
        if decliner is not None:
            who = spec.recipients[decliner[0]]
            why = f": {decliner[1].decline_reason}" if decliner[1].decline_reason else ""
            error = f"{who.name or who.email} declined to sign{why}"
        else:
            error = "A signer declined to sign."
    elif status == Status.EXPIRED:
        error = "The request expired before everyone had signed."
    elif status == Status.CANCELLED:
        error = "The request was cancelled."
    if status == Status.COMPLETED and completed_at is None:
        signed = [p.signed_at for p in parties if p.signed_at is not None]
        completed_at = max(signed) if signed else None
    if status != Status.COMPLETED:
        completed_at = None
    return Report(status=status, provider_id=document_id, recipients=recipients,
                  error_message=error, completed_at=completed_at, payload=payload)


def _document_id(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _string(obj, key, what, required=True)
    assert text is not None
    return text


def report_from_document(data: Any, spec: RequestSpec) -> Report:
    """``{"success": true, "document": SigningDocument}`` (get, cancel) -> a Report."""
    body = _success(data)
    document = _object(body.get("document"), "a document")
    what = "a document"
    document_id = _document_id(document, "id", what)
    raw_status = _string(document, "status", what, required=True)
    assert raw_status is not None
    return _report(document_id, raw_status, document.get("parties"), spec, body,
                   _time(document, "completedAt", what))


def report_from_create(data: Any, spec: RequestSpec) -> Report:
    """The create answer, in either documented shape, -> a Report."""
    body = _success(data)
    if "document" in body:
        return report_from_document(body, spec)
    what = "a created document"
    document_id = _document_id(body, "documentId", what)
    raw_status = _string(body, "status", what, required=True)
    assert raw_status is not None
    return _report(document_id, raw_status, body.get("parties"), spec, body, None)


def documents_from_list(data: Any) -> list[dict[str, Any]]:
    """``{"success": true, "documents": [SigningDocument]}`` -> the documents, each checked to
    have an id and a known status."""
    body = _success(data)
    documents = body.get("documents")
    if not isinstance(documents, list):
        raise _bad("a document list that is not a list")
    out: list[dict[str, Any]] = []
    for item in documents:
        document = _object(item, "a document")
        _document_id(document, "id", "a document")
        raw = _string(document, "status", "a document", required=True)
        assert raw is not None
        _status(raw)
        out.append(document)
    return out


def token_from_login(data: Any) -> str:
    """``{"access_token": "eyJ…"}`` -> the token."""
    body = _object(data, "a sign-in answer")
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip() or any(c in token for c in "\r\n"):
        raise _bad("a sign-in answer without an access_token")
    register_secret(token.strip())
    return token.strip()


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


# --- webhooks ----------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def parse_webhook(headers: Mapping[str, str], body: bytes, secret: str,
                  now: float) -> WebhookEvent:
    """Verify and read one SayPDF webhook delivery; raise ``WebhookRejected`` otherwise.

    ``X-SayPDF-Signature`` must be the hex HMAC-SHA256 of the raw body with ``secret``. ``now``
    is accepted for the shared webhook interface; SayPDF signs no timestamp and replays old
    deliveries on purpose, so no age limit applies.
    """
    del now
    if not secret:
        raise WebhookRejected("no SayPDF webhook secret is configured")
    given = (_header(headers, SIGNATURE_HEADER) or "").strip()
    if not given:
        raise WebhookRejected(f"the delivery has no {SIGNATURE_HEADER} header")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("utf-8")):
        raise WebhookRejected(f"the {SIGNATURE_HEADER} signature does not match")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected("the delivery is not JSON") from exc
    if not isinstance(data, dict):
        raise WebhookRejected("the delivery is not a JSON object")
    event = data.get("event")
    if not isinstance(event, str) or not event:
        raise WebhookRejected("the delivery names no event")
    document_id = data.get("documentId")
    if not isinstance(document_id, str) or not document_id:
        inner = data.get("data")
        document_id = inner.get("id") if isinstance(inner, dict) else None
    if not isinstance(document_id, str) or not document_id:
        raise WebhookRejected("the delivery names no document")
    return WebhookEvent(provider=PROVIDER_ID, provider_request_id=document_id, event=event,
                        delivery_id=hashlib.sha256(body).hexdigest(), payload=data)


# --- the provider ------------------------------------------------------------------------------


def _clamp(value: float) -> float:
    return round(min(100.0, max(0.0, value)), 4)


def expires_in_days(hours: int) -> int:
    return max(1, math.ceil(hours / 24))


class SayPdfProvider:
    """The SayPDF client. See the module docstring for the contract and its assumptions."""

    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._api_key = (config.credential("api_key") or "").strip() or None
        self._email = (config.credential("email") or "").strip() or None
        self._password = config.credential("password") or None
        self._token: str | None = None
        configured = (config.setting("base_url") or "").strip()
        jwt_mode = self._api_key is None and self._email is not None
        self.base_url = configured or (LOGIN_BASE_URL if jwt_mode else DEFAULT_BASE_URL)
        self.http = self._client()

    def _client(self, policy: RetryPolicy | None = None) -> ProviderHttp:
        return ProviderHttp(
            provider=NAME,
            base_url=self.base_url,
            auth=self._auth_headers,
            login_hint=self._login_hint(),
            transport=self.config.transport,
            sleep=self.config.sleep,
            deadlines=self.config.deadlines,
            error_body=error_body,
            on_unauthorized=self._renew if self._api_key is None else None,
            policy=policy,
            provider_id=PROVIDER_ID,
        )

    # --- configuration ---

    @property
    def uses_api_key(self) -> bool:
        return self._api_key is not None

    def _login_hint(self) -> str:
        api_key = self.config.login_hint(name=NAME)
        if self._api_key is None and self._email is not None:
            prefix = self.config.env_prefix
            return Text(Alt(f"check {prefix}EMAIL and {prefix}PASSWORD, or use an API key (",
                            "check the sign-in email and password, or use an API key: "),
                        api_key, Alt(")", ""))
        return api_key

    def _connection_problem(self) -> str | None:
        """What is missing to reach SayPDF at all (credentials, base URL)."""
        prefix = self.config.env_prefix
        if self._api_key is None:
            api_key = self.config.login_hint(name=NAME)
            if self._email is None and self._password is None:
                return Text(f"{NAME} needs an API key: ", api_key, ".")
            if self._email is None or self._password is None:
                return Text(f"{NAME} sign-in needs both an email and a password: ",
                            Alt(f"set {prefix}EMAIL and {prefix}PASSWORD, or use an API key (",
                                "enter both, or use an API key: "), api_key, Alt(").", "."))
        if not self.base_url.startswith(("https://", "http://")):
            return Text(f"The {NAME} base URL {self.base_url!r} is not a web address: set ",
                        base_url_setting(PROVIDER_ID, NAME,
                                         f"{prefix}BASE_URL or the base_url setting"),
                        " to an https:// address.")
        return None

    def configuration_problem(self) -> str | None:
        problem = self._connection_problem()
        if problem is not None:
            return problem
        email = (self.config.sender_email or "").strip()
        if not email:
            return Text(f"{NAME} needs the sender's email as the owner of every request: set ",
                        SENDER_SETTING, ".")
        if not EMAIL_RE.match(email):
            return Text(f"The sender email {email!r} is not an email address: correct ",
                        Alt("SEALBOX_SENDER_EMAIL or the sender in settings",
                            "your email in Settings › General"), ".")
        return None

    def _require_configured(self) -> None:
        problem = self.configuration_problem()
        if problem:
            raise UserError(problem)

    def warnings(self, spec: RequestSpec) -> list[str]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        out = capability_problems(CAPABILITIES, spec, pdf)
        for i, r in enumerate(spec.recipients):
            if r.designation != Designation.SIGNER:
                out.append(Issue(("recipients", i, "designation"), f"{NAME} has only signers, "
                                 f"no {r.designation.value} recipients; make "
                                 f"{r.name or r.email} a Signer, remove them, or choose another "
                                 "provider"))
                continue
            has_field = any(f.recipient_index == i for f in spec.fields) or any(
                a.recipient_index == i for a in spec.anchor_tags)
            if not has_field:
                out.append(Issue(("recipients", i), f"{NAME} needs at least one field for every "
                                 f"signer; place a field or anchor for {r.name or r.email}"))
        for i, f in enumerate(spec.fields):
            if not f.required:
                out.append(Issue(("fields", i, "required"), f"every {NAME} field must be filled "
                                 "in; make the field required or remove it"))
        for i, a in enumerate(spec.anchor_tags):
            if not a.required:
                out.append(Issue(("anchorTags", i, "required"), f"every {NAME} field must be "
                                 "filled in; make the anchor required or remove it"))
        return out

    # --- authentication ---

    async def _auth_headers(self) -> Mapping[str, str]:
        if self._api_key is not None:
            return {API_KEY_HEADER: self._api_key}
        if self._token is None:
            self._token = await self._login()
        return {"Authorization": f"Bearer {self._token}"}

    async def _login(self, http: ProviderHttp | None = None) -> str:
        if self._email is None or self._password is None:
            raise UserError(self.configuration_problem() or f"{NAME} is not configured.")
        method, path = ENDPOINTS["login"]
        with self._refusals("login"):
            data = await (http or self.http).json(method, path, authenticated=False,
                                        json_body={"email": self._email,
                                                   "password": self._password})
        return token_from_login(data)

    async def _renew(self) -> bool:
        if self._api_key is not None or self._email is None:
            return False
        self._token = None
        return True  # the next attempt signs in again through _auth_headers

    async def check_connection(self) -> str:
        problem = self._connection_problem()
        if problem is not None:
            raise UserError(problem)
        what = "API key" if self._api_key is not None else "email or password"
        probe = self._client(RetryPolicy(attempts=CHECK_ATTEMPTS))
        method, path = ENDPOINTS["list"]
        try:
            if self._api_key is None:
                self._token = await self._login(probe)
            with self._refusals("list"):
                data = await probe.json(method, path)
        except AuthenticationError as exc:
            raise credentials_rejected(NAME, what, exc) from exc
        except RemoteNotFoundError as exc:
            raise not_the_api(NAME, self.base_url, exc, provider_id=PROVIDER_ID) from exc
        finally:
            await probe.aclose()
        documents_from_list(data)
        return f"Connected: {NAME} accepted the {what}."

    # --- errors ---

    @contextmanager
    def _refusals(self, operation: Operation) -> Iterator[None]:
        """SayPDF's meaning of 403 and, per operation, of 400."""
        try:
            yield
        except AuthenticationError as exc:
            said = "; ".join(exc.issues) or exc.code or ""
            kwargs: dict[str, Any] = {"status": exc.status, "code": exc.code,
                                      "issues": exc.issues}
            if exc.status != 403:
                raise
            detail = f" ({said})" if said else ""
            if "quota" in said.lower():
                raise OutOfCreditsError(
                    f"The {NAME} account's quota is used up{detail}: upgrade the {NAME} plan or "
                    "wait until the quota renews, then send again.", **kwargs) from exc
            raise AuthenticationError(Text(
                f"{NAME} refused access{detail}: the request belongs to another {NAME} account "
                "or the quota is used up; check that Sealbox uses the account it was sent with "
                "(", self._login_hint(), ")."), **kwargs) from exc
        except InvalidRequestError as exc:
            kwargs = {"status": exc.status, "code": exc.code, "issues": exc.issues}
            said = "; ".join(exc.issues)
            detail = f" ({said})" if said else ""
            if operation == "cancel":
                raise ConflictError(
                    f"{NAME} cannot cancel this request{detail}: only a request still waiting "
                    "for signatures can be cancelled.", **kwargs) from exc
            if operation in ("download", "certificate"):
                what = "signed PDF" if operation == "download" else "certificate"
                raise ConflictError(
                    f"{NAME} has no {what} for this request yet{detail}: it is ready once "
                    "everyone has signed; Sealbox will try again later.", **kwargs) from exc
            raise

    def _path(self, operation: Operation, request: Request) -> tuple[str, str]:
        if not request.provider_id:
            raise UserError(Text(f"{request.name!r} has no {NAME} document id yet: ",
                                 FINISH_SENDING, "."))
        method, template = ENDPOINTS[operation]
        return method, template.format(id=quote(request.provider_id, safe=""))

    # --- the request ---

    def build_document(self, request: Request, document: Path) -> dict[str, Any]:
        """The ``CreateDocumentDto`` for ``request`` (fields converted to percentages)."""
        spec = request.spec
        pages = check_pdf(document).pages
        parties: list[dict[str, Any]] = []
        for i, r in enumerate(spec.recipients):
            fields: list[dict[str, Any]] = []
            for _, f in spec.fields_for(i):
                if not 1 <= f.page <= len(pages):
                    raise UserError(f"A field of {request.name!r} is on page {f.page}, but the "
                                    f"document has {len(pages)} pages: place it again.")
                pct = to_percent(f.rect, pages[f.page - 1], PAGE_BASE)
                fields.append({"type": f.type.value, "page": pct.page, "x": _clamp(pct.x),
                               "y": _clamp(pct.y), "width": _clamp(pct.width),
                               "height": _clamp(pct.height)})
            parties.append({"name": r.name or r.email, "email": r.email,
                            "signingOrder": r.order, "fields": fields})
        dto: dict[str, Any] = {"title": spec.name}
        if spec.message:
            dto["message"] = spec.message
        dto["ownerEmail"] = (self.config.sender_email or "").strip()
        if self.config.sender_name and self.config.sender_name.strip():
            dto["ownerName"] = self.config.sender_name.strip()
        dto["expiresInDays"] = expires_in_days(spec.expiration_hours)
        dto["parties"] = parties
        return dto

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        """Upload and send. SayPDF documents no idempotency key, so ``idempotency_key`` is not
        sent; a create that may have arrived raises ``AmbiguousSendError`` and is never
        retried."""
        del idempotency_key
        self._require_configured()
        if not (self.capabilities.field_types >= {f.type for f in request.spec.fields}):
            raise CapabilityError(f"{NAME} cannot take some of the fields of {request.name!r}: "
                                  "use signature, initials, date and text fields only.")
        dto = self.build_document(request, document)
        payload = json.dumps(dto, ensure_ascii=False, separators=(",", ":"))
        filename = request.document_name or document.name
        handles: list[IO[bytes]] = []

        def files() -> dict[str, Any]:
            handle = document.open("rb")  # streamed from disk, afresh for each attempt
            handles.append(handle)
            return {FILE_PART: (filename, handle, "application/pdf")}

        method, path = ENDPOINTS["create"]
        try:
            with self._refusals("create"):
                data = await self.http.json(
                    method, path, data={DATA_PART: payload}, files=files,
                    timeout=UPLOAD_TIMEOUT,
                    deadline=self.http.deadlines.transfer(document.stat().st_size))
        finally:
            for handle in handles:
                handle.close()
        return report_from_create(data, request.spec)

    async def refresh(self, request: Request) -> Report:
        method, path = self._path("get", request)
        with self._refusals("get"):
            data = await self.http.json(method, path)
        return report_from_document(data, request.spec)

    async def reconcile(self, request: Request) -> Report | None:
        raise CapabilityError(
            f"{NAME} keeps no reference Sealbox could look {request.name!r} up by: check the "
            f"{NAME} dashboard for it.")

    async def list_documents(self) -> list[dict[str, Any]]:
        """Every document of the account, as SayPDF describes them (``GET /esign/documents``)."""
        method, path = ENDPOINTS["list"]
        with self._refusals("list"):
            data = await self.http.json(method, path)
        return documents_from_list(data)

    async def cancel(self, request: Request, reason: str | None) -> Report:
        self.capabilities.require("cancel")
        method, path = self._path("cancel", request)
        with self._refusals("cancel"):
            data = await self.http.json(method, path)
        if data is None or (isinstance(data, dict) and "document" not in data
                            and data.get("success") is True):
            report = await self.refresh(request)  # the answer carries no document
        else:
            report = report_from_document(data, request.spec)
        if reason and report.status == Status.CANCELLED:
            return Report(status=report.status, provider_id=report.provider_id,
                          recipients=report.recipients, error_message=reason,
                          completed_at=report.completed_at, payload=report.payload)
        return report

    async def download_signed(self, request: Request, dest: Path) -> None:
        _, path = self._path("download", request)
        with self._refusals("download"):
            await self.http.download(path, dest)

    async def download_certificate(self, request: Request, dest: Path) -> None:
        self.capabilities.require("certificate")
        _, path = self._path("certificate", request)
        with self._refusals("certificate"):
            await self.http.download(path, dest)

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "FILE_PART",
    "LOGIN_BASE_URL",
    "STATUSES",
    "SayPdfProvider",
    "documents_from_list",
    "error_body",
    "expires_in_days",
    "parse_webhook",
    "report_from_create",
    "report_from_document",
    "token_from_login",
]
