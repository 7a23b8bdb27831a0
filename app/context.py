"""One object that holds what a command or the app is working with.

It is built once at start-up (paths, settings, secrets, store) and passed to the services; there
is no global service locator. Providers are created on first use, each with its own injected
configuration.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from app.config import Paths, Settings, load_settings, resolve_paths
from app.errors import SealboxError, UserError
from app.secrets import KeyringSecrets, SecretStore
from app.store.db import Database
from app.store.requests import Requests
from app.store.sqlite import SqliteStore

if TYPE_CHECKING:
    import httpx

    # Imported where a provider is built: the provider layer loads PyMuPDF and asyncio, which a
    # command reading the store does not need (and the app loads after showing its window).
    from app.providers.base import Provider, ProviderConfig

log = logging.getLogger(__name__)

#: Every provider Sealbox knows of, by id, with its display name.
KNOWN_PROVIDERS: dict[str, str] = {
    "local": "In person",
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
    def store(self) -> SqliteStore:
        return SqliteStore(self.database, self.paths.drafts_dir)

    @cached_property
    def requests(self) -> Requests:
        return self.store.requests

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
        from app.providers.base import ProviderConfig
        from app.providers.deadlines import Deadlines

        sender_name, sender_email = self.settings.sender(self.environ)
        return ProviderConfig(
            provider_id=pid,
            credential=lambda key: self.secrets.get(f"{pid}.{key}"),
            setting=lambda key: self.provider_setting(pid, key),
            sender_name=sender_name,
            sender_email=sender_email,
            transport=self.transport,
            deadlines=Deadlines.from_settings(self.settings, self.environ),
        )

    def provider_setting(self, pid: str, key: str) -> str | None:
        """A provider's plain setting as its configuration reads it (``SEALBOX_<ID>_<KEY>``, then
        ``[providers.<id>]``); the local provider's ``seal_pkcs12`` is the top-level setting."""
        if pid == "local" and key == "seal_pkcs12":
            return self.settings.seal_pkcs12
        return self.settings.provider_setting(pid, key, self.environ)

    def build_provider(self, pid: str, config: ProviderConfig | None = None) -> Provider:
        """A new provider instance that is not cached: built from ``config`` (by default the
        current settings and secrets). The caller closes it with ``aclose()``."""
        if pid not in KNOWN_PROVIDERS:
            known = ", ".join(KNOWN_PROVIDERS)
            raise UserError(f"Unknown provider {pid!r}: use one of {known} "
                            "(see `sealbox providers`).")
        config = config if config is not None else self.provider_config(pid)
        if pid == "local":
            from app.providers.local.provider import LocalProvider

            return LocalProvider(self.paths, config)
        try:
            module = importlib.import_module(f"app.providers.{pid}")
        except ModuleNotFoundError as exc:
            raise UserError(f"The {KNOWN_PROVIDERS[pid]} provider is not available in this "
                            "version of Sealbox: use another provider.") from exc
        cls: type[Provider] = getattr(module, PROVIDER_CLASSES[pid])
        return cls(config)  # type: ignore[call-arg]

    def _create_provider(self, pid: str) -> Provider:
        return self.build_provider(pid)

    # --- settings changed while running ----------------------------------------------------

    def forget_providers(self) -> list[Provider]:
        """Drop every cached provider, so that the next :meth:`provider` builds a new one from
        the current settings and secrets. Returns the dropped instances: the caller closes them
        (:func:`close_providers`) once nothing is using them any more."""
        dropped = list(self._providers.values())
        self._providers.clear()
        return dropped

    def apply_settings(self, settings: Settings) -> list[Provider]:
        """Use ``settings`` from now on (the archive folder follows ``archive_dir``) and drop the
        cached providers, which were built from the old ones; returns them to be closed."""
        if settings.archive_dir != self.settings.archive_dir:
            archive = resolve_paths(self.environ, settings.archive_dir).archive_dir
            self.paths = replace(self.paths, archive_dir=archive)
        self.settings = settings
        return self.forget_providers()

    async def reload_settings(self, settings: Settings | None = None) -> None:
        """Apply ``settings`` (by default ``config.toml`` read again) and close the providers
        built from the old ones."""
        fresh = settings if settings is not None else load_settings(self.paths.config_file)
        await close_providers(self.apply_settings(fresh))

    async def aclose(self) -> None:
        await close_providers(self.forget_providers())

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.close()
            del self.__dict__["database"]
            self.__dict__.pop("store", None)
            self.__dict__.pop("requests", None)


async def close_providers(providers: list[Provider]) -> None:
    """Close every one of ``providers``; one that fails to close does not stop the others."""
    import asyncio

    results = await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, SealboxError | OSError):
            log.warning("Closing %s failed: %s", provider.capabilities.id, result)
        elif isinstance(result, BaseException):
            raise result
