"""The rules a request spec must keep (DESIGN.md's limits), each broken one an :class:`Issue`.

Pure Python: no Qt, no I/O. The provider's own rules come on top (``Provider.preflight``), and
:mod:`app.services.checks` puts them all in one list.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.geometry import PageGeometry
from app.domain.model import (
    EMAIL_RE,
    MAX_ANCHOR_SIZE,
    MAX_ANCHOR_STRING,
    MAX_ANCHORS,
    MAX_EMAIL,
    MAX_EXPIRATION_HOURS,
    MAX_FIELDS,
    MAX_FIRST_NAME,
    MAX_LAST_NAME,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_RECIPIENTS,
    MIN_EXPIRATION_HOURS,
    AnchorTag,
    Designation,
    Field,
    RequestSpec,
)
from app.domain.problems import Issue, Path, mention
from app.wording import Text


def field_count_problem(placed: int, from_anchors: Sequence[tuple[str, int]]) -> Issue | None:
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
    return Issue(
        ("anchorTags",),
        f"they make {made} field{'s' if made != 1 else ''}"
        f"{placed_text}, more than the limit of {MAX_FIELDS} ({text!r} alone makes "
        f"{most}); use an anchor text that appears only where a field belongs, or "
        "remove anchors",
    )


def unique(items: Sequence[Issue]) -> list[Issue]:
    """``items`` without repeats (the first of each kept)."""
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
) -> list[Issue]:
    """Every rule of DESIGN.md's limits that ``spec`` breaks, each naming the offending item.

    With ``pages`` (the document's page geometry) fields are also checked against the pages.
    ``fields_required=False`` is for providers whose signers place their own signatures (or
    sign by identity), where the "at least one field" rule cannot apply.
    """
    out = _request_problems(spec, expiration_given)
    out += _recipients_problems(spec, check_orders)
    if len(spec.fields) > MAX_FIELDS:
        out.append(
            Issue(
                ("fields",),
                f"at most {MAX_FIELDS} fields are allowed (there are {len(spec.fields)})",
            )
        )
    if len(spec.anchor_tags) > MAX_ANCHORS:
        out.append(
            Issue(
                ("anchorTags",),
                f"at most {MAX_ANCHORS} anchor tags are allowed "
                f"(there are {len(spec.anchor_tags)})",
            )
        )
    if (
        fields_required
        and any(r.designation == Designation.SIGNER for r in spec.recipients)
        and not (spec.fields or spec.anchor_tags)
    ):
        out.append(
            Issue(
                ("fields",),
                "at least one field or anchor tag is required when a recipient is a Signer",
            )
        )
    for i, f in enumerate(spec.fields):
        if i not in skip_fields:
            out += _field_problems(spec, ("fields", i), f, pages)
    for i, a in enumerate(spec.anchor_tags):
        if i not in skip_anchors:
            out += _anchor_problems(spec, ("anchorTags", i), a)
    return out


def _request_problems(spec: RequestSpec, expiration_given: bool) -> list[Issue]:
    out = []
    if not spec.name.strip():
        out.append(Issue(("name",), "must not be empty"))
    elif len(spec.name) > MAX_NAME:
        out.append(
            Issue(("name",), f"must be at most {MAX_NAME} characters (it has {len(spec.name)})")
        )
    if spec.message is not None and len(spec.message) > MAX_MESSAGE:
        out.append(Issue(("message",), f"must be at most {MAX_MESSAGE} characters"))
    if expiration_given and not (
        MIN_EXPIRATION_HOURS <= spec.expiration_hours <= MAX_EXPIRATION_HOURS
    ):
        out.append(
            Issue(
                ("expirationHours",),
                f"must be between {MIN_EXPIRATION_HOURS} and "
                f"{MAX_EXPIRATION_HOURS} (it is {spec.expiration_hours})",
            )
        )
    return out


def _recipients_problems(spec: RequestSpec, check_orders: bool) -> list[Issue]:
    out = []
    count = len(spec.recipients)
    if count == 0:
        out.append(Issue(("recipients",), "at least one recipient is required"))
    elif count > MAX_RECIPIENTS:
        out.append(
            Issue(
                ("recipients",),
                f"at most {MAX_RECIPIENTS} recipients are allowed (there are {count})",
            )
        )
    seen_orders: dict[int, int] = {}
    for i, r in enumerate(spec.recipients):
        path: Path = ("recipients", i)
        if not r.first_name.strip():
            out.append(Issue((*path, "firstName"), "must not be empty"))
        elif len(r.first_name) > MAX_FIRST_NAME:
            out.append(Issue((*path, "firstName"), f"must be at most {MAX_FIRST_NAME} characters"))
        if len(r.last_name) > MAX_LAST_NAME:
            out.append(Issue((*path, "lastName"), f"must be at most {MAX_LAST_NAME} characters"))
        if not r.email:
            out.append(Issue((*path, "email"), "must not be empty"))
        elif len(r.email) > MAX_EMAIL:
            out.append(Issue((*path, "email"), f"must be at most {MAX_EMAIL} characters"))
        elif not EMAIL_RE.match(r.email):
            out.append(Issue((*path, "email"), f"not an email address ({r.email!r})"))
        if check_orders:
            if not 1 <= r.order <= max(count, 1):
                out.append(
                    Issue((*path, "order"), f"must be between 1 and {count} (it is {r.order})")
                )
            elif r.order in seen_orders:
                first = seen_orders[r.order]
                out.append(
                    Issue(
                        (*path, "order"),
                        Text(
                            f"{r.order} is already used by ",
                            mention(f"recipients[{first}]", spec.recipients[first], first),
                        ),
                    )
                )
            else:
                seen_orders[r.order] = i
    return out


def _field_problems(
    spec: RequestSpec, path: Path, f: Field, pages: Sequence[PageGeometry] | None
) -> list[Issue]:
    out = _recipient_problems(spec, f.recipient_index, path)
    if f.page < 1:
        out.append(Issue((*path, "page"), f"pages are numbered from 1 (it is {f.page})"))
    elif pages is not None and f.page > len(pages):
        out.append(
            Issue(
                (*path, "page"),
                f"the document has {len(pages)} page"
                f"{'s' if len(pages) != 1 else ''} (it is {f.page})",
            )
        )
    if f.width <= 0 or f.height <= 0:
        out.append(Issue(path, "width and height must be greater than 0"))
    if f.x < 0 or f.y < 0:
        out.append(Issue(path, "x and y must not be negative"))
    if pages is not None and 1 <= f.page <= len(pages):
        geom = pages[f.page - 1]
        tol = 0.01
        if f.x + f.width > geom.width + tol or f.y + f.height > geom.height + tol:
            out.append(
                Issue(path, f"lies outside page {f.page} ({geom.width:g} × {geom.height:g} pt)")
            )
    if f.type.has_options and not f.options:
        out.append(Issue((*path, "options"), f"a {f.type.value} field needs at least one option"))
    if f.options and not f.type.has_options:
        out.append(Issue((*path, "options"), "only dropdown and radio_buttons fields take options"))
    if f.label is not None and len(f.label) > MAX_NAME:
        out.append(Issue((*path, "label"), f"must be at most {MAX_NAME} characters"))
    return out


def _anchor_problems(spec: RequestSpec, path: Path, a: AnchorTag) -> list[Issue]:
    out = []
    if not a.anchor_string:
        out.append(Issue((*path, "anchorString"), "must not be empty"))
    elif len(a.anchor_string) > MAX_ANCHOR_STRING:
        out.append(
            Issue((*path, "anchorString"), f"must be at most {MAX_ANCHOR_STRING} characters")
        )
    out += _recipient_problems(spec, a.recipient_index, path)
    for key, value in (("width", a.width), ("height", a.height)):
        if value is not None and not 0 < value <= MAX_ANCHOR_SIZE:
            out.append(
                Issue(
                    (*path, key), f"must be greater than 0 and at most {MAX_ANCHOR_SIZE:g} points"
                )
            )
    return out


def _recipient_problems(spec: RequestSpec, index: int, path: Path) -> list[Issue]:
    if not 0 <= index < len(spec.recipients):
        return [
            Issue(
                (*path, "recipientIndex"),
                f"there is no recipient {index} (recipients "
                f"are numbered from 0 to {len(spec.recipients) - 1})",
            )
        ]
    if spec.recipients[index].designation == Designation.CC:
        return [
            Issue(
                (*path, "recipientIndex"),
                Text(
                    mention(f"recipient {index}", spec.recipients[index], index),
                    " is a CC and only receives the result; assign the field to a Signer or "
                    "Approver",
                ),
            )
        ]
    return []
