"""A send belongs to the desk that made it: another desk's sync leaves it alone.

Two desks (a Sealbox home each, so a data folder and lock files each) share one PostgreSQL
store. A request's working copy is in the data folder of the desk that sent it; a sync at the
other desk finds the request in the shared outbox, sending or waiting to be sent, and must leave
it to that desk, not judge it cut off, send it again or mark it failed for a document it does not
have. The desk that made it then finishes it, and the provider has it once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.faults import CRASH_EXIT_CODE
from tests.conftest import run_sealbox, start_sealbox, wait_for_files
from tests.e2e.test_bad_input import SPEC
from tests.support.desks import store_address


class Desk:
    def __init__(self, root: Path, name: str, address: str, secrets: dict[str, str]) -> None:
        self.home = root / name
        self.home.mkdir()
        self.env = {"SEALBOX_HOME": str(self.home), "SEALBOX_DATABASE_URL": address, **secrets}

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_sealbox(*args, env_extra={**self.env, **extra})

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, (done.stdout, done.stderr)
        return json.loads(done.stdout)


@pytest.fixture
def desks(pg_url: str, tmp_path: Path) -> tuple[Desk, Desk, list[str]]:
    address, secrets = store_address(pg_url)
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    send = ["send", str(pdf), "--spec", str(spec), "--json"]
    return (
        Desk(tmp_path, "desk-a", address, secrets),
        Desk(tmp_path, "desk-b", address, secrets),
        send,
    )


def test_a_send_under_way_at_one_desk_is_left_to_it_by_another_desks_sync(
    desks: tuple[Desk, Desk, list[str]], tmp_path: Path
) -> None:
    a, b, send = desks
    reached = tmp_path / "reached"
    reached.mkdir()
    sending = start_sealbox(
        *send,
        env_extra={
            **a.env,
            "SEALBOX_REACHED_DIR": str(reached),
            "SEALBOX_PAUSE_AT": "send-calling",
        },
    )
    try:
        wait_for_files(reached, "send-calling", 1)  # desk A is about to call the provider
        [row] = b.json("list")["signatures"]
        synced = b.json("sync")
        assert synced["errors"] == {} and synced["delivered"] == []
        assert "was sent by" in synced["leftInFlight"][row["id"]]
        assert "its document is on that computer" in synced["leftInFlight"][row["id"]]
    finally:
        os.kill(sending.pid, signal.SIGCONT)
    out, err = sending.communicate(timeout=120)
    assert sending.returncode == 0, err
    assert json.loads(out)["status"] == "sent"
    shown = b.json("show", row["id"])
    assert shown["status"] == "sent" and shown["errorMessage"] is None
    assert b.json("sync")["leftInFlight"] == {}


def test_a_send_waiting_at_one_desk_is_not_failed_by_another_and_goes_from_its_own(
    desks: tuple[Desk, Desk, list[str]],
) -> None:
    a, b, send = desks
    # Desk A committed the request and ended before sending it (as when it lost the network).
    cut = a.run(*send, SEALBOX_CRASH_AT="after-outbox")
    assert cut.returncode == CRASH_EXIT_CODE, cut.stderr
    [row] = b.json("list")["signatures"]
    assert row["status"] == "queued"

    synced = b.run("sync", "--json")
    assert synced.returncode == 0, synced.stderr
    answer = json.loads(synced.stdout)
    assert answer["delivered"] == [] and answer["errors"] == {}
    assert "Sealbox sends it" in answer["leftInFlight"][row["id"]]
    assert b.json("show", row["id"])["status"] == "queued"  # not failed

    assert a.json("sync")["delivered"] == [row["id"]]
    assert b.json("show", row["id"])["status"] == "sent"
