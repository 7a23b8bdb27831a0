"""The request spec, its validator and the status lifecycle."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.geometry import PageGeometry
from app.domain.lifecycle import TERMINAL, Status, TransitionError, can_transition, check_transition
from app.domain.model import Designation, FieldType, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.spec_json import parse_spec
from app.domain.validation import spec_problems
from app.errors import ValidationError


def good_spec() -> dict[str, Any]:
    return {
        "version": 1,
        "name": "Charter handover — BK-12345",
        "message": "Please sign by Friday.",
        "expirationHours": 168,
        "recipients": [
            {
                "firstName": "Jane",
                "lastName": "Doe",
                "email": "jane@example.com",
                "designation": "Signer",
                "order": 1,
            },
            {
                "firstName": "Bob",
                "lastName": "Roe",
                "email": "bob@example.com",
                "designation": "Signer",
                "order": 2,
            },
        ],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 650,
                "width": 180,
                "height": 48,
                "required": True,
            },
        ],
        "anchorTags": [
            {
                "anchorString": "{{sign_here}}",
                "type": "signature",
                "recipientIndex": 1,
                "width": 180,
                "height": 48,
                "required": True,
                "ignoreIfNotPresent": False,
            },
        ],
    }


def problems_of(data: Any) -> list[Issue]:
    return parse_spec(data)[1]


def test_the_design_example_is_valid_and_round_trips() -> None:
    spec = RequestSpec.from_json(good_spec())
    assert spec.recipients[0].designation == Designation.SIGNER
    assert spec.fields[0].type == FieldType.SIGNATURE
    again = RequestSpec.from_json(spec.to_json())
    assert again == spec


def test_initial_is_read_as_initials() -> None:
    data = good_spec()
    data["fields"][0]["type"] = "initial"
    assert RequestSpec.from_json(data).fields[0].type == FieldType.INITIALS


# Each case breaks exactly one rule; the message must name the offending item.
BREAKS: list[tuple[str, Any, str]] = [
    ("name", "", "name: must not be empty"),
    ("name", "x" * 256, "name: must be at most 255"),
    ("expirationHours", 0, "expirationHours: must be between 1 and 8760"),
    ("expirationHours", 8761, "expirationHours: must be between 1 and 8760"),
    ("expirationHours", 1.5, "expirationHours: must be a whole number"),
    ("recipients", [], "recipients: at least one recipient"),
    ("recipients.0.email", "not-an-email", "recipients[0].email: not an email address"),
    ("recipients.1.email", "a@b", "recipients[1].email: not an email address"),
    ("recipients.0.firstName", "", "recipients[0].firstName: must not be empty"),
    ("recipients.0.firstName", "x" * 101, "recipients[0].firstName: must be at most 100"),
    ("recipients.0.lastName", "x" * 101, "recipients[0].lastName: must be at most 100"),
    ("recipients.1.order", 1, "recipients[1].order: 1 is already used by recipients[0]"),
    ("recipients.1.order", 3, "recipients[1].order: must be between 1 and 2"),
    ("recipients.0.designation", "Boss", "recipients[0].designation: unknown designation"),
    ("fields.0.recipientIndex", 5, "fields[0].recipientIndex: there is no recipient 5"),
    ("fields.0.type", "stamp", "fields[0].type: unknown field type 'stamp'"),
    ("fields.0.page", 0, "fields[0].page: pages are numbered from 1"),
    ("fields.0.width", 0, "fields[0]: width and height must be greater than 0"),
    ("fields.0.x", -1, "fields[0]: x and y must not be negative"),
    ("fields.0.x", "left", "fields[0].x: must be a number"),
    ("anchorTags.0.anchorString", "x" * 201, "anchorTags[0].anchorString: must be at most 200"),
    ("anchorTags.0.width", 1001, "anchorTags[0].width: must be greater than 0 and at most 1000"),
    (
        "anchorTags.0.type",
        "dropdown",
        "anchorTags[0].type: 'dropdown' cannot be placed by an anchor",
    ),
    ("anchorTags.0.recipientIndex", -1, "anchorTags[0].recipientIndex: there is no recipient"),
]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target: Any = data
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[keys[-1]] = value


@pytest.mark.parametrize(("path", "value", "message"), BREAKS)
def test_each_rule_names_the_offending_item(path: str, value: Any, message: str) -> None:
    data = good_spec()
    _set(data, path, value)
    problems = problems_of(data)
    assert any(p.startswith(message) for p in problems), problems


def test_all_problems_are_reported_at_once() -> None:
    data = good_spec()
    data["name"] = ""
    data["recipients"][0]["email"] = "nope"
    data["recipients"][1]["email"] = "also nope"
    data["fields"][0]["recipientIndex"] = 9
    with pytest.raises(ValidationError) as info:
        RequestSpec.from_json(data)
    assert len(info.value.problems) == 4
    assert "recipients[1].email: not an email address" in str(info.value)


def test_count_limits() -> None:
    data = good_spec()
    data["recipients"] = [
        {"firstName": f"P{i}", "email": f"p{i}@example.com", "order": i + 1} for i in range(21)
    ]
    data["fields"] = [dict(good_spec()["fields"][0]) for _ in range(201)]
    data["anchorTags"] = [dict(good_spec()["anchorTags"][0]) for _ in range(201)]
    problems = problems_of(data)
    assert any(p.startswith("recipients: at most 20") for p in problems)
    assert any(p.startswith("fields: at most 200") for p in problems)
    assert any(p.startswith("anchorTags: at most 200") for p in problems)


def test_a_signer_needs_a_field_or_anchor_but_cc_only_does_not() -> None:
    data = good_spec()
    data["fields"], data["anchorTags"] = [], []
    spec, problems = parse_spec(data)
    assert problems == []  # whether fields are needed depends on the provider
    assert spec is not None
    assert any("at least one field or anchor" in p for p in spec_problems(spec))
    assert spec_problems(spec, fields_required=False) == []
    for r in data["recipients"]:
        r["designation"] = "CC"
    assert spec_problems(RequestSpec.from_json(data)) == []


def test_fields_for_cc_and_options_rules() -> None:
    data = good_spec()
    data["recipients"][1]["designation"] = "CC"
    data["fields"].append(
        {"recipientIndex": 1, "type": "text", "page": 1, "x": 1, "y": 1, "width": 10, "height": 10}
    )
    data["fields"].append(
        {
            "recipientIndex": 0,
            "type": "dropdown",
            "page": 1,
            "x": 1,
            "y": 1,
            "width": 10,
            "height": 10,
        }
    )
    data["anchorTags"] = []
    problems = problems_of(data)
    assert any(p.startswith("fields[1].recipientIndex: recipient 1 is a CC") for p in problems)
    assert any(p.startswith("fields[2].options: a dropdown field needs") for p in problems)


def test_fields_are_checked_against_the_pages() -> None:
    spec = RequestSpec.from_json(good_spec())
    letter = [
        PageGeometry(
            number=1,
            width=612,
            height=792,
            rotation=0,
            cropbox=(0, 0, 612, 792),
            mediabox=(0, 0, 612, 792),
        )
    ]
    assert spec_problems(spec, letter) == []
    tiny = [
        PageGeometry(
            number=1,
            width=200,
            height=200,
            rotation=0,
            cropbox=(0, 0, 200, 200),
            mediabox=(0, 0, 200, 200),
        )
    ]
    assert any("fields[0]: lies outside page 1" in p for p in spec_problems(spec, tiny))
    data = good_spec()
    data["fields"][0]["page"] = 3
    assert any(
        "fields[0].page: the document has 1 page" in p
        for p in spec_problems(RequestSpec.from_json(data), letter)
    )


@pytest.mark.parametrize("bad", [None, [], "text", 3])
def test_not_an_object(bad: Any) -> None:
    assert problems_of(bad) == ["the request spec must be a JSON object"]


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "name",
                        "recipients",
                        "fields",
                        "anchorTags",
                        "type",
                        "x",
                        "page",
                        "email",
                        "firstName",
                        "order",
                        "recipientIndex",
                        "expirationHours",
                        "width",
                    ]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_problems_never_a_crash(data: Any) -> None:
    spec, problems = parse_spec(data)
    assert isinstance(problems, list)
    if not problems:
        assert spec is not None


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_terminal_states_cannot_be_left(a: Status, b: Status) -> None:
    if a.terminal and a != b:
        assert not can_transition(a, b)
        with pytest.raises(TransitionError):
            check_transition(a, b)


def test_lifecycle_table() -> None:
    assert can_transition(Status.QUEUED, Status.SENT)
    assert can_transition(Status.SENT, Status.VIEWED)
    assert can_transition(Status.VIEWED, Status.COMPLETED)
    assert can_transition(Status.SENT, Status.CANCELLED)
    assert not can_transition(Status.VIEWED, Status.SENT)
    assert not can_transition(Status.COMPLETED, Status.CANCELLED)
    for state in TERMINAL:
        assert can_transition(state, state)


def test_signing_order_and_progress() -> None:
    data = good_spec()
    data["recipients"][0]["order"], data["recipients"][1]["order"] = 2, 1
    data["recipients"].append(
        {"firstName": "Cee", "email": "c@example.com", "designation": "CC", "order": 3}
    )
    spec = RequestSpec.from_json(data)
    request = Request(id="r1", provider="local", spec=spec)
    assert spec.signers_in_order() == [1, 0]
    assert request.next_recipient() == 1
    assert request.progress() == (0, 2)
    changed = copy.deepcopy(request)
    from app.domain.clock import now

    changed.recipients[1].signed_at = now()
    assert changed.next_recipient() == 0
    assert changed.progress() == (1, 2)


def test_anchor_options_and_anchor_rects_round_trip() -> None:
    from app.domain.geometry import Rect
    from app.domain.model import RequestSpec

    data = {
        "version": 1,
        "name": "Scanned contract",
        "ocrAnchors": True,
        "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 180,
                "height": 48,
                "anchor": "{{sign_here}}",
                "anchorRect": [72, 600, 63.5, 15],
                "removeAnchorText": False,
            }
        ],
        "anchorTags": [
            {
                "anchorString": "{{sign_here}}",
                "type": "signature",
                "recipientIndex": 0,
                "removeAnchorText": False,
            }
        ],
    }
    spec = RequestSpec.from_json(data)
    assert spec.ocr_anchors
    assert spec.fields[0].anchor_rect == Rect(72, 600, 63.5, 15)
    assert not spec.fields[0].remove_anchor_text
    assert not spec.anchor_tags[0].remove_text
    assert RequestSpec.from_json(spec.to_json()) == spec
    # The defaults stay out of the JSON: remove the text, no OCR.
    plain = RequestSpec.from_json(
        {
            **data,
            "ocrAnchors": False,
            "anchorTags": [{"anchorString": "x", "type": "text", "recipientIndex": 0}],
        }
    )
    out = plain.to_json()
    assert "ocrAnchors" not in out and "removeAnchorText" not in out["anchorTags"][0]
    assert plain.anchor_tags[0].remove_text


def test_ocr_and_remove_flags_must_be_booleans() -> None:
    import pytest

    from app.domain.model import RequestSpec
    from app.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        RequestSpec.from_json(
            {
                "name": "x",
                "ocrAnchors": "yes",
                "recipients": [{"firstName": "J", "email": "j@example.com"}],
                "anchorTags": [
                    {
                        "anchorString": "x",
                        "type": "text",
                        "recipientIndex": 0,
                        "removeAnchorText": 1,
                    }
                ],
            }
        )
    assert "ocrAnchors: must be true or false" in info.value.problems
    assert "anchorTags[0].removeAnchorText: must be true or false" in info.value.problems
