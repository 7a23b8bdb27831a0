"""The request spec and the request as Sealbox tracks it: pure Python, no Qt, no I/O.

The spec is the JSON document of DESIGN.md ("The request spec"): what ``sealbox send --spec``
reads, what a template stores and what the archive keeps as ``request.json``. Field rectangles are
canonical: PDF points, origin at the top-left of the page as the user sees it, pages from 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from app.domain.geometry import PageGeometry, Rect
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
_TYPE_ALIASES = {"initial": FieldType.INITIALS}

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
        spec, problems = parse_spec(data)
        if spec is None or problems:
            raise ValidationError(problems, "The request spec")
        return spec

    @classmethod
    def from_stored(cls, data: Any) -> RequestSpec:
        """Read a spec Sealbox itself stored after checking it: read, not checked again."""
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


# --- reading a spec ----------------------------------------------------------------------------


class _Reader:
    """Collects problems while reading loosely typed JSON into the dataclasses above."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def string(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool,
               default: str = "") -> str:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}" if path else key, "is required")
            return default
        if not isinstance(value, str):
            self.fail(f"{path}.{key}" if path else key, "must be a string")
            return default
        return value

    def number(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool
               ) -> float | None:
        value = obj.get(key)
        where = f"{path}.{key}"
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(where, "must be a number")
            return None
        if not math.isfinite(value):
            self.fail(where, "must be a finite number")
            return None
        return float(value)

    def integer(self, obj: Mapping[str, Any], key: str, path: str, *, required: bool
                ) -> int | None:
        value = obj.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or (
            isinstance(value, float) and not value.is_integer()
        ):
            self.fail(where, "must be a whole number")
            return None
        return int(value)

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(f"{path}.{key}" if path else key, "must be true or false")
            return default
        return value

    def field_type(self, obj: Mapping[str, Any], path: str, allowed: frozenset[FieldType] | None
                   ) -> FieldType | None:
        raw = obj.get("type")
        if raw is None:
            self.fail(f"{path}.type", "is required")
            return None
        if not isinstance(raw, str):
            self.fail(f"{path}.type", "must be a string")
            return None
        try:
            kind = _TYPE_ALIASES.get(raw) or FieldType(raw)
        except ValueError:
            kinds = ", ".join(t.value for t in (allowed or FieldType))
            self.fail(f"{path}.type", f"unknown field type {raw!r} (use one of: {kinds})")
            return None
        if allowed is not None and kind not in allowed:
            kinds = ", ".join(sorted(t.value for t in allowed))
            self.fail(f"{path}.type", f"{raw!r} cannot be placed by an anchor (use one of: "
                                      f"{kinds})")
            return None
        return kind

    def objects(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any] | None]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        out: list[Mapping[str, Any] | None] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append(item)
            else:
                self.fail(f"{key}[{i}]", "must be an object")
                out.append(None)
        return out


