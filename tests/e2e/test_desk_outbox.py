"""A desk that cannot reach the shared store keeps its sends, and sends each once when it can.

The real ``sealbox`` command, with the store's address first naming a port nothing listens on
(the server is down), then the throwaway PostgreSQL server: ``send`` keeps the request on the
desk (exit 3), ``queued`` lists it, ``sync`` commits it to the shared outbox with its key and
delivers it. Killed between the commit and the removal, run twice at once, or given a kept send
the checks now refuse, it still makes one request or none, and says why.
"""

from __future__ import annotations

import errno
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from psycopg.conninfo import conninfo_to_dict

from app.context import Context
from app.domain.model import Request, RequestSpec
from app.faults import CRASH_EXIT_CODE
from app.services import desk_outbox
from app.storage import DiskFullError
from app.store.pg import PgDatabase
from app.store.postgres import PostgresStore
from tests.conftest import run_sealbox, start_sealbox
from tests.e2e.test_bad_input import SPEC


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Desk:
    """The ``sealbox`` of one desk, its store's server down or up."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        parts = conninfo_to_dict(url)
        self.up = f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
        self.down = f"postgresql://{parts['user']}@127.0.0.1:{_free_port()}/{parts['dbname']}"
        self.password = str(parts["password"])
        self.address = self.down
        self.tmp = tmp_path
        self.url = url

    def stored(self, request_id: str) -> Request:
        """A request as the shared store holds it."""
        store = PostgresStore(PgDatabase(self.url), self.tmp / "drafts")
        try:
            return store.requests.get(request_id)
        finally:
            store.close()

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "SEALBOX_DATABASE_URL": self.address,
            "SEALBOX_STORE_PASSWORD": self.password,
            **extra,
        }

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_sealbox(*args, env_extra=self.env(**extra))

    def json(self, *args: str, code: int = 0) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == code, (done.stdout, done.stderr)
        return json.loads(done.stdout)

    def send(
        self, name: str, *extra: str, as_json: bool = True
    ) -> subprocess.CompletedProcess[str]:
        pdf = self.tmp / f"{name.lower().replace(' ', '-')}.pdf"
        doc = pymupdf.open()
        doc.new_page().insert_text((72, 72), f"{name} agreement")
        doc.save(pdf)
        doc.close()
        spec = self.tmp / f"{name}.json"
        spec.write_text(json.dumps({**SPEC, "name": name}), encoding="utf-8")
        return self.run("send", str(pdf), "--spec", str(spec), *extra, *(["--json"] * as_json))

    def names(self) -> list[str]:
        return sorted(r["name"] for r in self.json("list")["signatures"])


@pytest.fixture
def desk(pg_url: str, tmp_path: Path, home: Path) -> Desk:
    return Desk(pg_url, tmp_path)


def test_a_send_while_the_store_is_out_of_reach_is_kept_and_sent_once_it_is_back(
    desk: Desk, home: Path, tmp_path: Path
) -> None:
    kept = desk.send("Lease")
    assert kept.returncode == 3, kept.stderr
    answer = json.loads(kept.stdout)
    assert answer["queued"] is True and answer["name"] == "Lease"
    assert answer["reason"].startswith("Cannot reach the database ")
    key = answer["idempotencyKey"]
    (tmp_path / "lease.pdf").unlink()  # the kept send has its own copy
    listed = desk.json("queued")["kept"]
    assert [(k["name"], k["idempotencyKey"], k["problem"]) for k in listed] == [
        ("Lease", key, None)
    ]
    text = desk.run("queued")
    assert (
        f"{key[:8]}" in text.stdout and "'Lease' to jane@example.com through local" in text.stdout
    )

    desk.address = desk.up  # the server is back
    assert desk.names() == []
    synced = desk.json("sync")
    assert len(synced["fromDeskOutbox"]) == 1 and synced["deskOutboxRefused"] == {}
    request_id = synced["fromDeskOutbox"][0]
    assert request_id in synced["delivered"]
    shown = desk.json("show", request_id)
    assert (shown["name"], shown["status"]) == ("Lease", "sent")
    stored = desk.stored(request_id)
    assert (stored.document_name, stored.spec.recipients[0].email) == (
        "lease.pdf",
        "jane@example.com",
    )
    assert desk.json("queued")["kept"] == []
    assert not any((home / "data" / "desk-outbox").iterdir())

    # Nothing is sent twice: another sync, and the same send again with its key.
    assert desk.json("sync")["fromDeskOutbox"] == []
    again = desk.send("Lease", "--idempotency-key", key)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["id"] == request_id
    assert desk.names() == ["Lease"]


def test_a_desk_killed_after_the_commit_makes_one_request_and_finishes_it(
    desk: Desk, home: Path
) -> None:
    assert desk.send("Lease").returncode == 3
    desk.address = desk.up
    cut = desk.run("sync", SEALBOX_CRASH_AT="desk-outbox-committed")
    assert cut.returncode == CRASH_EXIT_CODE, cut.stderr
    assert desk.names() == ["Lease"]  # committed, and still kept on the desk
    assert len(desk.json("queued")["kept"]) == 1
    # As when the connection is lost at the commit's very end: the request is in the store,
    # but the send removed its working copy. The kept send's copy is the same document.
    [copy] = (home / "data" / "documents").glob("*.pdf")
    copy.unlink()

    synced = desk.json("sync")
    assert len(synced["fromDeskOutbox"]) == 1
    assert desk.names() == ["Lease"]  # the same request, not a second one
    assert desk.json("show", synced["fromDeskOutbox"][0])["status"] == "sent"
    assert desk.json("queued")["kept"] == []


def test_a_keep_cut_off_half_way_leaves_nothing_and_the_next_keeps_it_once(desk: Desk) -> None:
    # Cut off after the kept send was written under its temporary name, before the rename.
    cut = _send_with(desk, "Lease", SEALBOX_CRASH_AT="desk-outbox-staged")
    assert cut.returncode == CRASH_EXIT_CODE, cut.stderr
    assert desk.json("queued")["kept"] == []
    assert _send_with(desk, "Lease").returncode == 3
    assert [k["name"] for k in desk.json("queued")["kept"]] == ["Lease"]
    desk.address = desk.up
    desk.json("sync")
    assert desk.names() == ["Lease"]


def _send_with(desk: Desk, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
    pdf = desk.tmp / "doc.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), f"{name} agreement")
    doc.save(pdf)
    doc.close()
    spec = desk.tmp / "spec.json"
    spec.write_text(json.dumps({**SPEC, "name": name}), encoding="utf-8")
    return desk.run("send", str(pdf), "--spec", str(spec), "--json", **extra)


def test_two_syncs_at_once_commit_each_kept_send_once(desk: Desk) -> None:
    names = [f"Lease {i}" for i in range(6)]
    said = desk.send(names[0], as_json=False)
    assert said.returncode == 3
    assert said.stdout.startswith("Kept 'Lease 0' on this desk: Cannot reach the database ")
    assert "It is sent by the next `sealbox sync` (or the app)" in said.stdout
    for name in names[1:]:
        assert desk.send(name).returncode == 3
    desk.address = desk.up
    syncs = [start_sealbox("sync", "--json", env_extra=desk.env()) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in syncs]
    assert [p.returncode for p in syncs] == [0, 0], outs
    committed = [rid for out, _err in outs for rid in json.loads(out)["fromDeskOutbox"]]
    assert len(committed) == len(set(committed)) == 6
    assert desk.names() == sorted(names)
    assert desk.json("queued")["kept"] == []


def test_a_kept_send_the_checks_now_refuse_stays_with_why_until_discarded(
    desk: Desk, home: Path
) -> None:
    assert desk.send("Lease").returncode == 3
    [folder] = (home / "data" / "desk-outbox").iterdir()
    (folder / "document.pdf").write_bytes(b"not a PDF any more")  # damaged on the disk
    desk.address = desk.up
    synced = desk.run("sync", "--json")
    assert synced.returncode == 1, synced.stderr
    refused = json.loads(synced.stdout)["deskOutboxRefused"]
    assert list(refused) == [folder.name] and "PDF" in refused[folder.name]
    text = desk.run("sync")
    assert f"kept send {folder.name[:8]}: not sent:" in text.stderr
    assert f"sealbox queued --discard {folder.name[:8]}" in text.stderr
    assert desk.names() == []  # nothing half-sent
    [listed] = desk.json("queued")["kept"]
    assert listed["problem"] == refused[folder.name]

    discarded = desk.run("queued", "--discard", folder.name[:8])
    assert discarded.returncode == 0, discarded.stderr
    assert "Discarded 'Lease'" in discarded.stdout and "it will not be sent" in discarded.stdout
    assert desk.json("queued")["kept"] == []
    assert desk.json("sync")["deskOutboxRefused"] == {}
    unknown = desk.run("queued", "--discard", "feedbeef")
    assert unknown.returncode == 1
    assert "No send kept on this desk has the key 'feedbeef'" in unknown.stderr


def test_a_send_the_checks_refuse_is_refused_offline_too_and_nothing_is_kept(
    desk: Desk, tmp_path: Path
) -> None:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "recipients": []}), encoding="utf-8")
    refused = desk.run("send", str(pdf), "--spec", str(spec))
    assert refused.returncode == 1, refused.stderr
    assert "recipient" in refused.stderr
    assert desk.json("queued")["kept"] == []


def test_a_full_disk_while_keeping_is_said_and_leaves_nothing(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()
    ctx = Context.from_environment()

    def full(*_args: object, **_kwargs: object) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(desk_outbox, "atomic_write_bytes", full)
    with pytest.raises(DiskFullError, match="The disk is full"):
        desk_outbox.keep(ctx, pdf, RequestSpec.from_json(SPEC), provider_id="local")
    assert list(ctx.paths.desk_outbox_dir.iterdir()) == []
    assert desk_outbox.kept(ctx) == []
