"""The store's address: where the shared store is, read, checked and shown without its password.

An office shares one store on PostgreSQL: ``[store] address = "postgresql://user@host:5432/db"``
in ``config.toml``, or ``SEALBOX_DATABASE_URL`` (which wins). The password is never part of it:
it lives in the keyring as ``store.password`` (Settings, or ``SEALBOX_STORE_PASSWORD``), and an
address that holds one is refused with a message that says so. With no address, the store is
this desk's own SQLite file. An absolute path to a SQLite file is also an address (one computer,
several Sealbox homes); SQLite must never sit on a network share.

Pure: no connection is made here (:mod:`app.store.pg_check` tests one). The address is read by
libpq's own parser (``psycopg.conninfo``), so what is accepted here is what will connect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.errors import UserError
from app.wording import Alt, Text

#: The environment variable that gives the address (it wins over the settings file).
ADDRESS_VARIABLE = "SEALBOX_DATABASE_URL"
#: The keyring entry of the shared store's password.
PASSWORD_SECRET = "store.password"
DEFAULT_PORT = 5432
SCHEMES = ("postgresql://", "postgres://")
#: Connection options an address may carry besides host, port, user and database.
_OPTIONS = ("sslmode", "sslrootcert", "connect_timeout", "application_name", "options")

_WHERE_PASSWORD = Alt(
    "enter the password in Settings › Shared store (it goes to the system keyring as "
    "store.password; SEALBOX_STORE_PASSWORD also gives it)",
    "enter the password in the Password field of Settings › Shared store (it is kept in the "
    "system keyring)",
)


class AddressError(UserError):
    """The store's address cannot be used."""


@dataclass(frozen=True)
class StoreAddress:
    """A PostgreSQL server and database (``kind == "postgresql"``), or a SQLite file."""

    kind: str
    host: str = ""
    port: int = DEFAULT_PORT
    user: str = ""
    dbname: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def is_postgresql(self) -> bool:
        return self.kind == "postgresql"

    def __str__(self) -> str:
        """The address as the user writes it (never with a password)."""
        if self.path is not None:
            return str(self.path)
        host = quote(self.host, safe="") if self.host.startswith("/") else self.host
        if ":" in host:  # an IPv6 address
            host = f"[{host}]"
        user = f"{quote(self.user, safe='')}@" if self.user else ""
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in self.options.items())
        return f"postgresql://{user}{host}:{self.port}/{quote(self.dbname, safe='')}" + (
            f"?{query}" if query else ""
        )

    @property
    def place(self) -> str:
        """The server as a message names it: ``db.office.lan:5432``."""
        return f"{self.host}:{self.port}"

    def conninfo(self, password: str | None, *, timeout: int | None = None) -> str:
        """The libpq connection string, with ``password`` (never shown: do not log it)."""
        from psycopg.conninfo import make_conninfo

        params: dict[str, Any] = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.dbname,
            **self.options,
        }
        if self.user:
            params["user"] = self.user
        if password:
            params["password"] = password
        if timeout is not None:
            params["connect_timeout"] = str(max(2, timeout))
        return make_conninfo(**params)


def parse_address(
    text: str | None, *, where: str = "The shared store's address"
) -> StoreAddress | None:
    """``text`` read as a store address; None when empty (this desk's own SQLite file).
    :class:`AddressError` says what is wrong (``where`` names where the address was written: a
    :class:`~app.wording.Text` keeps its app wording)."""
    raw = (text or "").strip()
    if not raw:
        return None
    if any(c.isspace() or ord(c) < 0x20 for c in raw):
        raise AddressError(Text(where, " contains a space or a line break: an address has none."))
    if not raw.lower().startswith(SCHEMES):
        if "://" in raw:
            scheme = raw.split("://", 1)[0]
            raise AddressError(
                Text(
                    where,
                    f" starts with {scheme}://: Sealbox shares its store only on PostgreSQL, "
                    "whose addresses start with postgresql://.",
                )
            )
        path = Path(raw).expanduser()
        if not path.is_absolute():
            raise AddressError(
                Text(
                    where,
                    " is neither a postgresql:// address nor the full path of a Sealbox "
                    "database file.",
                )
            )
        return StoreAddress(kind="sqlite", path=path)
    return _postgresql(raw, where)


_FORM = "postgresql://user@host:5432/database"


def _postgresql(raw: str, where: str) -> StoreAddress:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = {k: str(v) for k, v in conninfo_to_dict(raw).items() if v is not None}
    except ProgrammingError as exc:
        raise AddressError(
            Text(where, f" cannot be read ({_first_line(exc)}): write it as {_FORM}.")
        ) from exc
    if "password" in params:
        raise AddressError(
            Text(
                where,
                " contains a password, which must not be written there: remove it from the "
                "address and ",
                _WHERE_PASSWORD,
                ".",
            )
        )
    host = params.pop("host", "")
    if not host or "," in host:
        raise AddressError(Text(where, f" must name one server: write it as {_FORM}."))
    port_text = params.pop("port", str(DEFAULT_PORT))
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise AddressError(
            Text(where, f" has the port {port_text!r}: a port is a number from 1 to 65535.")
        )
    dbname = params.pop("dbname", "")
    if not dbname:
        raise AddressError(
            Text(where, f" names no database: add it after the port, as in {_FORM}.")
        )
    user = params.pop("user", "")
    unknown = sorted(k for k in params if k not in _OPTIONS)
    if unknown:
        raise AddressError(
            Text(
                where,
                f" sets {', '.join(unknown)}, which Sealbox does not take in an address: "
                "remove it.",
            )
        )
    return StoreAddress(
        kind="postgresql",
        host=host,
        port=int(port_text),
        user=user,
        dbname=dbname,
        options=dict(sorted(params.items())),
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@dataclass(frozen=True)
class AddressSetting:
    """The address in use and where it comes from (``environment`` wins over ``file``)."""

    address: StoreAddress | None
    source: str  # "environment", "file" or "none"


def configured_address(
    store_section: Mapping[str, Any], environ: Mapping[str, str]
) -> AddressSetting:
    """The store address ``SEALBOX_DATABASE_URL`` gives, else ``[store] address`` of the
    settings file, else none (this desk's SQLite file)."""
    env = (environ.get(ADDRESS_VARIABLE) or "").strip()
    if env:
        where = Text(
            Alt(
                f"The environment variable {ADDRESS_VARIABLE}",
                "The shared store's address set outside Sealbox",
            )
        )
        return AddressSetting(parse_address(env, where=where), "environment")
    value = store_section.get("address")
    if value is None or value == "":
        return AddressSetting(None, "none")
    if not isinstance(value, str):
        raise AddressError(
            Text(
                Alt("The address in [store] of the settings file", "The shared store's address"),
                " must be text.",
            )
        )
    where = Text(Alt("The address in [store] of the settings file", "The shared store's address"))
    return AddressSetting(parse_address(value, where=where), "file")


_USERINFO_PASSWORD = re.compile(r"(?i)(postgres(?:ql)?://[^:@/\s]*):[^@/\s]*@")
_QUERY_PASSWORD = re.compile(r"(?i)([?&]password=)[^&\s]*")
_KEYWORD_PASSWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def redact(text: str) -> str:
    """``text`` with any password written in a store address (``user:secret@``,
    ``?password=…``, ``password=…`` of a connection string) replaced by ``•••``."""
    text = _USERINFO_PASSWORD.sub(r"\1:•••@", text)
    text = _QUERY_PASSWORD.sub(r"\1•••", text)
    return _KEYWORD_PASSWORD.sub(r"\1•••", text)
