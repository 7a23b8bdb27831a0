"""One object that holds what a command or the app is working with.

It is built once at start-up (paths, settings, secrets, store) and passed to the services; there
is no global service locator. Providers are created on first use, each with its own injected
configuration, from their entries in :mod:`app.providers.registry`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from app.config import Paths, Settings, load_settings, resolve_paths
from app.errors import SealboxError
from app.providers import registry
from app.secrets import KeyringSecrets, SecretStore
from app.store.actor import Actor, set_actor
from app.store.address import (
    PASSWORD_SECRET,
    AddressSetting,
    StoreAddress,
    configured_address,
)
from app.store.db import Database
from app.store.requests import Requests
from app.store.sqlite import SqliteStore

if TYPE_CHECKING:
    import httpx

    # Imported where a provider is built: a provider's client loads PyMuPDF, httpx and asyncio,
    # which a command reading the store does not need (and the app loads after showing its
    # window). The registry itself is plain data.
    from app.pdf.document import PdfInfo
    from app.providers.base import Provider, ProviderConfig
    from app.store.postgres import PostgresStore

log = logging.getLogger(__name__)


@dataclass
class Context:
    paths: Paths
    settings: Settings
    secrets: SecretStore
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    #: An HTTP transport for every provider (tests inject one; None is the network).
    transport: httpx.AsyncBaseTransport | None = None
    _providers: dict[str, Provider] = field(default_factory=dict)
    #: The documents ``send.prepare`` checked, by request id, until they are delivered: the
    #: provider gets what was checked instead of reading and checking the file again.
    checked_documents: dict[str, PdfInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = _with_default_provider(self.settings)
        self._set_actor()

    def _set_actor(self) -> None:
        """Who this process records on what it does: this desk, this OS user and the sender's
        name from the settings (the one place it is set; again when the settings change)."""
        set_actor(Actor.of_this_process(self.settings.sender(self.environ)[0]))

    @property
    def store_address(self) -> AddressSetting:
        """The store's address (``SEALBOX_DATABASE_URL``, else ``[store] address``; none: this
        desk's SQLite file); an address that cannot be used raises ``AddressError``."""
        return configured_address(self.settings.store, self.environ)

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, secrets: SecretStore | None = None
    ) -> Context:
        env = dict(os.environ if environ is None else environ)
        first = resolve_paths(env)
        settings = load_settings(first.config_file)
        paths = resolve_paths(env, settings.archive_dir) if settings.archive_dir else first
        return cls(
            paths=paths,
            settings=settings,
            secrets=secrets if secrets is not None else KeyringSecrets(env),
            environ=env,
        )

    @cached_property
    def database(self) -> Database:
        """This desk's SQLite file, or the SQLite file the store's address names."""
        address = self.store_address.address
        if address is not None and address.path is not None:
            return Database(address.path)
        return Database(self.paths.database)

    @cached_property
    def store(self) -> SqliteStore | PostgresStore:
        """The store the address names: the shared one on PostgreSQL (its password from the
        keyring, ``store.password``), else a SQLite file (by default this desk's own)."""
        address = self.store_address.address
        if address is not None and address.is_postgresql:
            return self._shared_store(address, connect=True)
        return SqliteStore(self.database, self.paths.drafts_dir)

    def _shared_store(self, address: StoreAddress, *, connect: bool) -> PostgresStore:
        from app.store.pg import PgDatabase
        from app.store.postgres import PostgresStore

        conninfo = address.conninfo(self.secrets.get(PASSWORD_SECRET))
        return PostgresStore(PgDatabase(conninfo, connect=connect), self.paths.drafts_dir)

    @property
    def shared_store(self) -> bool:
        """Whether the store's address names the shared store (a PostgreSQL server); False
        also for an address that cannot be used."""
        try:
            address = self.store_address.address
        except SealboxError:
            return False
        return address is not None and address.is_postgresql

    def hold_store_offline(self) -> PostgresStore:
        """The shared store, held offline without reaching it (its server could not be reached
        at the start): it connects, and checks its schema, once the server is reached again.
        Only for an address that names the shared store (:attr:`shared_store`)."""
        address = self.store_address.address
        if address is None or not address.is_postgresql:
            raise ValueError("only the shared store can be held offline")
        self.close()
        store = self._shared_store(address, connect=False)
        self.__dict__["store"] = store
        return store

    @cached_property
    def requests(self) -> Requests:
        return self.store.requests

    @property
    def default_provider(self) -> str:
        return self.settings.default_provider or registry.DEFAULT

    def provider(self, provider_id: str | None = None) -> Provider:
        pid = provider_id or self.default_provider
        if pid in self._providers:
            return self._providers[pid]
        provider = self.build_provider(pid)
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
        ``[providers.<id>]``); one its registry entry calls top-level is the settings file's own
        (``seal_pkcs12``), which the environment does not override."""
        info = registry.find(pid)
        field = info.setting(key) if info is not None else None
        if field is not None and field.top_level:
            value = getattr(self.settings, key, None)
            return value if isinstance(value, str) else None
        return self.settings.provider_setting(pid, key, self.environ)

    def build_provider(self, pid: str, config: ProviderConfig | None = None) -> Provider:
        """A new provider instance that is not cached: built from ``config`` (by default the
        current settings and secrets) by its registry entry. The caller closes it with
        ``aclose()``."""
        info = registry.get(pid)
        return info.create(config if config is not None else self.provider_config(pid), self.paths)

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
        self.settings = _with_default_provider(settings)
        self._set_actor()
        return self.forget_providers()

    async def reload_settings(self, settings: Settings | None = None) -> None:
        """Apply ``settings`` (by default ``config.toml`` read again) and close the providers
        built from the old ones."""
        fresh = settings if settings is not None else load_settings(self.paths.config_file)
        await close_providers(self.apply_settings(fresh))

    async def aclose(self) -> None:
        await close_providers(self.forget_providers())

    def close(self) -> None:
        store = self.__dict__.pop("store", None)
        database = self.__dict__.pop("database", None)
        self.__dict__.pop("requests", None)
        if store is not None:
            store.close()
        elif database is not None:
            database.close()


def _with_default_provider(settings: Settings) -> Settings:
    """``settings`` naming the provider new requests go through (on a fresh install, the
    registry's default)."""
    if settings.default_provider:
        return settings
    return replace(settings, default_provider=registry.DEFAULT)


async def close_providers(providers: list[Provider]) -> None:
    """Close every one of ``providers``; one that fails to close does not stop the others."""
    import asyncio

    results = await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)
    for provider, result in zip(providers, results, strict=True):
        if isinstance(result, SealboxError | OSError):
            log.warning("Closing %s failed: %s", provider.capabilities.id, result)
        elif isinstance(result, BaseException):
            raise result
