"""The commands about requests: send, list, show, cancel, sync, download."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.output import emit, history_json, print_request, request_json, say, when
from app.cli.problems import EXIT_BUG, crash_report
from app.cli.runner import closing, run_to_end
from app.domain.lifecycle import Status
from app.errors import StoreUnreachableError, UserError

if TYPE_CHECKING:
    from app.context import Context


def cmd_send(ctx: Context, args: argparse.Namespace) -> int:

    from app.cli import bulk
    from app.services import send

    if args.rows is not None:  # send to many
        return bulk.cmd_send_rows(ctx, args)
    spec = bulk.request_spec(ctx, args)
    if args.ocr:
        spec = replace(spec, ocr_anchors=True)
    # Checked once, whether it is committed now or kept on the desk.
    checked = send.check(ctx, args.file, spec, provider_id=args.provider, render_id=args.render_id)
    try:
        request = run_to_end(
            send.send(
                ctx,
                args.file,
                spec,
                provider_id=args.provider,
                render_id=args.render_id,
                idempotency_key=args.idempotency_key,
                checked=checked,
            )
        )
    except StoreUnreachableError as exc:
        from app.cli.queued import keep_send

        return keep_send(ctx, args, spec, args.file, exc, checked)

    warnings = send.warnings_of(ctx, request.id)
    for warning in warnings:  # on stderr, so stdout stays the one JSON object with --json
        say(f"warning: {warning}", err=True)

    def text() -> None:
        say(f"Sent {request.name!r} through {request.provider}: {request.status.value}.")
        say(f"  id {request.id}")
        if ctx.provider(request.provider).capabilities.in_person:
            first = request.next_recipient()
            if first is not None:
                say(
                    f"  next: sealbox sign {request.id[:8]} --recipient {first} "
                    f'--typed-signature "{request.spec.recipients[first].name}"'
                )

    emit(args, {**request_json(ctx, request), "warnings": warnings}, text)
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be 1 or more.")
    statuses = [Status(s) for s in args.status] if args.status else None
    if args.provider:
        ctx.provider(args.provider)  # an unknown id is refused
    mine = None
    if args.mine:
        from app.store.actor import current_actor

        me = current_actor()
        mine = (me.desk, me.user)
    requests = ctx.requests.find(
        status=statuses, provider=args.provider, search=args.search, limit=args.limit, mine=mine
    )

    def text() -> None:
        if not requests:
            say("No requests.")
        for r in requests:
            done, total = r.progress()
            say(
                f"{r.id[:8]}  {r.status.value:<10} {done}/{total}  {r.provider:<12} "
                f"{when(r.created_at)}  {r.name}"
            )

    emit(args, {"signatures": [request_json(ctx, r) for r in requests]}, text)
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    request = ctx.requests.get(args.id)
    if args.refresh:
        from app.services.requests import refresh_request

        request = run_to_end(closing(ctx, refresh_request(ctx, request.id)))
    emit(
        args,
        {**request_json(ctx, request), "history": history_json(ctx, request)},
        lambda: print_request(ctx, request),
    )
    return 0


def cmd_cancel(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.requests import MAX_CANCEL_REASON, cancel_request, check_cancel

    request = ctx.requests.get(args.id)
    check_cancel(ctx, request)
    if args.reason is not None and len(args.reason) > MAX_CANCEL_REASON:
        raise UserError(f"--reason must be at most {MAX_CANCEL_REASON} characters.")
    updated = run_to_end(closing(ctx, cancel_request(ctx, request.id, args.reason)))
    emit(
        args,
        request_json(ctx, updated),
        lambda: say(f"Cancelled {updated.name!r}: {updated.status.value}."),
    )
    return 0


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.sync import sync

    async def run() -> Any:
        try:
            return await sync(ctx, args.resend)
        finally:
            await ctx.aclose()

    result = run_to_end(run())

    def text() -> None:
        say(
            f"Sent {len(result.delivered)}, refreshed {len(result.refreshed)}, completed "
            f"{len(result.finalized)}, archived {len(result.archived)}."
        )
        for rid, status in result.changed.items():
            say(f"  {rid[:8]} is now {status}")
        for rid, why in result.left.items():
            say(f"  {rid[:8]} left in flight: {why}")
        for rid, error in result.errors.items():
            say(f"  {rid[:8]}: {error}", err=True)
        for line in result.upgraded:
            say(f"  {line[:8]}{line[36:]} (seal upgraded in the archive)")
        for key, why in result.not_upgraded.items():
            say(f"  {key[:8]}{key[36:]}: seal not upgraded this time ({why})")
        for rid, why in result.kept_as_received.items():
            say(f"  {rid[:8]}: signed PDF {why}")
        for rid in result.from_desk:
            say(f"  {rid[:8]}: kept on this desk while the shared store was out of reach, now sent")
        for key, why in result.desk_refused.items():
            say(
                f"  kept send {key[:8]}: not sent: {why} (`sealbox queued --discard {key[:8]}` "
                "drops it)",
                err=True,
            )

    emit(args, result.to_json(), text)
    if result.bugs:
        report = crash_report(ctx, next(iter(result.bugs.values())))
        where = f" The details are in {report}." if report else ""
        say(
            f"sealbox: an unexpected error stopped {len(result.bugs)} request(s); the others "
            f"were synced. This is a bug in Sealbox; please report it.{where}",
            err=True,
        )
        return EXIT_BUG
    if set(result.errors) - result.retryable or result.desk_refused:
        return 1
    return 3 if result.errors else 0


def cmd_download(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.requests import download_request

    request = ctx.requests.get(args.id)
    already = ctx.store.archive.folder(request.id)
    archived = run_to_end(closing(ctx, download_request(ctx, request.id, again=args.again)))
    updated = ctx.requests.get(request.id)

    def text() -> None:
        if args.again and already:
            say(
                f"Downloaded {updated.name!r} again into {archived.directory} (the earlier "
                "copy is kept in its .replaced-… folder)"
            )
        elif already:
            say(
                f"{updated.name!r} is already archived in {archived.directory} (`sealbox "
                f"download --again {updated.id[:8]}` replaces a bad copy)"
            )
        else:
            say(f"Archived {updated.name!r} in {archived.directory}")
        for f in archived.files:
            say(f"  {f.kind:<12} {Path(f.path).name}  sha256 {f.sha256}")

    emit(args, request_json(ctx, updated), text)
    return 0
