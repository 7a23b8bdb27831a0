"""Leases and who did what, on SQLite and on PostgreSQL (the ``store`` fixture runs each test on
both): a lease is claimed by one holder at a time with one atomic statement, renewed, released,
and taken over once it has expired; events and requests record the desk and person; "Mine"."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.domain.model import Recipient, Request, RequestSpec
from app.store.actor import Actor, current_actor, set_actor
from app.store.records import RequestFilter
from tests.support.stores import AnyStore

JANE = Actor(desk="DESK-4", user="jane", name="Jane Doe")
BOB = Actor(desk="FRONT-DESK", user="bob", name=None)


@pytest.fixture(autouse=True)
def _actor_restored() -> Iterator[None]:
    before = current_actor()
    yield
    set_actor(before)


def test_one_holder_at_a_time_and_an_expired_lease_is_taken_over(store: AnyStore) -> None:
    leases = store.leases
    assert leases.claim("r1", "desk A pid 1", 60)
    assert not leases.claim("r1", "desk B pid 2", 60)  # held: refused, nothing changed
    lease = leases.get("r1")
    assert lease is not None and lease.holder == "desk A pid 1" and not lease.expired
    assert leases.claim("r1", "desk A pid 1", 60)  # its own: claimed again (renewed)
    assert not leases.renew("r1", "desk B pid 2", 60)
    assert leases.renew("r1", "desk A pid 1", 60)

    assert leases.claim("r2", "desk A pid 1", 0.001)
    deadline = time.monotonic() + 5
    while not (lease := leases.get("r2")) or not lease.expired:  # a millisecond's lease
        assert time.monotonic() < deadline
    assert leases.claim("r2", "desk B pid 2", 60)  # expired: taken over
    assert not leases.renew("r2", "desk A pid 1", 60)  # the dead holder's is gone
    leases.release("r2", "desk A pid 1")  # not its lease any more: nothing happens
    assert [x.holder for x in leases.held()] == ["desk A pid 1", "desk B pid 2"]
    leases.release("r2", "desk B pid 2")
    assert leases.get("r2") is None
    assert leases.claim("r2", "desk A pid 1", 60)


def _request(rid: str, name: str) -> Request:
    spec = RequestSpec(
        name=name, recipients=(Recipient(first_name="Ann", last_name="Lee", email="a@b.co"),)
    )
    return Request(id=rid, provider="local", spec=spec, document_name="a.pdf")


def test_events_and_requests_say_who_and_mine_is_this_desks(store: AnyStore) -> None:
    set_actor(JANE)
    store.requests.add(_request("00000000-0000-4000-8000-000000000001", "Jane's"), "k1")
    set_actor(BOB)
    store.requests.add(_request("00000000-0000-4000-8000-000000000002", "Bob's"), "k2")
    store.requests.add_event("00000000-0000-4000-8000-000000000001", "note", "seen by Bob")

    events = store.requests.events("00000000-0000-4000-8000-000000000001")
    assert [(e.desk, e.user, e.person) for e in events] == [
        ("DESK-4", "jane", "Jane Doe"),
        ("FRONT-DESK", "bob", None),
    ]
    assert [e.doer for e in events] == ["Jane Doe (jane on DESK-4)", "bob on FRONT-DESK"]

    mine = RequestFilter(mine=("DESK-4", "jane"))
    assert not mine.is_empty
    assert [r.name for r in store.search.page(mine, 0, 10)] == ["Jane's"]
    assert store.search.count(mine) == 1
    assert store.search.count(RequestFilter()) == 2
    assert [r.name for r in store.search.page(RequestFilter(mine=("DESK-4", "bob")), 0, 10)] == []
    found = store.requests.find(mine=("FRONT-DESK", "bob"))
    assert [r.name for r in found] == ["Bob's"]
    searched = RequestFilter(mine=("FRONT-DESK", "bob"), search="Ann")
    assert [r.name for r in store.search.page(searched, 0, 10)] == ["Bob's"]


def test_a_batch_is_claimed_renewed_and_released_together(store: AnyStore) -> None:
    leases = store.leases
    assert leases.claim("r2", "desk B pid 2", 60)
    assert leases.claim_many(["r1", "r2", "r3"], "desk A pid 1", 60) == ["r1", "r3"]
    before = {x.request_id: x.expires_at for x in leases.held()}
    assert leases.renew_many(["r1", "r2", "r3"], "desk A pid 1", 120) == 2
    after = {x.request_id: x.expires_at for x in leases.held()}
    assert after["r1"] > before["r1"] and after["r2"] == before["r2"]
    leases.release_many(["r1", "r2", "r3"], "desk A pid 1")
    assert [(x.request_id, x.holder) for x in leases.held()] == [("r2", "desk B pid 2")]
    assert leases.renew_many([], "desk A pid 1", 60) == 0
    leases.release_many([], "desk A pid 1")
