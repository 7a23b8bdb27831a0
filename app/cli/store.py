"""``sealbox store migrate --to postgresql://…``: move this desk's store into the shared one."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.cli.output import emit, say
from app.errors import UserError

if TYPE_CHECKING:
    from app.context import Context
    from app.store.migrate import Migration


def cmd_store(ctx: Context, args: argparse.Namespace) -> int:
    from app.store.migrate import migrate_store
    from app.store.open import is_postgres_address
    from app.store.pg import PgDatabase

    if args.store_action != "migrate":
        raise AssertionError(args.store_action)
    if not is_postgres_address(args.to):
        raise UserError(
            "Give the shared store's address after --to, starting with postgresql:// "
            "(for example postgresql://sealbox@server/sealbox)."
        )
    target = PgDatabase(args.to.strip())
    try:
        done = migrate_store(ctx.paths.database, target)
    finally:
        target.close()
    emit(args, _json(done), lambda: _print(done))
    if not done.verified:
        say(
            "sealbox: the shared store does not hold what was copied (see the tables marked "
            "DIFFERS): nothing on this desk was changed; run the migration again.",
            err=True,
        )
        return 1
    return 1 if done.conflicts else 0


def _json(done: Migration) -> dict[str, object]:
    return {
        "source": str(done.source),
        "target": done.target,
        "verified": done.verified,
        "conflicts": done.conflicts,
        "tables": {
            name: {
                "copied": r.copied,
                "alreadyThere": r.already,
                "conflicts": len(r.conflicts),
                "verifiedRows": r.verified,
                "sha256": r.hash,
                "matches": r.matches,
            }
            for name, r in done.tables.items()
        },
    }


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def _print(done: Migration) -> None:
    say(f"Moved this desk's store ({done.source}) into the shared store, {done.target}:")
    for name, r in done.tables.items():
        check = "verified" if r.matches else "DIFFERS"
        say(
            f"  {name:<19} {r.copied:>7,} copied  {r.already:>7,} already there  "
            f"{len(r.conflicts):>4,} in conflict  {check} ({_rows(r.verified)}, "
            f"SHA-256 {r.hash[:12]}…)"
        )
    for conflict in done.conflicts:
        say(
            f"  In conflict: {conflict} is different in the shared store; it was kept as it is "
            "there and not copied."
        )
    if done.conflicts:
        count = len(done.conflicts)
        say(
            f"{_rows(count)} {'was' if count == 1 else 'were'} not copied (listed above): "
            "check them."
        )
    say(f"The store on this desk was not changed ({done.source}).")
