"""What the webhook parsers share: the HMAC-SHA256 check of the raw body, and reading it.

Each provider's parser (its ``webhooks`` module, named in its registry entry) says which header
carries the signature and what the body names; these are the steps that are the same for all.
Every failure is a :class:`~app.providers.info.WebhookRejected` (the listener answers 401).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from app.providers.info import WebhookRejected


def hmac_sha256(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of ``body`` with ``secret`` (no prefix)."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def check_signature(
    name: str, header: str, headers: Mapping[str, str], body: bytes, secret: str
) -> None:
    """The delivery's ``header`` (any case) must be the hex HMAC-SHA256 of ``body`` with
    ``secret``, compared in constant time."""
    if not secret:
        raise WebhookRejected(f"no {name} webhook secret is configured")
    given = (lower_headers(headers).get(header.lower()) or "").strip()
    if not given:
        raise WebhookRejected(f"the delivery has no {header} header")
    if not hmac.compare_digest(
        hmac_sha256(body, secret).encode("ascii"), given.lower().encode("utf-8", "replace")
    ):
        raise WebhookRejected(f"the {header} does not match the body")


def json_body(body: bytes) -> dict[str, Any]:
    """The delivery's body: a JSON object naming its ``event``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected("the delivery body is not JSON") from exc
    if not isinstance(data, dict):
        raise WebhookRejected("the delivery body is not a JSON object")
    event = data.get("event")
    if not isinstance(event, str) or not event:
        raise WebhookRejected("the delivery names no event")
    return data
