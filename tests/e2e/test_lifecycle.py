"""The local provider's lifecycle through the command: order, approvers, CC, decline, expiry,
cancel, download, reindex and export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.cli import main
from app.domain.clock import iso, now

SPEC: dict[str, Any] = {
    "name": "Supply contract",
    "expirationHours": 24,
    "recipients": [
        {
            "firstName": "Ann",
            "lastName": "Approver",
            "email": "ann@example.com",
            "designation": "Approver",
            "order": 1,
        },
        {
            "firstName": "Sam",
            "lastName": "Signer",
            "email": "sam@example.com",
            "designation": "Signer",
            "order": 2,
        },
        {
            "firstName": "Cora",
            "lastName": "Copy",
            "email": "cora@example.com",
            "designation": "CC",
            "order": 3,
        },
    ],
    "fields": [
        {
            "recipientIndex": 1,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 180,
            "height": 48,
        },
        {
            "recipientIndex": 1,
            "type": "dropdown",
            "page": 1,
            "x": 300,
            "y": 600,
            "width": 120,
            "height": 24,
            "options": ["Net 30", "Net 60"],
        },
        {
            "recipientIndex": 1,
            "type": "initials",
            "page": 1,
            "x": 450,
            "y": 600,
            "width": 60,
            "height": 30,
            "required": False,
        },
    ],
}


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str, code: int = 0) -> dict[str, Any]:
        got = main([*args, "--json"])
        out, err = self.capsys.readouterr()
        assert got == code, err
        if code:
            return {"error": err}
        data: dict[str, Any] = json.loads(out)
        return data


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def sent(cli: Cli, tmp_path: Path) -> str:
    pdf = tmp_path / "supply.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Supply contract: widgets and sprockets")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    rid: str = cli("send", str(pdf), "--spec", str(spec))["id"]
    return rid


def test_approver_then_signer_and_cc_only_receives(cli: Cli, sent: str, home: Path) -> None:
    assert (
        "is a CC recipient" in cli("sign", sent, "--recipient", "2", "--approve", code=1)["error"]
    )
    assert (
        "turn"
        in cli("sign", sent, "--recipient", "1", "--typed-signature", "Sam Signer", code=1)["error"]
    )
    approved = cli("sign", sent, "--recipient", "0", "--approve")
    assert approved["status"] == "viewed"
    assert "signedAt" in approved["recipients"][0]
    refused = cli(
        "sign",
        sent,
        "--recipient",
        "1",
        "--typed-signature",
        "Sam Signer",
        "--field",
        "1=Net 90",
        code=1,
    )["error"]
    assert "'Net 90' is not one of Net 30, Net 60" in refused
    missing = cli("sign", sent, "--recipient", "1", "--typed-signature", "Sam Signer", code=1)[
        "error"
    ]
    assert "field 1 (dropdown) is required" in missing
    done = cli(
        "sign", sent, "--recipient", "1", "--typed-signature", "Sam Signer", "--field", "1=Net 60"
    )
    assert done["status"] == "completed"
    assert set(done["archive"]["files"]) == {"signed", "certificate", "request"}
    signed = pymupdf.open(done["archive"]["files"]["signed"]["path"])
    text = signed[0].get_text()
    assert "Net 60" in text and "SS" in text  # the dropdown value and the initials
    # download is idempotent: the same folder and hashes again.
    again = cli("download", sent)
    assert again["archive"] == done["archive"]


def test_decline_ends_the_request(cli: Cli, sent: str) -> None:
    cli("sign", sent, "--recipient", "0", "--approve")
    declined = cli("sign", sent, "--recipient", "1", "--decline", "Prices are wrong")
    assert declined["status"] == "declined"
    assert declined["errorMessage"] == "Prices are wrong"
    assert declined["recipients"][1]["declineReason"] == "Prices are wrong"
    assert (
        "already declined"
        in cli("sign", sent, "--recipient", "1", "--typed-signature", "Sam", code=1)["error"]
    )
    assert "not completed" in cli("download", sent, code=1)["error"]
    assert "already declined" in cli("cancel", sent, code=1)["error"]


def test_sync_expires_overdue_requests(cli: Cli, sent: str, home: Path) -> None:
    conn = sqlite3.connect(home / "data" / "sealbox.db")
    past = iso(now() - timedelta(hours=25))
    conn.execute("UPDATE requests SET sent_at = ?, created_at = ?", [past, past])
    conn.commit()
    conn.close()
    result = cli("sync")
    assert result["changed"] == {sent: "expired"}
    assert cli("show", sent)["status"] == "expired"
    assert "already expired" in cli("sign", sent, "--recipient", "0", "--approve", code=1)["error"]


def test_cancel_while_in_flight(cli: Cli, sent: str) -> None:
    cancelled = cli("cancel", sent, "--reason", "Customer changed the terms")
    assert cancelled["status"] == "cancelled"
    assert cancelled["errorMessage"] == "Customer changed the terms"
    assert "already cancelled" in cli("cancel", sent, code=1)["error"]
    assert cli("list", "--status", "cancelled")["signatures"][0]["id"] == sent
    assert cli("list", "--status", "sent")["signatures"] == []


def test_list_filters_and_search(cli: Cli, sent: str) -> None:
    assert [s["id"] for s in cli("list", "--search", "sam@example.com")["signatures"]] == [sent]
    assert cli("list", "--search", "nobody")["signatures"] == []
    assert cli("list", "--provider", "local", "--limit", "1")["signatures"][0]["id"] == sent
    assert "Unknown provider" in cli("list", "--provider", "nope", code=1)["error"]


def test_reindex_rebuilds_from_the_folder_and_export(
    cli: Cli, sent: str, home: Path, tmp_path: Path
) -> None:
    cli("sign", sent, "--recipient", "0", "--approve")
    cli("sign", sent, "--recipient", "1", "--typed-signature", "Sam Signer", "--field", "1=Net 30")
    # Lose the database entirely: the archive folder alone brings everything back.
    for suffix in ("", "-wal", "-shm"):
        (home / "data" / f"sealbox.db{suffix}").unlink(missing_ok=True)
    assert cli("archive", "list")["signatures"] == []
    assert cli("archive", "reindex")["reindexed"] == [sent]
    listed = cli("archive", "list")["signatures"]
    assert [s["id"] for s in listed] == [sent]
    assert listed[0]["status"] == "completed"
    assert [s["id"] for s in cli("archive", "search", "sprockets")["signatures"]] == [sent]
    assert [s["id"] for s in cli("archive", "search", "cora")["signatures"]] == [sent]
    assert cli("archive", "verify")["ok"] is True

    dest = tmp_path / "export.zip"
    assert cli("archive", "export", str(dest))["exported"] == str(dest)
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
        rows = list(csv.DictReader(io.StringIO(zf.read("index.csv").decode())))
    assert sum(n.endswith("-signed.pdf") for n in names) == 1
    assert rows[0]["id"] == sent and "sam@example.com" in rows[0]["recipients"]
    assert "already exists" in cli("archive", "export", str(dest), code=1)["error"]
    folder = tmp_path / "out"
    cli("archive", "export", str(folder))
    assert (folder / "index.csv").exists()
    assert len(list(folder.rglob("request.json"))) == 1


def test_a_missing_archived_file_is_reported(cli: Cli, sent: str) -> None:
    cli("sign", sent, "--recipient", "0", "--approve")
    done = cli(
        "sign", sent, "--recipient", "1", "--typed-signature", "Sam Signer", "--field", "1=Net 30"
    )
    Path(done["archive"]["files"]["certificate"]["path"]).unlink()
    got = main(["archive", "verify", sent, "--json"])
    assert got == 1
    report = json.loads(cli.capsys.readouterr().out)
    states = {f["kind"]: f["state"] for f in report["files"]}
    assert states == {"request": "intact", "signed": "intact", "certificate": "missing"}
