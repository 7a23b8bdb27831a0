"""Requests as the SQLite tables hold them: one request's rows, and requests read back from them.

Shared by the repositories that write requests (:mod:`app.store.requests`) and those that list
them (:mod:`app.store.search`). Reads take the store's reader
(:class:`~app.store.connection.ReaderLike`); writes the handle of a write transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from app.domain.clock import iso, parse_iso
from app.domain.geometry import Rect
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, RecipientState, Request, RequestSpec
from app.store.actor import current_actor
from app.store.connection import ReaderLike

#: Requests read per query (each id is one SQL parameter, within SQLite's limit on them).
CHUNK = 500


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?``: one bound parameter for each of ``values``."""
    return ", ".join("?" for _ in values)


def request_row(request: Request) -> dict[str, Any]:
    """The ``requests`` row of ``request``, created by this process's actor."""
    creator = current_actor()
    return {
        "id": request.id,
        "name": request.spec.name,
        "provider": request.provider,
        "provider_id": request.provider_id,
        "render_id": request.render_id,
        "status": request.status.value,
        "message": request.spec.message,
        "expiration_hours": request.spec.expiration_hours,
        "spec_json": json.dumps(request.spec.to_json(), ensure_ascii=False),
        "document_name": request.document_name,
        "document_sha256": request.document_sha256,
        "page_count": request.page_count,
        "error_message": request.error_message,
        "created_at": iso(request.created_at),
        "sent_at": iso(request.sent_at),
        "completed_at": iso(request.completed_at),
        "updated_at": iso(request.updated_at or request.created_at),
        "created_desk": creator.desk,
        "created_user": creator.user,
    }


def recipient_rows(request: Request, *, with_state: bool) -> Iterable[dict[str, Any]]:
    """The ``recipients`` rows of ``request``; ``with_state`` adds what each has done (a
    request read back from the archive)."""
    for i, (r, state) in enumerate(
        zip(request.spec.recipients, request.recipients, strict=with_state)
    ):
        row: dict[str, Any] = {
            "request_id": request.id,
            "idx": i,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "email": r.email,
            "designation": r.designation.value,
            "signing_order": r.order,
        }
        if with_state:
            row.update(
                {
                    "provider_recipient_id": state.provider_recipient_id,
                    "viewed_at": iso(state.viewed_at),
                    "signed_at": iso(state.signed_at),
                    "declined_at": iso(state.declined_at),
                    "decline_reason": state.decline_reason,
                }
            )
        yield row


def anchor_rows(request: Request) -> Iterable[dict[str, Any]]:
    """The ``anchors`` rows of ``request``."""
    for i, a in enumerate(request.spec.anchor_tags):
        yield {
            "request_id": request.id,
            "idx": i,
            "anchor_string": a.anchor_string,
            "type": a.type.value,
            "recipient_index": a.recipient_index,
            "width": a.width,
            "height": a.height,
            "required": a.required,
            "ignore_if_not_present": a.ignore_if_not_present,
        }


def write_fields(db: Any, request_id: str, fields: Sequence[Field]) -> None:
    """Replace the ``fields`` rows of ``request_id`` with ``fields``."""
    db.execute("DELETE FROM fields WHERE request_id = ?", [request_id])
    db.table("fields").insert_all(
        {
            "request_id": request_id,
            "idx": i,
            "recipient_index": f.recipient_index,
            "type": f.type.value,
            "page": f.page,
            "x": f.x,
            "y": f.y,
            "width": f.width,
            "height": f.height,
            "required": f.required,
            "label": f.label,
            "options_json": json.dumps(list(f.options)) if f.options else None,
            "anchor": f.anchor,
            "anchor_rect_json": json.dumps(
                [f.anchor_rect.x, f.anchor_rect.y, f.anchor_rect.width, f.anchor_rect.height]
            )
            if f.anchor_rect is not None
            else None,
            "keep_anchor_text": not f.remove_anchor_text,
        }
        for i, f in enumerate(fields)
    )


def field_from_row(row: dict[str, Any]) -> Field:
    """A field as the ``fields`` table holds it."""
    rect = json.loads(row["anchor_rect_json"]) if row.get("anchor_rect_json") else None
    return Field(
        recipient_index=row["recipient_index"],
        type=FieldType(row["type"]),
        page=row["page"],
        x=row["x"],
        y=row["y"],
        width=row["width"],
        height=row["height"],
        required=bool(row["required"]),
        label=row["label"],
        options=tuple(json.loads(row["options_json"])) if row["options_json"] else (),
        anchor=row["anchor"],
        anchor_rect=Rect(*rect) if rect else None,
        remove_anchor_text=not row.get("keep_anchor_text"),
    )


def _state(row: dict[str, Any]) -> RecipientState:
    return RecipientState(
        provider_recipient_id=row["provider_recipient_id"],
        viewed_at=parse_iso(row["viewed_at"]),
        signed_at=parse_iso(row["signed_at"]),
        declined_at=parse_iso(row["declined_at"]),
        decline_reason=row["decline_reason"],
        signing_url=row["signing_url"],
    )


def load_requests(reader: ReaderLike, rows: Sequence[dict[str, Any]]) -> list[Request]:
    """The requests of ``requests`` rows, in the same order, with their recipients and fields
    read in one query each for every :data:`CHUNK` of them."""
    out: list[Request] = []
    for first in range(0, len(rows), CHUNK):
        out += _load_chunk(reader, rows[first : first + CHUNK])
    return out


def _load_chunk(reader: ReaderLike, rows: Sequence[dict[str, Any]]) -> list[Request]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    fields: dict[str, list[Field]] = {rid: [] for rid in ids}
    for f in reader.query(
        f"SELECT * FROM fields WHERE request_id IN ({marks(ids)}) ORDER BY request_id, idx", ids
    ):
        fields[f["request_id"]].append(field_from_row(f))
    states: dict[str, list[RecipientState]] = {rid: [] for rid in ids}
    for r in reader.query(
        f"SELECT * FROM recipients WHERE request_id IN ({marks(ids)}) ORDER BY request_id, idx", ids
    ):
        states[r["request_id"]].append(_state(r))
    out: list[Request] = []
    for row in rows:
        spec = RequestSpec.from_stored(json.loads(row["spec_json"]))
        created = parse_iso(row["created_at"])
        assert created is not None
        out.append(
            Request(
                id=row["id"],
                provider=row["provider"],
                spec=spec.with_fields(fields[row["id"]]),
                status=Status(row["status"]),
                provider_id=row["provider_id"],
                created_at=created,
                sent_at=parse_iso(row["sent_at"]),
                completed_at=parse_iso(row["completed_at"]),
                updated_at=parse_iso(row["updated_at"]),
                error_message=row["error_message"],
                document_name=row["document_name"],
                document_sha256=row["document_sha256"],
                page_count=row["page_count"],
                render_id=row["render_id"],
                recipients=states[row["id"]],
                version=row["version"],
                archive_error=row["archive_error"],
            )
        )
    return out


def load_ids(reader: ReaderLike, ids: Sequence[str]) -> list[Request]:
    """The requests ``ids`` in that order (ids with no request are left out)."""
    out: list[Request] = []
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        rows = list(reader.query(f"SELECT * FROM requests WHERE id IN ({marks(chunk)})", chunk))
        place = {rid: i for i, rid in enumerate(chunk)}
        rows.sort(key=lambda row: place[row["id"]])
        out += load_requests(reader, rows)
    return out
