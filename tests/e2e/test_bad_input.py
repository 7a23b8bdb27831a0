"""Bad input: each kind gets its own clear message, exit 1, and leaves store and archive alone."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.cli import main
from tests.unit.test_domain import BREAKS, _set

SPEC: dict[str, Any] = {
    "name": "Lease",
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


def snapshot(home: Path) -> dict[str, Any]:
    """Everything a command could have changed: every table's rows, and every file's hash
    (logs excepted)."""
    state: dict[str, Any] = {}
    db = home / "data" / "sealbox.db"
    if db.exists():
        conn = sqlite3.connect(db)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'search_%'"
            )
        ]
        for table in tables:
            state[table] = sorted(map(repr, conn.execute(f"SELECT * FROM {table}")))
        conn.close()
    for path in sorted(home.rglob("*")):
        if (
            path.is_file()
            and "logs" not in path.parts
            and path.suffix not in (".db", ".db-wal", ".db-shm")
        ):
            state[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def good(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return pdf, spec


@pytest.fixture
def with_one_request(
    home: Path, good: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> Path:
    """A store holding one sent request, so 'unchanged' means something."""
    pdf, spec = good
    code, _, err = run(capsys, "send", str(pdf), "--spec", str(spec))
    assert code == 0, err
    return home


def bad_pdfs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    out: dict[str, tuple[Path, str]] = {}
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    out["empty"] = (empty, "is empty")
    text = tmp_path / "notes.pdf"
    text.write_text("these are not the droids\n" * 20)
    out["not a pdf"] = (text, "not a PDF")
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    out["damaged"] = (damaged, "damaged")
    locked = tmp_path / "locked.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(
        locked,
        encryption=pymupdf.PDF_ENCRYPT_AES_256,  # type: ignore[attr-defined]
        owner_pw="o",
        user_pw="u",
    )
    out["encrypted"] = (locked, "needs a password to open")
    nopages = tmp_path / "nopages.pdf"
    nopages.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    out["no pages"] = (nopages, "no pages")
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(21 * 1024 * 1024)
    out["too large"] = (big, "20 MiB")
    missing = tmp_path / "missing.pdf"
    out["missing"] = (missing, "does not exist")
    return out


@pytest.mark.parametrize(
    "kind", ["empty", "not a pdf", "damaged", "encrypted", "no pages", "too large", "missing"]
)
def test_each_pdf_problem(
    kind: str,
    with_one_request: Path,
    good: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, message = bad_pdfs(tmp_path)[kind]
    before = snapshot(with_one_request)
    code, out, err = run(capsys, "send", str(path), "--spec", str(good[1]))
    assert code == 1
    assert out == ""
    assert message.lower() in err.lower(), err
    assert path.name in err
    assert err.count("\n") == 1  # one line
    assert snapshot(with_one_request) == before


@pytest.mark.parametrize(("path", "value", "message"), BREAKS)
def test_each_spec_limit(
    path: str,
    value: Any,
    message: str,
    with_one_request: Path,
    good: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.unit.test_domain import good_spec

    data = good_spec()
    data["fields"][0]["y"] = 300
    _set(data, path, value)
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    pdf = tmp_path / "anchored.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Sign: {{sign_here}}")
    doc.save(pdf)
    before = snapshot(with_one_request)
    code, _, err = run(capsys, "send", str(pdf), "--spec", str(spec))
    assert code == 1, err
    assert message in err
    assert snapshot(with_one_request) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[]", "must be a JSON object"),
        (None, "does not exist"),
    ],
)
def test_unreadable_spec(
    content: str | None,
    message: str,
    with_one_request: Path,
    good: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = tmp_path / "s.json"
    if content is not None:
        spec.write_text(content, encoding="utf-8")
    before = snapshot(with_one_request)
    code, _, err = run(capsys, "send", str(good[0]), "--spec", str(spec))
    assert code == 1 and message in err
    assert snapshot(with_one_request) == before


def test_missing_anchor_is_named(
    with_one_request: Path,
    good: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = dict(
        SPEC,
        anchorTags=[{"anchorString": "{{initial_here}}", "type": "initials", "recipientIndex": 0}],
    )
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(data), encoding="utf-8")
    before = snapshot(with_one_request)
    code, _, err = run(capsys, "send", str(good[0]), "--spec", str(spec))
    assert code == 1 and "'{{initial_here}}' does not appear in the document" in err
    assert snapshot(with_one_request) == before
    data["anchorTags"][0]["ignoreIfNotPresent"] = True
    spec.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "send", str(good[0]), "--spec", str(spec))
    assert code == 0, err


def test_unknown_provider(
    with_one_request: Path, good: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(with_one_request)
    code, _, err = run(
        capsys, "send", str(good[0]), "--spec", str(good[1]), "--provider", "docusign"
    )
    assert code == 1 and "Unknown provider 'docusign'" in err
    assert snapshot(with_one_request) == before


@pytest.mark.parametrize(
    "command",
    [
        ["show", "0000dead"],
        ["cancel", "0000dead"],
        ["download", "0000dead"],
        ["sign", "0000dead", "--recipient", "0", "--typed-signature", "Jane"],
        ["archive", "verify", "0000dead"],
    ],
)
def test_missing_request_id(
    command: list[str], with_one_request: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(with_one_request)
    code, _, err = run(capsys, *command)
    assert code == 1 and "There is no request '0000dead'" in err
    assert snapshot(with_one_request) == before


def test_usage_errors_exit_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["send"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["list", "--status", "lost"])
    assert info.value.code == 2


def test_sign_problems(
    with_one_request: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "list", "--json")
    rid = json.loads(out)["signatures"][0]["id"]
    before = snapshot(with_one_request)
    notpng = tmp_path / "sig.png"
    notpng.write_text("nope")
    for args, message in (
        (["--recipient", "3", "--typed-signature", "J"], "There is no recipient 3"),
        (["--recipient", "x@example.com", "--typed-signature", "J"], "has the email"),
        (["--recipient", "0", "--signature-image", str(notpng)], "is not a PNG"),
        (["--recipient", "0", "--signature-image", str(tmp_path / "no.png")], "does not exist"),
        (["--recipient", "0", "--approve"], "is a Signer"),
        (["--recipient", "0", "--typed-signature", "J", "--field", "oops"], "is not N=VALUE"),
        (["--recipient", "0", "--decline", " "], "Give a reason"),
    ):
        code, _, err = run(capsys, "sign", rid, *args)
        assert code == 1 and message in err, (args, err)
    assert snapshot(with_one_request) == before


def test_a_signer_without_fields_is_refused_by_the_local_provider(
    with_one_request: Path,
    good: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = tmp_path / "nofields.json"
    spec.write_text(json.dumps({**SPEC, "fields": []}), encoding="utf-8")
    before = snapshot(with_one_request)
    code, _, err = run(capsys, "send", str(good[0]), "--spec", str(spec))
    assert code == 1 and "at least one field or anchor tag is required" in err
    assert snapshot(with_one_request) == before
