"""Craftkit's JSON and Sealbox's request: the create body out, signature requests back in.

Reading is strict: anything malformed raises :class:`~app.providers.errors.BadResponseError`
(through :class:`app.providers.wire.Answer`). See the package's docstring for the assumptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.geometry import to_percent
from app.domain.lifecycle import Status
from app.domain.model import FieldType, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.pdf.document import PdfInfo
from app.providers.craftkit.info import NAME
from app.providers.wire import Answer, match_recipients

#: Craftkit numbers pages from 1.
PAGE_BASE = 1
PERCENT_DECIMALS = 4

ANSWER = Answer(NAME)

#: Craftkit's lifecycle vocabulary -> Sealbox's. The one table.
STATUS_MAP: dict[str, Status] = {
    "sent": Status.SENT,
    "viewed": Status.VIEWED,
    # Named in the document's summary only; a recipient's signature never moves the request.
    "signed": Status.VIEWED,
    "completed": Status.COMPLETED,
    "declined": Status.DECLINED,
    "expired": Status.EXPIRED,
    "cancelled": Status.CANCELLED,
    "failed": Status.FAILED,
}

#: Field types as ``fields[].type`` spells them.
FIELD_WIRE_TYPES: dict[FieldType, str] = {
    FieldType.SIGNATURE: "signature",
    FieldType.INITIALS: "initial",
    FieldType.TEXT: "text",
    FieldType.DATE: "date",
    FieldType.CHECKBOX: "checkbox",
    FieldType.DROPDOWN: "dropdown",
    FieldType.RADIO_BUTTONS: "radio_buttons",
    FieldType.TEXT_AREA: "text_area",
}

#: Field types as ``anchorTags[].type`` spells them (note ``initials``, plural).
ANCHOR_WIRE_TYPES: dict[FieldType, str] = {
    FieldType.SIGNATURE: "signature",
    FieldType.INITIALS: "initials",
    FieldType.TEXT: "text",
    FieldType.DATE: "date",
    FieldType.CHECKBOX: "checkbox",
}

UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)


# --- the create body ----------------------------------------------------------------------------


def _percent(value: float) -> float:
    return min(100.0, max(0.0, round(value, PERCENT_DECIMALS)))


def _size(value: float) -> float:
    return min(100.0, max(10.0**-PERCENT_DECIMALS, round(value, PERCENT_DECIMALS)))


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def wire_fields(spec: RequestSpec, pdf: PdfInfo) -> tuple[list[dict[str, Any]], list[Issue]]:
    """``fields[]`` in percentages of the render's pages, and the fields that cannot be sent."""
    fields: list[dict[str, Any]] = []
    problems: list[Issue] = []
    for i, f in enumerate(spec.fields):
        if not 1 <= f.page <= len(pdf.pages):
            problems.append(
                Issue(
                    ("fields", i, "page"),
                    f"the render has {len(pdf.pages)} page(s) (it is {f.page})",
                )
            )
            continue
        percent = to_percent(f.rect, pdf.pages[f.page - 1], PAGE_BASE)
        fields.append(
            {
                "recipientIndex": f.recipient_index,
                "type": FIELD_WIRE_TYPES[f.type],
                "page": percent.page,
                "x": _num(_percent(percent.x)),
                "y": _num(_percent(percent.y)),
                "width": _num(_size(percent.width)),
                "height": _num(_size(percent.height)),
                "required": f.required,
            }
        )
    return fields, problems


def wire_anchors(spec: RequestSpec) -> tuple[list[dict[str, Any]], list[Issue]]:
    """``anchorTags[]``, and the anchors that cannot be sent."""
    anchors: list[dict[str, Any]] = []
    problems: list[Issue] = []
    for i, a in enumerate(spec.anchor_tags):
        wire_type = ANCHOR_WIRE_TYPES.get(a.type)
        if wire_type is None:
            problems.append(
                Issue(
                    ("anchorTags", i, "type"), f"{NAME} anchors cannot place {a.type.value} fields"
                )
            )
            continue
        tag: dict[str, Any] = {
            "anchorString": a.anchor_string,
            "type": wire_type,
            "recipientIndex": a.recipient_index,
            "required": a.required,
            "ignoreIfNotPresent": a.ignore_if_not_present,
        }
        if a.width is not None:
            tag["width"] = _num(a.width)
        if a.height is not None:
            tag["height"] = _num(a.height)
        anchors.append(tag)
    return anchors, problems


