"""The one protocol every signature service sits behind, and its capabilities record.

A provider is an instance with injected configuration (and, for the remote ones, an injected HTTP
client); nothing here is a module global. The command line and the UI read ``capabilities`` to
decide what to offer; an action a provider does not have is refused with a
:class:`~app.errors.CapabilityError`, never silently skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from app.domain.model import FieldType, Request, RequestSpec
from app.domain.report import Report
from app.errors import CapabilityError
from app.pdf.document import PdfInfo
from app.providers.errors import AuthenticationError, ProviderError

if TYPE_CHECKING:
    import httpx

AnchorSupport = Literal["native", "local", "none"]
ALL_FIELD_TYPES = frozenset(FieldType)


@dataclass(frozen=True)
class Capabilities:
    id: str
    name: str
    #: Field types that can be placed; empty when the provider takes no placed fields.
    field_types: frozenset[FieldType]
    #: ``native``: sent as anchors; ``local``: resolved into fields on this machine.
    anchors: AnchorSupport
    cancel: bool
    certificate: bool
    list: bool
    webhooks: bool
    idempotency: bool
    max_bytes: int
    #: Signing happens on this computer (the ``local`` provider).
    in_person: bool = False
    #: The document is a provider-side render named by ``--render-id`` (Craftkit).
    needs_render_id: bool = False
    #: The request's message reaches the recipients.
    message: bool = True
    #: A field's label is shown to the signer.
    field_labels: bool = True

    def summary(self) -> dict[str, object]:
        return {
            "fieldTypes": sorted(t.value for t in self.field_types),
            "anchors": self.anchors,
            "cancel": self.cancel,
            "certificate": self.certificate,
            "list": self.list,
            "webhooks": self.webhooks,
            "idempotency": self.idempotency,
            "maxBytes": self.max_bytes,
            "inPerson": self.in_person,
            "needsRenderId": self.needs_render_id,
            "message": self.message,
            "fieldLabels": self.field_labels,
        }

    def require(self, action: Literal["cancel", "certificate", "list", "webhooks"]) -> None:
        if not getattr(self, action):
            raise CapabilityError(
                f"{self.name} does not offer {_ACTIONS[action]}: it is unavailable for requests "
                f"sent through {self.id}."
            )


_ACTIONS = {
    "cancel": "cancelling a request",
    "certificate": "a completion certificate",
    "list": "listing requests",
    "webhooks": "webhooks",
}


@dataclass(frozen=True)
class ProviderConfig:
    """Everything a provider instance is built from; nothing is read from globals.

    ``credential("api_key")`` returns a secret (OS keyring, overridden by
    ``SEALBOX_<ID>_API_KEY``); ``setting("base_url")`` a plain setting (``config.toml``,
    overridden by ``SEALBOX_<ID>_BASE_URL``). Tests inject ``transport`` and ``sleep``.
    """

    provider_id: str
    credential: Callable[[str], str | None]
    setting: Callable[[str], str | None]
    sender_name: str | None = None
    sender_email: str | None = None
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def env_prefix(self) -> str:
        return f"SEALBOX_{self.provider_id.upper()}_"

    def login_hint(self, key: str = "api_key") -> str:
        return (f"run `sealbox login {self.provider_id}` or set "
                f"{self.env_prefix}{key.upper()}")


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook delivery: which request it is about (the provider's id)."""

    provider: str
    provider_request_id: str
    event: str
    delivery_id: str | None
    payload: dict[str, object]


class WebhookRejected(Exception):
    """A webhook delivery that must be refused with 401 (bad or stale signature)."""


