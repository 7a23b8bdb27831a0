"""One list of checks for ``sealbox send`` and the Check panel, with typed problems."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from app.context import Context
from app.domain.editing import EditorDocument
from app.domain.model import Designation, Field, FieldType, Recipient
from app.domain.problems import Issue, as_issue, path_text
from app.domain.validation import spec_problems
from app.errors import UserError
from app.providers.base import Provider
from app.services.checks import (
    AnchorMatches,
    Subject,
    Target,
    errors,
    explain,
    preflight,
    refusals,
    setup_refusal,
)
from tests.unit.test_preflight import COUNTS, PDF, good_doc


def test_an_issue_is_the_command_lines_line_with_its_parts_kept() -> None:
    issue = Issue(("fields", 3, "type"), "must be a string")
    assert issue == "fields[3].type: must be a string"
    assert (issue.path, issue.text) == (("fields", 3, "type"), "must be a string")
    assert path_text(("anchorTags",)) == "anchorTags" and path_text(()) == ""
    again = pickle.loads(pickle.dumps(issue))
    assert again == issue and again.path == issue.path and isinstance(again, Issue)
    plain = as_issue("the request spec must be a JSON object")
    assert plain.path == () and plain == "the request spec must be a JSON object"


def test_a_recipient_named_in_a_problem_is_named_by_name_in_the_app() -> None:
    doc = good_doc()
    jane, bob = doc.to_spec().recipients
    spec = replace(doc.to_spec(), recipients=(jane, replace(bob, order=jane.order)))
    (issue,) = [p for p in spec_problems(spec) if p.path == ("recipients", 1, "order")]
    assert issue == "recipients[1].order: 1 is already used by recipients[0]"
    assert (
        explain(issue, doc, spec).message
        == "Bob Roe's signing order: 1 is already used by Jane Doe"
    )


@pytest.fixture
def saypdf(home: Path, monkeypatch: pytest.MonkeyPatch) -> Provider:
    monkeypatch.setenv("SEALBOX_SAYPDF_API_KEY", "test-key")
    monkeypatch.setenv("SEALBOX_SENDER_EMAIL", "office@example.com")
    return Context.from_environment().provider("saypdf")


def test_send_and_the_check_panel_find_the_same_problems(saypdf: Provider) -> None:
    doc = good_doc()
    doc.set_meta(name=" ", message="Please sign by Friday.")
    doc.update_recipient(0, Recipient("Jane", "Doe", "nope"))
    doc.add_fields([Field(0, FieldType.RADIO_BUTTONS, 2, 500, 780, 180, 48, options=("A",))])
    spec = doc.to_spec()
    refused, warnings = refusals(
        Subject(spec, saypdf, PDF, anchors=AnchorMatches(COUNTS), purpose="send")
    )
    # The command line's words, as `sealbox send` prints them.
    assert refused == [
        "name: must not be empty",
        "recipients[0].email: not an email address ('nope')",
        "fields[1]: lies outside page 2 (612 × 792 pt)",
        "fields[1].type: SayPDF cannot take radio_buttons fields",
    ]
    shown = preflight(doc, PDF, saypdf, COUNTS)
    # The same problems in the panel, in the same order, with where to go for each.
    assert [p.path for p in errors(shown)] == [i.path for i in refused]
    assert [p.target for p in errors(shown)] == [
        Target("request"),
        Target("recipient", 0),
        Target("field", doc.field_ids()[1]),
        Target("field", doc.field_ids()[1]),
    ]
    assert [p.path for p in shown if p.is_warning] == [w.path for w in warnings]


def test_a_set_up_problem_stops_a_send_before_the_rest(ctx_home: Context) -> None:
    itasign = ctx_home.provider("itasign")
    with pytest.raises(UserError, match="ItaSign needs an API key") as refused:
        setup_refusal(itasign, None)
    (problem,) = preflight(without_fields(good_doc()), PDF, itasign, {})
    assert problem.target == Target("provider") and problem.path == ()
    assert problem.message.startswith(refused.value.for_app())


def test_the_check_panel_alone_asks_for_a_field_for_every_signer(ctx_home: Context) -> None:
    doc = good_doc()
    doc.add_recipient(Recipient("Al", "Poe", "al@example.com", Designation.SIGNER))
    local = ctx_home.provider("local")
    assert [p.path for p in preflight(doc, PDF, local, COUNTS)] == [("recipients", 2)]
    refused, _ = refusals(
        Subject(doc.to_spec(), local, PDF, anchors=AnchorMatches(COUNTS), purpose="send")
    )
    assert refused == []


def without_fields(doc: EditorDocument) -> EditorDocument:
    """``doc`` without fields or anchors (ItaSign's signers place their own)."""
    doc.remove_fields(doc.field_ids())
    doc.remove_anchor(0)
    return doc


@pytest.fixture
def ctx_home(home: Path) -> Context:
    return Context.from_environment()
