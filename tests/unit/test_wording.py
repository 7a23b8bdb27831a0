"""Messages worded for the command line and for the app from the same parts."""

from __future__ import annotations

import asyncio
import pickle

import httpx
import pytest

from app.errors import UnavailableError, UserError
from app.providers.base import ProviderConfig
from app.providers.http import ProviderHttp, RetryPolicy
from app.wording import (
    Alt,
    CheckAddress,
    Credentials,
    Detail,
    SettingRef,
    Text,
    Where,
    for_app,
)


def test_a_text_is_the_command_line_wording_and_keeps_its_parts() -> None:
    text = Text("Craftkit needs an API key: ", Credentials("craftkit", "Craftkit"), ".")
    assert text == (
        "Craftkit needs an API key: run `sealbox login craftkit` or set SEALBOX_CRAFTKIT_API_KEY."
    )
    assert isinstance(text, str)
    assert text.gui() == "Craftkit needs an API key: enter the API key in Settings › Craftkit."
    assert text.gui(Where("craftkit")) == (
        "Craftkit needs an API key: enter the API key on this page."
    )
    assert text.gui(Where("saypdf")) == (
        "Craftkit needs an API key: enter the API key in Settings › Craftkit."
    )


def test_joining_keeps_the_parts_and_pickling_keeps_them_too() -> None:
    text = "Note: " + Text(Alt("run `sealbox sync`", "wait for the next check")) + "."
    assert isinstance(text, Text)
    assert str(text) == "Note: run `sealbox sync`."
    assert text.gui() == "Note: wait for the next check."
    copy = pickle.loads(pickle.dumps(text))
    assert copy == text and copy.gui() == text.gui()
    assert for_app("plain words") == "plain words"
    assert for_app(text) == "Note: wait for the next check."


def test_each_part_in_both_wordings() -> None:
    both = Credentials("signicat", "Signicat", ("client_id", "client_secret"))
    assert both.cli() == (
        "run `sealbox login signicat` or set SEALBOX_SIGNICAT_CLIENT_ID and "
        "SEALBOX_SIGNICAT_CLIENT_SECRET"
    )
    assert both.gui(Where("signicat")) == "enter the client ID and client secret on this page"
    check = CheckAddress("itasign", "ItaSign")
    assert check.cli() == "check the network connection and the base URL, then try again"
    assert check.gui(Where("itasign")) == (
        "check the address on this page and your network connection"
    )
    assert check.gui(Where()) == (
        "check your network connection and the Base URL in Settings › ItaSign"
    )
    setting = SettingRef("signicat", "Signicat", "Token URL", "SEALBOX_SIGNICAT_TOKEN_URL")
    assert setting.cli() == "SEALBOX_SIGNICAT_TOKEN_URL"
    assert setting.gui(Where()) == "the Token URL in Settings › Signicat"
    assert Detail("OSError: boom").cli() == " (OSError: boom)"
    assert Detail("OSError: boom").gui(Where()) == ""


def test_an_error_words_its_message_for_the_app() -> None:
    error = UserError(
        Text(
            "Could not go on", Detail("ValueError: x"), ": ", Alt("pass --force", "tick Force"), "."
        )
    )
    assert error.message == "Could not go on (ValueError: x): pass --force."
    assert error.for_app() == "Could not go on: tick Force."
    assert UserError("Plain.").for_app() == "Plain."


def test_an_unreachable_host_is_named_with_what_to_check() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    http = ProviderHttp(
        provider="Craftkit",
        provider_id="craftkit",
        base_url="https://api.craftkit.com/v1",
        auth=_no_auth,
        login_hint="",
        transport=httpx.MockTransport(refuse),
        policy=RetryPolicy(attempts=1),
    )

    async def main() -> None:
        try:
            await http.request("GET", "/v1/signatures")
        finally:
            await http.aclose()

    with pytest.raises(UnavailableError) as caught:
        asyncio.run(main())
    assert caught.value.message == (
        "Craftkit could not be reached at api.craftkit.com (ConnectError: [Errno -2] Name or "
        "service not known): check the network connection and the base URL, then try again."
    )
    assert caught.value.for_app(Where("craftkit")) == (
        "Could not reach api.craftkit.com: check the address on this page and your network "
        "connection."
    )
    assert caught.value.for_app() == (
        "Could not reach api.craftkit.com: check your network connection and the Base URL in "
        "Settings › Craftkit."
    )


def test_the_login_hint_keeps_the_command_line_wording() -> None:
    config = ProviderConfig(
        provider_id="itasign", credential=lambda _k: None, setting=lambda _k: None
    )
    hint = config.login_hint("api_key", name="ItaSign")
    assert hint == "run `sealbox login itasign` or set SEALBOX_ITASIGN_API_KEY"
    assert for_app(hint) == "Enter the API key in Settings › ItaSign"


async def _no_auth() -> dict[str, str]:
    return {}
