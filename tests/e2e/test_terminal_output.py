"""What the commands print, through the real ``sealbox`` command: names holding ESC, BEL, CR,
line breaks or a right-to-left override are shown escaped (JSON stays exact JSON), a closed
stdout is a normal end, and sizes read in MiB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import ROOT, run_sealbox

NAME = "Lease \x1b[2J\x1b[31mPAID\x07\rOK\nnext\u202eFDP.exe\u2028end"
RECIPIENT = "Jane\x1b]0;owned\x07"
RAW = ("\x1b", "\x07", "\r", "\u202e", "\u2028")


def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(
        json.dumps(
            {
                "name": NAME,
                "recipients": [
                    {"firstName": RECIPIENT, "lastName": "Doe\tX", "email": "jane@example.com"}
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
    return path


def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement PAID")
    doc.save(path)
    return path


def clean(text: str) -> bool:
    """No raw control or bidi character, and no line that is not ours."""
    return not any(c in text for c in RAW)


@pytest.mark.slow
def test_names_are_shown_escaped_by_every_command(home: Path, tmp_path: Path) -> None:
    outputs: dict[str, str] = {}

    def run(label: str, *args: str) -> str:
        result = run_sealbox(*args)
        assert result.returncode == 0, (label, result.stderr)
        outputs[label] = result.stdout + result.stderr
        return result.stdout

    sent = run("send", "send", str(pdf(tmp_path)), "--spec", str(spec(tmp_path)))
    rid = next(line.split()[-1] for line in sent.splitlines() if line.strip().startswith("id "))
    run("list", "list")
    run("show", "show", rid)
    run("sign", "sign", rid, "--recipient", "0", "--typed-signature", "Jane\x1b[8m Doe")
    run("archive list", "archive", "list")
    run("archive search", "archive", "search", "PAID")
    run("archive verify", "archive", "verify")
    run("sync", "sync")
    for label, text in outputs.items():
        assert clean(text), (label, text)
    assert "\\x1b[31mPAID\\x07\\rOK\\nnext\\u202eFDP.exe\\u2028end" in outputs["list"]
    assert "Jane\\x1b]0;owned\\x07 Doe\\tX" in outputs["show"]
    # One request, one line: the line break in its name does not make a second.
    assert len(outputs["list"].splitlines()) == 1
    # JSON stays exact.
    listed = json.loads(run("json", "list", "--json"))
    assert listed["signatures"][0]["name"] == NAME
    assert listed["signatures"][0]["recipients"][0]["firstName"] == RECIPIENT


def test_a_closed_stdout_ends_quietly(home: Path, tmp_path: Path) -> None:
    for _ in range(2):
        assert (
            run_sealbox("send", str(pdf(tmp_path)), "--spec", str(spec(tmp_path))).returncode == 0
        )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["list"], ["list", "--json"], ["show", "--help"], ["providers"]):
        # The reader goes away before anything is written: every write finds a closed pipe.
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        assert process.stdout is not None
        process.stdout.close()
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, (args, err)
        assert err == b"", (args, err)
    assert not (home / "data" / "crash-reports").exists()


def test_sizes_read_in_mib(home: Path, tmp_path: Path) -> None:
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(28_992_550)
    result = run_sealbox("send", str(big), "--spec", str(spec(tmp_path)))
    assert result.returncode == 1
    assert result.stderr == (
        "sealbox: scan.pdf is 27.7 MiB, more than the 20 MiB limit: "
        "compress it or split it into smaller PDFs and try again.\n"
    )
