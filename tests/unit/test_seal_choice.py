"""What seals, read from the settings, and how a token's answers are worded (the ones SoftHSM2
cannot be made to give, such as a locked PIN; the rest are in tests/e2e/test_office_certificate.py
against a real SoftHSM2 token)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pkcs11 import exceptions as p11

from app.config import Settings, load_settings
from app.errors import SealSetupError, SecretNeededError, UserError
from app.providers.local.choice import SealChoice, open_seal_identity
from app.providers.local.token import TokenChoice, _log_in, suggested_modules
from app.secrets import MemorySecrets

CHOICE = TokenChoice("/usr/lib/softhsm/libsofthsm2.so", "Office Seal", "office-seal")


class _Token:
    """A token whose login answers with ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def open(self, **_kwargs: object) -> object:
        raise self.error


@pytest.mark.parametrize(
    ("error", "part", "words"),
    [
        (p11.PinIncorrect(), "pin", "The PIN for the token 'Office Seal' is wrong"),
        (p11.PinLenRange(), "pin", "The PIN for the token 'Office Seal' is wrong"),
        (p11.PinLocked(), "pin", "The PIN of the token 'Office Seal' is locked; unlock it"),
        (p11.TokenNotPresent(), "token", "'Office Seal' was removed; insert it"),
        (p11.DeviceError(), "token", "refused to open (it gave no reason)"),
    ],
)
def test_a_token_refusing_to_open_is_said_in_plain_words(
    error: Exception, part: str, words: str
) -> None:
    with pytest.raises(SealSetupError) as caught:
        _log_in(_Token(error), CHOICE, "0000")
    assert caught.value.part == part
    assert words in caught.value.message
    assert type(error).__name__ not in caught.value.message


def _read(settings: Settings) -> SealChoice:
    return SealChoice.read(lambda key: getattr(settings, key, None))


def test_a_settings_file_with_only_a_certificate_file_seals_with_it(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('seal_pkcs12 = "/srv/office.p12"\n', encoding="utf-8")
    assert _read(load_settings(config)) == SealChoice("pkcs12", "/srv/office.p12")
    assert _read(Settings()).source == "installation"
    config.write_text('seal_with = "usb stick"\n', encoding="utf-8")
    with pytest.raises(UserError, match="'seal_with'"):
        load_settings(config)


def test_a_token_not_fully_named_says_what_is_missing(tmp_path: Path) -> None:
    choice = SealChoice("pkcs11", module="/usr/lib/softhsm/libsofthsm2.so")
    with pytest.raises(UserError, match="needs the token's name and the key's label"):
        open_seal_identity(choice, tmp_path, MemorySecrets({"local.pkcs11_pin": "1"}))


def test_a_token_without_a_pin_asks_for_it(tmp_path: Path) -> None:
    choice = SealChoice("pkcs11", None, "/usr/lib/softhsm/libsofthsm2.so", "Office Seal", "k")
    with pytest.raises(SecretNeededError) as caught:
        open_seal_identity(choice, tmp_path, MemorySecrets())
    assert caught.value.secret == "local.pkcs11_pin"
    assert "SEALBOX_LOCAL_PKCS11_PIN" in caught.value.message
    assert "SEALBOX_" not in caught.value.for_app()


def test_the_usual_modules_are_offered() -> None:
    offered = suggested_modules()
    assert offered
    assert all(m.endswith((".so", ".dll")) for m in offered)
