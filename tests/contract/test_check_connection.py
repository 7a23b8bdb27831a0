"""``check_connection`` of every provider: one harmless call, a sentence for the user, typed errors.

Each remote provider is pointed at its loopback fake with the values its fake's ``env()`` gives
(what ``SEALBOX_<ID>_*`` would set), once with the right credentials, once with wrong ones and
once at a closed port. The check must make exactly one attempt (no retry sleeps: the user is
waiting), send nothing but reads (and the token or sign-in call where there is one) and create
nothing at the provider.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import resolve_paths
from app.errors import UnavailableError, UserError
from app.providers import registry
from app.providers.base import Provider, ProviderConfig
from app.providers.errors import AuthenticationError
from app.providers.local.pki import ensure_installation_identity
from app.providers.local.provider import LocalProvider
from app.secrets import MemorySecrets
from tests.fakes.base import ProviderFake
from tests.unit.test_pki_seal import _make_p12

FAKES = {
    "craftkit": ("tests.fakes.craftkit", "CraftkitFake"),
    "signature_nc": ("tests.fakes.signature_nc", "SignatureNcFake"),
    "signicat": ("tests.fakes.signicat", "SignicatFake"),
    "saypdf": ("tests.fakes.saypdf", "SayPdfFake"),
    "itasign": ("tests.fakes.itasign", "ItaSignFake"),
}
#: The credential that is made wrong for the "rejected" case, and how it is named to the user.
WRONG = {
    "craftkit": ("api_key", "rejected the API key"),
    "signature_nc": ("api_key", "rejected the API key"),
    "signicat": ("client_secret", "rejected the API client credentials"),
    "saypdf": ("api_key", "rejected the API key"),
    "itasign": ("api_key", "rejected the API key"),
}
#: The calls a check may make that are not GETs: obtaining a token, signing in.
NOT_GET_ALLOWED = {"signicat": {"/auth/open/connect/token"}, "saypdf": {"/auth/login"}}


class NoSleep(list[float]):
    """An injected sleep that records every wait (a check must not wait: it does not retry)."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


def settings_from(fake_env: dict[str, str], pid: str) -> dict[str, str]:
    """``SEALBOX_<ID>_<KEY>`` of the fake's environment as ``{key: value}``."""
    prefix = f"SEALBOX_{pid.upper()}_"
    return {k[len(prefix) :].lower(): v for k, v in fake_env.items() if k.startswith(prefix)}


def make(pid: str, values: dict[str, str], sleep: NoSleep) -> Provider:
    config = ProviderConfig(
        provider_id=pid,
        credential=values.get,
        setting=values.get,
        sender_email="ada@example.com",
        sleep=sleep,
    )
    # A remote provider keeps nothing on this computer: no data folder is needed.
    return registry.get(pid).create(config, resolve_paths({"SEALBOX_HOME": "/nonexistent"}))


def check(provider: Provider) -> str:
    async def main() -> str:
        try:
            return await provider.check_connection()
        finally:
            await provider.aclose()

    return asyncio.run(main())


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(params=sorted(FAKES))
def fake(request: pytest.FixtureRequest) -> Iterator[ProviderFake]:
    module, name = FAKES[request.param]
    server: ProviderFake = getattr(importlib.import_module(module), name)()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def assert_harmless(fake: ProviderFake) -> None:
    assert fake.envelope_ids() == []
    allowed = NOT_GET_ALLOWED.get(fake.provider_id, set())
    for request in fake.received:
        assert request.method == "GET" or request.path in allowed, (request.method, request.path)


def test_right_credentials_connect(fake: ProviderFake) -> None:
    pid = fake.provider_id
    sleeps = NoSleep()
    message = check(make(pid, settings_from(fake.env(), pid), sleeps))
    assert message.startswith("Connected: ")
    assert message.endswith(".")
    assert sleeps == []
    assert len(fake.received) == 1
    assert_harmless(fake)


def test_wrong_credentials_are_rejected(fake: ProviderFake) -> None:
    pid = fake.provider_id
    key, words = WRONG[pid]
    values = settings_from(fake.env(), pid) | {key: "not-the-right-one"}
    sleeps = NoSleep()
    with pytest.raises(AuthenticationError) as caught:
        check(make(pid, values, sleeps))
    assert isinstance(caught.value, UserError)
    assert words in caught.value.message
    assert "not-the-right-one" not in caught.value.message
    assert str(caught.value.status) not in caught.value.message  # no raw status codes
    assert sleeps == []
    assert_harmless(fake)


def test_a_server_that_is_down_is_unavailable(fake: ProviderFake) -> None:
    pid = fake.provider_id
    values = settings_from(fake.env(), pid)
    down = f"http://127.0.0.1:{closed_port()}"
    origin = str(getattr(fake, "origin", fake.url))
    values = {k: v.replace(origin, down) for k, v in values.items()}
    assert all(fake.url not in v for v in values.values())
    sleeps = NoSleep()
    with pytest.raises(UnavailableError) as caught:
        check(make(pid, values, sleeps))
    assert "could not be reached" in caught.value.message
    assert sleeps == []  # one attempt: the user is told at once
    assert fake.received == []


