"""One object that holds what a command or the app is working with.

It is built once at start-up (paths, settings, secrets, store) and passed to the services; there
is no global service locator. Providers are created on first use, each with its own injected
configuration.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from app.config import Paths, Settings, load_settings, resolve_paths
from app.errors import UserError
from app.providers.base import Provider, ProviderConfig
from app.secrets import KeyringSecrets, SecretStore
from app.store.db import Database
from app.store.requests import Requests

if TYPE_CHECKING:
    import httpx

#: Every provider Sealbox knows of, by id, with its display name.
KNOWN_PROVIDERS: dict[str, str] = {
    "local": "Sealbox in person (built in)",
    "craftkit": "Craftkit",
    "signature_nc": "Signature.nc",
    "signicat": "Signicat",
    "saypdf": "SayPDF",
    "itasign": "ItaSign",
}


#: The class implementing each remote provider, in ``app.providers.<id>``.
PROVIDER_CLASSES: dict[str, str] = {
    "craftkit": "CraftkitProvider",
    "signature_nc": "SignatureNcProvider",
    "signicat": "SignicatProvider",
    "saypdf": "SayPdfProvider",
    "itasign": "ItaSignProvider",
}


@dataclass
class Context:
    paths: Paths
    settings: Settings
    secrets: SecretStore
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: An HTTP transport for every provider (tests inject one; None is the network).
    transport: httpx.AsyncBaseTransport | None = None
    _providers: dict[str, Provider] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None,
                         secrets: SecretStore | None = None) -> Context:
        env = dict(os.environ if environ is None else environ)
        first = resolve_paths(env)
        settings = load_settings(first.config_file)
        paths = resolve_paths(env, settings.archive_dir) if settings.archive_dir else first
        return cls(paths=paths, settings=settings,
                   secrets=secrets if secrets is not None else KeyringSecrets(env), environ=env)

    @cached_property
    def database(self) -> Database:
        return Database(self.paths.database)

    @cached_property
    def requests(self) -> Requests:
        return Requests(self.database)

    @property
    def default_provider(self) -> str:
        return self.settings.default_provider or "local"

    def provider(self, provider_id: str | None = None) -> Provider:
        pid = provider_id or self.default_provider
        if pid in self._providers:
            return self._providers[pid]
        if pid not in KNOWN_PROVIDERS:
            known = ", ".join(KNOWN_PROVIDERS)
            raise UserError(f"Unknown provider {pid!r}: use one of {known} "
                            "(see `sealbox providers`).")
        provider = self._create_provider(pid)
        self._providers[pid] = provider
        return provider

    def provider_config(self, pid: str) -> ProviderConfig:
        sender_name, sender_email = self.settings.sender(self.environ)
        return ProviderConfig(
            provider_id=pid,
            credential=lambda key: self.secrets.get(f"{pid}.{key}"),
            setting=lambda key: self.settings.provider_setting(pid, key, self.environ),
            sender_name=sender_name,
            sender_email=sender_email,
            transport=self.transport,
        )

    def _create_provider(self, pid: str) -> Provider:
        if pid == "local":
            from app.providers.local.provider import LocalProvider

            return LocalProvider(self.paths)
        try:
            module = importlib.import_module(f"app.providers.{pid}")
        except ModuleNotFoundError as exc:
            raise UserError(f"The {KNOWN_PROVIDERS[pid]} provider is not available in this "
                            "version of Sealbox: use another provider.") from exc
        cls: type[Provider] = getattr(module, PROVIDER_CLASSES[pid])
        return cls(self.provider_config(pid))  # type: ignore[call-arg]

    async def aclose(self) -> None:
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.close()
            del self.__dict__["database"]
            self.__dict__.pop("requests", None)
