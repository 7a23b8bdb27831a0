"""Where verification's trusted roots come from (app.archive.trust_sources)."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.archive.trust_sources import (
    SYSTEM_BUNDLES,
    TrustRoots,
    read_ca_file,
    system_trust_chosen,
    system_trust_store,
)


def _root(cn: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def test_trust_roots_read_as_the_signature_roots_and_say_where_each_comes_from() -> None:
    own, office, public, tsa = (_root(n) for n in ("Own", "Office", "Public", "TSA"))
    roots = TrustRoots(
        installation=(_pem(own),),
        imported=(_der(office),),
        system=(_pem(public),),
        timestamp=(_pem(tsa),),
    )
    assert list(roots) == [_pem(own), _der(office), _pem(public)]
    assert len(roots) == 3 and roots[1] == _der(office)
    assert roots.for_timestamps[-1] == _pem(tsa)
    assert len(roots.signature_certs) == 3 and len(roots.timestamp_certs) == 4
    assert roots.source_of(_der(own)) == "installation"
    assert roots.source_of(_der(office)) == "imported"
    assert roots.source_of(_der(public)) == "system"
    assert roots.source_of(_der(tsa)) == "timestamp"
    assert roots.source_of(_der(_root("Stranger"))) is None
    # This installation's root also imported stays "installation".
    both = TrustRoots(installation=(_pem(own),), imported=(_pem(own),))
    assert both.source_of(_der(own)) == "installation"


def test_the_system_store_is_found_where_openssl_says_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(_pem(_root("A")) + _pem(_root("B")))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    store = system_trust_store("linux")
    assert store.where == str(bundle) and store.count() == 2


def test_without_a_bundle_linux_has_none_and_macos_falls_back_to_certifi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setitem(SYSTEM_BUNDLES, "linux", (str(tmp_path / "missing.crt"),))
    monkeypatch.setitem(SYSTEM_BUNDLES, "darwin", (str(tmp_path / "missing.pem"),))
    assert system_trust_store("linux").roots == ()
    mac = system_trust_store("darwin")
    assert mac.where == certifi.where() and mac.count() > 50


def test_windows_reads_its_certificate_store(monkeypatch: pytest.MonkeyPatch) -> None:
    der = _der(_root("Windows root"))
    monkeypatch.setattr(
        ssl,
        "enum_certificates",
        lambda store: [(der, "x509_asn", True), (b"crl", "pkcs_7_asn", True)],
        raising=False,
    )
    store = system_trust_store("win32")
    assert store.roots == (der,) and store.count() == 1


def test_the_system_store_is_used_only_when_chosen_as_a_boolean() -> None:
    assert not system_trust_chosen({})
    assert not system_trust_chosen({"system": "yes"})
    assert system_trust_chosen({"system": True})


def test_the_authority_s_ca_file_is_read_or_left_out(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"PEM")
    assert read_ca_file(str(ca)) == (b"PEM",)
    assert read_ca_file(None) == () and read_ca_file("  ") == ()
    assert read_ca_file(str(tmp_path / "gone.pem")) == ()
