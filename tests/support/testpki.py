"""A real test PKI on loopback for the long-term seal tests (certomancer's animator).

:func:`start_test_pki` runs :mod:`tests.support.pki_server` in a process of its own (no thread
in the test process) and waits for it to say it is ready; :meth:`TestPki.stop` ends it, as the
network is years later when the archive is verified offline. The ``test_pki`` fixture in the
tests that use it stops it at the end of each test.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.pki_server import P12_PASSPHRASE

REPO = Path(__file__).resolve().parents[2]
START_DEADLINE_S = 60.0


@dataclass
class TestPki:
    __test__ = False  # not a test class

    directory: Path
    process: subprocess.Popen[bytes]
    tsa_url: str
    prefix: str
    #: A timestamp authority whose certificate expires in SHORT_TSA_DAYS days.
    tsa_short_url: str

    p12_passphrase: str = P12_PASSPHRASE.decode()

    @property
    def root_pem(self) -> Path:
        return self.directory / "root.pem"

    @property
    def signer_p12(self) -> Path:
        return self.directory / "signer.p12"

    @property
    def revoked_p12(self) -> Path:
        return self.directory / "revoked.p12"

    def revocation_down(self, down: bool = True) -> None:
        """Make the OCSP and CRL services answer 503 (True) or serve again (False)."""
        flag = self.directory / "revocation-down"
        if down:
            flag.write_bytes(b"")
        else:
            flag.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextmanager
def start_test_pki(directory: Path) -> Iterator[TestPki]:
    directory.mkdir(parents=True, exist_ok=True)
    log = (directory / "server.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.pki_server", str(directory)],
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=REPO,
        env=env,
    )
    pki: TestPki | None = None
    try:
        assert process.stdout is not None
        line = _read_line(process, START_DEADLINE_S)
        if not line.startswith("READY "):
            raise RuntimeError(f"the test PKI did not start: {line!r}; see {directory}/server.log")
        urls = json.loads((directory / "urls.json").read_text(encoding="utf-8"))
        pki = TestPki(directory, process, urls["tsa"], urls["prefix"], urls["tsaShort"])
        yield pki
    finally:
        if pki is not None:
            pki.stop()
        elif process.poll() is None:
            process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
        log.close()


def _read_line(process: subprocess.Popen[bytes], deadline_s: float) -> str:
    """The first line the server prints, waiting at most ``deadline_s`` (it generates keys
    and certificates first)."""
    assert process.stdout is not None
    end = time.monotonic() + deadline_s
    with selectors.DefaultSelector() as sel:
        sel.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < end:
            if sel.select(timeout=max(0.0, end - time.monotonic())):
                return process.stdout.readline().decode().strip()
            if process.poll() is not None:
                break
    return ""
