"""A signed PDF received from a provider is archived exactly as received; with a timestamp
authority set, its timestamped copy (validation data and a document timestamp added as
incremental updates) is kept beside it, and made later when the authority was down.

Against the Craftkit fake on loopback and a real test PKI (certomancer), through the real
``sealbox`` command."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyhanko.sign import fields, signers

from app.pdf.pades import document_level
from app.providers.local.pki import load_pkcs12_identity
from app.providers.local.seal import seal_pdf, update_writer
from tests.conftest import run_sealbox
from tests.contract.test_downloads import completed
from tests.e2e.test_local_long_term import _pdfsig
from tests.fakes.craftkit import CraftkitFake, small_pdf
from tests.support.testpki import TestPki, start_test_pki


@pytest.fixture
def test_pki(tmp_path: Path) -> Iterator[TestPki]:
    with start_test_pki(tmp_path / "pki") as pki:
        yield pki


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


def configure(home: Path, pki: TestPki, tsa_url: str) -> None:
    (home / "config.toml").write_text(
        f'[timestamp]\nurl = "{tsa_url}"\nca_file = "{pki.root_pem}"\ntimeout_s = 5\n',
        encoding="utf-8",
    )


def provider_signed(pki: TestPki, envelope: str) -> bytes:
    """What the provider hands back: its PDF with a real signature from the test PKI."""
    identity = load_pkcs12_identity(pki.signer_p12, pki.p12_passphrase)
    return seal_pdf(small_pdf("Signed purchase order", envelope), identity, reason="Signed")


def sealbox(fake: CraftkitFake, *args: str) -> Any:
    return run_sealbox(*args, env_extra=fake.env())


def sync(fake: CraftkitFake) -> dict[str, Any]:
    done = sealbox(fake, "sync", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def folder_of(fake: CraftkitFake, rid: str) -> Path:
    shown = json.loads(sealbox(fake, "show", rid, "--json").stdout)
    return Path(shown["archive"]["folder"])


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_the_received_pdf_stays_as_received_and_its_timestamped_copy_comes_when_the_tsa_is_up(
    fake: CraftkitFake, home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    rid, envelope = completed(fake, tmp_path)
    received = provider_signed(test_pki, envelope)
    fake.signed_pdfs[envelope] = received

    # The authority is down: the received file is archived anyway, and no copy is made.
    configure(home, test_pki, test_pki.tsa_url.replace(test_pki.prefix, "http://127.0.0.1:9"))
    first = sync(fake)
    assert first["archived"] == [rid]
    assert "could not be reached" in first["notUpgraded"][f"{rid} timestamped"]
    folder = folder_of(fake, rid)
    [signed] = folder.glob("*-signed.pdf")
    assert signed.read_bytes() == received
    assert "timestamped" not in manifest(folder)["files"]
    assert not list(folder.glob("*timestamped*"))

    # The authority is back: the next sync adds the copy beside the received file.
    configure(home, test_pki, test_pki.tsa_url)
    second = sync(fake)
    assert second["upgraded"] == [f"{rid} timestamped: B-B -> B-LTA"], second
    copy = signed.with_name(signed.name.replace("-signed.pdf", "-signed-timestamped.pdf"))
    stamped = copy.read_bytes()
    assert signed.read_bytes() == received  # never changed
    assert stamped.startswith(received) and len(stamped) > len(received)
    assert document_level(stamped) == "B-LTA"
    files = manifest(folder)["files"]
    assert files["signed"]["sha256"] == sha(received)
    assert files["timestamped"] == {
        "name": copy.name,
        "sha256": sha(stamped),
        "size": len(stamped),
        "of": "signed",
        "received": {"sha256": sha(received), "size": len(received)},
        "level": "B-LTA",
    }
    events = [h["payload"] for h in manifest(folder)["history"] if h["kind"] == "seal level"]
    [added] = [e for e in events if e["file"] == "timestamped"]
    assert added["level"] == "B-LTA" and added["timestamped"] is True
    assert added["sha256"] == sha(stamped)
    shown = json.loads(sealbox(fake, "show", rid, "--json").stdout)
    assert shown["archive"]["files"]["timestamped"]["sha256"] == sha(stamped)
    assert sync(fake)["upgraded"] == []  # made once

    # Offline, years later: both files verify, the copy is one Sealbox archived.
    test_pki.stop()
    verified = sealbox(fake, "archive", "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    checks = {f["kind"]: f for f in json.loads(verified.stdout)["files"]}
    assert checks["timestamped"]["state"] == "intact", checks
    assert "added" not in checks
    stamps = [s for s in checks["timestamped"]["signatures"] if s["kind"] == "timestamp"]
    assert len(stamps) == 2
    assert checks["timestamped"]["signatures"][0]["level"] == "B-LTA"
    assert "Signature is Valid" in _pdfsig(copy)
    exported = tmp_path / "out.zip"
    assert sealbox(fake, "archive", "export", str(exported)).returncode == 0
    with zipfile.ZipFile(exported) as zf:
        names = zf.namelist()
        index = zf.read("index.csv").decode("utf-8")
    assert any(n.endswith(copy.name) for n in names)
    header, row = index.splitlines()[:2]
    assert header.endswith(",timestamped_sha256") and row.endswith(sha(stamped))


def certified_no_changes(pki: TestPki, envelope: str) -> bytes:
    """A provider's PDF certified with no change allowed (DocMDP 1)."""
    writer = update_writer(small_pdf("Certified order", envelope))
    meta = signers.PdfSignatureMetadata(
        field_name="Certification",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    signer = signers.SimpleSigner.load_pkcs12(
        str(pki.signer_p12), passphrase=pki.p12_passphrase.encode()
    )
    assert signer is not None
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer).sign_pdf(writer, output=out)
    return out.getvalue()


