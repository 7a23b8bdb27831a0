"""The Signicat client: :class:`SignicatProvider`, its calls and its access token."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.domain.lifecycle import Status
from app.domain.model import Designation, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.errors import CapabilityError, UserError
from app.pdf.document import PdfInfo
from app.providers.base import ProviderConfig, capability_problems, delivery_warnings
from app.providers.errors import (
    AmbiguousSendError,
    BadResponseError,
    ConflictError,
    ProviderError,
    RemoteNotFoundError,
)
from app.providers.http import UPLOAD_TIMEOUT, ProviderHttp
from app.providers.remote import base_url, base_url_problem, connect, probe, reference
from app.providers.signicat.info import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    ID,
    NAME,
)
from app.providers.signicat.mapping import (
    ANSWER,
    LOGIN_HINT,
    STATUS_TABLE,
    TOKEN,
    Session,
    hash_mismatch,
    parse_collection_response,
    parse_document_response,
    parse_session,
    parse_session_list,
    parse_token_response,
    session_body,
    session_report,
    signicat_error_body,
    status_hook,
)
from app.wording import SettingRef, Text

TOKEN_SCOPE = "signicat-api"
#: Renew the access token this long before it expires (at most a tenth of its lifetime).
TOKEN_RENEW_MARGIN = 60.0
UPLOAD_CHUNK = 256 * 1024


class _FileBody:
    """The PDF as an async byte stream; every iteration (every attempt) reads the file afresh."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(UPLOAD_CHUNK):
                yield chunk


