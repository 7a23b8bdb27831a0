"""Long-term seals checked offline, through the real ``sealbox`` command against the test PKI:
a revoked signer is reported revoked, a good one valid and trusted at B-LTA, and the timestamp
authority's own options (its CA file, its timeout) do what they say."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import pem

from app.archive.badge import prepare_verify, run_verify
from app.context import Context
from tests.conftest import run_sealbox
from tests.e2e.test_local_long_term import SPEC
from tests.support.pdfgen import text_pdf
from tests.support.testpki import TestPki, start_test_pki

pytestmark = pytest.mark.slow


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _configure(home: Path, pki: TestPki, *, p12: Path | None, extra: str = "") -> dict[str, str]:
    seal = f'seal_pkcs12 = "{p12}"\n\n' if p12 is not None else ""
    (home / "config.toml").write_text(
        f'{seal}[timestamp]\nurl = "{pki.tsa_url}"\nca_file = "{pki.root_pem}"\n{extra}',
        encoding="utf-8",
    )
    return {"SEALBOX_LOCAL_PKCS12_PASSPHRASE": pki.p12_passphrase}


def _sign(tmp_path: Path, env: dict[str, str]) -> dict[str, Any]:
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


def _levels(signed: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((signed.parent / "request.json").read_text(encoding="utf-8"))
    return {
        h["payload"]["file"]: h["payload"] for h in manifest["history"] if h["kind"] == "seal level"
    }


def _verify_json(env: dict[str, str]) -> tuple[int, dict[str, dict[str, Any]]]:
    done = run_sealbox("archive", "verify", "--json", env_extra=env)
    files = {f["kind"]: f for f in json.loads(done.stdout)["files"]}
    return done.returncode, files


def _pdfsig(path: Path) -> str:
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def _trust_root(pki: TestPki, env: dict[str, str]) -> None:
    added = run_sealbox("archive", "trust", "add", str(pki.root_pem), env_extra=env)
    assert added.returncode == 0, added.stderr


def test_a_revoked_signer_is_sealed_with_its_revocation_data_and_reported_revoked_offline(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env = _configure(home, test_pki, p12=test_pki.revoked_p12)
    _trust_root(test_pki, env)
    shown = _sign(tmp_path, env)
    assert shown["status"] == "completed"
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    test_pki.stop()  # everything below is offline

    # The seal was still made, up to B-LTA, and its record says plainly why it is no good.
    level = _levels(signed)["signed"]
    assert level["level"] == "B-LTA", level
    assert "could not be fetched" not in str(level["reason"])
    assert level["reason"].startswith(
        "the certificate Test Revoked Seal was revoked on 2021-01-01 by Test Intermediate CA"
    ), level
    [revoked] = level["revoked"]
    assert revoked["certificate"] == "Test Revoked Seal"
    assert revoked["revokedAt"] == "2021-01-01T00:00:00Z"
    assert revoked["by"] == "Test Intermediate CA"
    assert revoked["source"] == "its OCSP responder"

    code, files = _verify_json(env)
    assert code == 1
    seal = files["signed"]["signatures"][0]
    assert seal["trust"] == "revoked", seal
    assert seal["level"] == "B-LTA"
    assert seal["revocation"]["revoked"] is True
    assert seal["revocation"]["revokedAt"] == "2021-01-01T00:00:00Z"
    assert seal["revocation"]["revokedBy"] == "Test Intermediate CA"
    assert seal["revocation"]["ocspResponses"] >= 1
    assert files["signed"]["ok"] is False
    assert "revoked" in seal["otherReaders"]

    human = run_sealbox("archive", "verify", env_extra=env)
    assert human.returncode == 1
    assert "signature valid, but the signer's certificate was REVOKED" in human.stdout
    assert "REVOKED on 2021-01-01 by Test Intermediate CA" in human.stdout
    assert "Traceback" not in human.stderr and "RevokedError" not in human.stderr
    assert "Signature is Valid" in _pdfsig(signed)


def test_a_b_lta_seal_validates_offline_as_valid_trusted_with_the_authority_s_time(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env = _configure(home, test_pki, p12=test_pki.signer_p12)
    _trust_root(test_pki, env)
    shown = _sign(tmp_path, env)
    files_made = shown["archive"]["files"]
    test_pki.stop()  # every PKI service is gone: OCSP, CRL, TSA

    code, files = _verify_json(env)
    assert code == 0, files
    for kind in ("signed", "certificate"):
        assert files[kind]["signature"] == "valid", files[kind]
        seal, *timestamps = files[kind]["signatures"]
        assert seal["kind"] == "signature"
        assert (seal["level"], seal["trust"], seal["timeSource"]) == (
            "B-LTA",
            "trusted",
            "timestamp authority",
        ), seal
        assert seal["trustSource"] == "imported"
        assert seal["revocation"]["revoked"] is False
        assert seal["revocation"]["ocspResponses"] + seal["revocation"]["crls"] >= 1
        assert timestamps and all(t["trust"] == "trusted" for t in timestamps), timestamps
        assert "organisation's certificate authority" in seal["otherReaders"]
        assert "timestamp authority" in seal["otherReaders"]
        assert "Signature is Valid" in _pdfsig(Path(files_made[kind]["path"]))
    human = run_sealbox("archive", "verify", env_extra=env)
    assert human.returncode == 0, human.stdout + human.stderr
    assert "other readers: Other PDF readers (Adobe Acrobat Reader, Okular, pdfsig)" in (
        human.stdout
    )


def test_the_authority_s_ca_file_is_what_makes_its_timestamps_trusted(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    """Sealed with this installation's own root (so the signer is trusted through it), while
    the authority's certificate chains only to the CA file named in [timestamp]."""
    env = _configure(home, test_pki, p12=None)
    shown = _sign(tmp_path, env)
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    assert _levels(signed)["signed"]["level"] == "B-LTA"
    test_pki.stop()

    code, files = _verify_json(env)
    assert code == 0
    seal, *timestamps = files["signed"]["signatures"]
    assert (seal["trust"], seal["trustSource"]) == ("trusted", "installation")
    assert "this installation's root certificate" in seal["otherReaders"]
    assert timestamps and all(t["trust"] == "trusted" for t in timestamps), timestamps
    assert {t["trustSource"] for t in timestamps} == {"timestamp"}
    assert files["signed"]["signature"] == "valid"
    # The Archive place's badge trusts the same roots.
    with closing(Context.from_environment()) as ctx:
        badge = run_verify(prepare_verify(ctx, shown["id"]))
    assert badge.state == "valid", badge

    # Without the CA file the same timestamps are no longer trusted (the signer still is).
    (home / "config.toml").write_text(
        f'[timestamp]\nurl = "{test_pki.tsa_url}"\n', encoding="utf-8"
    )
    _, files = _verify_json(env)
    seal, *timestamps = files["signed"]["signatures"]
    assert seal["trust"] == "trusted"
    assert all(t["trust"] == "signer not trusted" for t in timestamps), timestamps
    assert files["signed"]["signature"] == "untrusted"


