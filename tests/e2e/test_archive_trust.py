"""``sealbox archive trust``: roots imported by the user are trusted by ``archive verify``,
through the real command, with the test PKI on loopback (stopped while verifying: offline)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import run_sealbox
from tests.e2e.test_local_long_term import _configure, _sign
from tests.support.testpki import TestPki, start_test_pki


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


def _seal_trust(env: dict[str, str]) -> tuple[str, list[str]]:
    """The text output of ``archive verify`` and the trust word of every signature."""
    text = run_sealbox("archive", "verify", env_extra=env)
    as_json = run_sealbox("archive", "verify", "--json", env_extra=env)
    words = [
        s["trust"]
        for f in json.loads(as_json.stdout)["files"]
        if f["kind"] in ("signed", "certificate")
        for s in f["signatures"]
    ]
    return text.stdout + text.stderr, words


@pytest.mark.slow
def test_a_seal_with_an_office_certificate_is_trusted_once_its_root_is_imported(
    home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    env = _configure(home, test_pki, test_pki.tsa_url)
    _sign(home, tmp_path, env)
    root = tmp_path / "office-root.pem"
    root.write_bytes(test_pki.root_pem.read_bytes())
    test_pki.stop()  # what follows is offline

    before, words = _seal_trust(env)
    # A seal and a document timestamp on each of the signed PDF and its certificate; the
    # timestamps are trusted through the authority's CA file ([timestamp] ca_file), which
    # vouches for timestamps only.
    assert words == ["signer not trusted", "trusted"] * 2, before
    assert "signature valid, but the signer is not trusted" in before

    added = run_sealbox("archive", "trust", "add", str(root), env_extra=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Trusted CN=Test Root CA"), added.stdout
    root.unlink()  # a copy was kept: the file imported may go

    after, words = _seal_trust(env)
    assert words == ["trusted"] * 4, after
    assert "not trusted" not in after
    assert after.count("by the timestamp authority; trusted") == 4

    listed = json.loads(run_sealbox("archive", "trust", "list", "--json", env_extra=env).stdout)
    [entry] = listed["roots"]
    fingerprint = entry["fingerprint"]
    removed = run_sealbox("archive", "trust", "remove", fingerprint[:8], env_extra=env)
    assert removed.returncode == 0, removed.stderr
    assert "No longer trusted" in removed.stdout
    _, words = _seal_trust(env)
    assert words == ["signer not trusted", "trusted"] * 2


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(cn: str, *, ca: bool, days: int = 365) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _trust(*args: str) -> tuple[int, str, str]:
    done = run_sealbox("archive", "trust", *args)
    return done.returncode, done.stdout, done.stderr


def _listed() -> list[dict[str, Any]]:
    code, out, err = _trust("list", "--json")
    assert code == 0, err
    roots: list[dict[str, Any]] = json.loads(out)["roots"]
    return roots


def test_trust_add_takes_pem_and_der_ca_certificates_and_lists_them(
    home: Path, tmp_path: Path
) -> None:
    office, provider = _certificate("Office CA", ca=True), _certificate("Provider CA", ca=True)
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(_pem(office, provider))
    der = tmp_path / "office.cer"
    der.write_bytes(office.public_bytes(serialization.Encoding.DER))

    code, out, err = _trust("add", str(der))
    assert (code, err) == (0, "")
    assert "Trusted CN=Office CA" in out
    code, out, _ = _trust("add", str(bundle))
    assert code == 0
    assert "Already trusted: CN=Office CA" in out
    assert "Trusted CN=Provider CA" in out

    roots = _listed()
    assert [r["subject"] for r in roots] == ["CN=Office CA", "CN=Provider CA"]
    fingerprint = office.fingerprint(hashes.SHA256()).hex()
    assert roots[0]["fingerprint"] == fingerprint
    assert roots[0]["notAfter"] == office.not_valid_after_utc.isoformat().replace("+00:00", "Z")
    stored = Path(roots[0]["path"])
    assert stored.parent == home / "data" / "trusted"
    assert x509.load_pem_x509_certificate(stored.read_bytes()) == office
    assert not [p for p in stored.parent.iterdir() if p.name.startswith(".")]  # no temp left

    code, out, _ = _trust("list")
    assert code == 0
    assert f"{fingerprint[:16]}  valid until {office.not_valid_after_utc.date()}" in out


def test_trust_add_refuses_what_is_not_a_ca_certificate_and_keeps_nothing(
    home: Path, tmp_path: Path
) -> None:
    leaf = tmp_path / "signer.pem"
    leaf.write_bytes(_pem(_certificate("Jane Doe", ca=False)))
    mixed = tmp_path / "chain.pem"
    mixed.write_bytes(_pem(_certificate("Office CA", ca=True), _certificate("Jane", ca=False)))
    text = tmp_path / "notes.pem"
    text.write_text("not a certificate\n", encoding="utf-8")

    code, out, err = _trust("add", str(leaf))
    assert (code, out) == (1, "")
    assert err == (
        f"sealbox: {leaf} (CN=Jane Doe) is not a CA certificate (it is an end-entity "
        "certificate): import the certificate of the authority that issued the signing "
        "certificates instead.\n"
    )
    code, _, err = _trust("add", str(mixed))
    assert code == 1
    assert f"certificate 2 of 2 in {mixed} (CN=Jane) is not a CA certificate" in err
    code, _, err = _trust("add", str(text))
    assert code == 1
    assert f"{text} is not a certificate (PEM or DER)" in err
    assert len(err.splitlines()) == 1
    code, _, err = _trust("add", str(tmp_path / "missing.pem"))
    assert code == 1
    assert "does not exist" in err
    assert _listed() == []  # the CA of the mixed file was not kept either


def test_trust_remove_takes_an_unambiguous_fingerprint_prefix(home: Path, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(_pem(_certificate("Office CA", ca=True)))
    assert _trust("add", str(ca))[0] == 0
    [root] = _listed()

    code, _, err = _trust("remove", "xyz")
    assert code == 1
    assert "is not a fingerprint" in err
    other = "0000" if not root["fingerprint"].startswith("0000") else "ffff"
    code, _, err = _trust("remove", other)
    assert code == 1
    assert f"No imported certificate has a fingerprint starting with '{other}'" in err
    assert len(_listed()) == 1

    prefix = ":".join(root["fingerprint"][i : i + 2] for i in range(0, 8, 2)).upper()
    code, out, _ = _trust("remove", prefix)
    assert code == 0
    assert "No longer trusted: CN=Office CA" in out
    assert _listed() == []
    assert not Path(root["path"]).exists()


def test_export_root_writes_this_installations_root_once_there_is_one(
    home: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "our-root.pem"
    code, _, err = _trust("export-root", str(dest))
    assert code == 1
    assert err.startswith("sealbox: This installation has no root of its own yet")
    assert not dest.exists()

    _sign(home, tmp_path, {})  # sealed with this installation's own seal: its root is made
    code, out, err = _trust("export-root", str(dest))
    assert code == 0, err
    ours = x509.load_pem_x509_certificate((home / "data" / "seal" / "ca.pem").read_bytes())
    assert x509.load_pem_x509_certificate(dest.read_bytes()) == ours
    assert f"to {dest}" in out

    code, _, err = _trust("export-root", str(dest))
    assert code == 1
    assert f"{dest} already exists" in err
    folder = tmp_path / "share"
    folder.mkdir()
    assert _trust("export-root", str(folder))[0] == 0
    assert (folder / "sealbox-root.pem").read_bytes() == dest.read_bytes()

    # A colleague imports it; here it is already this installation's own, and stays trusted.
    assert _trust("add", str(dest))[0] == 0
    assert [r["subject"] for r in _listed()] == [ours.subject.rfc4514_string()]
