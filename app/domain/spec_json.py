"""Reading a request spec from JSON (DESIGN.md, "The request spec"), every problem found at once.

Loosely typed JSON is read into the dataclasses of :mod:`app.domain.model`; each value that
cannot be read is an :class:`~app.domain.problems.Issue` naming its place, and reading carries on
so that one pass reports everything. Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.geometry import Rect
from app.domain.model import (
    ANCHOR_TYPES,
    DEFAULT_EXPIRATION_HOURS,
    SPEC_VERSION,
    TYPE_ALIASES,
    AnchorTag,
    Designation,
    Field,
    FieldType,
    Recipient,
    RequestSpec,
)
from app.domain.problems import Issue, Path
from app.domain.validation import spec_problems, unique

JsonObject = Mapping[str, Any]


class _Reader:
    """Collects problems while reading loosely typed JSON into the dataclasses above."""

    def __init__(self) -> None:
        self.problems: list[Issue] = []

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(Issue(path, message))

    def string(
        self, obj: JsonObject, key: str, path: Path, *, required: bool, default: str = ""
    ) -> str:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail((*path, key), "is required")
            return default
        if not isinstance(value, str):
            self.fail((*path, key), "must be a string")
            return default
        return value

    def number(self, obj: JsonObject, key: str, path: Path, *, required: bool) -> float | None:
        value = obj.get(key)
        where = (*path, key)
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

    def integer(self, obj: JsonObject, key: str, path: Path, *, required: bool) -> int | None:
        value = obj.get(key)
        where = (*path, key)
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            self.fail(where, "must be a whole number")
            return None
        return int(value)

    def boolean(self, obj: JsonObject, key: str, path: Path, default: bool) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail((*path, key), "must be true or false")
            return default
        return value

    def field_type(
        self, obj: JsonObject, path: Path, allowed: frozenset[FieldType] | None
    ) -> FieldType | None:
        raw = obj.get("type")
        where = (*path, "type")
        if raw is None:
            self.fail(where, "is required")
            return None
        if not isinstance(raw, str):
            self.fail(where, "must be a string")
            return None
        try:
            kind = TYPE_ALIASES.get(raw) or FieldType(raw)
        except ValueError:
            kinds = ", ".join(t.value for t in (allowed or FieldType))
            self.fail(where, f"unknown field type {raw!r} (use one of: {kinds})")
            return None
        if allowed is not None and kind not in allowed:
            kinds = ", ".join(sorted(t.value for t in allowed))
            self.fail(where, f"{raw!r} cannot be placed by an anchor (use one of: {kinds})")
            return None
        return kind

    def objects(self, data: JsonObject, key: str) -> list[JsonObject | None]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail((key,), "must be a list")
            return []
        out: list[JsonObject | None] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append(item)
            else:
                self.fail((key, i), "must be an object")
                out.append(None)
        return out


@dataclass
class _Read:
    """What was read of the lists, with the positions of the entries that could not be."""

    recipients: list[Recipient] = field(default_factory=list)
    orders_given: bool = False
    fields: list[Field] = field(default_factory=list)
    bad_fields: set[int] = field(default_factory=set)
    anchors: list[AnchorTag] = field(default_factory=list)
    bad_anchors: set[int] = field(default_factory=set)


def parse_spec(data: Any, *, check: bool = True) -> tuple[RequestSpec | None, list[Issue]]:
    """Read ``data`` (parsed JSON) into a spec and check every limit; return it with all problems.

    The spec is None only when the document is not even an object. ``check=False`` reports only
    what prevents reading it at all.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        return None, [Issue((), "the request spec must be a JSON object")]
    version = reader.integer(data, "version", (), required=False)
    if version is not None and version != SPEC_VERSION:
        reader.fail(
            ("version",),
            f"unsupported spec version {version} (this Sealbox reads version {SPEC_VERSION})",
        )
    name = reader.string(data, "name", (), required=True)
    message = reader.string(data, "message", (), required=False) or None
    hours = reader.integer(data, "expirationHours", (), required=False)
    read = _Read()
    _read_recipients(reader, data, read)
    _read_fields(reader, data, read)
    _read_anchors(reader, data, read)
    spec = RequestSpec(
        name=name,
        recipients=tuple(read.recipients),
        fields=tuple(read.fields),
        anchor_tags=tuple(read.anchors),
        message=message,
        expiration_hours=hours if hours is not None else DEFAULT_EXPIRATION_HOURS,
        version=SPEC_VERSION,
        ocr_anchors=reader.boolean(data, "ocrAnchors", (), False),
    )
    # A field or anchor that could not be read was reported by the reader; the placeholder that
    # keeps the others' positions is not checked again.
    if not check:
        return spec, reader.problems
    # Whether fields are required depends on the provider: checked when the request is sent.
    problems = reader.problems + spec_problems(
        spec,
        check_orders=read.orders_given,
        expiration_given=hours is not None,
        skip_fields=frozenset(read.bad_fields),
        skip_anchors=frozenset(read.bad_anchors),
        fields_required=False,
    )
    return spec, unique(problems)


