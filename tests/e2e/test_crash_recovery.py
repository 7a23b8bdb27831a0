"""A process killed at any point of a send or a seal: ``sync`` finishes it, exactly once, and no
partial file is left behind."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.faults import CRASH_EXIT_CODE
from tests.conftest import run_sealbox
from tests.e2e.test_bad_input import SPEC


def requests_in(home: Path) -> list[tuple[str, str]]:
    db = home / "data" / "sealbox.db"
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute("SELECT id, status FROM requests"))
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def stray_files(home: Path) -> list[str]:
    """Temporary, staging or orphaned files anywhere under the home."""
    out = []
    known = {rid for rid, _ in requests_in(home)}
    for path in home.rglob("*"):
        name = path.name
        if name.endswith(".part") or name.startswith(".pending-") or ".staging" in path.parts:
            out.append(str(path.relative_to(home)))
        if path.parent.name == "documents" and path.stem not in known:
            out.append(str(path.relative_to(home)))
    return out


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    import pymupdf

    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return pdf, spec


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "committed"),
    [
        ("before-outbox", False),
        ("after-copy", False),
        ("after-outbox", True),
        ("after-provider", True),
    ],
)
def test_send_killed(point: str, committed: bool, home: Path, inputs: tuple[Path, Path]) -> None:
    pdf, spec = inputs
    send = ("send", str(pdf), "--spec", str(spec), "--idempotency-key", "lease-1")
    killed = run_sealbox(*send, env_extra={"SEALBOX_CRASH_AT": point})
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    assert len(requests_in(home)) == (1 if committed else 0)

    synced = run_sealbox("sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert stray_files(home) == []
    if committed:
        assert [s for _, s in requests_in(home)] == ["sent"]
        assert json.loads(synced.stdout)["delivered"] == [requests_in(home)[0][0]]

    # The user runs the same send again: still exactly one request.
    again = run_sealbox(*send, "--json")
    assert again.returncode == 0, again.stderr
    assert len(requests_in(home)) == 1
    assert json.loads(again.stdout)["status"] == "sent"
    assert stray_files(home) == []


@pytest.mark.slow
@pytest.mark.parametrize("point", ["during-sealing", "during-archive"])
def test_seal_killed(point: str, home: Path, inputs: tuple[Path, Path]) -> None:
    pdf, spec = inputs
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    rid = json.loads(sent.stdout)["id"]
    killed = run_sealbox(
        "sign",
        rid,
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        env_extra={"SEALBOX_CRASH_AT": point},
    )
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr

    synced = run_sealbox("sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert requests_in(home) == [(rid, "completed")]
    assert stray_files(home) == []
    folders = [p.parent for p in (home / "archive").rglob("request.json")]
    assert len(folders) == 1
    assert sorted(p.name for p in folders[0].iterdir()) == [
        "Lease-certificate.pdf",
        "Lease-signed.pdf",
        "request.json",
    ]
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # Signing again is refused: the request is finished.
    again = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert again.returncode == 1 and "already completed" in again.stderr
