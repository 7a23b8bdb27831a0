"""The one protocol every signature service sits behind, and the checks every one shares.

A provider is an instance with injected configuration (and, for the remote ones, an injected HTTP
client); nothing here is a module global. The command line and the UI read ``capabilities``
(:mod:`app.providers.info`) to decide what to offer; an action a provider does not have is
refused with a :class:`~app.errors.CapabilityError`, never silently skipped. Which providers
there are is :mod:`app.providers.registry`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.domain.model import Designation, Recipient, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import Report
from app.domain.text import format_size
from app.pdf.document import PdfInfo
from app.pdf.signatures import describe
from app.providers.deadlines import Deadlines
from app.providers.info import (
    ALL_FIELD_TYPES,
    AnchorSupport,
    Capabilities,
    SignedPdfs,
    WebhookEvent,
    WebhookRejected,
)
from app.wording import Credentials, Text

if TYPE_CHECKING:
    import httpx


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
    #: How long each call, upload and download may take as a whole (``[network]`` settings).
    deadlines: Deadlines = field(default_factory=Deadlines)

    @property
    def env_prefix(self) -> str:
        return f"SEALBOX_{self.provider_id.upper()}_"

    def login_hint(self, key: str = "api_key", *, name: str | None = None) -> Text:
        """How to give credential ``key``: ``sealbox login`` or its environment variable on the
        command line, the field on the provider's Settings page (called ``name``) in the app."""
        return Text(Credentials(self.provider_id, name, (key,)))


class Provider(Protocol):
    """A signature service. Every network method may raise ``UserError`` (the provider said no)
    or ``UnavailableError`` (it could not be reached; retrying may help)."""

    capabilities: Capabilities

    def configuration_problem(self) -> str | None:
        """None when the provider can be used; otherwise what is missing and how to set it."""
        ...

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
        """Every reason this provider would refuse ``spec`` for ``pdf``, before anything is sent:
        whatever would change who signs what (recipients, field types, required fields, the
        order)."""
        ...

    def warnings(self, spec: RequestSpec) -> list[Issue]:
        """What of ``spec`` this provider cannot deliver although it changes nothing about who
        signs what (the message, field labels): sent anyway, said to the user, and recorded.
        Each is an issue like a preflight problem (``message: …``)."""
        ...

    async def create(self, request: Request, pdf: PdfInfo, idempotency_key: str) -> Report:
        """Create and send the request; a replay with the same key returns the original.

        ``pdf`` is the document as it was checked before the request was queued: its
        ``path`` is the working copy to send, its pages the geometry to convert the fields
        with. The provider neither opens nor checks it again."""
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


def signer_problems(
    spec: RequestSpec,
    not_signer: Callable[[Recipient], str],
    no_field: Callable[[Recipient], str] | None = None,
    more: Callable[[int, Recipient], list[Issue]] | None = None,
) -> list[Issue]:
    """For a provider that has only signers: recipient by recipient, an approver or CC is
    refused with ``not_signer``; for a signer, ``more`` adds the provider's own rules, and with
    ``no_field`` a signer with neither a field nor an anchor is refused."""
    out: list[Issue] = []
    for i, r in enumerate(spec.recipients):
        if r.designation != Designation.SIGNER:
            out.append(Issue(("recipients", i, "designation"), not_signer(r)))
            continue
        if more is not None:
            out += more(i, r)
        placed = any(f.recipient_index == i for f in spec.fields) or any(
            a.recipient_index == i for a in spec.anchor_tags
        )
        if no_field is not None and not placed:
            out.append(Issue(("recipients", i), no_field(r)))
    return out


def optional_field_problems(spec: RequestSpec, field: str, anchor: str) -> list[Issue]:
    """For a provider whose fields are all required: each optional field (``field``) and each
    optional anchor (``anchor``) is refused."""
    out = [
        Issue(("fields", i, "required"), field) for i, f in enumerate(spec.fields) if not f.required
    ]
    out += [
        Issue(("anchorTags", i, "required"), anchor)
        for i, a in enumerate(spec.anchor_tags)
        if not a.required
    ]
    return out


