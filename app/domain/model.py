"""The request spec and the request as Sealbox tracks it: pure Python, no Qt, no I/O.

The spec is the JSON document of DESIGN.md ("The request spec"): what ``sealbox send --spec``
reads, what a template stores and what the archive keeps as ``request.json``. Field rectangles are
canonical: PDF points, origin at the top-left of the page as the user sees it, pages from 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.domain.geometry import Rect
from app.domain.lifecycle import Status
from app.errors import ValidationError

SPEC_VERSION = 1
MAX_RECIPIENTS = 20
MAX_FIELDS = 200
MAX_ANCHORS = 200
MAX_NAME = 255
MAX_FIRST_NAME = 100
MAX_LAST_NAME = 100
MAX_EMAIL = 255
MAX_ANCHOR_STRING = 200
MAX_ANCHOR_SIZE = 1000.0
MAX_MESSAGE = 5000
MIN_EXPIRATION_HOURS = 1
MAX_EXPIRATION_HOURS = 8760
DEFAULT_EXPIRATION_HOURS = 168
EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


class Designation(StrEnum):
    SIGNER = "Signer"
    APPROVER = "Approver"
    CC = "CC"


class FieldType(StrEnum):
    SIGNATURE = "signature"
    INITIALS = "initials"
    TEXT = "text"
    DATE = "date"
    CHECKBOX = "checkbox"
    DROPDOWN = "dropdown"
    RADIO_BUTTONS = "radio_buttons"
    TEXT_AREA = "text_area"

    @property
    def has_options(self) -> bool:
        return self in (FieldType.DROPDOWN, FieldType.RADIO_BUTTONS)


#: Types an anchor tag may create (the Craftkit anchor vocabulary).
ANCHOR_TYPES = frozenset(
    {FieldType.SIGNATURE, FieldType.INITIALS, FieldType.TEXT, FieldType.DATE, FieldType.CHECKBOX}
)

#: Accepted spellings of a field type when reading a spec (Craftkit's fields say ``initial``).
TYPE_ALIASES = {"initial": FieldType.INITIALS}

#: Size, in points, of a field created from an anchor that gives no width or height.
DEFAULT_ANCHOR_SIZE: dict[FieldType, tuple[float, float]] = {
    FieldType.SIGNATURE: (180.0, 48.0),
    FieldType.INITIALS: (72.0, 36.0),
    FieldType.TEXT: (180.0, 24.0),
    FieldType.DATE: (110.0, 24.0),
    FieldType.CHECKBOX: (18.0, 18.0),
}


@dataclass(frozen=True)
class Recipient:
    first_name: str
    last_name: str
    email: str
    designation: Designation = Designation.SIGNER
    order: int = 1

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def acts(self) -> bool:
        """Whether this recipient has something to do (sign or approve), unlike a CC."""
        return self.designation != Designation.CC

    def to_json(self) -> dict[str, Any]:
        return {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "designation": self.designation.value,
            "order": self.order,
        }


@dataclass(frozen=True)
class Field:
    recipient_index: int
    type: FieldType
    page: int
    x: float
    y: float
    width: float
    height: float
    required: bool = True
    label: str | None = None
    options: tuple[str, ...] = ()
    #: Set when the field came from resolving an anchor tag on this machine.
    anchor: str | None = None
    #: Where the anchor's text is on the page (canonical), for a field made from an anchor.
    anchor_rect: Rect | None = None
    #: Whether the anchor's text is taken off the page when the built-in provider stamps.
    remove_anchor_text: bool = True

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.width, self.height)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recipientIndex": self.recipient_index,
            "type": self.type.value,
            "page": self.page,
            "x": _num(self.x),
            "y": _num(self.y),
            "width": _num(self.width),
            "height": _num(self.height),
            "required": self.required,
        }
        if self.label:
            out["label"] = self.label
        if self.options:
            out["options"] = list(self.options)
        if self.anchor is not None:
            out["anchor"] = self.anchor
        if self.anchor_rect is not None:
            r = self.anchor_rect
            out["anchorRect"] = [_num(r.x), _num(r.y), _num(r.width), _num(r.height)]
        if not self.remove_anchor_text:
            out["removeAnchorText"] = False
        return out


@dataclass(frozen=True)
class AnchorTag:
    anchor_string: str
    type: FieldType
    recipient_index: int
    width: float | None = None
    height: float | None = None
    required: bool = True
    ignore_if_not_present: bool = False
    #: The built-in provider takes the text off the page under the field it makes (JSON
    #: ``removeAnchorText``, true unless it says false).
    remove_text: bool = True

    @property
    def size(self) -> tuple[float, float]:
        default_w, default_h = DEFAULT_ANCHOR_SIZE[self.type]
        return (self.width or default_w, self.height or default_h)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "anchorString": self.anchor_string,
            "type": self.type.value,
            "recipientIndex": self.recipient_index,
            "required": self.required,
            "ignoreIfNotPresent": self.ignore_if_not_present,
        }
        if self.width is not None:
            out["width"] = _num(self.width)
        if self.height is not None:
            out["height"] = _num(self.height)
        if not self.remove_text:
            out["removeAnchorText"] = False
        return out


@dataclass(frozen=True)
class RequestSpec:
    name: str
    recipients: tuple[Recipient, ...]
    fields: tuple[Field, ...] = ()
    anchor_tags: tuple[AnchorTag, ...] = ()
    message: str | None = None
    expiration_hours: int = DEFAULT_EXPIRATION_HOURS
    version: int = SPEC_VERSION
    #: Look for anchor texts in scanned pages too, by OCR (JSON ``ocrAnchors``).
    ocr_anchors: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "name": self.name}
        if self.message:
            out["message"] = self.message
        out["expirationHours"] = self.expiration_hours
        out["recipients"] = [r.to_json() for r in self.recipients]
        out["fields"] = [f.to_json() for f in self.fields]
        out["anchorTags"] = [a.to_json() for a in self.anchor_tags]
        if self.ocr_anchors:
            out["ocrAnchors"] = True
        return out

    @classmethod
    def from_json(cls, data: Any) -> RequestSpec:
        """Read a spec, raising one ``ValidationError`` that lists every problem found."""
        from app.domain.spec_json import parse_spec

        spec, problems = parse_spec(data)
        if spec is None or problems:
            raise ValidationError(problems, "The request spec")
        return spec

    @classmethod
    def from_stored(cls, data: Any) -> RequestSpec:
        """Read a spec Sealbox itself stored after checking it: read, not checked again."""
        from app.domain.spec_json import parse_spec

        spec, problems = parse_spec(data, check=False)
        if spec is None or problems:
            raise ValidationError(problems, "A stored request spec")
        return spec

    def signers_in_order(self) -> list[int]:
        """Indexes of the recipients who act (sign or approve), in signing order."""
        acting = [i for i, r in enumerate(self.recipients) if r.acts]
        return sorted(acting, key=lambda i: (self.recipients[i].order, i))

    def fields_for(self, recipient_index: int) -> list[tuple[int, Field]]:
        return [(i, f) for i, f in enumerate(self.fields) if f.recipient_index == recipient_index]

    def with_fields(self, fields: Sequence[Field]) -> RequestSpec:
        return replace(self, fields=tuple(fields))


def _num(value: float) -> float | int:
    """Write whole numbers without a trailing ``.0`` so specs stay readable."""
    return int(value) if float(value).is_integer() else round(value, 4)


# --- the tracked request -----------------------------------------------------------------------


@dataclass
class RecipientState:
    """What happened to one recipient, as the provider (or this computer) reported it."""

    provider_recipient_id: str | None = None
    viewed_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str | None = None
    signing_url: str | None = None

    @property
    def done(self) -> bool:
        return self.signed_at is not None


@dataclass
class Request:
    """A request as Sealbox tracks it: the spec plus what the provider has said about it."""

    id: str
    provider: str
    spec: RequestSpec
    status: Status = Status.QUEUED
    provider_id: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sent_at: datetime | None = None
    completed_at: datetime | None = None
    updated_at: datetime | None = None
    error_message: str | None = None
    document_name: str = "document.pdf"
    document_sha256: str | None = None
    page_count: int = 0
    render_id: str | None = None
    recipients: list[RecipientState] = field(default_factory=list)
    #: Raised by every change to the stored request (compare-and-set on it).
    version: int = 0
    #: Why the signed files could not be archived (until an archive succeeds).
    archive_error: str | None = None

    def __post_init__(self) -> None:
        while len(self.recipients) < len(self.spec.recipients):
            self.recipients.append(RecipientState())

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def expires_at(self) -> datetime | None:
        start = self.sent_at or self.created_at
        return start + timedelta(hours=self.spec.expiration_hours)

    def is_overdue(self, now: datetime) -> bool:
        expires = self.expires_at
        return self.status.in_flight and expires is not None and now >= expires

    def progress(self) -> tuple[int, int]:
        """(signed or approved, acting recipients): "2 of 3 signed"."""
        acting = self.spec.signers_in_order()
        done = sum(1 for i in acting if self.recipients[i].done)
        return done, len(acting)

    def next_recipient(self) -> int | None:
        """The index of the recipient whose turn it is, in signing order, or None."""
        for i in self.spec.signers_in_order():
            state = self.recipients[i]
            if state.declined_at is not None:
                return None
            if not state.done:
                return i
        return None
