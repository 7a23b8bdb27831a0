"""What a provider sends is checked before it is archived, and a bad copy can be fetched again.

Against the Craftkit fake on loopback, through the real ``sealbox`` command: a download that is
"%PDF-" and garbage, a PDF whose signature is broken, a body over the size cap (streamed without
a length, so the cap must hold while it streams); then ``download --again``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest

from app.faults import CRASH_EXIT_CODE
from app.providers.errors import DownloadRejectedError
from app.providers.http import MAX_DOWNLOAD_BYTES, ProviderHttp
from app.providers.local.pki import SealIdentity, ensure_installation_identity
from app.providers.local.seal import seal_pdf
from app.secrets import MemorySecrets
from tests.conftest import run_sealbox
from tests.fakes.base import FakeResponse
from tests.fakes.craftkit import CraftkitFake, small_pdf

DOWNLOAD = "/v1/signatures/[^/]+/download"


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    with CraftkitFake() as server:
        yield server


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SealIdentity:
    return ensure_installation_identity(tmp_path_factory.mktemp("seal"), MemorySecrets())


def sealbox(fake: CraftkitFake, *args: str) -> Any:
    return run_sealbox(*args, env_extra=fake.env())


def completed(fake: CraftkitFake, tmp_path: Path) -> tuple[str, str]:
    """A request sent through Craftkit and completed there (not yet synced): (id, envelope)."""
    pdf = tmp_path / "order.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Purchase order 881")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Purchase order 881",
                "recipients": [
                    {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
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
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    sent = sealbox(
        fake,
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        fake.add_render(pdf.read_bytes()),
        "--json",
    )
    assert sent.returncode == 0, sent.stderr
    rid = json.loads(sent.stdout)["id"]
    envelope = fake.envelope_ids()[-1]
    fake.advance(envelope, "completed")
    return rid, envelope


def broken_signature(identity: SealIdentity) -> bytes:
    sealed = bytearray(
        seal_pdf(small_pdf("Signed purchase order"), identity, reason="Signed at Craftkit")
    )
    at = sealed.index(b"Signed at Craftkit")
    sealed[at] ^= 0x20  # inside the signed bytes: the signature no longer matches
    return bytes(sealed)


def shown(fake: CraftkitFake, rid: str) -> dict[str, Any]:
    result = sealbox(fake, "show", rid, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def assert_rejected(fake: CraftkitFake, home: Path, rid: str, why: str) -> None:
    synced = sealbox(fake, "sync", "--json")
    assert synced.returncode == 1, synced.stdout + synced.stderr
    result = json.loads(synced.stdout)
    assert result["archived"] == []
    assert why in result["errors"][rid], result["errors"]
    assert "Traceback" not in synced.stderr
    data = shown(fake, rid)
    assert data["status"] == "completed" and "archive" not in data
    assert why in data["archiveError"]
    text = sealbox(fake, "show", rid)
    assert f"not archived: The signed PDF Craftkit sent {why}" in text.stdout
    assert not list((home / "archive").rglob("*.pdf"))
    assert not list((home / "archive").rglob("*.part"))


@pytest.mark.slow
def test_a_pdf_header_on_garbage_is_not_archived(
    fake: CraftkitFake, home: Path, tmp_path: Path
) -> None:
    rid, envelope = completed(fake, tmp_path)
    fake.signed_pdfs[envelope] = b"%PDF-1.7\n" + b"\x8f garbage \x00" * 2000
    assert_rejected(fake, home, rid, "is not a readable PDF")

    # Once the provider sends a good copy, the next sync archives it and the note goes.
    fake.signed_pdfs[envelope] = small_pdf("Signed purchase order", envelope)
    synced = sealbox(fake, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["archived"] == [rid]
    assert shown(fake, rid)["archiveError"] is None


@pytest.mark.slow
def test_a_broken_signature_is_not_archived(
    fake: CraftkitFake, home: Path, tmp_path: Path, identity: SealIdentity
) -> None:
    rid, envelope = completed(fake, tmp_path)
    fake.signed_pdfs[envelope] = broken_signature(identity)
    assert_rejected(fake, home, rid, "has a broken signature")


@pytest.mark.slow
def test_an_endless_body_is_cut_off_at_the_cap(
    fake: CraftkitFake, home: Path, tmp_path: Path
) -> None:
    rid, _ = completed(fake, tmp_path)
    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        yield b"%PDF-1.7\n"
        block = b"\0" * (1024 * 1024)
        for _ in range(300):  # 300 MB if nobody stops reading
            sent.append(len(block))
            yield block

    fake.fail_next(
        "GET",
        DOWNLOAD,
        FakeResponse(200, headers={"Content-Type": "application/pdf"}, chunks=endless),
    )
    synced = sealbox(fake, "sync", "--json")
    assert synced.returncode == 1, synced.stdout + synced.stderr
    error = json.loads(synced.stdout)["errors"][rid]
    assert "larger than 100 MiB" in error
    assert sum(sent) < 150 * 1024 * 1024  # refused while streaming, not after
    assert "larger than 100 MiB" in shown(fake, rid)["archiveError"]
    assert not list((home / "archive").rglob("*.pdf"))
    assert not list(home.rglob("*.part"))


def test_an_announced_size_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    read: list[int] = []

    async def body() -> Any:
        read.append(1)
        yield b"%PDF-1.7\n"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Length": str(MAX_DOWNLOAD_BYTES + 1)}, content=body()
        )

    async def auth() -> dict[str, str]:
        return {}

    async def go() -> None:
        http = ProviderHttp(
            provider="Acme",
            base_url="https://api.acme.test/v1",
            auth=auth,
            login_hint="",
            transport=httpx.MockTransport(handler),
        )
        try:
            with pytest.raises(DownloadRejectedError, match="larger than 100 MiB"):
                await http.download("doc", tmp_path / "doc.pdf")
        finally:
            await http.aclose()

    asyncio.run(go())
    assert read == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_download_again_replaces_a_bad_copy_and_keeps_it_aside(
    fake: CraftkitFake, home: Path, tmp_path: Path
) -> None:
    rid, envelope = completed(fake, tmp_path)
    fake.signed_pdfs[envelope] = small_pdf("Wrong page from the provider", envelope)
    assert sealbox(fake, "sync").returncode == 0
    first = shown(fake, rid)["archive"]
    folder = Path(first["folder"])
    nothing = sealbox(fake, "download", rid)
    assert nothing.returncode == 0 and "download --again" in nothing.stdout

    # The provider fixes its copy; a bad fresh download leaves the archived one untouched.
    fake.signed_pdfs[envelope] = b"%PDF-1.7\n" + b"\x8f garbage \x00" * 2000
    refused = sealbox(fake, "download", "--again", rid)
    assert refused.returncode == 1
    assert "is not a readable PDF" in refused.stderr
    assert (
        shown(fake, rid)["archive"]["files"]["signed"]["sha256"]
        == first["files"]["signed"]["sha256"]
    )

    fake.signed_pdfs[envelope] = small_pdf("Signed purchase order", envelope)
    again = sealbox(fake, "download", "--again", rid, "--json")
    assert again.returncode == 0, again.stderr
    now = json.loads(again.stdout)["archive"]
    assert now["folder"] == first["folder"]
    assert now["files"]["signed"]["sha256"] != first["files"]["signed"]["sha256"]
    kept = [p for p in folder.iterdir() if p.name.startswith(".replaced-")]
    assert len(kept) == 1
    assert sorted(p.name for p in kept[0].iterdir()) == sorted(
        Path(f["path"]).name for f in first["files"].values()
    )
    old = kept[0] / Path(first["files"]["signed"]["path"]).name
    assert "Wrong page" in pymupdf.open(old)[0].get_text()
    verify = sealbox(fake, "archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    dest = tmp_path / "export.zip"
    assert sealbox(fake, "archive", "export", str(dest)).returncode == 0
    with zipfile.ZipFile(dest) as zf:
        assert not [n for n in zf.namelist() if ".replaced-" in n]
    history = [e["kind"] for e in json.loads((folder / "request.json").read_text())["history"]]
    assert "downloaded again" in history


@pytest.mark.slow
def test_a_replacement_cut_off_midway_is_finished_by_sync(
    fake: CraftkitFake, home: Path, tmp_path: Path
) -> None:
    rid, envelope = completed(fake, tmp_path)
    assert sealbox(fake, "sync").returncode == 0
    folder = Path(shown(fake, rid)["archive"]["folder"])
    fake.signed_pdfs[envelope] = small_pdf("Second copy", envelope)
    killed = run_sealbox(
        "download", "--again", rid, env_extra={**fake.env(), "SEALBOX_CRASH_AT": "during-replace"}
    )
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    assert not folder.exists()  # the old folder is inside the staging folder now

    synced = sealbox(fake, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert folder.is_dir()
    assert len([p for p in folder.iterdir() if p.name.startswith(".replaced-")]) == 1
    assert not (home / "archive" / ".staging").exists()
    assert (
        shown(fake, rid)["archive"]["files"]["signed"]["sha256"]
        == hashlib.sha256((folder / "Purchase order 881-signed.pdf").read_bytes()).hexdigest()
    )
    verify = sealbox(fake, "archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
