# mypy: allow-untyped-calls
"""A fake ItaSign server that follows ItaSign's API document strictly (real HTTP on 127.0.0.1).

Paths live under ``/api/v1`` like the real service, so :attr:`ItaSignFake.url` is the base URL a
client is configured with (``https://itasign.com/api/v1`` in production). Every call needs the
``X-API-Key`` header (401 without it, 403 when the key lacks the permission). Requests that break
the document (unknown parameters, a missing title or signer name, a file that is not a base64
PDF, a phone number without its country code...) are refused with 400 and a body
``{"success": false, "error": "Validation failed", "details": [...]}``, so client mistakes show up
in tests.

Tests drive the lifecycle with :meth:`ItaSignFake.advance`; the fake's clock starts at
2025-12-26T09:00:00Z and moves one minute per event, so times are predictable.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from dataclasses import dataclass, field
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

PREFIX = "/api/v1"
DOC = f"{PREFIX}/documents/(?P<id>[^/]+)"
DEFAULT_KEY = "itasign_test_key"
START = datetime(2025, 12, 26, 9, 0, tzinfo=UTC)

DOCUMENT_STATUSES = (
    "draft",
    "pending",
    "partially_signed",
    "completed",
    "declined",
    "expired",
    "voided",
)
SIGNER_STATUSES = ("pending", "notified", "viewed", "signed", "declined")
OPEN_STATUSES = ("draft", "pending", "partially_signed")

CREATE_KEYS = frozenset(
    {
        "title",
        "file",
        "file_type",
        "signers",
        "send",
        "message",
        "signature_level",
        "verification_mode",
        "external_reference",
        "redirect_url",
    }
)
TEMPLATE_KEYS = frozenset(
    {"template_slug", "title", "external_reference", "signers", "data", "redirect_url"}
)
SIGNER_KEYS = frozenset(
    {
        "name",
        "email",
        "signing_order",
        "phone_number",
        "country_code",
        "unique_identifier",
        "identifier_type",
    }
)
TEMPLATE_SIGNER_KEYS = (SIGNER_KEYS - {"signing_order"}) | {"role"}
SIGNATURE_LEVELS = ("ses", "ades", "ades_t")
VERIFICATION_MODES = ("standard", "email_otp", "sms_otp", "in_person")

TEMPLATES: list[dict[str, Any]] = [
    {
        "id": "template-1",
        "name": "Privacy Consent",
        "slug": "privacy-consent",
        "description": "Patient privacy consent form",
        "is_active": True,
        "created_at": "2025-12-01T10:00:00Z",
        "signers": [
            {"role_name": "patient", "signing_order": 1},
            {"role_name": "organization", "signing_order": 2},
        ],
        "fields": [
            {
                "field_type": "text",
                "label": "First Name",
                "default_value": "{{firstName}}",
                "is_required": True,
            }
        ],
    }
]

NOT_FOUND = {"success": False, "error": "Document not found"}
UNAUTHORIZED = {"success": False, "error": "Invalid or missing API key"}
NOT_COMPLETED = {
    "success": False,
    "error": "Document is not completed: the signed document is "
    "only available for completed documents",
}
CANNOT_VOID = {"success": False, "error": "Document can no longer be voided"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid(*details: str) -> FakeResponse:
    return json_response(
        400, {"success": False, "error": "Validation failed", "details": list(details)}
    )


def make_signed_pdf(title: str = "Signed") -> bytes:
    """A small real PDF standing in for ItaSign's PAdES output."""
    doc = pymupdf.open()
    try:
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"{title} - signed with ItaSign (fake)", fontsize=12)
        data: bytes = doc.tobytes()
    finally:
        doc.close()
    return data


@dataclass
class FakeSigner:
    id: str
    name: str
    email: str | None
    signing_order: int
    status: str
    extra: dict[str, Any] = field(default_factory=dict)
    signed_time: datetime | None = None
    role: str | None = None


@dataclass
class FakeDocument:
    id: str
    title: str
    status: str
    signers: list[FakeSigner]
    created_at: datetime
    expires_at: datetime
    pdf: bytes | None
    external_reference: str | None = None
    message: str | None = None
    body: dict[str, Any] = field(default_factory=dict)
    voided_at: datetime | None = None
    void_reason: str | None = None