@pytest.mark.parametrize("fake", sorted(set(FAKES) - {"signature_nc", "signicat"}), indirect=True)
def test_a_base_url_without_the_api_says_so(fake: ProviderFake) -> None:
    pid = fake.provider_id
    values = settings_from(fake.env(), pid)
    values["base_url"] = values["base_url"] + "/not-here"
    with pytest.raises(UserError, match=r"API is not at .*/not-here: check the base URL\."):
        check(make(pid, values, NoSleep()))
    assert_harmless(fake)


@pytest.mark.parametrize("fake", ["signicat"], indirect=True)
def test_signicat_token_url_without_the_api_says_so(fake: ProviderFake) -> None:
    values = settings_from(fake.env(), "signicat")
    values["token_url"] = values["token_url"] + "/not-here"
    with pytest.raises(UserError, match=r"check the token URL\."):
        check(make("signicat", values, NoSleep()))


@pytest.mark.parametrize("fake", ["signature_nc"], indirect=True)
def test_signature_nc_reads_a_submission_that_cannot_exist(fake: ProviderFake) -> None:
    check(make("signature_nc", settings_from(fake.env(), "signature_nc"), NoSleep()))
    [request] = fake.received
    assert request.method == "GET"
    assert request.path.endswith("/signatures/00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize("fake", ["saypdf"], indirect=True)
def test_saypdf_email_and_password(fake: ProviderFake) -> None:
    values = settings_from(fake.env(), "saypdf")
    del values["api_key"]
    good = values | {"email": "owner@example.com", "password": "correct horse"}
    assert check(make("saypdf", good, NoSleep())) == (
        "Connected: SayPDF accepted the email or password."
    )
    assert [r.path for r in fake.received] == ["/auth/login", "/esign/documents"]
    with pytest.raises(AuthenticationError, match="rejected the email or password"):
        check(make("saypdf", good | {"password": "guess"}, NoSleep()))
    assert_harmless(fake)


def test_itasign_key_without_permission() -> None:
    from tests.fakes.itasign import ItaSignFake

    server = ItaSignFake(permissions=frozenset({"documents:create"}))
    server.start()
    try:
        with pytest.raises(AuthenticationError) as caught:
            check(make("itasign", settings_from(server.env(), "itasign"), NoSleep()))
    finally:
        server.stop()
    assert "accepted the API key but refused it access" in caught.value.message
    assert "documents:read" in caught.value.message


@pytest.mark.parametrize("pid", sorted(FAKES))
def test_missing_credentials_say_what_to_set(pid: str) -> None:
    with pytest.raises(UserError, match="needs"):
        check(make(pid, {}, NoSleep()))


# --- the local provider: the seal, no network ----------------------------------------------------


def local(tmp_path: Path, secrets: MemorySecrets, seal_pkcs12: str | None = None) -> Provider:
    paths = resolve_paths({"SEALBOX_HOME": str(tmp_path)})
    config = ProviderConfig(
        provider_id="local",
        credential=lambda key: secrets.get(f"local.{key}"),
        setting=lambda key: seal_pkcs12 if key == "seal_pkcs12" else None,
    )
    return LocalProvider(paths, config)


def test_local_without_configuration_is_ready(tmp_path: Path) -> None:
    provider = LocalProvider(resolve_paths({"SEALBOX_HOME": str(tmp_path)}))
    assert check(provider) == "Ready: signing on this computer."


def test_local_before_the_first_signing_creates_nothing(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    message = check(local(tmp_path, secrets))
    assert message.startswith("Ready: signing on this computer")
    assert "made at the first signing" in message
    assert not (tmp_path / "data").exists()
    assert secrets.values == {}


def test_local_unlocks_the_installation_seal(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    identity = ensure_installation_identity(tmp_path / "data" / "seal", secrets)
    message = check(local(tmp_path, secrets))
    assert message == (
        "Ready: signing on this computer, sealed by this installation's "
        f"certificate (valid until {identity.not_valid_after:%Y-%m-%d})."
    )


def test_local_with_the_wrong_seal_passphrase_is_a_user_error(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    ensure_installation_identity(tmp_path / "data" / "seal", secrets)
    secrets.set("local.seal_passphrase", "not it")
    with pytest.raises(UserError, match="cannot be unlocked"):
        check(local(tmp_path, secrets))


def test_local_with_an_incomplete_seal_is_a_user_error(tmp_path: Path) -> None:
    secrets = MemorySecrets()
    ensure_installation_identity(tmp_path / "data" / "seal", secrets)
    (tmp_path / "data" / "seal" / "seal-key.pem").unlink()
    with pytest.raises(UserError, match="incomplete"):
        check(local(tmp_path, secrets))
    assert not (tmp_path / "data" / "seal" / "seal-key.pem").exists()


def test_local_with_a_pkcs12_file(tmp_path: Path) -> None:
    path, _cert = _make_p12(tmp_path, b"s3cret")
    secrets = MemorySecrets({"local.pkcs12_passphrase": "s3cret"})
    message = check(local(tmp_path, secrets, str(path)))
    assert message.startswith(
        "Ready: signing on this computer, sealed with the certificate of CN=Jane Doe (valid until "
    )
    secrets.set("local.pkcs12_passphrase", "guess")
    with pytest.raises(UserError, match="password"):
        check(local(tmp_path, secrets, str(path)))
