"""A fake Craftkit signatures API that implements its document strictly, on 127.0.0.1.

What the document says is what this fake checks: ``Authorization: Bearer <key>`` on every call
(401 ``unauthorized`` otherwise), JSON bodies (400 ``invalid_json``), the create schema with its
exact field names, enums (``initial`` in ``fields``, ``initials`` in ``anchorTags``), ranges
(percentages 0-100, pages from 1 and within the render, anchor sizes in points up to 1000,
1-20 recipients, unique orders) and unknown keys refused (400 ``invalid_request`` with
``issues``), renders that must exist (404) and have succeeded with a PDF (409) under 20 MB (413),
``Idempotency-Key`` replays (200 with the original body), the keyset-paginated list, cancel with
an optional reason of at most 500 characters (409 once terminal), and downloads that answer 409
until the request has been archived.

The error envelope is ``{"error": {"code", "message", "issues": [{"path", "message"}]}}``.
Tests drive the lifecycle with :meth:`CraftkitFake.advance` and get signed webhook deliveries from
:meth:`CraftkitFake.webhook`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pymupdf

from tests.fakes.base import (
    ErrorCase,
    FakeRequest,
    FakeResponse,
    ProviderFake,
    json_response,
    pdf_response,
)

API_KEY = "ck_test_5f1c0a9e7d3b"
WEBHOOK_SECRET = "whsec_craftkit_test_8b2d"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")

FIELD_TYPES = (
    "signature",
    "initial",
    "text",
    "date",
    "checkbox",
    "dropdown",
    "radio_buttons",
    "text_area",
)
ANCHOR_TYPES = ("signature", "initials", "text", "date", "checkbox")
DESIGNATIONS = ("Signer", "Approver", "CC")
TERMINAL = ("completed", "declined", "expired", "cancelled", "failed")

_CREATE_KEYS = {"renderId", "name", "recipients", "fields", "anchorTags", "expirationHours"}
_RECIPIENT_KEYS = {"firstName", "lastName", "email", "designation", "order"}
_FIELD_KEYS = {"recipientIndex", "type", "page", "x", "y", "width", "height", "required"}
_ANCHOR_KEYS = {
    "anchorString",
    "type",
    "recipientIndex",
    "width",
    "height",
    "required",
    "ignoreIfNotPresent",
}


def error(
    status: int,
    code: str,
    message: str,
    issues: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> FakeResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if issues is not None:
        body["issues"] = issues
    return json_response(status, {"error": body}, headers)


def iso(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def small_pdf(*lines: str) -> bytes:
    """A one-page PDF made with PyMuPDF, with ``lines`` of text."""
    doc = pymupdf.open()
    try:
        page = doc.new_page(width=595, height=842)
        for i, line in enumerate(lines):
            page.insert_text((72, 100 + 18 * i), line, fontsize=12)
        data: bytes = doc.tobytes()
    finally:
        doc.close()
    return data


@dataclass
class Render:
    id: str
    status: str = "succeeded"
    pdf: bytes | None = None
    pages: int = 1
    size: int = 0


class _Issues:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"path": path, "message": message})

    def unknown(self, obj: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(obj) - allowed):
            self.add(f"{path}.{key}" if path else key, "Unrecognized key")

    def string(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        low: int = 0,
        high: int | None = None,
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        if key not in obj:
            if required:
                self.add(where, "Required")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.add(where, "Expected string")
            return None
        if len(value) < low or (high is not None and len(value) > high):
            self.add(where, f"Must be {low}-{high} characters")
            return None
        return value

    def integer(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        where = f"{path}.{key}" if path else key
        if key not in obj:
            if required:
                self.add(where, "Required")
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, "Expected integer")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.add(where, f"Must be between {low} and {high}")
            return None
        return value

    def number(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool,
        low: float,
        high: float,
        low_open: bool = False,
    ) -> float | None:
        where = f"{path}.{key}"
        if key not in obj:
            if required:
                self.add(where, "Required")
            return None
        value = obj[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.add(where, "Expected number")
            return None
        if value > high or value < low or (low_open and value == low):
            bound = f">{low:g}" if low_open else f">={low:g}"
            self.add(where, f"Must be {bound} and <={high:g}")
            return None
        return float(value)

    def boolean(self, obj: dict[str, Any], key: str, path: str) -> None:
        if key in obj and not isinstance(obj[key], bool):
            self.add(f"{path}.{key}", "Expected boolean")

    def enum(
        self, obj: dict[str, Any], key: str, path: str, allowed: tuple[str, ...], *, required: bool
    ) -> str | None:
        where = f"{path}.{key}"
        if key not in obj:
            if required:
                self.add(where, "Required")
            return None
        value = obj[key]
        if value not in allowed:
            self.add(
                where, f"Invalid enum value. Expected {' | '.join(allowed)}, received {value!r}"
            )
            return None
        return str(value)


class CraftkitFake(ProviderFake):
    provider_id = "craftkit"

    def __init__(self, api_key: str = API_KEY, webhook_secret: str = WEBHOOK_SECRET) -> None:
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.renders: dict[str, Render] = {}
        self.signatures: dict[str, dict[str, Any]] = {}
        #: The create body each signature request was made from.
        self.bodies: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.idempotency: dict[str, str] = {}
        self.signed_pdfs: dict[str, bytes] = {}
        self.certificates: dict[str, bytes] = {}
        #: Archive the signed PDF and certificate as soon as a request completes.
        self.archive_on_complete = True
        self.decline_reason = "The terms are not acceptable"
        self._last_created: datetime | None = None
        self.route("POST", "/v1/signatures", self._create)
        self.route("GET", "/v1/signatures", self._list)
        self.route("GET", "/v1/signatures/(?P<id>[^/]+)", self._get)
        self.route("POST", "/v1/signatures/(?P<id>[^/]+)/cancel", self._cancel)
        self.route("GET", "/v1/signatures/(?P<id>[^/]+)/download", self._download)
        self.route("GET", "/v1/signatures/(?P<id>[^/]+)/certificate", self._certificate)

    # --- controls -----------------------------------------------------------------------------

    def __enter__(self) -> CraftkitFake:
        self.start()
        return self

    def env(self) -> dict[str, str]:
        return {
            "SEALBOX_CRAFTKIT_BASE_URL": self.url,
            "SEALBOX_CRAFTKIT_API_KEY": self.api_key,
            "SEALBOX_CRAFTKIT_WEBHOOK_SECRET": self.webhook_secret,
        }

    def add_render(
        self,
        pdf: bytes | None = None,
        *,
        render_id: str | None = None,
        status: str = "succeeded",
        size: int | None = None,
    ) -> str:
        """Register a render of this project; ``pdf`` is its stored PDF (None: no asset)."""
        rid = render_id or str(uuid.uuid4())
        pages = 0
        if pdf is not None:
            doc = pymupdf.open(stream=pdf, filetype="pdf")
            try:
                pages = doc.page_count
            finally:
                doc.close()
        with self.lock:
            self.renders[rid] = Render(
                rid, status, pdf, pages, size if size is not None else len(pdf or b"")
            )
        return rid

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return list(self.order)

    def record(self, envelope_id: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self.signatures[envelope_id]))  # type: ignore[no-any-return]

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        with self.lock:
            sig = self.signatures[envelope_id]
            recipients = sig["recipients"]
            now = iso(datetime.now(UTC))
            if state in ("sent", "viewed"):
                sig["status"] = state
            elif state == "signed":
                recipients[recipient_index or 0]["signedAt"] = now
            elif state == "completed":
                for r in recipients:
                    if r["designation"] != "CC":
                        r.setdefault("signedAt", now)
                sig["status"] = "completed"
                sig["completedAt"] = now
                if self.archive_on_complete:
                    self.archive(envelope_id)
            elif state == "declined":
                recipients[recipient_index or 0]["declinedAt"] = now
                sig["status"] = "declined"
                sig["errorMessage"] = self.decline_reason
            elif state in ("expired", "cancelled", "failed"):
                sig["status"] = state
                if state == "failed":
                    sig["errorMessage"] = "Processing failed at the signature service"
            else:
                raise ValueError(f"unknown Craftkit state {state!r}")

    def archive(self, envelope_id: str) -> None:
        """Archive a completed request: the signed PDF and certificate become downloadable."""
        with self.lock:
            sig = self.signatures[envelope_id]
            self.signed_pdfs[envelope_id] = small_pdf("Signed document", envelope_id)
            self.certificates[envelope_id] = small_pdf("Completion certificate", envelope_id)
            base = f"{self.url}/v1/signatures/{envelope_id}"
            sig["signedDownloadUrl"] = f"{base}/download"
            sig["certificateUrl"] = f"{base}/certificate"

    def webhook(
        self,
        event: str,
        envelope_id: str,
        secret: str,
        *,
        timestamp: float | None = None,
        delivery_id: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed ``signature.*`` delivery about ``envelope_id``: (headers, raw body)."""
        name = event if event.startswith("signature.") else f"signature.{event}"
        with self.lock:
            sig = self.signatures[envelope_id]
            payload = {
                "event": name,
                "signatureRequestId": envelope_id,
                "renderId": sig["renderId"],
                "status": sig["status"],
            }
        body = json.dumps(payload).encode("utf-8")
        stamp = datetime.now(UTC).timestamp() if timestamp is None else timestamp
        headers = {
            "content-type": "application/json",
            "x-craftkit-event": name,
            "x-craftkit-timestamp": str(int(stamp)),
            "x-craftkit-delivery-id": delivery_id or str(uuid.uuid4()),
            "x-craftkit-signature": hmac.new(
                secret.encode("utf-8"), body, hashlib.sha256
            ).hexdigest(),
        }
        return headers, body

    def documented_errors(self) -> list[ErrorCase]:
        one = r"/v1/signatures/[^/]+"
        unauthorized = error(401, "unauthorized", "Missing, invalid or revoked API key")
        missing = error(404, "not_found", "No signature request with that id in this project")
        return [
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(400, "invalid_json", "Body wasn't valid JSON"),
                "InvalidRequestError",
                "Body wasn't valid JSON",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(
                    400,
                    "invalid_request",
                    "Body didn't match the schema",
                    [{"path": "fields[0].page", "message": "Must be >= 1"}],
                ),
                "InvalidRequestError",
                "fields[0].page: Must be >= 1",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                unauthorized,
                "AuthenticationError",
                "refused the credentials",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(
                    402,
                    "signature_credits_exhausted",
                    "The signature service account is out of credits",
                ),
                "OutOfCreditsError",
                "out of credits",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(404, "not_found", "No render with that id in this project"),
                "RemoteNotFoundError",
                "has no render",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(409, "conflict", "Render isn't ready for signing"),
                "ConflictError",
                "not ready for signing",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(413, "document_too_large", "Rendered PDF exceeds the 20MB signing limit"),
                "DocumentTooLargeError",
                "too large",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(500, "internal", "Failed to load the PDF or persist the request"),
                "ProviderUnavailableError",
                "Failed to load the PDF",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(502, "signature_provider_error", "Recipient jane@example.com bounced"),
                "ProviderRejectedError",
                "Recipient jane@example.com bounced",
            ),
            ErrorCase(
                "create",
                "POST",
                "/v1/signatures",
                error(
                    503,
                    "signatures_unavailable",
                    "Digital signatures are not configured on this server",
                    headers={"Retry-After": "3600"},
                ),
                "ProviderUnavailableError",
                "not configured",
            ),
            ErrorCase(
                "refresh",
                "GET",
                one,
                unauthorized,
                "AuthenticationError",
                "refused the credentials",
            ),
            ErrorCase(
                "refresh", "GET", one, missing, "RemoteNotFoundError", "does not know this request"
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                error(400, "invalid_json", "Body wasn't valid JSON"),
                "InvalidRequestError",
                "Body wasn't valid JSON",
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                error(
                    400,
                    "invalid_request",
                    "Body didn't match the schema",
                    [{"path": "reason", "message": "String must contain at most 500 character(s)"}],
                ),
                "InvalidRequestError",
                "reason: String must contain at most 500",
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                unauthorized,
                "AuthenticationError",
                "refused the credentials",
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                missing,
                "RemoteNotFoundError",
                "does not know this request",
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                error(409, "conflict", "Request is already terminal"),
                "ConflictError",
                "already finished",
            ),
            ErrorCase(
                "cancel",
                "POST",
                f"{one}/cancel",
                error(
                    502,
                    "signature_provider_error",
                    "The signature service failed to cancel the request",
                ),
                "ProviderUnavailableError",
                "failed to cancel",
            ),
            ErrorCase(
                "download",
                "GET",
                f"{one}/download",
                unauthorized,
                "AuthenticationError",
                "refused the credentials",
            ),
            ErrorCase(
                "download",
                "GET",
                f"{one}/download",
                missing,
                "RemoteNotFoundError",
                "does not know this request",
            ),
            ErrorCase(
                "download",
                "GET",
                f"{one}/download",
                error(409, "conflict", "Signed document isn't archived yet"),
                "ConflictError",
                "not ready yet",
            ),
            ErrorCase(
                "certificate",
                "GET",
                f"{one}/certificate",
                unauthorized,
                "AuthenticationError",
                "refused the credentials",
            ),
            ErrorCase(
                "certificate",
                "GET",
                f"{one}/certificate",
                missing,
                "RemoteNotFoundError",
                "does not know this request",
            ),
            ErrorCase(
                "certificate",
                "GET",
                f"{one}/certificate",
                error(409, "conflict", "Completion certificate isn't available yet"),
                "ConflictError",
                "not ready yet",
            ),
            ErrorCase(
                "certificate",
                "GET",
                f"{one}/certificate",
                error(
                    502,
                    "upstream_error",
                    "The certificate couldn't be retrieved from the signature service",
                ),
                "ProviderUnavailableError",
                "could not fetch the completion certificate",
            ),
        ]

    # --- helpers ------------------------------------------------------------------------------

    def _authorized(self, request: FakeRequest) -> bool:
        return request.header("authorization") == f"Bearer {self.api_key}"

    def _unauthorized(self) -> FakeResponse:
        return error(401, "unauthorized", "Missing, invalid or revoked API key")

    def _created_at(self) -> datetime:
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_created is not None and now <= self._last_created:
            now = self._last_created + timedelta(milliseconds=1)
        self._last_created = now
        return now

    def _json_body(self, request: FakeRequest) -> tuple[Any, FakeResponse | None]:
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return None, error(
                400, "invalid_json", "Body wasn't valid JSON (send Content-Type: application/json)"
            )
        try:
            return json.loads(request.body.decode("utf-8")), None
        except (UnicodeDecodeError, ValueError):
            return None, error(400, "invalid_json", "Body wasn't valid JSON")

    # --- create -------------------------------------------------------------------------------

    def validate_create(self, body: Any) -> list[dict[str, str]]:
        """Every way ``body`` breaks the create schema, as ``issues``."""
        issues = _Issues()
        if not isinstance(body, dict):
            issues.add("", "Expected object")
            return issues.items
        issues.unknown(body, _CREATE_KEYS, "")
        render_id = issues.string(body, "renderId", "", required=True)
        if render_id is not None and not UUID_RE.match(render_id):
            issues.add("renderId", "Invalid uuid")
        issues.string(body, "name", "", required=False, low=1, high=255)
        issues.integer(body, "expirationHours", "", required=False, low=1, high=8760)
        recipients = body.get("recipients")
        count = 0
        signer = False
        if not isinstance(recipients, list):
            issues.add("recipients", "Required" if recipients is None else "Expected array")
        elif not 1 <= len(recipients) <= 20:
            issues.add("recipients", "Must contain 1-20 recipients")
        else:
            count = len(recipients)
            orders: list[int] = []
            for i, r in enumerate(recipients):
                path = f"recipients[{i}]"
                if not isinstance(r, dict):
                    issues.add(path, "Expected object")
                    continue
                issues.unknown(r, _RECIPIENT_KEYS, path)
                issues.string(r, "firstName", path, required=True, low=1, high=100)
                issues.string(r, "lastName", path, required=False, high=100)
                email = issues.string(r, "email", path, required=True, low=1, high=255)
                if email is not None and not EMAIL_RE.match(email):
                    issues.add(f"{path}.email", "Invalid email")
                designation = issues.enum(r, "designation", path, DESIGNATIONS, required=False)
                signer = signer or designation in (None, "Signer")
                order = issues.integer(r, "order", path, required=False, low=1)
                if order is not None:
                    orders.append(order)
            if orders and (len(set(orders)) != len(orders) or max(orders) > count):
                issues.add("recipients", f"order values must be unique and within [1, {count}]")
        render = self.renders.get(render_id or "")
        pages = render.pages if render is not None and render.pdf is not None else None
        entries = 0
        for key, limit in (("fields", 200), ("anchorTags", 200)):
            items = body.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                issues.add(key, "Expected array")
                continue
            if len(items) > limit:
                issues.add(key, f"At most {limit} entries")
            entries += len(items)
            for i, item in enumerate(items):
                path = f"{key}[{i}]"
                if not isinstance(item, dict):
                    issues.add(path, "Expected object")
                    continue
                index = issues.integer(item, "recipientIndex", path, required=True, low=0)
                if index is not None and count and index >= count:
                    issues.add(f"{path}.recipientIndex", "No recipient at that index")
                issues.boolean(item, "required", path)
                if key == "fields":
                    issues.unknown(item, _FIELD_KEYS, path)
                    issues.enum(item, "type", path, FIELD_TYPES, required=True)
                    page = issues.integer(item, "page", path, required=True, low=1)
                    if page is not None and pages is not None and page > pages:
                        issues.add(f"{path}.page", f"The render has {pages} page(s)")
                    for axis in ("x", "y"):
                        issues.number(item, axis, path, required=True, low=0, high=100)
                    for size in ("width", "height"):
                        issues.number(
                            item, size, path, required=False, low=0, high=100, low_open=True
                        )
                else:
                    issues.unknown(item, _ANCHOR_KEYS, path)
                    issues.string(item, "anchorString", path, required=True, low=1, high=200)
                    issues.enum(item, "type", path, ANCHOR_TYPES, required=True)
                    for size in ("width", "height"):
                        issues.number(
                            item, size, path, required=False, low=0, high=1000, low_open=True
                        )
                    issues.boolean(item, "ignoreIfNotPresent", path)
        if signer and count and entries == 0:
            issues.add(
                "fields",
                "At least one fields or anchorTags entry is required when any "
                "recipient is a Signer",
            )
        return issues.items

    def _create(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return self._unauthorized()
        body, problem = self._json_body(request)
        if problem is not None:
            return problem
        key = request.header("idempotency-key")
        with self.lock:
            if key and key in self.idempotency:
                return json_response(200, self.signatures[self.idempotency[key]])
            issues = self.validate_create(body)
            if issues:
                return error(400, "invalid_request", "Body didn't match the schema", issues)
            render = self.renders.get(body["renderId"])
            if render is None:
                return error(404, "not_found", "No render with that id in this project")
            if render.status != "succeeded" or render.pdf is None:
                return error(
                    409, "conflict", "Render isn't ready for signing (not succeeded, or no PDF)"
                )
            if render.size > MAX_DOCUMENT_BYTES:
                return error(
                    413, "document_too_large", "Rendered PDF exceeds the 20MB signing limit"
                )
            sid = str(uuid.uuid4())
            recipients = []
            for i, r in enumerate(body["recipients"]):
                recipients.append(
                    {
                        "id": f"rcp_{uuid.uuid4().hex[:4]}-{uuid.uuid4().hex[:12]}",
                        "firstName": r["firstName"],
                        "lastName": r.get("lastName", ""),
                        "email": r["email"],
                        "designation": r.get("designation", "Signer"),
                        "order": r.get("order", i + 1),
                    }
                )
            sig = {
                "id": sid,
                "renderId": body["renderId"],
                "name": body.get("name") or f"Signature request {body['renderId'][:8]}",
                "status": "sent",
                "recipients": recipients,
                "expirationHours": body.get("expirationHours", 168),
                "signedDownloadUrl": None,
                "certificateUrl": None,
                "errorMessage": None,
                "createdAt": iso(self._created_at()),
                "completedAt": None,
            }
            self.signatures[sid] = sig
            self.bodies[sid] = body
            self.order.append(sid)
            if key:
                self.idempotency[key] = sid
            return json_response(201, sig)

    # --- reading ------------------------------------------------------------------------------

    def _list(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return self._unauthorized()
        issues = _Issues()
        limit = 50
        raw_limit = request.query.get("limit")
        if raw_limit is not None:
            if (
                len(raw_limit) != 1
                or not raw_limit[0].isdigit()
                or not (1 <= int(raw_limit[0]) <= 100)
            ):
                issues.add("limit", "Must be an integer from 1 to 100")
            else:
                limit = int(raw_limit[0])
        render_id = request.query.get("renderId")
        if render_id is not None and (len(render_id) != 1 or not UUID_RE.match(render_id[0])):
            issues.add("renderId", "Invalid uuid")
        cursor = request.query.get("cursor")
        before: datetime | None = None
        if cursor is not None:
            before = parse_iso(cursor[0]) if len(cursor) == 1 else None
            if before is None:
                issues.add("cursor", "Invalid ISO-8601 timestamp")
        if issues.items:
            return error(400, "invalid_request", "Invalid query parameters", issues.items)
        with self.lock:
            rows = [self.signatures[sid] for sid in self.order]
        if render_id is not None:
            rows = [r for r in rows if r["renderId"] == render_id[0]]
        rows.sort(key=lambda r: r["createdAt"], reverse=True)
        if before is not None:
            rows = [r for r in rows if (parse_iso(r["createdAt"]) or before) < before]
        page = rows[:limit]
        return json_response(
            200,
            {
                "signatures": page,
                "nextCursor": page[-1]["createdAt"] if page else None,
                "hasMore": len(page) == limit,
            },
        )

    def _find(self, request: FakeRequest) -> tuple[dict[str, Any] | None, FakeResponse | None]:
        if not self._authorized(request):
            return None, self._unauthorized()
        sig = self.signatures.get(request.params["id"])
        if sig is None:
            return None, error(
                404, "not_found", "No signature request with that id in this project"
            )
        return sig, None

    def _get(self, request: FakeRequest) -> FakeResponse:
        sig, problem = self._find(request)
        if problem is not None:
            return problem
        return json_response(200, sig)

    # --- actions ------------------------------------------------------------------------------

    def _cancel(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return self._unauthorized()
        body: Any = {}
        if request.body.strip():
            body, problem = self._json_body(request)
            if problem is not None:
                return problem
        issues = _Issues()
        if not isinstance(body, dict):
            issues.add("", "Expected object")
        else:
            issues.unknown(body, {"reason"}, "")
            issues.string(body, "reason", "", required=False, high=500)
        if issues.items:
            return error(400, "invalid_request", "Body didn't match the schema", issues.items)
        sig, problem = self._find(request)
        if problem is not None:
            return problem
        assert sig is not None
        if sig["status"] in TERMINAL:
            return error(409, "conflict", "Request is already terminal and can't be cancelled")
        sig["status"] = "cancelled"
        sig["errorMessage"] = body.get("reason")
        return json_response(200, sig)

    def _download(self, request: FakeRequest) -> FakeResponse:
        sig, problem = self._find(request)
        if problem is not None:
            return problem
        assert sig is not None
        if sig["signedDownloadUrl"] is None:
            return error(409, "conflict", "Signed document isn't archived yet")
        return pdf_response(self.signed_pdfs[sig["id"]], f"{sig['id']}-signed.pdf")

    def _certificate(self, request: FakeRequest) -> FakeResponse:
        sig, problem = self._find(request)
        if problem is not None:
            return problem
        assert sig is not None
        if sig["certificateUrl"] is None:
            return error(409, "conflict", "Completion certificate isn't available yet")
        return pdf_response(self.certificates[sig["id"]], f"{sig['id']}-certificate.pdf")
