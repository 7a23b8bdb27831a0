"""The ItaSign client: :class:`ItaSignProvider`. See the package's docstring for the contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.errors import CapabilityError, SealboxError, UserError
from app.pdf.document import PdfInfo
from app.providers.base import (
    ProviderConfig,
    capability_problems,
    delivery_warnings,
    signer_problems,
)
from app.providers.errors import AmbiguousSendError, BadResponseError, ProviderError
from app.providers.http import UPLOAD_TIMEOUT
from app.providers.itasign.info import CAPABILITIES, DEFAULT_BASE_URL, NAME
from app.providers.itasign.mapping import (
    ANSWER,
    answer_body,
    create_body,
    itasign_error_body,
    parse_create_response,
    parse_status_response,
    parse_void_response,
)
from app.providers.remote import ApiKey, base_url, base_url_problem, connect, probe, reference

API_KEY_HEADER = "X-API-Key"
#: The signed-document format Sealbox archives: PAdES (a PDF), never CAdES (a P7M envelope).
DOWNLOAD_FORMAT = "pades"
#: The connection check: the organization's templates, a read that needs no document id.
CHECK_PATH = "templates"


def _permissions(error: ProviderError) -> str | None:
    """The fix for a key ItaSign accepted but refused access (403)."""
    if error.status != 403:
        return None
    return (
        "give the key the documents:create and documents:read permissions in the "
        "organization settings"
    )


class ItaSignProvider:
    """The ItaSign client; see the package's docstring for the contract and its assumptions."""

    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = base_url(config, DEFAULT_BASE_URL)
        #: When Sealbox saw a signer view or decline (ItaSign gives no time); tests replace it.
        self.clock: Callable[[], datetime] = now
        self.api_key = ApiKey(config, NAME, API_KEY_HEADER, prefix="")
        self.http = connect(
            config, NAME, self.base_url, self.api_key, error_body=itasign_error_body
        )

    # --- configuration -------------------------------------------------------------------------

    def configuration_problem(self) -> str | None:
        if self.api_key.value() is None:
            return self.api_key.missing()
        return base_url_problem(self.config, NAME, self.base_url)

    async def check_connection(self) -> str:
        problem = self.configuration_problem()
        if problem is not None:
            raise UserError(problem)
        data = await probe(
            self.http,
            lambda client: client.json("GET", CHECK_PATH),
            what="API key",
            url=self.base_url,
            fix=_permissions,
        )
        body = answer_body(data, "a template list")
        if not isinstance(body.get("templates"), list):
            raise ANSWER.bad("a template list without templates")
        return f"Connected: {NAME} accepted the API key."

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        return capability_problems(CAPABILITIES, spec, pdf) + signer_problems(
            spec,
            not_signer=lambda r: (
                f"{NAME} has only signers, not {r.designation.value} recipients; make "
                f"{r.name or 'them'} a Signer, remove them, or choose another provider"
            ),
        )

    # --- requests ------------------------------------------------------------------------------

    @staticmethod
    def _path(document_id: str, action: str) -> str:
        return f"documents/{quote(document_id, safe='')}/{action}"

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        # ItaSign documents no idempotency key: none is sent, so ProviderHttp never retries the
        # create after it may have arrived (a lost answer is an AmbiguousSendError).
        del idempotency_key
        body = create_body(request, pdf.path, pdf.size_bytes)
        data = await self.http.json(
            "POST",
            "documents",
            content=body,
            timeout=UPLOAD_TIMEOUT,
            deadline=self.http.deadlines.transfer(body.length),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Content-Length": str(body.length),
            },
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
        doc_id = reference(request, NAME, "document")
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
        doc_id = reference(request, NAME, "document")
        payload: dict[str, str] = {"reason": reason} if reason else {}
        data = await self.http.json(
            "POST",
            self._path(doc_id, "void"),
            json_body=payload,
            headers={"Accept": "application/json"},
        )
        return parse_void_response(data, doc_id, reason)

    async def download_signed(self, request: Request, dest: Path) -> None:
        doc_id = reference(request, NAME, "document")
        await self.http.download(
            self._path(doc_id, "download"), dest, params={"format": DOWNLOAD_FORMAT}
        )

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["ItaSignProvider"]
