"""The Signature.nc client: :class:`SignatureNcProvider`. See the package's docstring."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Recipient, Request, RequestSpec
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
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    RemoteNotFoundError,
)
from app.providers.http import UPLOAD_TIMEOUT, ProviderHttp
from app.providers.remote import ApiKey, base_url, base_url_problem, connect, probe, reference
from app.providers.signature_nc.info import CAPABILITIES, DEFAULT_BASE_URL, ID, NAME
from app.providers.signature_nc.mapping import (
    ANSWER,
    BOOLEAN_SETTING,
    CHECK_PATH,
    CREATE_PATH,
    SEND_EMAIL_DEFAULT,
    STATUS_PATH,
    build_signers,
    parse_submission,
    signature_nc_error_body,
    signed_document_url,
    status_hook,
    upload_name,
)
from app.wording import Alt, Text


class SignatureNcProvider:
    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = base_url(config, DEFAULT_BASE_URL)
        self.api_key = ApiKey(config, NAME)
        self.http = connect(
            config,
            NAME,
            self.base_url,
            self.api_key,
            error_body=signature_nc_error_body,
            status_hook=status_hook,
        )
        # Signed documents stored on another host get no credentials (made when needed).
        self._anonymous: ProviderHttp | None = None

    # --- configuration ------------------------------------------------------------------------

    def _send_email(self) -> bool | None:
        raw = self.config.setting("send_email")
        if raw is None or not raw.strip():
            return SEND_EMAIL_DEFAULT
        return BOOLEAN_SETTING.get(raw.strip().lower())

    def _connection_problem(self) -> str | None:
        if self.api_key.value() is None:
            return self.api_key.missing()
        return base_url_problem(self.config, NAME, self.base_url)

    def configuration_problem(self) -> str | None:
        problem = self._connection_problem()
        if problem is not None:
            return problem
        if self._send_email() is None:
            return Text(
                f"{NAME}'s send_email setting must be true or false: ",
                Alt(
                    f"fix {self.config.env_prefix}SEND_EMAIL or send_email under [providers.{ID}]",
                    "correct it in Sealbox's settings file, or ask whoever set Sealbox up",
                ),
                ".",
            )
        return None

    async def check_connection(self) -> str:
        problem = self._connection_problem()
        if problem is not None:
            raise UserError(problem)

        async def status_of_nothing(client: ProviderHttp) -> None:
            # 404: the key was accepted; the submission does not exist, as intended.
            with contextlib.suppress(RemoteNotFoundError):
                await client.request("GET", CHECK_PATH)

        await probe(self.http, status_of_nothing, what="API key", url=self.base_url)
        return f"Connected: {NAME} accepted the API key."

    # --- checks before sending ----------------------------------------------------------------

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        out = capability_problems(CAPABILITIES, spec, pdf)

        def last_name(i: int, r: Recipient) -> list[Issue]:
            if r.last_name.strip():
                return []
            return [
                Issue(("recipients", i, "lastName"), f"{NAME} needs a last name for every signer")
            ]

        out += signer_problems(
            spec,
            not_signer=lambda r: (
                f"{NAME} has only signers, no {r.designation.value}; make them a Signer or "
                "choose another provider"
            ),
            no_field=lambda r: (
                f"{NAME} needs at least one signature field for every signer; place one or add "
                "an anchor tag"
            ),
            more=last_name,
        )
        always = f"{NAME} fields are always required; make it required or remove it"
        out += optional_field_problems(spec, always, always)
        return out

    # --- calls --------------------------------------------------------------------------------

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        # Signature.nc takes no idempotency key: the key is not sent, and an upload whose
        # answer is lost raises AmbiguousSendError instead of being sent again.
        del idempotency_key
        send_email = self._send_email()
        if send_email is None:
            raise UserError(self.configuration_problem() or "bad send_email setting")
        file_name = upload_name(request.document_name)
        signers = build_signers(request.spec, pdf, file_name, send_email)
        form = {
            "name": request.spec.name,
            "signers": json.dumps(signers, ensure_ascii=False),
            "sendEmail": "true" if send_email else "false",
        }
        handles: list[IO[bytes]] = []

        def files() -> dict[str, tuple[str, IO[bytes], str]]:
            handle = pdf.path.open("rb")  # afresh for every attempt, streamed from disk
            handles.append(handle)
            return {"file": (file_name, handle, "application/pdf")}

        try:
            response = await self.http.request(
                "POST",
                CREATE_PATH,
                data=form,
                files=files,
                timeout=UPLOAD_TIMEOUT,
                deadline=self.http.deadlines.transfer(pdf.size_bytes),
            )
        finally:
            for handle in handles:
                handle.close()
        try:
            return parse_submission(_json(response), request.spec, observed=now())
        except BadResponseError as exc:
            # The upload was accepted (2xx) but the answer is unreadable: without an
            # idempotency key, sending again could make a second request.
            raise AmbiguousSendError(
                f"{NAME} accepted {request.name!r} but its answer could not be read, so "
                "Sealbox cannot tell what was created and will not send it again by itself: "
                "look for it on Signature.nc."
            ) from exc

    async def _fetch(self, request: Request) -> Any:
        uuid = quote(reference(request, NAME, "id"), safe="")
        return await self.http.json("GET", STATUS_PATH.format(uuid=uuid))

    async def refresh(self, request: Request) -> Report:
        data = await self._fetch(request)
        return parse_submission(data, request.spec, observed=now())

    async def reconcile(self, request: Request) -> Report | None:
        raise CapabilityError(
            f"{NAME} offers no way to look a request up by Sealbox's reference, so Sealbox "
            f"cannot tell whether {request.name!r} arrived: look for it on Signature.nc "
            "before sending it again."
        )

    async def cancel(self, request: Request, reason: str | None) -> Report:
        CAPABILITIES.require("cancel")
        raise AssertionError("unreachable: Signature.nc has no cancel")

    async def download_signed(self, request: Request, dest: Path) -> None:
        data = await self._fetch(request)
        report = parse_submission(data, request.spec, observed=now())
        if report.status != Status.COMPLETED:
            raise ConflictError(
                f"{request.name!r} is not signed by everyone yet on {NAME}: "
                "the signed PDF can be downloaded once it is."
            )
        href = signed_document_url(data, upload_name(request.document_name))
        try:
            url = self.http.base_url.join(href)
        except httpx.InvalidURL as exc:
            raise ANSWER.bad("a signed document link that is not a URL") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ANSWER.bad("a signed document link that is not a web address")
        base = self.http.base_url
        if (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port):
            await self.http.download(str(url), dest)
            return
        try:
            await self.anonymous().download(str(url), dest)
        except AuthenticationError as exc:
            # Not Sealbox's credentials: a storage link that has run out.
            raise ConflictError(
                f"The link {NAME} gave for the signed PDF of {request.name!r} was refused (it "
                "may have expired): Sealbox will ask for a fresh one on the next sync.",
                status=exc.status,
            ) from exc

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")
        raise AssertionError("unreachable: Signature.nc has no completion certificate")

    def anonymous(self) -> ProviderHttp:
        """A client that sends no credentials, for links to other hosts."""
        if self._anonymous is None:
            self._anonymous = connect(
                self.config,
                NAME,
                str(self.http.base_url),
                _no_auth,
                error_body=signature_nc_error_body,
            )
        return self._anonymous

    async def aclose(self) -> None:
        try:
            await self.http.aclose()
        finally:
            if self._anonymous is not None:
                await self._anonymous.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise BadResponseError(
            f"{NAME} answered with something that is not JSON: try again later."
        ) from exc


async def _no_auth() -> dict[str, str]:
    return {}


__all__ = ["SignatureNcProvider"]
