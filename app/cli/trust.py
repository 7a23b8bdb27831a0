"""``sealbox archive trust``: the roots trusted when verifying, beyond this installation's."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli.output import emit, say

if TYPE_CHECKING:
    from app.archive.trust import TrustedRoot
    from app.context import Context


def cmd_trust(ctx: Context, args: argparse.Namespace) -> int:
    from app.archive import trust

    if args.trust_action == "add":
        done = trust.add(ctx.paths, args.certificate)

        def added() -> None:
            for r in done.added:
                say(f"Trusted {r.subject} ({_short(r)}, {_expiry(r)}).")
            for r in done.already:
                say(f"Already trusted: {r.subject} ({_short(r)}).")

        emit(
            args,
            {
                "added": [r.to_json() for r in done.added],
                "alreadyTrusted": [r.to_json() for r in done.already],
            },
            added,
        )
        return 0
    if args.trust_action == "list":
        roots, bad = trust.list_roots(ctx.paths)
        system = _system(ctx)

        def listed() -> None:
            if not roots:
                say("No imported roots: only this installation's own root is trusted.")
            for r in roots:
                say(f"{r.fingerprint[:16]}  {_expiry(r):<22}  {r.subject}")
            for path, why in bad:
                say(f"{path}: {why}; not trusted (delete the file).")
            say(_system_line(system))

        emit(
            args,
            {
                "roots": [r.to_json() for r in roots],
                "unreadable": [{"path": str(p), "reason": why} for p, why in bad],
                "system": system,
            },
            listed,
        )
        return 0
    if args.trust_action == "remove":
        gone = trust.remove(ctx.paths, args.fingerprint)
        emit(
            args,
            {"removed": gone.to_json()},
            lambda: say(f"No longer trusted: {gone.subject} ({_short(gone)})."),
        )
        return 0
    if args.trust_action == "export-root":
        target, root = trust.export_root(ctx.paths, args.dest)
        emit(
            args,
            {"exported": str(target), "root": root.to_json()},
            lambda: say(
                f"Exported this installation's root {root.subject} ({_short(root)}) to "
                f"{target}: colleagues import it with `sealbox archive trust add`."
            ),
        )
        return 0
    raise AssertionError(args.trust_action)


def _system(ctx: Context) -> dict[str, object]:
    """Whether the system's trust store is used (``[trust] system``), and what it holds."""
    from app.archive.trust_sources import system_trust_chosen, system_trust_store

    store = system_trust_store()
    return {
        "used": system_trust_chosen(ctx.settings.trust),
        "where": store.where,
        "certificates": store.count(),
    }


def _system_line(system: dict[str, object]) -> str:
    where, count = system["where"], system["certificates"]
    if not system["used"]:
        return (
            "The system's trust store is not used: set system = true in [trust] of the "
            "settings file (or tick it in Settings, In person) to trust its authorities too."
        )
    if not where or not count:
        return "The system's trust store is used, but none was found on this computer."
    plural = "" if count == 1 else "s"
    return f"The system's trust store is used: {count} certificate{plural} from {where}."


def _short(root: TrustedRoot) -> str:
    return f"SHA-256 {root.fingerprint[:16]}…"


def _expiry(root: TrustedRoot) -> str:
    day = root.not_after.date().isoformat()
    return f"expired {day}" if root.expired else f"valid until {day}"
