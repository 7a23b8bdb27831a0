"""``sealbox archive renew``: a document timestamp whose authority's certificate runs out is
renewed with a fresh one; without renewal `archive verify` reports the proof expired once the
validation time passes that certificate's expiry, and with it the file validates again.

Against a real test PKI (certomancer) with two timestamp authorities, one whose certificate
expires in SHORT_TSA_DAYS days. The validation time is moved forward (SEALBOX_VALIDATION_TIME),
never the clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.pdf.pades import document_level, last_document_timestamp
from tests.conftest import run_sealbox, start_sealbox
from tests.e2e.test_local_long_term import _configure, _pdfsig, _sign
from tests.support.pki_server import SHORT_TSA_DAYS
from tests.support.testpki import TestPki, start_test_pki

LATER = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2 * SHORT_TSA_DAYS)).isoformat()


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def sealed_with_short_tsa(home: Path, tmp_path: Path, pki: TestPki) -> tuple[dict[str, str], Path]:
    """A B-LTA seal whose timestamps come from the short-lived authority; the test PKI's root
    trusted; then the long-lived authority configured."""
    env = _configure(home, pki, pki.tsa_short_url)
    shown = _sign(home, tmp_path, env)
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    assert document_level(signed.read_bytes()) == "B-LTA"
    added = run_sealbox("archive", "trust", "add", str(pki.root_pem), env_extra=env)
    assert added.returncode == 0, added.stdout + added.stderr
    _configure(home, pki, pki.tsa_url)
    return env, signed


def verify(env: dict[str, str], at: str | None = None) -> tuple[int, dict[str, Any], str]:
    extra = {**env, **({"SEALBOX_VALIDATION_TIME": at} if at else {})}
    as_json = run_sealbox("archive", "verify", "--json", env_extra=extra)
    text = run_sealbox("archive", "verify", env_extra=extra)
    assert as_json.returncode == text.returncode
    return text.returncode, json.loads(as_json.stdout), text.stdout + text.stderr


def pdfs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["kind"]: f for f in report["files"] if f["kind"] in ("signed", "certificate")}


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_an_expiring_timestamp_is_renewed_and_validates_after_the_first_authority_expired(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env, signed = sealed_with_short_tsa(home, tmp_path, test_pki)
    certificate = next(signed.parent.glob("*-certificate.pdf"))
    before = {p: p.read_bytes() for p in (signed, certificate)}
    short_expiry = last_document_timestamp(before[signed])
    assert short_expiry is not None

    # Today: valid, and said to be due for renewal (within 365 days).
    code, report, text = verify(env)
    assert code == 0, text
    assert "timestamp due for renewal by" in text
    assert {f["renewal"]["state"] for f in pdfs(report).values()} == {"due"}

    # Two months on, not renewed: the proof has run out.
    code, report, text = verify(env, LATER)
    assert code == 1, text
    assert f"timestamp EXPIRED {short_expiry.expires:%Y-%m-%d}: needs renewal" in text
    assert {f["renewal"]["state"] for f in pdfs(report).values()} == {"expired"}
    assert not any(f["ok"] for f in pdfs(report).values())

    renewed = run_sealbox("archive", "renew", "--json", env_extra=env)
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    result = json.loads(renewed.stdout)
    assert result["renewed"] == 2 and result["failed"] == 0, result
    assert {f["after"] for f in result["files"]} == {"2050-01-01"}
    for path, old in before.items():
        new = path.read_bytes()
        assert new.startswith(old) and len(new) > len(old)
        assert "Signature is Valid" in _pdfsig(path)
    entry = manifest(signed.parent)["files"]["signed"]
    assert entry["sha256"] == hashlib.sha256(signed.read_bytes()).hexdigest()
    events = [h["payload"] for h in manifest(signed.parent)["history"] if h["kind"] == "seal level"]
    assert sorted(e["file"] for e in events if e.get("renewed")) == ["certificate", "signed"]

    # Offline, two months on: both files validate again; nothing is due.
    test_pki.stop()
    code, report, text = verify(env, LATER)
    assert code == 0, text
    assert "EXPIRED" not in text and "due for renewal" not in text
    for check in pdfs(report).values():
        assert check["ok"] and check["renewal"] is None
        assert {s["trust"] for s in check["signatures"]} <= {"trusted", "expired"}
    again = run_sealbox("archive", "renew", env_extra=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing is due for renewal." in again.stdout


@pytest.mark.slow
def test_renewal_with_the_authority_down_changes_nothing_and_exits_3(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env, signed = sealed_with_short_tsa(home, tmp_path, test_pki)
    before = (signed.read_bytes(), (signed.parent / "request.json").read_bytes())
    test_pki.stop()
    done = run_sealbox("archive", "renew", "--window", "400", env_extra=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "not now" in done.stdout and "0 renewed, 2 waiting" in done.stdout
    assert (signed.read_bytes(), (signed.parent / "request.json").read_bytes()) == before
    # A window that ends before the expiry: nothing is due.
    quiet = run_sealbox("archive", "renew", "--window", "1", env_extra=env)
    assert quiet.returncode == 0 and "Nothing is due for renewal." in quiet.stdout
    bad = run_sealbox("archive", "renew", "--window", "soon", env_extra=env)
    assert bad.returncode == 2 and "'soon' is not a number of days" in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("point", ["upgrade-written", "upgrade-decided", "upgrade-renamed"])
def test_a_renewal_killed_half_way_leaves_whole_files_and_a_rerun_finishes_it(
    home: Path, tmp_path: Path, test_pki: TestPki, point: str
) -> None:
    env, signed = sealed_with_short_tsa(home, tmp_path, test_pki)
    old = signed.read_bytes()
    marks = tmp_path / "marks"
    marks.mkdir()
    renewing = start_sealbox(
        "archive",
        "renew",
        env_extra={**env, "SEALBOX_REACHED_DIR": str(marks), "SEALBOX_PAUSE_AT": point},
    )
    _, status = os.waitpid(renewing.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), status
    os.kill(renewing.pid, signal.SIGKILL)
    renewing.wait()
    renewing.communicate()

    now = signed.read_bytes()
    assert now == old or now.startswith(old)  # the old file or the new one, whole
    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert manifest(signed.parent)["files"]["signed"]["sha256"] == (
        hashlib.sha256(signed.read_bytes()).hexdigest()
    )
    assert not [p.name for p in signed.parent.iterdir() if p.name.startswith(".sealbox")]

    rerun = run_sealbox("archive", "renew", env_extra=env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    code, _, text = verify(env, LATER)
    assert code == 0, text
