"""``sealbox archive verify --json`` reports for each file what the signature panel shows: the
chain with each certificate's status, the revocation data found, what each signature covers
and when the long-term proof must be renewed (through the real command, offline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_sealbox
from tests.e2e.test_local_long_term import SPEC
from tests.support import received
from tests.support.pdfgen import text_pdf
from tests.support.testpki import TestPki, start_test_pki


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _seal(tmp_path: Path, pdf: bytes, env: dict[str, str] | None = None) -> str:
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    sent = run_sealbox("send", str(path), "--spec", str(spec), "--json", env_extra=env)
    assert sent.returncode == 0, sent.stderr
    rid: str = json.loads(sent.stdout)["id"]
    done = run_sealbox(
        "sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe", "--json", env_extra=env
    )
    assert done.returncode == 0, done.stderr
    return rid


def _files(env: dict[str, str] | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    verified = run_sealbox("archive", "verify", "--json", env_extra=env)
    report = json.loads(verified.stdout)
    return verified.returncode, {f["kind"]: f for f in report["files"]}


@pytest.mark.slow
def test_verify_json_gives_chain_revocation_coverage_and_renewal_of_a_b_lta_seal(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    (home / "config.toml").write_text(
        f'seal_pkcs12 = "{test_pki.signer_p12}"\n\n[timestamp]\nurl = "{test_pki.tsa_url}"\n'
        f'ca_file = "{test_pki.root_pem}"\n',
        encoding="utf-8",
    )
    env = {"SEALBOX_LOCAL_PKCS12_PASSPHRASE": test_pki.p12_passphrase}
    # The office's CA is trusted here, as an office imports it.
    added = run_sealbox("archive", "trust", "add", str(test_pki.root_pem), env_extra=env)
    assert added.returncode == 0, added.stderr
    _seal(tmp_path, text_pdf(["A contract to keep for years."]), env)
    test_pki.stop()  # offline from here

    code, files = _files(env)
    assert code == 0
    signed = files["signed"]
    seal, stamp = signed["signatures"]
    assert (seal["kind"], seal["state"], seal["level"]) == ("signature", "trusted", "B-LTA")
    assert [(c["subject"].split(",")[0], c["status"]) for c in seal["chain"]] == [
        ("CN=Test Office Seal", "trusted"),
        ("CN=Test Intermediate CA", "trusted"),
        ("CN=Test Root CA", "trusted"),
    ]
    assert seal["revocation"]["ocsp"] + seal["revocation"]["crl"] >= 1
    assert seal["covers"] == "later revisions added: validation data, a document timestamp"
    assert seal["signedLength"] < Path(signed["path"]).stat().st_size
    assert (stamp["kind"], stamp["state"], stamp["covers"]) == (
        "timestamp",
        "trusted",
        "the whole file",
    )
    assert stamp["certificateExpires"] == "2050-01-01T00:00:00.000Z"
    assert signed["renewBy"] == "2050-01-01T00:00:00.000Z"


def test_verify_json_says_what_came_after_a_received_signature(home: Path, tmp_path: Path) -> None:
    """A PDF that arrived signed by Erika, signed here in person: her signature covers the
    revision she signed; the stamp and the seal came after."""
    _seal(tmp_path, received.signed_contract())
    code, files = _files()
    erika, seal = files["signed"]["signatures"]
    assert code == 0, files
    assert erika["signer"] == "CN=Erika Mustermann, O=Beispiel GmbH"
    assert (erika["state"], erika["trust"]) == ("untrusted", "signer not trusted")
    assert [c["status"] for c in erika["chain"]] == ["issuer unknown"]
    seal_name = seal["signer"].split(",")[0].removeprefix("CN=")
    # The stamped values are the pages' content; the seal came last.
    assert erika["covers"] == (
        f"later revisions added: changes to the pages' content, a signature by {seal_name}"
    )
    assert erika["timeSource"] == "signer's clock"
    assert (seal["state"], seal["covers"], seal["level"]) == ("trusted", "the whole file", "B-B")
    assert [c["status"] for c in seal["chain"]] == ["trusted", "trusted"]
    assert files["signed"]["renewBy"] is None
