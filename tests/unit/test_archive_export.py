"""One request's verification badge and the export of a selection to a zip
(app.archive.folder: verify_request, export_selection).

Two requests are archived once per module through the real ``sealbox`` command with the
``local`` provider (send, then sign in person), and each test gets its own copy of that home.
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.archive.badge import Badge, verify_request
from app.archive.export import INDEX_COLUMNS, export_selection
from app.context import Context
from app.errors import UserError
from tests.conftest import run_sealbox

_mu: Any = pymupdf


@dataclass(frozen=True)
class Archived:
    """One archived request of the template home."""

    id: str
    name: str
    word: str
    """A word found only inside its signed PDF."""
    pages: int


@dataclass(frozen=True)
class ArchiveTemplate:
    home: Path
    keyring: Path
    crane: Archived
    ledger: Archived

    def install(self, home: Path) -> None:
        """Copy the archived home into the test's (empty) ``home``."""
        shutil.copytree(self.home, home, dirs_exist_ok=True)
        shutil.copyfile(self.keyring, home.parent / "keyring.json")


def _signed_request(
    base: Path, env: dict[str, str], name: str, text: list[str], signer: tuple[str, str, str]
) -> Archived:
    pdf = base / f"{name}.pdf"
    doc = _mu.open()
    for line in text:
        doc.new_page().insert_text((72, 90), line, fontsize=12)
    doc.save(pdf)
    doc.close()
    first, last, email = signer
    spec = base / f"{name}.json"
    spec.write_text(
        json.dumps(
            {
                "name": name,
                "recipients": [
                    {
                        "firstName": first,
                        "lastName": last,
                        "email": email,
                        "designation": "Signer",
                        "order": 1,
                    }
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
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json", env_extra=env)
    assert sent.returncode == 0, sent.stderr
    rid = json.loads(sent.stdout)["id"]
    signed = run_sealbox(
        "sign",
        rid,
        "--recipient",
        "0",
        "--typed-signature",
        f"{first} {last}",
        "--json",
        env_extra=env,
    )
    assert signed.returncode == 0, signed.stderr
    assert json.loads(signed.stdout)["status"] == "completed"
    word = text[0].split()[-1]
    return Archived(rid, name, word, len(text))


def build_archive(base: Path) -> ArchiveTemplate:
    """Archive two requests with the ``local`` provider in ``base/home``."""
    home = base / "home"
    home.mkdir()
    keyring = base / "keyring.json"
    env = {
        "SEALBOX_HOME": str(home),
        "SEALBOX_TEST_KEYRING": str(keyring),
        "PYTHON_KEYRING_BACKEND": "tests.support.filekeyring.FileKeyring",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("SEALBOX_")]:
            mp.delenv(name)
        crane = _signed_request(
            base,
            env,
            "Crane lease",
            ["Lease of the harbour crane under the zeppelin"],
            ("Ann", "Lee", "ann@example.com"),
        )
        ledger = _signed_request(
            base,
            env,
            "Ledger audit",
            ["Quarterly ledger review by the walrus", "Page two of the audit"],
            ("Bob", "Roe", "bob@example.com"),
        )
    return ArchiveTemplate(home, keyring, crane, ledger)


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory: pytest.TempPathFactory) -> ArchiveTemplate:
    return build_archive(tmp_path_factory.mktemp("archived"))


@pytest.fixture
def archived(home: Path, archive_template: ArchiveTemplate) -> ArchiveTemplate:
    """The two archived requests, copied into this test's ``home``."""
    archive_template.install(home)
    return archive_template


@pytest.fixture
def ctx(archived: ArchiveTemplate) -> Iterator[Context]:
    context = Context.from_environment()
    yield context
    context.close()


def files_of(ctx: Context, request_id: str) -> dict[str, Path]:
    root = ctx.paths.archive_dir
    return {f.kind: root / f.path for f in ctx.store.archive.files(request_id)}


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# --- verify_request -------------------------------------------------------------------------------


def test_intact_requests_are_valid(ctx: Context, archived: ArchiveTemplate) -> None:
    for request in (archived.crane, archived.ledger):
        badge = verify_request(ctx, request.id)
        assert badge.state == "valid", badge.detail
        assert badge.subject is None
        assert badge.detail.startswith("Every file is intact")
    with pytest.raises(dataclasses.FrozenInstanceError):
        badge.state = "missing"  # type: ignore[misc]
    assert verify_request(ctx, archived.crane.id[:8]) == verify_request(ctx, archived.crane.id)


def test_a_flipped_byte_is_modified(ctx: Context, archived: ArchiveTemplate) -> None:
    signed = files_of(ctx, archived.crane.id)["signed"]
    flip_byte(signed)
    badge = verify_request(ctx, archived.crane.id)
    assert badge.state == "modified"
    assert signed.name in badge.detail and "SHA-256" in badge.detail
    assert verify_request(ctx, archived.ledger.id).state == "valid"


def test_a_deleted_file_or_folder_is_missing(ctx: Context, archived: ArchiveTemplate) -> None:
    certificate = files_of(ctx, archived.ledger.id)["certificate"]
    certificate.unlink()
    badge = verify_request(ctx, archived.ledger.id)
    assert badge == Badge(
        "missing", None, f"{certificate.name} is missing from the archive folder."
    )
    folder = files_of(ctx, archived.crane.id)["signed"].parent
    shutil.rmtree(folder)
    gone = verify_request(ctx, archived.crane.id)
    assert gone.state == "missing" and "folder" in gone.detail


def test_an_unknown_root_is_untrusted_with_the_signers_subject(
    ctx: Context, archived: ArchiveTemplate
) -> None:
    (ctx.paths.seal_dir / "ca.pem").unlink()
    badge = verify_request(ctx, archived.crane.id)
    assert badge.state == "untrusted"
    assert badge.subject and badge.subject.startswith("CN=")
    assert badge.subject in badge.detail and "not trusted" in badge.detail


def test_a_request_that_is_not_archived_is_refused(ctx: Context) -> None:
    with pytest.raises(UserError, match="no request"):
        verify_request(ctx, "0000dead")


# --- export_selection -----------------------------------------------------------------------------


def read_zip(path: Path) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    with zipfile.ZipFile(path) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    rows = list(csv.DictReader(io.StringIO(entries["index.csv"].decode("utf-8"))))
    return entries, rows


def test_export_writes_the_folders_and_a_matching_index(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    dest = tmp_path / "out" / "export.zip"
    dest.parent.mkdir()
    ids = [archived.ledger.id, archived.crane.id]
    assert export_selection(ctx, ids, dest) == dest
    entries, rows = read_zip(dest)
    assert list(rows[0]) == list(INDEX_COLUMNS)
    assert [r["id"] for r in rows] == ids
    root = ctx.paths.archive_dir
    expected = {"index.csv"}
    for request, row in zip((archived.ledger, archived.crane), rows, strict=True):
        manifest = json.loads((root / row["folder"] / "request.json").read_text("utf-8"))
        assert row["name"] == request.name == manifest["name"]
        assert row["provider"] == "local" and row["status"] == "completed"
        assert row["completed"] == manifest["completedAt"]
        for kind in ("signed", "certificate"):
            inside = row[f"{kind}_file"]
            assert inside == f"{row['folder']}/{manifest['files'][kind]['name']}"
            assert hashlib.sha256(entries[inside]).hexdigest() == row[f"{kind}_sha256"]
            assert row[f"{kind}_sha256"] == manifest["files"][kind]["sha256"]
        expected |= {f"{row['folder']}/{p.name}" for p in (root / row["folder"]).iterdir()}
    assert set(entries) == expected
    assert [p.name for p in dest.parent.iterdir()] == ["export.zip"]


def test_export_of_a_selection_holds_only_that_request(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    dest = tmp_path / "one.zip"
    export_selection(ctx, [archived.crane.id], dest)
    entries, rows = read_zip(dest)
    assert [r["id"] for r in rows] == [archived.crane.id]
    assert all(name == "index.csv" or name.startswith(rows[0]["folder"] + "/") for name in entries)
    assert sum(name.endswith(".pdf") for name in entries) == 2


def test_export_into_a_missing_folder_is_refused(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    dest = tmp_path / "nowhere" / "export.zip"
    with pytest.raises(UserError, match="does not exist"):
        export_selection(ctx, [archived.crane.id], dest)
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(UserError, match="select one or more"):
        export_selection(ctx, [], tmp_path / "empty.zip")
    assert not (tmp_path / "empty.zip").exists()


def test_a_failed_write_leaves_no_partial_zip(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "export.zip"
    dest.write_bytes(b"the previous export")
    written: list[str] = []
    real_write = zipfile.ZipFile.write

    def write_then_fill_the_disk(
        self: zipfile.ZipFile, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any
    ) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(str(arcname))
        real_write(self, filename, arcname, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "write", write_then_fill_the_disk)
    with pytest.raises(UserError, match="No space left on device"):
        export_selection(ctx, [archived.crane.id, archived.ledger.id], dest)
    assert written  # it failed part of the way through
    assert [p.name for p in out.iterdir()] == ["export.zip"]
    assert dest.read_bytes() == b"the previous export"


def test_an_unwritable_folder_is_named(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(UserError, match="permission denied"):
        export_selection(ctx, [archived.crane.id], tmp_path / "export.zip")
    assert not (tmp_path / "export.zip").exists()


def test_the_apps_export_finds_a_renamed_folder_and_leaves_added_files_out(
    ctx: Context, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    folder = files_of(ctx, archived.crane.id)["signed"].parent
    renamed = folder.with_name(folder.name + " (renamed)")
    folder.rename(renamed)
    (renamed / "notes.txt").write_text("added later", encoding="utf-8")
    dest = export_selection(ctx, [archived.crane.id], tmp_path / "sel.zip")
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
    rel = renamed.relative_to(ctx.paths.archive_dir).as_posix()
    assert f"{rel}/request.json" in names
    assert not [n for n in names if n.endswith("notes.txt")]
    badge = verify_request(ctx, archived.crane.id)
    assert badge.state == "missing" and "is now at" in badge.detail


def test_a_file_added_to_a_folder_changes_the_badge(
    ctx: Context, archived: ArchiveTemplate
) -> None:
    folder = files_of(ctx, archived.crane.id)["signed"].parent
    (folder / "invoice.pdf").write_bytes(b"%PDF-1.7\n")
    (folder / "Thumbs.db").write_bytes(b"\0")
    badge = verify_request(ctx, archived.crane.id)
    assert badge.state == "modified"
    assert "invoice.pdf was put in the folder after archiving" in badge.detail
