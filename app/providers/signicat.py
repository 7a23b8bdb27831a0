# mypy: allow-untyped-calls
# (PyMuPDF, used by preflight to spot an already signed PDF, leaves most functions unannotated.)
"""Signicat Sign API v2: upload, document collection, signing session; identity-based signing.

The contract is Signicat's Sign API v2 integration guide
(``shared/seeds/002_e8550845323e4db1.txt``):

- ``POST /documents``: the PDF itself as the body (``Content-Type: application/pdf``, no base64,
  streamed from disk) answers ``documentId`` and a ``documentHash``.
- ``POST /document-collections`` with ``{"documents": [{"documentId"}]}`` answers the collection
  ``id``.
- ``POST /signing-sessions`` with a JSON *array* of sessions (``title``, ``externalReference``,
  ``documents`` with ``action: SIGN``, ``documentCollectionId`` and ``documentId``,
  ``signingSetup``, ``packageTo: ["PADES_CONTAINER"]``) answers an array of full sessions, each
  with its ``id``, ``signatureUrl`` and ``lifecycle`` (``state``, ``stateIsFinal``).
- ``GET /signing-sessions/{id}``: the session, whose ``output.packages`` gains the PAdES
  ``resultDocumentId`` once the (asynchronous) packaging is done.
- ``GET /documents/{id}``: the binary document (the PAdES by its result document id).
- Every call carries ``Authorization: Bearer <access token>``, an OAuth 2.0 client-credentials
  token fetched, cached and renewed here.

The signer proves who they are with an electronic ID at the ``signatureUrl``: there are no placed
fields and no anchor tags, so Sealbox refuses both before sending. The document has no
cancellation, certificate, listing, idempotency key or verifiable webhook, so Sealbox claims none
of them (``cancel`` and ``download_certificate`` raise ``CapabilityError``).

Assumptions where the document is silent:

- Token endpoint: ``https://api.signicat.com/auth/open/connect/token`` (setting ``token_url``,
  ``SEALBOX_SIGNICAT_TOKEN_URL``), Signicat's OAuth server for every API. The request is
  form-encoded ``grant_type=client_credentials&scope=signicat-api`` with the client id and
  secret in HTTP Basic authentication (RFC 6749 §2.3.1, the method every OAuth server must
  accept). The token is cached and renewed ``TOKEN_RENEW_MARGIN`` before ``expires_in`` runs out
  (without ``expires_in``: until the API answers 401), and after any 401. A 400/401/403 from the
  token endpoint means the client credentials were refused.
- Error bodies are RFC 7807 problem details (``status``, ``title``, ``code``, ``detail``,
  ``traceId``, ``invalidParams`` of ``{"name", "reason"}``), as in Signicat's API reference; the
  shared HTTP status mapping applies (400 invalid, 401/403 credentials or a missing "Signature
  API" permission, 404 unknown, 409 conflict, 429/5xx unavailable).
- One signer per request: a signing session has one ``signatureUrl`` and is signed by the one
  person who opens it, and the document describes no way to gather several sessions' signatures
  into one signed PDF. A spec must therefore have exactly one recipient, a Signer; Approvers
  (there is no approve-only role) and CC recipients (Signicat sends no copies) are refused
  before sending rather than silently changed or dropped.
- The document has no field for the signer's name or email: they stay in Sealbox, the signer
  is identified by their electronic ID when signing, and the session's ``signatureUrl`` is
  reported as the recipient's signing link for the sender to pass on. The spec's ``message`` has
  no field either and is not sent. The session's ``title`` is the request name.
- ``expirationHours`` is sent as the session's ``dueDate`` (ISO-8601 UTC, send time plus the
  hours): ``dueDate`` is part of the documented session resource, taken as writable on create.
- ``signingSetup`` is ``[{"signingFlow": "AUTHENTICATION_BASED"}]``, with ``identityProviders``
  only when the setting ``identity_providers`` (comma-separated ``idpName`` values, e.g.
  ``ftn,nbid``) is set: otherwise the account's configured identity providers are offered. No
  ``ui`` or ``redirectSettings`` are sent (Signicat's own completion page is shown).
- Status: only ``READY`` (sent) and ``SIGNED`` (completed; packaging may still be running) are
  documented (compared without regard to case). Any other ``lifecycle.state`` is treated
  conservatively as still in flight (``sent``); when such a state says ``stateIsFinal: true``
  the report carries a message asking the user to look at the session in the Signicat
  Dashboard. There is no ``viewed`` state.
- Per-recipient times: the session carries no timestamps, so the signer's ``signedAt`` is the
  time Sealbox first saw the session ``SIGNED`` (kept once known).
- The PAdES is the package whose ``packageType`` is ``PADES_CONTAINER`` (or that names no type).
  Until it exists the download raises ``ConflictError`` ("not ready yet") and sync tries again.
- ``reconcile`` looks sessions up with ``GET /signing-sessions?externalReference=<request id>``
  answering a JSON array of sessions (the shape of the create answer), and keeps only sessions
  whose ``externalReference`` really matches. If the service has no such query (404/405) it
  raises ``CapabilityError``.
- Uploading the document and creating the collection are retried on a lost connection or a 5xx
  even though they carry no idempotency key: an unused document is deleted by Signicat after 30
  minutes and an unused collection signs nothing. The signing session itself is never sent
  twice: a lost answer, or a 2xx answer that cannot be read, is an ``AmbiguousSendError``.
- ``documentHash`` is checked when it can be read: ``SHA256`` with the hash in base64 of either
  the hex digest (as in the document's example) or the raw digest. A mismatch means the upload
  was damaged. Other hash forms are not checked.
- Already signed PDFs are refused (the document: authentication-based signing does not support
  them). The size limit is Sealbox's 20 MiB (the document states none).
- Connection check: a fresh access token from the token endpoint (the guide's first step, which
  changes nothing). It proves the client id, secret and token URL; the Sign API's base URL is
  not contacted, since the guide offers no read that needs no existing document or session.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pymupdf

from app.domain.clock import iso, now
from app.domain.lifecycle import Status
from app.domain.model import Designation, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.errors import CapabilityError, UserError
from app.logs import register_secret
from app.pdf.document import MAX_PDF_BYTES, PdfInfo
from app.providers.base import (
    CHECK_ATTEMPTS,
    FINISH_SENDING,
    Capabilities,
    ProviderConfig,
    capability_problems,
    credentials_rejected,
    delivery_warnings,
    not_the_api,
)
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    InvalidRequestError,
    ProviderError,
    RemoteNotFoundError,
)
from app.providers.http import (
    UPLOAD_TIMEOUT,
    ErrorBody,
    ProviderHttp,
    RetryPolicy,
    default_error_body,
)
from app.wording import Credentials, SettingRef, Text

PROVIDER_ID = "signicat"
NAME = "Signicat"
DEFAULT_BASE_URL = "https://api.signicat.com/sign"
DEFAULT_TOKEN_URL = "https://api.signicat.com/auth/open/connect/token"
TOKEN_SCOPE = "signicat-api"
#: Renew the access token this long before it expires (at most a tenth of its lifetime).
TOKEN_RENEW_MARGIN = 60.0
SIGNING_FLOW = "AUTHENTICATION_BASED"
PACKAGE_TYPE = "PADES_CONTAINER"
UPLOAD_CHUNK = 256 * 1024

CAPABILITIES = Capabilities(
    id=PROVIDER_ID,
    name=NAME,
    field_types=frozenset(),
    anchors="none",
    cancel=False,
    certificate=False,
    list=False,
    webhooks=False,
    idempotency=False,
    max_bytes=MAX_PDF_BYTES,
    # refused in preflight, as its guide says.
    signed_pdfs="refused",
    message=False,
    field_labels=False,
)

#: Signicat's ``lifecycle.state`` onto Sealbox's lifecycle: the one table of this provider.
#: Only these two states are documented; any other is treated as still in flight.
STATUS_TABLE: dict[str, Status] = {
    "READY": Status.SENT,
    "SIGNED": Status.COMPLETED,
}
UNKNOWN_STATE_STATUS = Status.SENT

_LOGIN_HINT = Text(Credentials(PROVIDER_ID, NAME, ("client_id", "client_secret")))


# --- reading Signicat's answers ----------------------------------------------------------------


def _bad(what: str) -> BadResponseError:
    return BadResponseError(f"{NAME} answered with {what}: try again later.")


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad(f"an unexpected shape ({what} is not an object)")
    return data


def _text(data: dict[str, Any], key: str, what: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _bad(f"{what} without {key}")
        return None
    if not isinstance(value, str):
        raise _bad(f"{what} whose {key} is not text")
    if required and not value.strip():
        raise _bad(f"{what} with an empty {key}")
    return value


def _id(data: dict[str, Any], key: str, what: str) -> str:
    value = _text(data, key, what, required=True)
    assert value is not None
    if len(value) > 200 or any(c.isspace() or not c.isprintable() for c in value):
        raise _bad(f"{what} whose {key} is not an identifier")
    return value


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: float | None


def parse_token_response(data: Any) -> Token:
    """An OAuth 2.0 token response: ``access_token``, ``token_type`` Bearer, ``expires_in``."""
    body = _object(data, "the token response")
    token = _text(body, "access_token", "a token response", required=True)
    assert token is not None
    # RFC 6750 b64token: visible ASCII only, or it cannot go into a header.
    register_secret(token)
    if not all(0x21 <= ord(c) <= 0x7E for c in token):
        raise _bad("an access token that cannot be sent in a header")
    token_type = _text(body, "token_type", "a token response", required=False)
    if token_type is not None and token_type.lower() != "bearer":
        raise _bad(f"a token of type {token_type[:40]!r} instead of a Bearer token")
    raw = body.get("expires_in")
    expires: float | None = None
    if raw is not None:
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) \
                or raw <= 0:
            raise _bad("a token response whose expires_in is not a positive number of seconds")
        expires = float(raw)
    return Token(token, expires)


@dataclass(frozen=True)
class Upload:
    document_id: str
    hash_algorithm: str | None
    hash: str | None


def parse_document_response(data: Any) -> Upload:
    body = _object(data, "the uploaded document")
    document_id = _id(body, "documentId", "an uploaded document")
    algorithm: str | None = None
    value: str | None = None
    digest = body.get("documentHash")
    if digest is not None:
        digest = _object(digest, "documentHash")
        algorithm = _text(digest, "hashAlgorithm", "a documentHash", required=False)
        value = _text(digest, "hash", "a documentHash", required=False)
    return Upload(document_id, algorithm, value)


def parse_collection_response(data: Any) -> str:
    return _id(_object(data, "the document collection"), "id", "a document collection")


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


def parse_session(data: Any) -> Session:
    body = _object(data, "a signing session")
    session_id = _id(body, "id", "a signing session")
    lifecycle = body.get("lifecycle")
    if lifecycle is None:
        raise _bad("a signing session without lifecycle")
    lifecycle = _object(lifecycle, "lifecycle")
    state = _text(lifecycle, "state", "a session lifecycle", required=True)
    assert state is not None
    final = lifecycle.get("stateIsFinal")
    if final is not None and not isinstance(final, bool):
        raise _bad("a session lifecycle whose stateIsFinal is not true or false")
    url = _text(body, "signatureUrl", "a signing session", required=False)
    if url is not None and not url.startswith(("https://", "http://")):
        raise _bad("a signing session whose signatureUrl is not a web address")
    reference = _text(body, "externalReference", "a signing session", required=False)
    package: str | None = None
    output = body.get("output")
    if output is not None:
        output = _object(output, "a session's output")
        packages = output.get("packages")
        if packages is not None:
            if not isinstance(packages, list):
                raise _bad("a session output whose packages are not a list")
            for item in packages:
                entry = _object(item, "a package")
                kind = _text(entry, "packageType", "a package", required=False)
                if kind not in (None, PACKAGE_TYPE):
                    continue
                if entry.get("resultDocumentId") is None:
                    continue
                package = _id(entry, "resultDocumentId", "a package")
                break
    return Session(session_id, state.strip().upper(), final, url, reference, package, body)


def parse_session_list(data: Any) -> list[Session]:
    """The answer of create and of the external-reference query: a JSON array of sessions."""
    if not isinstance(data, list):
        raise _bad("an unexpected shape (the signing sessions are not a list)")
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
        message = (f"{NAME} reports the signing session as {session.state[:40]!r}, a final "
                   "state Sealbox does not know: look at the session in the Signicat "
                   "Dashboard.")
    index = signer_index(request)
    signed_at: datetime | None = None
    if status == Status.COMPLETED:
        known = request.recipients[index].signed_at if index < len(request.recipients) else None
        signed_at = known or now()
    recipients: tuple[RecipientReport, ...] = ()
    if index < len(request.spec.recipients):
        recipients = (RecipientReport(index=index, provider_recipient_id=session.id,
                                      signed_at=signed_at, signing_url=session.signature_url),)
    return Report(status=status, provider_id=session.id, recipients=recipients,
                  error_message=message, completed_at=signed_at, payload=session.raw)


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


def _hash_mismatch(upload: Upload, digest: bytes) -> bool:
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


# --- the document body, streamed from disk -----------------------------------------------------


class _FileBody:
    """The PDF as an async byte stream; every iteration (every attempt) reads the file afresh."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(UPLOAD_CHUNK):
                yield chunk


