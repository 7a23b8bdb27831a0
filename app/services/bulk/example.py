"""The example sheet for a prepared request: the columns a sheet needs, named so that the
mapping is guessed from them (:func:`app.services.bulk.mapping.guess`), and two rows."""

from __future__ import annotations

from app.csvsafe import csv_text
from app.domain.model import FieldType, RequestSpec
from app.services.bulk.mapping import FILLABLE

_PEOPLE = (("Jane Doe", "jane@example.com"), ("John Roe", "john@example.com"))


def example_headers(spec: RequestSpec) -> list[str]:
    """``Name`` and ``Email`` (one recipient) or ``Signer 1 name``… (each recipient), then each
    text or date field by its label."""
    headers: list[str] = []
    single = len(spec.recipients) == 1
    for i, r in enumerate(spec.recipients):
        prefix = "" if single else f"{r.designation.value} {i + 1} "
        headers += [f"{prefix}name".capitalize(), f"{prefix}email".capitalize()]
    seen = {h.casefold() for h in headers}
    for f in spec.fields:
        if f.type in FILLABLE and f.label and f.label.casefold() not in seen:
            seen.add(f.label.casefold())
            headers.append(f.label)
    return headers


def example_csv(spec: RequestSpec) -> str:
    """The example sheet as CSV text (the header and two rows of made-up people)."""
    labels = {f.label: f.type for f in spec.fields if f.label}
    rows = []
    for n, (name, email) in enumerate(_PEOPLE):
        row: list[str] = []
        for header in example_headers(spec):
            low = header.casefold()
            if low.endswith("name"):
                row.append(
                    name
                    if low == "name" or low.endswith(" 1 name")
                    else f"{name.split()[0]} Countersigner"
                )
            elif low.endswith("email"):
                row.append(
                    email
                    if low == "email" or low.endswith(" 1 email")
                    else email.replace("@", ".2@")
                )
            elif labels.get(header) == FieldType.DATE:
                row.append(f"2027-0{n + 1}-28")
            else:
                row.append(f"{header} {n + 1}")
        rows.append(row)
    return csv_text(example_headers(spec), rows)
