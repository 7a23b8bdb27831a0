"""How long a call to a provider may take as a whole (see :mod:`app.providers.http`).

Kept apart from the HTTP layer so that configuration can name it without importing httpx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings


@dataclass(frozen=True)
class Deadlines:
    """Seconds, from the moment a call starts to its last byte.

    ``call`` for every call, ``long_call`` for those a provider documents as slow (Craftkit's
    create); an upload or a download gets ``transfer_base`` plus one second for every
    ``min_rate`` bytes."""

    call: float = 30.0
    long_call: float = 90.0
    transfer_base: float = 60.0
    #: Bytes per second an upload or a download must average after ``transfer_base``.
    min_rate: float = 50_000.0

    def transfer(self, size: int) -> float:
        """The deadline of an upload or download of ``size`` bytes."""
        return self.transfer_base + max(size, 0) / self.min_rate

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str]) -> Deadlines:
        """``[network]`` in the settings file (``deadline_s``, ``long_deadline_s``,
        ``transfer_base_s``, ``transfer_min_rate``), each overridden by
        ``SEALBOX_NETWORK_<KEY>``."""
        default = cls()
        return cls(
            call=settings.limit("network", "deadline_s", default.call, environ),
            long_call=settings.limit("network", "long_deadline_s", default.long_call, environ),
            transfer_base=settings.limit(
                "network", "transfer_base_s", default.transfer_base, environ
            ),
            min_rate=settings.limit("network", "transfer_min_rate", default.min_rate, environ),
        )
