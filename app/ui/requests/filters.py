"""The requests place's filters: the status and date choices of the filter bar, and what the
list says when nothing is shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.domain.lifecycle import TERMINAL, Status

#: The status filter: its entries and the statuses each lets through ("In flight" is every
#: status that has not finished, including requests still queued or being confirmed).
STATUS_FILTERS: tuple[tuple[str, frozenset[Status]], ...] = (
    ("All", frozenset()),
    ("In flight", frozenset(Status) - TERMINAL),
    ("Completed", frozenset({Status.COMPLETED})),
    ("Declined", frozenset({Status.DECLINED})),
    ("Expired", frozenset({Status.EXPIRED})),
    ("Cancelled", frozenset({Status.CANCELLED})),
    ("Failed", frozenset({Status.FAILED})),
)

#: The date filter: its entries and how far back each goes (days; "year": since 1 January).
DATE_RANGES: tuple[tuple[str, int | str | None], ...] = (
    ("Any time", None),
    ("Last 7 days", 7),
    ("Last 30 days", 30),
    ("This year", "year"),
)

#: Whose requests: everyone's (every desk sharing the store), or only mine (created at this
#: desk by this person).
WHOSE_FILTERS: tuple[tuple[str, bool], ...] = (
    ("Everyone's", False),
    ("Mine", True),
)

EMPTY_STORE = "No requests yet: prepare a document and send it for signature."
NO_MATCH = "No request matches these filters."


def start_of_range(choice: int | str | None, moment: datetime) -> datetime | None:
    if choice is None:
        return None
    if choice == "year":
        local = moment.astimezone()
        return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    assert isinstance(choice, int)
    return moment - timedelta(days=choice)
