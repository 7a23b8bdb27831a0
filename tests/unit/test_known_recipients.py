"""Completions for recipients: people earlier requests went to, most recent first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.model import Recipient, Request, RequestSpec
from tests.support.stores import AnyStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def repo(store: AnyStore) -> AnyStore:
    return store


def add(
    repo: AnyStore, number: int, *people: tuple[str, str, str], at: datetime | None = None
) -> None:
    recipients = tuple(
        Recipient(first, last, email, order=i + 1) for i, (first, last, email) in enumerate(people)
    )
    spec = RequestSpec(name=f"Request {number}", recipients=recipients)
    request_id = f"0193c2c3-0000-4aaa-8bbb-{number:012d}"
    repo.requests.add(
        Request(
            id=request_id,
            provider="local",
            spec=spec,
            created_at=at or T0 + timedelta(hours=number),
        ),
        f"key-{number}",
    )


def test_an_empty_store_knows_nobody(repo: AnyStore) -> None:
    assert repo.known_recipients.recent() == []


def test_most_recent_first_one_entry_per_email_with_the_latest_name(repo: AnyStore) -> None:
    add(repo, 1, ("Jane", "Doe", "jane@example.com"), ("Bob", "Roe", "bob@example.com"))
    add(repo, 2, ("Ann", "Lee", "ann@example.com"))
    add(repo, 3, ("Janet", "Doe-Smith", "Jane@Example.com"))
    assert repo.known_recipients.recent() == [
        ("Janet", "Doe-Smith", "Jane@Example.com"),
        ("Ann", "Lee", "ann@example.com"),
        ("Bob", "Roe", "bob@example.com"),
    ]


def test_order_follows_creation_time_not_insertion(repo: AnyStore) -> None:
    add(repo, 1, ("Late", "One", "late@example.com"), at=T0 + timedelta(days=5))
    add(repo, 2, ("Early", "One", "early@example.com"), at=T0)
    assert [email for _, _, email in repo.known_recipients.recent()] == [
        "late@example.com",
        "early@example.com",
    ]


def test_same_time_ties_go_to_the_request_added_last_then_recipient_order(
    repo: AnyStore,
) -> None:
    add(repo, 1, ("A", "", "a@example.com"), at=T0)
    add(repo, 2, ("B", "", "b@example.com"), ("C", "", "c@example.com"), at=T0)
    assert [first for first, _, _ in repo.known_recipients.recent()] == ["B", "C", "A"]


def test_limit(repo: AnyStore) -> None:
    for n in range(1, 6):
        add(repo, n, (f"P{n}", "X", f"p{n}@example.com"))
    assert [first for first, _, _ in repo.known_recipients.recent(limit=2)] == ["P5", "P4"]
    assert repo.known_recipients.recent(limit=0) == []
    assert repo.known_recipients.recent(limit=-1) == []
    assert len(repo.known_recipients.recent()) == 5