def parse_spec(data: Any, *, check: bool = True) -> tuple[RequestSpec | None, list[str]]:
    """Read ``data`` (parsed JSON) into a spec and check every limit; return it with all problems.

    The spec is None only when the document is not even an object. ``check=False`` reports only
    what prevents reading it at all.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        return None, ["the request spec must be a JSON object"]
    version = reader.integer(data, "version", "", required=False)
    if version is not None and version != SPEC_VERSION:
        reader.fail("version", f"unsupported spec version {version} (this Sealbox reads "
                               f"version {SPEC_VERSION})")
    name = reader.string(data, "name", "", required=True)
    message = reader.string(data, "message", "", required=False) or None
    hours = reader.integer(data, "expirationHours", "", required=False)

    recipients: list[Recipient] = []
    orders_given = False
    raw_recipients = data.get("recipients")
    if raw_recipients is None:
        reader.fail("recipients", "is required (1 to 20 recipients)")
    for i, obj in enumerate(reader.objects(data, "recipients")):
        path = f"recipients[{i}]"
        if obj is None:
            recipients.append(Recipient("", "", ""))
            continue
        first = reader.string(obj, "firstName", path, required=True)
        last = reader.string(obj, "lastName", path, required=False)
        email = reader.string(obj, "email", path, required=True)
        raw_designation = obj.get("designation", Designation.SIGNER.value)
        try:
            designation = Designation(raw_designation)
        except ValueError:
            reader.fail(f"{path}.designation",
                        f"unknown designation {raw_designation!r} (use Signer, Approver or CC)")
            designation = Designation.SIGNER
        order = reader.integer(obj, "order", path, required=False)
        orders_given = orders_given or order is not None
        recipients.append(Recipient(first, last, email, designation,
                                    order if order is not None else i + 1))

    fields: list[Field] = []
    bad_fields: set[int] = set()
    placeholder = Field(0, FieldType.TEXT, 1, 0, 0, 1, 1)
    for i, obj in enumerate(reader.objects(data, "fields")):
        path = f"fields[{i}]"
        if obj is None:
            bad_fields.add(i)
            fields.append(placeholder)
            continue
        kind = reader.field_type(obj, path, None)
        index = reader.integer(obj, "recipientIndex", path, required=True)
        page = reader.integer(obj, "page", path, required=True)
        x = reader.number(obj, "x", path, required=True)
        y = reader.number(obj, "y", path, required=True)
        width = reader.number(obj, "width", path, required=True)
        height = reader.number(obj, "height", path, required=True)
        required = reader.boolean(obj, "required", path, True)
        label = reader.string(obj, "label", path, required=False) or None
        raw_options = obj.get("options")
        options: tuple[str, ...] = ()
        if raw_options is not None:
            if not isinstance(raw_options, list) or not all(
                isinstance(o, str) for o in raw_options
            ):
                reader.fail(f"{path}.options", "must be a list of strings")
            else:
                options = tuple(raw_options)
        anchor = obj.get("anchor") if isinstance(obj.get("anchor"), str) else None
        anchor_rect = _read_rect(obj.get("anchorRect"))
        remove_anchor_text = reader.boolean(obj, "removeAnchorText", path, True)
        if None in (kind, index, page, x, y, width, height):
            bad_fields.add(i)
            fields.append(placeholder)
            continue
        assert kind is not None and index is not None and page is not None
        assert x is not None and y is not None and width is not None and height is not None
        fields.append(Field(index, kind, page, x, y, width, height, required, label, options,
                            anchor, anchor_rect, remove_anchor_text))

    anchors: list[AnchorTag] = []
    bad_anchors: set[int] = set()
    for i, obj in enumerate(reader.objects(data, "anchorTags")):
        path = f"anchorTags[{i}]"
        if obj is None:
            bad_anchors.add(i)
            anchors.append(AnchorTag("?", FieldType.TEXT, 0))
            continue
        text = reader.string(obj, "anchorString", path, required=True)
        kind = reader.field_type(obj, path, ANCHOR_TYPES)
        index = reader.integer(obj, "recipientIndex", path, required=True)
        width = reader.number(obj, "width", path, required=False)
        height = reader.number(obj, "height", path, required=False)
        required = reader.boolean(obj, "required", path, True)
        ignore = reader.boolean(obj, "ignoreIfNotPresent", path, False)
        remove = reader.boolean(obj, "removeAnchorText", path, True)
        if kind is None or index is None:
            bad_anchors.add(i)
            anchors.append(AnchorTag(text, FieldType.TEXT, 0))
            continue
        anchors.append(AnchorTag(text, kind, index, width, height, required, ignore, remove))

    spec = RequestSpec(
        name=name,
        recipients=tuple(recipients),
        fields=tuple(fields),
        anchor_tags=tuple(anchors),
        message=message,
        expiration_hours=hours if hours is not None else DEFAULT_EXPIRATION_HOURS,
        version=SPEC_VERSION,
        ocr_anchors=reader.boolean(data, "ocrAnchors", "", False),
    )
    # A field or anchor that could not be read was reported by the reader; the placeholder that
    # keeps the others' positions is not checked again.
    if not check:
        return spec, reader.problems
    # Whether fields are required depends on the provider: checked when the request is sent.
    problems = reader.problems + spec_problems(
        spec, check_orders=orders_given, expiration_given=hours is not None,
        skip_fields=frozenset(bad_fields), skip_anchors=frozenset(bad_anchors),
        fields_required=False)
    return spec, _unique(problems)


def _read_rect(value: Any) -> Rect | None:
    """``[x, y, width, height]`` as written by :meth:`Field.to_json`; None for anything else."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
               for v in value):
        return None
    return Rect(*(float(v) for v in value))