class SignicatProvider:
    capabilities = CAPABILITIES

    def __init__(
        self, config: ProviderConfig, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config
        self.clock = clock
        self.token_url = config.setting("token_url") or DEFAULT_TOKEN_URL
        self.base_url = base_url(config, DEFAULT_BASE_URL)
        self._token: str | None = None
        self._token_expires: float | None = None
        self._token_lock = asyncio.Lock()
        self.http = connect(
            config,
            NAME,
            self.base_url,
            self._auth_headers,
            login_hint=LOGIN_HINT,
            error_body=signicat_error_body,
            status_hook=status_hook,
            on_unauthorized=self._drop_token,
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
            return Text(f"{NAME} needs an API client id and secret: ", LOGIN_HINT, ".")
        if not self.token_url.startswith(("https://", "http://")):
            return Text(
                f"{NAME}'s token URL {self.token_url!r} is not a web address: set ",
                SettingRef(
                    ID,
                    NAME,
                    "Token URL",
                    "SEALBOX_SIGNICAT_TOKEN_URL (or token_url in the settings)",
                ),
                f" to the OAuth token endpoint, e.g. {DEFAULT_TOKEN_URL}.",
            )
        return base_url_problem(self.config, NAME, self.base_url)

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        out = capability_problems(CAPABILITIES, spec, pdf)
        signers = 0
        for i, recipient in enumerate(spec.recipients):
            if recipient.designation == Designation.CC:
                out.append(
                    Issue(
                        ("recipients", i),
                        f"{NAME} sends no copies, so it takes no "
                        "CC recipients; remove them (Sealbox keeps the signed PDF in "
                        "the archive) or choose another provider",
                    )
                )
            elif recipient.designation == Designation.APPROVER:
                out.append(
                    Issue(
                        ("recipients", i),
                        f"{NAME} has no approvers, everyone signs "
                        "with an electronic ID; make the recipient a Signer or choose "
                        "another provider",
                    )
                )
            else:
                signers += 1
        if signers > 1:
            out.append(
                Issue(
                    ("recipients",),
                    f"a {NAME} signing session is signed by one "
                    "person; send one request per signer or choose another provider",
                )
            )
        if pdf.signatures_flagged:
            out.append(
                Issue(
                    ("document",),
                    f"{pdf.path.name} is already signed and {NAME} "
                    "cannot sign a signed PDF with an electronic ID; send the unsigned "
                    "original",
                )
            )
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
                raise UserError(f"{NAME} needs an API client id and secret: {LOGIN_HINT}.")
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
        parse_token_response(
            await probe(
                self.http,
                lambda client: self._fetch_token(*credentials, http=client),
                what="API client credentials",
                url=self.token_url,
                setting="token URL",
                fix=lambda _exc: "check the client id and secret",
            )
        )
        return f"Connected: {NAME} accepted the API client credentials."

    async def _fetch_token(
        self, client_id: str, secret: str, http: ProviderHttp | None = None
    ) -> Any:
        # RFC 6749 §2.3.1: id and secret form-encoded, then joined for HTTP Basic.
        pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
        basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return await (http or self.http).json(
            "POST",
            self.token_url,
            authenticated=False,
            retry=True,
            operation=TOKEN,
            data={"grant_type": "client_credentials", "scope": TOKEN_SCOPE},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )

    # --- requests ------------------------------------------------------------------------------

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        # Signicat takes no idempotency key: sync reconciles by externalReference instead.
        uploaded_raw = await self.http.json(
            "POST",
            "documents",
            content=_FileBody(pdf.path),
            timeout=UPLOAD_TIMEOUT,
            deadline=self.http.deadlines.transfer(pdf.size_bytes),
            retry=True,
            headers={"Content-Type": "application/pdf", "Content-Length": str(pdf.size_bytes)},
        )
        upload = parse_document_response(uploaded_raw)
        if hash_mismatch(upload, bytes.fromhex(pdf.sha256)):
            raise BadResponseError(
                f"{NAME} received a different document than Sealbox sent "
                "(its hash does not match): try again later."
            )
        collection_raw = await self.http.json(
            "POST",
            "document-collections",
            retry=True,
            json_body={"documents": [{"documentId": upload.document_id}]},
        )
        collection_id = parse_collection_response(collection_raw)
        body = [
            session_body(request, collection_id, upload.document_id, self._identity_providers())
        ]
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
                f"will look it up at {NAME} before doing anything else."
            )
        report = session_report(request, mine[0])
        payload = {
            "document": uploaded_raw,
            "documentCollection": collection_raw,
            "signingSessions": created_raw,
        }
        return Report(
            status=report.status,
            provider_id=report.provider_id,
            recipients=report.recipients,
            error_message=report.error_message,
            completed_at=report.completed_at,
            payload=payload,
        )

    def _identity_providers(self) -> list[str]:
        return [
            p.strip()
            for p in (self.config.setting("identity_providers") or "").split(",")
            if p.strip()
        ]

    async def _session(self, request: Request) -> Session:
        session_id = reference(request, NAME, "signing session")
        data = await self.http.json("GET", f"signing-sessions/{quote(session_id, safe='')}")
        session = parse_session(data)
        if session.id != session_id:
            raise ANSWER.bad("another signing session than the one asked for")
        return session

    async def refresh(self, request: Request) -> Report:
        return session_report(request, await self._session(request))

    async def reconcile(self, request: Request) -> Report | None:
        try:
            data = await self.http.json(
                "GET", "signing-sessions", params={"externalReference": request.id}
            )
        except ProviderError as exc:
            if isinstance(exc, RemoteNotFoundError) or exc.status == 405:
                raise CapabilityError(
                    f"{NAME} cannot look signing sessions up by their external reference, so "
                    f"Sealbox cannot tell whether {request.name!r} reached it."
                ) from exc
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
            raise ConflictError(
                f"The signed PDF of {request.name!r} is not ready yet: the "
                f"signer has not signed it at {NAME}."
            )
        if session.package_document_id is None:
            raise ConflictError(
                f"The signed PDF of {request.name!r} is not ready yet: {NAME} is "
                "still packaging it (PAdES); Sealbox will try again on the next "
                "sync."
            )
        await self.http.download(f"documents/{quote(session.package_document_id, safe='')}", dest)

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")
        raise CapabilityError(f"{NAME} gives no completion certificate.")  # pragma: no cover

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["SignicatProvider"]
