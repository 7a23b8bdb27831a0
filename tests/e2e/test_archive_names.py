"""Archive names from any request name: short enough in bytes, valid on every system; and one
request that cannot be archived never stops the others."""

from __future__ import annotations

import json
import shutil
import string
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.archive.names import (
    MAX_NAME_BYTES,
    NAME_BYTES,
    RESERVED,
    _extends,
    _regional,
    is_portable,
    portable_name,
)
from app.faults import CRASH_EXIT_CODE
from tests.conftest import run_sealbox
from tests.e2e.test_bad_input import SPEC
from tests.e2e.test_crash_recovery import inputs  # noqa: F401  (fixture)


def send(pdf: Path, tmp_path: Path, name: str) -> str:
    spec = tmp_path / f"spec-{abs(hash(name))}.json"
    spec.write_text(json.dumps({**SPEC, "name": name}), encoding="utf-8")
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json")
    assert sent.returncode == 0, sent.stderr
    rid: str = json.loads(sent.stdout)["id"]
    return rid


def archived(rid: str) -> dict[str, Any]:
    shown = run_sealbox("show", rid, "--json")
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "😀" * 100,  # 400 bytes of UTF-8
        "漢字の契約書" * 14,  # 84 CJK characters, 252 bytes
        "Contrat de location — résidence " + "é" * 200,
        "👩‍👩‍👧 family " * 18,
        "NUL.txt",
        'CON: a "quoted" <name> | with ? and * and\ttabs. ',
    ],
)
def test_any_name_signs_and_archives(
    home: Path,
    tmp_path: Path,
    inputs: tuple[Path, Path],  # noqa: F811
    name: str,
) -> None:
    pdf, _ = inputs
    rid = send(pdf, tmp_path, name)
    signed = run_sealbox("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    assert signed.returncode == 0, signed.stderr
    assert "complete and archived" in signed.stdout
    files = archived(rid)["archive"]["files"]
    folder = Path(files["signed"]["path"]).parent
    for part in (folder.name, *(Path(f["path"]).name for f in files.values())):
        assert is_portable(part), part
        assert len(part.encode("utf-8")) <= MAX_NAME_BYTES
    assert folder.name.endswith(rid[:8])
    verify = run_sealbox("archive", "verify", rid)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    synced = run_sealbox("sync")
    assert synced.returncode == 0, synced.stderr


@pytest.mark.slow
def test_one_request_that_cannot_be_archived_does_not_stop_the_others(
    home: Path,
    tmp_path: Path,
    inputs: tuple[Path, Path],  # noqa: F811
) -> None:
    pdf, _ = inputs
    ids = [send(pdf, tmp_path, f"Lease {n}") for n in range(3)]
    for rid in ids:  # signed and sealed; the archiving is cut off
        killed = run_sealbox(
            "sign",
            rid,
            "--recipient",
            "0",
            "--typed-signature",
            "Jane Doe",
            env_extra={"SEALBOX_CRASH_AT": "during-archive"},
        )
        assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    # The middle one's signed file cannot be read any more (a folder where the file was).
    broken = home / "data" / "local" / ids[1] / "signed.pdf"
    broken.unlink()
    broken.mkdir()

    synced = run_sealbox("sync", "--json")
    assert synced.returncode == 1, synced.stderr
    result = json.loads(synced.stdout)
    assert sorted(result["archived"]) == sorted([ids[0], ids[2]])
    assert list(result["errors"]) == [ids[1]]
    assert "signed.pdf" in result["errors"][ids[1]]
    assert "Traceback" not in synced.stderr
    # The reason is kept on the request, and shown.
    shown = archived(ids[1])
    assert "archive" not in shown
    assert "signed.pdf" in shown["archiveError"]
    text = run_sealbox("show", ids[1])
    assert "not archived:" in text.stdout

    # Once the cause is gone, the next sync archives it and the note goes.
    shutil.rmtree(broken)
    shutil.copy(next((home / "archive").rglob("*-signed.pdf")), broken)  # any sealed file
    again = run_sealbox("sync", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["archived"] == [ids[1]]
    assert archived(ids[1])["archiveError"] is None


def _portable_everywhere(name: str) -> None:
    assert is_portable(name), repr(name)
    assert is_portable(f"{name}-signed.pdf"), repr(name)
    assert is_portable(f"{name}-certificate.pdf"), repr(name)
    assert is_portable(f"2026-06-05 {name} 0193c2c3"), repr(name)


@given(st.text(max_size=300))
def test_portable_name_is_valid_everywhere_and_stable(text: str) -> None:
    name = portable_name(text)
    _portable_everywhere(name)
    assert len(unicodedata.normalize("NFD", name).encode("utf-8")) <= NAME_BYTES
    assert portable_name(name) == name


@given(st.text(alphabet=string.ascii_letters + string.digits + " -_", min_size=1, max_size=60))
def test_an_ordinary_name_is_kept_as_it_is(text: str) -> None:
    name = " ".join(text.split())
    assume(name and name.upper() not in RESERVED)
    assert portable_name(name) == name


@given(
    st.sampled_from(
        ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM1", "LPT9", "COM¹", "LPT³", "COM0"]
    ),
    st.sampled_from(["", ".txt", ".tar.gz", " .pdf", ".", "  "]),
    st.booleans(),
)
def test_reserved_device_names_never_pass(device: str, tail: str, lower: bool) -> None:
    text = (device.lower() if lower else device) + tail
    name = portable_name(text)
    _portable_everywhere(name)
    assert name.startswith("_")


CLUSTERS = st.sampled_from(
    [
        "a",
        "é",
        "e\u0301",
        "漢",
        "😀",
        "👍🏽",
        "👩\u200d👩\u200d👧",
        "🇫🇷",
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        "각",
        "\u1100\u1161\u11a8",
        "ñ",
        " ",
        "-",
    ]
)


@given(st.lists(CLUSTERS, min_size=1, max_size=80), st.integers(min_value=8, max_value=120))
def test_a_cut_never_splits_a_character_sequence(clusters: list[str], limit: int) -> None:
    text = "x" + "".join(clusters)
    whole = portable_name(text, 100_000)
    cut = portable_name(text, limit)
    assert len(unicodedata.normalize("NFD", cut).encode("utf-8")) <= limit
    assert whole.startswith(cut)
    rest = whole[len(cut) :]
    if rest:  # the cut falls between two user-perceived characters
        assert not _extends(rest[0]) and not cut.endswith("\u200d")
        assert not (
            _regional(rest[0])
            and _regional(cut[-1])
            and (len(cut) - len(cut.rstrip("".join(chr(c) for c in range(0x1F1E6, 0x1F200))))) % 2
            == 1
        )
