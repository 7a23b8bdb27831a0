"""The status lifecycle shared by every provider, as one table of allowed transitions.

``queued`` is Sealbox's own state for a request committed to the outbox but not yet accepted by
its provider; ``reconciling`` is a send whose outcome is unknown (the connection was lost after
the request left) and that ``sync`` resolves by asking the provider. From ``sent`` on, the states
are the ones DESIGN.md names. Terminal states cannot be left.
"""

from __future__ import annotations

from enum import StrEnum

from app.errors import UserError


class Status(StrEnum):
    QUEUED = "queued"
    RECONCILING = "reconciling"
    SENT = "sent"
    VIEWED = "viewed"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def in_flight(self) -> bool:
        return self in (Status.SENT, Status.VIEWED)


TERMINAL: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.DECLINED, Status.EXPIRED, Status.CANCELLED, Status.FAILED}
)

_ENDINGS = {Status.COMPLETED, Status.DECLINED, Status.EXPIRED, Status.CANCELLED, Status.FAILED}

#: From each state, the states it may move to. Staying in the same state is always allowed
#: (a refresh that finds nothing new) and is not listed.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset(
        {Status.SENT, Status.VIEWED, Status.RECONCILING, Status.FAILED} | _ENDINGS
    ),
    Status.RECONCILING: frozenset({Status.QUEUED, Status.SENT, Status.VIEWED} | _ENDINGS),
    Status.SENT: frozenset({Status.VIEWED} | _ENDINGS),
    Status.VIEWED: frozenset(_ENDINGS),
    **{state: frozenset() for state in TERMINAL},
}


class TransitionError(UserError):
    """A status change the lifecycle does not allow."""


def can_transition(current: Status, new: Status) -> bool:
    return current == new or new in TRANSITIONS[current]


def check_transition(current: Status, new: Status) -> None:
    if not can_transition(current, new):
        if current.terminal:
            raise TransitionError(
                f"The request is already {current.value} and cannot become {new.value}: "
                "a finished request cannot change any more."
            )
        raise TransitionError(f"A request that is {current.value} cannot become {new.value}.")


def merge_status(current: Status, reported: Status) -> Status:
    """The status to keep when a provider reports ``reported`` for a request now ``current``.

    A report that would go backwards (``sent`` after ``viewed``, from a stale poll or a late
    webhook) keeps the current state instead of failing.
    """
    if can_transition(current, reported):
        return reported
    return current
