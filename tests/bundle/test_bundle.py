"""The PyInstaller bundle: built from packaging/sealbox.spec, then used as a user would.

Skipped only when PyInstaller is not installed (the reason says so); CI installs it with the dev
dependencies, so there it always builds. The build takes about half a minute.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import pdfgen

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip(
    "PyInstaller",
    reason="PyInstaller is not installed: the bundle cannot be "
    "built here (install the dev dependencies with `uv sync`)",
)


def _load_build() -> Any:
    """packaging/build.py (``packaging`` is not a Python package: PyPI has one of that name)."""
    spec = importlib.util.spec_from_file_location("sealbox_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


build = _load_build()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("bundle")
    made = Path(build(dist=work / "dist", work=work / "build"))
    executable: Path = made / ("sealbox.exe" if sys.platform == "win32" else "sealbox")
    assert executable.is_file()
    return executable


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for the bundled command: its own home, no source tree on the path."""
    home = tmp_path / "home"
    home.mkdir()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEALBOX_", "PYTHON", "VIRTUAL_ENV"))
    }
    clean.update(
        {
            "SEALBOX_HOME": str(home),
            "SEALBOX_LOCAL_SEAL_PASSPHRASE": "bundle-test-pass",
            "QT_QPA_PLATFORM": "offscreen",
        }
    )
    return clean


def run(executable: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["SEALBOX_HOME"],
        timeout=180,
        check=False,
    )


def test_the_bundled_command_reports_its_version(bundle: Path, env: dict[str, str]) -> None:
    from app import __version__

    result = run(bundle, env, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sealbox {__version__}"


def test_send_sign_and_archive_through_the_bundled_command(
    bundle: Path, env: dict[str, str], tmp_path: Path
) -> None:
    sample = bundle.parent / "_internal" / "resources" / "samples" / "sample-lease.pdf"
    if not sample.exists():  # PyInstaller < 6 kept data beside the executable
        sample = bundle.parent / "resources" / "samples" / "sample-lease.pdf"
    assert sample.is_file(), "the sample contract is not in the bundle"
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Bundle lease",
                "recipients": [
                    {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
                ],
                "anchorTags": [
                    {"anchorString": "{{sign_here}}", "type": "signature", "recipientIndex": 0}
                ],
            }
        )
    )
    sent = run(bundle, env, "send", str(sample), "--spec", str(spec), "--json")
    assert sent.returncode == 0, sent.stderr
    request_id = json.loads(sent.stdout)["id"]
    signed = run(
        bundle, env, "sign", request_id, "--recipient", "0", "--typed-signature", "Jane Doe"
    )
    assert signed.returncode == 0, signed.stderr
    assert "complete and archived" in signed.stdout
    verify = run(bundle, env, "archive", "verify", "--json")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    files = json.loads(verify.stdout)["files"]
    assert len(files) == 3 and all(f["ok"] for f in files)
    shown = run(bundle, env, "show", request_id, "--json")
    assert json.loads(shown.stdout)["status"] == "completed"


def test_the_bundled_app_opens_a_pdf_offscreen_and_quits_cleanly(
    bundle: Path, env: dict[str, str], tmp_path: Path
) -> None:
    pdf = pdfgen.write(tmp_path / "contract.pdf", pdfgen.text_pdf(["One", "Two", "Three"]))
    log = Path(env["SEALBOX_HOME"]) / "data" / "logs" / "sealbox.log"
    process = subprocess.Popen(
        [str(bundle), str(pdf)],
        env=env,
        cwd=env["SEALBOX_HOME"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Waiting on another process: poll its log until it says the PDF is open.
        deadline = time.monotonic() + 60
        # The page is drawn by a render process, started from the bundle like the app.
        while "contract.pdf: page 1 drawn by the page renderer" not in (
            log.read_text() if log.exists() else ""
        ):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the bundled app did not open the PDF in 60 s"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    text = log.read_text()
    assert "opened contract.pdf: 3 pages" in text and "background sync started" in text
    assert "the app closed (exit 0)" in text
