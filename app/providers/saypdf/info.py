"""SayPDF's registry entry: what it can do, its settings and credentials, how to build it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.model import FieldType
from app.providers.info import (
    API_KEY_FIELD,
    WEBHOOK_SECRET_FIELD,
    Capabilities,
    ProviderInfo,
    SecretField,
    base_url_field,
)
from app.providers.saypdf.webhooks import parse_webhook

if TYPE_CHECKING:
    from app.config import Paths
    from app.providers.base import Provider, ProviderConfig

ID = "saypdf"
NAME = "SayPDF"

#: The API-key host (``X-API-Key``): the default.
DEFAULT_BASE_URL = "https://api.saypdf.com/api/v1"
#: The host of ``/auth/login`` and Bearer JWTs: the default in email/password mode.
LOGIN_BASE_URL = "https://pdf.classicmovie.net/api"

#: Field types a ``CreateFieldDto`` takes (its ``type`` is named the same as Sealbox's).
FIELD_TYPES = frozenset({FieldType.SIGNATURE, FieldType.INITIALS, FieldType.DATE, FieldType.TEXT})

CAPABILITIES = Capabilities(
    ID,
    NAME,
    field_types=FIELD_TYPES,
    anchors="local",
    cancel=True,
    certificate=True,
    list=True,
    webhooks=True,
    field_labels=False,
)


def create(config: ProviderConfig, paths: Paths) -> Provider:
    from app.providers.saypdf.client import SayPdfProvider

    return SayPdfProvider(config)


INFO = ProviderInfo(
    capabilities=CAPABILITIES,
    create=create,
    about="Uploads the PDF with its fields to SayPDF e-sign. Use an API key, or the email and "
    "password of your SayPDF account.",
    settings=(
        base_url_field(
            DEFAULT_BASE_URL,
            f"Sign-in with email and password uses {LOGIN_BASE_URL} when this is empty.",
        ),
    ),
    secrets=(
        API_KEY_FIELD,
        SecretField("email", "Sign-in email", "Only without an API key."),
        SecretField("password", "Sign-in password", "Only without an API key."),
        WEBHOOK_SECRET_FIELD,
    ),
    webhook=parse_webhook,
)
