"""ItaSign's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.providers.info import Capabilities, ProviderInfo, SecretField, SettingField

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "itasign"
NAME = "ItaSign"
DEFAULT_BASE_URL = "https://itasign.com/api/v1"

CAPABILITIES = Capabilities(
    id=ID,
    name=NAME,
    field_types=frozenset(),
    anchors="none",
    cancel=True,
    certificate=False,
    list=False,
    webhooks=False,
    idempotency=False,
    # PAdES signatures are incremental updates (see the package's docstring).
    signed_pdfs="kept",
    field_labels=False,
)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.itasign.client import ItaSignProvider

    return ItaSignProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Sends the PDF to ItaSign; signers place their own signatures. The API key needs the "
          "documents:create and documents:read permissions.",
    settings=(SettingField("base_url", "Base URL", DEFAULT_BASE_URL),),
    secrets=(SecretField("api_key", "API key"),),
)
