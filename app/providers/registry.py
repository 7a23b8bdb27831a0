"""The providers Sealbox has: the one list.

Each entry is a :class:`~app.providers.info.ProviderInfo`, written in its provider's own
``info`` module: the capabilities (with the id and the one display name), how to build it, its
settings and credentials, its webhook parser and the words of its connection test. Everything
that needs to know about providers reads it from here: the context builds them, the command line
lists them and asks for their credentials, the app fills its choosers and Settings pages, the
webhook listener serves their endpoints. Nothing outside ``app.providers`` names a provider id.

Adding a provider is one package under ``app/providers/`` (its ``info`` module with its entry,
and its client) and one line in :data:`_BUILT_IN`. Reading the registry loads no provider client:
an entry's ``create`` does that when the provider is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.domain.text import shown
from app.errors import UserError
from app.providers.craftkit.info import INFO as CRAFTKIT
from app.providers.info import Capabilities, ProviderInfo
from app.providers.itasign.info import INFO as ITASIGN
from app.providers.local.info import INFO as IN_PERSON
from app.providers.saypdf.info import INFO as SAYPDF
from app.providers.signature_nc.info import INFO as SIGNATURE_NC
from app.providers.signicat.info import INFO as SIGNICAT

#: The built-in providers, in the order lists and choosers show them.
_BUILT_IN: tuple[ProviderInfo, ...] = (IN_PERSON, CRAFTKIT, SIGNATURE_NC, SIGNICAT, SAYPDF, ITASIGN)

_entries: dict[str, ProviderInfo] = {info.id: info for info in _BUILT_IN}

#: The provider a fresh install sends through: the built-in, in-person one (nothing leaves the
#: computer and no account is needed).
DEFAULT = IN_PERSON.id


def providers() -> tuple[ProviderInfo, ...]:
    """Every provider, in the order lists and choosers show them."""
    return tuple(_entries.values())


def ids() -> tuple[str, ...]:
    return tuple(_entries)


def find(provider_id: str) -> ProviderInfo | None:
    """The entry of ``provider_id``, or None for an id this Sealbox does not have (a request
    sent by another version, say)."""
    return _entries.get(provider_id)


def get(provider_id: str) -> ProviderInfo:
    """The entry of ``provider_id``; a UserError naming the known ids for any other."""
    found = _entries.get(provider_id)
    if found is None:
        raise UserError(
            f"Unknown provider {shown(provider_id)}: use one of "
            f"{', '.join(_entries)} (see `sealbox providers`)."
        )
    return found


def capabilities(provider_id: str) -> Capabilities | None:
    """What ``provider_id`` can do, without building it; None for an unknown id."""
    found = _entries.get(provider_id)
    return found.capabilities if found is not None else None


def display_name(provider_id: str) -> str:
    """The provider's one display name (the id itself for one this Sealbox does not have)."""
    found = _entries.get(provider_id)
    return found.name if found is not None else provider_id


def in_person(provider_id: str) -> bool:
    """Whether requests of ``provider_id`` are signed on this computer."""
    found = _entries.get(provider_id)
    return found is not None and found.capabilities.in_person


def in_person_ids() -> tuple[str, ...]:
    return tuple(pid for pid, info in _entries.items() if info.capabilities.in_person)


def with_webhooks() -> tuple[ProviderInfo, ...]:
    """The providers whose webhook deliveries Sealbox accepts."""
    return tuple(info for info in _entries.values() if info.webhook is not None)


@contextmanager
def registered(info: ProviderInfo) -> Iterator[ProviderInfo]:
    """``info`` in the registry for the length of the block (a provider that is not built in,
    such as a test's): listed last, then removed again."""
    if info.id in _entries:
        raise ValueError(f"a provider {info.id!r} is already registered")
    _entries[info.id] = info
    try:
        yield info
    finally:
        del _entries[info.id]


__all__ = [
    "DEFAULT",
    "capabilities",
    "display_name",
    "find",
    "get",
    "ids",
    "in_person",
    "in_person_ids",
    "providers",
    "registered",
    "with_webhooks",
]
