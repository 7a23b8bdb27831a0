"""Which column of the sheet gives what: each role's name and email, and text fields' values.

A *role* is a recipient of the prepared request (its name in the spec, such as "Customer", is a
placeholder the sheet replaces). A role no column maps keeps the spec's recipient as it is (a
countersigner from the office, say). Text fields (text, date, text area) are filled by their
label. The mapping is guessed from the column names (:func:`guess`) and can be given or
corrected (:func:`from_json`, the ``--map MAP.json`` file):

```json
{"sheet": "Customers",
 "recipients": [{"name": "Full name", "email": "Email"}],
 "fields": {"Amount": "Amount due", "fields[3]": "Start"}}
```

``recipients`` follow the spec's order (``null`` for a role not taken from the sheet), each
with ``name`` (first and last name in one column) or ``firstName``/``lastName``, and
``email``; ``fields`` are keyed by a field's label or ``fields[N]`` (its index in the spec).
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.model import Designation, FieldType, RequestSpec
from app.services.bulk.sheet import Sheet

#: Field types a value from the sheet can be put in.
FILLABLE = frozenset({FieldType.TEXT, FieldType.DATE, FieldType.TEXT_AREA})
ROLE_PARTS = ("name", "firstName", "lastName", "email")
_PART_WORDS = {
    "name": ("name", "full name", "fullname"),
    "firstName": ("first name", "firstname", "given name", "forename"),
    "lastName": ("last name", "lastname", "surname", "family name"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
}


@dataclass(frozen=True)
class RoleColumns:
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None

    def columns(self) -> dict[str, str]:
        return {p: getattr(self, p) for p in ROLE_PARTS if getattr(self, p)}

    @property
    def used(self) -> bool:
        return bool(self.columns())


@dataclass(frozen=True)
class ColumnMap:
    """Roles (in the spec's order) and text fields (by index in the spec) to column names."""

    recipients: tuple[RoleColumns, ...] = ()
    fields: dict[int, str] = field(default_factory=dict)
    sheet: str | None = None

    def targets(self, spec: RequestSpec) -> list[tuple[str, str]]:
        """``(column, what it fills)`` for every mapping, in order."""
        out = []
        for i, role in enumerate(self.recipients):
            for part, column in role.columns().items():
                out.append((column, f"{role_name(spec, i)}'s {_PART_NAMES[part]}"))
        for index, column in sorted(self.fields.items()):
            out.append((column, f"the field {field_name(spec, index)}"))
        return out

    def to_json(self, spec: RequestSpec) -> dict[str, Any]:
        fields = {}
        for index, column in sorted(self.fields.items()):
            label = spec.fields[index].label if index < len(spec.fields) else None
            unique = label and sum(f.label == label for f in spec.fields) == 1
            fields[label if unique and label else f"fields[{index}]"] = column
        out: dict[str, Any] = {
            "recipients": [role.columns() or None for role in self.recipients],
            "fields": fields,
        }
        if self.sheet:
            out["sheet"] = self.sheet
        return out


_PART_NAMES = {"name": "name", "firstName": "first name", "lastName": "last name", "email": "email"}


def role_name(spec: RequestSpec, index: int) -> str:
    """How a role is named to the user: its placeholder name in the spec, or "recipient N"."""
    if 0 <= index < len(spec.recipients):
        name = spec.recipients[index].name
        if name:
            return name
    return f"recipient {index + 1}"


def field_name(spec: RequestSpec, index: int) -> str:
    label = spec.fields[index].label if 0 <= index < len(spec.fields) else None
    return repr(label) if label else f"{index + 1} (fields[{index}])"


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[_\-.:]+", " ", text.casefold()).split())


def guess(spec: RequestSpec, sheet: Sheet) -> ColumnMap:
    """The mapping the column names suggest: ``Customer email``, ``Email`` (one role only),
    ``Signer 1 name``, ``First name``…, and text fields by their label."""
    by_norm = {_norm(h): h for h in sheet.headers}
    taken: set[str] = set()

    def find(prefixes: list[str], words: tuple[str, ...]) -> str | None:
        for prefix in prefixes:
            for word in words:
                key = _norm(f"{prefix} {word}") if prefix else _norm(word)
                column = by_norm.get(key)
                if column is not None and column not in taken:
                    taken.add(column)
                    return column
        return None

    roles = []
    single = len(spec.recipients) == 1
    for i, r in enumerate(spec.recipients):
        prefixes = [
            p
            for p in (
                r.name,
                r.first_name,
                r.designation.value,
                f"recipient {i + 1}",
                f"{r.designation.value} {i + 1}",
            )
            if p
        ]
        if single or (
            i == 0 and not any(x.designation == Designation.SIGNER for x in spec.recipients[1:])
        ):
            prefixes.append("")
        parts = {part: find(prefixes, _PART_WORDS[part]) for part in ROLE_PARTS}
        if parts["name"] and (parts["firstName"] or parts["lastName"]):
            taken.discard(parts["name"])
            parts["name"] = None
        roles.append(RoleColumns(**parts))
    fields: dict[int, str] = {}
    for index, f in enumerate(spec.fields):
        if f.type in FILLABLE and f.label:
            column = by_norm.get(_norm(f.label))
            if column is not None and column not in taken:
                taken.add(column)
                fields[index] = column
    return ColumnMap(tuple(roles), fields)


def from_json(data: Any, spec: RequestSpec) -> tuple[ColumnMap | None, list[str]]:
    """A mapping file read; the problems found (each naming its item) when it cannot be used."""
    problems: list[str] = []
    if not isinstance(data, AnyMapping):
        return None, ['the map must be a JSON object with "recipients" and "fields"']
    unknown = sorted(set(data) - {"recipients", "fields", "sheet"})
    if unknown:
        problems.append(
            f'{unknown[0]}: not a key of a map (use "recipients", "fields" and "sheet")'
        )
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        problems.append("sheet: must be the name of a sheet")
        sheet = None
    roles = _roles_from_json(data.get("recipients", []), spec, problems)
    fields = _fields_from_json(data.get("fields", {}), spec, problems)
    return (ColumnMap(tuple(roles), fields, sheet), problems)


def _roles_from_json(raw_roles: Any, spec: RequestSpec, problems: list[str]) -> list[RoleColumns]:
    """The map's ``recipients``, one per recipient of the spec; problems go into ``problems``."""
    roles: list[RoleColumns] = []
    if not isinstance(raw_roles, list):
        problems.append("recipients: must be a list, one entry per recipient of the spec")
        raw_roles = []
    if len(raw_roles) > len(spec.recipients):
        problems.append(
            f"recipients: the spec has {len(spec.recipients)} recipient(s), the map "
            f"{len(raw_roles)}"
        )
    for i, entry in enumerate(raw_roles[: len(spec.recipients)]):
        roles.append(_role_from_json(i, entry, problems))
    roles += [RoleColumns()] * (len(spec.recipients) - len(roles))
    return roles


def _role_from_json(i: int, entry: Any, problems: list[str]) -> RoleColumns:
    """The map's ``recipients[i]``: its columns (none for null or an entry that is wrong)."""
    if entry is None:
        return RoleColumns()
    if not isinstance(entry, AnyMapping):
        problems.append(
            f'recipients[{i}]: must be an object such as {{"name": "Name", '
            '"email": "Email"}} or null'
        )
        return RoleColumns()
    bad = sorted(set(entry) - set(ROLE_PARTS))
    if bad:
        problems.append(
            f"recipients[{i}].{bad[0]}: not a part of a recipient (use name, "
            "firstName, lastName, email)"
        )
    parts = {}
    for part in ROLE_PARTS:
        value = entry.get(part)
        if value is not None and not isinstance(value, str):
            problems.append(f"recipients[{i}].{part}: must be a column name")
            value = None
        parts[part] = value or None
    return RoleColumns(**parts)


def _fields_from_json(raw_fields: Any, spec: RequestSpec, problems: list[str]) -> dict[int, str]:
    """The map's ``fields``: field index in the spec to column; problems go into ``problems``."""
    fields: dict[int, str] = {}
    if not isinstance(raw_fields, AnyMapping):
        problems.append("fields: must be an object of field label to column name")
        raw_fields = {}
    for key, column in raw_fields.items():
        index = _field_index(spec, str(key))
        if index is None:
            problems.append(
                f"fields.{key}: the spec has no field with this label (or fields[N] index)"
            )
        elif not isinstance(column, str) or not column:
            problems.append(f"fields.{key}: must be a column name")
        else:
            fields[index] = column
    return fields


def _field_index(spec: RequestSpec, key: str) -> int | None:
    match = re.fullmatch(r"fields\[(\d+)\]", key.strip())
    if match:
        index = int(match.group(1))
        return index if index < len(spec.fields) else None
    for index, f in enumerate(spec.fields):
        if f.label == key:
            return index
    return None


def mapping_problems(spec: RequestSpec, sheet: Sheet, mapping: ColumnMap) -> list[str]:
    """What makes a mapping unusable with this sheet: a column the sheet does not have, a column
    mapped twice, a field that is not text, a role left with neither a column nor an email."""
    problems: list[str] = []
    headers = set(sheet.headers)
    first_use: dict[str, str] = {}
    for column, target in mapping.targets(spec):
        if column not in headers:
            problems.append(
                f"The map gives {target} from a column {column!r} that "
                f"{sheet.label} does not have (its columns: "
                f"{', '.join(sheet.headers)}): correct the column name."
            )
        elif column in first_use:
            problems.append(
                f"The column {column!r} is mapped twice (to {first_use[column]} and "
                f"to {target}): map each column once."
            )
        else:
            first_use[column] = target
    for index in sorted(mapping.fields):
        f = spec.fields[index]
        if f.type not in FILLABLE:
            problems.append(
                f"The field {field_name(spec, index)} is a {f.type.value} field: "
                "only text and date fields can be filled from the sheet."
            )
    for i, role in enumerate(mapping.recipients):
        if role.used and not role.email:
            problems.append(
                f"No column gives {role_name(spec, i)}'s email: map one (each "
                "person gets their own copy by email)."
            )
        if role.used and not (role.name or role.firstName):
            problems.append(
                f"No column gives {role_name(spec, i)}'s name: map a name column, "
                "or first and last name columns."
            )
    if not any(r.used for r in mapping.recipients):
        problems.append(
            f"No column of {sheet.label} gives a recipient's name and email (its "
            f'columns: {", ".join(sheet.headers)}): name them like "Name" and '
            '"Email", or give a map.'
        )
    return problems
