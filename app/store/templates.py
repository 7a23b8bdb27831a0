"""Templates: a request spec saved under a name, to prepare similar documents quickly.

A template keeps the spec as it was given (recipients' roles, fields and anchor tags) together with
the page sizes of the PDF it was made on, so that applying it to another PDF can warn about a
different page count or page size (:func:`compatibility`) and adapt the fields (:func:`apply_to`).
Names are unique regardless of case and are shown as they were typed.
"""

from __future__ import annotations

import builtins
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.domain.clock import iso, now, parse_iso
from app.domain.geometry import PageGeometry, rect_within_page
from app.domain.model import Field, RequestSpec
from app.errors import NotFoundError, UserError, ValidationError
from app.fsutil import atomic_write_bytes
from app.store.connection import StoreDatabase

MAX_TEMPLATE_NAME = 100
#: Page sizes closer than this (points) count as the same size.
SIZE_TOLERANCE = 1.0
#: How many names a "not found" message lists before it says how many more there are.
_NAMES_SHOWN = 10

PageSize = tuple[float, float]


class TemplateNameError(ValidationError):
    """A template name that cannot be used (blank, too long, control characters)."""

    def __init__(self, sentence: str) -> None:
        super().__init__([sentence], "The template name")
        self.message = sentence


@dataclass(frozen=True)
class Template:
    """A saved template. ``page_sizes`` are ``(width, height)`` in points, as displayed."""

    name: str
    spec: RequestSpec
    page_sizes: tuple[PageSize, ...]
    created_at: datetime
    updated_at: datetime


def check_name(name: str) -> str:
    """The name to store (surrounding spaces removed); raise :class:`TemplateNameError` if it
    cannot be used."""
    clean = name.strip()
    if not clean:
        raise TemplateNameError(
            f"A template needs a name: type one (at most {MAX_TEMPLATE_NAME} characters)."
        )
    if len(clean) > MAX_TEMPLATE_NAME:
        raise TemplateNameError(
            f"The template name is {len(clean)} characters long: shorten it "
            f"to at most {MAX_TEMPLATE_NAME} characters."
        )
    if any(not ch.isprintable() for ch in clean):
        raise TemplateNameError(
            "The template name contains a line break or another control "
            "character: type it on one line."
        )
    return clean


def _page_sizes(page_sizes: Sequence[Sequence[float]]) -> tuple[PageSize, ...]:
    sizes: list[PageSize] = []
    for i, size in enumerate(page_sizes, start=1):
        if len(size) != 2:
            raise ValueError(f"page size {i} must be (width, height), not {size!r}")
        width, height = float(size[0]), float(size[1])
        if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
            raise ValueError(f"page size {i} must be positive and finite, not {size!r}")
        sizes.append((width, height))
    if not sizes:
        raise ValueError("a template needs the size of at least one page")
    return tuple(sizes)


def _duplicate(name: str) -> UserError:
    return UserError(
        f"A template named '{name}' already exists: choose another name or replace it."
    )


