"""``sealbox archive``: list, search, verify, export and reindex the archive folder; trust roots."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.cli.output import emit, print_archived, quoted, request_json, say
from app.errors import UserError

if TYPE_CHECKING:
    from app.archive.audit import FileCheck
    from app.context import Context
    from app.services.upgrade import UpgradeResult


def cmd_archive(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "search":
        return archive_search(ctx, args)
    if args.action == "list":
        items = [
            ctx.requests.get(rid)
            for rid in ctx.store.archive.archived_ids()
            if ctx.requests.exists(rid)
        ]
        emit(
            args,
            {"signatures": [request_json(ctx, r) for r in items]},
            lambda: print_archived(ctx, items) if items else say("Nothing archived."),
        )
        return 0
    if args.action == "verify":
        return archive_verify(ctx, args)
    if args.action == "upgrade":
        return archive_upgrade(ctx, args)
    if args.action == "renew":
        from app.cli.renew import archive_renew

        return archive_renew(ctx, args)
    if args.action == "reindex":
        from app.archive.reindex import reindex

        archived = reindex(ctx)
        emit(
            args,
            {"reindexed": [a.request_id for a in archived]},
            lambda: say(f"Reindexed {len(archived)} archived request(s)."),
        )
        return 0
    if args.action == "export":
        return archive_export(ctx, args)
    if args.action == "trust":
        from app.cli.trust import cmd_trust

        return cmd_trust(ctx, args)
    raise AssertionError(args.action)


def archive_verify(ctx: Context, args: argparse.Namespace) -> int:
    """Re-hash every archived file (of one request, or all) and validate every signature."""
    from app.archive import audit

    result = audit.verify(ctx, args.id)
    checks = result.checks
    bad = [c for c in checks if not c.ok]
    emit(
        args,
        {
            "ok": result.ok,
            "files": [c.to_json() for c in checks],
            "trustRoot": result.trust_problem,
        },
        lambda: print_verification(ctx, checks),
    )
    if result.trust_problem is not None:
        say(f"sealbox: {result.trust_problem}", err=True)
        return 1
    if bad:
        if not args.json:
            say(
                f"sealbox: {len(bad)} archived file(s) failed verification: "
                f"{', '.join(str(c.path) for c in bad[:3])}",
                err=True,
            )
        return 1
    return 0


def print_verification(ctx: Context, checks: Sequence[FileCheck]) -> None:
    """Each check under its request's folder, then the counts."""
    from app.archive import audit

    root = ctx.paths.archive_dir
    if not checks:
        say("Nothing archived to verify.")
    group = None
    for c in checks:
        where = c.path if c.kind in ("folder",) else c.path.parent
        heading = str(where.relative_to(root)) if where.is_relative_to(root) else str(where)
        if heading != group:
            group = heading
            say(f"{heading}  ({c.request_name})")
        mark = "ok" if c.ok else "FAILED"
        label = "folder" if c.kind == "folder" else c.path.name
        say(f"  {mark:<7} {label}: {audit.describe_check(c)}")
        if not c.ok:
            say(f"  {'':<7} {c.summary}")
        for s in c.signatures:
            what = (
                f"{s['level']} signature"
                if s["kind"] == "signature" and s["level"]
                else "document timestamp"
                if s["kind"] == "timestamp"
                else "signature"
            )
            when = f", {s['signingTime']} by the {s['timeSource']}" if s["signingTime"] else ""
            say(f"  {'':<7}   {what} {s['field']}: {s['signer']}{when}; {s['trust']}")
            revocation = s.get("revocation") or {}
            if revocation.get("revoked"):
                say(f"  {'':<7}     {_revoked_line(revocation)}")
            if s["kind"] == "signature" and s.get("otherReaders"):
                say(f"  {'':<7}     other readers: {s['otherReaders']}")
    counts = {
        state: sum(c.state == state for c in checks)
        for state in ("intact", "modified", "missing", "mismatch", "added", "moved")
    }
    invalid = sum(c.signature == "invalid" for c in checks)
    others = ", ".join(
        f"{n} {label}"
        for label, n in (
            ("not what their certificate names", counts["mismatch"]),
            ("added to a folder", counts["added"]),
            ("folders moved", counts["moved"]),
        )
        if n
    )
    say(
        f"{len(checks)} checked: {counts['intact']} intact, {counts['modified']} "
        f"modified, {counts['missing']} missing{', ' + others if others else ''}; "
        f"{invalid} with an invalid signature."
    )


