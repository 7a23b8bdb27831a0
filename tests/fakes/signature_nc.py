# mypy: allow-untyped-calls
"""A fake Signature.nc V3 on 127.0.0.1, following the provider's document strictly.

Documented, and implemented as written:

- ``POST /api/v3/signatures``: ``Authorization: Bearer <apiKey>`` (401 otherwise),
  ``multipart/form-data`` with one ``file`` part per PDF, ``name``, ``signers`` (a JSON string),
  ``skipIntro`` and ``sendEmail``; every documented validation rule answered with its documented
  plain-text 400 message, checked in the document's order. It answers with the submission in the
  documented shape, each submitter ``sent``.

Not documented, and implemented the way the client assumes (see ``app.providers.signature_nc``):

- ``GET /api/v3/signatures/{uuid}`` answers with the same submission object (404 when unknown).
- A completed signer's ``signedDocuments`` is ``[{"name": <uploaded file name>, "url": ...}]``,
  the url serving the PDF with every signature so far (a real PDF made with PyMuPDF) from
  ``GET /api/v3/files/{token}``, with the same Bearer check.
- ``Signer {n}`` counts signers from 1 and ``Field {m}`` fields from 1; the "..." of the field
  messages is ``({email})``, as in the ``Must have at least 1 field`` message.
- A field type other than ``signature`` (the only one documented) gets
  ``Signer {n} ({email}), Field {m}: Unsupported field type {type}``.

Tests move signers through the documented statuses with :meth:`SignatureNcFake.advance`.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pymupdf

from tests.fakes.base import (
    ErrorCase,
    FakeRequest,
    FakeResponse,
    Part,
    ProviderFake,
    json_response,
    pdf_response,
    text_response,
)

PREFIX = "/api/v3"
EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
STATUSES = ("initiated", "sent", "opened", "completed")
#: Sealbox's words for ``advance``, in Signature.nc's vocabulary.
SEALBOX_WORDS = {
    "viewed": "opened",
    "signed": "completed",
    "completed": "completed",
    "sent": "sent",
}
#: Every documented 400 message (``{n}``, ``{m}``, ``{email}``, ``{name}`` filled in).
MESSAGES = {
    "no_file": "At least 1 file must be provided",
    "not_pdf": "Only PDF files are supported",
    "no_name": "A name must be provided",
    "no_signers": "A signers must be provided",
    "empty_signers": "At least 1 signer must be provided",
    "firstname": "Signer {n}: A firstname must be provided",
    "lastname": "Signer {n}: A lastname must be provided",
    "email_required": "Signer {n}: An email must be provided when sendEmail is enabled",
    "email_format": "Signer {n}: Invalid email format: {email}",
    "no_fields": "Signer {n} ({email}): Must have at least 1 field",
    "type": "Signer {n} ({email}), Field {m}: A type must be provided",
    "field_name": "Signer {n} ({email}), Field {m}: A name must be provided",
    "area": "Signer {n} ({email}), Field {m}: An area must be provided",
    "xy": "Signer {n} ({email}), Field {m}: Area x/y coordinate must be a number",
    "wh": "Signer {n} ({email}), Field {m}: Area width/height must be a positive number",
    "page": "Signer {n} ({email}), Field {m}: Area page must be a non-negative integer",
    "document": "Document {name} not found",
    "page_unknown": "Index page unknown",
}
QUOTA_MESSAGE = "You've reached the API limit for this plan"


@dataclass
class Submission:
    uuid: str
    name: str
    files: dict[str, bytes]
    signers: list[dict[str, Any]]
    send_email: bool
    skip_intro: bool
    created_at: str
    template_uuid: str
    updated_at: str
    submitters: list[dict[str, Any]] = field(default_factory=list)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def page_count(data: bytes) -> int:
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return int(doc.page_count)
    finally:
        doc.close()


def signed_copy(original: bytes, names: list[str]) -> bytes:
    """The uploaded PDF with a line per signer who has signed, as a real PDF."""
    doc = pymupdf.open(stream=original, filetype="pdf")
    try:
        page = doc[0]
        for i, name in enumerate(names):
            page.insert_text(
                (36, 36 + 14 * i), f"Signed by {name} (Signature.nc fake)", fontsize=10
            )
        data: bytes = doc.tobytes()
        return data
    finally:
        doc.close()


class SignatureNcFake(ProviderFake):
    provider_id = "signature_nc"

    def __init__(self, api_key: str = "nc-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.submissions: dict[str, Submission] = {}
        self.created: list[str] = []
        self.documents: dict[str, bytes] = {}  # token -> signed PDF
        self._clock = datetime(2026, 6, 22, 10, 0, tzinfo=UTC)
        self.route("POST", f"{PREFIX}/signatures", self._create)
        self.route("GET", f"{PREFIX}/signatures/(?P<uuid>[^/]+)", self._get)
        self.route("GET", f"{PREFIX}/files/(?P<token>[^/]+)", self._file)

    def __enter__(self) -> SignatureNcFake:
        self.start()
        return self

    # --- addresses ----------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return super().url

    @property
    def url(self) -> str:
        """The base URL, as the document's ``https://api.signature.nc/api/v3``."""
        return f"{self.origin}{PREFIX}"

    def env(self) -> dict[str, str]:
        return {
            "SEALBOX_SIGNATURE_NC_BASE_URL": self.url,
            "SEALBOX_SIGNATURE_NC_API_KEY": self.api_key,
        }

    # --- controls -----------------------------------------------------------------------------

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return list(self.created)

    def tick(self) -> str:
        """The fake's clock: one minute later at every event, for deterministic times."""
        with self.lock:
            self._clock += timedelta(minutes=1)
            return _iso(self._clock)

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        """Set a signer's status (``recipient_index`` counts submitters from 0; None: all) in
        Signature.nc's words (``initiated``, ``sent``, ``opened``, ``completed``) or Sealbox's
        (``viewed``, ``signed``, ``completed``). Signature.nc has no declined, expired or
        cancelled state: asking for one is a test mistake."""
        status = state if state in STATUSES else SEALBOX_WORDS.get(state)
        if status is None:
            raise ValueError(f"Signature.nc has no {state!r} state (it knows {STATUSES})")
        with self.lock:
            sub = self.submissions[envelope_id]
            targets = range(len(sub.submitters)) if recipient_index is None else [recipient_index]
            for i in targets:
                submitter = sub.submitters[i]
                submitter["status"] = status
                if status == "completed":
                    submitter["completedAt"] = self.tick()
                    submitter["signedDocuments"] = self._sign(sub)
                else:
                    submitter["completedAt"] = None
                    submitter["signedDocuments"] = None
            sub.updated_at = self.tick()

    def _sign(self, sub: Submission) -> list[dict[str, str]]:
        names = [
            f"{s['firstname']} {s['lastname']}"
            for s in sub.submitters
            if s["status"] == "completed"
        ]
        out = []
        for file_name, original in sub.files.items():
            token = f"{uuid.uuid4()}.pdf"
            self.documents[token] = signed_copy(original, names)
            out.append({"name": file_name, "url": f"{self.origin}{PREFIX}/files/{token}"})
        return out

    def signed_pdf(self, envelope_id: str) -> bytes:
        """The signed PDF the last signer's ``signedDocuments`` points at."""
        with self.lock:
            sub = self.submissions[envelope_id]
            done = [s for s in sub.submitters if s["status"] == "completed"]
            last = max(done, key=lambda s: s["completedAt"])
            token = last["signedDocuments"][0]["url"].rsplit("/", 1)[1]
            return self.documents[token]

    def documented_errors(self) -> list[ErrorCase]:
        path = f"{PREFIX}/signatures"
        filled = {"n": 1, "m": 1, "email": "jane@acme", "name": "contract.pdf"}
        cases = [
            ErrorCase(
                "create",
                "POST",
                path,
                text_response(400, text.format(**filled)),
                "InvalidRequestError",
                text.format(**filled),
            )
            for text in MESSAGES.values()
        ]
        cases.append(
            ErrorCase(
                "create",
                "POST",
                path,
                text_response(401, "Unauthorized"),
                "AuthenticationError",
                "SEALBOX_SIGNATURE_NC_API_KEY",
            )
        )
        cases.append(
            ErrorCase(
                "create",
                "POST",
                path,
                text_response(403, QUOTA_MESSAGE),
                "OutOfCreditsError",
                QUOTA_MESSAGE,
            )
        )
        return cases

    # --- handlers -----------------------------------------------------------------------------

    def _authorized(self, request: FakeRequest) -> bool:
        return request.header("authorization") == f"Bearer {self.api_key}"

    def _create(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return text_response(401, "Unauthorized")
        form = request.form()
        error = self.validate(form)
        if error is not None:
            return text_response(400, error)
        with self.lock:
            sub = self._store(form)
            return json_response(200, self._view(sub))

    def _get(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return text_response(401, "Unauthorized")
        with self.lock:
            sub = self.submissions.get(request.params["uuid"])
            if sub is None:
                return text_response(404, "Signature not found")
            return json_response(200, self._view(sub))

    def _file(self, request: FakeRequest) -> FakeResponse:
        if not self._authorized(request):
            return text_response(401, "Unauthorized")
        with self.lock:
            data = self.documents.get(request.params["token"])
        if data is None:
            return text_response(404, "File not found")
        return pdf_response(data, "signed.pdf")

    # --- the documented rules -----------------------------------------------------------------

    def validate(self, form: dict[str, list[Part]]) -> str | None:
        """The documented 400 message for the first rule ``form`` breaks, or None."""
        files = [p for p in form.get("file", []) if p.filename is not None]
        if not files:
            return MESSAGES["no_file"]
        for part in files:
            if part.content_type != "application/pdf" or not part.data.startswith(b"%PDF-"):
                return MESSAGES["not_pdf"]
        name = _text(form, "name")
        if name is None or not name.strip():
            return MESSAGES["no_name"]
        raw = _text(form, "signers")
        if raw is None or not raw.strip():
            return MESSAGES["no_signers"]
        try:
            signers = json.loads(raw)
        except json.JSONDecodeError:
            return MESSAGES["no_signers"]
        if not isinstance(signers, list):
            return MESSAGES["no_signers"]
        if not signers:
            return MESSAGES["empty_signers"]
        send_email = _text(form, "sendEmail") == "true"
        for n, signer in enumerate(signers, start=1):
            error = self._signer_error(n, signer, send_email)
            if error is not None:
                return error
        pages = {p.filename: page_count(p.data) for p in files if p.filename}
        for signer in signers:
            for f in signer["fields"]:
                if not isinstance(f.get("document"), str) or f["document"] not in pages:
                    return MESSAGES["document"].format(name=f.get("document"))
                if f["area"]["page"] >= pages[f["document"]]:
                    return MESSAGES["page_unknown"]
        return None

    def _signer_error(self, n: int, signer: Any, send_email: bool) -> str | None:
        if not isinstance(signer, dict):
            return MESSAGES["firstname"].format(n=n)
        for key in ("firstname", "lastname"):
            value = signer.get(key)
            if not isinstance(value, str) or not value.strip():
                return MESSAGES[key].format(n=n)
        email = signer.get("email")
        if email is None or email == "":
            if send_email:
                return MESSAGES["email_required"].format(n=n)
            email = ""
        elif not isinstance(email, str) or not EMAIL_RE.match(email):
            return MESSAGES["email_format"].format(n=n, email=email)
        fields = signer.get("fields")
        if not isinstance(fields, list) or not fields:
            return MESSAGES["no_fields"].format(n=n, email=email)
        for m, f in enumerate(fields, start=1):
            where = {"n": n, "m": m, "email": email}
            if not isinstance(f, dict) or not isinstance(f.get("type"), str) or not f["type"]:
                return MESSAGES["type"].format(**where)
            if f["type"] != "signature":
                return f"Signer {n} ({email}), Field {m}: Unsupported field type {f['type']}"
            if not isinstance(f.get("name"), str) or not f["name"].strip():
                return MESSAGES["field_name"].format(**where)
            area = f.get("area")
            if not isinstance(area, dict):
                return MESSAGES["area"].format(**where)
            if not _is_number(area.get("x")) or not _is_number(area.get("y")):
                return MESSAGES["xy"].format(**where)
            if not all(_is_number(area.get(k)) and area[k] > 0 for k in ("w", "h")):
                return MESSAGES["wh"].format(**where)
            page = area.get("page")
            if isinstance(page, bool) or not isinstance(page, int) or page < 0:
                return MESSAGES["page"].format(**where)
        return None

    # --- the submission -----------------------------------------------------------------------

    def _store(self, form: dict[str, list[Part]]) -> Submission:
        signers = json.loads(_text(form, "signers") or "[]")
        at = self.tick()
        sub = Submission(
            uuid=str(uuid.uuid4()),
            name=_text(form, "name") or "",
            files={p.filename: p.data for p in form["file"] if p.filename},
            signers=signers,
            send_email=_text(form, "sendEmail") == "true",
            skip_intro=_text(form, "skipIntro") == "true",
            created_at=at,
            template_uuid=str(uuid.uuid4()),
            updated_at=at,
        )
        for signer in signers:
            sid = str(uuid.uuid4())
            sub.submitters.append(
                {
                    "email": signer.get("email"),
                    "firstname": signer["firstname"],
                    "lastname": signer["lastname"],
                    "uuid": sid,
                    "signatureLink": f"{self.origin}/sign/{sid}",
                    "status": "sent",
                    "signedDocuments": None,
                    "signerInformation": None,
                    "completedAt": None,
                }
            )
        self.submissions[sub.uuid] = sub
        self.created.append(sub.uuid)
        return sub

    def _view(self, sub: Submission) -> dict[str, Any]:
        return {
            "name": sub.name,
            "uuid": sub.uuid,
            "createdAt": sub.created_at,
            "updatedAt": sub.updated_at,
            "template": {
                "name": sub.name,
                "uuid": sub.template_uuid,
                "createdAt": sub.created_at,
                "updatedAt": sub.created_at,
            },
            "submitters": [dict(s) for s in sub.submitters],
            "createdBy": {"firstname": "Owner", "lastname": "User", "email": "owner@acme.com"},
        }


def _text(form: dict[str, list[Part]], name: str) -> str | None:
    parts = form.get(name)
    if not parts:
        return None
    return parts[0].text


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
