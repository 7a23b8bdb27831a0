"""A SoftHSM2 token of a test's own, holding a key and certificates from a PKCS#12 file.

:func:`make_token` writes a SoftHSM2 configuration whose token folder is in the test's temporary
directory, initialises a token there (``softhsm2-util --init-token --free``), imports the
PKCS#12 file's private key (``softhsm2-util --import``, a PKCS#8 PEM) and then, in a process of
its own (``python -m tests.support.softhsm``), its certificate under the key's label and the
issuing CAs' under theirs, with python-pkcs11. The test process itself never loads the module:
a PKCS#11 module reads its configuration once per process, and each test has its own.

Everything that uses the token runs with ``SOFTHSM2_CONF`` (``SoftToken.env``) pointing at the
test's configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

REPO = Path(__file__).resolve().parents[2]
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "87654321"


@dataclass(frozen=True)
class SoftToken:
    conf: Path
    module: str
    label: str
    pin: str
    key: str

    @property
    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}


def need_softhsm() -> None:
    """Skip where SoftHSM2 is not installed; in CI (which installs it) fail instead."""
    if shutil.which("softhsm2-util") and os.path.isfile(MODULE):
        return
    if os.environ.get("CI"):
        pytest.fail("CI installs softhsm2 (.ci/run): softhsm2-util or its module is missing")
    pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")


def make_token(
    directory: Path,
    p12: Path,
    p12_password: str,
    *,
    label: str = "Office Seal",
    pin: str = "123456",
    key: str = "office-seal",
) -> SoftToken:
    need_softhsm()
    tokens = directory / "tokens"
    tokens.mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    init = ["softhsm2-util", "--init-token", "--free", "--label", label]
    _run([*init, "--pin", pin, "--so-pin", SO_PIN], env)
    private_key, _cert, _extra = pkcs12.load_key_and_certificates(
        p12.read_bytes(), p12_password.encode()
    )
    assert private_key is not None
    key_pem = directory / "key.pem"
    key_pem.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    put_key = ["softhsm2-util", "--import", str(key_pem), "--token", label, "--label", key]
    _run([*put_key, "--id", "01", "--pin", pin], env)
    key_pem.unlink()
    put_certs = [sys.executable, "-m", "tests.support.softhsm", MODULE, label, pin, key]
    _run([*put_certs, str(p12), p12_password], {**env, "PYTHONPATH": str(REPO)})
    return SoftToken(conf, MODULE, label, pin, key)


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False, cwd=REPO)
    assert done.returncode == 0, f"{args[0]} {args[1]}: {done.stdout}{done.stderr}"


def _import_certificates(
    module: str, label: str, pin: str, key: str, p12: Path, password: str
) -> None:
    """Put the PKCS#12 file's certificate on the token under ``key`` and its CAs' beside it."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    _key, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), password.encode())
    assert cert is not None
    token = pkcs11.lib(module).get_token(token_label=label)
    with token.open(user_pin=pin, rw=True) as session:
        for i, (obj_label, c) in enumerate(
            [(key, cert), *((f"ca-{n}", c) for n, c in enumerate(extra))]
        ):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: obj_label,
                    Attribute.ID: b"\x01" if i == 0 else bytes([0x10 + i]),
                    Attribute.SUBJECT: c.subject.public_bytes(),
                    Attribute.VALUE: c.public_bytes(serialization.Encoding.DER),
                }
            )


if __name__ == "__main__":
    module_, label_, pin_, key_, p12_, password_ = sys.argv[1:7]
    _import_certificates(module_, label_, pin_, key_, Path(p12_), password_)
