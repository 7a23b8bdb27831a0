"""What a provider reports about a request, in Sealbox's own vocabulary.

Each provider maps its wire format onto a ``Report`` in one place; the store applies reports to
requests, so the lifecycle rules live in one place too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.lifecycle import Status


@dataclass(frozen=True)
class RecipientReport:
    """One recipient as the provider sees it; ``index`` is the position in the spec."""

    index: int
    provider_recipient_id: str | None = None
    viewed_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str | None = None
    signing_url: str | None = None


@dataclass(frozen=True)
class Report:
    status: Status
    provider_id: str | None = None
    recipients: tuple[RecipientReport, ...] = ()
    error_message: str | None = None
    completed_at: datetime | None = None
    #: The provider's own payload, kept in the status history as it arrived.
    payload: dict[str, Any] = field(default_factory=dict)
