"""The timestamp authority from the settings, and the record of the level each seal reached.

``[timestamp] url`` in the settings file (or ``SEALBOX_TIMESTAMP_URL``) names an RFC 3161
timestamp authority; ``username`` and ``ca_file`` (the authority's CA certificate, PEM, when it
is not issued under the seal's own root) are optional, and the password lives in the keyring as
``timestamp.password`` (``SEALBOX_TIMESTAMP_PASSWORD``). Without a URL, seals are PAdES B-B as
before.

Each long-term seal's level is recorded as a ``seal level`` event of its request (in the store,
and so in the archive's ``request.json`` history), with why it is below B-LTA when it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.errors import UserError
from app.secrets import SecretStore
from app.store.interface import RequestRepository

if TYPE_CHECKING:
    from app.providers.local.ltv import TimestampAuthority

PASSWORD_SECRET = "timestamp.password"
#: The environment variable that sets the authority's address for this computer.
URL_VARIABLE = "SEALBOX_TIMESTAMP_URL"
SEAL_LEVEL_EVENT = "seal level"


def timestamp_authority(
    settings: Settings, secrets: SecretStore, environ: Mapping[str, str] | None = None
) -> TimestampAuthority | None:
    """The configured timestamp authority, or None when none is set."""
    env = os.environ if environ is None else environ
    table = settings.timestamp
    url = (env.get(URL_VARIABLE) or str(table.get("url") or "")).strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise UserError(
            f"The timestamp authority URL {url!r} in [timestamp] of the settings file "
            "must start with http:// or https://: correct it or remove it."
        )
    from app.providers.local.ltv import TimestampAuthority

    roots: list[bytes] = []
    ca_file = str(table.get("ca_file") or "").strip()
    if ca_file:
        try:
            roots.append(Path(ca_file).expanduser().read_bytes())
        except OSError as exc:
            raise UserError(
                f"The timestamp authority's CA file {ca_file} could not be read "
                f"({exc.strerror}): correct ca_file in [timestamp] of the settings "
                "file or remove it."
            ) from exc
    username = str(table.get("username") or "").strip() or None
    password = secrets.get(PASSWORD_SECRET) if username else None
    timeout = settings.limit("timestamp", "timeout_s", 10.0, env)
    return TimestampAuthority(url, username, password, roots, timeout)


def record_seal_levels(
    requests: RequestRepository,
    request_id: str,
    levels: Mapping[str, tuple[str, str | None]],
    revoked: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> None:
    """One ``seal level`` event per sealed file: its level and, below B-LTA, why; where the
    revocation data says a certificate was revoked, ``revoked`` (which, when, by whom, why) and
    the reason saying so."""
    for kind, (level, why) in levels.items():
        detail = f"{kind}: {level}" + (f" ({why})" if why else "")
        payload: dict[str, Any] = {"file": kind, "level": level, "reason": why}
        if revoked and revoked.get(kind):
            payload["revoked"] = [dict(r) for r in revoked[kind]]
        requests.add_event(request_id, SEAL_LEVEL_EVENT, detail, payload)
