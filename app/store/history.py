"""A request's history: the ``events`` table, one row for everything that happened to it.

Every repository that changes a request records why here, inside its own transaction
(:func:`record_event`), so a change and its event are committed together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.domain.clock import iso, now, parse_iso
from app.domain.lifecycle import Status
from app.store.actor import current_actor
from app.store.connection import ReaderLike
from app.store.records import APP_DETAIL, Event, stored_payload, stored_text
from app.wording import Text


def record_event(
    db: Any,
    request_id: str,
    kind: str,
    *,
    status: Status | None = None,
    index: int | None = None,
    detail: str | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add an event to ``request_id``'s history, on ``db`` (a write transaction's handle),
    with who did it (:func:`~app.store.actor.current_actor`). A detail worded for the command
    line (a :class:`~app.wording.Text`) keeps the app's wording in its payload
    (:data:`~app.store.records.APP_DETAIL`)."""
    if isinstance(detail, Text) and detail.gui() != detail:
        payload = {**(payload or {}), APP_DETAIL: detail.gui()}
    actor = current_actor()
    db.table("events").insert(
        {
            "desk": actor.desk,
            "os_user": actor.user,
            "person": actor.name,
            "request_id": request_id,
            "at": iso(at or now()),
            "kind": kind,
            "status": status.value if status else None,
            "recipient_index": index,
            "detail": stored_text(detail),
            "payload_json": stored_payload(payload) if payload is not None else None,
        }
    )


def restore_events(db: Any, request_id: str, events: Sequence[Event]) -> None:
    """Put back ``events`` as they were read from an archived ``request.json``."""
    for e in events:
        db.table("events").insert(
            {
                "request_id": request_id,
                "at": iso(e.at),
                "kind": e.kind,
                "status": e.status,
                "recipient_index": e.recipient_index,
                "detail": e.detail,
                "payload_json": json.dumps(e.payload, ensure_ascii=False, default=str)
                if e.payload is not None
                else None,
                "desk": e.desk,
                "os_user": e.user,
                "person": e.person,
            }
        )


def read_events(reader: ReaderLike, request_id: str) -> list[Event]:
    """``request_id``'s history, oldest first."""
    return [
        Event(
            at=parse_iso(r["at"]) or now(),
            kind=r["kind"],
            status=r["status"],
            recipient_index=r["recipient_index"],
            detail=r["detail"],
            payload=json.loads(r["payload_json"]) if r["payload_json"] else None,
            desk=r["desk"],
            user=r["os_user"],
            person=r["person"],
        )
        for r in reader.query("SELECT * FROM events WHERE request_id = ? ORDER BY id", [request_id])
    ]