@pytest.mark.slow
def test_a_pdf_certified_with_no_change_allowed_is_kept_as_received_only(
    fake: CraftkitFake, home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    rid, envelope = completed(fake, tmp_path)
    received = certified_no_changes(test_pki, envelope)
    fake.signed_pdfs[envelope] = received
    configure(home, test_pki, test_pki.tsa_url)
    result = sync(fake)
    assert result["archived"] == [rid] and result["upgraded"] == []
    assert "allows no change to the document" in result["keptAsReceived"][rid]
    folder = folder_of(fake, rid)
    assert [p.name for p in folder.glob("*.pdf") if "timestamped" in p.name] == []
    [signed] = folder.glob("*-signed.pdf")
    assert signed.read_bytes() == received
    again = sealbox(fake, "sync")
    assert again.returncode == 0 and "kept as received" not in again.stdout  # said once
    # Refused once, for good: the upgrade says so and changes nothing.
    upgraded = sealbox(fake, "archive", "upgrade", "--json")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert json.loads(upgraded.stdout)["files"] == []
    assert signed.read_bytes() == received


@pytest.mark.slow
def test_archive_upgrade_adds_the_copy_the_sync_could_not_make(
    fake: CraftkitFake, home: Path, tmp_path: Path, test_pki: TestPki
) -> None:
    rid, envelope = completed(fake, tmp_path)
    received = provider_signed(test_pki, envelope)
    fake.signed_pdfs[envelope] = received
    configure(home, test_pki, test_pki.tsa_url.replace(test_pki.prefix, "http://127.0.0.1:9"))
    assert sync(fake)["archived"] == [rid]
    waiting = sealbox(fake, "archive", "upgrade")
    assert waiting.returncode == 3, waiting.stdout + waiting.stderr
    assert "not now" in waiting.stdout and "could not be reached" in waiting.stdout

    configure(home, test_pki, test_pki.tsa_url)
    done = sealbox(fake, "archive", "upgrade")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "-signed-timestamped.pdf: B-B as received -> B-LTA" in done.stdout
    folder = folder_of(fake, rid)
    [copy] = folder.glob("*-signed-timestamped.pdf")
    assert copy.read_bytes().startswith(received)
    [signed] = folder.glob("*-signed.pdf")
    assert signed.read_bytes() == received
    again = sealbox(fake, "archive", "upgrade", "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["files"] == []
