"""Craftkit signatures: send a Craftkit render out for signature, track it, fetch the results.

The contract is Craftkit's "Digital signatures" document (``shared/seeds/000_*.txt``):
``POST /v1/signatures`` (JSON, ``renderId``, recipients, explicit fields in percentages of the
displayed page with 1-based pages, anchor tags sent natively, ``Idempotency-Key``),
``GET /v1/signatures`` (keyset cursor), ``GET /v1/signatures/:id``,
``POST /v1/signatures/:id/cancel``, ``GET /v1/signatures/:id/download`` and
``GET /v1/signatures/:id/certificate``, all with ``Authorization: Bearer <project API key>``, and
``signature.*`` webhooks signed with HMAC-SHA256 of the raw body.

Craftkit signs a *render*, not an uploaded file: the request's ``render_id`` names it, and the
PDF handed to :meth:`CraftkitProvider.create` is that render's PDF, read here only for the page
geometry that turns canonical points into Craftkit's page percentages.

Assumptions where the document is silent (each choice is kept in one place below):

- Error envelope (the document's "Errors" page is not shown): ``{"error": {"code", "message",
  "issues": [{"path", "message"}]}}``; the flat ``{"code", "message", "issues"}`` is read too.
- 401 ``unauthorized`` applies to every endpoint, create included ("All endpoints authenticate").
- Field types: all eight are named, but ``fields[]`` has no ``options``, so dropdown and
  radio_buttons are refused in preflight (their options could not be sent). ``initials`` is sent
  as ``initial`` in ``fields`` and as ``initials`` in ``anchorTags`` (:data:`FIELD_WIRE_TYPES`,
  :data:`ANCHOR_WIRE_TYPES`). A field's ``label`` has no place on the wire and is not sent.
- The spec's ``message`` has no place in the create body; it is not sent (Craftkit's own
  e-mail text is used).
- Percentages are rounded to 4 decimals (under 0.001 pt on a Letter page) and kept in 0-100.
- The size limit "20MB" is read as 20 MiB, the limit Sealbox applies to every PDF.
- ``GET /v1/renders/:id`` (shape not given) is not used: the user passes the render's PDF on the
  command line (``sealbox send FILE.pdf --render-id UUID``), which gives the page geometry.
- ``renderId`` must look like a UUID (8-4-4-4-12 hex digits); anything else is refused before
  sending.
- A create is not retried in-process once it may have left this machine (lost connection, 500,
  504): that is an :class:`AmbiguousSendError`; ``sync`` sends it again with the same
  ``Idempotency-Key`` and Craftkit returns the original (a 200 replay is read exactly like the
  201). 429/503 are retried after ``Retry-After``, since nothing was processed.
- :meth:`CraftkitProvider.reconcile` lists by ``renderId`` (newest first) and takes the newest
  request with the same name (and, when the listing carries recipients, the same recipient
  e-mails); it stops looking 24 hours before the request was queued and answers None (Craftkit
  does not have it) when nothing matches.
- Status ``signed`` is named in the document's summary but not in its status table; if it ever
  comes as a top-level status it means "someone has signed, not everyone": Sealbox reads it as
  ``viewed`` (a recipient's signature never moves the top-level status). Any other unknown status
  is a :class:`BadResponseError`.
- Recipients come back with ``signedAt``/``declinedAt`` (ISO-8601; a time without zone is UTC);
  there is no ``viewedAt``. They are matched to the spec by e-mail (case-insensitive), then by
  position. A declined recipient's reason is the request's ``errorMessage``.
- Downloads use the documented paths ``/v1/signatures/:id/download`` and ``.../certificate``, not
  the URLs in the response (which are documented to be those same Craftkit URLs).
- A 409 from a download or certificate means "not ready yet" (:class:`ConflictError`); a 502 from
  the certificate (upstream retrieval failed) is worth retrying
  (:class:`ProviderUnavailableError`).
- Cancel: a reason longer than 500 characters is refused before sending; no reason sends ``{}``.
- ``list_requests(limit=N)`` returns at most N requests in total, fetching pages of at most 100
  and following ``nextCursor`` while ``hasMore`` is true.
- Connection check (:meth:`CraftkitProvider.check_connection`): ``GET /v1/signatures?limit=1``,
  the documented list, which reads at most one request and changes nothing. A 401 is "rejected
  the API key"; an answer that is not the list shape means the base URL is not Craftkit's API.
- Webhooks: ``x-craftkit-timestamp`` is read as Unix seconds (the convention of HMAC-signed
  webhooks); milliseconds (13 digits) and ISO-8601 with a zone are accepted too. It must be within
  5 minutes of now either way. The signature covers the raw body only (as documented), so the
  timestamp bounds staleness but cannot prove freshness; deliveries are told apart by
  ``x-craftkit-delivery-id``.
- A PDF that is already signed is refused: Craftkit signs its own render of the document, a
  new file, so the earlier signatures would not be in the signed copy (``signed_pdfs``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from app.domain.geometry import to_percent
from app.domain.lifecycle import Status
from app.domain.model import FieldType, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.errors import UserError, ValidationError
from app.pdf.document import MAX_PDF_BYTES, PdfInfo, check_pdf
from app.providers.base import (
    ALL_FIELD_TYPES,
    CHECK_ATTEMPTS,
    Capabilities,
    ProviderConfig,
    WebhookEvent,
    WebhookRejected,
    capability_problems,
    credentials_rejected,
    delivery_warnings,
    not_the_api,
)
from app.providers.errors import (
    AuthenticationError,
    BadResponseError,
    ConflictError,
    OutOfCreditsError,
    ProviderError,
    ProviderRejectedError,
    ProviderUnavailableError,
    RemoteNotFoundError,
)
from app.providers.http import ProviderHttp, RetryPolicy
from app.wording import Alt, SettingRef, Text

PROVIDER_ID = "craftkit"
NAME = "Craftkit"
DEFAULT_BASE_URL = "https://api.craftkit.dev"
#: Craftkit numbers pages from 1.
PAGE_BASE = 1
PERCENT_DECIMALS = 4
MAX_CANCEL_REASON = 500
MAX_LIST_PAGE = 100
DEFAULT_LIST_LIMIT = 50
RECONCILE_WINDOW = timedelta(hours=24)
RECONCILE_MAX_PAGES = 50
WEBHOOK_TOLERANCE_S = 300.0
#: The create call waits for Craftkit's create-and-send with the signature service.
CREATE_TIMEOUT = httpx.Timeout(90.0, connect=10.0)

CAPABILITIES = Capabilities(
    id=PROVIDER_ID,
    name=NAME,
    # fields[] has no ``options``: dropdown and radio buttons could not be sent whole.
    field_types=frozenset(ALL_FIELD_TYPES - {FieldType.DROPDOWN, FieldType.RADIO_BUTTONS}),
    anchors="native",
    cancel=True,
    certificate=True,
    list=True,
    webhooks=True,
    idempotency=True,
    max_bytes=MAX_PDF_BYTES,
    needs_render_id=True,
    message=False,
    field_labels=False,
)

#: Craftkit's lifecycle vocabulary -> Sealbox's. The one table.
STATUS_MAP: dict[str, Status] = {
    "sent": Status.SENT,
    "viewed": Status.VIEWED,
    # Named in the document's summary only; a recipient's signature never moves the request.
    "signed": Status.VIEWED,
    "completed": Status.COMPLETED,
    "declined": Status.DECLINED,
    "expired": Status.EXPIRED,
    "cancelled": Status.CANCELLED,
    "failed": Status.FAILED,
}

#: Field types as ``fields[].type`` spells them.
FIELD_WIRE_TYPES: dict[FieldType, str] = {
    FieldType.SIGNATURE: "signature",
    FieldType.INITIALS: "initial",
    FieldType.TEXT: "text",
    FieldType.DATE: "date",
    FieldType.CHECKBOX: "checkbox",
    FieldType.DROPDOWN: "dropdown",
    FieldType.RADIO_BUTTONS: "radio_buttons",
    FieldType.TEXT_AREA: "text_area",
}

#: Field types as ``anchorTags[].type`` spells them (note ``initials``, plural).
ANCHOR_WIRE_TYPES: dict[FieldType, str] = {
    FieldType.SIGNATURE: "signature",
    FieldType.INITIALS: "initials",
    FieldType.TEXT: "text",
    FieldType.DATE: "date",
    FieldType.CHECKBOX: "checkbox",
}

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
                     re.IGNORECASE)

_BAD_SHAPE = "Craftkit answered with an unexpected shape"


# --- reading Craftkit's answers -------------------------------------------------------------


def _bad(detail: str) -> BadResponseError:
    return BadResponseError(f"{_BAD_SHAPE} ({detail}): try again later.")


def _obj(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"{where} is not an object")
    return data


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _bad(f"{where}.{key} is missing")
        return None
    if not isinstance(value, str):
        raise _bad(f"{where}.{key} is not a string")
    return value


def _time(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    text = _str(data, key, where, required=False)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, OverflowError) as exc:
        raise _bad(f"{where}.{key} is not an ISO-8601 time") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _status(data: Mapping[str, Any], where: str) -> Status:
    raw = _str(data, "status", where, required=True)
    assert raw is not None
    status = STATUS_MAP.get(raw)
    if status is None:
        raise _bad(f"{where}.status {raw[:40]!r} is not a known status")
    return status


@dataclass(frozen=True)
class _WireRecipient:
    position: int
    id: str | None
    email: str | None
    signed_at: datetime | None
    declined_at: datetime | None


def _recipients(data: Mapping[str, Any], where: str) -> list[_WireRecipient]:
    raw = data.get("recipients")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(f"{where}.recipients is not a list")
    out: list[_WireRecipient] = []
    for i, item in enumerate(raw):
        path = f"{where}.recipients[{i}]"
        obj = _obj(item, path)
        out.append(_WireRecipient(
            position=i,
            id=_str(obj, "id", path, required=False),
            email=_str(obj, "email", path, required=False),
            signed_at=_time(obj, "signedAt", path),
            declined_at=_time(obj, "declinedAt", path),
        ))
    return out


def _spec_index(wire: list[_WireRecipient], spec: RequestSpec | None) -> list[int | None]:
    """The spec index of each wire recipient: by e-mail first, then by position."""
    if spec is None:
        return [r.position for r in wire]
    count = len(spec.recipients)
    taken: set[int] = set()
    out: list[int | None] = [None] * len(wire)
    for n, r in enumerate(wire):
        if r.email is None:
            continue
        for i, s in enumerate(spec.recipients):
            if i not in taken and s.email.casefold() == r.email.casefold():
                out[n] = i
                taken.add(i)
                break
    for n, r in enumerate(wire):
        if out[n] is None and r.position < count and r.position not in taken:
            out[n] = r.position
            taken.add(r.position)
    return out


def parse_signature(data: Any, spec: RequestSpec | None = None,
                    where: str = "signature") -> Report:
    """A Craftkit signature request (the create/get/cancel/list item shape) as a ``Report``.

    Recipients are numbered by ``spec`` (matched by e-mail, then position); without a spec, by
    their position in the answer. Anything malformed raises :class:`BadResponseError`.
    """
    obj = _obj(data, where)
    provider_id = _str(obj, "id", where, required=True)
    status = _status(obj, where)
    error_message = _str(obj, "errorMessage", where, required=False)
    completed_at = _time(obj, "completedAt", where)
    _time(obj, "createdAt", where)
    for key in ("renderId", "name", "signedDownloadUrl", "certificateUrl"):
        _str(obj, key, where, required=False)
    hours = obj.get("expirationHours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int)):
        raise _bad(f"{where}.expirationHours is not a whole number")
    wire = _recipients(obj, where)
    reports: list[RecipientReport] = []
    for r, index in zip(wire, _spec_index(wire, spec), strict=True):
        if index is None:
            continue
        reports.append(RecipientReport(
            index=index,
            provider_recipient_id=r.id,
            signed_at=r.signed_at,
            declined_at=r.declined_at,
            decline_reason=error_message if r.declined_at is not None else None,
        ))
    reports.sort(key=lambda r: r.index)
    return Report(status=status, provider_id=provider_id, recipients=tuple(reports),
                  error_message=error_message, completed_at=completed_at, payload=obj)


@dataclass(frozen=True)
class ListPage:
    """One page of ``GET /v1/signatures``."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


