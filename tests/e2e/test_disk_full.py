"""A full disk is told apart from a damaged database, named, and loses nothing.

The home lives on a small tmpfs mounted for the test (CI runs as root), filled until only a few
KB are free. Without root, the commands run under a file size limit of 0 instead (RLIMIT_FSIZE),
which fails every write with EFBIG: the same paths, told apart as a limit rather than a full disk
(``DISK_TESTS_WITHOUT_MOUNT=1`` tries that as root too); the tests that fill a disk for the store
or for the test process itself need the tmpfs.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_sealbox, sealbox_env
from tests.e2e.test_bad_input import SPEC

MESSAGES = ("The disk is full: free space on ", "A limit on the size of files")


class SmallDisk:
    """A SEALBOX_HOME on a disk that can be filled."""

    def __init__(self, mount: Path, mounted: bool) -> None:
        self.mount = mount
        self.mounted = mounted
        self.home = mount / "home"
        self.filler = mount / "filler"
        self.limit: int | None = None

    def need_mount(self) -> None:
        """Tests that fill the disk for the store or the test process itself need the tmpfs
        (CI runs as root, so it never skips there)."""
        if not self.mounted:
            pytest.skip("needs a small tmpfs, which only root can mount here")

    def leave_free(self, kb: int) -> None:
        """Fill the disk until about ``kb`` KB are free (or, without a mount, let the commands
        write nothing at all)."""
        self.free_all()
        if not self.mounted:
            self.limit = 0
            return
        stat = os.statvfs(self.mount)
        room = stat.f_bavail * stat.f_frsize - kb * 1024
        with self.filler.open("wb") as handle:
            handle.write(b"\0" * max(room, 0))
        # tmpfs counts whole pages: top up to the exact amount wanted.
        stat = os.statvfs(self.mount)
        assert abs(stat.f_bavail * stat.f_frsize - kb * 1024) <= 8192, stat

    def free_all(self) -> None:
        self.filler.unlink(missing_ok=True)
        self.limit = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = sealbox_env({"SEALBOX_HOME": str(self.home)})
        limit = self.limit

        def limited() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
            preexec_fn=limited,
        )


def _can_mount() -> bool:
    # DISK_TESTS_WITHOUT_MOUNT=1 tries the fallback as root too.
    return (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and not os.environ.get("DISK_TESTS_WITHOUT_MOUNT")
    )


@pytest.fixture
def disk(home: Path, tmp_path: Path) -> Iterator[SmallDisk]:
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = False
    if _can_mount():
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mount)], check=True
        )
        mounted = True
    elif os.environ.get("CI"):
        pytest.fail("CI runs as root: the small disk must be a mounted tmpfs")
    small = SmallDisk(mount, mounted)
    small.home.mkdir()
    try:
        yield small
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=True)


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


def rows(home: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(home / "data" / "sealbox.db")
    try:
        return sorted(conn.execute("SELECT id, status FROM requests"))
    finally:
        conn.close()


def assert_told_disk_full(result: subprocess.CompletedProcess[str], disk: SmallDisk) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("sealbox: "), result.stderr
    assert any(m in result.stderr for m in MESSAGES), result.stderr
    if disk.mounted:
        assert f"free space on {disk.mount}" in result.stderr, result.stderr
    for bad in ("Traceback", "--- Logging error ---", "This is a bug", "damaged", "move it aside"):
        assert bad not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    reports = disk.home / "data" / "crash-reports"
    assert not reports.exists() or not any(reports.iterdir())


def sent_id(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    rid: str = json.loads(result.stdout)["id"]
    return rid


@pytest.mark.slow
@pytest.mark.parametrize("kb", [120, 80, 40, 8])
def test_send_and_sign_on_a_full_disk(disk: SmallDisk, inputs: tuple[Path, Path], kb: int) -> None:
    pdf, spec = inputs
    first = sent_id(disk.run("send", str(pdf), "--spec", str(spec), "--json"))
    before = rows(disk.home)

    disk.leave_free(kb)
    send = disk.run("send", str(pdf), "--spec", str(spec))
    assert_told_disk_full(send, disk)
    sign = disk.run("sign", first, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert sign.returncode == 1, sign.stderr
    assert "Traceback" not in sign.stderr and "Logging error" not in sign.stderr
    assert any(m in sign.stderr for m in MESSAGES), sign.stderr
    disk.free_all()

    # Nothing was lost or half-written: the first request is intact; the signature is either
    # stored (then sync finishes the seal) or not (then signing again works).
    after = rows(disk.home)
    assert [r for r in after if r[0] == first] in ([(first, "sent")], [(first, "viewed")])
    assert len(after) == len(before)
    again = disk.run("sign", first, "--recipient", "0", "--typed-signature", "Jane Doe")
    if again.returncode != 0:
        assert "already signed" in again.stderr, again.stderr
    synced = disk.run("sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert rows(disk.home) == [(first, "completed")]
    verify = disk.run("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert sent_id(disk.run("send", str(pdf), "--spec", str(spec), "--json"))


@pytest.mark.slow
def test_an_archive_on_a_full_disk_is_named_and_finished_once_there_is_room(
    home: Path, disk: SmallDisk, inputs: tuple[Path, Path]
) -> None:
    disk.need_mount()
    # The store on a disk with room, the archive folder on the full one.
    (home / "config.toml").write_text(
        f'archive_dir = "{disk.mount / "archive"}"\n', encoding="utf-8"
    )
    pdf, spec = inputs
    rid = sent_id(run_sealbox("send", str(pdf), "--spec", str(spec), "--json"))
    disk.leave_free(8)
    signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert signed.returncode == 1, signed.stdout + signed.stderr
    assert signed.stderr.startswith(
        "sealbox: Jane Doe signed 'Lease', but archiving it "
        "stopped. The disk is full: free space on "
    ), signed.stderr
    assert "run `sealbox sync` to finish it" in signed.stderr
    assert "Traceback" not in signed.stderr
    shown = json.loads(run_sealbox("show", rid, "--json").stdout)
    assert shown["status"] == "completed" and "archive" not in shown
    assert "The disk is full" in shown["archiveError"]

    synced = run_sealbox("sync", "--json")
    assert synced.returncode == 1, synced.stdout + synced.stderr
    assert "The disk is full: free space on" in json.loads(synced.stdout)["errors"][rid]
    assert not list((disk.mount / "archive").rglob("request.json"))
    assert not list((disk.mount / "archive").rglob("*.part"))

    disk.free_all()
    again = run_sealbox("sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["archived"] == [rid]
    assert json.loads(run_sealbox("show", rid, "--json").stdout)["archiveError"] is None
    verify = run_sealbox("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_database_on_a_full_disk_is_not_called_damaged(
    disk: SmallDisk, inputs: tuple[Path, Path]
) -> None:
    pdf, spec = inputs
    rid = sent_id(disk.run("send", str(pdf), "--spec", str(spec), "--json"))
    disk.leave_free(0)
    listed = disk.run("list")
    if listed.returncode != 0:  # opening may need room for its journal: told, not "damaged"
        assert_told_disk_full(listed, disk)
    cancelled = disk.run("cancel", rid)
    assert_told_disk_full(cancelled, disk)
    disk.free_all()
    assert rows(disk.home) == [(rid, "sent")]


def test_a_crash_report_is_whole_or_not_there(disk: SmallDisk) -> None:
    from app.cli.problems import crash_report
    from app.context import Context

    disk.need_mount()
    ctx = Context.from_environment({"SEALBOX_HOME": str(disk.home)})
    (disk.home / "data" / "crash-reports").mkdir(parents=True)
    disk.leave_free(0)
    try:
        raise RuntimeError("x" * 200_000)  # a report bigger than the room left
    except RuntimeError as exc:
        report = crash_report(ctx, exc)
    assert report is None or report.stat().st_size > 0
    assert [p.name for p in (disk.home / "data" / "crash-reports").iterdir()] == []
    disk.free_all()
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = crash_report(ctx, exc)
    assert report is not None and "boom" in report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_reindex_keeps_every_request_it_cannot_rebuild(
    home: Path, inputs: tuple[Path, Path]
) -> None:
    pdf, spec = inputs
    ids = [sent_id(run_sealbox("send", str(pdf), "--spec", str(spec), "--json")) for _ in range(4)]
    for rid in ids[:2]:
        signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
        assert signed.returncode == 0, signed.stderr
    before = rows(home)
    reindexed = run_sealbox("archive", "reindex", "--json")
    assert reindexed.returncode == 0, reindexed.stderr
    assert sorted(json.loads(reindexed.stdout)["reindexed"]) == sorted(ids[:2])
    assert rows(home) == before  # the two in flight are kept as they were


def test_a_damaged_database_is_never_advised_away(home: Path) -> None:
    db = home / "data" / "sealbox.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"SQLite format 3\0" + b"\xff" * 4096)
    listed = run_sealbox("list")
    assert listed.returncode == 1
    assert "is damaged" in listed.stderr and "restore it from a backup" in listed.stderr
    assert "Keep the damaged file" in listed.stderr
    assert "move it aside" not in listed.stderr
