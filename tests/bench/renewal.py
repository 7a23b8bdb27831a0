"""A renewal pass (``sealbox archive renew``'s work) over 1,000 archived documents.

Run on demand: ``uv run python -m tests.bench.renewal [N]`` (default 1,000). Starts the test PKI
(certomancer on loopback: the timestamp authorities, OCSP and CRLs), seals one request at B-LTA
through the real ``sealbox`` command with timestamps from the short-lived authority (its
certificate expires within the renewal window), copies its folder into N request folders (the
signed PDF only) and enters them in the store with ``archive reindex``'s code. Then it renews
them all with the long-lived authority (:func:`app.services.renew.renew_archive`: for each file
the validation data of its last timestamp, a fresh document timestamp, the offline check of the
result, the journalled replacement) and prints documents per second and the total time.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from app.archive.reindex import reindex
from app.context import Context
from app.services.renew import due_among, renew_archive, renewal_candidates
from tests.support.pdfgen import text_pdf
from tests.support.testpki import REPO, TestPki, start_test_pki

SPEC = {
    "name": "Lease to renew",
    "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
    "fields": [
        {"recipientIndex": 0, "type": "signature", "page": 1, "x": 72, "y": 600}
        | {"width": 180, "height": 48, "required": True}
    ],
}


def _sealbox(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"sealbox {' '.join(args)} failed: {done.stderr}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _configure(home: Path, pki: TestPki, url: str) -> None:
    (home / "config.toml").write_text(
        f'seal_pkcs12 = "{pki.signer_p12}"\n\n[timestamp]\nurl = "{url}"\n'
        f'ca_file = "{pki.root_pem}"\n',
        encoding="utf-8",
    )


def _one_sealed(base: Path, home: Path, pki: TestPki, env: dict[str, str]) -> Path:
    """The archive folder of one request sealed with the short-lived authority."""
    _configure(home, pki, pki.tsa_short_url)
    pdf, spec = base / "lease.pdf", base / "spec.json"
    pdf.write_bytes(text_pdf(["A lease to keep for years."]))
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    rid = _sealbox(env, "send", str(pdf), "--spec", str(spec))["id"]
    _sealbox(env, "sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    return Path(_sealbox(env, "show", rid)["archive"]["folder"])


def _copies(template: Path, count: int) -> None:
    """``count`` request folders beside ``template`` (then removed), each with a copy of its
    signed PDF and its request.json under a new id."""
    manifest = json.loads((template / "request.json").read_text(encoding="utf-8"))
    signed = manifest["files"]["signed"]
    data = (template / signed["name"]).read_bytes()
    manifest["files"] = {"signed": signed}
    for i in range(count):
        rid = str(uuid.uuid4())
        folder = template.parent / f"{template.name[:10]} Lease {i:04d} {rid[:8]}"
        folder.mkdir()
        (folder / signed["name"]).write_bytes(data)
        copy = {**manifest, "id": rid, "name": f"Lease {i:04d}"}
        (folder / "request.json").write_text(json.dumps(copy, indent=2), encoding="utf-8")
    for path in template.iterdir():
        path.unlink()
    template.rmdir()


def main(count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp, start_test_pki(Path(tmp) / "pki") as pki:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        env = {
            **os.environ,
            "SEALBOX_HOME": str(home),
            "SEALBOX_TEST_KEYRING": str(base / "keyring.json"),
            "PYTHON_KEYRING_BACKEND": "tests.support.filekeyring.FileKeyring",
            "SEALBOX_LOCAL_PKCS12_PASSPHRASE": pki.p12_passphrase,
        }
        start = time.perf_counter()
        _copies(_one_sealed(base, home, pki, env), count)
        _configure(home, pki, pki.tsa_url)
        ctx = Context.from_environment(env)
        try:
            reindex(ctx)
            built = time.perf_counter() - start
            start = time.perf_counter()
            due = due_among(renewal_candidates(ctx), 365)
            found = time.perf_counter() - start
            start = time.perf_counter()
            result = asyncio.run(renew_archive(ctx))
            took = time.perf_counter() - start
            again = due_among(renewal_candidates(ctx), 365)
        finally:
            ctx.close()
    renewed = result.count("upgraded")
    print(f"archive of {count} documents built in {built:.1f} s")
    print(f"finding the {len(due)} due for renewal: {found:.2f} s ({count / found:.0f} files/s)")
    print(
        f"renewal pass: {renewed} renewed, {len(result.files) - renewed} not, in {took:.1f} s "
        f"= {renewed / took:.1f} documents/s ({1000 * took / max(renewed, 1):.0f} ms each)"
    )
    print(f"due after the pass: {len(again)}")
    return 0 if renewed == count and not again else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