def test_a_timestamp_authority_slower_than_its_timeout_gives_the_lower_level_naming_it(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    """A TSA that takes the connection and never answers (no sleep: it simply does not
    answer) with a 1-second timeout in [timestamp]."""
    with socket.socket() as slow:
        slow.bind(("127.0.0.1", 0))
        slow.listen(8)
        port = slow.getsockname()[1]
        url = f"http://127.0.0.1:{port}/tsa"
        (home / "config.toml").write_text(
            f'seal_pkcs12 = "{test_pki.signer_p12}"\n\n[timestamp]\nurl = "{url}"\n'
            f'ca_file = "{test_pki.root_pem}"\ntimeout_s = 1\n',
            encoding="utf-8",
        )
        env = {"SEALBOX_LOCAL_PKCS12_PASSPHRASE": test_pki.p12_passphrase}
        shown = _sign(tmp_path, env)
    assert shown["status"] == "completed"
    signed = Path(shown["archive"]["files"]["signed"]["path"])
    level = _levels(signed)["signed"]
    assert level["level"] == "B-B", level
    assert f"127.0.0.1:{port}" in level["reason"]
    assert "did not answer within 1 s" in level["reason"], level


def test_the_system_trust_store_is_used_only_when_chosen(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    """The system's store is read where OpenSSL says it is (``SSL_CERT_FILE`` here points it
    at a bundle holding the test root, as an office's managed computers would hold theirs)."""
    env = _configure(home, test_pki, p12=test_pki.signer_p12)
    _sign(tmp_path, env)
    test_pki.stop()
    bundle = tmp_path / "system-bundle.pem"
    bundle.write_bytes(pem.armor("CERTIFICATE", test_pki.root_pem.read_bytes()))
    env["SSL_CERT_FILE"] = str(bundle)

    listed = run_sealbox("archive", "trust", "list", "--json", env_extra=env)
    system = json.loads(listed.stdout)["system"]
    assert system == {"used": False, "where": str(bundle), "certificates": 1}
    assert "The system's trust store is not used" in (
        run_sealbox("archive", "trust", "list", env_extra=env).stdout
    )
    _, files = _verify_json(env)
    seal = files["signed"]["signatures"][0]
    assert (seal["trust"], seal["trustSource"]) == ("signer not trusted", None)
    assert files["signed"]["signature"] == "untrusted"

    with (home / "config.toml").open("a", encoding="utf-8") as config:
        config.write("\n[trust]\nsystem = true\n")
    listed = run_sealbox("archive", "trust", "list", env_extra=env)
    assert f"The system's trust store is used: 1 certificate from {bundle}." in listed.stdout
    code, files = _verify_json(env)
    assert code == 0
    seal = files["signed"]["signatures"][0]
    assert (seal["trust"], seal["trustSource"]) == ("trusted", "system")
    assert "Adobe Approved Trust List" in seal["otherReaders"]
    assert files["signed"]["signature"] == "valid"
