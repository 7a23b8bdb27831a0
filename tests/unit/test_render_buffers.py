"""The render process's shared buffers: reused for the next page, trimmed to a budget."""

from __future__ import annotations

import os

import pytest

from app.pdf.render import SLOT_STEP, _create_shared, _open_shared, _Slots, row_bytes


def close(handle: int | str | None) -> None:
    if isinstance(handle, int):
        os.close(handle)


def test_a_buffer_let_go_is_drawn_into_again() -> None:
    slots = _Slots()
    first, slot, handle = slots.take(3 * SLOT_STEP + 5)
    assert handle is not None and slot.size == 4 * SLOT_STEP  # rounded up to a step
    close(handle)
    slot.memory[:3] = b"abc"  # shared memory, as MuPDF draws into it
    slots.release([first])
    again, same, handle = slots.take(3 * SLOT_STEP)
    assert (again, handle) == (first, None) and same.memory[:3] == b"abc"
    # Not for an image far smaller than the buffer (it would keep too much memory busy).
    slots.release([again])
    small, _, handle = slots.take(SLOT_STEP)
    assert small != first and handle is not None
    close(handle)


def test_buffers_let_go_beyond_the_budget_are_dropped_oldest_first() -> None:
    slots = _Slots()
    made = []
    for _ in range(4):
        slot_id, _, handle = slots.take(SLOT_STEP)
        close(handle)
        made.append(slot_id)
    slots.release(made)
    assert slots.trim(budget=2 * SLOT_STEP) == made[:2]
    assert sorted(slots.slots) == made[2:] and list(slots.free) == made[2:]
    assert slots.trim(budget=2 * SLOT_STEP) == []


def test_rows_are_three_bytes_a_pixel_aligned_to_four() -> None:
    assert [row_bytes(w) for w in (1, 2, 4, 5, 816)] == [4, 8, 12, 16, 2448]


def test_shared_memory_without_memfd_is_an_anonymous_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where there is no memfd (macOS), the buffer is an unlinked temporary file: the same
    memory seen by both ends."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    memory, handle = _create_shared(2 * SLOT_STEP, "sealbox-test")
    assert isinstance(handle, int)
    other = _open_shared(os.dup(handle), 2 * SLOT_STEP)
    os.close(handle)
    memory[10:13] = b"RGB"
    assert other[10:13] == b"RGB"
    memory.close()
    other.close()
