"""The drafts store: requests being prepared, kept whole with a copy of their PDF."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pymupdf
import pytest

from app.domain.model import AnchorTag, Field, FieldType, Recipient, RequestSpec
from app.errors import NotFoundError
from app.fsutil import sha256_file
from app.store.db import MIGRATIONS, Database
from app.store.drafts import Drafts
from tests.support.stores import AnyDatabase

#: A request half prepared: a recipient with no email yet, an anchor, no name.
HALF = RequestSpec(
    name="",
    message="Please sign by Friday.",
    expiration_hours=72,
    recipients=(Recipient("Jane", "Doe", "jane@example.com"), Recipient("Bob", "", "", order=2)),
    fields=(
        Field(0, FieldType.SIGNATURE, 1, 72.51456310679, 600.25, 180.1, 48 / 7, label="Tenant"),
        Field(1, FieldType.CHECKBOX, 2, 10, 10, 18, 18, required=False),
    ),
    anchor_tags=(AnchorTag("{{sign}}", FieldType.INITIALS, 1, 80, 30, False, True),),
)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "Lease 2026.pdf"
    doc = pymupdf.open()
    for _ in range(2):
        doc.new_page()
    doc.save(path)
    return path


@pytest.fixture
def drafts(store_database: AnyDatabase, tmp_path: Path) -> Drafts:
    return Drafts(store_database, tmp_path / "data" / "drafts")


def make(drafts: Drafts, pdf: Path, spec: RequestSpec = HALF) -> str:
    draft_id = drafts.new_id()
    digest = drafts.copy_document(draft_id, pdf)
    drafts.add(
        draft_id,
        source=pdf,
        sha256=digest,
        page_count=2,
        provider="saypdf",
        render_id=None,
        spec=spec,
    )
    return draft_id


def test_a_draft_keeps_everything_and_a_copy_of_the_pdf(drafts: Drafts, pdf: Path) -> None:
    draft_id = make(drafts, pdf)
    pdf.unlink()  # the original goes away: the draft does not care
    draft = drafts.get(draft_id)
    assert draft.spec == HALF
    assert (draft.provider, draft.render_id, draft.page_count) == ("saypdf", None, 2)
    copy = drafts.pdf_path(draft_id, draft.document_name)
    assert copy.name == "Lease 2026.pdf" and sha256_file(copy) == draft.document_sha256
    assert draft.title == "Lease 2026.pdf"  # no request name yet
    assert draft.state == "editing" and draft.owner_pid == os.getpid()

    later = RequestSpec(name="Lease", recipients=HALF.recipients[:1], fields=HALF.fields[:1])
    drafts.save(draft_id, provider="craftkit", render_id="r-1", spec=later)
    again = drafts.get(draft_id)
    assert again.spec == later and again.title == "Lease"
    assert (again.provider, again.render_id) == ("craftkit", "r-1")
    assert again.updated_at >= draft.updated_at


def test_listed_newest_first_and_deleted_with_their_copy(drafts: Drafts, pdf: Path) -> None:
    first = make(drafts, pdf)
    second = make(drafts, pdf)
    drafts.save(first, provider="local", render_id=None, spec=HALF)
    assert [d.id for d in drafts.all()] == [first, second]
    drafts.delete(first)
    assert [d.id for d in drafts.all()] == [second]
    assert not (drafts.folder / first).exists()
    with pytest.raises(NotFoundError, match="sent or deleted"):
        drafts.get(first)


def test_a_draft_left_open_by_a_process_that_is_gone_is_an_orphan(
    store_database: AnyDatabase, tmp_path: Path, pdf: Path
) -> None:
    dead = {4242}
    drafts = Drafts(store_database, tmp_path / "drafts", alive=lambda pid: pid not in dead)
    mine = make(drafts, pdf)
    crashed = make(drafts, pdf)
    drafts.set_state(crashed, "editing", pid=4242)
    kept = make(drafts, pdf)
    drafts.set_state(kept, "saved")
    assert [d.id for d in drafts.orphaned()] == [crashed]
    assert drafts.get(kept).owner_pid is None
    drafts.set_state(crashed, "editing")  # restored by this process
    assert drafts.orphaned() == [] and drafts.get(mine).state == "editing"


def test_the_migration_adds_drafts_to_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    import sqlite_utils

    old = sqlite_utils.Database(conn)
    for step in MIGRATIONS[:-1]:
        step(old)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    conn.commit()
    conn.close()
    db = Database(path)
    assert db.user_version == len(MIGRATIONS)
    assert "drafts" in db.db.table_names()
    indexes = {i.name for i in db.db.table("requests").indexes}
    assert "requests_sha256" in indexes
