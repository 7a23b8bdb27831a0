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
#: The keyring entries of a certificate file's password and a token's PIN (kept only when the
#: user chooses to).
PKCS12_PASSWORD = "local.pkcs12_passphrase"
PKCS11_PIN = "local.pkcs11_pin"
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
    "first signing), your organisation's certificate file (PKCS#12), or a smartcard or token "
    "(PKCS#11).",
    # What seals (:mod:`app.providers.local.choice`): keys of the settings file's own, shown
    # on the In person page as one "Seal with" group (app/ui/settings/seal_identity.py).
    settings=(
        SettingField("seal_with", "Seal with", "installation", kind="text", top_level=True),
        SettingField(
            "seal_pkcs12",
            "Seal certificate",
            "This installation's own certificate",
            kind="file",
            top_level=True,
        ),
        SettingField("seal_pkcs11_module", "PKCS#11 module", "", kind="file", top_level=True),
        SettingField("seal_pkcs11_token", "Token", "", kind="text", top_level=True),
        SettingField("seal_pkcs11_key", "Key label", "", kind="text", top_level=True),
    ),
    # The passphrase of the installation's own seal (``seal_passphrase``) is made and kept by
    # Sealbox; nobody types it, so it is neither shown nor asked for. A certificate file's
    # password and a token's PIN are kept only when the user chooses to (`sealbox login local`,
    # or "Remember in the keyring" in Settings); otherwise they are asked for when needed.
    secrets=(
        SecretField(
            "pkcs12_passphrase",
            "Certificate password",
            "Only for a PKCS#12 file that has one.",
        ),
        SecretField("pkcs11_pin", "Token PIN", "Only for a smartcard or token."),
    ),
    test_label="Check the seal",
    testing="Checking…",
)
