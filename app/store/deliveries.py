"""Webhook deliveries already handled, so that a provider's redelivery is dropped."""

from __future__ import annotations

from app.domain.clock import iso, now
from app.store.connection import StoreDatabase


class WebhookDeliveries:
    """The ``webhook_deliveries`` table: one row per (provider, delivery id)."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database

    def first_delivery(self, provider: str, delivery_id: str) -> bool:
        """Record that ``provider``'s delivery ``delivery_id`` was received; False when it had
        been received before (a redelivery), checked and recorded in one transaction."""
        with self.database.write() as db:
            cursor = db.execute(
                "INSERT INTO webhook_deliveries (provider, delivery_id, received_at) "
                "VALUES (?, ?, ?) ON CONFLICT (provider, delivery_id) DO NOTHING",
                [provider, delivery_id, iso(now())],
            )
            return bool(cursor.rowcount == 1)
