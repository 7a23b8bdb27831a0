"""Signicat's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.providers.info import (
    Capabilities,
    ProviderInfo,
    SecretField,
    SettingField,
    base_url_field,
)

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "signicat"
NAME = "Signicat"
DEFAULT_BASE_URL = "https://api.signicat.com/sign"
DEFAULT_TOKEN_URL = "https://api.signicat.com/auth/open/connect/token"

#: Identity-based signing: no placed fields or anchors; a signed PDF is refused in preflight,
#: as its guide says.
CAPABILITIES = Capabilities(ID, NAME, signed_pdfs="refused", message=False, field_labels=False)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.signicat.client import SignicatProvider

    return SignicatProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Signers sign with an electronic ID through the Signicat Sign API. Use the API "
    "client's id and secret from the Signicat dashboard.",
    settings=(
        base_url_field(DEFAULT_BASE_URL),
        SettingField("token_url", "Token URL", DEFAULT_TOKEN_URL),
        SettingField(
            "identity_providers",
            "Identity providers",
            "All of the account's (e.g. ftn, nbid)",
            kind="text",
            note="Comma-separated; leave empty to offer every one.",
        ),
    ),
    secrets=(SecretField("client_id", "Client ID"), SecretField("client_secret", "Client secret")),
)
