"""Sealing with the office's own certificate, through the real ``sealbox`` command: a PKCS#12
file whose password is not kept, and a key on a smartcard or token (a SoftHSM2 token made by
the test, holding the test PKI's signer). The seals are checked by ``archive verify`` (trusted
once the test root is imported) and by poppler's ``pdfsig``."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_sealbox
from tests.e2e.test_local_long_term import SPEC
from tests.support.pdfgen import text_pdf
from tests.support.softhsm import SoftToken, make_token
from tests.support.testpki import TestPki, start_test_pki

SIGNER = "Test Office Seal"


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    """The test PKI's files (its services are not needed: no timestamp authority here)."""
    with start_test_pki(tmp_path_factory.mktemp("pki")) as pki:
        pki.stop()
        yield pki


def send_and_sign(
    tmp_path: Path, env: dict[str, str]
) -> tuple[str, subprocess.CompletedProcess[str]]:
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(text_pdf(["A contract sealed by the office."]))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    sent = run_sealbox("send", str(pdf), "--spec", str(spec), "--json", env_extra=env)
    assert sent.returncode == 0, sent.stderr
    rid = str(json.loads(sent.stdout)["id"])
    signed = run_sealbox(
        "sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe", env_extra=env
    )
    return rid, signed


def archived(rid: str, env: dict[str, str]) -> dict[str, Any]:
    shown = run_sealbox("show", rid, "--json", env_extra=env)
    assert shown.returncode == 0, shown.stderr
    data: dict[str, Any] = json.loads(shown.stdout)
    assert data["status"] == "completed", data
    return data


def check_trusted_seal(shown: dict[str, Any], root: Path, env: dict[str, str]) -> None:
    """``archive verify`` calls the seal untrusted, then trusted once ``root`` is imported;
    ``pdfsig`` finds it valid and names the signer."""
    before = run_sealbox("archive", "verify", "--json", env_extra=env)
    trust = [s["trust"] for f in json.loads(before.stdout)["files"] for s in f["signatures"]]
    assert trust and all(t.startswith("signer not trusted") for t in trust), before.stdout
    added = run_sealbox("archive", "trust", "add", str(root), env_extra=env)
    assert added.returncode == 0, added.stderr
    verified = run_sealbox("archive", "verify", env_extra=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 checked: 3 intact, 0 modified, 0 missing; 0 with an invalid signature." in (
        verified.stdout
    )
    after = run_sealbox("archive", "verify", "--json", env_extra=env)
    files = json.loads(after.stdout)["files"]
    seals = [s for f in files for s in f["signatures"]]
    assert len(seals) == 2, files  # the signed PDF's and the completion certificate's
    assert all(s["trust"] == "trusted" for s in seals), seals
    assert all(SIGNER in s["signer"] for s in seals), seals
    for kind in ("signed", "certificate"):
        report = pdfsig(Path(shown["archive"]["files"][kind]["path"]))
        assert "Signature is Valid." in report, report
        assert f"Signer Certificate Common Name: {SIGNER}" in report, report


def pdfsig(path: Path) -> str:
    assert shutil.which("pdfsig"), "CI installs poppler-utils"
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def configure(home: Path, lines: list[str]) -> None:
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- a PKCS#12 file -------------------------------------------------------------------------------


