"""Where things live, and the settings file.

``SEALBOX_HOME=DIR`` puts everything under one folder: ``DIR/config.toml``, ``DIR/data/`` (the
database, working copies of documents, the installation seal) and ``DIR/archive/``. Without it the
platform's own config and data folders for "Sealbox" are used, and the archive goes to the user's
documents folder under ``Sealbox Archive`` (changeable in settings).

The settings file holds no secrets: credentials live in the OS keyring (see ``app.secrets``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import UserError

# tomllib and platformdirs are imported where they are used: the desktop app finds its window
# settings (resolve_paths) before its first paint, and tomllib alone costs 20 ms to import.

APP_NAME = "Sealbox"
DEFAULT_SYNC_INTERVAL_S = 300
#: What the built-in provider can seal with (``seal_with``).
SEAL_SOURCES = ("installation", "pkcs12", "pkcs11")


@dataclass(frozen=True)
class Paths:
    config_file: Path
    data_dir: Path
    archive_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "sealbox.db"

    @property
    def documents_dir(self) -> Path:
        """Working copies of the documents sent, kept until the request is archived."""
        return self.data_dir / "documents"

    @property
    def drafts_dir(self) -> Path:
        """Copies of the PDFs of drafts (requests being prepared, not sent yet)."""
        return self.data_dir / "drafts"

    @property
    def local_dir(self) -> Path:
        """The built-in provider's results (stamped, sealed PDFs and certificates): a folder
        whose name is part of the data layout, kept as it has always been."""
        return self.data_dir / "local"

    @property
    def seal_dir(self) -> Path:
        """The installation's seal certificate and its encrypted key."""
        return self.data_dir / "seal"

    def document(self, request_id: str) -> Path:
        return self.documents_dir / f"{request_id}.pdf"

    @property
    def desk_outbox_dir(self) -> Path:
        """Sends kept on this desk while the shared store could not be reached, one folder
        each (:mod:`app.services.desk_outbox`)."""
        return self.data_dir / "desk-outbox"

    @property
    def locks_dir(self) -> Path:
        """Lock files: a live process holds the lock of what it is working on
        (:mod:`app.oslock`)."""
        return self.data_dir / "locks"

    def lock(self, what: str, request_id: str) -> Path:
        """The lock file of ``what`` (``send``, ``finalize``, ``archive``) for one request."""
        return self.locks_dir / f"{what}-{request_id}.lock"


def resolve_paths(
    environ: Mapping[str, str] | None = None, archive_override: str | None = None
) -> Paths:
    env = os.environ if environ is None else environ
    home = env.get("SEALBOX_HOME")
    if home:
        base = Path(home).expanduser()
        config_file = base / "config.toml"
        data_dir = base / "data"
        archive = base / "archive"
    else:
        import platformdirs

        config_file = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        archive = Path(platformdirs.user_documents_dir()) / "Sealbox Archive"
    if archive_override:
        archive = Path(archive_override).expanduser()
    return Paths(config_file=config_file, data_dir=data_dir, archive_dir=archive)


