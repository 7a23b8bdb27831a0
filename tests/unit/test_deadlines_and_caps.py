"""The HTTP layer's whole-call deadlines and caps, against real loopback servers: a download's
deadline grows with its size, an answer larger than the cap is refused, an error body is cut,
credentials that cannot be put in a header are refused before anything is sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import app.providers.http as http
from app.config import Settings
from app.errors import UserError
from app.providers.deadlines import Deadlines
from app.providers.errors import BadResponseError, InvalidRequestError, ProviderUnavailableError
from app.providers.http import ProviderHttp
from tests.fakes.base import FakeResponse, FakeServer, json_response
from tests.fakes.trickle import TrickleProxy

DOCUMENT = b"%PDF-1.7\n" + b"x" * 5000


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    fake.route(
        "GET", "/doc", lambda _: FakeResponse(200, DOCUMENT, {"Content-Type": "application/pdf"})
    )
    fake.route("GET", "/big", lambda _: json_response(200, {"data": "y" * 5000}))
    fake.route(
        "GET",
        "/refused",
        lambda _: json_response(400, {"error": {"message": "bad " + "z" * 50_000}}),
    )
    with fake:
        yield fake


@pytest.fixture
def proxy(server: FakeServer) -> Iterator[TrickleProxy]:
    with TrickleProxy(server.url) as trickle:
        yield trickle


def client(base: str, deadlines: Deadlines, auth: dict[str, str] | None = None) -> ProviderHttp:
    async def headers() -> dict[str, str]:
        return auth or {"Authorization": "Bearer k-0123456789"}

    return ProviderHttp(
        provider="Acme",
        base_url=base,
        auth=headers,
        login_hint="run `sealbox login acme`",
        deadlines=deadlines,
    )


def run(http_client: ProviderHttp, work: Any) -> Any:
    async def go() -> Any:
        try:
            return await work(http_client)
        finally:
            await http_client.aclose()

    return asyncio.run(go())


def test_a_download_gets_more_time_the_larger_it_is(proxy: TrickleProxy, tmp_path: Path) -> None:
    # 1,000 bytes every 0.1 s (about 10 KB/s): longer than the base 0.3 s, fast enough for a
    # minimum rate of 2,000 bytes/s (0.3 + 5,009 / 2,000 = 2.8 s).
    proxy.trickle("GET", "/doc", chunk=1000, interval=0.1)
    dest = tmp_path / "signed.pdf"
    slow_ok = Deadlines(call=5, transfer_base=0.3, min_rate=2000)
    run(client(proxy.url, slow_ok), lambda c: c.download("/doc", dest))
    assert dest.read_bytes() == DOCUMENT


def test_a_download_slower_than_the_minimum_rate_stops(proxy: TrickleProxy, tmp_path: Path) -> None:
    proxy.trickle("GET", "/doc", chunk=1000, interval=0.1)
    dest = tmp_path / "signed.pdf"
    strict = Deadlines(call=5, transfer_base=0.3, min_rate=50_000)  # 0.3 + 0.1 s
    with pytest.raises(
        ProviderUnavailableError, match=r"^127\.0\.0\.1 did not send the download within 0\.4 s"
    ):
        run(client(proxy.url, strict), lambda c: c.download("/doc", dest))
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []  # no partial file either


def test_an_answer_over_the_cap_is_refused(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 1000)
    with pytest.raises(BadResponseError, match="answered with more than 1,000 bytes"):
        run(client(server.url, Deadlines()), lambda c: c.json("GET", "/big"))


def test_an_error_body_is_read_to_the_cap_and_its_message_cut(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        run(client(server.url, Deadlines()), lambda c: c.json("GET", "/refused"))
    message = info.value.message
    assert message.startswith("Acme refused the request as invalid: bad zzz")
    assert "… [cut, 48,004 bytes]" in message
    assert len(message) < 2200
    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 1000)  # not even JSON any more: still cut
    with pytest.raises(InvalidRequestError, match=r"\[cut, "):
        run(client(server.url, Deadlines()), lambda c: c.json("GET", "/refused"))


@pytest.mark.parametrize("value", ["Bearer k\r\nX-Evil: 1", "Bearer plänted", "Bearer k\x00"])
def test_a_credential_that_cannot_be_a_header_is_refused_unsent(
    value: str, server: FakeServer
) -> None:
    with pytest.raises(UserError, match="credential contains") as info:
        run(
            client(server.url, Deadlines(), {"Authorization": value}),
            lambda c: c.json("GET", "/big"),
        )
    assert "plänted" not in info.value.message and "Evil" not in info.value.message
    assert server.received == []


def test_deadlines_come_from_the_settings_and_the_environment() -> None:
    settings = Settings(network={"deadline_s": 12, "transfer_min_rate": 1000})
    deadlines = Deadlines.from_settings(settings, {"SEALBOX_NETWORK_TRANSFER_BASE_S": "5"})
    assert deadlines == Deadlines(call=12, long_call=90, transfer_base=5, min_rate=1000)
    assert deadlines.transfer(20_000) == 25
    for bad in ("0", "-1", "soon", "inf", "nan"):
        with pytest.raises(UserError, match="SEALBOX_NETWORK_DEADLINE_S must be a positive"):
            Deadlines.from_settings(Settings(), {"SEALBOX_NETWORK_DEADLINE_S": bad})
    with pytest.raises(UserError, match=r"deadline_s in \[network\] of the settings file"):
        Deadlines.from_settings(Settings(network={"deadline_s": True}), {})


def test_settings_keep_the_network_and_webhooks_tables(tmp_path: Path) -> None:
    from app.config import load_settings, save_settings

    path = tmp_path / "config.toml"
    save_settings(path, Settings(network={"deadline_s": 10}, webhooks={"max_connections": 8}))
    loaded = load_settings(path)
    assert loaded.network == {"deadline_s": 10}
    assert loaded.webhooks == {"max_connections": 8}
    path.write_text("network = 3\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad \[network\] section"):
        load_settings(path)


def test_a_response_read_whole_keeps_its_headers_and_json() -> None:
    """_read_capped hands back what httpx would have (decoded body, same status/headers)."""
    body = json.dumps({"ok": True}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201, content=body, headers={"X-Thing": "1", "Content-Type": "application/json"}
        )

    async def auth() -> dict[str, str]:
        return {}

    c = ProviderHttp(
        provider="Acme",
        base_url="https://acme.test/",
        auth=auth,
        login_hint="",
        transport=httpx.MockTransport(handler),
    )
    response = run(c, lambda c: c.request("GET", "/x"))
    assert response.status_code == 201
    assert response.headers["x-thing"] == "1"
    assert response.json() == {"ok": True}
