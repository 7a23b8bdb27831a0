"""``sealbox sync``: finish interrupted sends, refresh in-flight requests, archive finished ones.

Each step is safe to repeat and safe to interrupt: a send is retried with its outbox key, a local
request whose signers are all done is finalized again, and archiving starts its staging folder
afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass, field

from app.archive.folder import STAGING, archive_request_async
from app.context import Context
from app.domain.lifecycle import Status
from app.errors import SealboxError
from app.services.send import deliver, discard_orphans


@dataclass
class SyncResult:
    delivered: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    finalized: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    changed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: int = 0

    def to_json(self) -> dict[str, object]:
        return {"delivered": self.delivered, "refreshed": self.refreshed,
                "finalized": self.finalized, "archived": self.archived,
                "changed": self.changed, "errors": self.errors, "cleaned": self.cleaned}


def _clean_staging(ctx: Context) -> int:
    staging = ctx.paths.archive_dir / STAGING
    if not staging.is_dir():
        return 0
    count = 0
    for folder in staging.iterdir():
        shutil.rmtree(folder, ignore_errors=True)
        count += 1
    with contextlib.suppress(OSError):
        staging.rmdir()
    return count


async def sync(ctx: Context) -> SyncResult:
    from app.providers.local.signing import LocalSigning

    result = SyncResult()
    requests = ctx.requests
    result.cleaned = len(discard_orphans(ctx)) + _clean_staging(ctx)

    for item in requests.pending_outbox():
        try:
            await deliver(ctx, item.request_id)
            result.delivered.append(item.request_id)
        except SealboxError as exc:
            result.errors[item.request_id] = exc.message

    local = LocalSigning(ctx)
    for request_id in requests.ids_with_status([Status.SENT, Status.VIEWED]):
        request = requests.get(request_id)
        try:
            if local.needs_finalizing(request):
                await asyncio.to_thread(local.finalize, request.id)
                result.finalized.append(request.id)
            else:
                report = await ctx.provider(request.provider).refresh(request)
                new = requests.apply_report(request.id, report)
                result.refreshed.append(request.id)
                if new != request.status:
                    result.changed[request.id] = new.value
        except SealboxError as exc:
            result.errors[request.id] = exc.message

    for request_id in requests.unarchived_completed():
        try:
            await archive_request_async(ctx, request_id)
            result.archived.append(request_id)
        except SealboxError as exc:
            result.errors[request_id] = exc.message
    return result
