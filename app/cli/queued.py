"""Sends kept on this desk while the shared store cannot be reached: ``sealbox send`` keeps one,
``sealbox queued`` lists them (or discards one), ``sealbox sync`` sends them once it can."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.output import emit, say

if TYPE_CHECKING:
    from app.context import Context
    from app.domain.model import RequestSpec
    from app.errors import StoreUnreachableError
    from app.services.desk_outbox import KeptSend
    from app.services.send import Checked


def keep_send(
    ctx: Context,
    args: argparse.Namespace,
    spec: RequestSpec,
    file: Path,
    unreachable: StoreUnreachableError,
    checked: Checked,
) -> int:
    """``sealbox send`` when the shared store cannot be reached: the send is checked and kept
    on this desk; exit 3 (not sent yet: the next ``sealbox sync`` sends it)."""
    from app.services import desk_outbox

    kept = desk_outbox.keep(
        ctx,
        file,
        spec,
        provider_id=args.provider,
        render_id=args.render_id,
        idempotency_key=args.idempotency_key,
        checked=checked,
    )

    def text() -> None:
        say(f"Kept {kept.name!r} on this desk: {unreachable.message}")
        say(
            "  It is sent by the next `sealbox sync` (or the app) once the shared store can be "
            "reached; to try this command again, give it the same key with "
            f"--idempotency-key {kept.key}."
        )
        say(f"  key {kept.key}")

    emit(args, {**kept_json(kept), "queued": True, "reason": unreachable.message}, text)
    return 3


def kept_json(kept: KeptSend) -> dict[str, Any]:
    return {
        "idempotencyKey": kept.key,
        "name": kept.name,
        "provider": kept.provider_id,
        "documentName": kept.document_name,
        "documentSha256": kept.document_sha256,
        "recipients": [r.email for r in kept.spec.recipients],
        "keptAt": kept.kept_at,
        "problem": kept.problem,
    }


def cmd_queued(ctx: Context, args: argparse.Namespace) -> int:
    """``sealbox queued [--discard KEY]``: the sends kept on this desk."""
    from app.services import desk_outbox

    if args.discard:
        kept = desk_outbox.find(ctx, args.discard.strip())
        desk_outbox.discard(kept)
        emit(
            args,
            {"discarded": kept_json(kept)},
            lambda: say(f"Discarded {kept.name!r} (key {kept.key}): it will not be sent."),
        )
        return 0
    all_kept = desk_outbox.kept(ctx)

    def text() -> None:
        if not all_kept:
            say("No send is kept on this desk.")
        for kept in all_kept:
            to = ", ".join(r.email for r in kept.spec.recipients)
            say(f"{kept.key[:8]}  {kept.kept_at}  {kept.name!r} to {to} through {kept.provider_id}")
            if kept.problem:
                say(f"          not sent: {kept.problem}")

    emit(args, {"kept": [kept_json(k) for k in all_kept]}, text)
    return 0
