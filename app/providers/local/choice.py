"""What the built-in provider seals with, read from the settings, and opening it.

Three choices (``seal_with`` in the settings file; Settings › In person › "Seal with"):

* ``installation``: this installation's own certificate (:mod:`app.providers.local.pki`),
  made at the first signing; the default;
* ``pkcs12``: the office's certificate from a PKCS#12 file (``seal_pkcs12``), its password in
  the keyring as ``local.pkcs12_passphrase`` when the user chose to keep it there;
* ``pkcs11``: a key on a smartcard or token (:mod:`app.providers.local.token`): its module
  ``seal_pkcs11_module``, the token ``seal_pkcs11_token`` and the key ``seal_pkcs11_key``, its
  PIN in the keyring as ``local.pkcs11_pin`` when the user chose to keep it there.

A password or PIN that is not kept is asked for when it is needed: :func:`open_seal_identity`
raises :class:`~app.errors.SecretNeededError`, which the app answers with a password dialog and
the command line with a message saying how to give it (the environment variable, or
``sealbox login local`` to keep it in the keyring). A certificate file or token whose certificate
has expired is refused before anything is sealed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import SEAL_SOURCES
from app.errors import SealSetupError, SecretNeededError, UserError
from app.providers.local.info import PKCS11_PIN, PKCS12_PASSWORD
from app.secrets import SecretStore, env_name
from app.wording import Alt, Text

if TYPE_CHECKING:
    from app.providers.local.pki import SealIdentity
    from app.providers.local.token import TokenChoice

INSTALLATION, PKCS12, PKCS11 = SEAL_SOURCES
#: The settings that say what seals (top-level keys of the settings file).
SEAL_SETTINGS = (
    "seal_with",
    "seal_pkcs12",
    "seal_pkcs11_module",
    "seal_pkcs11_token",
    "seal_pkcs11_key",
)


@dataclass(frozen=True)
class SealChoice:
    """What seals, as the settings say it (see the module docstring)."""

    source: str = INSTALLATION
    pkcs12: str | None = None
    module: str | None = None
    token: str | None = None
    key: str | None = None

    @classmethod
    def read(cls, setting: Callable[[str], str | None]) -> SealChoice:
        """The choice from ``setting(key)`` (the provider configuration's, or the settings
        file's through ``getattr``)."""
        values = {key: (setting(key) or "").strip() or None for key in SEAL_SETTINGS}
        source = values["seal_with"] or (PKCS12 if values["seal_pkcs12"] else INSTALLATION)
        if source not in SEAL_SOURCES:
            raise UserError(
                f"The setting seal_with must be one of {', '.join(SEAL_SOURCES)}, not "
                f"{source!r}: correct it in Settings › In person (or the settings file)."
            )
        return cls(
            source,
            values["seal_pkcs12"],
            values["seal_pkcs11_module"],
            values["seal_pkcs11_token"],
            values["seal_pkcs11_key"],
        )

    def token_choice(self) -> TokenChoice:
        from app.providers.local.token import TokenChoice

        missing = [
            label
            for label, value in (
                ("its module", self.module),
                ("the token's name", self.token),
                ("the key's label", self.key),
            )
            if not value
        ]
        if missing:
            raise UserError(
                "Sealing with a smartcard or token needs "
                f"{' and '.join(missing)}: enter them in Settings › In person."
            )
        assert self.module and self.token and self.key
        return TokenChoice(self.module, self.token, self.key)


def open_seal_identity(choice: SealChoice, seal_dir: Path, secrets: SecretStore) -> SealIdentity:
    """The identity that seals as ``choice`` says, ready to sign: close it when done.

    The installation's own is made in ``seal_dir`` at first use. A password or PIN not in
    ``secrets`` raises :class:`SecretNeededError`."""
    from app.providers.local import pki

    if choice.source == INSTALLATION:
        return pki.ensure_installation_identity(seal_dir, secrets)
    if choice.source == PKCS12:
        if not choice.pkcs12:
            raise SealSetupError(
                "Sealing with a certificate file needs the file: choose it in Settings › In "
                "person.",
                part="file",
            )
        identity = pki.load_pkcs12_identity(
            Path(choice.pkcs12).expanduser(), secrets.get(PKCS12_PASSWORD)
        )
    else:
        from app.providers.local.token import open_token_identity

        token = choice.token_choice()
        pin = secrets.get(PKCS11_PIN)
        if not pin:
            raise pin_needed(token.token)
        identity = open_token_identity(token, pin)
    try:
        refuse_expired(identity)
    except UserError:
        identity.close()
        raise
    return identity


def pin_needed(token: str) -> SecretNeededError:
    return SecretNeededError(
        Text(
            f"The smartcard or token {token!r} needs its PIN",
            Alt(
                f" and none is given: set {env_name(PKCS11_PIN)} for the command, or keep it "
                "in the keyring with `sealbox login local`",
                ": enter it to seal with it",
            ),
            ".",
        ),
        secret=PKCS11_PIN,
        asking=f"The PIN of the smartcard or token {token!r}",
    )


def refuse_expired(identity: SealIdentity) -> None:
    """A :class:`SealSetupError` when ``identity``'s certificate is not valid now."""
    now = dt.datetime.now(dt.UTC)
    cert = identity.certificate
    on_token = identity.source.startswith("token ")
    where = "the token" if on_token else identity.source
    part = "key" if on_token else "file"
    if cert.not_valid_after_utc <= now:
        raise SealSetupError(
            f"The seal certificate of {identity.subject} in {where} expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}; choose a current one.",
            part=part,
        )
    if cert.not_valid_before_utc > now:
        raise SealSetupError(
            f"The seal certificate of {identity.subject} in {where} is valid only from "
            f"{cert.not_valid_before_utc:%Y-%m-%d}; check this computer's date, or choose a "
            "current certificate.",
            part=part,
        )
