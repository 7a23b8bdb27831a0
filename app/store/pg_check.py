"""Test connection to a shared store: does the server answer, is the schema one this Sealbox can
use, and may this user read and write it? Said in plain words, changing nothing.

:func:`check_store` connects with psycopg with a short timeout (it blocks: the app runs it off its
window's thread), reads the version table ``schema_version`` and the user's rights
(``has_schema_privilege``, ``has_table_privilege``), and returns one :class:`StoreCheck`. Every
answer is a sentence for office staff; the password is never in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.store.address import StoreAddress

#: Seconds to wait for the server to answer (libpq counts whole seconds, at least 2).
TIMEOUT_S = 5
#: The tables a desk writes to: the user must be able to read and change each.
_TABLES = ("requests", "events", "outbox", "leases")


@dataclass(frozen=True)
class StoreCheck:
    """The answer: ``kind`` is ``ready``, ``empty``, ``older``, ``unreachable``, ``password``,
    ``no-database``, ``newer``, ``read-only``, ``no-rights`` or ``cannot-set-up``."""

    kind: str
    message: str

    @property
    def ok(self) -> bool:
        """Whether Sealbox can work with this store (an empty one is set up on first use)."""
        return self.kind in ("ready", "empty", "older")


def check_store(
    address: StoreAddress,
    password: str | None,
    *,
    known_version: int | None = None,
    timeout: int = TIMEOUT_S,
) -> StoreCheck:
    """Connect to the shared store at ``address`` with ``password`` and say how it stands.
    ``known_version``: the newest schema this Sealbox knows (by default the one it makes)."""
    import psycopg

    if known_version is None:
        from app.store.pg_schema import SCHEMA_VERSION

        known_version = SCHEMA_VERSION
    try:
        conn = psycopg.connect(address.conninfo(password, timeout=timeout), autocommit=True)
    except psycopg.Error as exc:
        return _refused(address, password, exc)
    try:
        with conn:
            return _inspect(conn, address, known_version)
    except psycopg.Error:
        return StoreCheck(
            "unreachable",
            f"The connection to {address.host} was lost during the test: check the network "
            "and try again.",
        )


def _refused(address: StoreAddress, password: str | None, exc: Exception) -> StoreCheck:
    """Why the server could not be used, from what psycopg says (never shown as it is)."""
    import psycopg

    text = str(exc)
    state = getattr(exc, "sqlstate", None)
    user = address.user or "this user"
    if "no password supplied" in text or (not password and "password" in text):
        return StoreCheck(
            "password", f"The server asks for the password of {user}: enter it and test again."
        )
    if state in ("28P01", "28000") or "password authentication failed" in text:
        return StoreCheck(
            "password",
            f"The server refused the password of {user}: check the user name and the password.",
        )
    if state == "3D000" or ("database" in text and "does not exist" in text):
        return StoreCheck(
            "no-database",
            f"The server at {address.host} has no database {address.dbname!r}: check its name, "
            "or ask the database's administrator to create it.",
        )
    if isinstance(exc, psycopg.OperationalError) and "timeout expired" in text:
        return StoreCheck(
            "unreachable",
            f"Cannot reach {address.host}: it did not answer within {TIMEOUT_S} seconds (check "
            "the address or the network).",
        )
    return StoreCheck(
        "unreachable",
        f"Cannot reach {address.host} (port {address.port}): check the address or the network.",
    )


def _no_rights(user: str) -> StoreCheck:
    return StoreCheck(
        "no-rights",
        f"{user} may not read the shared store: ask the database's administrator for the "
        "rights to read and write its tables.",
    )


def _inspect(conn: Any, address: StoreAddress, known: int) -> StoreCheck:
    def one(sql: str, *params: Any) -> Any:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    user = address.user or str(one("SELECT current_user"))
    if one("SELECT to_regclass('schema_version')") is None:
        if not one("SELECT has_schema_privilege(current_schema(), 'CREATE')"):
            return StoreCheck(
                "cannot-set-up",
                f"The shared store is empty and {user} may not set it up: ask the database's "
                "administrator to let that user create tables in it.",
            )
        return StoreCheck(
            "empty", "The server answers: the shared store is empty and will be set up."
        )
    if not one("SELECT has_table_privilege('schema_version', 'SELECT')"):
        return _no_rights(user)
    version = int(one("SELECT max(version) FROM schema_version") or 0)
    if version > known:
        return StoreCheck(
            "newer",
            f"The shared store's schema version {version} is newer than this Sealbox knows "
            f"({known}): update Sealbox.",
        )
    present = [t for t in _TABLES if one("SELECT to_regclass(%s)", t) is not None]
    if not all(one("SELECT has_table_privilege(%s, 'SELECT')", t) for t in present):
        return _no_rights(user)
    # has_table_privilege with several rights says whether any is held: each is asked alone.
    writes = ("INSERT", "UPDATE", "DELETE")
    if not all(one("SELECT has_table_privilege(%s, %s)", t, w) for t in present for w in writes):
        return StoreCheck(
            "read-only",
            f"{user} may read the shared store but not write to it: ask the database's "
            "administrator for the rights to change its tables.",
        )
    if version < known:
        return StoreCheck(
            "older",
            f"The server answers: the shared store is at schema version {version} and will be "
            f"brought up to {known} when Sealbox opens it.",
        )
    return StoreCheck(
        "ready",
        f"The server answers: the shared store is ready (schema version {version}), and {user} "
        "may read and write it.",
    )