def test_a_certificate_files_password_not_kept_is_asked_for_then_the_seal_is_trusted(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    configure(home, ['seal_with = "pkcs12"', f'seal_pkcs12 = "{test_pki.signer_p12}"'])
    rid, signed = send_and_sign(tmp_path, {})
    # The signature is kept; sealing needs the password, and the message says how to give it.
    assert signed.returncode == 1, signed.stdout + signed.stderr
    assert (
        f"The certificate file {test_pki.signer_p12} is protected by a password and none is "
        "given: set SEALBOX_LOCAL_PKCS12_PASSPHRASE for the command, or keep it in the keyring "
        "with `sealbox login local`."
    ) in signed.stderr, signed.stderr
    assert "Traceback" not in signed.stderr
    # Given for one command, it seals; nothing is written to the keyring.
    env = {"SEALBOX_LOCAL_PKCS12_PASSPHRASE": test_pki.p12_passphrase}
    synced = run_sealbox("sync", env_extra=env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    keyring = tmp_path / "keyring.json"
    assert not keyring.exists() or "pkcs12" not in keyring.read_text(encoding="utf-8")
    check_trusted_seal(archived(rid, {}), test_pki.root_pem, {})


# --- a smartcard or token (PKCS#11) -------------------------------------------------------------


@pytest.fixture
def token(tmp_path: Path, test_pki: TestPki) -> SoftToken:
    return make_token(tmp_path / "softhsm", test_pki.signer_p12, test_pki.p12_passphrase)


def token_settings(device: SoftToken, **changes: str) -> list[str]:
    values = {"module": device.module, "token": device.label, "key": device.key, **changes}
    return ['seal_with = "pkcs11"'] + [f'seal_pkcs11_{k} = "{v}"' for k, v in values.items()]


def test_a_seal_made_with_a_key_on_a_token_is_valid_and_trusted(
    home: Path, tmp_path: Path, test_pki: TestPki, token: SoftToken
) -> None:
    configure(home, token_settings(token))
    env = {**token.env, "SEALBOX_LOCAL_PKCS11_PIN": token.pin}
    rid, signed = send_and_sign(tmp_path, env)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert "is complete and archived" in signed.stdout
    check_trusted_seal(archived(rid, env), test_pki.root_pem, env)


@pytest.mark.parametrize(
    ("change", "pin", "message"),
    [
        (
            {"module": "/nowhere/opensc-pkcs11.so"},
            "123456",
            "There is no PKCS#11 module at /nowhere/opensc-pkcs11.so: install the smartcard's "
            "software (OpenSC for most cards) or choose the module's file.",
        ),
        (
            {"token": "Other Card"},
            "123456",
            "The smartcard or token 'Other Card' is not present (present: 'Office Seal'): "
            "insert it, or enter the token's name as its software shows it.",
        ),
        (
            {},
            "999999",
            "The PIN for the token 'Office Seal' is wrong; enter the right PIN (the card locks "
            "after a few wrong tries).",
        ),
        (
            {"key": "someone-else"},
            "123456",
            "The token 'Office Seal' has no private key labelled 'someone-else'; enter the "
            "key's label as the card's software shows it.",
        ),
        (
            {},
            "",
            "The smartcard or token 'Office Seal' needs its PIN and none is given: set "
            "SEALBOX_LOCAL_PKCS11_PIN for the command, or keep it in the keyring with "
            "`sealbox login local`.",
        ),
    ],
    ids=["module not found", "token not present", "wrong PIN", "key not found", "no PIN"],
)
def test_token_problems_are_said_in_plain_words_and_the_signature_is_kept(
    home: Path,
    tmp_path: Path,
    token: SoftToken,
    change: dict[str, str],
    pin: str,
    message: str,
) -> None:
    configure(home, token_settings(token, **change))
    env = {**token.env, "SEALBOX_LOCAL_PKCS11_PIN": pin}
    rid, signed = send_and_sign(tmp_path, env)
    assert signed.returncode == 1, signed.stdout + signed.stderr
    assert message in signed.stderr, signed.stderr
    assert "Traceback" not in signed.stderr and "PKCS11Error" not in signed.stderr
    # Nothing is lost: with the settings put right, `sync` seals and archives it.
    configure(home, token_settings(token))
    synced = run_sealbox("sync", env_extra={**token.env, "SEALBOX_LOCAL_PKCS11_PIN": token.pin})
    assert synced.returncode == 0, synced.stdout + synced.stderr
    archived(rid, token.env)
