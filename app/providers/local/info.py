"""The built-in provider's registry entry: signing in person on this computer ("In person")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.providers.info import (
    ALL_FIELD_TYPES,
    Capabilities,
    ProviderInfo,
    SecretField,
    SettingField,
)

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "local"
#: The one name of the built-in provider, wherever Sealbox shows it.
NAME = "In person"

#: Every change is an incremental update: signatures the PDF carries are kept.
CAPABILITIES = Capabilities(
    ID,
    NAME,
    field_types=ALL_FIELD_TYPES,
    anchors="local",
    cancel=True,
    certificate=True,
    idempotency=True,
    in_person=True,
    signed_pdfs="kept",
)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.local.provider import LocalProvider

    return LocalProvider(paths, config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Recipients sign on this computer and nothing leaves it. When the last one has "
    "signed, the PDF is sealed with a certificate: this installation's own (made at the "
    "first signing) or your organisation's PKCS#12 file.",
    settings=(
        SettingField(
            "seal_pkcs12",
            "Seal certificate",
            "This installation's own certificate",
            kind="file",
            top_level=True,
        ),
    ),
    # The passphrase of the installation's own seal (``seal_passphrase``) is made and kept by
    # Sealbox; nobody types it, so it is neither shown nor asked for.
    secrets=(
        SecretField(
            "pkcs12_passphrase",
            "Certificate passphrase",
            "Only for a PKCS#12 file that has one.",
            login=False,
        ),
    ),
    test_label="Check the seal",
    testing="Checking…",
)
