"""Credentials: the OS keyring, overridable by environment variables.

Secrets are never written to the settings file, the database or a log. When no keyring backend is
available the user is told how to fix it; there is no plaintext fallback. A secret holding a line
break or another control character (a paste gone wrong) is refused with a message that names the
setting and never repeats the value: sent in a header it would fail, or split the header.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from app.errors import UnavailableError, UserError
from app.logs import register_secret
from app.wording import Alt, Detail, Text

SERVICE = "Sealbox"


class SecretStore(Protocol):
    """Where secrets live: ``get`` returns None when the secret is not set."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def env_name(name: str) -> str:
    """The environment variable that overrides secret ``name`` (``craftkit.api_key`` ->
    ``SEALBOX_CRAFTKIT_API_KEY``)."""
    return "SEALBOX_" + name.replace(".", "_").replace("-", "_").upper()


def _no_keyring(exc: Exception, name: str) -> Text:
    """The OS keyring failed: install or unlock one (or, on the command line, use the
    secret's environment variable)."""
    return Text(
        "No OS keyring is available to keep Sealbox's secrets",
        Detail(exc.__class__.__name__),
        ". Install or unlock one (GNOME Keyring, KWallet, "
        "macOS Keychain or Windows Credential Locker)",
        Alt(f", or provide the secret in the environment variable {env_name(name)}", ""),
        ".",
    )


def check_secret(name: str, value: str, *, from_environment: bool) -> str:
    """``value`` if it holds no control character; otherwise a UserError naming the setting
    (the environment variable, or the keyring entry and how to replace it)."""
    bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0), None)
    if bad is None:
        return value
    register_secret(value)
    what = "a line break" if bad in "\r\n" else "a control character"
    provider = name.split(".", 1)[0]
    label = name.split(".", 1)[-1].replace("_", " ")
    if from_environment:
        where = Alt(
            f"The environment variable {env_name(name)}",
            f"The {provider} {label} set outside Sealbox",
        )
        fix: str | Alt = "set it again with the value alone, on one line"
    else:
        where = Alt(
            f"The {provider} {label} stored in the OS keyring",
            f"The {provider} {label} kept in the system keyring",
        )
        fix = Alt(
            f"store it again with `sealbox login {provider}` (or in Settings)",
            "enter it again in Settings",
        )
    raise UserError(Text(where, f" contains {what}, which no credential has: ", fix, "."))


class KeyringSecrets:
    """The OS credential store through ``keyring``, with environment overrides."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str | None:
        override = self._environ.get(env_name(name))
        if override:
            register_secret(override)
            return check_secret(name, override, from_environment=True)
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        try:
            value = keyring.get_password(SERVICE, name)
        except NoKeyringError:
            return None
        except KeyringError as exc:
            raise UnavailableError(_no_keyring(exc, name)) from exc
        register_secret(value)
        return check_secret(name, value, from_environment=False) if value is not None else None

    def set(self, name: str, value: str) -> None:
        register_secret(value)
        check_secret(name, value, from_environment=False)
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(SERVICE, name, value)
        except KeyringError as exc:
            raise UnavailableError(_no_keyring(exc, name)) from exc

    def delete(self, name: str) -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(SERVICE, name)
        except PasswordDeleteError:
            return
        except KeyringError as exc:
            raise UnavailableError(_no_keyring(exc, name)) from exc


class MemorySecrets:
    """A dictionary of secrets, for tests and for one-off in-process use."""

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(initial or {})

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)
