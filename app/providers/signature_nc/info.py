"""Signature.nc's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.model import FieldType
from app.providers.info import API_KEY_FIELD, Capabilities, ProviderInfo, base_url_field

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "signature_nc"
NAME = "Signature.nc"
DEFAULT_BASE_URL = "https://api.signature.nc/api/v3"

CAPABILITIES = Capabilities(
    ID, NAME, field_types=frozenset({FieldType.SIGNATURE}), anchors="local", message=False
)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.signature_nc.client import SignatureNcProvider

    return SignatureNcProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Uploads the PDF with its signature fields to Signature.nc (API V3).",
    settings=(base_url_field(DEFAULT_BASE_URL),),
    secrets=(API_KEY_FIELD,),
)
