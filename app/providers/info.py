"""What Sealbox knows about a provider without loading it: its capabilities and its registry entry.

Everything here is plain data, cheap to import: the command line lists providers, the app fills
its choosers and Settings pages, and the store's readers name providers, all without loading
httpx, PyMuPDF or a provider's client (the entry's ``create`` loads those when a provider is
built). The list of providers itself is :mod:`app.providers.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.domain.model import FieldType
from app.errors import CapabilityError
from app.pdf.limits import MAX_PDF_BYTES

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

AnchorSupport = Literal["native", "local", "none"]
#: What becomes of signatures a PDF already carries when it is sent through a provider:
#: ``kept`` (changes are incremental updates), ``broken`` (the provider rewrites or re-renders
#: the file, so they would no longer verify: refused before sending), ``refused`` (the provider
#: cannot sign a signed PDF at all and says so in its own preflight).
SignedPdfs = Literal["kept", "broken", "refused"]
ALL_FIELD_TYPES = frozenset(FieldType)


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do. Each default is the least a provider may offer, so that its
    record names only what it does."""

    id: str
    #: The provider's one display name (lists, choosers, Settings, messages).
    name: str
    #: Field types that can be placed; empty when the provider takes no placed fields.
    field_types: frozenset[FieldType] = frozenset()
    #: ``native``: sent as anchors; ``local``: resolved into fields on this machine.
    anchors: AnchorSupport = "none"
    cancel: bool = False
    certificate: bool = False
    list: bool = False
    webhooks: bool = False
    idempotency: bool = False
    max_bytes: int = MAX_PDF_BYTES
    #: Signing happens on this computer (the built-in provider).
    in_person: bool = False
    #: The document is a provider-side render named by ``--render-id`` (Craftkit).
    needs_render_id: bool = False
    #: What becomes of the signatures a PDF already carries (see :data:`SignedPdfs`).
    signed_pdfs: SignedPdfs = "broken"
    #: The request's message reaches the recipients.
    message: bool = True
    #: A field's label is shown to the signer.
    field_labels: bool = True

    @property
    def resolves_anchors(self) -> bool:
        """Anchor tags are turned into fields on this machine before sending."""
        return self.anchors == "local"

    @property
    def sends_anchors(self) -> bool:
        """Anchor tags are sent as they are; the provider places their fields."""
        return self.anchors == "native"

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
            "existingSignatures": self.signed_pdfs,
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

SettingKind = Literal["url", "text", "file"]


def env_variable(provider_id: str, key: str) -> str:
    """``SEALBOX_<ID>_<KEY>``: the environment variable that overrides a provider's setting or
    credential ``key``."""
    return f"SEALBOX_{provider_id.upper()}_{key.upper()}"


@dataclass(frozen=True)
class SettingField:
    """A plain setting of a provider: a row of its Settings page, read by its configuration.

    It lives in ``config.toml`` under ``[providers.<id>] <key>`` and the environment's
    ``SEALBOX_<ID>_<KEY>`` overrides it; a ``top_level`` one is the settings file's own top-level
    ``<key>`` (an attribute of :class:`app.config.Settings`), which the environment does not
    override."""

    key: str
    label: str
    #: Shown in the empty input: the value used when none is given.
    placeholder: str
    kind: SettingKind = "url"
    note: str | None = None
    top_level: bool = False


@dataclass(frozen=True)
class SecretField:
    """A credential of a provider: kept in the OS keyring as ``<id>.<key>``, overridden by
    ``SEALBOX_<ID>_<KEY>``, entered on its Settings page and, when ``login``, asked by
    ``sealbox login <id>``."""

    key: str
    label: str
    note: str | None = None
    login: bool = True


#: The credential a webhook delivery's signature is checked with (``<id>.webhook_secret``).
WEBHOOK_SECRET = "webhook_secret"
#: Said under a webhook secret on a provider's Settings page.
WEBHOOK_NOTE = (
    "Only where Sealbox receives the service's notifications (webhooks): proves "
    "that they come from the service."
)

#: The fields most remote providers have: an API key, a webhook secret, a base URL.
API_KEY_FIELD = SecretField("api_key", "API key")
WEBHOOK_SECRET_FIELD = SecretField(WEBHOOK_SECRET, "Webhook secret", WEBHOOK_NOTE)


def base_url_field(default: str, note: str | None = None) -> SettingField:
    """The ``base_url`` setting, empty meaning ``default`` (shown in grey)."""
    return SettingField("base_url", "Base URL", default, note=note)


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


#: Verifies and reads one delivery: ``(headers with lower-case names, raw body, secret, now as
#: Unix seconds)``; raises :class:`WebhookRejected` for one that must be refused.
WebhookParser = Callable[[Mapping[str, str], bytes, str, float], WebhookEvent]
#: Builds a provider from its configuration (``paths``: where Sealbox keeps its data). It
#: imports the provider's client when called, so that reading the registry stays cheap.
Factory = Callable[["ProviderConfig", "Paths"], "Provider"]


@dataclass(frozen=True)
class ProviderInfo:
    """One provider as the rest of Sealbox sees it: the registry's entry.

    ``create`` builds it; ``capabilities`` says what it can do (and its id and display name);
    ``settings`` and ``secrets`` are what its Settings page shows, what its configuration reads
    and what ``sealbox login`` asks; ``webhook`` verifies its deliveries (None: it sends none);
    ``test_label`` and ``testing`` word its Settings page's connection test (the provider's own
    ``check_connection()``)."""

    capabilities: Capabilities
    create: Factory
    #: What the provider's Settings page says about it, under its name.
    about: str
    settings: tuple[SettingField, ...] = ()
    secrets: tuple[SecretField, ...] = ()
    webhook: WebhookParser | None = None
    test_label: str = "Test connection"
    testing: str = "Connecting…"

    def __post_init__(self) -> None:
        if self.capabilities.webhooks != (self.webhook is not None):
            raise ValueError(f"{self.id}: capabilities.webhooks and the webhook parser disagree")
        if self.webhook is not None and WEBHOOK_SECRET not in {s.key for s in self.secrets}:
            raise ValueError(f"{self.id}: a provider with webhooks needs a {WEBHOOK_SECRET}")

    @property
    def id(self) -> str:
        return self.capabilities.id

    @property
    def name(self) -> str:
        return self.capabilities.name

    def setting(self, key: str) -> SettingField | None:
        return next((s for s in self.settings if s.key == key), None)

    def setting_variable(self, key: str) -> str | None:
        """The environment variable that overrides setting ``key`` (None for a top-level one)."""
        found = self.setting(key)
        if found is not None and found.top_level:
            return None
        return env_variable(self.id, key)

    @property
    def login_secrets(self) -> tuple[SecretField, ...]:
        """What ``sealbox login`` asks for, in order."""
        return tuple(s for s in self.secrets if s.login)


__all__ = [
    "ALL_FIELD_TYPES",
    "API_KEY_FIELD",
    "WEBHOOK_NOTE",
    "WEBHOOK_SECRET",
    "WEBHOOK_SECRET_FIELD",
    "AnchorSupport",
    "Capabilities",
    "Factory",
    "ProviderInfo",
    "SecretField",
    "SettingField",
    "SignedPdfs",
    "WebhookEvent",
    "WebhookParser",
    "WebhookRejected",
    "base_url_field",
    "env_variable",
]