def wire_recipients(spec: RequestSpec) -> list[dict[str, Any]]:
    recipients: list[dict[str, Any]] = []
    for r in spec.recipients:
        wire: dict[str, Any] = {"firstName": r.first_name, "email": r.email}
        if r.last_name:
            wire["lastName"] = r.last_name
        wire["designation"] = r.designation.value
        wire["order"] = r.order
        recipients.append(wire)
    return recipients


# --- reading Craftkit's answers -----------------------------------------------------------------


@dataclass(frozen=True)
class _WireRecipient:
    id: str | None
    email: str | None
    signed_at: datetime | None
    declined_at: datetime | None


def _recipients(obj: dict[str, Any]) -> list[_WireRecipient]:
    what = "a recipient"
    return [
        _WireRecipient(
            id=ANSWER.optional(r, "id", what),
            email=ANSWER.optional(r, "email", what),
            signed_at=ANSWER.time(r, "signedAt", what),
            declined_at=ANSWER.time(r, "declinedAt", what),
        )
        for r in ANSWER.objects(obj, "recipients", "a signature request")
    ]


def recipient_emails(item: dict[str, Any]) -> list[str]:
    """The e-mails of a listed signature request's recipients, in their order, case folded."""
    return [r.email.casefold() for r in _recipients(item) if r.email]


def created_at(item: dict[str, Any]) -> datetime | None:
    return ANSWER.time(item, "createdAt", "a signature request")


def parse_signature(
    data: Any, spec: RequestSpec | None = None, what: str = "a signature request"
) -> Report:
    """A Craftkit signature request (the create/get/cancel/list item shape) as a ``Report``.

    Recipients are numbered by ``spec`` (:func:`~app.providers.wire.match_recipients`); without
    a spec, by their position in the answer. Anything malformed raises ``BadResponseError``.
    """
    obj = ANSWER.object(data, what)
    provider_id = ANSWER.text(obj, "id", what)
    status = ANSWER.one_of(STATUS_MAP, ANSWER.text(obj, "status", what), "signature status")
    error_message = ANSWER.optional(obj, "errorMessage", what)
    completed_at = ANSWER.time(obj, "completedAt", what)
    ANSWER.time(obj, "createdAt", what)
    for key in ("renderId", "name", "signedDownloadUrl", "certificateUrl"):
        ANSWER.optional(obj, key, what)
    hours = obj.get("expirationHours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int)):
        raise ANSWER.bad(f"{what} whose expirationHours is not a whole number")
    wire = _recipients(obj)
    indexes = (
        match_recipients([r.email for r in wire], spec)
        if spec is not None
        else list(range(len(wire)))
    )
    reports = sorted(
        (
            RecipientReport(
                index=index,
                provider_recipient_id=r.id,
                signed_at=r.signed_at,
                declined_at=r.declined_at,
                decline_reason=error_message if r.declined_at is not None else None,
            )
            for r, index in zip(wire, indexes, strict=True)
            if index is not None
        ),
        key=lambda r: r.index,
    )
    return Report(
        status=status,
        provider_id=provider_id,
        recipients=tuple(reports),
        error_message=error_message,
        completed_at=completed_at,
        payload=obj,
    )


@dataclass(frozen=True)
class ListPage:
    """One page of ``GET /v1/signatures``."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


def parse_list_page(data: Any) -> ListPage:
    """The list answer, each item checked to be an object (items are parsed by the caller)."""
    what = "the list"
    obj = ANSWER.object(data, what)
    if not isinstance(obj.get("signatures"), list):
        raise ANSWER.bad(f"{what} whose signatures is not a list")
    items = ANSWER.objects(obj, "signatures", what)
    cursor = ANSWER.optional(obj, "nextCursor", what)
    has_more = ANSWER.flag(obj, "hasMore", what)
    return ListPage(items, cursor, bool(has_more))