def parse_list_page(data: Any) -> ListPage:
    """The list answer, each item checked to be an object (items are parsed by the caller)."""
    obj = _obj(data, "list")
    raw = obj.get("signatures")
    if not isinstance(raw, list):
        raise _bad("list.signatures is not a list")
    items = [_obj(item, f"signatures[{i}]") for i, item in enumerate(raw)]
    cursor = _str(obj, "nextCursor", "list", required=False)
    has_more = obj.get("hasMore", False)
    if not isinstance(has_more, bool):
        raise _bad("list.hasMore is not true or false")
    return ListPage(items, cursor, has_more)


# --- webhooks -------------------------------------------------------------------------------


def webhook_timestamp(value: str) -> float:
    """``x-craftkit-timestamp`` as Unix seconds: seconds, milliseconds (13+ digits) or ISO-8601
    with a zone. Raises ``ValueError`` when it is none of these."""
    text = value.strip()
    if re.fullmatch(r"\d{1,16}(\.\d+)?", text):
        number = float(text)
        # 10^11 seconds is the year 5138: anything that large is milliseconds.
        return number / 1000.0 if number >= 1e11 else number
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("an ISO-8601 timestamp needs a zone")
    return when.timestamp()


def sign_webhook(body: bytes, secret: str) -> str:
    """The ``x-craftkit-signature`` of ``body``: hex HMAC-SHA256, no prefix."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def parse_webhook(headers: Mapping[str, str], body: bytes, secret: str,
                  now: float) -> WebhookEvent:
    """Verify and read one Craftkit webhook delivery; raise ``WebhookRejected`` otherwise."""
    if not secret:
        raise WebhookRejected("no Craftkit webhook secret is configured")
    lower = {k.lower(): v for k, v in headers.items()}
    signature = lower.get("x-craftkit-signature")
    stamp = lower.get("x-craftkit-timestamp")
    if not signature:
        raise WebhookRejected("the delivery has no x-craftkit-signature header")
    if not stamp:
        raise WebhookRejected("the delivery has no x-craftkit-timestamp header")
    expected = sign_webhook(body, secret)
    if not hmac.compare_digest(expected.encode("ascii"),
                               signature.strip().lower().encode("utf-8", "replace")):
        raise WebhookRejected("the x-craftkit-signature does not match the body")
    try:
        sent = webhook_timestamp(stamp)
    except (ValueError, OverflowError) as exc:
        raise WebhookRejected("the x-craftkit-timestamp is not a time") from exc
    if not math.isfinite(sent) or abs(now - sent) > WEBHOOK_TOLERANCE_S:
        raise WebhookRejected("the x-craftkit-timestamp is more than 5 minutes away from now")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected("the delivery body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookRejected("the delivery body is not a JSON object")
    event = payload.get("event")
    request_id = payload.get("signatureRequestId")
    if not isinstance(event, str) or not event:
        raise WebhookRejected("the delivery has no event name")
    if not isinstance(request_id, str) or not request_id:
        raise WebhookRejected("the delivery names no signatureRequestId")
    status = payload.get("status")
    if status is not None and not isinstance(status, str):
        raise WebhookRejected("the delivery's status is not a string")
    header_event = lower.get("x-craftkit-event")
    if header_event and header_event != event:
        raise WebhookRejected("the x-craftkit-event header and the body's event differ")
    return WebhookEvent(provider=PROVIDER_ID, provider_request_id=request_id, event=event,
                        delivery_id=lower.get("x-craftkit-delivery-id") or None,
                        payload=payload)


# --- the provider ---------------------------------------------------------------------------


def _again(error: ProviderError, message: str) -> ProviderError:
    """The same kind of error with a clearer message."""
    return type(error)(message, status=error.status, code=error.code, issues=error.issues)


def _percent(value: float) -> float:
    return min(100.0, max(0.0, round(value, PERCENT_DECIMALS)))


def _size(value: float) -> float:
    return min(100.0, max(10.0 ** -PERCENT_DECIMALS, round(value, PERCENT_DECIMALS)))


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


class CraftkitProvider:
    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = config.setting("base_url") or DEFAULT_BASE_URL
        #: Page size for listing (at most Craftkit's 100).
        self.page_size = MAX_LIST_PAGE
        self.http = self._client()

    def _client(self, policy: RetryPolicy | None = None) -> ProviderHttp:
        return ProviderHttp(
            provider=NAME,
            base_url=self.base_url,
            auth=self._auth,
            login_hint=self.config.login_hint("api_key", name=NAME),
            transport=self.config.transport,
            sleep=self.config.sleep,
            deadlines=self.config.deadlines,
            policy=policy,
            provider_id=PROVIDER_ID,
        )

    # --- configuration ------------------------------------------------------------------------

    def _api_key(self) -> str | None:
        key = self.config.credential("api_key")
        return key.strip() if key and key.strip() else None

    async def _auth(self) -> dict[str, str]:
        key = self._api_key()
        if key is None:
            raise UserError(self._missing_key())
        return {"Authorization": f"Bearer {key}"}

    def _missing_key(self) -> str:
        return Text(f"{NAME} needs an API key: ", self.config.login_hint("api_key", name=NAME),
                    ".")

    def configuration_problem(self) -> str | None:
        if self._api_key() is None:
            return self._missing_key()
        url = httpx.URL(self.base_url)
        if url.scheme not in ("http", "https") or not url.host:
            return Text(f"{NAME}'s base URL {self.base_url!r} is not an http(s) address: fix ",
                        SettingRef(PROVIDER_ID, NAME, "Base URL",
                                   f"base_url under [providers.{PROVIDER_ID}] in the settings or "
                                   f"set {self.config.env_prefix}BASE_URL"), ".")
        return None

    async def check_connection(self) -> str:
        problem = self.configuration_problem()
        if problem is not None:
            raise UserError(problem)
        probe = self._client(RetryPolicy(attempts=CHECK_ATTEMPTS))
        try:
            data = await probe.json("GET", "/v1/signatures", params={"limit": 1})
        except AuthenticationError as exc:
            raise credentials_rejected(NAME, "API key", exc) from exc
        except RemoteNotFoundError as exc:
            raise not_the_api(NAME, self.base_url, exc, provider_id=PROVIDER_ID) from exc
        finally:
            await probe.aclose()
        parse_list_page(data)
        return f"Connected: {NAME} accepted the API key."

    def warnings(self, spec: RequestSpec) -> list[str]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        problems = capability_problems(CAPABILITIES, spec, pdf)
        for i, f in enumerate(spec.fields):
            if f.type.has_options:
                # Say why, in place of the generic "cannot take" sentence.
                generic = f"fields[{i}].type: {NAME} cannot take {f.type.value} fields"
                problems = [p for p in problems if p != generic]
                problems.append(Issue(("fields", i, "type"), f"{NAME}'s fields carry no "
                                      f"options, so a {f.type.value} field cannot be sent; use "
                                      "another type or another provider"))
        return problems

    # --- create -------------------------------------------------------------------------------

    def create_body(self, request: Request, pdf: PdfInfo) -> dict[str, Any]:
        """The JSON body of ``POST /v1/signatures`` for ``request`` on the render ``pdf``."""
        spec = request.spec
        render_id = (request.render_id or "").strip()
        if not UUID_RE.match(render_id):
            raise UserError(Text(f"{NAME} sends a render, not a file: ", Alt(
                "pass --render-id with the id (a UUID) of a succeeded render",
                f"send documents that {NAME} rendered from the command line, or choose another "
                "service for this one"), "."))
        problems = self.preflight(spec, pdf)
        fields: list[dict[str, Any]] = []
        for i, f in enumerate(spec.fields):
            if not 1 <= f.page <= len(pdf.pages):
                problems.append(f"fields[{i}].page: the render has {len(pdf.pages)} page(s) "
                                f"(it is {f.page})")
                continue
            percent = to_percent(f.rect, pdf.pages[f.page - 1], PAGE_BASE)
            fields.append({
                "recipientIndex": f.recipient_index,
                "type": FIELD_WIRE_TYPES[f.type],
                "page": percent.page,
                "x": _num(_percent(percent.x)),
                "y": _num(_percent(percent.y)),
                "width": _num(_size(percent.width)),
                "height": _num(_size(percent.height)),
                "required": f.required,
            })
        anchors: list[dict[str, Any]] = []
        for i, a in enumerate(spec.anchor_tags):
            wire_type = ANCHOR_WIRE_TYPES.get(a.type)
            if wire_type is None:
                problems.append(f"anchorTags[{i}].type: {NAME} anchors cannot place "
                                f"{a.type.value} fields")
                continue
            tag: dict[str, Any] = {
                "anchorString": a.anchor_string,
                "type": wire_type,
                "recipientIndex": a.recipient_index,
                "required": a.required,
                "ignoreIfNotPresent": a.ignore_if_not_present,
            }
            if a.width is not None:
                tag["width"] = _num(a.width)
            if a.height is not None:
                tag["height"] = _num(a.height)
            anchors.append(tag)
        if problems:
            raise ValidationError(problems, f"The request {spec.name!r}")
        recipients: list[dict[str, Any]] = []
        for r in spec.recipients:
            wire: dict[str, Any] = {"firstName": r.first_name, "email": r.email}
            if r.last_name:
                wire["lastName"] = r.last_name
            wire["designation"] = r.designation.value
            wire["order"] = r.order
            recipients.append(wire)
        body: dict[str, Any] = {"renderId": render_id, "name": spec.name,
                                "recipients": recipients}
        if fields:
            body["fields"] = fields
        if anchors:
            body["anchorTags"] = anchors
        body["expirationHours"] = spec.expiration_hours
        return body

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        if not idempotency_key:
            raise ValueError("a Craftkit create needs an idempotency key")
        body = self.create_body(request, check_pdf(document))
        try:
            data = await self.http.json("POST", "/v1/signatures", json_body=body,
                                        idempotency_key=idempotency_key, retry=False,
                                        timeout=CREATE_TIMEOUT,
                                        deadline=self.http.deadlines.long_call)
        except RemoteNotFoundError as exc:
            raise _again(exc, f"{NAME} has no render {body['renderId']} in this project: check "
                              "--render-id and that the API key belongs to the render's "
                              "project.") from exc
        except ConflictError as exc:
            raise _again(exc, f"{NAME} render {body['renderId']} is not ready for signing (it "
                              "has not succeeded or has no PDF): wait for the render to "
                              "succeed, then send again.") from exc
        except OutOfCreditsError as exc:
            raise _again(exc, f"The signature service account behind {NAME} is out of "
                              "credits: top it up, then send again.") from exc
        return parse_signature(data, request.spec)

    # --- reading ------------------------------------------------------------------------------

    def _provider_id(self, request: Request) -> str:
        if not request.provider_id:
            raise UserError(Text(f"{request.name!r} has not reached {NAME} yet: ", Alt(
                "run `sealbox sync` to finish sending it",
                "Sealbox finishes sending it at the next check of the requests"), "."))
        return request.provider_id

    def _path(self, request: Request, suffix: str = "") -> str:
        return f"/v1/signatures/{quote(self._provider_id(request), safe='')}{suffix}"

    async def refresh(self, request: Request) -> Report:
        data = await self.http.json("GET", self._path(request))
        report = parse_signature(data, request.spec)
        if report.provider_id != request.provider_id:
            raise _bad("the answer is about another signature request")
        return report

    async def _list_page(self, *, render_id: str | None, limit: int,
                         cursor: str | None) -> ListPage:
        params: dict[str, Any] = {"limit": limit}
        if render_id:
            params["renderId"] = render_id
        if cursor:
            params["cursor"] = cursor
        return parse_list_page(await self.http.json("GET", "/v1/signatures", params=params))

    async def list_requests(self, *, render_id: str | None = None,
                            limit: int = DEFAULT_LIST_LIMIT) -> list[Report]:
        """The project's signature requests, newest first, at most ``limit`` of them, following
        ``nextCursor`` page by page. Recipients are numbered by their position."""
        if limit < 1:
            raise UserError("The list limit must be at least 1.")
        reports: list[Report] = []
        cursor: str | None = None
        seen: set[str] = set()
        while len(reports) < limit:
            page = await self._list_page(render_id=render_id, cursor=cursor,
                                         limit=min(self.page_size, limit - len(reports)))
            for i, item in enumerate(page.items):
                reports.append(parse_signature(item, None, f"signatures[{i}]"))
            if not page.has_more or not page.next_cursor or not page.items:
                break
            if page.next_cursor in seen:
                raise _bad("the list cursor did not move on")
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        return reports[:limit]

    async def reconcile(self, request: Request) -> Report | None:
        if request.provider_id:
            return await self.refresh(request)
        render_id = (request.render_id or "").strip()
        if not UUID_RE.match(render_id):
            return None  # a create is never sent without a render id
        spec = request.spec
        emails = [r.email.casefold() for r in spec.recipients]
        since = request.created_at - RECONCILE_WINDOW
        cursor: str | None = None
        for _ in range(RECONCILE_MAX_PAGES):
            page = await self._list_page(render_id=render_id, limit=MAX_LIST_PAGE,
                                         cursor=cursor)
            for i, item in enumerate(page.items):
                where = f"signatures[{i}]"
                report = parse_signature(item, spec, where)
                created = _time(item, "createdAt", where)
                if created is not None and created < since:
                    return None
                wire = [r.email.casefold() for r in _recipients(item, where) if r.email]
                if item.get("name") == spec.name and (not wire or wire == emails):
                    return report
            if not page.has_more or not page.next_cursor or not page.items:
                return None
            if page.next_cursor == cursor:
                raise _bad("the list cursor did not move on")
            cursor = page.next_cursor
        raise ProviderUnavailableError(
            f"Sealbox could not tell whether {request.name!r} reached {NAME}: the render has "
            "too many signature requests to look through; look for it in Craftkit.")

    # --- actions ------------------------------------------------------------------------------

    async def cancel(self, request: Request, reason: str | None) -> Report:
        if reason is not None and len(reason) > MAX_CANCEL_REASON:
            raise ValidationError([f"reason: must be at most {MAX_CANCEL_REASON} characters "
                                   f"(it has {len(reason)})"], "The cancellation")
        body: dict[str, Any] = {"reason": reason} if reason else {}
        try:
            data = await self.http.json("POST", self._path(request, "/cancel"), json_body=body)
        except ConflictError as exc:
            raise _again(exc, f"{request.name!r} is already finished at {NAME} (completed, "
                              "declined, expired, cancelled or failed) and cannot be "
                              "cancelled.") from exc
        except ProviderRejectedError as exc:
            raise ProviderUnavailableError(Text(
                f"{NAME}'s signature service failed to cancel {request.name!r}"
                f"{f' ({exc.code})' if exc.code else ''}: try again later; ", Alt(
                    f"`sealbox show {request.id[:8]} --refresh` tells whether it was cancelled",
                    "Refresh tells whether it was cancelled"), "."),
                status=exc.status) from exc
        return parse_signature(data, request.spec)

    async def download_signed(self, request: Request, dest: Path) -> None:
        try:
            await self.http.download(self._path(request, "/download"), dest)
        except ConflictError as exc:
            raise _again(exc, f"The signed PDF of {request.name!r} is not ready yet at {NAME} "
                              "(it is archived once everyone has signed): Sealbox will try "
                              "again later.") from exc

    async def download_certificate(self, request: Request, dest: Path) -> None:
        try:
            await self.http.download(self._path(request, "/certificate"), dest)
        except ConflictError as exc:
            raise _again(exc, f"The completion certificate of {request.name!r} is not ready yet "
                              f"at {NAME}: Sealbox will try again later.") from exc
        except ProviderRejectedError as exc:
            raise ProviderUnavailableError(
                f"{NAME} could not fetch the completion certificate of {request.name!r} from "
                "its signature service: try again later.", status=exc.status) from exc

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = [
    "ANCHOR_WIRE_TYPES",
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "FIELD_WIRE_TYPES",
    "STATUS_MAP",
    "CraftkitProvider",
    "ListPage",
    "parse_list_page",
    "parse_signature",
    "parse_webhook",
    "sign_webhook",
    "webhook_timestamp",
]
