"""Craftkit's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.model import FieldType
from app.providers.craftkit.webhooks import parse_webhook
from app.providers.info import (
    ALL_FIELD_TYPES,
    API_KEY_FIELD,
    WEBHOOK_SECRET_FIELD,
    Capabilities,
    ProviderInfo,
    base_url_field,
)

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "craftkit"
NAME = "Craftkit"
DEFAULT_BASE_URL = "https://api.craftkit.dev"

CAPABILITIES = Capabilities(
    ID,
    NAME,
    # fields[] has no ``options``: dropdown and radio buttons could not be sent whole.
    field_types=frozenset(ALL_FIELD_TYPES - {FieldType.DROPDOWN, FieldType.RADIO_BUTTONS}),
    anchors="native",
    cancel=True,
    certificate=True,
    list=True,
    webhooks=True,
    idempotency=True,
    needs_render_id=True,
    message=False,
    field_labels=False,
)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.craftkit.client import CraftkitProvider

    return CraftkitProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Sends a Craftkit render out for signature. Use the project's API key from the "
    "Craftkit dashboard.",
    settings=(base_url_field(DEFAULT_BASE_URL),),
    secrets=(API_KEY_FIELD, WEBHOOK_SECRET_FIELD),
    webhook=parse_webhook,
)