class ItaSignFake(ProviderFake):
    provider_id = "itasign"

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        permissions: frozenset[str] = frozenset({"documents:create", "documents:read"}),
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.permissions = permissions
        self.documents: dict[str, FakeDocument] = {}
        #: Keep created documents as drafts even when ``send`` is true (so that a client has to
        #: send them with ``POST /documents/{id}/send``).
        self.create_as_draft = False
        self.now = START
        self._ids = itertools.count(1)
        self._signer_ids = itertools.count(1)
        self.signed_pdf = make_signed_pdf()
        self.cades = b"0\x80\x06\x09*\x86H\x86\xf7\r\x01\x07\x02fake-p7m" + self.signed_pdf
        self.route("POST", f"{PREFIX}/documents", self._create)
        self.route("POST", f"{PREFIX}/documents/from-template", self._from_template)
        self.route("POST", f"{DOC}/send", self._send)
        self.route("GET", f"{DOC}/status", self._status)
        self.route("POST", f"{DOC}/void", self._void)
        self.route("GET", f"{DOC}/download", self._download)
        self.route("GET", f"{PREFIX}/templates", self._templates)
        self.route("GET", f"{PREFIX}/templates/(?P<slug>[^/]+)", self._template)

    # --- ProviderFake -------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return super().url

    @property
    def url(self) -> str:
        """The base URL a client is configured with (``.../api/v1``)."""
        return self.origin + PREFIX

    def env(self) -> dict[str, str]:
        return {"SEALBOX_ITASIGN_BASE_URL": self.url, "SEALBOX_ITASIGN_API_KEY": self.api_key}

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return list(self.documents)

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        """Sealbox states (``viewed``, ``signed``, ``completed``, ``declined``, ``expired``,
        ``cancelled``) as ItaSign would show them; ItaSign's own document statuses (and, with a
        ``recipient_index``, signer statuses) are also accepted and set as they are."""
        with self.lock:
            doc = self.documents[envelope_id]
            signer = doc.signers[recipient_index or 0]
            if state == "viewed":
                signer.status = "viewed"
            elif state == "signed":
                signer.status, signer.signed_time = "signed", self.tick()
                done = all(s.status == "signed" for s in doc.signers)
                doc.status = "completed" if done else "partially_signed"
            elif state == "completed":
                for s in doc.signers:
                    if s.status != "signed":
                        s.status, s.signed_time = "signed", self.tick()
                doc.status = "completed"
            elif state == "declined":
                signer.status = "declined"
                doc.status = "declined"
            elif state == "expired":
                doc.status = "expired"
            elif state == "cancelled":
                doc.status, doc.voided_at = "voided", self.tick()
            elif recipient_index is not None and state in SIGNER_STATUSES:
                signer.status = state
                if state == "signed":
                    signer.signed_time = self.tick()
            elif recipient_index is None and state in DOCUMENT_STATUSES:
                doc.status = state
            else:
                raise ValueError(f"ItaSignFake cannot move a document to {state!r}")

    def documented_errors(self) -> list[ErrorCase]:
        create, status = f"{PREFIX}/documents", f"{PREFIX}/documents/[^/]+/status"
        void, download = f"{PREFIX}/documents/[^/]+/void", f"{PREFIX}/documents/[^/]+/download"
        forbidden = {"success": False, "error": "API key lacks the 'documents:create' permission"}
        return [
            ErrorCase(
                "create",
                "POST",
                create,
                json_response(401, UNAUTHORIZED),
                "AuthenticationError",
                "Invalid or missing API key",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                json_response(403, forbidden),
                "AuthenticationError",
                "documents:create",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                invalid("signers: at least one signer is required"),
                "InvalidRequestError",
                "signers: at least one signer is required",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                invalid("signers[0].country_code: is required with phone_number"),
                "InvalidRequestError",
                "country_code: is required with phone_number",
            ),
            ErrorCase(
                "refresh",
                "GET",
                status,
                json_response(401, UNAUTHORIZED),
                "AuthenticationError",
                "Invalid or missing API key",
            ),
            ErrorCase(
                "refresh",
                "GET",
                status,
                json_response(404, NOT_FOUND),
                "RemoteNotFoundError",
                "Document not found",
            ),
            ErrorCase(
                "cancel",
                "POST",
                void,
                json_response(404, NOT_FOUND),
                "RemoteNotFoundError",
                "Document not found",
            ),
            ErrorCase(
                "cancel",
                "POST",
                void,
                json_response(409, CANNOT_VOID),
                "ConflictError",
                "can no longer be voided",
            ),
            ErrorCase(
                "cancel",
                "POST",
                void,
                invalid("reason: must be a string"),
                "InvalidRequestError",
                "reason: must be a string",
            ),
            ErrorCase(
                "download",
                "GET",
                download,
                json_response(404, NOT_FOUND),
                "RemoteNotFoundError",
                "Document not found",
            ),
            ErrorCase(
                "download",
                "GET",
                download,
                json_response(409, NOT_COMPLETED),
                "ConflictError",
                "only available for completed documents",
            ),
            ErrorCase(
                "download",
                "GET",
                download,
                invalid('format: must be "pades" or "cades"'),
                "InvalidRequestError",
                "format: must be",
            ),
        ]

    # --- helpers ------------------------------------------------------------------------------

    def _denied(self, request: FakeRequest, permission: str) -> FakeResponse | None:
        if request.header("x-api-key") != self.api_key:
            return json_response(401, UNAUTHORIZED)
        if permission not in self.permissions:
            return json_response(
                403, {"success": False, "error": f"API key lacks the '{permission}' permission"}
            )
        return None

    @staticmethod
    def _json_body(
        request: FakeRequest, *, optional: bool = False
    ) -> tuple[dict[str, Any] | None, FakeResponse | None]:
        if optional and not request.body:
            return {}, None
        if not (request.header("content-type") or "").startswith("application/json"):
            return None, invalid("Content-Type: must be application/json")
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, invalid("body: is not valid JSON")
        if not isinstance(data, dict):
            return None, invalid("body: must be a JSON object")
        return data, None

    def _document(self, request: FakeRequest) -> FakeDocument | None:
        return self.documents.get(request.params["id"])

    def _signers(
        self,
        raw: Any,
        allowed: frozenset[str],
        problems: list[str],
        *,
        roles: list[str] | None = None,
    ) -> list[FakeSigner]:
        if raw is None:
            problems.append("signers: is required")
            return []
        if not isinstance(raw, list) or not raw:
            problems.append("signers: at least one signer is required")
            return []
        out: list[FakeSigner] = []
        for i, item in enumerate(raw):
            path = f"signers[{i}]"
            if not isinstance(item, dict):
                problems.append(f"{path}: must be an object")
                continue
            problems.extend(
                f"{path}.{k}: unknown parameter" for k in sorted(item) if k not in allowed
            )
            name = item.get("name")
            if not isinstance(name, str) or not name.strip():
                problems.append(f"{path}.name: is required")
            for key in (
                "email",
                "phone_number",
                "country_code",
                "unique_identifier",
                "identifier_type",
                "role",
            ):
                if key in item and not isinstance(item[key], str):
                    problems.append(f"{path}.{key}: must be a string")
            email = item.get("email")
            if isinstance(email, str) and "@" not in email:
                problems.append(f"{path}.email: is not an email address")
            if ("phone_number" in item) != ("country_code" in item):
                missing = "country_code" if "phone_number" in item else "phone_number"
                other = "phone_number" if missing == "country_code" else "country_code"
                problems.append(f"{path}.{missing}: is required with {other}")
            if not any(item.get(k) for k in ("email", "phone_number", "unique_identifier")):
                problems.append(
                    f"{path}: needs at least one identifier (email, phone_number "
                    "or unique_identifier)"
                )
            order = item.get("signing_order", i + 1)
            if isinstance(order, bool) or not isinstance(order, int) or order < 1:
                problems.append(f"{path}.signing_order: must be a positive whole number")
                order = i + 1
            role = item.get("role")
            if roles is not None:
                if role not in roles:
                    problems.append(f"{path}.role: must be one of {', '.join(roles)}")
                else:
                    order = roles.index(str(role)) + 1
            extra = {
                k: item[k]
                for k in ("phone_number", "country_code", "unique_identifier", "identifier_type")
                if k in item
            }
            out.append(
                FakeSigner(
                    id=f"signer-{next(self._signer_ids)}",
                    name=name if isinstance(name, str) else "",
                    email=email if isinstance(email, str) else None,
                    signing_order=order,
                    status="pending",
                    extra=extra,
                    role=role if isinstance(role, str) else None,
                )
            )
        return out

    @staticmethod
    def _optional_strings(data: dict[str, Any], keys: tuple[str, ...], problems: list[str]) -> None:
        for key in keys:
            if key in data and not isinstance(data[key], str):
                problems.append(f"{key}: must be a string")

    def _store(
        self,
        title: str,
        signers: list[FakeSigner],
        *,
        send: bool,
        pdf: bytes | None,
        data: dict[str, Any],
    ) -> FakeDocument:
        created = self.tick()
        doc = FakeDocument(
            id=f"doc-{next(self._ids):04d}",
            title=title,
            status="pending" if send else "draft",
            signers=signers,
            created_at=created,
            expires_at=created + timedelta(days=1),
            pdf=pdf,
            external_reference=data.get("external_reference"),
            message=data.get("message"),
            body={k: v for k, v in data.items() if k != "file"},
        )
        if send:
            for s in signers:
                s.status = "notified"
        self.documents[doc.id] = doc
        return doc

    @staticmethod
    def _signer_json(signer: FakeSigner) -> dict[str, Any]:
        out: dict[str, Any] = {"id": signer.id, "name": signer.name}
        if signer.email is not None:
            out["email"] = signer.email
        return out

    # --- routes -------------------------------------------------------------------------------

    def _create(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:create")
        if denied:
            return denied
        data, error = self._json_body(request)
        if error or data is None:
            return error or invalid("body: is required")
        problems = [f"{k}: unknown parameter" for k in sorted(data) if k not in CREATE_KEYS]
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append("title: is required")
        file_type = data.get("file_type", "base64")
        if file_type not in ("base64", "storage_path"):
            problems.append('file_type: must be "base64" or "storage_path"')
        pdf: bytes | None = None
        raw = data.get("file")
        if not isinstance(raw, str) or not raw:
            problems.append("file: is required")
        elif file_type == "storage_path":
            problems.append(f"file: no file at storage path {raw[:60]!r}")
        elif file_type == "base64":
            try:
                pdf = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                problems.append("file: is not valid base64")
            else:
                if not pdf.startswith(b"%PDF-"):
                    problems.append("file: is not a PDF")
        signers = self._signers(data.get("signers"), SIGNER_KEYS, problems)
        if "send" in data and not isinstance(data["send"], bool):
            problems.append("send: must be true or false")
        if data.get("signature_level", "ses") not in SIGNATURE_LEVELS:
            problems.append("signature_level: must be one of " + ", ".join(SIGNATURE_LEVELS))
        if data.get("verification_mode", "standard") not in VERIFICATION_MODES:
            problems.append("verification_mode: must be one of " + ", ".join(VERIFICATION_MODES))
        self._optional_strings(data, ("message", "external_reference", "redirect_url"), problems)
        if problems:
            return invalid(*problems)
        assert isinstance(title, str)
        send = data.get("send") is True and not self.create_as_draft
        doc = self._store(title, signers, send=send, pdf=pdf, data=data)
        signers_out = [
            {**self._signer_json(s), "signing_url": f"{self.origin}/sign/{s.id}"}
            for s in doc.signers
        ]
        return json_response(
            201,
            {
                "success": True,
                "document": {"id": doc.id, "title": doc.title, "status": doc.status},
                "signers": signers_out,
            },
        )

    def _from_template(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:create")
        if denied:
            return denied
        data, error = self._json_body(request)
        if error or data is None:
            return error or invalid("body: is required")
        problems = [f"{k}: unknown parameter" for k in sorted(data) if k not in TEMPLATE_KEYS]
        template = next((t for t in TEMPLATES if t["slug"] == data.get("template_slug")), None)
        if template is None:
            problems.append("template_slug: no active template with this slug")
        roles = [str(s["role_name"]) for s in template["signers"]] if template else []
        signers = self._signers(data.get("signers"), TEMPLATE_SIGNER_KEYS, problems, roles=roles)
        if "data" in data and not isinstance(data["data"], dict):
            problems.append("data: must be an object")
        self._optional_strings(data, ("title", "external_reference", "redirect_url"), problems)
        if problems or template is None:
            return invalid(*problems)
        title = data.get("title") or str(template["name"])
        doc = self._store(title, signers, send=True, pdf=None, data=data)
        return json_response(
            201,
            {
                "success": True,
                "document": {"id": doc.id, "title": doc.title, "status": doc.status},
                "signers": [
                    {**self._signer_json(s), "signing_url": f"{self.origin}/sign/{s.id}"}
                    for s in doc.signers
                ],
            },
        )

    def _send(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:create")
        if denied:
            return denied
        doc = self._document(request)
        if doc is None:
            return json_response(404, NOT_FOUND)
        if doc.status != "draft":
            return json_response(409, {"success": False, "error": "Document has already been sent"})
        doc.status = "pending"
        for s in doc.signers:
            s.status = "notified"
        return json_response(
            200,
            {
                "success": True,
                "document": {"id": doc.id, "status": doc.status},
                "notified_count": len(doc.signers),
            },
        )

    def _status(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:read")
        if denied:
            return denied
        doc = self._document(request)
        if doc is None:
            return json_response(404, NOT_FOUND)
        signers = []
        for s in doc.signers:
            entry = {
                **self._signer_json(s),
                **s.extra,
                "status": s.status,
                "signingOrder": s.signing_order,
            }
            if s.signed_time is not None:
                entry["signedTime"] = iso(s.signed_time)
            signers.append(entry)
        return json_response(
            200,
            {
                "success": True,
                "documentId": doc.id,
                "status": doc.status,
                "signerStatuses": signers,
                "createdAt": iso(doc.created_at),
                "expiresAt": iso(doc.expires_at),
            },
        )

    def _void(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:create")
        if denied:
            return denied
        doc = self._document(request)
        if doc is None:
            return json_response(404, NOT_FOUND)
        data, error = self._json_body(request, optional=True)
        if error or data is None:
            return error or invalid("body: is required")
        problems = [f"{k}: unknown parameter" for k in sorted(data) if k != "reason"]
        if "reason" in data and not isinstance(data["reason"], str):
            problems.append("reason: must be a string")
        if problems:
            return invalid(*problems)
        if doc.status not in OPEN_STATUSES:
            return json_response(409, CANNOT_VOID)
        doc.status, doc.voided_at, doc.void_reason = "voided", self.tick(), data.get("reason")
        assert doc.voided_at is not None
        return json_response(
            200,
            {
                "success": True,
                "document": {"id": doc.id, "status": doc.status, "voided_at": iso(doc.voided_at)},
            },
        )

    def _download(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:read")
        if denied:
            return denied
        doc = self._document(request)
        if doc is None:
            return json_response(404, NOT_FOUND)
        unknown = sorted(k for k in request.query if k != "format")
        if unknown:
            return invalid(*(f"{k}: unknown parameter" for k in unknown))
        fmt = request.query.get("format", ["pades"])
        if len(fmt) != 1 or fmt[0] not in ("pades", "cades"):
            return invalid('format: must be "pades" or "cades"')
        if doc.status != "completed":
            return json_response(409, NOT_COMPLETED)
        name = doc.title.encode("ascii", "replace").decode("ascii").replace('"', "'")
        if fmt[0] == "cades":
            return FakeResponse(
                200,
                self.cades,
                {
                    "Content-Type": "application/x-pkcs7-mime",
                    "Content-Disposition": f'attachment; filename="{name}.pdf.p7m"',
                },
            )
        return pdf_response(self.signed_pdf, f"{name}.pdf")

    def _templates(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:read")
        if denied:
            return denied
        keys = ("id", "name", "slug", "description", "is_active", "created_at")
        return json_response(
            200, {"success": True, "templates": [{k: t[k] for k in keys} for t in TEMPLATES]}
        )

    def _template(self, request: FakeRequest) -> FakeResponse:
        denied = self._denied(request, "documents:read")
        if denied:
            return denied
        template = next((t for t in TEMPLATES if t["slug"] == request.params["slug"]), None)
        if template is None:
            return json_response(404, {"success": False, "error": "Template not found"})
        keys = ("id", "name", "slug", "description", "signers", "fields")
        return json_response(200, {"success": True, "template": {k: template[k] for k in keys}})
