"""Secrets never reach a file under SEALBOX_HOME, a log, or any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pymupdf
import pytest

from app.logs import RedactingFilter, redact, register_secret
from app.secrets import KeyringSecrets
from tests.conftest import run_sealbox
from tests.e2e.test_bad_input import SPEC

PASSPHRASE = "planted-passphrase-7f3a9c1e5b"
API_KEY = "ck_live_planted_key_0123456789"


@pytest.mark.slow
def test_planted_secrets_appear_nowhere(home: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**SPEC, "recipients": [{"firstName": "J", "email": "nope"}]}))
    env = {"SEALBOX_LOCAL_SEAL_PASSPHRASE": PASSPHRASE, "SEALBOX_CRAFTKIT_API_KEY": API_KEY}
    outputs = []

    def run(*args: str) -> int:
        result = run_sealbox(*args, env_extra=env)
        outputs.append(result.stdout + result.stderr)
        return result.returncode

    assert run("send", str(pdf), "--spec", str(spec), "--json") == 0
    rid = json.loads(outputs[-1])["id"]
    assert run("send", str(pdf), "--spec", str(bad)) == 1
    assert run("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe") == 0
    assert run("show", rid, "--json") == 0
    assert run("providers", "--json") == 0
    assert run("send", str(pdf), "--spec", str(spec), "--provider", "craftkit") == 1
    assert run("archive", "verify") == 0
    assert run("list") == 0
    # The seal key was created with the planted passphrase and is encrypted with it.
    key = (home / "data" / "seal" / "seal-key.pem").read_bytes()
    assert b"ENCRYPTED" in key

    for text in outputs:
        assert PASSPHRASE not in text and API_KEY not in text
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files)
    for path in files:
        data = path.read_bytes()
        assert PASSPHRASE.encode() not in data, path
        assert API_KEY.encode() not in data, path


def test_redaction_filter_masks_known_and_shaped_secrets(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("s3cr3t-value-xyz")
    assert redact("token s3cr3t-value-xyz here") == "token ••• here"
    assert "abc.def" not in redact("Authorization: Bearer abc.def")
    assert "k123" not in redact('{"apiKey": "k123"}')
    assert "zzz" not in redact("client_secret=zzz&grant_type=client_credentials")
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "key %s", ("s3cr3t-value-xyz",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "key •••"


def test_secrets_come_from_the_environment_first(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = KeyringSecrets({"SEALBOX_CRAFTKIT_API_KEY": "from-env"})
    assert store.get("craftkit.api_key") == "from-env"
    store.set("saypdf.api_key", "in-keyring")
    assert KeyringSecrets({}).get("saypdf.api_key") == "in-keyring"


def test_no_keyring_gives_a_clear_message() -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    from app.errors import UnavailableError

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        assert KeyringSecrets({}).get("craftkit.api_key") is None
        with pytest.raises(UnavailableError, match="No OS keyring is available") as info:
            KeyringSecrets({}).set("craftkit.api_key", "x")
        assert "SEALBOX_CRAFTKIT_API_KEY" in str(info.value)
    finally:
        keyring.set_keyring(previous)
