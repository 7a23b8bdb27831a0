"""The store, on SQLite and on PostgreSQL: settings, migrations, transactions, outbox, status
history, search."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.domain.lifecycle import Status, TransitionError
from app.domain.model import Request, RequestSpec
from app.domain.report import RecipientReport, Report
from app.errors import NotFoundError, UserError
from app.store.db import SCHEMA_VERSION, Database, NewerDatabaseError
from app.store.records import DATABASE_ERRORS
from app.store.requests import Requests
from app.store.search import fts_query
from tests.support.stores import AnyStore
from tests.unit.test_domain import good_spec


def make_request(
    request_id: str = "0193c2c3-2222-4aaa-8bbb-000000000002", name: str = "Charter handover"
) -> Request:
    data = good_spec()
    data["name"] = name
    return Request(id=request_id, provider="local", spec=RequestSpec.from_json(data))


@pytest.fixture
def repo(store: AnyStore) -> Requests:
    return store.requests


def test_pragmas_and_version(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert db.user_version == SCHEMA_VERSION
    db.close()
    # Opening again does not migrate twice.
    again = Database(tmp_path / "s.db")
    assert again.user_version == SCHEMA_VERSION


def test_a_newer_database_is_refused_and_not_altered(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer Sealbox"):
        Database(path)
    assert path.read_bytes() == before


def test_a_damaged_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(UserError, match="damaged"):
        Database(path)


def test_write_is_all_or_nothing(repo: Requests) -> None:
    row = {
        "id": "x",
        "name": "n",
        "provider": "local",
        "status": "queued",
        "expiration_hours": 1,
        "spec_json": "{}",
        "document_name": "d.pdf",
        "created_at": "t",
        "updated_at": "t",
    }

    def fail_half_way() -> None:
        with repo.database.write() as db:
            db.table("requests").insert(row)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert repo.db.execute("SELECT count(*) FROM requests").fetchone()[0] == 0


def test_write_takes_the_lock_up_front(tmp_path: Path) -> None:
    a = Database(tmp_path / "s.db")
    b = Database(tmp_path / "s.db")
    b.conn.execute("PRAGMA busy_timeout = 50")
    with a.write(), pytest.raises(Exception, match="busy"), b.write():
        pass


def test_add_get_and_outbox(store: AnyStore, repo: Requests) -> None:
    request = make_request()
    repo.add(request, "key-1")
    loaded = repo.get(request.id)
    assert loaded.spec == request.spec
    assert loaded.status == Status.QUEUED
    assert repo.get(request.id[:8]).id == request.id
    item = store.outbox.get(request.id)
    assert item is not None and item.idempotency_key == "key-1" and item.state == "pending"
    assert [i.request_id for i in store.outbox.in_state()] == [request.id]
    with pytest.raises(DATABASE_ERRORS):
        repo.add(make_request("0193c2c3-2222-4aaa-8bbb-000000000003"), "key-1")
    # The failed add left nothing behind.
    assert len(repo.find()) == 1
    store.outbox.mark_done(request.id, Report(status=Status.SENT, provider_id="p-1"))
    assert store.outbox.in_state() == []
    loaded = repo.get(request.id)
    assert loaded.status == Status.SENT and loaded.provider_id == "p-1"
    assert loaded.sent_at is not None


def test_unknown_id(repo: Requests) -> None:
    with pytest.raises(NotFoundError, match="sealbox list"):
        repo.get("does-not-exist")


def test_reports_never_go_backwards_and_history_keeps_payloads(
    store: AnyStore, repo: Requests
) -> None:
    request = make_request()
    repo.add(request, "k")
    store.outbox.mark_done(request.id, Report(status=Status.SENT))
    from app.domain.clock import now

    seen = now()
    repo.apply_report(
        request.id,
        Report(
            status=Status.VIEWED,
            recipients=(RecipientReport(0, viewed_at=seen),),
            payload={"status": "viewed", "raw": 1},
        ),
    )
    assert repo.apply_report(request.id, Report(status=Status.SENT)) == Status.VIEWED
    repo.apply_report(request.id, Report(status=Status.COMPLETED, payload={"status": "done"}))
    loaded = repo.get(request.id)
    assert loaded.status == Status.COMPLETED and loaded.completed_at is not None
    assert loaded.recipients[0].viewed_at is not None
    payloads = [e.payload for e in repo.events(request.id) if e.payload]
    assert {"status": "viewed", "raw": 1} in payloads
    with pytest.raises(TransitionError):
        repo.set_status(request.id, Status.CANCELLED)


def test_search_by_name_person_and_email(repo: Requests) -> None:
    repo.add(make_request(name="Lease renewal Café"), "a")
    repo.add(make_request("0193c2c3-2222-4aaa-8bbb-000000000009", name="Charter"), "b")
    assert len(repo.find(search="lease")) == 1
    assert len(repo.find(search="cafe")) == 1  # diacritics folded
    assert len(repo.find(search="jane@example")) == 2
    assert len(repo.find(search='"); DROP TABLE requests; --')) == 0
    assert fts_query("  ") == '""'


def test_a_report_decided_on_an_old_reading_is_not_applied(repo: Requests) -> None:
    from app.store.records import ChangedMeanwhile

    request = make_request()
    repo.add(request, "key-cas")
    repo.apply_report(request.id, Report(status=Status.SENT, provider_id="p-1"))
    seen = repo.get(request.id)
    repo.recipient_event(request.id, 0, "viewed")  # another process, meanwhile
    with pytest.raises(ChangedMeanwhile):
        repo.apply_report(request.id, Report(status=Status.EXPIRED), expect_version=seen.version)
    assert repo.get(request.id).status == Status.SENT
    fresh = repo.get(request.id)
    assert fresh.version > seen.version
    assert (
        repo.apply_report(request.id, Report(status=Status.EXPIRED), expect_version=fresh.version)
        == Status.EXPIRED
    )


def test_a_state_change_expects_the_state_it_was_decided_on(repo: Requests) -> None:
    from app.store.records import StateConflict

    request = make_request()
    repo.add(request, "key-cas2")
    repo.apply_report(request.id, Report(status=Status.SENT))
    repo.set_status(request.id, Status.CANCELLED)
    with pytest.raises(StateConflict, match="already cancelled"):
        repo.set_status(request.id, Status.COMPLETED, expect=(Status.SENT, Status.VIEWED))
    kinds = [e.kind for e in repo.events(request.id)]
    assert "completed" not in kinds


def test_only_one_process_takes_a_pending_send(store: AnyStore, repo: Requests) -> None:
    request = make_request()
    repo.add(request, "key-cas3")
    assert store.outbox.start_sending(request.id, 111) is True
    assert store.outbox.start_sending(request.id, 222) is False
    assert store.outbox.owner_pid(request.id) == 111


def test_an_archive_folder_of_another_request_is_never_taken(tmp_path: Path) -> None:
    import json as _json

    from app.archive.folder import folder_for

    first = make_request("0193c2c3-aaaa-4aaa-8bbb-000000000001", "Lease")
    second = make_request("0193c2c3-bbbb-4aaa-8bbb-000000000002", "Lease")  # same 8 first
    moment = first.created_at
    taken = folder_for(tmp_path, first, moment)
    taken.mkdir(parents=True)
    (taken / "request.json").write_text(
        _json.dumps({"id": first.id, "files": {}}), encoding="utf-8"
    )
    assert folder_for(tmp_path, first, moment) == taken
    other = folder_for(tmp_path, second, moment)
    assert other != taken and other.name.endswith(second.id)


def test_a_transaction_spans_the_repositories(store: AnyStore) -> None:
    request = make_request()

    def fail_half_way() -> None:
        with store.transaction():
            store.requests.add(request, "key-t")
            store.outbox.start_sending(request.id, 111)
            store.archive.set_error(request.id, "the disk is full")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_half_way()
    assert not store.requests.exists(request.id)
    assert store.outbox.get(request.id) is None and store.outbox.request_for_key("key-t") is None
    assert store.search.count() == 0 and store.search.matches("charter") == []
    # The same calls without the failure are all kept.
    with store.transaction():
        store.requests.add(request, "key-t")
        store.outbox.start_sending(request.id, 111)
    assert store.outbox.request_for_key("key-t") == request.id
    assert store.outbox.owner_pid(request.id) == 111
    assert store.search.matches("charter") == [request.id]
