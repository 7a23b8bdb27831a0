# mypy: allow-untyped-calls
"""A fake SayPDF e-sign API that follows its document strictly (and Sealbox's reading of it).

One host serves both authentication modes: ``X-API-Key`` (the API-key host) and ``Authorization:
Bearer <JWT>`` with tokens from ``POST /auth/login``. Paths are relative to the base URL
(``/esign/documents``...). A create must be ``multipart/form-data`` with exactly the parts ``pdf``
(a PDF file) and ``data`` (a JSON ``CreateDocumentDto``); the DTO is validated like NestJS's
class-validator with ``whitelist``/``forbidNonWhitelisted``: unknown properties, wrong types,
percentages outside 0–100 and pages outside the 0-based page range are refused with a 400 in the
NestJS shape ``{"statusCode", "message": [...], "error"}``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import uuid
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

EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
FIELD_TYPES = ("signature", "initials", "date", "text")
DTO_KEYS = {"title", "message", "ownerEmail", "ownerName", "expiresInDays", "parties"}
PARTY_KEYS = {"name", "email", "signingOrder", "fields"}
FIELD_KEYS = {"type", "page", "x", "y", "width", "height"}
START = datetime(2026, 4, 8, 12, 0, tzinfo=UTC)
DECLINE_REASON = "I need to review with my lawyer first."

DOC = r"/esign/documents/(?P<id>[^/]+)"


def nest_error(
    status: int,
    message: str | list[str],
    error: str | None = None,
    headers: dict[str, str] | None = None,
) -> FakeResponse:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if error:
        body["error"] = error
    return json_response(status, body, headers)


def bad_request(message: str | list[str]) -> FakeResponse:
    return nest_error(400, message, "Bad Request")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SayPdfFake(ProviderFake):
    provider_id = "saypdf"

    def __init__(
        self,
        *,
        api_key: str = "sp_live_test_key",
        email: str = "owner@example.com",
        password: str = "correct horse",
        webhook_secret: str = "whsec_saypdf_test",
        cancel_returns_document: bool = True,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.email = email
        self.password = password
        self.webhook_secret = webhook_secret
        self.cancel_returns_document = cancel_returns_document
        self.tokens: set[str] = set()
        self.logins = 0
        self.documents: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.signed_pdfs: dict[str, bytes] = {}
        self.certificates: dict[str, bytes] = {}
        self._ticks = 0
        self._rate_limits: list[int] = []
        self.route("POST", "/auth/login", self._login)
        self.route("POST", "/esign/documents", self._create)
        self.route("GET", "/esign/documents", self._list)
        self.route("GET", DOC, self._get)
        self.route("GET", DOC + "/download", self._download)
        self.route("GET", DOC + "/certificate", self._certificate)
        self.route("POST", DOC + "/cancel", self._cancel)

    # --- controls ----------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "SEALBOX_SAYPDF_BASE_URL": self.url,
            "SEALBOX_SAYPDF_API_KEY": self.api_key,
            "SEALBOX_SAYPDF_WEBHOOK_SECRET": self.webhook_secret,
            "SEALBOX_SENDER_NAME": "Alice Owner",
            "SEALBOX_SENDER_EMAIL": "alice@company.example",
        }

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return list(self.documents)

    def expire_tokens(self) -> None:
        """Forget every issued JWT (the next Bearer call answers 401)."""
        with self.lock:
            self.tokens.clear()

    def rate_limit_next(self, seconds: int) -> None:
        """Answer the next request, whatever it is, with 429 and ``Retry-After: seconds``."""
        with self.lock:
            self._rate_limits.append(seconds)

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            if self._rate_limits:
                seconds = self._rate_limits.pop(0)
                self.received.append(request)
                return nest_error(
                    429,
                    "ThrottlerException: Too Many Requests",
                    headers={"Retry-After": str(seconds)},
                )
        return super().dispatch(request)

    def _tick(self) -> str:
        self._ticks += 1
        return iso(START + timedelta(minutes=self._ticks))

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        """``viewed``/``signed``/``declined`` act for one party (default the first); ``completed``
        signs for everyone; ``expired``/``cancelled`` and SayPDF's own ``pending``/``draft`` set
        the document status."""
        with self.lock:
            doc = self.documents[envelope_id]
            parties: list[dict[str, Any]] = doc["parties"]
            party = parties[recipient_index or 0]
            if state == "viewed":
                if party["status"] == "pending":
                    party["status"] = "viewed"
                party["viewedAt"] = party["viewedAt"] or self._tick()
            elif state == "signed":
                party["viewedAt"] = party["viewedAt"] or self._tick()
                party["status"] = "signed"
                party["signedAt"] = self._tick()
                if all(p["status"] == "signed" for p in parties):
                    self._complete(doc)
            elif state == "completed":
                for p in parties:
                    if p["status"] != "signed":
                        p["viewedAt"] = p["viewedAt"] or self._tick()
                        p["status"] = "signed"
                        p["signedAt"] = self._tick()
                self._complete(doc)
            elif state == "declined":
                party["viewedAt"] = party["viewedAt"] or self._tick()
                party["status"] = "declined"
                party["declinedAt"] = self._tick()
                party["declineReason"] = DECLINE_REASON
                doc["status"] = "declined"
            elif state in ("expired", "cancelled", "pending", "draft"):
                doc["status"] = state
            else:
                raise ValueError(f"SayPDF has no state {state!r}")
            doc["updatedAt"] = self._tick()

    def _complete(self, doc: dict[str, Any]) -> None:
        doc["status"] = "completed"
        doc["completedAt"] = self._tick()
        doc_id = doc["id"]
        pdf = pymupdf.open(stream=self.uploads[doc_id], filetype="pdf")
        try:
            pdf[0].insert_text((36, 36), f"Signed with SayPDF: {doc['title']}", fontsize=8)
            self.signed_pdfs[doc_id] = pdf.tobytes()
        finally:
            pdf.close()
        cert = pymupdf.open()
        try:
            page = cert.new_page()
            lines = ["Certificate of Completion", doc["title"], f"Document {doc_id}"]
            lines += [f"{p['name']} <{p['email']}> signed {p['signedAt']}" for p in doc["parties"]]
            for i, line in enumerate(lines):
                page.insert_text((72, 72 + 18 * i), line, fontsize=11)
            self.certificates[doc_id] = cert.tobytes()
        finally:
            cert.close()

    def document(self, envelope_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.documents[envelope_id])

    def webhook(self, event: str, envelope_id: str, secret: str) -> tuple[dict[str, str], bytes]:
        """A signed delivery of ``event`` about the document, as SayPDF posts it."""
        body = json.dumps(
            {
                "event": event,
                "documentId": envelope_id,
                "timestamp": iso(START + timedelta(minutes=self._ticks)),
                "data": self.document(envelope_id),
            }
        ).encode("utf-8")
        signature = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-SayPDF-Signature": signature}, body

    def documented_errors(self) -> list[ErrorCase]:
        create, one = "/esign/documents", DOC.replace("(?P<id>[^/]+)", "[^/]+")
        return [
            ErrorCase(
                "create",
                "POST",
                create,
                bad_request(
                    ["title should not be empty", "parties must contain at least 1 elements"]
                ),
                "InvalidRequestError",
                "title should not be empty",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                nest_error(401, "Unauthorized"),
                "AuthenticationError",
                "SEALBOX_SAYPDF_API_KEY",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                nest_error(403, "Monthly e-sign quota exceeded", "Forbidden"),
                "OutOfCreditsError",
                "quota",
            ),
            ErrorCase(
                "refresh",
                "GET",
                one,
                nest_error(403, "You do not have access to this document", "Forbidden"),
                "AuthenticationError",
                "belongs to another SayPDF account",
            ),
            ErrorCase(
                "refresh",
                "GET",
                one,
                nest_error(404, "Document not found", "Not Found"),
                "RemoteNotFoundError",
                "Document not found",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                nest_error(
                    429, "ThrottlerException: Too Many Requests", headers={"Retry-After": "600"}
                ),
                "ProviderUnavailableError",
                "limiting requests",
            ),
            ErrorCase(
                "refresh",
                "GET",
                one,
                nest_error(500, "Internal server error"),
                "ProviderUnavailableError",
                "internal error (500)",
            ),
            ErrorCase(
                "create",
                "POST",
                create,
                nest_error(500, "Internal server error"),
                "AmbiguousSendError",
                "internal error (500)",
            ),
            ErrorCase(
                "cancel",
                "POST",
                one + "/cancel",
                bad_request("Only pending documents can be cancelled"),
                "ConflictError",
                "Only pending documents can be cancelled",
            ),
            ErrorCase(
                "download",
                "GET",
                one + "/download",
                bad_request("Document is not completed yet"),
                "ConflictError",
                "no signed PDF",
            ),
            ErrorCase(
                "certificate",
                "GET",
                one + "/certificate",
                nest_error(404, "Document not found", "Not Found"),
                "RemoteNotFoundError",
                "does not know this request",
            ),
        ]

    # --- handlers ----------------------------------------------------------------------------

    def _auth(self, request: FakeRequest) -> str | None:
        key = request.header("x-api-key")
        if key is not None:
            return "api_key" if hmac.compare_digest(key, self.api_key) else None
        authorization = request.header("authorization") or ""
        if authorization.startswith("Bearer ") and authorization[7:] in self.tokens:
            return "jwt"
        return None

    def _login(self, request: FakeRequest) -> FakeResponse:
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return bad_request("Invalid JSON")
        if not isinstance(body, dict) or set(body) != {"email", "password"}:
            return bad_request(["email must be an email", "password should not be empty"])
        if body["email"] != self.email or body["password"] != self.password:
            return nest_error(401, "Invalid credentials", "Unauthorized")
        self.logins += 1
        token = "eyJhbGciOiJIUzI1NiIs." + uuid.uuid4().hex
        self.tokens.add(token)
        return json_response(201, {"access_token": token})

    def _document_or_error(self, request: FakeRequest) -> dict[str, Any] | FakeResponse:
        if self._auth(request) is None:
            return nest_error(401, "Unauthorized")
        doc = self.documents.get(request.params["id"])
        if doc is None:
            return nest_error(404, "Document not found", "Not Found")
        return doc

    def _create(self, request: FakeRequest) -> FakeResponse:
        mode = self._auth(request)
        if mode is None:
            return nest_error(401, "Unauthorized")
        if not (request.header("content-type") or "").startswith("multipart/form-data"):
            return bad_request("Content-Type must be multipart/form-data")
        form = request.form()
        unexpected = sorted(set(form) - {"pdf", "data"})
        if unexpected:
            return bad_request(f"Unexpected field - {unexpected[0]}")
        if len(form.get("pdf", [])) != 1:
            return bad_request("PDF file is required")
        pdf = form["pdf"][0]
        if not pdf.filename or not pdf.data.lstrip().startswith(b"%PDF-"):
            return bad_request("Only PDF files are allowed")
        if len(form.get("data", [])) != 1 or form["data"][0].filename is not None:
            return bad_request("data is required")
        try:
            dto = json.loads(form["data"][0].text)
        except (ValueError, UnicodeDecodeError):
            return bad_request("data must be valid JSON")
        try:
            doc_pdf = pymupdf.open(stream=pdf.data, filetype="pdf")
            page_count = doc_pdf.page_count
            doc_pdf.close()
        except (RuntimeError, ValueError):
            return bad_request("Only PDF files are allowed")
        problems = validate_dto(dto, page_count)
        if problems:
            return bad_request(problems)
        doc_id = str(uuid.uuid4())
        created = self._tick()
        days = dto.get("expiresInDays", 30)
        doc: dict[str, Any] = {
            "id": doc_id,
            "title": dto["title"],
            "message": dto.get("message"),
            "ownerEmail": dto["ownerEmail"],
            "ownerName": dto.get("ownerName"),
            "status": "pending",
            "createdAt": created,
            "updatedAt": created,
            "expiresAt": iso(START + timedelta(minutes=self._ticks, days=days)),
            "completedAt": None,
            "parties": [
                {
                    "id": str(uuid.uuid4()),
                    "name": p["name"],
                    "email": p["email"],
                    "signingOrder": p.get("signingOrder"),
                    "status": "pending",
                    "viewedAt": None,
                    "signedAt": None,
                    "declinedAt": None,
                    "declineReason": None,
                    "fields": [{"id": str(uuid.uuid4()), **f} for f in p["fields"]],
                }
                for p in dto["parties"]
            ],
            "auditLogs": [{"action": "created", "createdAt": created}],
        }
        self.documents[doc_id] = doc
        self.uploads[doc_id] = pdf.data
        if mode == "api_key":
            parties = [
                {k: p[k] for k in ("id", "name", "email", "status", "signingOrder")}
                for p in doc["parties"]
            ]
            return json_response(
                201,
                {"success": True, "documentId": doc_id, "status": "pending", "parties": parties},
            )
        return json_response(
            201,
            {
                "success": True,
                "document": {
                    "id": doc_id,
                    "title": doc["title"],
                    "status": "pending",
                    "expiresAt": doc["expiresAt"],
                },
            },
        )

    def _list(self, request: FakeRequest) -> FakeResponse:
        if self._auth(request) is None:
            return nest_error(401, "Unauthorized")
        return json_response(
            200, {"success": True, "documents": copy.deepcopy(list(self.documents.values()))}
        )

    def _get(self, request: FakeRequest) -> FakeResponse:
        doc = self._document_or_error(request)
        if isinstance(doc, FakeResponse):
            return doc
        return json_response(200, {"success": True, "document": copy.deepcopy(doc)})

    def _download(self, request: FakeRequest) -> FakeResponse:
        doc = self._document_or_error(request)
        if isinstance(doc, FakeResponse):
            return doc
        if doc["status"] != "completed":
            return bad_request("Document is not completed yet")
        return pdf_response(self.signed_pdfs[doc["id"]], f"{doc['id']}-signed.pdf")

    def _certificate(self, request: FakeRequest) -> FakeResponse:
        doc = self._document_or_error(request)
        if isinstance(doc, FakeResponse):
            return doc
        if doc["status"] != "completed":
            return bad_request("Document is not completed yet")
        return pdf_response(self.certificates[doc["id"]], "certificate.pdf")

    def _cancel(self, request: FakeRequest) -> FakeResponse:
        doc = self._document_or_error(request)
        if isinstance(doc, FakeResponse):
            return doc
        if doc["status"] != "pending":
            return bad_request("Only pending documents can be cancelled")
        doc["status"] = "cancelled"
        doc["updatedAt"] = self._tick()
        if not self.cancel_returns_document:
            return json_response(200, {"success": True, "message": "Document cancelled"})
        return json_response(200, {"success": True, "document": copy.deepcopy(doc)})


def validate_dto(dto: Any, page_count: int) -> list[str]:
    """class-validator's messages for a ``CreateDocumentDto`` (whitelist, forbidNonWhitelisted)."""
    if not isinstance(dto, dict):
        return ["data must be a JSON object"]
    out = [f"property {k} should not exist" for k in sorted(set(dto) - DTO_KEYS)]
    title = dto.get("title")
    if not isinstance(title, str) or not title.strip():
        out.append("title should not be empty")
    for key in ("message", "ownerName"):
        if key in dto and not isinstance(dto[key], str):
            out.append(f"{key} must be a string")
    owner = dto.get("ownerEmail")
    if not isinstance(owner, str) or not EMAIL.match(owner):
        out.append("ownerEmail must be an email")
    if "expiresInDays" in dto and not (
        _is_number(dto["expiresInDays"]) and dto["expiresInDays"] >= 1
    ):
        out.append("expiresInDays must be a positive number")
    parties = dto.get("parties")
    if not isinstance(parties, list) or not parties:
        out.append("parties must contain at least 1 elements")
        return out
    for i, party in enumerate(parties):
        path = f"parties.{i}"
        if not isinstance(party, dict):
            out.append(f"{path} must be an object")
            continue
        out += [f"{path}.property {k} should not exist" for k in sorted(set(party) - PARTY_KEYS)]
        if not isinstance(party.get("name"), str) or not party["name"].strip():
            out.append(f"{path}.name should not be empty")
        if not isinstance(party.get("email"), str) or not EMAIL.match(party["email"]):
            out.append(f"{path}.email must be an email")
        if "signingOrder" in party and not (
            _is_int(party["signingOrder"]) and party["signingOrder"] >= 1
        ):
            out.append(f"{path}.signingOrder must be a positive integer")
        fields = party.get("fields")
        if not isinstance(fields, list):
            out.append(f"{path}.fields must be an array")
            continue
        for j, field in enumerate(fields):
            fpath = f"{path}.fields.{j}"
            if not isinstance(field, dict):
                out.append(f"{fpath} must be an object")
                continue
            out += [
                f"{fpath}.property {k} should not exist" for k in sorted(set(field) - FIELD_KEYS)
            ]
            if field.get("type") not in FIELD_TYPES:
                out.append(
                    f"{fpath}.type must be one of the following values: " + ", ".join(FIELD_TYPES)
                )
            page: Any = field.get("page")
            if not _is_int(page):
                out.append(f"{fpath}.page must be an integer number")
            elif page < 0:
                out.append(f"{fpath}.page must not be less than 0")
            elif page > page_count - 1:
                out.append(f"{fpath}.page must not be greater than {page_count - 1}")
            for key in ("x", "y", "width", "height"):
                value: Any = field.get(key)
                if not _is_number(value):
                    out.append(f"{fpath}.{key} must be a number")
                elif value < 0:
                    out.append(f"{fpath}.{key} must not be less than 0")
                elif value > 100:
                    out.append(f"{fpath}.{key} must not be greater than 100")
    return out
