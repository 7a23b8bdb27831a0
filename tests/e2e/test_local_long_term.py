"""The built-in provider's seal with a timestamp authority, through the real ``sealbox``
command, against a real test PKI on loopback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.pdf.pades import document_level
from tests.conftest import run_sealbox
from tests.support.pdfgen import text_pdf
from tests.support.testpki import TestPki, start_test_pki

SPEC = {
    "version": 1,
    "name": "Long-term seal",
    "recipients": [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
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
            "required": True,
        }
    ],
}


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _configure(home: Path, pki: TestPki, tsa_url: str) -> dict[str, str]:
    (home / "config.toml").write_text(
        f'seal_pkcs12 = "{pki.signer_p12}"\n\n[timestamp]\nurl = "{tsa_url}"\n'
        f'ca_file = "{pki.root_pem}"\n',
        encoding="utf-8",
    )
    return {"SEALBOX_LOCAL_PKCS12_PASSPHRASE": pki.p12_passphrase}


def _sign(home: Path, tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(text_pdf(["A contract to keep for years."]))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json", env_extra=env)
    assert sent.returncode == 0, sent.stderr
    rid = json.loads(sent.stdout)["id"]
    done = run_sealbox(
        "sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe", "--json", env_extra=env
    )
    assert done.returncode == 0, done.stderr
    shown = run_sealbox("show", rid, "--json", env_extra=env)
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def _pdfsig(path: Path) -> str:
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


@pytest.mark.slow
def test_local_seal_and_certificate_are_b_lta_with_a_timestamp_authority(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env = _configure(home, test_pki, test_pki.tsa_url)
    shown = _sign(home, tmp_path, env)
    files = shown["archive"]["files"]
    signed = Path(files["signed"]["path"])
    certificate = Path(files["certificate"]["path"])
    test_pki.stop()  # what follows is offline
    assert document_level(signed.read_bytes()) == "B-LTA"
    assert document_level(certificate.read_bytes()) == "B-LTA"
    for path in (signed, certificate):
        report = _pdfsig(path)
        assert "Signature is Valid" in report, report
    manifest = json.loads((signed.parent / "request.json").read_text(encoding="utf-8"))
    levels = {
        h["payload"]["file"]: h["payload"] for h in manifest["history"] if h["kind"] == "seal level"
    }
    assert levels == {
        "signed": {"file": "signed", "level": "B-LTA", "reason": None},
        "certificate": {"file": "certificate", "level": "B-LTA", "reason": None},
    }
    # Sealed with the office's certificate: this installation never made a root of its own,
    # and verifying the archive offline does not ask for one.
    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 checked: 3 intact, 0 modified, 0 missing; 0 with an invalid signature." in (
        verified.stdout
    )
    assert "trust root" not in verified.stderr
    as_json = run_sealbox("archive", "verify", "--json", env_extra=env)
    files = {f["kind"]: f for f in json.loads(as_json.stdout)["files"]}
    for kind in ("signed", "certificate"):
        seal = files[kind]["signatures"][0]
        assert (seal["level"], seal["timeSource"]) == ("B-LTA", "timestamp authority"), seal
        assert seal["signingTime"] is not None


@pytest.mark.slow
def test_local_seal_with_the_tsa_unreachable_still_completes_and_records_why(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    dead = test_pki.tsa_url.replace(test_pki.prefix, "http://127.0.0.1:9")
    env = _configure(home, test_pki, dead)
    shown = _sign(home, tmp_path, env)
    assert shown["status"] == "completed"
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    assert document_level(signed.read_bytes()) == "B-B"
    assert "Signature is Valid" in _pdfsig(signed)
    manifest = json.loads((signed.parent / "request.json").read_text(encoding="utf-8"))
    [entry] = [
        h
        for h in manifest["history"]
        if h["kind"] == "seal level" and h["payload"]["file"] == "signed"
    ]
    assert entry["payload"]["level"] == "B-B"
    assert "could not be reached" in entry["payload"]["reason"]
    assert dead in entry["payload"]["reason"]