def _read_recipients(reader: _Reader, data: JsonObject, read: _Read) -> None:
    if data.get("recipients") is None:
        reader.fail(("recipients",), "is required (1 to 20 recipients)")
    for i, obj in enumerate(reader.objects(data, "recipients")):
        path: Path = ("recipients", i)
        if obj is None:
            read.recipients.append(Recipient("", "", ""))
            continue
        first = reader.string(obj, "firstName", path, required=True)
        last = reader.string(obj, "lastName", path, required=False)
        email = reader.string(obj, "email", path, required=True)
        raw_designation = obj.get("designation", Designation.SIGNER.value)
        try:
            designation = Designation(raw_designation)
        except ValueError:
            reader.fail(
                (*path, "designation"),
                f"unknown designation {raw_designation!r} (use Signer, Approver or CC)",
            )
            designation = Designation.SIGNER
        order = reader.integer(obj, "order", path, required=False)
        read.orders_given = read.orders_given or order is not None
        read.recipients.append(
            Recipient(first, last, email, designation, order if order is not None else i + 1)
        )


#: Keeps the place of a field that could not be read, so the others keep their positions.
_PLACEHOLDER = Field(0, FieldType.TEXT, 1, 0, 0, 1, 1)


def _read_fields(reader: _Reader, data: JsonObject, read: _Read) -> None:
    for i, obj in enumerate(reader.objects(data, "fields")):
        path: Path = ("fields", i)
        if obj is None:
            read.bad_fields.add(i)
            read.fields.append(_PLACEHOLDER)
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
                reader.fail((*path, "options"), "must be a list of strings")
            else:
                options = tuple(raw_options)
        anchor = obj.get("anchor") if isinstance(obj.get("anchor"), str) else None
        anchor_rect = _read_rect(obj.get("anchorRect"))
        remove_anchor_text = reader.boolean(obj, "removeAnchorText", path, True)
        if None in (kind, index, page, x, y, width, height):
            read.bad_fields.add(i)
            read.fields.append(_PLACEHOLDER)
            continue
        assert kind is not None and index is not None and page is not None
        assert x is not None and y is not None and width is not None and height is not None
        read.fields.append(
            Field(
                index,
                kind,
                page,
                x,
                y,
                width,
                height,
                required,
                label,
                options,
                anchor,
                anchor_rect,
                remove_anchor_text,
            )
        )


def _read_anchors(reader: _Reader, data: JsonObject, read: _Read) -> None:
    for i, obj in enumerate(reader.objects(data, "anchorTags")):
        path: Path = ("anchorTags", i)
        if obj is None:
            read.bad_anchors.add(i)
            read.anchors.append(AnchorTag("?", FieldType.TEXT, 0))
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
            read.bad_anchors.add(i)
            read.anchors.append(AnchorTag(text, FieldType.TEXT, 0))
            continue
        read.anchors.append(AnchorTag(text, kind, index, width, height, required, ignore, remove))


def _read_rect(value: Any) -> Rect | None:
    """``[x, y, width, height]`` as written by :meth:`Field.to_json`; None for anything else."""
    if not isinstance(value, list) or len(value) != 4:
        return None
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        return None
    return Rect(*(float(v) for v in value))
