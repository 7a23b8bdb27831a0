"""``sealbox archive upgrade``: seals archived below B-LTA (the timestamp authority could not be
reached while signing) brought up later, whole or not at all, against a real test PKI."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.pdf.pades import document_level
from tests.conftest import run_sealbox, start_sealbox
from tests.e2e.test_local_long_term import _configure, _pdfsig, _sign
from tests.support.testpki import TestPki, start_test_pki


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _sealed_offline(home: Path, tmp_path: Path, pki: TestPki) -> tuple[dict[str, Any], Path]:
    """A request signed while the timestamp authority could not be reached (B-B), then the
    authority configured again as it is reachable now."""
    dead = pki.tsa_url.replace(pki.prefix, "http://127.0.0.1:9")
    env = _configure(home, pki, dead)
    shown = _sign(home, tmp_path, env)
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    assert document_level(signed.read_bytes()) == "B-B"
    _configure(home, pki, pki.tsa_url)
    return env, signed


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    return data


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_upgrade_brings_a_seal_made_offline_up_to_b_lta(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env, signed = _sealed_offline(home, tmp_path, test_pki)
    before = signed.read_bytes()
    certificate = next(signed.parent.glob("*-certificate.pdf"))

    done = run_sealbox("archive", "upgrade", env_extra=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "-signed.pdf: B-B -> B-LTA" in done.stdout
    assert "-certificate.pdf: B-B -> B-LTA" in done.stdout
    assert "2 upgraded, 0 already B-LTA" in done.stdout

    test_pki.stop()  # what follows is offline
    after = signed.read_bytes()
    assert after.startswith(before)  # the sealed revision is kept byte for byte
    assert document_level(after) == "B-LTA"
    assert document_level(certificate.read_bytes()) == "B-LTA"
    for path in (signed, certificate):
        assert "Signature is Valid" in _pdfsig(path)
    manifest = _manifest(signed.parent)
    entry = manifest["files"]["signed"]
    assert entry["sha256"] == _sha(signed) and entry["size"] == len(after)
    assert entry["sealed"] == {"sha256": hashlib.sha256(before).hexdigest(), "size": len(before)}
    upgraded = [
        h["payload"]
        for h in manifest["history"]
        if h["kind"] == "seal level" and h["payload"].get("upgraded")
    ]
    assert sorted(p["file"] for p in upgraded) == ["certificate", "signed"]
    assert {p["level"] for p in upgraded} == {"B-LTA"}
    shown = json.loads(run_sealbox("show", signed.parent.name[-8:], "--json", env_extra=env).stdout)
    assert shown["archive"]["files"]["signed"]["sha256"] == _sha(signed)

    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 checked: 3 intact, 0 modified, 0 missing; 0 with an invalid signature." in (
        verified.stdout
    )

    # Per signature, offline: the level, the signing time and where it comes from, trust.
    as_json = run_sealbox("archive", "verify", "--json", env_extra=env)
    assert as_json.returncode == 0, as_json.stderr
    [signed_check] = [f for f in json.loads(as_json.stdout)["files"] if f["kind"] == "signed"]
    seal, *stamps = signed_check["signatures"]
    assert seal["kind"] == "signature" and seal["level"] == "B-LTA"
    assert seal["timeSource"] == "signer's clock"  # sealed while the authority was away
    assert "CN=Test Office Seal" in seal["signer"]
    assert seal["trust"] == "signer not trusted"  # the test PKI's root is not trusted here
    assert len(stamps) == 2  # a document timestamp before the validation data, one after
    assert {(s["kind"], s["timeSource"]) for s in stamps} == {("timestamp", "timestamp authority")}
    assert "B-LTA signature SealboxSeal: CN=Test Office Seal" in verified.stdout

    again = run_sealbox("archive", "upgrade", "--json", env_extra=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["current"] == 2


@pytest.mark.slow
def test_upgrade_with_the_authority_unreachable_changes_nothing_and_exits_3(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env, signed = _sealed_offline(home, tmp_path, test_pki)
    before = (signed.read_bytes(), (signed.parent / "request.json").read_bytes())
    test_pki.stop()
    done = run_sealbox("archive", "upgrade", "--json", env_extra=env)
    assert done.returncode == 3, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["unreachable"] == 2 and report["upgraded"] == 0
    assert all("could not be reached" in f["reason"] for f in report["files"])
    assert (signed.read_bytes(), (signed.parent / "request.json").read_bytes()) == before


@pytest.mark.slow
@pytest.mark.parametrize("point", ["upgrade-written", "upgrade-decided", "upgrade-renamed"])
def test_an_upgrade_killed_half_way_leaves_whole_files_and_a_rerun_finishes_it(
    home: Path, tmp_path: Path, test_pki: TestPki, point: str
) -> None:
    env, signed = _sealed_offline(home, tmp_path, test_pki)
    old = signed.read_bytes()
    marks = tmp_path / "marks"
    marks.mkdir()
    upgrading = start_sealbox(
        "archive",
        "upgrade",
        env_extra={**env, "SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": point},
    )
    _, status = os.waitpid(upgrading.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), status
    os.kill(upgrading.pid, signal.SIGKILL)
    upgrading.wait()
    upgrading.communicate()

    # Whatever moment it died at, the archived file is the old one or the new one, whole.
    now = signed.read_bytes()
    assert now == old or (now.startswith(old) and document_level(now) == "B-LTA")
    # A verify (as a sync) finishes or undoes the upgrade under the lock: the record holds.
    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 intact, 0 modified" in verified.stdout
    manifest = _manifest(signed.parent)
    assert manifest["files"]["signed"]["sha256"] == _sha(signed)
    assert not [p.name for p in signed.parent.iterdir() if p.name.startswith(".sealbox")]

    rerun = run_sealbox("archive", "upgrade", env_extra=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert document_level(signed.read_bytes()) == "B-LTA"
    assert _manifest(signed.parent)["files"]["signed"]["sha256"] == _sha(signed)
    assert "Signature is Valid" in _pdfsig(signed)
    final = run_sealbox("archive", "verify", env_extra=env)
    assert final.returncode == 0, final.stdout + final.stderr


@pytest.mark.slow
def test_sync_upgrades_archived_seals_and_never_fails_for_them(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env, signed = _sealed_offline(home, tmp_path, test_pki)
    rid = _manifest(signed.parent)["id"]
    before = signed.read_bytes()
    # The authority still cannot be reached: the sync is done all the same, and says why.
    _configure(home, test_pki, test_pki.tsa_url.replace(test_pki.prefix, "http://127.0.0.1:9"))
    offline = run_sealbox("sync", "--json", env_extra=env)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    report = json.loads(offline.stdout)
    assert report["upgraded"] == []
    assert "could not be reached" in report["notUpgraded"][f"{rid} signed"]
    assert signed.read_bytes() == before
    human = run_sealbox("sync", env_extra=env)
    assert human.returncode == 0, human.stderr
    assert f"{rid[:8]} signed: seal not upgraded this time (the timestamp authority" in (
        human.stdout
    )

    # Reachable again: the next pass brings both files up; the one after has nothing to do.
    _configure(home, test_pki, test_pki.tsa_url)
    online = run_sealbox("sync", "--json", env_extra=env)
    assert online.returncode == 0, online.stdout + online.stderr
    assert sorted(json.loads(online.stdout)["upgraded"]) == [
        f"{rid} certificate: B-B -> B-LTA",
        f"{rid} signed: B-B -> B-LTA",
    ]
    assert document_level(signed.read_bytes()) == "B-LTA"
    quiet = json.loads(run_sealbox("sync", "--json", env_extra=env).stdout)
    assert quiet["upgraded"] == [] and quiet["notUpgraded"] == {}
    test_pki.stop()
    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
