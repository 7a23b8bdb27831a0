"""SayPDF's webhooks: ``X-SayPDF-Signature``, the hex HMAC-SHA256 of the raw body."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from app.providers.info import WebhookEvent, WebhookRejected
from app.providers.webhook import check_signature, json_body

SIGNATURE_HEADER = "X-SayPDF-Signature"


def parse_webhook(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> WebhookEvent:
    """Verify and read one SayPDF webhook delivery; raise ``WebhookRejected`` otherwise.

    ``X-SayPDF-Signature`` must be the hex HMAC-SHA256 of the raw body with ``secret``. ``now``
    is accepted for the shared webhook interface; SayPDF signs no timestamp and replays old
    deliveries on purpose, so no age limit applies. With no delivery id, the delivery is known
    by the SHA-256 of its body (a retried delivery has the same body).
    """
    del now
    check_signature("SayPDF", SIGNATURE_HEADER, headers, body, secret)
    data = json_body(body)
    document_id = data.get("documentId")
    if not isinstance(document_id, str) or not document_id:
        inner = data.get("data")
        document_id = inner.get("id") if isinstance(inner, dict) else None
    if not isinstance(document_id, str) or not document_id:
        raise WebhookRejected("the delivery names no document")
    return WebhookEvent(
        provider="saypdf",
        provider_request_id=document_id,
        event=str(data["event"]),
        delivery_id=hashlib.sha256(body).hexdigest(),
        payload=data,
    )
