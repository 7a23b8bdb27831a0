"""Reading sheets for send to many: encodings and delimiters as spreadsheets write them, the
example sheet and map, and the mapping guessed from column names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.model import RequestSpec
from app.resources import resource
from app.services.bulk.mapping import from_json, guess, mapping_problems
from app.services.bulk.sheet import read_sheet

SPEC = RequestSpec.from_json(
    {
        "name": "Renewal",
        "recipients": [{"firstName": "Customer", "lastName": "", "email": "c@example.com"}],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 600,
                "width": 180,
                "height": 48,
            },
            {
                "recipientIndex": 0,
                "type": "text",
                "page": 1,
                "x": 72,
                "y": 120,
                "width": 150,
                "height": 20,
                "label": "Amount",
            },
            {
                "recipientIndex": 0,
                "type": "date",
                "page": 1,
                "x": 72,
                "y": 160,
                "width": 110,
                "height": 20,
                "label": "Renewal date",
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("Name;Email\r\nZoë Ángel;zoe@example.com\r\n".encode("utf-8-sig"), "utf-8 BOM ;"),
        ("Name,Email\nZoë Ángel,zoe@example.com\n".encode(), "utf-8 ,"),
        ("Name;Email\r\nZoë Ángel;zoe@example.com\r\n".encode("cp1252"), "cp1252 ;"),
        ("Name\tEmail\r\nZoë Ángel\tzoe@example.com\r\n".encode("cp1252"), "cp1252 tab"),
        ('"Name";"Email"\r\n"Zoë Ángel";"zoe@example.com"\r\n'.encode(), "quoted"),
    ],
)
def test_csv_encodings_and_delimiters(tmp_path: Path, data: bytes, delimiter: str) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(data)
    sheet = read_sheet(path)
    assert sheet.headers == ("Name", "Email"), delimiter
    assert sheet.rows == (("Zoë Ángel", "zoe@example.com"),)
    assert sheet.numbers == (2,)


def test_the_example_sheet_and_map_fit_each_other() -> None:
    sheet = read_sheet(resource("examples", "send-to-many.csv"))
    guessed = guess(SPEC, sheet)
    assert guessed.recipients[0].name == "Name" and guessed.recipients[0].email == "Email"
    assert guessed.fields == {1: "Amount", 2: "Renewal date"}
    mapping, problems = from_json(
        json.loads(resource("examples", "send-to-many-map.json").read_text()), SPEC
    )
    assert problems == [] and mapping is not None
    assert mapping.fields == guessed.fields and mapping.recipients == guessed.recipients
    assert mapping_problems(SPEC, sheet, mapping) == []


def test_roles_are_guessed_by_their_placeholder_names(tmp_path: Path) -> None:
    spec = RequestSpec.from_json(
        {
            "name": "Lease",
            "recipients": [
                {"firstName": "Tenant", "lastName": "", "email": "t@example.com", "order": 1},
                {"firstName": "Guarantor", "lastName": "", "email": "g@example.com", "order": 2},
            ],
            "fields": [
                {
                    "recipientIndex": i,
                    "type": "signature",
                    "page": 1,
                    "x": 72,
                    "y": 500 + 60 * i,
                    "width": 180,
                    "height": 48,
                }
                for i in (0, 1)
            ],
        }
    )
    path = tmp_path / "people.csv"
    path.write_text(
        "Tenant first name;Tenant last name;Tenant e-mail;Guarantor name;"
        "Guarantor email\nA;B;a@b.co;C D;c@d.co\n",
        encoding="utf-8",
    )
    guessed = guess(spec, read_sheet(path))
    assert guessed.recipients[0].columns() == {
        "firstName": "Tenant first name",
        "lastName": "Tenant last name",
        "email": "Tenant e-mail",
    }
    assert guessed.recipients[1].columns() == {"name": "Guarantor name", "email": "Guarantor email"}


def test_the_example_sheet_of_a_document_maps_itself(tmp_path: Path) -> None:
    from app.services.bulk.example import example_csv, example_headers

    spec = RequestSpec.from_json(
        {
            "name": "Lease",
            "recipients": [
                {"firstName": "Tenant", "lastName": "", "email": "t@example.com"},
                {"firstName": "Guarantor", "lastName": "", "email": "g@example.com", "order": 2},
            ],
            "fields": [
                {
                    "recipientIndex": 0,
                    "type": "signature",
                    "page": 1,
                    "x": 72,
                    "y": 600,
                    "width": 180,
                    "height": 48,
                },
                {
                    "recipientIndex": 0,
                    "type": "text",
                    "page": 1,
                    "x": 72,
                    "y": 100,
                    "width": 150,
                    "height": 20,
                    "label": "Rent",
                },
                {
                    "recipientIndex": 0,
                    "type": "date",
                    "page": 1,
                    "x": 72,
                    "y": 140,
                    "width": 150,
                    "height": 20,
                    "label": "Start",
                },
            ],
        }
    )
    assert example_headers(spec) == [
        "Signer 1 name",
        "Signer 1 email",
        "Signer 2 name",
        "Signer 2 email",
        "Rent",
        "Start",
    ]
    path = tmp_path / "example.csv"
    path.write_text(example_csv(spec), encoding="utf-8")
    table = read_sheet(path)
    guessed = guess(spec, table)
    assert mapping_problems(spec, table, guessed) == []
    assert [r.columns() for r in guessed.recipients] == [
        {"name": "Signer 1 name", "email": "Signer 1 email"},
        {"name": "Signer 2 name", "email": "Signer 2 email"},
    ]
    assert guessed.fields == {1: "Rent", 2: "Start"}
    assert len(table.rows) == 2
