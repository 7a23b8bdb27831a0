"""The editor document: stable ids, exact snapshots, recipients renumbering, page ranges."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.editing import Change, EditorDocument, parse_page_range
from app.domain.geometry import PageGeometry
from app.domain.model import AnchorTag, Designation, Field, FieldType, Recipient, RequestSpec


def make_doc(pages: int = 3) -> EditorDocument:
    doc = EditorDocument([PageGeometry.plain(n, 612, 792) for n in range(1, pages + 1)])
    doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    doc.add_recipient(Recipient("Sam", "Roe", "sam@example.com"))
    return doc


def sig(recipient: int = 0, page: int = 1, x: float = 72, y: float = 600) -> Field:
    return Field(recipient, FieldType.SIGNATURE, page, x, y, 180, 48)


def test_fields_keep_their_ids_and_changes_are_reported() -> None:
    doc = make_doc()
    seen: list[Change] = []
    doc.subscribe(seen.append)
    a, b = doc.add_fields([sig(), sig(1, 2)])
    assert seen[-1].added == {a, b}
    doc.remove_fields([a])
    assert seen[-1].removed == {a}
    assert doc.field_ids() == [b]
    doc.move_fields([b], 10, -5)
    assert seen[-1].changed == {b}
    assert (doc.field(b).x, doc.field(b).y) == (82, 595)
    assert doc.field_at_index(0) == b and doc.field_at_index(1) is None


def test_moves_and_resizes_stay_inside_the_page() -> None:
    doc = make_doc()
    (fid,) = doc.add_fields([sig(x=500, y=780)])
    assert doc.field(fid).x == 500  # added as given: preflight reports one off the page
    doc.move_fields([fid], 1000, 1000)
    f = doc.field(fid)
    assert (f.x + f.width, f.y + f.height) == (612, 792)
    doc.resize_fields([fid], -1000, -1000)
    assert doc.field(fid).width == 4.0 and doc.field(fid).height == 4.0


def test_snapshot_restore_is_exact_and_reports_the_difference() -> None:
    doc = make_doc()
    ids = doc.add_fields([sig(), sig(1, 3)])
    before = doc.snapshot()
    doc.move_fields(ids[:1], 5, 5)
    doc.remove_fields(ids[1:])
    doc.add_fields([sig(page=2)])
    doc.set_meta(name="Lease")
    after = doc.snapshot()
    seen: list[Change] = []
    doc.subscribe(seen.append)
    doc.restore(before)
    assert doc.snapshot() == before
    (change,) = seen
    assert change.changed == {ids[0]} and change.added == {ids[1]} and change.meta
    assert len(change.removed) == 1
    doc.restore(after)
    assert doc.snapshot() == after
    seen.clear()
    doc.restore(after)
    assert seen == []  # nothing differs: nothing reported


def test_removing_a_recipient_drops_their_fields_and_renumbers_the_rest() -> None:
    doc = make_doc()
    doc.add_recipient(Recipient("Kim", "Poe", "kim@example.com"))
    keep, gone, later = doc.add_fields([sig(0), sig(1), sig(2)])
    doc.add_anchor(AnchorTag("{{x}}", FieldType.SIGNATURE, 1))
    doc.add_anchor(AnchorTag("{{y}}", FieldType.SIGNATURE, 2))
    doc.remove_recipient(1)
    assert [r.order for r in doc.recipients] == [1, 2]
    assert not doc.has_field(gone)
    assert doc.field(keep).recipient_index == 0 and doc.field(later).recipient_index == 1
    assert [a.anchor_string for a in doc.anchors] == ["{{y}}"]
    assert doc.anchors[0].recipient_index == 1


def test_moving_a_recipient_changes_the_signing_order_and_follows_fields() -> None:
    doc = make_doc()
    a, b = doc.add_fields([sig(0), sig(1)])
    doc.move_recipient(1, 0)
    assert [r.first_name for r in doc.recipients] == ["Sam", "Jane"]
    assert [r.order for r in doc.recipients] == [1, 2]
    assert doc.field(a).recipient_index == 1 and doc.field(b).recipient_index == 0
    spec = doc.to_spec()
    assert spec.signers_in_order() == [0, 1]


def test_copy_to_pages_skips_the_source_page_and_clamps() -> None:
    doc = EditorDocument(
        [
            PageGeometry.plain(1, 612, 792),
            PageGeometry.plain(2, 300, 300),
            PageGeometry.plain(3, 612, 792),
        ]
    )
    doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    (fid,) = doc.add_fields([sig(x=400, y=700)])
    new = doc.copy_to_pages([fid], [1, 2, 3, 9])
    pages = sorted(doc.field(n).page for n in new)
    assert pages == [2, 3]
    on_small = next(doc.field(n) for n in new if doc.field(n).page == 2)
    assert on_small.x + on_small.width <= 300 and on_small.y + on_small.height <= 300
    on_same = next(doc.field(n) for n in new if doc.field(n).page == 3)
    assert (on_same.x, on_same.y) == (400, 700)


def test_load_sorts_recipients_by_order_and_remaps_fields() -> None:
    spec = RequestSpec(
        name="NDA",
        recipients=(
            Recipient("B", "", "b@example.com", order=2),
            Recipient("A", "", "a@example.com", Designation.APPROVER, order=1),
        ),
        fields=(sig(0), sig(1)),
        anchor_tags=(AnchorTag("{{s}}", FieldType.SIGNATURE, 0),),
    )
    doc = make_doc()
    doc.load(spec)
    assert [r.first_name for r in doc.recipients] == ["A", "B"]
    assert [f.recipient_index for _, f in doc.fields()] == [1, 0]
    assert doc.anchors[0].recipient_index == 1
    assert doc.to_spec().name == "NDA"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "move", "remove", "meta"]),
            st.integers(0, 5),
            st.floats(-50, 50),
        ),
        max_size=30,
    )
)
@settings(max_examples=60, deadline=None)
def test_any_edit_sequence_restores_exactly(ops: list[tuple[str, int, float]]) -> None:
    doc = make_doc()
    doc.add_fields([sig()])
    history = [doc.snapshot()]
    for op, n, d in ops:
        ids = doc.field_ids()
        if op == "add":
            doc.add_fields([sig(page=1 + n % 3, x=100 + d, y=100)])
        elif op == "move" and ids:
            doc.move_fields([ids[n % len(ids)]], d, -d)
        elif op == "remove" and ids:
            doc.remove_fields([ids[n % len(ids)]])
        else:
            doc.set_meta(name=f"name {n}")
        history.append(doc.snapshot())
    for snap in reversed(history):
        doc.restore(snap)
        assert doc.snapshot() == snap


def test_update_with_equal_values_reports_nothing() -> None:
    doc = make_doc()
    (fid,) = doc.add_fields([sig()])
    seen: list[Change] = []
    doc.subscribe(seen.append)
    doc.update_fields({fid: replace(doc.field(fid))})
    doc.update_recipient(0, doc.recipients[0])
    assert seen == []


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        ("all", [1, 2, 3, 4, 5]),
        ("2-4", [2, 3, 4]),
        ("5, 1", [5, 1]),
        ("4-", [4, 5]),
        ("-2", [1, 2]),
        ("3-2", [2, 3]),
        ("1,1,2", [1, 2]),
    ],
)
def test_page_ranges(text: str, pages: list[int]) -> None:
    assert parse_page_range(text, 5) == pages


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "No pages given"),
        ("0", "outside the document"),
        ("2-9", "outside the document"),
        ("two", "not a page or a range"),
    ],
)
def test_bad_page_ranges_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_page_range(text, 5)
