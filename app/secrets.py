"""Credentials: the OS keyring, overridable by environment variables.

Secrets are never written to the settings file, the database or a log. When no keyring backend is
available the user is told how to fix it; there is no plaintext fallback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from app.errors import UnavailableError
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
    return Text("No OS keyring is available to keep Sealbox's secrets",
                Detail(exc.__class__.__name__), ". Install or unlock one (GNOME Keyring, KWallet, "
                "macOS Keychain or Windows Credential Locker)",
                Alt(f", or provide the secret in the environment variable {env_name(name)}", ""),
                ".")


class KeyringSecrets:
    """The OS credential store through ``keyring``, with environment overrides."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def get(self, name: str) -> str | None:
        override = self._environ.get(env_name(name))
        if override:
            register_secret(override)
            return override
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        try:
            value = keyring.get_password(SERVICE, name)
        except NoKeyringError:
            return None
        except KeyringError as exc:
            raise UnavailableError(_no_keyring(exc, name)) from exc
        register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        register_secret(value)
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
