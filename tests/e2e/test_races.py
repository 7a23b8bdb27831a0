"""Commands that race for the same request: exactly one wins, the others say why and exit 1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_sealbox, start_sealbox, wait_for_files
from tests.e2e.test_crash_recovery import inputs  # noqa: F401  (fixture)


@pytest.fixture
def sent(home: Path, inputs: tuple[Path, Path]) -> str:  # noqa: F811
    pdf, spec = inputs
    result = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    assert result.returncode == 0, result.stderr
    rid: str = json.loads(result.stdout)["id"]
    return rid


@pytest.fixture
def write_lock(home: Path) -> Iterator[sqlite3.Connection]:
    """The store's write lock, held by the test until it commits."""
    conn = sqlite3.connect(home / "data" / "sealbox.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
        conn.close()


def events(home: Path, rid: str) -> list[str]:
    conn = sqlite3.connect(home / "data" / "sealbox.db")
    try:
        return [
            r[0]
            for r in conn.execute("SELECT kind FROM events WHERE request_id = ? ORDER BY id", [rid])
        ]
    finally:
        conn.close()


def stored_signature(home: Path, rid: str) -> str:
    conn = sqlite3.connect(home / "data" / "sealbox.db")
    try:
        return str(
            conn.execute(
                "SELECT value FROM fields WHERE request_id = ? AND idx = 0", [rid]
            ).fetchone()[0]
        )
    finally:
        conn.close()


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append((p.returncode, stdout, stderr))
    return out


@pytest.mark.slow
def test_four_signers_racing_for_one_recipient(
    home: Path, sent: str, tmp_path: Path, write_lock: sqlite3.Connection
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    procs = [
        start_sealbox(
            "sign",
            sent,
            "--recipient",
            "0",
            "--typed-signature",
            f"Racer {n}",
            env_extra={"SEALBOX_REACHED_DIR": str(marks)},
        )
        for n in range(1, 5)
    ]
    try:
        # Every one of them has checked that it is recipient 0's turn, and now waits for the
        # store's write lock.
        wait_for_files(marks, "sign-checked", 4)
    finally:
        write_lock.execute("COMMIT")
    results = finish(procs)

    winners = [r for r in results if r[0] == 0]
    losers = [r for r in results if r[0] != 0]
    assert len(winners) == 1, results
    for code, _, stderr in losers:
        assert code == 1, stderr
        assert "already signed" in stderr or "already completed" in stderr, stderr
        assert "Traceback" not in stderr
    kinds = events(home, sent)
    assert kinds.count("signed") == 1, kinds
    assert kinds.count("completed") == 1, kinds
    assert kinds.count("archived") == 1, kinds

    name = stored_signature(home, sent)
    assert "Jane Doe signed" in winners[0][1]
    signed = next((home / "archive").rglob("*-signed.pdf"))
    text = pdf_text(signed)
    assert name in text
    assert [n for n in range(1, 5) if f"Racer {n}" in text] == [int(name.split()[-1])]
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def stopped(proc: subprocess.Popen[str]) -> None:
    """Wait until ``proc`` (started with SEALBOX_PAUSE_AT) has stopped itself at its point."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), status


@pytest.mark.slow
def test_sync_leaves_a_live_signers_staging_folder_alone(
    home: Path, sent: str, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    signer = start_sealbox(
        "sign",
        sent,
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        env_extra={"SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": "archive-staged"},
    )
    try:
        stopped(signer)  # signed and sealed; its staging folder is written, not yet moved
        staged = [p for p in (home / "archive" / ".staging").iterdir() if p.is_dir()]
        assert len(staged) == 1
        before = sorted(p.name for p in staged[0].iterdir())

        synced = run_sealbox("sync", "--json")
        assert synced.returncode == 0, synced.stderr
        assert staged[0].is_dir(), "sync removed the staging folder of a live signer"
        assert sorted(p.name for p in staged[0].iterdir()) == before
        assert json.loads(synced.stdout)["cleaned"] == 0
    finally:
        os.kill(signer.pid, signal.SIGCONT)
    code, stdout, stderr = finish([signer])[0]
    assert code == 0, stderr
    assert "complete and archived" in stdout
    assert not (home / "archive" / ".staging").exists()
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
def test_sync_removes_the_staging_folder_of_a_dead_signer(
    home: Path, sent: str, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    signer = start_sealbox(
        "sign",
        sent,
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        env_extra={"SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": "archive-staged"},
    )
    stopped(signer)
    signer.kill()  # kill -9 while it holds its staging folder
    signer.communicate()
    synced = run_sealbox("sync", "--json")
    assert synced.returncode == 0, synced.stderr
    result = json.loads(synced.stdout)
    assert result["cleaned"] == 1
    assert result["archived"] == [sent]
    assert not (home / "archive" / ".staging").exists()


def race(
    home: Path, tmp_path: Path, commands: dict[str, list[str]]
) -> dict[str, tuple[int, str, str]]:
    """Start ``commands`` (mark name -> arguments) while the test holds the store's write lock,
    wait until each has checked the request and waits for the lock, then let them go."""
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    conn = sqlite3.connect(home / "data" / "sealbox.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    procs: dict[str, subprocess.Popen[str]] = {}
    try:
        for mark, args in commands.items():
            procs[mark] = start_sealbox(*args, env_extra={"SEALBOX_REACHED_DIR": str(marks)})
        for mark in commands:
            wait_for_files(marks, mark, 1)
    finally:
        conn.execute("COMMIT")
        conn.close()
    return dict(zip(procs, finish(list(procs.values())), strict=True))


def status_of(home: Path, rid: str) -> str:
    conn = sqlite3.connect(home / "data" / "sealbox.db")
    try:
        return str(conn.execute("SELECT status FROM requests WHERE id = ?", [rid]).fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_a_signature_and_a_decline_at_once(home: Path, sent: str, tmp_path: Path) -> None:
    out = race(
        home,
        tmp_path,
        {
            "sign-checked": ["sign", sent, "--recipient", "0", "--typed-signature", "Jane Doe"],
            "decline-checked": ["sign", sent, "--recipient", "0", "--decline", "Wrong terms"],
        },
    )
    codes = {mark: code for mark, (code, _, _) in out.items()}
    assert sorted(codes.values()) == [0, 1], out
    kinds = events(home, sent)
    if codes["sign-checked"] == 0:
        assert status_of(home, sent) == "completed"
        assert (
            "already signed" in out["decline-checked"][2]
            or "already completed" in out["decline-checked"][2]
        )
        assert "declined" not in kinds
    else:
        assert status_of(home, sent) == "declined"
        assert "already declined" in out["sign-checked"][2]
        assert "signed" not in kinds and "completed" not in kinds
    assert kinds.count("viewed") == 2  # the recipient, and the request: once each


@pytest.mark.slow
def test_a_cancel_and_the_last_signature_at_once(home: Path, sent: str, tmp_path: Path) -> None:
    out = race(
        home,
        tmp_path,
        {
            "sign-checked": ["sign", sent, "--recipient", "0", "--typed-signature", "Jane Doe"],
            "cancel-checked": ["cancel", sent, "--reason", "Sent by mistake"],
        },
    )
    codes = {mark: code for mark, (code, _, _) in out.items()}
    assert sorted(codes.values()) == [0, 1], out
    kinds = events(home, sent)
    if codes["sign-checked"] == 0:
        assert status_of(home, sent) == "completed"
        assert "already signed" in out["cancel-checked"][2], out
        assert "cancelled" not in kinds
        assert kinds.count("completed") == 1
    else:
        assert status_of(home, sent) == "cancelled"
        assert "already cancelled" in out["sign-checked"][2], out
        assert "signed" not in kinds and "completed" not in kinds


@pytest.mark.slow
def test_sync_leaves_a_request_its_signer_is_sealing(home: Path, sent: str, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    signer = start_sealbox(
        "sign",
        sent,
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        env_extra={"SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": "sealing"},
    )
    try:
        stopped(signer)  # sealing: the signer read the request as not completed yet
        synced = run_sealbox("sync", "--json")
        assert synced.returncode == 0, synced.stderr
        result = json.loads(synced.stdout)
        assert result["finalized"] == [] and result["archived"] == []
        assert "completing" in result["leftInFlight"][sent]
        text = run_sealbox("sync")
        assert f"{sent[:8]} left in flight: Another Sealbox is completing" in text.stdout
    finally:
        os.kill(signer.pid, signal.SIGCONT)
    code, stdout, stderr = finish([signer])[0]
    assert code == 0, stderr
    assert "complete and archived" in stdout
    kinds = events(home, sent)
    assert (kinds.count("signed"), kinds.count("completed"), kinds.count("archived")) == (1, 1, 1)
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
def test_sync_completes_a_request_while_its_signer_is_paused(
    home: Path, sent: str, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    signer = start_sealbox(
        "sign",
        sent,
        "--recipient",
        "0",
        "--typed-signature",
        "Jane Doe",
        env_extra={"SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": "sign-recorded"},
    )
    try:
        stopped(signer)  # the signature is stored; sealing has not started
        synced = run_sealbox("sync", "--json")
        assert synced.returncode == 0, synced.stderr
        result = json.loads(synced.stdout)
        assert result["finalized"] == [sent]
        assert result["archived"] == [sent]
    finally:
        os.kill(signer.pid, signal.SIGCONT)
    code, stdout, stderr = finish([signer])[0]
    assert code == 0, stderr
    assert "complete and archived" in stdout
    kinds = events(home, sent)
    assert (kinds.count("signed"), kinds.count("completed"), kinds.count("archived")) == (1, 1, 1)
    assert not (home / "data" / "local" / sent).exists()  # no second seal left behind
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
def test_a_webhook_while_sync_is_archiving_the_same_request(home: Path, tmp_path: Path) -> None:
    import asyncio

    from app.context import Context
    from app.services.webhooks import WebhookReceiver
    from tests.contract.test_webhooks import SECRET, delivery, environ, send_one
    from tests.fakes.craftkit import CraftkitFake

    with CraftkitFake() as fake:
        env = environ(fake)
        ctx = Context.from_environment(env)
        try:
            rid = asyncio.run(_sent_and_closed(ctx, send_one(ctx, fake, tmp_path)))
            envelope = ctx.requests.get(rid).provider_id
            assert envelope is not None
            fake.advance(envelope, "completed")
            marks = tmp_path / "marks"
            marks.mkdir()
            extra = {k: v for k, v in env.items() if k.startswith("SEALBOX_")}
            syncer = start_sealbox(
                "sync",
                "--json",
                env_extra={
                    **extra,
                    "SEALBOX_REACHED_DIR": str(marks),
                    "SEALBOX_PAUSE_AT": "archive-staged",
                },
            )
            try:
                stopped(syncer)  # completed, downloaded into its staging folder, not yet moved
                headers, body = delivery(fake, envelope, SECRET)
                outcome = asyncio.run(
                    _sent_and_closed(ctx, WebhookReceiver(ctx).receive("craftkit", headers, body))
                )
                assert outcome.status == 200
                staged = [p for p in (home / "archive" / ".staging").iterdir() if p.is_dir()]
                assert len(staged) == 1 and any(staged[0].iterdir())
            finally:
                os.kill(syncer.pid, signal.SIGCONT)
            code, stdout, stderr = finish([syncer])[0]
            assert code == 0, stderr
            assert json.loads(stdout)["archived"] == [rid]
            kinds = [e.kind for e in ctx.requests.events(rid)]
            assert kinds.count("archived") == 1, kinds
            completed = [e for e in ctx.requests.events(rid) if e.status == "completed"]
            assert len(completed) == 1, kinds
        finally:
            ctx.close()
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def _sent_and_closed(ctx: Any, work: Any) -> Any:
    try:
        return await work
    finally:
        await ctx.aclose()
