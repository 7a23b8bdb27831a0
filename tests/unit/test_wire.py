"""The one reader of provider JSON, and the one matcher of signers to recipients."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from app.domain.model import Recipient, RequestSpec
from app.providers.errors import BadResponseError
from app.providers.wire import Answer, match_recipients

ANSWER = Answer("Acme")


def spec(*emails: str) -> RequestSpec:
    return RequestSpec(
        name="Lease",
        recipients=tuple(
            Recipient(f"R{i}", "Doe", email, order=i + 1) for i, email in enumerate(emails)
        ),
    )


ABC = spec("a@example.com", "b@example.com", "c@example.com")


@pytest.mark.parametrize(
    ("emails", "expected"),
    [
        # By email, whatever the provider's order, case and spaces.
        (["C@EXAMPLE.com ", "a@example.com", "b@example.com"], [2, 0, 1]),
        # Then by position where that recipient is free.
        ([None, "b@example.com", None], [0, 1, 2]),
        (["someone@else.example", "a@example.com", "c@example.com"], [1, 0, 2]),
        # Then the remaining ones in order, when as many are left on each side: the first signer's
        # email was rewritten, and its place taken by another's email.
        (["rewritten@example.com", "a@example.com", "x@example.com"], [1, 0, 2]),
        (["b@example.com", "rewritten@example.com", "c@example.com"], [1, 0, 2]),
        # A signer more than the spec has is not reported.
        (["a@example.com", "b@example.com", "c@example.com", "d@example.com"], [0, 1, 2, None]),
    ],
)
def test_signers_are_matched_by_email_then_position_then_in_order(
    emails: list[str | None], expected: list[int | None]
) -> None:
    assert match_recipients(emails, ABC) == expected


def test_one_email_twice_in_the_spec_is_taken_once_by_each_signer() -> None:
    assert match_recipients(["a@example.com"] * 2, spec("a@example.com", "a@example.com")) == [0, 1]


def test_positions_are_those_of_the_order_the_recipients_were_sent_in() -> None:
    # Sent C, A, B (their signing order): the provider's second signer is A.
    assert match_recipients([None, None, None], ABC, sent_order=[2, 0, 1]) == [2, 0, 1]
    # B by email; the second signer is in A's place; the third's (B's) is taken: C is left.
    assert match_recipients(["b@example.com", None, None], ABC, [2, 0, 1]) == [1, 0, 2]


def test_an_answer_is_read_strictly() -> None:
    obj = {"id": 7, "name": "x", "at": "2026-06-05T10:00:00", "empty": " ", "list": [{"a": 1}]}
    assert ANSWER.identifier(obj, "id", "a thing") == "7"
    assert ANSWER.text(obj, "name", "a thing") == "x"
    assert ANSWER.optional(obj, "missing", "a thing") is None
    assert ANSWER.time(obj, "at", "a thing") == datetime(2026, 6, 5, 10, tzinfo=UTC)
    assert ANSWER.time(obj, "missing", "a thing") is None
    assert ANSWER.objects(obj, "list", "a thing") == [{"a": 1}]
    assert ANSWER.objects(obj, "missing", "a thing") == []
    assert ANSWER.one_of({"ok": 1}, "ok", "state") == 1


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (
            lambda: ANSWER.object([], "the answer"),
            "Acme answered with the answer that is not an object: try again later.",
        ),
        (lambda: ANSWER.text({}, "id", "a thing"), "a thing without id"),
        (lambda: ANSWER.text({"id": " "}, "id", "a thing"), "a thing with an empty id"),
        (lambda: ANSWER.optional({"id": 3.5}, "id", "a thing"), "a thing whose id is not text"),
        (lambda: ANSWER.time({"at": "soon"}, "at", "a thing"), "whose at is not a time ('soon')"),
        (lambda: ANSWER.objects({"l": {}}, "l", "a thing"), "a thing whose l is not a list"),
        (lambda: ANSWER.objects({"l": [1]}, "l", "a thing"), "an entry of l that is not an object"),
        (lambda: ANSWER.flag({"f": "yes"}, "f", "a thing"), "whose f is not true or false"),
        (lambda: ANSWER.one_of({"ok": 1}, "gone", "state"), "an unknown state 'gone'"),
    ],
)
def test_anything_off_is_a_bad_response_that_says_what(
    read: Callable[[], object], message: str
) -> None:
    with pytest.raises(BadResponseError, match=re.escape(message)):
        read()


def test_a_provider_may_name_its_own_fix() -> None:
    error = Answer("Acme", "check the request on Acme").bad("a riddle")
    assert error.message == "Acme answered with a riddle: check the request on Acme."
