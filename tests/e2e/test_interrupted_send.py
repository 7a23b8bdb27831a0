"""A send cut off by a crash is judged by the OS lock its process held, not by its process id."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from tests.conftest import run_sealbox, start_sealbox
from tests.fakes.craftkit import CraftkitFake


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


def send_args(fake: CraftkitFake, tmp_path: Path) -> list[str]:
    pdf = tmp_path / "agreement.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Service agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Service agreement",
                "recipients": [
                    {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
                ],
                "fields": [
                    {
                        "recipientIndex": 0,
                        "type": "signature",
                        "page": 1,
                        "x": 72,
                        "y": 600,
                        "width": 180,
                        "height": 48,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return [
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        fake.add_render(pdf.read_bytes()),
    ]


def only_request(fake: CraftkitFake) -> dict[str, Any]:
    listed = run_sealbox("list", "--json", env_extra=fake.env())
    assert listed.returncode == 0, listed.stderr
    requests: list[dict[str, Any]] = json.loads(listed.stdout)["signatures"]
    assert len(requests) == 1
    return requests[0]


@pytest.mark.slow
def test_sync_right_after_a_killed_send_reconciles_it(
    home: Path, tmp_path: Path, fake: CraftkitFake
) -> None:
    hold = fake.hold_next("POST", "/v1/signatures")
    sender = start_sealbox(*send_args(fake, tmp_path), env_extra=fake.env())
    try:
        assert hold.arrived.wait(60), "the create never reached the provider"
        os.kill(sender.pid, signal.SIGKILL)  # not reaped: its pid still answers kill(pid, 0)
        assert only_request(fake)["status"] == "queued"

        synced = run_sealbox("sync", "--json", env_extra=fake.env())
        assert synced.returncode == 0, synced.stderr
        result = json.loads(synced.stdout)
        shown = only_request(fake)
        assert result["delivered"] == [shown["id"]]
        assert result["leftInFlight"] == {}
        # Sent again with the same idempotency key: Craftkit returned the original.
        assert shown["status"] == "sent"
        assert shown["providerId"] == fake.envelope_ids()[0]
        assert len(fake.envelope_ids()) == 1
        keys = {r.header("idempotency-key") for r in fake.requests_to("POST", "/v1/signatures")}
        assert len(keys) == 1
    finally:
        hold.release.set()
        sender.communicate()


@pytest.mark.slow
def test_sync_says_which_send_it_left_to_a_live_sender(
    home: Path, tmp_path: Path, fake: CraftkitFake
) -> None:
    hold = fake.hold_next("POST", "/v1/signatures")
    sender = start_sealbox(*send_args(fake, tmp_path), env_extra=fake.env())
    try:
        assert hold.arrived.wait(60), "the create never reached the provider"
        rid = only_request(fake)["id"]

        synced = run_sealbox("sync", "--json", env_extra=fake.env())
        assert synced.returncode == 0, synced.stderr
        left = json.loads(synced.stdout)["leftInFlight"]
        assert list(left) == [rid]
        assert f"process {sender.pid}" in left[rid] and "sending it right now" in left[rid]

        text = run_sealbox("sync", env_extra=fake.env())
        assert text.returncode == 0, text.stderr
        assert (
            f"{rid[:8]} left in flight: another Sealbox (process {sender.pid}) is sending "
            "it right now" in text.stdout
        )
        assert only_request(fake)["status"] == "queued"
    finally:
        hold.release.set()
        _, err = sender.communicate(timeout=120)
    assert sender.returncode == 0, err
    assert only_request(fake)["status"] == "sent"
    assert len(fake.envelope_ids()) == 1


def test_a_working_copy_is_its_senders_while_the_sender_holds_its_lock(home: Path) -> None:
    from app.config import resolve_paths
    from app.oslock import try_lock

    paths = resolve_paths({"SEALBOX_HOME": str(home)})
    paths.documents_dir.mkdir(parents=True)
    # Two copies of sends not committed yet, both named with a live process id (this one's):
    # one whose sender holds its lock (still at work), one whose sender is gone (a reused pid).
    live, dead = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    copies = {
        rid: paths.documents_dir / f".pending-{os.getpid()}-{rid}.pdf" for rid in (live, dead)
    }
    for path in copies.values():
        path.write_bytes(b"%PDF-1.7\n")
    held = try_lock(paths.lock("send", live))
    assert held is not None
    try:
        synced = run_sealbox("sync", "--json")
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout)["cleaned"] == 1
        assert copies[live].exists()
        assert not copies[dead].exists()
    finally:
        held.release(remove=True)
