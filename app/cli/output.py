"""What the commands print: one line of human output, ``--json`` output, a request in full.

Human output goes through :func:`say`, which shows control and bidirectional characters of
request names (and of anything else) escaped, so a name cannot steer the terminal.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.domain.clock import iso
from app.domain.lifecycle import Status
from app.domain.text import printable
from app.wording import when as shown_when

if TYPE_CHECKING:
    from app.context import Context
    from app.domain.model import Request


def say(line: object = "", *, err: bool = False) -> None:
    """Print one line of human output, control and bidirectional characters escaped."""
    print(printable(line), file=sys.stderr if err else sys.stdout)


def request_json(ctx: Context, request: Request) -> dict[str, Any]:
    """A request in the Craftkit response shape plus Sealbox's own keys."""
    recipients = []
    for r, state in zip(request.spec.recipients, request.recipients, strict=True):
        entry: dict[str, Any] = {"id": state.provider_recipient_id, **r.to_json()}
        for key, value in (
            ("viewedAt", state.viewed_at),
            ("signedAt", state.signed_at),
            ("declinedAt", state.declined_at),
        ):
            if value is not None:
                entry[key] = iso(value)
        if state.decline_reason:
            entry["declineReason"] = state.decline_reason
        if state.signing_url:
            entry["signingUrl"] = state.signing_url
        recipients.append(entry)
    out: dict[str, Any] = {
        "id": request.id,
        "name": request.name,
        "status": request.status.value,
        "recipients": recipients,
        "expirationHours": request.spec.expiration_hours,
        "errorMessage": request.error_message,
        "createdAt": iso(request.created_at),
        "completedAt": iso(request.completed_at) if request.status == Status.COMPLETED else None,
        "provider": request.provider,
        "providerId": request.provider_id,
        "archiveError": request.archive_error,
    }
    if request.render_id:
        out["renderId"] = request.render_id
    files = ctx.store.archive.files(request.id)
    if files:
        root = ctx.paths.archive_dir
        out["archive"] = {
            "folder": str(root / (ctx.store.archive.folder(request.id) or "")),
            "files": {
                f.kind: {"path": str(root / f.path), "sha256": f.sha256, "size": f.size}
                for f in files
            },
        }
    return out


def when(moment: datetime | None) -> str:
    """A moment in local time to the minute (as the app shows it), or a dash."""
    return shown_when(moment) or "—"


def print_request(ctx: Context, request: Request) -> None:
    done, total = request.progress()
    say(f"{request.name}")
    say(f"  id        {request.id}")
    say(f"  status    {request.status.value} ({done} of {total} signed)")
    say(
        f"  provider  {request.provider}"
        + (f" ({request.provider_id})" if request.provider_id not in (None, request.id) else "")
    )
    say(f"  created   {when(request.created_at)}")
    if request.completed_at:
        say(f"  finished  {when(request.completed_at)}")
    if request.error_message:
        say(f"  note      {request.error_message}")
    say("  recipients")
    for i, (r, s) in enumerate(zip(request.spec.recipients, request.recipients, strict=True)):
        state = (
            "declined " + when(s.declined_at)
            if s.declined_at
            else "signed " + when(s.signed_at)
            if s.signed_at
            else "viewed " + when(s.viewed_at)
            if s.viewed_at
            else "waiting"
        )
        say(f"    {i}  {r.name} <{r.email}>  {r.designation.value}, order {r.order}: {state}")
    events = ctx.requests.events(request.id)
    if events:
        say("  history")
        for e in events:
            detail = f"  {e.detail}" if e.detail else ""
            who = f"  (by {e.doer})" if e.doer else ""
            say(f"    {when(e.at)}  {e.kind}{detail}{who}")
    files = ctx.store.archive.files(request.id)
    if request.archive_error and not files:
        say(f"  archive   not archived: {request.archive_error}")
    if files:
        say("  archive")
        for f in files:
            say(f"    {f.kind:<12} {ctx.paths.archive_dir / f.path}")
            say(f"    {'':<12} sha256 {f.sha256}")


def history_json(ctx: Context, request: Request) -> list[dict[str, Any]]:
    """The request's history, oldest first, each event with who did it (``desk``, ``user``,
    ``person``: null in events recorded before Sealbox kept them)."""
    return [
        {
            "at": iso(e.at),
            "kind": e.kind,
            "status": e.status,
            "recipientIndex": e.recipient_index,
            "detail": e.detail,
            "desk": e.desk,
            "user": e.user,
            "person": e.person,
        }
        for e in ctx.requests.events(request.id)
    ]


def emit(args: argparse.Namespace, payload: dict[str, Any], text: Callable[[], None]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        text()


def print_archived(ctx: Context, items: Sequence[Request]) -> None:
    for r in items:
        say(
            f"{r.id[:8]}  {when(r.completed_at)}  {r.name}  "
            f"({', '.join(x.name for x in r.spec.recipients)})"
        )
        say(f"          {ctx.paths.archive_dir / (ctx.store.archive.folder(r.id) or '')}")


def quoted(text: str) -> str:
    """``text`` as one shell word (for a command line the user can copy)."""
    return shlex.quote(text)