@dataclass
class Settings:
    """The contents of ``config.toml``. Unknown keys are kept as they are when saving."""

    #: The provider new requests go through; None until chosen (the context then names the
    #: registry's default, :data:`app.providers.registry.DEFAULT`).
    default_provider: str | None = None
    archive_dir: str | None = None
    sender_name: str | None = None
    sender_email: str | None = None
    sync_interval_s: int = DEFAULT_SYNC_INTERVAL_S
    notifications: bool = True
    #: What the built-in provider seals with: "installation" (this installation's own
    #: certificate), "pkcs12" (the file ``seal_pkcs12``) or "pkcs11" (a smartcard or token);
    #: None: ``pkcs12`` when ``seal_pkcs12`` is set, else ``installation`` (see
    #: :attr:`seal_source`).
    seal_with: str | None = None
    #: A PKCS#12 file to seal with instead of the installation certificate (local provider).
    seal_pkcs12: str | None = None
    #: A smartcard or token to seal with: its PKCS#11 module (a .so/.dll/.dylib file), the
    #: token's label and the label of its key (and certificate).
    seal_pkcs11_module: str | None = None
    seal_pkcs11_token: str | None = None
    seal_pkcs11_key: str | None = None
    #: Per provider: non-secret settings such as ``base_url``.
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``[network]`` and ``[webhooks]``: limits (see :meth:`limit`).
    network: dict[str, Any] = field(default_factory=dict)
    webhooks: dict[str, Any] = field(default_factory=dict)
    #: ``[timestamp]``: the RFC 3161 timestamp authority for long-term seals (``url``,
    #: ``username``, ``ca_file``); its password lives in the keyring (``timestamp.password``).
    timestamp: dict[str, Any] = field(default_factory=dict)
    #: ``[store]``: the shared store's ``address`` (``postgresql://user@host:5432/db``, its
    #: password in the keyring as ``store.password``) and ``lease_s`` (see app/store/leases.py).
    store: dict[str, Any] = field(default_factory=dict)
    #: ``[trust]``: ``system = true`` also trusts the operating system's trust store when
    #: verifying (off by default).
    trust: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def limit(
        self, section: str, key: str, default: float, environ: Mapping[str, str] | None = None
    ) -> float:
        """A positive number from ``[section] key`` in the settings file, overridden by
        ``SEALBOX_<SECTION>_<KEY>``; ``default`` when neither is set."""
        env = os.environ if environ is None else environ
        name = f"SEALBOX_{section.upper()}_{key.upper()}"
        raw: Any = env.get(name)
        where = name
        if raw is None or raw == "":
            table = getattr(self, section, {})
            raw = table.get(key) if isinstance(table, dict) else None
            where = f"{key} in [{section}] of the settings file"
        if raw is None:
            return default
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = math.nan
        if isinstance(raw, bool) or not math.isfinite(value) or value <= 0:
            raise UserError(
                f"The setting {where} must be a positive number: correct it or "
                "remove it to use the default."
            )
        return value

    def provider_setting(
        self, provider: str, key: str, environ: Mapping[str, str] | None = None
    ) -> str | None:
        """A provider setting, with ``SEALBOX_<ID>_<KEY>`` from the environment first."""
        env = os.environ if environ is None else environ
        override = env.get(f"SEALBOX_{provider.upper()}_{key.upper()}")
        if override:
            return override
        value = self.providers.get(provider, {}).get(key)
        return str(value) if value is not None else None

    @property
    def seal_source(self) -> str:
        """What seals: ``seal_with`` when set, else "pkcs12" with a ``seal_pkcs12`` file (as
        before the choice existed), else "installation"."""
        if self.seal_with:
            return self.seal_with
        return "pkcs12" if self.seal_pkcs12 else "installation"

    def sender(self, environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
        env = os.environ if environ is None else environ
        return (
            env.get("SEALBOX_SENDER_NAME") or self.sender_name,
            env.get("SEALBOX_SENDER_EMAIL") or self.sender_email,
        )


_KNOWN = {
    "default_provider",
    "archive_dir",
    "sender_name",
    "sender_email",
    "sync_interval_s",
    "notifications",
    "seal_with",
    "seal_pkcs12",
    "seal_pkcs11_module",
    "seal_pkcs11_token",
    "seal_pkcs11_key",
    "providers",
    "network",
    "webhooks",
    "timestamp",
    "store",
    "trust",
}
_SECTIONS = ("network", "webhooks", "timestamp", "store", "trust")


def load_settings(path: Path) -> Settings:
    import tomllib

    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(
            f"The settings file {path} is not valid TOML ({exc}): fix it or delete "
            "it to go back to the defaults."
        ) from exc
    settings = Settings(extra={k: v for k, v in data.items() if k not in _KNOWN})
    for key, kind in (
        ("default_provider", str),
        ("archive_dir", str),
        ("sender_name", str),
        ("sender_email", str),
        ("sync_interval_s", int),
        ("notifications", bool),
        ("seal_with", str),
        ("seal_pkcs12", str),
        ("seal_pkcs11_module", str),
        ("seal_pkcs11_token", str),
        ("seal_pkcs11_key", str),
    ):
        if key in data:
            if not isinstance(data[key], kind):
                raise UserError(
                    f"The settings file {path} has a bad value for {key!r}: it must "
                    f"be a {kind.__name__}. Fix or remove that line."
                )
            setattr(settings, key, data[key])
    if settings.seal_with not in (None, *SEAL_SOURCES):
        raise UserError(
            f"The settings file {path} has a bad value for 'seal_with': it must be one of "
            f"{', '.join(SEAL_SOURCES)}. Fix or remove that line."
        )
    providers = data.get("providers", {})
    if not isinstance(providers, dict) or not all(isinstance(v, dict) for v in providers.values()):
        raise UserError(
            f"The settings file {path} has a bad [providers] section: each provider "
            "must be a table such as [providers.craftkit]."
        )
    settings.providers = providers
    for section in _SECTIONS:
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise UserError(
                f"The settings file {path} has a bad [{section}] section: it must be "
                f"a table ([{section}] on a line of its own, then key = value lines)."
            )
        setattr(settings, section, table)
    return settings


def save_settings(path: Path, settings: Settings) -> None:
    from app.fsutil import atomic_write_bytes

    data: dict[str, Any] = dict(settings.extra)
    for key in sorted(_KNOWN - {"providers", *_SECTIONS}):
        value = getattr(settings, key)
        if value is not None:
            data[key] = value
    if settings.providers:
        data["providers"] = settings.providers
    for section in _SECTIONS:
        if getattr(settings, section):
            data[section] = getattr(settings, section)
    atomic_write_bytes(path, dumps_toml(data).encode("utf-8"))


def dumps_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer for the settings file (flat keys and one level of tables)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        text = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{text}"'

    def emit(prefix: str, table: Mapping[str, Any]) -> None:
        for k, v in table.items():
            if isinstance(v, Mapping):
                tables.append((f"{prefix}{k}", v))
            else:
                lines.append(f"{k} = {value(v)}")

    emit("", data)
    while tables:
        name, table = tables.pop(0)
        lines.append("")
        lines.append(f"[{name}]")
        emit(f"{name}.", table)
    return "\n".join(lines) + "\n"
