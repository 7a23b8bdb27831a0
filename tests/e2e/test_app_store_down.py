"""The real app (``sealbox`` with no command) started while its shared store's server is down:
it opens and runs offline instead of saying it cannot start, and reaches the store by itself
once the server is back (a real throwaway PostgreSQL server, stopped and started again)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.test_app_start import start_app, wait_for
from tests.gui.test_live_store import use_address
from tests.support import pgserver


def test_the_app_starts_offline_and_reaches_the_store_when_the_server_is_back(
    home: Path, own_server: pgserver.PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = use_address(monkeypatch, own_server.url())
    own_server.pause()
    app_log = home / "data" / "logs" / "sealbox.log"

    def logged(text: str) -> bool:
        return text in (app_log.read_text(encoding="utf-8") if app_log.exists() else "")

    process = start_app()
    try:
        wait_for(process, lambda: logged("background sync started"), "start", timeout=60)
        own_server.resume()
        # It tries again every 10 seconds.
        wait_for(
            process,
            lambda: logged(f"the shared store at {host} was reached for the first time"),
            "reach the store once the server was back",
            timeout=60,
        )
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    log = app_log.read_text(encoding="utf-8")
    assert f"the shared store at {host} can be reached again" in log
    assert "the app closed (exit 0)" in log
    assert "Traceback" not in log and "Traceback" not in output
