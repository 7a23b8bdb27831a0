"""The repositories the other store tests reach only through the services (runs, the archive
index, verifications, the outbox's states, webhook deliveries), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.lifecycle import Status
from app.errors import NotFoundError, UserError
from app.store.records import ArchivedFile
from app.store.runs import NewRow, Run
from tests.support.stores import AnyStore
from tests.unit.test_store import make_request

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_a_run_its_rows_and_their_requests(store: AnyStore) -> None:
    run = Run(
        "5e1f00aa-run",
        "Leases",
        "local",
        None,
        {"name": "L"},
        "l.pdf",
        "c" * 64,
        "s",
        "running",
        T0,
    )
    rows = [
        NewRow(1, {"recipients": [{"email": "a@example.com"}]}, "row-1"),
        NewRow(2, {"recipients": []}, "row-2", problem="no email"),
        NewRow(3, {}, "row-3"),
    ]
    store.runs.add(run, rows)
    assert store.runs.resolve_id("5e1f") == run.id
    with pytest.raises(NotFoundError):
        store.runs.resolve_id("ffff")
    with pytest.raises(UserError):
        store.runs.resolve_id("5e")
    assert store.runs.get("5e1f00").name == "Leases" and store.runs.ids_in_state("running") == [
        run.id
    ]
    assert [(r.number, r.state, r.problem) for r in store.runs.rows(run.id)] == [
        (1, "waiting", None),
        (2, "skipped", "no email"),
        (3, "waiting", None),
    ]
    request = make_request()
    store.requests.add(request, "row-1")
    store.runs.link(run.id, 1, request.id)
    assert store.runs.request_for_key("row-1") == request.id
    assert store.runs.row(run.id, 1).request_id == request.id
    assert store.runs.request_ids(run.id) == [request.id]
    assert store.runs.run_of(request.id) == (run.id, 1)
    store.runs.refuse_row(run.id, 3, "the sheet changed")
    assert store.runs.row(run.id, 3).problem == "the sheet changed"
    assert store.runs.counts(run.id) == {"queued": 1, "skipped": 2}
    assert store.runs.cancel(run.id) == 0
    assert store.runs.state(run.id) == "cancelled" and [r.id for r in store.runs.all()] == [run.id]


def test_the_archive_index(store: AnyStore) -> None:
    first, second = make_request(), make_request("0193c2c3-2222-4aaa-8bbb-000000000003")
    for n, r in enumerate((first, second)):
        store.requests.add(r, f"k{n}")
    store.requests.set_status(first.id, Status.SENT)
    store.requests.set_status(first.id, Status.COMPLETED)
    store.requests.set_status(second.id, Status.SENT)
    store.requests.set_status(second.id, Status.COMPLETED)
    assert store.archive.completed_unarchived() == [first.id, second.id]
    store.archive.set_error(first.id, "the download failed its checks")
    assert store.requests.get(first.id).archive_error == "the download failed its checks"
    files = [
        ArchivedFile("certificate", "c.pdf", "1" * 64, 10, T0),
        ArchivedFile("signed", "s.pdf", "2" * 64, 5_000_000_000, T0 + timedelta(seconds=1)),
    ]
    store.archive.record(first.id, "2026/04/Charter", files, "words")
    assert store.archive.files(first.id) == files
    assert store.archive.folder(first.id) == "2026/04/Charter"
    assert store.requests.get(first.id).archive_error is None
    store.archive.record(second.id, "2026/04/Other", files[:1], None)
    assert store.archive.archived_ids() == [first.id, second.id]
    assert store.archive.completed_unarchived() == []
    assert store.archive.any_archived_from(["local"]) and not store.archive.any_archived_from([])
    store.archive.forget_missing({second.id})
    assert store.archive.archived_ids() == [second.id] and store.archive.folder(first.id) is None


def test_verifications_are_kept_replaced_and_forgotten(store: AnyStore) -> None:
    store.verifications.record("r1", "valid", "CN=Seal", "Signature valid", T0)
    store.verifications.record("r2", "modified", None, "Changed after signing", T0)
    store.verifications.record("r1", "untrusted", "CN=Other", "Signer not trusted", T0)
    kept = store.verifications.all()
    assert kept["r1"].state == "untrusted" and kept["r1"].checked_at == T0
    store.verifications.forget(["r1"])
    assert list(store.verifications.all()) == ["r2"]
    store.verifications.forget()
    assert store.verifications.all() == {}


def test_the_outbox_states(store: AnyStore) -> None:
    request = make_request()
    store.requests.add(request, "key-o")
    assert store.outbox.start_sending(request.id, 77)
    store.outbox.mark_failed(request.id, "timeout", final=False)
    assert store.outbox.in_state("pending")[0].last_error == "timeout"
    assert store.outbox.start_sending(request.id, 78)
    store.outbox.mark_reconciling(request.id, "no answer")
    assert store.requests.get(request.id).status == Status.RECONCILING
    store.outbox.requeue(request.id, "the provider does not have it")
    assert store.requests.get(request.id).status == Status.QUEUED
    assert store.outbox.get(request.id) is not None
    assert store.outbox.start_sending(request.id, 79)
    store.outbox.mark_failed(request.id, "refused", final=True)
    assert store.requests.get(request.id).status == Status.FAILED
    assert [i.request_id for i in store.outbox.in_state("failed")] == [request.id]


def test_a_webhook_delivery_is_handled_once(store: AnyStore) -> None:
    assert store.webhook_deliveries.first_delivery("saypdf", "d-1")
    assert not store.webhook_deliveries.first_delivery("saypdf", "d-1")
    assert store.webhook_deliveries.first_delivery("craftkit", "d-1")
