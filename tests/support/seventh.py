"""A seventh provider that Sealbox does not ship: one small class and its registry entry.

It is what a newcomer adds for a new signature service (a package under ``app/providers/`` with
its client and its entry, one line in the registry), here kept in memory: ``registered()`` puts
its entry in the registry for a test, and nothing else in Sealbox is edited for it to appear in
``sealbox providers``, Settings, the send path and the webhook listener.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.config import Paths
from app.domain.lifecycle import Status
from app.domain.model import FieldType, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.pdf.document import PdfInfo
from app.providers import registry
from app.providers.base import Provider, ProviderConfig, capability_problems, delivery_warnings
from app.providers.info import (
    API_KEY_FIELD,
    WEBHOOK_SECRET_FIELD,
    Capabilities,
    ProviderInfo,
    WebhookEvent,
    WebhookRejected,
    base_url_field,
)

ID = "postbox"
NAME = "Postbox"
DEFAULT_BASE_URL = "https://api.postbox.example"

CAPABILITIES = Capabilities(
    ID, NAME, field_types=frozenset({FieldType.SIGNATURE}), anchors="local", webhooks=True
)


@dataclass
class PostboxService:
    """The service behind the provider, in memory."""

    #: Every document ``create`` was given, by Sealbox request id.
    sent: dict[str, PdfInfo] = field(default_factory=dict)
    #: The status of each request at the service, by its Postbox id.
    statuses: dict[str, Status] = field(default_factory=dict)


class PostboxProvider:
    """The client: one instance per configuration, as the context builds it."""

    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig, service: PostboxService) -> None:
        self.config = config
        self.service = service

    def configuration_problem(self) -> str | None:
        return None if self.config.credential("api_key") else "Postbox needs an API key."

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        return capability_problems(CAPABILITIES, spec, pdf)

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        return delivery_warnings(CAPABILITIES, spec)

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        self.service.sent[request.id] = pdf
        postbox_id = f"pb-{request.id[:8]}"
        self.service.statuses[postbox_id] = Status.SENT
        return Report(status=Status.SENT, provider_id=postbox_id)

    async def refresh(self, request: Request) -> Report:
        assert request.provider_id is not None
        return Report(
            status=self.service.statuses[request.provider_id], provider_id=request.provider_id
        )

    async def reconcile(self, request: Request) -> Report | None:
        return None

    async def cancel(self, request: Request, reason: str | None) -> Report:
        CAPABILITIES.require("cancel")
        raise AssertionError("unreachable")

    async def download_signed(self, request: Request, dest: Path) -> None:
        raise AssertionError("not used by these tests")

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")

    async def check_connection(self) -> str:
        return "Connected: Postbox is always there."

    async def aclose(self) -> None:
        return None


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_webhook(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> WebhookEvent:
    if not hmac.compare_digest(sign(body, secret), headers.get("x-postbox-signature", "")):
        raise WebhookRejected("the x-postbox-signature does not match")
    data = json.loads(body)
    return WebhookEvent(
        provider=ID,
        provider_request_id=data["id"],
        event=data["event"],
        delivery_id=headers.get("x-postbox-delivery"),
        payload=data,
    )


def entry(service: PostboxService) -> ProviderInfo:
    """The provider's registry entry (its clients talk to ``service``)."""

    def create(config: ProviderConfig, paths: Paths) -> Provider:
        return PostboxProvider(config, service)

    return ProviderInfo(
        capabilities=CAPABILITIES,
        create=create,
        about="Posts the PDF to Postbox, a service Sealbox does not ship.",
        settings=(base_url_field(DEFAULT_BASE_URL),),
        secrets=(API_KEY_FIELD, WEBHOOK_SECRET_FIELD),
        webhook=parse_webhook,
    )


@contextmanager
def registered() -> Iterator[PostboxService]:
    """The seventh provider in the registry for the length of the block; yields its service."""
    service = PostboxService()
    with registry.registered(entry(service)):
        yield service