def _file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(UPLOAD_CHUNK):
            digest.update(chunk)
    return digest.digest()


def _already_signed(path: Path) -> bool:
    try:
        doc = pymupdf.open(path)
    except (RuntimeError, ValueError, OSError):
        return False  # check_pdf reports unreadable files
    try:
        flags = doc.get_sigflags()
    finally:
        doc.close()
    return isinstance(flags, int) and flags > 0 and bool(flags & 1)


# --- the provider ------------------------------------------------------------------------------


class SignicatProvider:
    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self.token_url = config.setting("token_url") or DEFAULT_TOKEN_URL
        self._token: str | None = None
        self._token_expires: float | None = None
        self._token_lock = asyncio.Lock()
        self.http = self._client()

    def _client(self, policy: RetryPolicy | None = None) -> ProviderHttp:
        return ProviderHttp(
            provider=NAME,
            base_url=self.config.setting("base_url") or DEFAULT_BASE_URL,
            auth=self._auth_headers,
            login_hint=_LOGIN_HINT,
            transport=self.config.transport,
            sleep=self.config.sleep,
            deadlines=self.config.deadlines,
            error_body=signicat_error_body,
            on_unauthorized=self._drop_token,
            policy=policy,
            provider_id=PROVIDER_ID,
        )

    # --- configuration and checks --------------------------------------------------------------

    def _credentials(self) -> tuple[str, str] | None:
        client_id = self.config.credential("client_id")
        secret = self.config.credential("client_secret")
        if not client_id or not secret:
            return None
        return client_id, secret

    def configuration_problem(self) -> str | None:
        if self._credentials() is None:
            return Text(f"{NAME} needs an API client id and secret: ", _LOGIN_HINT, ".")
        if not self.token_url.startswith(("https://", "http://")):
            return Text(f"{NAME}'s token URL {self.token_url!r} is not a web address: set ",
                        SettingRef(PROVIDER_ID, NAME, "Token URL", "SEALBOX_SIGNICAT_TOKEN_URL "
                                   "(or token_url in the settings)"),
                        f" to the OAuth token endpoint, e.g. {DEFAULT_TOKEN_URL}.")
        return None

    def warnings(self, spec: RequestSpec) -> list[str]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        out = capability_problems(CAPABILITIES, spec, pdf)
        signers = 0
        for i, recipient in enumerate(spec.recipients):
            if recipient.designation == Designation.CC:
                out.append(Issue(("recipients", i), f"{NAME} sends no copies, so it takes no "
                                 "CC recipients; remove them (Sealbox keeps the signed PDF in "
                                 "the archive) or choose another provider"))
            elif recipient.designation == Designation.APPROVER:
                out.append(Issue(("recipients", i), f"{NAME} has no approvers, everyone signs "
                                 "with an electronic ID; make the recipient a Signer or choose "
                                 "another provider"))
            else:
                signers += 1
        if signers > 1:
            out.append(Issue(("recipients",), f"a {NAME} signing session is signed by one "
                             "person; send one request per signer or choose another provider"))
        if _already_signed(pdf.path):
            out.append(Issue(("document",), f"{pdf.path.name} is already signed and {NAME} "
                             "cannot sign a signed PDF with an electronic ID; send the unsigned "
                             "original"))
        return out

    # --- the access token ----------------------------------------------------------------------

    async def _auth_headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {await self._access_token()}"}

    async def _drop_token(self) -> bool:
        self._token = None
        self._token_expires = None
        return True

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and (
                self._token_expires is None or self.clock() < self._token_expires
            ):
                return self._token
            self._token = None
            credentials = self._credentials()
            if credentials is None:
                raise UserError(f"{NAME} needs an API client id and secret: {_LOGIN_HINT}.")
            started = self.clock()
            token = parse_token_response(await self._fetch_token(*credentials))
            self._token = token.access_token
            if token.expires_in is None:
                self._token_expires = None
            else:
                margin = min(TOKEN_RENEW_MARGIN, token.expires_in / 10)
                self._token_expires = started + token.expires_in - margin
            return self._token

    async def check_connection(self) -> str:
        problem = self.configuration_problem()
        if problem is not None:
            raise UserError(problem)
        credentials = self._credentials()
        assert credentials is not None
        probe = self._client(RetryPolicy(attempts=CHECK_ATTEMPTS))
        try:
            parse_token_response(await self._fetch_token(*credentials, http=probe))
        except AuthenticationError as exc:
            raise credentials_rejected(NAME, "API client credentials", exc,
                                       "check the client id and secret") from exc
        except RemoteNotFoundError as exc:
            raise not_the_api(NAME, self.token_url, exc, "token URL",
                              provider_id=PROVIDER_ID) from exc
        finally:
            await probe.aclose()
        return f"Connected: {NAME} accepted the API client credentials."

    async def _fetch_token(self, client_id: str, secret: str,
                           http: ProviderHttp | None = None) -> Any:
        # RFC 6749 §2.3.1: id and secret form-encoded, then joined for HTTP Basic.
        pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        try:
            return await (http or self.http).json(
                "POST", self.token_url, authenticated=False, retry=True,
                data={"grant_type": "client_credentials", "scope": TOKEN_SCOPE},
                headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
        except (InvalidRequestError, AuthenticationError) as exc:
            said = exc.code or "refused"
            detail = f"{said}: {exc.issues[0]}" if exc.issues else said
            raise AuthenticationError(
                Text(f"{NAME} refused the API client credentials ({detail}): ", _LOGIN_HINT, "."),
                status=exc.status, code=exc.code, issues=exc.issues) from exc

    # --- requests ------------------------------------------------------------------------------

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        # Signicat takes no idempotency key: sync reconciles by externalReference instead.
        try:
            size = document.stat().st_size
            digest = _file_sha256(document)
        except OSError as exc:
            raise UserError(f"The working copy of {request.name!r} cannot be read "
                            f"({exc.strerror or exc}): send the PDF again.") from exc
        uploaded_raw = await self.http.json(
            "POST", "documents", content=_FileBody(document), timeout=UPLOAD_TIMEOUT,
            deadline=self.http.deadlines.transfer(size),
            retry=True, headers={"Content-Type": "application/pdf",
                                 "Content-Length": str(size)})
        upload = parse_document_response(uploaded_raw)
        if _hash_mismatch(upload, digest):
            raise BadResponseError(f"{NAME} received a different document than Sealbox sent "
                                   "(its hash does not match): try again later.")
        collection_raw = await self.http.json(
            "POST", "document-collections", retry=True,
            json_body={"documents": [{"documentId": upload.document_id}]})
        collection_id = parse_collection_response(collection_raw)
        body = [self._session_body(request, collection_id, upload.document_id)]
        response = await self.http.request("POST", "signing-sessions", json_body=body)
        # From here on the session exists: an unreadable answer must be reconciled, never sent
        # again (sync would otherwise create a second session).
        try:
            created_raw = response.json()
            sessions = parse_session_list(created_raw)
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError, BadResponseError) as exc:
            raise AmbiguousSendError(
                f"{NAME} accepted the signing session for {request.name!r} but its answer could "
                f"not be read: Sealbox will look it up at {NAME} before doing anything else."
            ) from exc
        mine = [s for s in sessions if s.external_reference == request.id]
        if not mine and len(sessions) == 1:
            mine = sessions
        if not mine:
            raise AmbiguousSendError(
                f"{NAME} answered the signing session for {request.name!r} without it: Sealbox "
                f"will look it up at {NAME} before doing anything else.")
        report = session_report(request, mine[0])
        payload = {"document": uploaded_raw, "documentCollection": collection_raw,
                   "signingSessions": created_raw}
        return Report(status=report.status, provider_id=report.provider_id,
                      recipients=report.recipients, error_message=report.error_message,
                      completed_at=report.completed_at, payload=payload)

    def _session_body(self, request: Request, collection_id: str,
                      document_id: str) -> dict[str, Any]:
        setup: dict[str, Any] = {"signingFlow": SIGNING_FLOW}
        idps = [p.strip() for p in (self.config.setting("identity_providers") or "").split(",")
                if p.strip()]
        if idps:
            setup = {"identityProviders": [{"idpName": p} for p in idps], **setup}
        due = now() + timedelta(hours=request.spec.expiration_hours)
        return {
            "title": request.spec.name,
            "externalReference": request.id,
            "documents": [{"action": "SIGN", "documentCollectionId": collection_id,
                           "documentId": document_id}],
            "signingSetup": [setup],
            "packageTo": [PACKAGE_TYPE],
            "dueDate": iso(due),
        }

    async def _session(self, request: Request) -> Session:
        if not request.provider_id:
            raise UserError(Text(f"{request.name!r} has no {NAME} signing session yet: ",
                                 FINISH_SENDING, "."))
        path = f"signing-sessions/{quote(request.provider_id, safe='')}"
        data = await self.http.json("GET", path)
        session = parse_session(data)
        if session.id != request.provider_id:
            raise _bad("another signing session than the one asked for")
        return session

    async def refresh(self, request: Request) -> Report:
        return session_report(request, await self._session(request))

    async def reconcile(self, request: Request) -> Report | None:
        try:
            data = await self.http.json("GET", "signing-sessions",
                                        params={"externalReference": request.id})
        except ProviderError as exc:
            if isinstance(exc, RemoteNotFoundError) or exc.status == 405:
                raise CapabilityError(
                    f"{NAME} cannot look signing sessions up by their external reference, so "
                    f"Sealbox cannot tell whether {request.name!r} reached it.") from exc
            raise
        found = [s for s in parse_session_list(data) if s.external_reference == request.id]
        if not found:
            return None
        return session_report(request, found[0])

    async def cancel(self, request: Request, reason: str | None) -> Report:
        CAPABILITIES.require("cancel")
        raise CapabilityError(f"{NAME} does not offer cancelling a request.")  # pragma: no cover

    async def download_signed(self, request: Request, dest: Path) -> None:
        session = await self._session(request)
        if STATUS_TABLE.get(session.state) != Status.COMPLETED:
            raise ConflictError(f"The signed PDF of {request.name!r} is not ready yet: the "
                                f"signer has not signed it at {NAME}.")
        if session.package_document_id is None:
            raise ConflictError(f"The signed PDF of {request.name!r} is not ready yet: {NAME} is "
                                "still packaging it (PAdES); Sealbox will try again on the next "
                                "sync.")
        await self.http.download(f"documents/{quote(session.package_document_id, safe='')}",
                                 dest)

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")
        raise CapabilityError(f"{NAME} gives no completion certificate.")  # pragma: no cover

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "DEFAULT_TOKEN_URL",
    "STATUS_TABLE",
    "SignicatProvider",
    "parse_collection_response",
    "parse_document_response",
    "parse_session",
    "parse_session_list",
    "parse_token_response",
    "session_report",
    "signer_index",
    "signicat_error_body",
]