def capability_problems(caps: Capabilities, spec: RequestSpec, pdf: PdfInfo) -> list[Issue]:
    """The problems every provider shares: field types, anchors and the size limit."""
    out: list[Issue] = []
    out += signature_problems(caps, pdf)
    if pdf.size_bytes > caps.max_bytes:
        out.append(
            Issue(
                ("document",),
                f"{format_size(pdf.size_bytes)} is over {caps.name}'s "
                f"limit of {format_size(caps.max_bytes)}; reduce the file size",
            )
        )
    for i, f in enumerate(spec.fields):
        if not caps.field_types:
            out.append(
                Issue(
                    ("fields", i),
                    f"{caps.name} does not take placed fields (its "
                    "signers place their own); remove the fields or choose another "
                    "provider",
                )
            )
            break
        if f.type not in caps.field_types:
            out.append(
                Issue(("fields", i, "type"), f"{caps.name} cannot take {f.type.value} fields")
            )
    if spec.anchor_tags and caps.anchors == "none":
        out.append(
            Issue(
                ("anchorTags",),
                f"{caps.name} does not take anchor tags; remove them or choose another provider",
            )
        )
    elif caps.anchors != "none":
        for i, a in enumerate(spec.anchor_tags):
            if a.type not in caps.field_types:
                out.append(
                    Issue(
                        ("anchorTags", i, "type"), f"{caps.name} cannot take {a.type.value} fields"
                    )
                )
    return out


def signature_problems(caps: Capabilities, pdf: PdfInfo) -> list[Issue]:
    """What the signatures ``pdf`` already carries forbid: a certification that allows no
    changes to the pages (every provider puts the values on them), and a provider that would
    break them."""
    if not pdf.signatures:
        return []
    name = pdf.path.name
    certified = next((s for s in pdf.signatures if s.certification is not None), None)
    if certified is not None:
        return [
            Issue(
                ("document",),
                f"{name} is certified by {certified.signer}, and the "
                "certification allows no changes to its pages, so signing it would break "
                "the certification; send the document as it was before it was certified",
            )
        ]
    if caps.signed_pdfs != "broken":
        return []
    return [
        Issue(
            ("document",),
            f"{name} is already signed by {describe(pdf.signatures)}, and "
            f"{caps.name} would invalidate that signature (it rewrites the document to add "
            f"the new signatures); send it {KEEPS_SIGNATURES} instead",
        )
    ]


#: The providers that keep earlier signatures, for the message that names them.
KEEPS_SIGNATURES = "in person with Sealbox or through ItaSign"


def delivery_warnings(caps: Capabilities, spec: RequestSpec) -> list[Issue]:
    """The warnings every provider shares, from its capabilities: a message it does not deliver
    and field labels it does not show."""
    out: list[Issue] = []
    if spec.message and spec.message.strip() and not caps.message:
        out.append(
            Issue(
                ("message",),
                f"{caps.name} does not deliver a message to the "
                "recipients; it is sent without it and kept in Sealbox only, so tell "
                "them another way if it matters",
            )
        )
    if caps.field_types and not caps.field_labels:
        labelled = [i for i, f in enumerate(spec.fields) if f.label and f.label.strip()]
        if labelled:
            count = len(labelled)
            which = (
                "the field's label stays" if count == 1 else f"the labels of {count} fields stay"
            )
            out.append(
                Issue(
                    ("fields", labelled[0], "label"),
                    f"{caps.name} does not show field labels to signers; {which} in Sealbox only",
                )
            )
    return out


__all__ = [
    "ALL_FIELD_TYPES",
    "KEEPS_SIGNATURES",
    "AnchorSupport",
    "Capabilities",
    "Provider",
    "ProviderConfig",
    "SignedPdfs",
    "WebhookEvent",
    "WebhookRejected",
    "capability_problems",
    "delivery_warnings",
    "signature_problems",
]
