"""Shared fixtures: a temporary SEALBOX_HOME and keyring per test, offscreen Qt."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent

from tests.support import pgserver, stores  # noqa: E402
from tests.support.filekeyring import FileKeyring  # noqa: E402

if TYPE_CHECKING:
    import psycopg


def pytest_report_header() -> str:
    """Which Qt platform the GUI tests run on (``offscreen``, or ``xcb`` on an X server)."""
    return f"Qt platform: {os.environ.get('QT_QPA_PLATFORM', '')}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty SEALBOX_HOME and a keyring of this test's own (outside the home)."""
    base = tmp_path / "home"
    base.mkdir()
    secrets_file = tmp_path / "keyring.json"
    monkeypatch.setenv("SEALBOX_HOME", str(base))
    monkeypatch.setenv("SEALBOX_TEST_KEYRING", str(secrets_file))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.filekeyring.FileKeyring")
    for name in list(os.environ):
        if name.startswith("SEALBOX_") and name not in ("SEALBOX_HOME", "SEALBOX_TEST_KEYRING"):
            monkeypatch.delenv(name)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield base
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_secrets_left() -> Iterator[None]:
    """Secrets registered for redaction by one test (a password "wrong") are not masked in the
    next one's output."""
    from app.logs import forget_secrets

    yield
    forget_secrets()


@pytest.fixture(autouse=True)
def _no_log_handlers_left() -> Iterator[None]:
    """A command run in-process installs Sealbox's log handler on the root logger; remove it
    after the test so later tests (and their ``caplog``) see unfiltered records."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sealbox", False):
            root.removeHandler(handler)
            handler.close()


def sealbox_env(env_extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the real ``sealbox`` command runs with in a test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    for name in ("SEALBOX_CRASH_AT", "SEALBOX_REACHED_DIR", "SEALBOX_PAUSE_AT"):
        env.pop(name, None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let repeated commands reuse compiled modules
    env.update(env_extra or {})
    return env


def start_sealbox(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the real ``sealbox`` command without waiting for it (read it with
    ``communicate``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=sealbox_env(env_extra),
        cwd=ROOT,
    )


def wait_for_files(folder: Path, prefix: str, count: int, timeout: float = 60) -> list[Path]:
    """Wait (polling, with a deadline) until ``folder`` holds ``count`` files named
    ``prefix*``: the marks :func:`app.faults.reached` leaves."""
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(folder.glob(f"{prefix}*"))
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(found)} of {count} processes reached {prefix}")
        time.sleep(0.02)


def run_sealbox(
    *args: str, env_extra: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``sealbox`` command in a subprocess with the test's environment."""
    env = sealbox_env(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


def _need_postgresql() -> None:
    """Without PostgreSQL installed the tests that need it fail in CI and are skipped elsewhere."""
    if not pgserver.available():
        if os.environ.get("CI"):
            pytest.fail(pgserver.INSTALL_HINT)
        pytest.skip(pgserver.INSTALL_HINT)


@pytest.fixture
def own_server() -> Iterator[pgserver.PgServer]:
    """A PostgreSQL server of this test's own, to stop (``pause``) and start again (``resume``)
    as a server that goes down and comes back."""
    _need_postgresql()
    server = pgserver.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """A throwaway PostgreSQL server for the whole session (tests/support/pgserver.py). Without
    PostgreSQL installed the tests that need it fail in CI and are skipped elsewhere."""
    _need_postgresql()
    server = pgserver.start()
    try:
        with _pg_admin(server) as conn:
            conn.execute(f"CREATE DATABASE {PG_TEMPLATE}")
        yield server
    finally:
        server.stop()


PG_TEMPLATE = "sealbox_template"


def _pg_admin(server: pgserver.PgServer) -> psycopg.Connection[tuple[object, ...]]:
    import psycopg

    return psycopg.connect(server.socket_url(), autocommit=True)


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer) -> Iterator[str]:
    """A fresh, empty database of its own for this test (made from a template), as a
    ``postgresql://`` address with the superuser's password; dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with _pg_admin(pg_server) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {PG_TEMPLATE}")
    yield pg_server.url(name)
    with _pg_admin(pg_server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=stores.BACKENDS)
def store_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[stores.AnyDatabase]:
    """The store's database on SQLite and, once more, on a fresh PostgreSQL database."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    database = stores.open_database(request.param, tmp_path, url)
    yield database
    database.close()


@pytest.fixture
def store(store_database: stores.AnyDatabase, tmp_path: Path) -> stores.AnyStore:
    """Every repository, on SQLite and on PostgreSQL (the test runs once on each)."""
    return stores.make_store(store_database, tmp_path)
