"""In-person signing as a service (app.services.in_person, app.services.signing_values): typed
values in, what the store keeps and the problems out, each front end's words for the problems,
and completing left to the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Designation, Field, FieldType, Recipient, RequestSpec
from app.errors import UserError
from app.services.in_person import InPersonSigning
from app.services.send import deliver, prepare
from app.services.signing_values import (
    Checked,
    Choice,
    FieldInput,
    Mark,
    Signature,
    TextValue,
    is_filled,
    stored_values,
)
from app.store.requests import FieldValue
from tests.support import pdfgen

TODAY = "2026-12-06"
JANE = Recipient(
    first_name="Jane",
    last_name="Doe",
    email="jane@example.com",
    designation=Designation.SIGNER,
    order=1,
)


def field(
    kind: FieldType,
    *,
    required: bool = True,
    label: str | None = None,
    options: tuple[str, ...] = (),
) -> Field:
    return Field(
        recipient_index=0,
        type=kind,
        page=1,
        x=72,
        y=72,
        width=120,
        height=30,
        required=required,
        label=label,
        options=options,
    )


#: Jane's fields: a signature, initials, an optional second signature, a date, a text, a
#: checkbox and a dropdown.
OWN = {
    0: field(FieldType.SIGNATURE),
    1: field(FieldType.INITIALS),
    2: field(FieldType.SIGNATURE, required=False),
    3: field(FieldType.DATE),
    4: field(FieldType.TEXT, label="Company"),
    5: field(FieldType.CHECKBOX),
    6: field(FieldType.DROPDOWN, options=("Net 30", "Net 60")),
}


def read(
    values: dict[int, FieldInput],
    signature: Signature | None = None,
) -> tuple[dict[int, FieldValue], list[str]]:
    return stored_values(JANE, 0, OWN, signature, values, TODAY)


def test_the_command_lines_text_and_the_screens_typed_values_store_the_same() -> None:
    typed = Signature(typed="Jane Doe")
    from_text = read({4: TextValue("ACME"), 5: TextValue("yes"), 6: TextValue("Net 60")}, typed)
    from_screen = read(
        {
            0: Mark(typed),
            1: Mark(Signature(typed="JD")),
            2: Mark(typed),
            4: TextValue("ACME"),
            5: Checked(True),
            6: Choice("Net 60"),
        },
        typed,
    )
    assert from_text == from_screen
    stored, problems = from_text
    assert problems == []
    assert stored == {
        0: FieldValue("Jane Doe", None),
        1: FieldValue("JD", None),
        2: FieldValue("Jane Doe", None),
        3: FieldValue(TODAY, None),
        4: FieldValue("ACME", None),
        5: FieldValue("true", None),
        6: FieldValue("Net 60", None),
    }


def test_a_mark_keeps_each_field_as_the_signer_made_it() -> None:
    png = b"\x89PNG\r\n\x1a\nsignature"
    stored, problems = read(
        {
            0: Mark(Signature(image_png=png)),
            1: Mark(Signature(typed="J.A.D.")),
            2: Mark(None),
            4: TextValue("ACME"),
            5: Checked(True),
            6: Choice("Net 30"),
        },
        Signature(image_png=png),
    )
    assert problems == []
    assert stored[0] == FieldValue(None, png)
    assert stored[1] == FieldValue("J.A.D.", None)  # typed initials, not the name's
    assert 2 not in stored  # the optional signature left empty is not stamped
    _, refused = read(
        {0: Mark(None), 4: TextValue("ACME"), 5: Checked(True), 6: Choice("Net 30")},
        Signature(image_png=png),
    )
    assert refused == [
        "field 0 (signature) needs a signature: pass --typed-signature NAME or "
        "--signature-image PNG"
    ]


def test_every_problem_at_once_in_each_front_ends_words() -> None:
    signing_problems = read({5: TextValue("maybe"), 6: TextValue("Net 90")})[1]
    assert len(signing_problems) == 6
    with pytest.raises(UserError) as caught:
        raise UserError(signing_problems[0])
    assert str(caught.value) == (
        "field 0 (signature) needs a signature: pass --typed-signature "
        "NAME or --signature-image PNG"
    )
    assert caught.value.for_app() == (
        "Field 0 (signature) needs a signature: sign with a drawn or typed signature"
    )
    assert signing_problems[1:5] == [
        "field 1 (initials) needs a signature: pass --typed-signature NAME or --signature-image "
        "PNG",
        "field 4 (text 'Company') is required: pass --field 4=TEXT",
        "field 5 (checkbox) takes yes or no, not 'maybe'",
        "field 6 (dropdown): 'Net 90' is not one of Net 30, Net 60",
    ]
    assert signing_problems[5] == (
        "Jane Doe is a Signer: pass --typed-signature NAME or --signature-image PNG"
    )


@pytest.mark.parametrize("number", list(OWN))
def test_is_filled_is_the_rule_signing_applies(number: int) -> None:
    """Whatever a field holds, the screen calls it filled exactly when signing takes it for a
    required field."""
    f = replace(OWN[number], required=True)
    candidates: list[FieldInput | None] = [
        None,
        Mark(None),
        Mark(Signature(typed="Jane Doe")),
        Checked(False),
        Checked(True),
        Choice("Net 30"),
        Choice("Net 90"),
        TextValue(""),
        TextValue("ACME"),
        TextValue("yes"),
        TextValue("no"),
    ]
    for value in candidates:
        try:
            _, problems = stored_values(
                JANE,
                0,
                {number: f},
                Signature(typed="Jane Doe"),
                {} if value is None else {number: value},
                TODAY,
            )
        except TypeError:
            continue  # a value of another type: the screen never gives it
        taken = not [p for p in problems if p.startswith(f"field {number}")]
        given = value
        if f.type in (FieldType.SIGNATURE, FieldType.INITIALS) and not isinstance(value, Mark):
            given = Mark(Signature(typed="Jane Doe"))  # the recipient's signature fills it
        assert is_filled(f, given) == taken, (f.type, value)


# --- the service, on a store --------------------------------------------------------------------


@pytest.fixture
def ctx(home: Path) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


SPEC: dict[str, Any] = {
    "version": 1,
    "name": "Charter agreement",
    "recipients": [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "designation": "Signer",
            "order": 1,
        }
    ],
    "fields": [
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 200,
            "height": 50,
        },
        {
            "recipientIndex": 0,
            "type": "date",
            "page": 1,
            "x": 300,
            "y": 600,
            "width": 100,
            "height": 24,
        },
    ],
}


def sent(ctx: Context, tmp_path: Path) -> str:
    pdf = tmp_path / "charter.pdf"
    pdf.write_bytes(pdfgen.text_pdf(["Charter agreement"]))
    request = prepare(ctx, pdf, RequestSpec.from_json(SPEC), provider_id="local")
    asyncio.run(deliver(ctx, request.id))
    return request.id


def test_signing_records_and_leaves_completing_to_the_caller(ctx: Context, tmp_path: Path) -> None:
    rid = sent(ctx, tmp_path)
    signing = InPersonSigning(ctx)
    opened = signing.open(rid, 0)
    assert (opened.event, opened.request.status, opened.needs_completing) == (
        "viewed",
        Status.VIEWED,
        False,
    )
    step = signing.sign(rid, 0, Signature(typed="Jane Doe"))
    assert (step.event, step.recipient, step.needs_completing) == ("signed", 0, True)
    assert step.request.status == Status.VIEWED  # signed, not yet sealed
    assert ctx.requests.field_values(rid)[1] == FieldValue(date.today().isoformat(), None)

    assert signing.complete_and_archive(rid) is None
    assert ctx.requests.get(rid).status == Status.COMPLETED
    assert {f.kind for f in ctx.store.archive.files(rid)} == {
        "signed",
        "certificate",
        "request",
    }


def test_a_window_is_never_told_to_run_a_command(ctx: Context, tmp_path: Path) -> None:
    """Jane has signed and the request waits to be completed: signing again is refused, and
    the app words the way out its own way (the command line names `sealbox sync`)."""
    rid = sent(ctx, tmp_path)
    signing = InPersonSigning(ctx)
    signing.sign(rid, 0, Signature(typed="Jane Doe"))
    with pytest.raises(UserError) as caught:
        signing.open(rid, 0)
    assert str(caught.value) == (
        "Jane Doe has already signed 'Charter agreement'. Everyone has "
        "signed; it is waiting to be completed: run `sealbox sync`."
    )
    assert caught.value.for_app() == (
        "Jane Doe has already signed 'Charter agreement'. Everyone has signed; it is waiting to "
        "be completed: Sealbox finishes it at its next check of the requests."
    )
    with pytest.raises(UserError) as no_reason:
        signing.decline(rid, 0, "  ")
    assert "--decline" in str(no_reason.value)
    assert no_reason.value.for_app() == "Give a reason for declining."
