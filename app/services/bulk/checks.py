"""Checking every row before anything is sent, with the checks of a single send and more.

Each row becomes the request it would send (the spec with the row's people, its sheet values
taken out of the fields they fill) and goes through what :func:`app.services.send.prepare`
checks (the spec's limits against the document's pages, the provider's preflight), plus: a
missing name or email, an address that is not an email, a value too long for its field, and a
row that repeats an earlier one. Each problem names its row and, where there is one, the cell's
column. A problem every row shares (the provider's, the document's) is said once for the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.context import Context
from app.domain.model import (
    EMAIL_RE,
    MAX_NAME,
    Designation,
    Recipient,
    RequestSpec,
)
from app.domain.validation import spec_problems
from app.pdf.document import PdfInfo, check_pdf
from app.pdf.fit import FitChecker
from app.pdf.stamp import Stamp
from app.providers.anchors import resolve_anchors
from app.services.bulk.mapping import ColumnMap, field_name, mapping_problems, role_name
from app.services.bulk.sheet import Sheet
from app.wording import Alt, Text


@dataclass(frozen=True)
class Problem:
    """One problem: of a row (its sheet row number) and a cell (its column), or of the run."""

    row: int | None
    column: str | None
    message: str

    def sentence(self) -> str:
        where = (
            ""
            if self.row is None
            else f"row {self.row}" + (f", column {self.column!r}" if self.column else "") + ": "
        )
        return where + self.message

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class RowPlan:
    number: int
    recipients: tuple[Recipient, ...]
    #: Field index in the spec to the value stamped there.
    values: dict[int, str]
    problems: list[Problem] = field(default_factory=list)
    #: The recipient the row is named after (the first one taken from the sheet).
    who: int = 0

    def data(self) -> dict[str, Any]:
        return {
            "who": self.who,
            "recipients": [r.to_json() for r in self.recipients],
            "values": {str(k): v for k, v in self.values.items()},
        }


@dataclass
class Plan:
    """A run checked: its rows, and the problems of the run as a whole."""

    spec: RequestSpec
    sheet: Sheet
    mapping: ColumnMap
    provider: str
    render_id: str | None
    info: PdfInfo
    rows: list[RowPlan]
    problems: list[Problem]

    @property
    def faulty(self) -> list[RowPlan]:
        return [r for r in self.rows if r.problems]

    def all_problems(self) -> list[Problem]:
        return self.problems + [p for r in self.rows for p in r.problems]


def row_spec(spec: RequestSpec, data: dict[str, Any]) -> tuple[RequestSpec, list[Stamp]]:
    """The request one row sends, and the values stamped into its copy of the document."""
    recipients = tuple(
        Recipient(
            r["firstName"], r["lastName"], r["email"], Designation(r["designation"]), r["order"]
        )
        for r in data["recipients"]
    )
    values = {int(k): v for k, v in data["values"].items()}
    stamps = [
        Stamp(f.page, f.rect, "text", values[i])
        for i, f in enumerate(spec.fields)
        if i in values and values[i].strip()
    ]
    fields = tuple(f for i, f in enumerate(spec.fields) if i not in values)
    changed = [r for r, old in zip(recipients, spec.recipients, strict=True) if r != old]
    who = changed[0].name if changed else ""
    name = f"{spec.name} — {who}" if who else spec.name
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1] + "…"
    return replace(spec, name=name, recipients=recipients, fields=fields), stamps


def _split_name(full: str) -> tuple[str, str]:
    first, _, last = full.strip().rpartition(" ")
    return (first.strip(), last) if first.strip() else (last, "")


def build_rows(spec: RequestSpec, sheet: Sheet, mapping: ColumnMap) -> list[RowPlan]:
    """Each row's people and values as the mapping reads them (problems not yet checked)."""
    rows = []
    for number, cells in zip(sheet.numbers, sheet.rows, strict=True):

        def cell(column: str | None, cells: tuple[str, ...] = cells) -> str:
            return cells[sheet.column(column)] if column else ""

        people = []
        for i, base in enumerate(spec.recipients):
            role = mapping.recipients[i] if i < len(mapping.recipients) else None
            if role is None or not role.used:
                people.append(base)
                continue
            if role.name:
                first, last = _split_name(cell(role.name))
            else:
                first, last = cell(role.firstName), cell(role.lastName)
            people.append(replace(base, first_name=first, last_name=last, email=cell(role.email)))
        values = {index: cell(column) for index, column in mapping.fields.items()}
        who = next((i for i, r in enumerate(mapping.recipients) if r.used), 0)
        rows.append(RowPlan(number, tuple(people), values, who=who))
    return rows


_PATH = re.compile(r"^recipients\[(\d+)\]\.(firstName|lastName|email): (.*)$", re.S)


