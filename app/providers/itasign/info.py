"""ItaSign's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.providers.info import API_KEY_FIELD, Capabilities, ProviderInfo, base_url_field

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "itasign"
NAME = "ItaSign"
DEFAULT_BASE_URL = "https://itasign.com/api/v1"

#: Signers place their own signatures: no fields or anchors. PAdES signatures are incremental
#: updates, so earlier ones are kept (see the package's docstring).
CAPABILITIES = Capabilities(ID, NAME, cancel=True, signed_pdfs="kept", field_labels=False)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.itasign.client import ItaSignProvider

    return ItaSignProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Sends the PDF to ItaSign; signers place their own signatures. The API key needs the "
    "documents:create and documents:read permissions.",
    settings=(base_url_field(DEFAULT_BASE_URL),),
    secrets=(API_KEY_FIELD,),
)
