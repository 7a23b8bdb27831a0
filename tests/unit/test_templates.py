"""Templates in the store: saving, naming rules, export, and using one on another document."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

from app.domain.geometry import PageGeometry
from app.domain.model import AnchorTag, Field, FieldType, Recipient, RequestSpec
from app.errors import NotFoundError, UserError, ValidationError
from app.store.db import MIGRATIONS, SCHEMA_VERSION, Database
from app.store.templates import (
    MAX_TEMPLATE_NAME,
    Template,
    Templates,
    apply_to,
    compatibility,
)
from tests.support.stores import AnyDatabase, in_transaction
from tests.unit.test_domain import good_spec

LETTER = (612.0, 792.0)
A4 = (595.0, 842.0)


@pytest.fixture
def templates(store_database: AnyDatabase) -> Templates:
    return Templates(store_database)


def spec(**changes: object) -> RequestSpec:
    data = good_spec()
    data.update(changes)
    return RequestSpec.from_json(data)


def role_spec() -> RequestSpec:
    """A template as the editor saves it: roles without people, a field and an anchor."""
    return RequestSpec(
        name="Lease",
        recipients=(Recipient("Tenant", "", ""), Recipient("Landlord", "", "", order=2)),
        fields=(Field(0, FieldType.SIGNATURE, 2, 72, 650, 180, 48),),
        anchor_tags=(AnchorTag("{{landlord}}", FieldType.SIGNATURE, 1),),
    )


def count(templates: Templates) -> int:
    return int(templates.db.execute("SELECT count(*) FROM templates").fetchone()[0])


# --- saving and reading ----------------------------------------------------------------------


def test_round_trip(templates: Templates) -> None:
    saved = templates.save("  Charter handover ", spec(), [LETTER, A4])
    assert saved.name == "Charter handover"
    assert saved.spec == spec()
    assert saved.page_sizes == (LETTER, A4)
    assert saved.created_at == saved.updated_at
    assert templates.get("charter HANDOVER") == saved
    assert templates.list() == [saved]


def test_the_spec_is_saved_as_given_even_without_people(templates: Templates) -> None:
    saved = templates.save("Lease", role_spec(), [LETTER, LETTER])
    assert saved.spec == role_spec()
    assert templates.get("Lease").spec.recipients[0].email == ""


def test_list_is_sorted_by_name_regardless_of_case(templates: Templates) -> None:
    for name in ("beta", "Alpha", "gamma", "Delta"):
        templates.save(name, spec(), [LETTER])
    assert [t.name for t in templates.list()] == ["Alpha", "beta", "Delta", "gamma"]
    assert templates.names() == ["Alpha", "beta", "Delta", "gamma"]


def test_replace_keeps_the_creation_time(templates: Templates) -> None:
    first = templates.save("Lease", spec(), [LETTER])
    templates.db.execute(
        "UPDATE templates SET created_at = '2020-01-01T00:00:00.000Z', "
        "updated_at = '2020-01-01T00:00:00.000Z'"
    )
    second = templates.save("LEASE", role_spec(), [A4, A4], replace=True)
    assert second.name == "LEASE"
    assert second.spec == role_spec()
    assert second.page_sizes == (A4, A4)
    assert second.created_at.year == 2020
    assert second.updated_at >= first.updated_at
    assert count(templates) == 1


def test_a_duplicate_name_is_refused_and_nothing_is_written(templates: Templates) -> None:
    original = templates.save("Lease", spec(), [LETTER])
    with pytest.raises(UserError) as info:
        templates.save("lease", role_spec(), [A4])
    assert str(info.value) == (
        "A template named 'Lease' already exists: choose another name or replace it."
    )
    assert count(templates) == 1
    assert templates.get("Lease") == original
    assert not in_transaction(templates.database)


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused(templates: Templates, name: str) -> None:
    with pytest.raises(ValidationError, match="A template needs a name"):
        templates.save(name, spec(), [LETTER])
    assert count(templates) == 0


def test_a_long_name_is_refused(templates: Templates) -> None:
    templates.save("x" * MAX_TEMPLATE_NAME, spec(), [LETTER])
    with pytest.raises(UserError) as info:
        templates.save("y" * (MAX_TEMPLATE_NAME + 1), spec(), [LETTER])
    assert str(info.value) == (
        "The template name is 101 characters long: shorten it to at most 100 characters."
    )
    with pytest.raises(UserError, match="one line"):
        templates.save("two\nlines", spec(), [LETTER])
    assert count(templates) == 1


def test_bad_page_sizes_are_a_programming_error(templates: Templates) -> None:
    for sizes in ([], [(0.0, 10.0)], [(float("nan"), 10.0)]):
        with pytest.raises(ValueError, match="page"):
            templates.save("Lease", spec(), sizes)
    assert count(templates) == 0


def test_get_delete_rename_of_a_missing_template(templates: Templates) -> None:
    with pytest.raises(NotFoundError) as info:
        templates.get("Lease")
    assert str(info.value) == (
        "There is no template named 'Lease': no templates are saved yet: "
        "prepare a document and choose File › Save as Template."
    )
    templates.save("Charter", spec(), [LETTER])
    templates.save("NDA", spec(), [LETTER])
    for call in (
        lambda: templates.get("Lease"),
        lambda: templates.delete("Lease"),
        lambda: templates.rename("Lease", "Other"),
    ):
        with pytest.raises(NotFoundError) as info:
            call()
        assert str(info.value) == (
            "There is no template named 'Lease': the saved templates are 'Charter', 'NDA'."
        )
    assert templates.names() == ["Charter", "NDA"]


def test_not_found_lists_at_most_ten_names(templates: Templates) -> None:
    for n in range(12):
        templates.save(f"T{n:02d}", spec(), [LETTER])
    with pytest.raises(NotFoundError, match=r"'T09' and 2 more\.$"):
        templates.get("Lease")


def test_delete(templates: Templates) -> None:
    templates.save("Lease", spec(), [LETTER])
    templates.save("NDA", spec(), [LETTER])
    templates.delete("LEASE")
    assert templates.names() == ["NDA"]


def test_rename(templates: Templates) -> None:
    saved = templates.save("Lease", spec(), [LETTER])
    templates.save("NDA", spec(), [LETTER])
    renamed = templates.rename("lease", "Flat lease")
    assert renamed.name == "Flat lease"
    assert renamed.spec == saved.spec and renamed.created_at == saved.created_at
    assert templates.names() == ["Flat lease", "NDA"]
    assert templates.rename("flat lease", "FLAT LEASE").name == "FLAT LEASE"  # case only
    with pytest.raises(UserError, match="A template named 'NDA' already exists"):
        templates.rename("FLAT LEASE", "nda")
    with pytest.raises(UserError, match="needs a name"):
        templates.rename("FLAT LEASE", " ")
    assert templates.names() == ["FLAT LEASE", "NDA"]


def test_export_spec_reads_back_equal(templates: Templates, tmp_path: Path) -> None:
    templates.save("Charter", spec(), [LETTER])
    dest = tmp_path / "out" / "charter.json"
    templates.export_spec("charter", dest)
    text = dest.read_text(encoding="utf-8")
    assert text.startswith('{\n  "version": 1,')
    assert "Charter handover — BK-12345" in text  # not escaped
    assert RequestSpec.from_json(json.loads(text)) == spec()
    assert [p.name for p in dest.parent.iterdir()] == ["charter.json"]  # no temporary left
    with pytest.raises(NotFoundError):
        templates.export_spec("missing", tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


# --- migration -----------------------------------------------------------------------------------


def test_a_version_2_database_gets_the_templates_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    old = sqlite_utils.Database(conn)
    for step in MIGRATIONS[:2]:
        step(old)
    conn.execute("INSERT INTO webhook_deliveries VALUES ('craftkit', 'd1', 't')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    database = Database(path)
    assert database.user_version == SCHEMA_VERSION
    assert database.conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0] == 1
    repo = Templates(database)
    repo.save("Lease", spec(), [LETTER])
    assert repo.names() == ["Lease"]
    database.close()
    assert Templates(Database(path)).names() == ["Lease"]  # opening again migrates nothing


# --- compatibility and apply_to (pure) ---------------------------------------------------------


def template(fields: list[Field], sizes: list[tuple[float, float]]) -> Template:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    base = spec().with_fields(fields)
    return Template("T", base, tuple(sizes), moment, moment)


def pages(*sizes: tuple[float, float]) -> list[PageGeometry]:
    return [PageGeometry.plain(n, w, h) for n, (w, h) in enumerate(sizes, start=1)]


def sig(page: int, x: float, y: float, w: float = 180, h: float = 48) -> Field:
    return Field(0, FieldType.SIGNATURE, page, x, y, w, h)


def test_same_document_no_warnings_and_unchanged() -> None:
    t = template([sig(1, 72, 650), sig(2, 72, 100)], [LETTER, LETTER])
    doc = pages((612.5, 791.2), LETTER)  # within 1 pt
    assert compatibility(t, doc) == []
    assert apply_to(t, doc) == t.spec


def test_fewer_pages() -> None:
    t = template([sig(1, 72, 650), sig(3, 72, 100), sig(4, 72, 100)], [LETTER] * 4)
    assert compatibility(t, pages(LETTER, LETTER)) == [
        "The template was made on a 4-page document; this one has 2 pages: fields on pages "
        "3–4 are left out."
    ]
    assert compatibility(t, pages(LETTER, LETTER, LETTER)) == [
        "The template was made on a 4-page document; this one has 3 pages: fields on page 4 "
        "are left out."
    ]
    t2 = template([sig(1, 72, 650)], [LETTER] * 3)
    assert compatibility(t2, pages(LETTER)) == [
        "The template was made on a 3-page document; this one has 1 page."
    ]
    applied = apply_to(t, pages(LETTER, LETTER))
    assert applied.fields == (sig(1, 72, 650),)
    assert applied.anchor_tags == t.spec.anchor_tags
    assert applied.recipients == t.spec.recipients


def test_more_pages() -> None:
    t = template([sig(1, 72, 650)], [LETTER])
    assert compatibility(t, pages(LETTER, LETTER, LETTER)) == [
        "The template was made on a 1-page document; this one has 3 pages: the template has "
        "no fields on pages 2–3."
    ]
    assert apply_to(t, pages(LETTER, LETTER, LETTER)) == t.spec


def test_other_page_sizes_are_grouped_and_fields_are_moved_or_shrunk() -> None:
    t = template(
        [sig(1, 72, 780, 180, 48), sig(2, 72, 100), sig(3, 500, 10, 700, 40)],
        [LETTER, LETTER, LETTER, LETTER],
    )
    doc = pages(A4, (400.0, 600.0), (400.0, 600.0), (400.0, 600.0))
    warnings = compatibility(t, doc)
    assert warnings == [
        "Page 1 is 595 × 842 pt here but 612 × 792 pt in the template: check that the fields "
        "are where they should be.",
        "Pages 2–4 are 400 × 600 pt here but 612 × 792 pt in the template: 1 field that would "
        "fall off the page is moved or shrunk to fit.",
    ]
    applied = apply_to(t, doc)
    assert applied.fields == (
        sig(1, 72, 780, 180, 48),  # fits A4 (842 high): unchanged
        sig(2, 72, 100),  # fits
        sig(3, 0, 10, 400, 40),  # wider than the page: shrunk to its width, moved to x = 0
    )


def test_a_field_is_moved_before_it_is_shrunk() -> None:
    t = template([sig(1, 500, 760, 180, 48)], [LETTER])
    applied = apply_to(t, pages((400.0, 600.0)))
    field = applied.fields[0]
    assert (field.x, field.y, field.width, field.height) == (220, 552, 180, 48)
    assert compatibility(t, pages((400.0, 600.0)))[0].endswith(
        "1 field that would fall off the page is moved or shrunk to fit."
    )


def test_apply_to_never_raises() -> None:
    t = template([sig(1, 72, 650), sig(5, 0, 0)], [LETTER])
    assert apply_to(t, []).fields == ()
    assert compatibility(t, [])[0].startswith(
        "The template was made on a 1-page document; this one has 0 pages"
    )