class Templates:
    """The repository of templates. Every method that changes something is one transaction."""

    def __init__(self, database: StoreDatabase) -> None:
        self.database = database
        self.db = database.reader

    def save(
        self,
        name: str,
        spec: RequestSpec,
        page_sizes: Sequence[Sequence[float]],
        *,
        replace: bool = False,
    ) -> Template:
        """Save ``spec`` as it is under ``name``; an existing name (in any case) is refused
        unless ``replace`` is true, which keeps its creation time."""
        clean = check_name(name)
        sizes = _page_sizes(page_sizes)
        spec_json = json.dumps(spec.to_json(), ensure_ascii=False)
        sizes_json = json.dumps([list(s) for s in sizes])
        stamp = iso(now())
        with self.database.write() as db:
            existing = db.execute("SELECT name FROM templates WHERE name = ?", [clean]).fetchone()
            if existing is not None and not replace:
                raise _duplicate(str(existing[0]))
            if existing is None:
                db.execute(
                    "INSERT INTO templates (name, spec_json, page_sizes_json, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?)",
                    [clean, spec_json, sizes_json, stamp, stamp],
                )
            else:
                db.execute(
                    "UPDATE templates SET name = ?, spec_json = ?, page_sizes_json = ?, "
                    "updated_at = ? WHERE name = ?",
                    [clean, spec_json, sizes_json, stamp, clean],
                )
        return self.get(clean)

    def get(self, name: str) -> Template:
        """The template called ``name`` (in any case)."""
        row = self._row(name)
        if row is None:
            raise self._not_found(name)
        return self._load(row)

    def names(self) -> list[str]:
        """The names of every template, sorted like :meth:`list`."""
        rows = self.db.execute("SELECT name FROM templates ORDER BY name COLLATE NOCASE, name")
        return [str(r[0]) for r in rows.fetchall()]

    # ``builtins.list`` from here on: inside the class, ``list`` is this method.
    def list(self) -> builtins.list[Template]:
        """Every template, sorted by name (regardless of case)."""
        return [
            self._load(row)
            for row in self.db.query("SELECT * FROM templates ORDER BY name COLLATE NOCASE, name")
        ]

    def delete(self, name: str) -> None:
        """Delete the template called ``name``."""
        with self.database.write() as db:
            cursor = db.execute("DELETE FROM templates WHERE name = ?", [name.strip()])
            if cursor.rowcount == 0:
                raise self._not_found(name)

    def rename(self, old: str, new: str) -> Template:
        """Give the template ``old`` the name ``new`` (changing only its case is allowed)."""
        clean = check_name(new)
        with self.database.write() as db:
            current = db.execute(
                "SELECT name FROM templates WHERE name = ?", [old.strip()]
            ).fetchone()
            if current is None:
                raise self._not_found(old)
            clash = db.execute("SELECT name FROM templates WHERE name = ?", [clean]).fetchone()
            if clash is not None and str(clash[0]).casefold() != str(current[0]).casefold():
                raise _duplicate(str(clash[0]))
            db.execute(
                "UPDATE templates SET name = ?, updated_at = ? WHERE name = ?",
                [clean, iso(now()), current[0]],
            )
        return self.get(clean)

    def export_spec(self, name: str, dest: Path) -> None:
        """Write the template's spec to ``dest`` as JSON (what ``sealbox send --spec`` reads),
        atomically."""
        template = self.get(name)
        text = json.dumps(template.spec.to_json(), ensure_ascii=False, indent=2) + "\n"
        atomic_write_bytes(Path(dest), text.encode("utf-8"))

    # --- helpers ------------------------------------------------------------------------------

    def _row(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM templates WHERE name = ?", [name.strip()]))
        return rows[0] if rows else None

    def _not_found(self, name: str) -> NotFoundError:
        names = self.names()
        if not names:
            hint = (
                "no templates are saved yet: prepare a document and choose File › Save as Template."
            )
        else:
            shown = ", ".join(f"'{n}'" for n in names[:_NAMES_SHOWN])
            more = len(names) - _NAMES_SHOWN
            hint = f"the saved templates are {shown}" + (f" and {more} more." if more > 0 else ".")
        return NotFoundError(f"There is no template named '{name.strip()}': {hint}")

    @staticmethod
    def _load(row: dict[str, Any]) -> Template:
        created = parse_iso(row["created_at"])
        updated = parse_iso(row["updated_at"])
        assert created is not None and updated is not None
        sizes = tuple((float(w), float(h)) for w, h in json.loads(row["page_sizes_json"]))
        return Template(
            name=row["name"],
            spec=RequestSpec.from_stored(json.loads(row["spec_json"])),
            page_sizes=sizes,
            created_at=created,
            updated_at=updated,
        )


# --- using a template on a document (pure) -------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _page_list(numbers: Sequence[int]) -> str:
    """``page 3``, ``pages 3 and 5``, ``pages 1–4, 7 and 9``."""
    ordered = sorted(set(numbers))
    runs: list[str] = []
    start = prev = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    word = "page" if len(ordered) == 1 else "pages"
    if len(runs) == 1:
        return f"{word} {runs[0]}"
    return f"{word} {', '.join(runs[:-1])} and {runs[-1]}"


def _size(size: PageSize) -> str:
    return f"{size[0]:g} × {size[1]:g} pt"


def _rounded(size: PageSize) -> PageSize:
    return (round(size[0], 1), round(size[1], 1))


def _fit(field: Field, geom: PageGeometry) -> Field:
    """``field`` moved (and shrunk only if it is bigger than the page) to lie on the page."""
    if rect_within_page(field.rect, geom):
        return field
    width = min(max(field.width, 0.0), geom.width)
    height = min(max(field.height, 0.0), geom.height)
    x = min(max(field.x, 0.0), geom.width - width)
    y = min(max(field.y, 0.0), geom.height - height)
    return Field(
        field.recipient_index,
        field.type,
        field.page,
        x,
        y,
        width,
        height,
        field.required,
        field.label,
        field.options,
        field.anchor,
    )


def compatibility(template: Template, pages: Sequence[PageGeometry]) -> list[str]:
    """Warnings, one sentence each, about using ``template`` on a document with ``pages``:
    a different page count, and pages whose size differs by more than 1 pt."""
    warnings: list[str] = []
    made, have = len(template.page_sizes), len(pages)
    if have != made:
        head = (
            f"The template was made on a {made}-page document; this one has {_plural(have, 'page')}"
        )
        if have < made:
            lost = [f.page for f in template.spec.fields if f.page > have]
            warnings.append(
                f"{head}: fields on {_page_list(lost)} are left out." if lost else f"{head}."
            )
        else:
            warnings.append(
                f"{head}: the template has no fields on "
                f"{_page_list(list(range(made + 1, have + 1)))}."
            )
    # Pages of another size, grouped by (template size, document size).
    groups: dict[tuple[PageSize, PageSize], list[int]] = {}
    for number, (geom, size) in enumerate(zip(pages, template.page_sizes, strict=False), start=1):
        if (
            abs(geom.width - size[0]) > SIZE_TOLERANCE
            or abs(geom.height - size[1]) > SIZE_TOLERANCE
        ):
            groups.setdefault((_rounded(size), _rounded((geom.width, geom.height))), []).append(
                number
            )
    for (was, now_size), numbers in groups.items():
        on_pages = set(numbers)
        moved = sum(
            1
            for f in template.spec.fields
            if f.page in on_pages and _fit(f, pages[f.page - 1]) != f
        )
        verb = "is" if len(numbers) == 1 else "are"
        sentence = (
            f"{_page_list(numbers).capitalize()} {verb} {_size(now_size)} here but "
            f"{_size(was)} in the template"
        )
        if moved:
            sentence += (
                f": {_plural(moved, 'field')} that would fall off the page "
                f"{'is' if moved == 1 else 'are'} moved or shrunk to fit."
            )
        else:
            sentence += ": check that the fields are where they should be."
        warnings.append(sentence)
    return warnings


def apply_to(template: Template, pages: Sequence[PageGeometry]) -> RequestSpec:
    """The template's spec for a document with ``pages``: fields on pages it does not have are
    left out, fields that would fall off a smaller page are moved onto it (keeping their size
    when it fits, else shrunk to the page). Never raises for a mismatch."""
    fields = [_fit(f, pages[f.page - 1]) for f in template.spec.fields if 1 <= f.page <= len(pages)]
    return template.spec.with_fields(fields)
