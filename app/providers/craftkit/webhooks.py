"""Craftkit's ``signature.*`` webhooks: HMAC-SHA256 of the raw body, a timestamp within 5 minutes.

See the package's docstring for what is assumed where the document is silent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from app.providers.info import WebhookEvent, WebhookRejected
from app.providers.webhook import check_signature, hmac_sha256, json_body, lower_headers

WEBHOOK_TOLERANCE_S = 300.0
SIGNATURE_HEADER = "x-craftkit-signature"


def webhook_timestamp(value: str) -> float:
    """``x-craftkit-timestamp`` as Unix seconds: seconds, milliseconds (13+ digits) or ISO-8601
    with a zone. Raises ``ValueError`` when it is none of these."""
    text = value.strip()
    if re.fullmatch(r"\d{1,16}(\.\d+)?", text):
        number = float(text)
        # 10^11 seconds is the year 5138: anything that large is milliseconds.
        return number / 1000.0 if number >= 1e11 else number
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("an ISO-8601 timestamp needs a zone")
    return when.timestamp()


def sign_webhook(body: bytes, secret: str) -> str:
    """The ``x-craftkit-signature`` of ``body``: hex HMAC-SHA256, no prefix."""
    return hmac_sha256(body, secret)


def parse_webhook(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> WebhookEvent:
    """Verify and read one Craftkit webhook delivery; raise ``WebhookRejected`` otherwise."""
    check_signature("Craftkit", SIGNATURE_HEADER, headers, body, secret)
    lower = lower_headers(headers)
    stamp = lower.get("x-craftkit-timestamp")
    if not stamp:
        raise WebhookRejected("the delivery has no x-craftkit-timestamp header")
    try:
        sent = webhook_timestamp(stamp)
    except (ValueError, OverflowError) as exc:
        raise WebhookRejected("the x-craftkit-timestamp is not a time") from exc
    if not math.isfinite(sent) or abs(now - sent) > WEBHOOK_TOLERANCE_S:
        raise WebhookRejected("the x-craftkit-timestamp is more than 5 minutes away from now")
    payload = json_body(body)
    event = str(payload["event"])
    request_id = payload.get("signatureRequestId")
    if not isinstance(request_id, str) or not request_id:
        raise WebhookRejected("the delivery names no signatureRequestId")
    status = payload.get("status")
    if status is not None and not isinstance(status, str):
        raise WebhookRejected("the delivery's status is not a string")
    header_event = lower.get("x-craftkit-event")
    if header_event and header_event != event:
        raise WebhookRejected("the x-craftkit-event header and the body's event differ")
    return WebhookEvent(
        provider="craftkit",
        provider_request_id=request_id,
        event=event,
        delivery_id=lower.get("x-craftkit-delivery-id") or None,
        payload=payload,
    )
