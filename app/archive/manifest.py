"""``request.json``: what an archive folder says about its request, readable with no database.

It holds the spec, the provider and its ids, the recipients with their times, the status history
and the SHA-256 of every file, recorded as the file was written (DESIGN.md, "Where things live").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.domain.clock import iso, now, parse_iso
from app.domain.lifecycle import Status
from app.domain.model import RecipientState, Request, RequestSpec
from app.errors import NotFoundError, UserError
from app.store.records import Event

FORMAT = 1


def request_json(request: Request, events: list[Event], files: dict[str, Any]) -> bytes:
    recipients = []
    for r, state in zip(request.spec.recipients, request.recipients, strict=True):
        entry = r.to_json()
        entry.update(
            {
                "providerRecipientId": state.provider_recipient_id,
                "viewedAt": iso(state.viewed_at),
                "signedAt": iso(state.signed_at),
                "declinedAt": iso(state.declined_at),
                "declineReason": state.decline_reason,
            }
        )
        recipients.append(entry)
    data = {
        "sealboxArchive": FORMAT,
        "archivedAt": iso(now()),
        "id": request.id,
        "name": request.name,
        "provider": request.provider,
        "providerId": request.provider_id,
        "renderId": request.render_id,
        "status": request.status.value,
        "errorMessage": request.error_message,
        "createdAt": iso(request.created_at),
        "sentAt": iso(request.sent_at),
        "completedAt": iso(request.completed_at),
        "document": {
            "name": request.document_name,
            "sha256": request.document_sha256,
            "pages": request.page_count,
        },
        "spec": request.spec.to_json(),
        "recipients": recipients,
        "history": [
            {
                "at": iso(e.at),
                "kind": e.kind,
                "status": e.status,
                "recipientIndex": e.recipient_index,
                "detail": e.detail,
                "payload": e.payload,
                **({"desk": e.desk, "user": e.user, "person": e.person} if e.desk else {}),
            }
            for e in events
        ],
        "files": files,
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "request.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NotFoundError(
            f"{folder} has no request.json: it is not a Sealbox archive folder."
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is damaged ({exc}): restore it from a backup.") from exc
    if not isinstance(data, dict) or "id" not in data or not isinstance(data.get("files"), dict):
        raise UserError(f"{path} is not a Sealbox request.json: restore it from a backup.")
    return data


def request_from_manifest(data: dict[str, Any]) -> tuple[Request, list[Event]]:
    spec = RequestSpec.from_json(data["spec"])
    states = [
        RecipientState(
            provider_recipient_id=r.get("providerRecipientId"),
            viewed_at=parse_iso(r.get("viewedAt")),
            signed_at=parse_iso(r.get("signedAt")),
            declined_at=parse_iso(r.get("declinedAt")),
            decline_reason=r.get("declineReason"),
        )
        for r in data.get("recipients", [])
    ]
    request = Request(
        id=data["id"],
        provider=data.get("provider", "unknown"),
        spec=spec,
        status=Status(data.get("status", "completed")),
        provider_id=data.get("providerId"),
        created_at=parse_iso(data.get("createdAt")) or now(),
        sent_at=parse_iso(data.get("sentAt")),
        completed_at=parse_iso(data.get("completedAt")),
        error_message=data.get("errorMessage"),
        document_name=(data.get("document") or {}).get("name") or "document.pdf",
        document_sha256=(data.get("document") or {}).get("sha256"),
        page_count=(data.get("document") or {}).get("pages") or 0,
        render_id=data.get("renderId"),
        recipients=states,
    )
    events = [
        Event(
            at=parse_iso(e.get("at")) or now(),
            kind=e.get("kind", "event"),
            status=e.get("status"),
            recipient_index=e.get("recipientIndex"),
            detail=e.get("detail"),
            payload=e.get("payload"),
            desk=e.get("desk"),
            user=e.get("user"),
            person=e.get("person"),
        )
        for e in data.get("history", [])
    ]
    return request, events


def iter_folders(root: Path) -> Iterator[Path]:
    """Every request folder under ``root`` (``YYYY/MM/<folder>/request.json``)."""
    if not root.is_dir():
        return
    for manifest in sorted(root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/request.json")):
        yield manifest.parent
