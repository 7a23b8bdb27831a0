"""The SayPDF client: :class:`SayPdfProvider`. See the package's docstring for the contract."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from app.domain.lifecycle import Status
from app.domain.model import EMAIL_RE, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.errors import CapabilityError, UserError
from app.pdf.document import PdfInfo
from app.providers.base import (
    ProviderConfig,
    capability_problems,
    delivery_warnings,
    optional_field_problems,
    signer_problems,
)
from app.providers.http import UPLOAD_TIMEOUT, ProviderHttp
from app.providers.remote import (
    SENDER_SETTING,
    ApiKey,
    base_url_problem,
    connect,
    probe,
    reference,
)
from app.providers.saypdf.info import CAPABILITIES, DEFAULT_BASE_URL, LOGIN_BASE_URL, NAME
from app.providers.saypdf.mapping import (
    ENDPOINTS,
    Operation,
    create_document,
    documents_from_list,
    error_body,
    report_from_create,
    report_from_document,
    status_hook,
    token_from_login,
)
from app.wording import Alt, Text

API_KEY_HEADER = "X-API-Key"
#: The multipart part carrying the PDF (``pdf`` in every example; ``file`` in the table).
FILE_PART = "pdf"
#: The multipart part carrying the JSON ``CreateDocumentDto``.
DATA_PART = "data"


class SayPdfProvider:
    """The SayPDF client. See the package's docstring for the contract and its assumptions."""

    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.api_key = ApiKey(config, NAME, API_KEY_HEADER, prefix="")
        self._api_key = self.api_key.value()
        self._email = (config.credential("email") or "").strip() or None
        self._password = config.credential("password") or None
        self._token: str | None = None
        configured = (config.setting("base_url") or "").strip()
        jwt_mode = self._api_key is None and self._email is not None
        self.base_url = configured or (LOGIN_BASE_URL if jwt_mode else DEFAULT_BASE_URL)
        self.http = connect(
            config,
            NAME,
            self.base_url,
            self._auth_headers,
            login_hint=self._login_hint(),
            error_body=error_body,
            status_hook=status_hook(self._login_hint),
            on_unauthorized=self._renew if self._api_key is None else None,
        )

    # --- configuration ---

    @property
    def uses_api_key(self) -> bool:
        return self._api_key is not None

    def _login_hint(self) -> str:
        api_key = self.config.login_hint(name=NAME)
        if self._api_key is None and self._email is not None:
            prefix = self.config.env_prefix
            return Text(
                Alt(
                    f"check {prefix}EMAIL and {prefix}PASSWORD, or use an API key (",
                    "check the sign-in email and password, or use an API key: ",
                ),
                api_key,
                Alt(")", ""),
            )
        return api_key

    def _connection_problem(self) -> str | None:
        """What is missing to reach SayPDF at all (credentials, base URL)."""
        prefix = self.config.env_prefix
        if self._api_key is None:
            if self._email is None and self._password is None:
                return self.api_key.missing()
            if self._email is None or self._password is None:
                return Text(
                    f"{NAME} sign-in needs both an email and a password: ",
                    Alt(
                        f"set {prefix}EMAIL and {prefix}PASSWORD, or use an API key (",
                        "enter both, or use an API key: ",
                    ),
                    self.config.login_hint(name=NAME),
                    Alt(").", "."),
                )
        return base_url_problem(self.config, NAME, self.base_url)

    def configuration_problem(self) -> str | None:
        problem = self._connection_problem()
        if problem is not None:
            return problem
        email = (self.config.sender_email or "").strip()
        if not email:
            return Text(
                f"{NAME} needs the sender's email as the owner of every request: set ",
                SENDER_SETTING,
                ".",
            )
        if not EMAIL_RE.match(email):
            return Text(
                f"The sender email {email!r} is not an email address: correct ",
                Alt(
                    "SEALBOX_SENDER_EMAIL or the sender in settings",
                    "your email in Settings › General",
                ),
                ".",
            )
        return None

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        out = capability_problems(CAPABILITIES, spec, pdf)
        out += signer_problems(
            spec,
            not_signer=lambda r: (
                f"{NAME} has only signers, no {r.designation.value} recipients; make "
                f"{r.name or r.email} a Signer, remove them, or choose another provider"
            ),
            no_field=lambda r: (
                f"{NAME} needs at least one field for every signer; place a field or anchor for "
                f"{r.name or r.email}"
            ),
        )
        out += optional_field_problems(
            spec,
            f"every {NAME} field must be filled in; make the field required or remove it",
            f"every {NAME} field must be filled in; make the anchor required or remove it",
        )
        return out

    # --- authentication ---

    async def _auth_headers(self) -> Mapping[str, str]:
        if self._api_key is not None:
            return await self.api_key()
        if self._token is None:
            self._token = await self._login()
        return {"Authorization": f"Bearer {self._token}"}

    async def _login(self, http: ProviderHttp | None = None) -> str:
        if self._email is None or self._password is None:
            raise UserError(self.configuration_problem() or f"{NAME} is not configured.")
        method, path = ENDPOINTS["login"]
        data = await (http or self.http).json(
            method,
            path,
            authenticated=False,
            operation="login",
            json_body={"email": self._email, "password": self._password},
        )
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
        method, path = ENDPOINTS["list"]

        async def call(client: ProviderHttp) -> Any:
            if self._api_key is None:
                self._token = await self._login(client)
            return await client.json(method, path, operation="list")

        documents_from_list(await probe(self.http, call, what=what, url=self.base_url))
        return f"Connected: {NAME} accepted the {what}."

    def _path(self, operation: Operation, request: Request) -> tuple[str, str]:
        method, template = ENDPOINTS[operation]
        return method, template.format(id=quote(reference(request, NAME, "document id"), safe=""))

    # --- the request ---

    def build_document(self, request: Request, pdf: PdfInfo) -> dict[str, Any]:
        """The ``CreateDocumentDto`` for ``request`` (fields converted to percentages)."""
        owner = (self.config.sender_name or "").strip() or None
        return create_document(request.spec, pdf, (self.config.sender_email or "").strip(), owner)

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        """Upload and send. SayPDF documents no idempotency key, so ``idempotency_key`` is not
        sent; a create that may have arrived raises ``AmbiguousSendError`` and is never
        retried."""
        del idempotency_key
        problem = self.configuration_problem()
        if problem:
            raise UserError(problem)
        if not (self.capabilities.field_types >= {f.type for f in request.spec.fields}):
            raise CapabilityError(
                f"{NAME} cannot take some of the fields of {request.name!r}: "
                "use signature, initials, date and text fields only."
            )
        dto = self.build_document(request, pdf)
        payload = json.dumps(dto, ensure_ascii=False, separators=(",", ":"))
        filename = request.document_name or pdf.path.name
        handles: list[IO[bytes]] = []

        def files() -> dict[str, Any]:
            handle = pdf.path.open("rb")  # streamed from disk, afresh for each attempt
            handles.append(handle)
            return {FILE_PART: (filename, handle, "application/pdf")}

        method, path = ENDPOINTS["create"]
        try:
            data = await self.http.json(
                method,
                path,
                data={DATA_PART: payload},
                files=files,
                timeout=UPLOAD_TIMEOUT,
                deadline=self.http.deadlines.transfer(pdf.size_bytes),
                operation="create",
            )
        finally:
            for handle in handles:
                handle.close()
        return report_from_create(data, request.spec)

    async def refresh(self, request: Request) -> Report:
        method, path = self._path("get", request)
        return report_from_document(
            await self.http.json(method, path, operation="get"), request.spec
        )

    async def reconcile(self, request: Request) -> Report | None:
        raise CapabilityError(
            f"{NAME} keeps no reference Sealbox could look {request.name!r} up by: check the "
            f"{NAME} dashboard for it."
        )

    async def list_documents(self) -> list[dict[str, Any]]:
        """Every document of the account, as SayPDF describes them (``GET /esign/documents``)."""
        method, path = ENDPOINTS["list"]
        return documents_from_list(await self.http.json(method, path, operation="list"))

    async def cancel(self, request: Request, reason: str | None) -> Report:
        self.capabilities.require("cancel")
        method, path = self._path("cancel", request)
        data = await self.http.json(method, path, operation="cancel")
        if data is None or (
            isinstance(data, dict) and "document" not in data and data.get("success") is True
        ):
            report = await self.refresh(request)  # the answer carries no document
        else:
            report = report_from_document(data, request.spec)
        if reason and report.status == Status.CANCELLED:
            return Report(
                status=report.status,
                provider_id=report.provider_id,
                recipients=report.recipients,
                error_message=reason,
                completed_at=report.completed_at,
                payload=report.payload,
            )
        return report

    async def download_signed(self, request: Request, dest: Path) -> None:
        _, path = self._path("download", request)
        await self.http.download(path, dest, operation="download")

    async def download_certificate(self, request: Request, dest: Path) -> None:
        self.capabilities.require("certificate")
        _, path = self._path("certificate", request)
        await self.http.download(path, dest, operation="certificate")

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["DATA_PART", "FILE_PART", "SayPdfProvider"]
