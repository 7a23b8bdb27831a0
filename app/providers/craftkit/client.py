"""The Craftkit client: :class:`CraftkitProvider`. See the package's docstring for the contract."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from app.domain.model import Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.errors import UserError, ValidationError
from app.pdf.document import PdfInfo
from app.providers.base import ProviderConfig, capability_problems, delivery_warnings
from app.providers.craftkit.info import CAPABILITIES, DEFAULT_BASE_URL, NAME
from app.providers.craftkit.mapping import (
    ANSWER,
    UUID_RE,
    ListPage,
    created_at,
    parse_list_page,
    parse_signature,
    recipient_emails,
    wire_anchors,
    wire_fields,
    wire_recipients,
)
from app.providers.errors import (
    ConflictError,
    OutOfCreditsError,
    ProviderRejectedError,
    ProviderUnavailableError,
    RemoteNotFoundError,
)
from app.providers.remote import ApiKey, base_url, base_url_problem, connect, probe, reference
from app.providers.remote import reworded as _again
from app.wording import Alt, Text

MAX_CANCEL_REASON = 500
MAX_LIST_PAGE = 100
DEFAULT_LIST_LIMIT = 50
RECONCILE_WINDOW = timedelta(hours=24)
RECONCILE_MAX_PAGES = 50
#: The create call waits for Craftkit's create-and-send with the signature service.
CREATE_TIMEOUT = httpx.Timeout(90.0, connect=10.0)


class CraftkitProvider:
    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = base_url(config, DEFAULT_BASE_URL)
        #: Page size for listing (at most Craftkit's 100).
        self.page_size = MAX_LIST_PAGE
        self.api_key = ApiKey(config, NAME)
        self.http = connect(config, NAME, self.base_url, self.api_key)

    # --- configuration ------------------------------------------------------------------------

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
            lambda c: c.json("GET", "/v1/signatures", params={"limit": 1}),
            what="API key",
            url=self.base_url,
        )
        parse_list_page(data)
        return f"Connected: {NAME} accepted the API key."

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        problems = capability_problems(CAPABILITIES, spec, pdf)
        for i, f in enumerate(spec.fields):
            if f.type.has_options:
                # Say why, in place of the generic "cannot take" sentence.
                problems = [p for p in problems if p.path != ("fields", i, "type")]
                problems.append(
                    Issue(
                        ("fields", i, "type"),
                        f"{NAME}'s fields carry no "
                        f"options, so a {f.type.value} field cannot be sent; use "
                        "another type or another provider",
                    )
                )
        return problems

    # --- create -------------------------------------------------------------------------------

    def create_body(self, request: Request, pdf: PdfInfo) -> dict[str, Any]:
        """The JSON body of ``POST /v1/signatures`` for ``request`` on the render ``pdf``."""
        spec = request.spec
        render_id = (request.render_id or "").strip()
        if not UUID_RE.match(render_id):
            raise UserError(
                Text(
                    f"{NAME} sends a render, not a file: ",
                    Alt(
                        "pass --render-id with the id (a UUID) of a succeeded render",
                        f"send documents that {NAME} rendered from the command line, or choose "
                        "another service for this one",
                    ),
                    ".",
                )
            )
        problems = self.preflight(spec, pdf)
        fields, field_problems = wire_fields(spec, pdf)
        anchors, anchor_problems = wire_anchors(spec)
        problems += field_problems + anchor_problems
        if problems:
            raise ValidationError(problems, f"The request {spec.name!r}")
        body: dict[str, Any] = {
            "renderId": render_id,
            "name": spec.name,
            "recipients": wire_recipients(spec),
        }
        if fields:
            body["fields"] = fields
        if anchors:
            body["anchorTags"] = anchors
        body["expirationHours"] = spec.expiration_hours
        return body

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        if not idempotency_key:
            raise ValueError("a Craftkit create needs an idempotency key")
        body = self.create_body(request, pdf)
        try:
            data = await self.http.json(
                "POST",
                "/v1/signatures",
                json_body=body,
                idempotency_key=idempotency_key,
                retry=False,
                timeout=CREATE_TIMEOUT,
                deadline=self.http.deadlines.long_call,
            )
        except RemoteNotFoundError as exc:
            raise _again(
                exc,
                f"{NAME} has no render {body['renderId']} in this project: check "
                "--render-id and that the API key belongs to the render's "
                "project.",
            ) from exc
        except ConflictError as exc:
            raise _again(
                exc,
                f"{NAME} render {body['renderId']} is not ready for signing (it "
                "has not succeeded or has no PDF): wait for the render to "
                "succeed, then send again.",
            ) from exc
        except OutOfCreditsError as exc:
            raise _again(
                exc,
                f"The signature service account behind {NAME} is out of "
                "credits: top it up, then send again.",
            ) from exc
        return parse_signature(data, request.spec)

    # --- reading ------------------------------------------------------------------------------

    def _path(self, request: Request, suffix: str = "") -> str:
        return f"/v1/signatures/{quote(reference(request, NAME), safe='')}{suffix}"

    async def refresh(self, request: Request) -> Report:
        data = await self.http.json("GET", self._path(request))
        report = parse_signature(data, request.spec)
        if report.provider_id != request.provider_id:
            raise ANSWER.bad("another signature request than the one asked for")
        return report

    async def _list_page(
        self, *, render_id: str | None, limit: int, cursor: str | None
    ) -> ListPage:
        params: dict[str, Any] = {"limit": limit}
        if render_id:
            params["renderId"] = render_id
        if cursor:
            params["cursor"] = cursor
        return parse_list_page(await self.http.json("GET", "/v1/signatures", params=params))

    async def list_requests(
        self, *, render_id: str | None = None, limit: int = DEFAULT_LIST_LIMIT
    ) -> list[Report]:
        """The project's signature requests, newest first, at most ``limit`` of them, following
        ``nextCursor`` page by page. Recipients are numbered by their position."""
        if limit < 1:
            raise UserError("The list limit must be at least 1.")
        reports: list[Report] = []
        cursor: str | None = None
        seen: set[str] = set()
        while len(reports) < limit:
            page = await self._list_page(
                render_id=render_id, cursor=cursor, limit=min(self.page_size, limit - len(reports))
            )
            reports += [
                parse_signature(item, None, "a listed signature request") for item in page.items
            ]
            if not page.has_more or not page.next_cursor or not page.items:
                break
            if page.next_cursor in seen:
                raise ANSWER.bad("a list cursor that did not move on")
            seen.add(page.next_cursor)
            cursor = page.next_cursor
        return reports[:limit]

    async def reconcile(self, request: Request) -> Report | None:
        if request.provider_id:
            return await self.refresh(request)
        render_id = (request.render_id or "").strip()
        if not UUID_RE.match(render_id):
            return None  # a create is never sent without a render id
        spec = request.spec
        emails = [r.email.casefold() for r in spec.recipients]
        since = request.created_at - RECONCILE_WINDOW
        cursor: str | None = None
        for _ in range(RECONCILE_MAX_PAGES):
            page = await self._list_page(render_id=render_id, limit=MAX_LIST_PAGE, cursor=cursor)
            for item in page.items:
                report = parse_signature(item, spec, "a listed signature request")
                created = created_at(item)
                if created is not None and created < since:
                    return None
                wire = recipient_emails(item)
                if item.get("name") == spec.name and (not wire or wire == emails):
                    return report
            if not page.has_more or not page.next_cursor or not page.items:
                return None
            if page.next_cursor == cursor:
                raise ANSWER.bad("a list cursor that did not move on")
            cursor = page.next_cursor
        raise ProviderUnavailableError(
            f"Sealbox could not tell whether {request.name!r} reached {NAME}: the render has "
            "too many signature requests to look through; look for it in Craftkit."
        )

    # --- actions ------------------------------------------------------------------------------

    async def cancel(self, request: Request, reason: str | None) -> Report:
        if reason is not None and len(reason) > MAX_CANCEL_REASON:
            raise ValidationError(
                [f"reason: must be at most {MAX_CANCEL_REASON} characters (it has {len(reason)})"],
                "The cancellation",
            )
        body: dict[str, Any] = {"reason": reason} if reason else {}
        try:
            data = await self.http.json("POST", self._path(request, "/cancel"), json_body=body)
        except ConflictError as exc:
            raise _again(
                exc,
                f"{request.name!r} is already finished at {NAME} (completed, "
                "declined, expired, cancelled or failed) and cannot be "
                "cancelled.",
            ) from exc
        except ProviderRejectedError as exc:
            raise ProviderUnavailableError(
                Text(
                    f"{NAME}'s signature service failed to cancel {request.name!r}"
                    f"{f' ({exc.code})' if exc.code else ''}: try again later; ",
                    Alt(
                        f"`sealbox show {request.id[:8]} --refresh` tells whether it was cancelled",
                        "Refresh tells whether it was cancelled",
                    ),
                    ".",
                ),
                status=exc.status,
            ) from exc
        return parse_signature(data, request.spec)

    async def download_signed(self, request: Request, dest: Path) -> None:
        try:
            await self.http.download(self._path(request, "/download"), dest)
        except ConflictError as exc:
            raise _again(
                exc,
                f"The signed PDF of {request.name!r} is not ready yet at {NAME} "
                "(it is archived once everyone has signed): Sealbox will try "
                "again later.",
            ) from exc

    async def download_certificate(self, request: Request, dest: Path) -> None:
        try:
            await self.http.download(self._path(request, "/certificate"), dest)
        except ConflictError as exc:
            raise _again(
                exc,
                f"The completion certificate of {request.name!r} is not ready yet "
                f"at {NAME}: Sealbox will try again later.",
            ) from exc
        except ProviderRejectedError as exc:
            raise ProviderUnavailableError(
                f"{NAME} could not fetch the completion certificate of {request.name!r} from "
                "its signature service: try again later.",
                status=exc.status,
            ) from exc

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["CraftkitProvider"]