def _revoked_line(revocation: dict[str, Any]) -> str:
    """e.g. "REVOKED on 2021-01-01 by Test Intermediate CA (a compromised key); the revocation
    data in the file (1 OCSP response, 1 CRL) says so"."""
    day = str(revocation.get("revokedAt") or "an unknown date")[:10]
    by = f" by {revocation['revokedBy']}" if revocation.get("revokedBy") else ""
    why = f" ({revocation['reason']})" if revocation.get("reason") else ""
    ocsp, crls = revocation.get("ocspResponses", 0), revocation.get("crls", 0)
    found = f"{ocsp} OCSP response{'s' if ocsp != 1 else ''}, {crls} CRL{'s' if crls != 1 else ''}"
    return f"REVOKED on {day}{by}{why}; the revocation data in the file ({found}) says so"


def archive_upgrade(ctx: Context, args: argparse.Namespace) -> int:
    """Bring archived seals below B-LTA up with the timestamp authority: one line per file,
    then the counts. Exit 1 when a file cannot be upgraded, 3 when a service could not be
    reached (those files are left as they were)."""
    from app.cli.runner import closing, run_to_end
    from app.services.received_ltv import upgrade_with_received

    result: UpgradeResult = run_to_end(closing(ctx, upgrade_with_received(ctx, args.id)))
    upgraded, unreachable = result.count("upgraded"), result.count("unreachable")
    failed, busy = result.count("failed"), result.count("busy")

    def text() -> None:
        root = ctx.paths.archive_dir
        for f in result.files:
            where = f.path.relative_to(root) if f.path.is_relative_to(root) else f.path
            if f.outcome == "upgraded" and f.kind == "timestamped":
                line = f"added     {where}: {f.before} as received -> {f.after}"
            elif f.outcome == "upgraded":
                line = f"upgraded  {where}: {f.before} -> {f.after}"
            elif f.outcome == "refused":
                line = f"as is     {where.parent}: {f.before}"
            else:
                word = {"unreachable": "not now", "failed": "FAILED", "busy": "busy"}[f.outcome]
                line = f"{word:<9} {where}: still {f.before}"
            say(line + (f" ({f.reason})" if f.reason else ""))
        say(
            f"{upgraded} upgraded, {result.current} already B-LTA, {unreachable} waiting for a "
            f"service that could not be reached, {failed} that cannot be upgraded"
            + (f", {busy} busy elsewhere" if busy else "")
            + "."
        )

    emit(
        args,
        {
            "files": [f.to_json() for f in result.files],
            "upgraded": upgraded,
            "current": result.current,
            "unreachable": unreachable,
            "failed": failed,
            "busy": busy,
            "refused": result.count("refused"),
        },
        text,
    )
    if failed:
        return 1
    if unreachable or busy:
        return 3
    return 0


def archive_export(ctx: Context, args: argparse.Namespace) -> int:
    """Copy the archive (or the requests of ``--id``) to a folder or a .zip."""
    from app.archive import export

    done = export.export(ctx, args.dest, args.ids)
    moved = {f.manifest["id"]: str(f.folder) for f in done.moved}

    def exported() -> None:
        say(f"Exported {len(done.folders)} archived request(s) to {done.dest}")
        for rid, where in moved.items():
            say(
                f"  {rid[:8]} was not where the archive index has it: exported from "
                f"{where} (`sealbox archive reindex` records the new place)"
            )

    emit(
        args,
        {
            "exported": str(done.dest),
            "requests": [f.manifest["id"] for f in done.folders],
            "moved": moved,
        },
        exported,
    )
    return 0


def archive_search(ctx: Context, args: argparse.Namespace) -> int:
    """One page of the archived documents matching TEXT, best first, after their number."""
    if args.limit < 1:
        raise UserError("--limit must be 1 or more.")
    if args.offset < 0:
        raise UserError("--offset must be 0 or more.")
    total = ctx.store.search.count_matches(args.text, archived_only=True)
    ids = (
        ctx.store.search.matches(args.text, args.limit, offset=args.offset, archived_only=True)
        if total > args.offset
        else []
    )
    items = [ctx.requests.get(rid) for rid in ids if ctx.requests.exists(rid)]
    first, last = args.offset + 1, args.offset + len(items)

    def text() -> None:
        if not total:
            say("No match.")
            return
        found = f"{total:,} document{'s' if total != 1 else ''} match{'es' if total == 1 else ''}"
        if not items:
            say(
                f"{found}; none after number {total:,} (--offset {args.offset} is past the "
                "last one)."
            )
            return
        say(f"{found}; showing {first:,}–{last:,}.")
        print_archived(ctx, items)
        if last < total:
            say(f"More: sealbox archive search {quoted(args.text)} --offset {last}")

    emit(
        args,
        {
            "total": total,
            "limit": args.limit,
            "offset": args.offset,
            "signatures": [request_json(ctx, r) for r in items],
        },
        text,
    )
    return 0
