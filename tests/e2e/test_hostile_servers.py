"""Hostile provider servers, through the real ``sealbox`` command: a server that trickles its
answer a byte at a time (create, status, download, slow headers) and one whose error message is
10 MB. Each command ends in about its deadline (small ones are set through the environment, as
a user's ``[network]`` settings would), exits 3 naming the host, and keeps nothing huge."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import run_sealbox
from tests.fakes.base import json_response
from tests.fakes.craftkit import CraftkitFake
from tests.fakes.trickle import TrickleProxy

SPEC = {
    "name": "Charter BK-881",
    "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
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
#: Deadlines small enough for a test: one second for a call and for a transfer.
FAST = {
    "SEALBOX_NETWORK_DEADLINE_S": "1",
    "SEALBOX_NETWORK_LONG_DEADLINE_S": "1",
    "SEALBOX_NETWORK_TRANSFER_BASE_S": "1",
    "SEALBOX_NETWORK_TRANSFER_MIN_RATE": "1000000000",
}
#: A command must end well within this (its deadline is 1 s; starting Python takes ~1-2 s).
PROMPT = 15.0


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


@pytest.fixture
def proxy(fake: CraftkitFake) -> Iterator[TrickleProxy]:
    with TrickleProxy(fake.url) as server:
        yield server


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "charter.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Charter agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return pdf, spec


def env_for(fake: CraftkitFake, proxy: TrickleProxy) -> dict[str, str]:
    return {**fake.env(), "SEALBOX_CRAFTKIT_BASE_URL": proxy.url, **FAST}


def timed(*args: str, env: dict[str, str]) -> tuple[float, int, str, str]:
    started = time.monotonic()
    result = run_sealbox(*args, env_extra=env, timeout=60)
    return time.monotonic() - started, result.returncode, result.stdout, result.stderr


def send(fake: CraftkitFake, files: tuple[Path, Path], env: dict[str, str]) -> dict[str, object]:
    pdf, spec = files
    render = fake.add_render(pdf.read_bytes())
    result = run_sealbox(
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        render,
        "--json",
        env_extra=env,
    )
    assert result.returncode == 0, result.stderr
    sent: dict[str, object] = json.loads(result.stdout)
    return sent


def test_a_trickled_create_ends_at_its_deadline_and_is_sent_once_later(
    home: Path, fake: CraftkitFake, proxy: TrickleProxy, files: tuple[Path, Path]
) -> None:
    env = env_for(fake, proxy)
    pdf, spec = files
    render = fake.add_render(pdf.read_bytes())
    proxy.trickle("POST", "/v1/signatures")
    took, code, out, err = timed(
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        render,
        env=env,
    )
    assert code == 3, err
    assert took < PROMPT
    assert proxy.trickled == ["/v1/signatures"]
    assert err.startswith("sealbox: 127.0.0.1 did not answer within 1 s")
    assert err.count("\n") == 1
    # Craftkit had created it; the same idempotency key makes the next sync get that one back.
    took, code, out, err = timed("sync", "--json", env=env)
    assert code == 0, err
    assert len(json.loads(out)["delivered"]) == 1
    assert len(fake.envelope_ids()) == 1


@pytest.mark.parametrize("slow_headers", [False, True], ids=["slow body", "slow headers"])
def test_a_trickled_status_ends_at_its_deadline(
    slow_headers: bool,
    home: Path,
    fake: CraftkitFake,
    proxy: TrickleProxy,
    files: tuple[Path, Path],
) -> None:
    env = env_for(fake, proxy)
    sent = send(fake, files, env)
    proxy.trickle("GET", f"/v1/signatures/{sent['providerId']}", headers=slow_headers)
    took, code, _, err = timed("show", str(sent["id"]), "--refresh", env=env)
    assert code == 3, err
    assert took < PROMPT
    assert "127.0.0.1 did not answer within 1 s" in err
    assert proxy.trickled


def test_a_trickled_download_ends_at_its_deadline_and_keeps_nothing(
    home: Path, fake: CraftkitFake, proxy: TrickleProxy, files: tuple[Path, Path]
) -> None:
    env = env_for(fake, proxy)
    sent = send(fake, files, env)
    fake.advance(str(sent["providerId"]), "completed")
    proxy.trickle("GET", f"/v1/signatures/{sent['providerId']}/download", chunk=64, count=2)
    # sync refreshes it (completed), then its download trickles: reported, exit 3.
    took, code, _, err = timed("sync", env=env)
    assert code == 3, err
    assert took < PROMPT
    assert "127.0.0.1 did not send the download within 1.0 s" in err
    took, code, _, err = timed("download", str(sent["id"]), env=env)
    assert code == 3, err
    assert took < PROMPT
    assert err.startswith("sealbox: 127.0.0.1 did not send the download within 1.0 s")
    assert len(proxy.trickled) == 2
    archive = home / "archive"
    assert not [p for p in archive.rglob("*") if p.is_file()] if archive.exists() else True
    # Nothing trickles any more: the same command now archives it.
    _, code, _, err = timed("download", str(sent["id"]), env=env)
    assert code == 0, err


@pytest.mark.parametrize("where", ["message", "issues"])
def test_a_ten_megabyte_error_message_is_cut_everywhere(
    where: str, home: Path, fake: CraftkitFake, files: tuple[Path, Path]
) -> None:
    env = {**fake.env(), **FAST}
    pdf, spec = files
    render = fake.add_render(pdf.read_bytes())
    huge = "The field is invalid because " + "x" * (10 * 1024 * 1024)
    error: dict[str, object] = {"code": "validation_error", "message": huge}
    if where == "issues":
        error = {
            "code": "validation_error",
            "message": "Invalid",
            "issues": [{"path": f"fields.{i}", "message": huge[:1_000_000]} for i in range(12)],
        }
    fake.fail_next("POST", "/v1/signatures", json_response(400, {"error": error}))
    result = run_sealbox(
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        render,
        env_extra=env,
    )
    assert result.returncode == 1
    assert "Craftkit refused the request as invalid" in result.stderr
    assert "[cut, " in result.stderr
    assert len(result.stderr.encode()) < 16_000
    assert result.stderr.count("\n") == 1

    data = home / "data"
    stored = sum(p.stat().st_size for p in data.glob("sealbox.db*"))
    assert stored < 1_000_000, stored
    logs = sum(p.stat().st_size for p in (data / "logs").iterdir())
    assert logs < 100_000, logs
    conn = sqlite3.connect(data / "sealbox.db")
    try:
        texts = [r[0] for r in conn.execute("SELECT error_message FROM requests")]
        texts += [r[0] for r in conn.execute("SELECT last_error FROM outbox")]
        texts += [r[0] for r in conn.execute("SELECT detail FROM events WHERE detail IS NOT NULL")]
    finally:
        conn.close()
    long = [t for t in texts if t and "invalid because" in t]
    assert len(long) >= 3  # the request, the outbox and the history each keep it, cut
    assert all(len(t) <= 4100 and "[cut, " in t for t in long)


def test_a_ten_megabyte_status_message_is_cut_in_the_store(
    home: Path, fake: CraftkitFake, files: tuple[Path, Path]
) -> None:
    """A sibling: the message comes in a successful status answer, not an error."""
    env = {**fake.env(), **FAST}
    sent = send(fake, files, env)
    envelope = str(sent["providerId"])
    fake.advance(envelope, "declined")
    with fake.lock:
        # The reason, in the answer and in the payload the history keeps.
        fake.signatures[envelope]["errorMessage"] = "Declined: " + "z" * (10 * 1024 * 1024)
    result = run_sealbox("sync", env_extra=env)
    assert result.returncode == 0, result.stderr
    shown = run_sealbox("show", str(sent["id"]), env_extra=env)
    assert shown.returncode == 0
    assert "[cut, " in shown.stdout
    assert len(shown.stdout.encode()) < 16_000
    stored = sum(p.stat().st_size for p in (home / "data").glob("sealbox.db*"))
    assert stored < 1_000_000, stored