class Provider(Protocol):
    """A signature service. Every network method may raise ``UserError`` (the provider said no)
    or ``UnavailableError`` (it could not be reached; retrying may help)."""

    capabilities: Capabilities

    def configuration_problem(self) -> str | None:
        """None when the provider can be used; otherwise what is missing and how to set it."""
        ...

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        """Every reason this provider would refuse ``spec`` for ``pdf``, before anything is sent:
        whatever would change who signs what (recipients, field types, required fields, the
        order)."""
        ...

    def warnings(self, spec: RequestSpec) -> list[str]:
        """What of ``spec`` this provider cannot deliver although it changes nothing about who
        signs what (the message, field labels): sent anyway, said to the user, and recorded.
        Written like preflight problems (``message: …``)."""
        ...

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        """Create and send the request; a replay with the same key returns the original."""
        ...

    async def refresh(self, request: Request) -> Report: ...

    async def reconcile(self, request: Request) -> Report | None:
        """After an ambiguous create: the provider's record of ``request`` found by its external
        reference (the Sealbox request id), or None when it certainly does not exist there.
        Raises ``CapabilityError`` when the provider offers no way to tell."""
        ...

    async def cancel(self, request: Request, reason: str | None) -> Report: ...

    async def download_signed(self, request: Request, dest: Path) -> None:
        """Write the signed PDF to ``dest`` (the caller makes the write atomic)."""
        ...

    async def download_certificate(self, request: Request, dest: Path) -> None: ...

    async def check_connection(self) -> str:
        """One harmless call that proves the configuration works (for a remote provider an
        authenticated request that changes nothing); returns one sentence for the user, such as
        "Connected: Craftkit accepted the API key.". Raises ``UserError`` when something is
        missing or the credentials are refused ("... rejected the API key ...") and
        ``UnavailableError`` when the service cannot be reached. One attempt, no retries: the
        user is waiting for the answer."""
        ...

    async def aclose(self) -> None: ...


#: How many attempts ``check_connection`` makes (no retries: the user is waiting).
CHECK_ATTEMPTS = 1


def credentials_rejected(name: str, what: str, error: ProviderError,
                         fix: str | None = None) -> AuthenticationError:
    """The error ``check_connection`` raises when ``name`` refused the credentials ``what``
    ("API key", "API client credentials", ...): one sentence, without a status code."""
    if error.status == 403:
        text = (f"{name} accepted the {what} but refused it access: "
                f"{fix or f'check the permissions of the {what} at {name}'}.")
    else:
        text = f"{name} rejected the {what}: {fix or f'check the {what} and test again'}."
    return AuthenticationError(text, status=error.status, code=error.code, issues=error.issues)


def not_the_api(name: str, url: str, error: ProviderError, what: str = "base URL") -> ProviderError:
    """The error ``check_connection`` raises when ``url`` answered 404: nothing of ``name``'s API
    is there."""
    return ProviderError(f"{name}'s API is not at {url}: check the {what}.",
                         status=error.status, code=error.code, issues=error.issues)


def capability_problems(caps: Capabilities, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
    """The problems every provider shares: field types, anchors and the size limit."""
    out: list[str] = []
    if pdf.size_bytes > caps.max_bytes:
        out.append(f"document: {pdf.size_bytes / 1e6:.1f} MB is over {caps.name}'s limit of "
                   f"{caps.max_bytes / 1e6:.0f} MB; reduce the file size")
    for i, f in enumerate(spec.fields):
        if not caps.field_types:
            out.append(f"fields[{i}]: {caps.name} does not take placed fields (its signers place "
                       "their own); remove the fields or choose another provider")
            break
        if f.type not in caps.field_types:
            out.append(f"fields[{i}].type: {caps.name} cannot take {f.type.value} fields")
    if spec.anchor_tags and caps.anchors == "none":
        out.append(f"anchorTags: {caps.name} does not take anchor tags; remove them or choose "
                   "another provider")
    elif caps.anchors != "none":
        for i, a in enumerate(spec.anchor_tags):
            if a.type not in caps.field_types:
                out.append(f"anchorTags[{i}].type: {caps.name} cannot take {a.type.value} fields")
    return out


def delivery_warnings(caps: Capabilities, spec: RequestSpec) -> list[str]:
    """The warnings every provider shares, from its capabilities: a message it does not deliver
    and field labels it does not show."""
    out: list[str] = []
    if spec.message and spec.message.strip() and not caps.message:
        out.append(f"message: {caps.name} does not deliver a message to the recipients; it is "
                   "sent without it and kept in Sealbox only, so tell them another way if it "
                   "matters")
    if caps.field_types and not caps.field_labels:
        labelled = [i for i, f in enumerate(spec.fields) if f.label and f.label.strip()]
        if labelled:
            count = len(labelled)
            which = ("the field's label stays" if count == 1 else
                     f"the labels of {count} fields stay")
            out.append(f"fields[{labelled[0]}].label: {caps.name} does not show field labels to "
                       f"signers; {which} in Sealbox only")
    return out
