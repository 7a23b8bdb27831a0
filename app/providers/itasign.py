"""ItaSign: documents sent as JSON with the PDF in base64; signers draw their own signature.

The contract is ItaSign's public API document (``shared/seeds/004_917da86acb657ea8.txt``):

- ``POST /documents`` with ``title``, ``file`` (base64 PDF), ``signers`` (``name``, ``email``,
  ``signing_order``), ``send: true``, ``message`` and ``external_reference`` (the Sealbox request
  id). There are no placed fields: each signer draws a signature where they like when they open
  the document, so Sealbox takes neither fields nor anchor tags for ItaSign.
- ``POST /documents/{id}/send`` sends a draft (used only if a create answers ``draft``).
- ``GET /documents/{id}/status``: the document status and every signer's status.
- ``POST /documents/{id}/void`` with an optional ``reason``: cancel.
- ``GET /documents/{id}/download?format=pades``: the signed PDF (PAdES, never CAdES/P7M).
- Every call carries the ``X-API-Key`` header. There is no certificate, list, lookup by
  external reference, webhook description or idempotency key in the document, so Sealbox claims
  none of them.

ItaSign's ``partially_signed`` is not a state of Sealbox's lifecycle: it becomes ``viewed`` (a
signer has opened and signed the document), and who signed shows in the recipients' ``signedAt``.

Assumptions where the document is silent:

- HTTP methods: create, send, void are ``POST``; status and download are ``GET`` (only create's
  method is stated).
- Error bodies are ``{"success": false, "error": "<message>"}``, optionally with ``details`` (a
  list of problems); the shared client's HTTP status mapping applies (400/422 invalid, 401/403
  credentials, 404 unknown document, 409 not possible in the current state such as a download
  before completion or voiding a finished document, 429/5xx unavailable). A ``200`` whose body
  says ``"success": false`` is a refusal.
- Only the document's statuses listed under "Document Status Values" exist; an unknown one is an
  unreadable answer (try again later), never guessed. ``draft`` maps to ``queued``; ``pending``
  to ``sent`` (``viewed`` once any signer's status is ``viewed``); ``partially_signed`` to
  ``viewed``; ``voided`` to ``cancelled``.
- Per-signer times: only ``signedTime`` is documented. A signer seen ``viewed`` or ``declined``
  gets the time Sealbox first saw it; a ``signed`` signer without ``signedTime`` likewise. A
  completed document's completion time is its latest ``signedTime``.
- Signers are matched back to the spec's recipients by email (case-insensitive), then by
  position; a signer that matches no recipient is left out of the report.
- ItaSign has only signers: Approver and CC recipients are refused before sending rather than
  silently turned into signers or dropped. ``order`` is sent as ``signing_order``.
- ``expirationHours`` cannot be sent (create takes no expiry); ItaSign's own ``expiresAt`` is kept
  in the status payload.
- ``file_type`` is sent explicitly as ``"base64"``; ``signature_level``, ``verification_mode`` and
  ``redirect_url`` are left to ItaSign's defaults.
- The size limit is Sealbox's 20 MiB for the PDF itself (ItaSign states none).
- A create answered 2xx whose body cannot be read, or whose draft could not be sent, is treated as
  an ambiguous send (the document may exist), not as a failure to send again.
- ``reconcile`` can only look a document up by the ItaSign id: with no list or filter by
  ``external_reference``, a send whose outcome is unknown cannot be looked up and raises
  ``CapabilityError``.
- Connection check: ``GET /templates`` ("List all active templates in your organization"), the
  one documented read that needs no document id; it changes nothing. A 401 is "rejected the API
  key", a 403 a key without the ``documents:read`` permission; an answer without a ``templates``
  list means the base URL is not ItaSign's API.
- A PDF that is already signed is accepted: ItaSign returns PAdES, and a PAdES signature is an
  incremental update that keeps earlier signatures (assumed: the document does not say how
  the signer's drawing is put on the page) (``signed_pdfs``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from app.domain.clock import now, parse_iso
from app.domain.lifecycle import Status
from app.domain.model import Designation, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.errors import CapabilityError, SealboxError, UserError
from app.pdf.document import MAX_PDF_BYTES, PdfInfo
from app.providers.base import (
    CHECK_ATTEMPTS,
    FINISH_SENDING,
    Capabilities,
    ProviderConfig,
    base_url_setting,
    capability_problems,
    credentials_rejected,
    delivery_warnings,
    not_the_api,
)
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ProviderRejectedError,
    RemoteNotFoundError,
)
from app.providers.http import (
    UPLOAD_TIMEOUT,
    ErrorBody,
    ProviderHttp,
    RetryPolicy,
    default_error_body,
)
from app.wording import Text

PROVIDER_ID = "itasign"
NAME = "ItaSign"
DEFAULT_BASE_URL = "https://itasign.com/api/v1"
API_KEY_HEADER = "X-API-Key"
#: The signed-document format Sealbox archives: PAdES (a PDF), never CAdES (a P7M envelope).
DOWNLOAD_FORMAT = "pades"
#: The connection check: the organization's templates, a read that needs no document id.
CHECK_PATH = "templates"

CAPABILITIES = Capabilities(
    id=PROVIDER_ID,
    name=NAME,
    field_types=frozenset(),
    anchors="none",
    cancel=True,
    certificate=False,
    list=False,
    webhooks=False,
    idempotency=False,
    max_bytes=MAX_PDF_BYTES,
    # PAdES signatures are incremental updates (see the module docstring).
    signed_pdfs="kept",
    field_labels=False,
)

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


# --- reading ItaSign's answers -----------------------------------------------------------------


def _bad(what: str) -> BadResponseError:
    return BadResponseError(f"{NAME} answered with {what}: try again later.")


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"an unexpected shape ({what} is not an object)")
    return data


def _string(data: dict[str, Any], key: str, what: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _bad(f"no {what}")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(f"an unreadable {what}")
    return value


def _time(data: dict[str, Any], key: str, what: str) -> datetime | None:
    text = _string(data, key, what, required=False)
    if not text:
        return None
    try:
        return parse_iso(text)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _bad(f"an unreadable {what} ({text[:40]!r})") from exc


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
    raise _bad("an unreadable success flag")


def _document_status(raw: Any) -> Status:
    if not isinstance(raw, str) or raw not in STATUS_TABLE:
        shown = raw[:40] if isinstance(raw, str) else type(raw).__name__
        raise _bad(f"an unknown document status ({shown!r})")
    return STATUS_TABLE[raw]


def _match_recipients(spec: RequestSpec, signers: list[dict[str, Any]]) -> list[int | None]:
    """The spec index of each signer: by email (case-insensitive), then by position."""
    by_email: dict[str, list[int]] = {}
    for i, r in enumerate(spec.recipients):
        by_email.setdefault(r.email.strip().lower(), []).append(i)
    used: set[int] = set()
    out: list[int | None] = [None] * len(signers)
    for pos, signer in enumerate(signers):
        email = signer.get("email")
        if isinstance(email, str):
            free = [i for i in by_email.get(email.strip().lower(), []) if i not in used]
            if free:
                out[pos] = free[0]
                used.add(free[0])
    for pos, index in enumerate(out):
        if index is None and pos < len(spec.recipients) and pos not in used:
            out[pos] = pos
            used.add(pos)
    return out


def _signer_list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(f"an unreadable {key} (not a list)")
    return [_object(item, f"an entry of {key}") for item in raw]


def parse_create_response(data: Any, spec: RequestSpec) -> tuple[str, Status, Report]:
    """The answer to ``POST /documents`` (or ``/send``): the document id, its ItaSign status
    mapped, and the report (signers' ids and signing links by spec index)."""
    body = _object(data, "the answer")
    _check_success(body)
    document = _object(body.get("document"), "document")
    doc_id = _string(document, "id", "document id", required=True)
    assert doc_id is not None
    status = _document_status(document.get("status"))
    signers = _signer_list(body, "signers")
    recipients: list[RecipientReport] = []
    for signer, index in zip(signers, _match_recipients(spec, signers), strict=True):
        signer_id = _string(signer, "id", "signer id", required=False)
        url = _string(signer, "signing_url", "signing link", required=False)
        if index is not None:
            recipients.append(
                RecipientReport(index=index, provider_recipient_id=signer_id, signing_url=url)
            )
    return (
        doc_id,
        status,
        Report(status=status, provider_id=doc_id, recipients=tuple(recipients), payload=body),
    )


def parse_status_response(
    data: Any, spec: RequestSpec, document_id: str, seen_at: datetime
) -> Report:
    """The answer to ``GET /documents/{id}/status``. ``seen_at`` stands in for the times ItaSign
    does not give (a signer's viewing or declining)."""
    body = _object(data, "the answer")
    _check_success(body)
    answered_id = _string(body, "documentId", "document id", required=False)
    if answered_id is not None and answered_id != document_id:
        raise _bad(f"the status of another document ({answered_id[:40]!r})")
    status = _document_status(body.get("status"))
    signers = _signer_list(body, "signerStatuses")
    recipients: list[RecipientReport] = []
    any_viewed = False
    signed_times: list[datetime] = []
    decliners: list[str] = []
    for signer, index in zip(signers, _match_recipients(spec, signers), strict=True):
        state = signer.get("status")
        if not isinstance(state, str) or state not in SIGNER_STATUSES:
            shown = state[:40] if isinstance(state, str) else type(state).__name__
            raise _bad(f"an unknown signer status ({shown!r})")
        signer_id = _string(signer, "id", "signer id", required=False)
        signed_time = _time(signer, "signedTime", "signing time")
        any_viewed = any_viewed or state in SIGNER_VIEWED
        viewed_at = seen_at if state == "viewed" else None
        signed_at = (signed_time or seen_at) if state == "signed" else None
        declined_at = seen_at if state == "declined" else None
        if signed_at is not None:
            signed_times.append(signed_at)
        if state == "declined":
            name = _string(signer, "name", "signer name", required=False)
            decliners.append(
                name or (spec.recipients[index].name if index is not None else "A signer")
            )
        if index is not None:
            recipients.append(
                RecipientReport(
                    index=index,
                    provider_recipient_id=signer_id,
                    viewed_at=viewed_at,
                    signed_at=signed_at,
                    declined_at=declined_at,
                )
            )
    if status == Status.SENT and any_viewed:
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
    body = _object(data, "the answer")
    _check_success(body)
    document = _object(body.get("document"), "document")
    answered_id = _string(document, "id", "document id", required=False)
    if answered_id is not None and answered_id != document_id:
        raise _bad(f"another document ({answered_id[:40]!r})")
    status = _document_status(document.get("status"))
    if status != Status.CANCELLED:
        raise _bad(f"a void that left the document {status.value}")
    voided_at = _time(document, "voided_at", "voiding time")
    return Report(
        status=Status.CANCELLED,
        provider_id=document_id,
        error_message=reason or _MESSAGES[Status.CANCELLED],
        completed_at=voided_at,
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


# --- the provider ------------------------------------------------------------------------------


class ItaSignProvider:
    """The ItaSign client; see the module docstring for the contract and its assumptions."""

    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = config.setting("base_url") or DEFAULT_BASE_URL
        #: When Sealbox saw a signer view or decline (ItaSign gives no time); tests replace it.
        self.clock: Callable[[], datetime] = now
        self.http = self._client()

    def _client(self, policy: RetryPolicy | None = None) -> ProviderHttp:
        return ProviderHttp(
            provider=NAME,
            base_url=self.base_url,
            auth=self._auth,
            login_hint=self.config.login_hint("api_key", name=NAME),
            provider_id=PROVIDER_ID,
            transport=self.config.transport,
            sleep=self.config.sleep,
            deadlines=self.config.deadlines,
            error_body=itasign_error_body,
            policy=policy,
        )

    # --- configuration -------------------------------------------------------------------------

    def _api_key(self) -> str | None:
        key = self.config.credential("api_key")
        return key.strip() if key and key.strip() else None

    async def _auth(self) -> dict[str, str]:
        key = self._api_key()
        if key is None:
            raise UserError(self._missing_key())
        return {API_KEY_HEADER: key}

    def _missing_key(self) -> str:
        return Text(f"{NAME} needs an API key: ", self.config.login_hint("api_key", name=NAME),
                    ".")

    def configuration_problem(self) -> str | None:
        if self._api_key() is None:
            return self._missing_key()
        try:
            url = httpx.URL(self.base_url) if "://" in self.base_url else None
        except httpx.InvalidURL:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            return Text(
                f"The {NAME} base URL {self.base_url!r} is not an http(s) address: fix ",
                base_url_setting(PROVIDER_ID, NAME, "base_url in the settings or set "
                                 f"{self.config.env_prefix}BASE_URL"), ".")
        return None

    async def check_connection(self) -> str:
        problem = self.configuration_problem()
        if problem is not None:
            raise UserError(problem)
        probe = self._client(RetryPolicy(attempts=CHECK_ATTEMPTS))
        try:
            data = await probe.json("GET", CHECK_PATH)
        except AuthenticationError as exc:
            raise credentials_rejected(
                NAME, "API key", exc,
                "give the key the documents:create and documents:read permissions in the "
                "organization settings" if exc.status == 403 else None) from exc
        except RemoteNotFoundError as exc:
            raise not_the_api(NAME, self.base_url, exc, provider_id=PROVIDER_ID) from exc
        finally:
            await probe.aclose()
        body = _object(data, "a template list")
        _check_success(body)
        if not isinstance(body.get("templates"), list):
            raise _bad("a template list without templates")
        return f"Connected: {NAME} accepted the API key."

    def warnings(self, spec: RequestSpec) -> list[str]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        problems = capability_problems(CAPABILITIES, spec, pdf)
        for i, r in enumerate(spec.recipients):
            if r.designation != Designation.SIGNER:
                problems.append(Issue(
                    ("recipients", i, "designation"), f"{NAME} has only signers, not "
                    f"{r.designation.value} recipients; make {r.name or 'them'} a Signer, "
                    "remove them, or choose another provider"
                ))
        return problems

    # --- requests ------------------------------------------------------------------------------

    @staticmethod
    def _path(document_id: str, action: str) -> str:
        return f"documents/{quote(document_id, safe='')}/{action}"

    @staticmethod
    def _document_id(request: Request) -> str:
        if not request.provider_id:
            raise UserError(Text(f"{request.name!r} has no {NAME} document yet: ",
                                 FINISH_SENDING, "."))
        return request.provider_id

    @staticmethod
    def create_body(request: Request, pdf: Path) -> _Base64JsonBody:
        """The JSON body of ``POST /documents``: streamed, with the PDF base64-encoded chunk by
        chunk as it is sent, so the document is never held in memory whole."""
        spec = request.spec
        fields: dict[str, Any] = {
            "title": spec.name,
            "file_type": "base64",
            "signers": [
                {"name": r.name, "email": r.email, "signing_order": r.order}
                for r in spec.recipients
            ],
            "send": True,
            "external_reference": request.id,
        }
        if spec.message:
            fields["message"] = spec.message
        rest = json.dumps(fields, separators=(",", ":")).encode("ascii")
        # Base64's alphabet needs no JSON escaping; ``rest`` starts with "{" and is never empty.
        return _Base64JsonBody(b'{"file":"', pdf, b'",' + rest[1:])

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        # ItaSign documents no idempotency key: none is sent, so ProviderHttp never retries the
        # create after it may have arrived (a lost answer is an AmbiguousSendError).
        del idempotency_key
        body = self.create_body(request, document)
        data = await self.http.json(
            "POST",
            "documents",
            content=body,
            timeout=UPLOAD_TIMEOUT,
            deadline=self.http.deadlines.transfer(body.length),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Content-Length": str(body.length)},
        )
        try:
            doc_id, status, report = parse_create_response(data, request.spec)
        except BadResponseError as exc:
            raise AmbiguousSendError(
                f"{NAME} accepted {request.name!r} but its answer could not be read "
                f"({exc.message}) Look for it on {NAME} before sending it again."
            ) from exc
        if status == Status.QUEUED:
            report = await self._send_draft(request, doc_id, report)
        return report

    async def _send_draft(self, request: Request, doc_id: str, created: Report) -> Report:
        """A create that left a draft: send it (``POST /documents/{id}/send``)."""
        try:
            data = await self.http.json("POST", self._path(doc_id, "send"), json_body={})
            _, status, sent = parse_create_response(data, request.spec)
        except SealboxError as exc:
            raise AmbiguousSendError(
                f"{NAME} created {request.name!r} as draft {doc_id} but did not send it "
                f"({exc.message}) Send or delete that draft on {NAME}."
            ) from exc
        if status == Status.QUEUED:
            raise AmbiguousSendError(
                f"{NAME} kept {request.name!r} as draft {doc_id}: send or "
                f"delete that draft on {NAME}."
            )
        return Report(
            status=status,
            provider_id=doc_id,
            recipients=sent.recipients or created.recipients,
            payload={"created": created.payload, "sent": sent.payload},
        )

    async def refresh(self, request: Request) -> Report:
        doc_id = self._document_id(request)
        data = await self.http.json(
            "GET", self._path(doc_id, "status"), headers={"Accept": "application/json"}
        )
        return parse_status_response(data, request.spec, doc_id, self.clock())

    async def reconcile(self, request: Request) -> Report | None:
        if request.provider_id:
            return await self.refresh(request)
        raise CapabilityError(
            f"{NAME} offers no way to look a document up by its external reference, so Sealbox "
            f"cannot tell whether {request.name!r} reached it: look for it on {NAME}."
        )

    async def cancel(self, request: Request, reason: str | None) -> Report:
        doc_id = self._document_id(request)
        payload: dict[str, str] = {"reason": reason} if reason else {}
        data = await self.http.json(
            "POST",
            self._path(doc_id, "void"),
            json_body=payload,
            headers={"Accept": "application/json"},
        )
        return parse_void_response(data, doc_id, reason)

    async def download_signed(self, request: Request, dest: Path) -> None:
        doc_id = self._document_id(request)
        await self.http.download(
            self._path(doc_id, "download"), dest, params={"format": DOWNLOAD_FORMAT}
        )

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "STATUS_TABLE",
    "ItaSignProvider",
    "itasign_error_body",
    "parse_create_response",
    "parse_status_response",
    "parse_void_response",
]


class _Base64JsonBody:
    """``prefix + base64(file) + suffix`` as an async byte stream of known length; every
    iteration (every attempt) reads the file afresh."""

    CHUNK = 3 * 64 * 1024  # a multiple of 3: the chunks' base64 concatenates cleanly

    def __init__(self, prefix: bytes, path: Path, suffix: bytes) -> None:
        self.prefix, self.path, self.suffix = prefix, path, suffix
        size = path.stat().st_size
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