def field_count_problem(placed: int, from_anchors: Sequence[tuple[str, int]]) -> str | None:
    """The refusal when the fields the anchors make (``from_anchors``: each anchor's text and
    the fields it makes) and the ``placed`` ones are more than :data:`MAX_FIELDS`; None when
    they fit, or when no anchor makes any (the placed fields alone are checked by
    :func:`spec_problems`)."""
    made = sum(count for _, count in from_anchors)
    total = placed + made
    if made == 0 or total <= MAX_FIELDS:
        return None
    text, most = max(from_anchors, key=lambda item: item[1])
    placed_text = f" and {placed} placed, {total} in all" if placed else ""
    return (f"anchorTags: they make {made} field{'s' if made != 1 else ''}{placed_text}, "
            f"more than the limit of {MAX_FIELDS} ({text!r} alone makes {most}); use an anchor "
            "text that appears only where a field belongs, or remove anchors")


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def spec_problems(
    spec: RequestSpec,
    pages: Sequence[PageGeometry] | None = None,
    *,
    check_orders: bool = True,
    expiration_given: bool = True,
    skip_fields: frozenset[int] = frozenset(),
    skip_anchors: frozenset[int] = frozenset(),
    fields_required: bool = True,
) -> list[str]:
    """Every rule of DESIGN.md's limits that ``spec`` breaks, each naming the offending item.

    With ``pages`` (the document's page geometry) fields are also checked against the pages.
    ``fields_required=False`` is for providers whose signers place their own signatures (or
    sign by identity), where the "at least one field" rule cannot apply.
    """
    out: list[str] = []
    if not spec.name.strip():
        out.append("name: must not be empty")
    elif len(spec.name) > MAX_NAME:
        out.append(f"name: must be at most {MAX_NAME} characters (it has {len(spec.name)})")
    if spec.message is not None and len(spec.message) > MAX_MESSAGE:
        out.append(f"message: must be at most {MAX_MESSAGE} characters")
    if expiration_given and not (
        MIN_EXPIRATION_HOURS <= spec.expiration_hours <= MAX_EXPIRATION_HOURS
    ):
        out.append(f"expirationHours: must be between {MIN_EXPIRATION_HOURS} and "
                   f"{MAX_EXPIRATION_HOURS} (it is {spec.expiration_hours})")

    count = len(spec.recipients)
    if count == 0:
        out.append("recipients: at least one recipient is required")
    elif count > MAX_RECIPIENTS:
        out.append(f"recipients: at most {MAX_RECIPIENTS} recipients are allowed (there are "
                   f"{count})")
    seen_orders: dict[int, int] = {}
    for i, r in enumerate(spec.recipients):
        path = f"recipients[{i}]"
        if not r.first_name.strip():
            out.append(f"{path}.firstName: must not be empty")
        elif len(r.first_name) > MAX_FIRST_NAME:
            out.append(f"{path}.firstName: must be at most {MAX_FIRST_NAME} characters")
        if len(r.last_name) > MAX_LAST_NAME:
            out.append(f"{path}.lastName: must be at most {MAX_LAST_NAME} characters")
        if not r.email:
            out.append(f"{path}.email: must not be empty")
        elif len(r.email) > MAX_EMAIL:
            out.append(f"{path}.email: must be at most {MAX_EMAIL} characters")
        elif not EMAIL_RE.match(r.email):
            out.append(f"{path}.email: not an email address ({r.email!r})")
        if check_orders:
            if not 1 <= r.order <= max(count, 1):
                out.append(f"{path}.order: must be between 1 and {count} (it is {r.order})")
            elif r.order in seen_orders:
                out.append(f"{path}.order: {r.order} is already used by "
                           f"recipients[{seen_orders[r.order]}]")
            else:
                seen_orders[r.order] = i

    if len(spec.fields) > MAX_FIELDS:
        out.append(f"fields: at most {MAX_FIELDS} fields are allowed (there are "
                   f"{len(spec.fields)})")
    if len(spec.anchor_tags) > MAX_ANCHORS:
        out.append(f"anchorTags: at most {MAX_ANCHORS} anchor tags are allowed (there are "
                   f"{len(spec.anchor_tags)})")
    if fields_required and any(r.designation == Designation.SIGNER
                               for r in spec.recipients) and not (spec.fields or spec.anchor_tags):
        out.append("fields: at least one field or anchor tag is required when a recipient is "
                   "a Signer")

    for i, f in enumerate(spec.fields):
        if i in skip_fields:
            continue
        path = f"fields[{i}]"
        out.extend(_recipient_problems(spec, f.recipient_index, path))
        if f.page < 1:
            out.append(f"{path}.page: pages are numbered from 1 (it is {f.page})")
        elif pages is not None and f.page > len(pages):
            out.append(f"{path}.page: the document has {len(pages)} page"
                       f"{'s' if len(pages) != 1 else ''} (it is {f.page})")
        if f.width <= 0 or f.height <= 0:
            out.append(f"{path}: width and height must be greater than 0")
        if f.x < 0 or f.y < 0:
            out.append(f"{path}: x and y must not be negative")
        if pages is not None and 1 <= f.page <= len(pages):
            geom = pages[f.page - 1]
            tol = 0.01
            if f.x + f.width > geom.width + tol or f.y + f.height > geom.height + tol:
                out.append(f"{path}: lies outside page {f.page} ({geom.width:g} × "
                           f"{geom.height:g} pt)")
        if f.type.has_options and not f.options:
            out.append(f"{path}.options: a {f.type.value} field needs at least one option")
        if f.options and not f.type.has_options:
            out.append(f"{path}.options: only dropdown and radio_buttons fields take options")
        if f.label is not None and len(f.label) > MAX_NAME:
            out.append(f"{path}.label: must be at most {MAX_NAME} characters")

    for i, a in enumerate(spec.anchor_tags):
        path = f"anchorTags[{i}]"
        if i in skip_anchors:
            continue
        if not a.anchor_string:
            out.append(f"{path}.anchorString: must not be empty")
        elif len(a.anchor_string) > MAX_ANCHOR_STRING:
            out.append(f"{path}.anchorString: must be at most {MAX_ANCHOR_STRING} characters")
        out.extend(_recipient_problems(spec, a.recipient_index, path))
        for key, value in (("width", a.width), ("height", a.height)):
            if value is not None and not 0 < value <= MAX_ANCHOR_SIZE:
                out.append(f"{path}.{key}: must be greater than 0 and at most "
                           f"{MAX_ANCHOR_SIZE:g} points")
    return out


def _recipient_problems(spec: RequestSpec, index: int, path: str) -> list[str]:
    if not 0 <= index < len(spec.recipients):
        return [f"{path}.recipientIndex: there is no recipient {index} (recipients are numbered "
                f"from 0 to {len(spec.recipients) - 1})"]
    if spec.recipients[index].designation == Designation.CC:
        return [f"{path}.recipientIndex: recipient {index} is a CC and only receives the result; "
                "assign the field to a Signer or Approver"]
    return []


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