def plan_run(
    ctx: Context,
    pdf_path: Path,
    spec: RequestSpec,
    sheet: Sheet,
    mapping: ColumnMap,
    *,
    provider_id: str | None = None,
    render_id: str | None = None,
) -> Plan:
    """Check the run and every row; nothing is written."""
    provider = ctx.provider(provider_id)
    caps = provider.capabilities
    info = check_pdf(pdf_path)
    run: list[Problem] = []

    def say(message: str | Text) -> None:
        run.append(Problem(None, None, str(message)))

    problem = provider.configuration_problem()
    if problem:
        say(problem)
    if caps.needs_render_id and not render_id:
        say(
            Text(
                f"{caps.name} sends a render, not a file: ",
                Alt(
                    "pass --render-id with the id of a succeeded render",
                    f"send documents that {caps.name} rendered from the command line, or choose "
                    "another service for this one",
                ),
                ".",
            )
        )
    if caps.needs_render_id and mapping.fields:
        names = ", ".join(field_name(spec, i) for i in sorted(mapping.fields))
        say(
            f"{caps.name} sends its own render of the document, so values from the sheet "
            f"cannot be put on its pages (the field {names}): take those columns out of the "
            "mapping, or choose a service that takes an uploaded PDF."
        )
    for message in mapping_problems(spec, sheet, mapping):
        say(message)
    if spec.anchor_tags and caps.resolves_anchors:
        for message in resolve_anchors(spec, pdf_path, info.pages).problems:
            say(f"The document: {message}")
    # Rows are read only through a mapping that holds (its columns are the sheet's).
    rows = [] if run else build_rows(spec, sheet, mapping)
    if not run:
        run += _check_rows(ctx, spec, sheet, mapping, rows, info, provider_id)
    return Plan(spec, sheet, mapping, caps.id, render_id, info, rows, run)


def _check_rows(
    ctx: Context,
    spec: RequestSpec,
    sheet: Sheet,
    mapping: ColumnMap,
    rows: list[RowPlan],
    info: PdfInfo,
    provider_id: str | None,
) -> list[Problem]:
    provider = ctx.provider(provider_id)
    fields_required = bool(provider.capabilities.field_types)
    seen: dict[tuple[str, ...], int] = {}
    with FitChecker() as fit:
        for row in rows:
            reported = _people_problems(spec, mapping, row)
            _fit_problems(spec, mapping, row, fit)
            _repeat_problem(sheet, mapping, row, seen)
            one, _stamps = row_spec(spec, row.data())
            found = spec_problems(one, info.pages, fields_required=fields_required)
            found += provider.preflight(one, info)
            for message in found:
                _spec_problem(spec, mapping, row, message, reported)
    return _lift_shared(rows)


def _people_problems(spec: RequestSpec, mapping: ColumnMap, row: RowPlan) -> set[tuple[int, str]]:
    """A row's missing names and emails, and emails that are not: which (role, part) were
    reported, so the spec's checks do not report them again."""
    reported: set[tuple[int, str]] = set()
    for i, role in enumerate(mapping.recipients):
        if not role.used:
            continue
        person = row.recipients[i]
        who = role_name(spec, i)
        name_column = role.name or role.firstName
        if not person.first_name.strip():
            row.problems.append(Problem(row.number, name_column, f"missing name ({who})"))
            reported.add((i, "firstName"))
        if not person.email.strip():
            row.problems.append(Problem(row.number, role.email, f"missing email ({who})"))
            reported.add((i, "email"))
        elif not EMAIL_RE.match(person.email):
            row.problems.append(
                Problem(row.number, role.email, f"{person.email!r} is not an email address")
            )
            reported.add((i, "email"))
    return reported


def _fit_problems(spec: RequestSpec, mapping: ColumnMap, row: RowPlan, fit: FitChecker) -> None:
    """A row's values too long for their fields."""
    for index, column in sorted(mapping.fields.items()):
        value = row.values[index]
        f = spec.fields[index]
        why = fit.problem(value, f.width, f.height, f"the field {field_name(spec, index)}")
        if why:
            row.problems.append(Problem(row.number, column, why))


def _repeat_problem(
    sheet: Sheet, mapping: ColumnMap, row: RowPlan, seen: dict[tuple[str, ...], int]
) -> None:
    """A row whose mapped cells are an earlier row's (``seen``: the first row of each)."""
    key = tuple(c.casefold() for c in _mapped_cells(sheet, mapping, row.number))
    if key in seen:
        row.problems.append(
            Problem(
                row.number,
                None,
                f"the same as row {seen[key]}: each person is sent one copy; remove one of them",
            )
        )
    else:
        seen[key] = row.number


def _spec_problem(
    spec: RequestSpec,
    mapping: ColumnMap,
    row: RowPlan,
    message: str,
    reported: set[tuple[int, str]],
) -> None:
    """One problem of the row's request (the spec's checks, the provider's preflight), put on
    the recipient's column when it names one, unless the row's own checks said it already."""
    match = _PATH.match(message)
    if match:
        i, part, text = int(match.group(1)), match.group(2), match.group(3)
        if (i, "firstName" if part == "lastName" else part) in reported:
            return
        owner = mapping.recipients[i] if i < len(mapping.recipients) else None
        at = owner.columns().get(part) if owner else None
        if owner and part in ("firstName", "lastName") and not at:
            at = owner.name
        row.problems.append(Problem(row.number, at, f"{text} ({role_name(spec, i)})"))
    else:
        row.problems.append(Problem(row.number, None, message))


def _mapped_cells(sheet: Sheet, mapping: ColumnMap, number: int) -> list[str]:
    cells = sheet.rows[sheet.numbers.index(number)]
    columns = [c for role in mapping.recipients for c in role.columns().values()]
    columns += [c for _, c in sorted(mapping.fields.items())]
    return [cells[sheet.column(c)].strip() for c in columns]


def _lift_shared(rows: list[RowPlan]) -> list[Problem]:
    """A problem with no cell that every row has is the spec's or the provider's: it is taken
    off the rows and returned once, as the run's (then no row can be sent)."""
    if len(rows) < 2:
        return []
    shared = {p.message for p in rows[0].problems if p.column is None}
    for row in rows[1:]:
        shared &= {p.message for p in row.problems if p.column is None}
    for row in rows:
        row.problems = [p for p in row.problems if p.column is not None or p.message not in shared]
    return [Problem(None, None, m) for m in sorted(shared)]
