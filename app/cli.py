"""The ``sealbox`` command: the desktop app, and every job headless.

Exit codes: 0 done; 1 refused (bad input, or the provider said no) with one line on stderr naming
the cause and the fix; 2 usage; 3 the provider or a needed service could not be reached (worth
retrying). With ``--json`` a command prints exactly one JSON object on stdout.

Human output goes through :func:`say`, which shows control and bidirectional characters of
request names (and of anything else) escaped, so a name cannot steer the terminal. A closed
stdout (``sealbox list | head -1``) ends the command quietly with exit 0.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import getpass
import json
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from app import __version__, bulk_cli
from app.domain.clock import iso, now
from app.domain.lifecycle import Status
from app.domain.text import printable, shown
from app.errors import SealboxError, UserError

# Each command imports what it needs when it runs: a command that only reads the store
# (``list``, ``show``, ``archive search``) never loads asyncio, httpx, pyHanko or PyMuPDF, and
# the desktop app shows its window before loading any of them.
if TYPE_CHECKING:
    from app.context import Context
    from app.domain.model import Request, RequestSpec
    from app.services.signing_values import Signature

log = logging.getLogger("sealbox.cli")

T = TypeVar("T")

COMMANDS = {"send", "list", "show", "cancel", "sync", "download", "sign", "archive",
            "providers", "login", "webhooks", "runs"}
EXIT_USAGE = 2
EXIT_BUG = 70
#: The largest ``--limit``; more is refused rather than passed to SQLite.
MAX_LIMIT = 1_000_000
#: The largest request spec read (one with 200 fields and 200 anchors is far below it).
MAX_SPEC_BYTES = 5 * 1024 * 1024
#: Documents ``sealbox archive search`` shows unless told otherwise (``--limit``).
SEARCH_LIMIT = 50

class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {printable(message)} (see `{self.prog} --help`)\n")


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        value = text.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,12}", value) or not low <= int(value) <= high:
            raise argparse.ArgumentTypeError(
                f"{shown(text, 24)} is not a whole number from {low:,} to {high:,}")
        return int(value)

    parse.__name__ = "number"
    return parse


def say(line: object = "", *, err: bool = False) -> None:
    """Print one line of human output, control and bidirectional characters escaped."""
    print(printable(line), file=sys.stderr if err else sys.stdout)


#: How the text arguments are named in messages (the option, or the positional's metavar).
_ARGUMENT_NAMES = {"id": "ID", "ids": "--id", "text": "TEXT", "command": "command",
                   "action": "action"}


def _invalid_text(args: argparse.Namespace) -> str | None:
    """The first text argument holding bytes that are not UTF-8, as a message (file names may
    hold such bytes and are left alone)."""
    for key, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                option = _ARGUMENT_NAMES.get(key, "--" + key.replace("_", "-"))
                return (f"the {option} given ({printable(item)[:60]}) is not valid text: it holds "
                        "bytes that are not UTF-8. Type it again")
    return None


def build_parser() -> Parser:
    parser = Parser(prog="sealbox", description="Send PDFs for signature and keep the signed "
                    "originals. Without a command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"sealbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> Parser:
        p: Parser = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        return p

    p = command("send", "send a PDF for signature")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument("--spec", type=Path, metavar="SPEC.json",
                   help="the request spec (recipients, fields, anchors)")
    p.add_argument("--provider", metavar="ID", help="signature service (default: settings)")
    p.add_argument("--render-id", metavar="UUID", help="Craftkit render to send")
    p.add_argument("--idempotency-key", metavar="K",
                   help="a key that makes a retried send return the first one")
    p.add_argument("--ocr", action="store_true",
                   help="also find anchor texts in scanned pages, by OCR (needs Tesseract)")
    bulk_cli.add_send_options(p)
    bulk_cli.add_runs_command(sub)

    p = command("list", "list requests")
    p.add_argument("--status", action="append", choices=[s.value for s in Status],
                   help="only this status (repeatable)")
    p.add_argument("--provider", metavar="ID")
    p.add_argument("--search", metavar="TEXT", help="names, recipients and emails")
    p.add_argument("--limit", type=bounded_int(1, MAX_LIMIT), default=None, metavar="N",
                   help=f"at most N requests (1 to {MAX_LIMIT:,})")

    p = command("show", "show one request")
    p.add_argument("id", metavar="ID")
    p.add_argument("--refresh", action="store_true", help="ask the provider first")

    p = command("cancel", "cancel a request still in flight")
    p.add_argument("id", metavar="ID")
    p.add_argument("--reason", metavar="TEXT")

    p = command("sync", "finish interrupted sends, refresh in-flight requests, archive "
                "finished ones")
    p.add_argument("--resend", action="append", default=[], metavar="ID",
                   help="send again a request whose first send is unknown (reconciling), "
                   "once you have checked the provider does not have it")

    p = command("download", "signed PDF and certificate into the archive")
    p.add_argument("id", metavar="ID")
    p.add_argument("--again", action="store_true",
                   help="download an archived request again, replacing a bad copy (the "
                   "earlier files are kept in the folder's .replaced-<time>/)")

    p = command("sign", "sign in person on this computer (local provider)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--recipient", required=True, metavar="N",
                   help="recipient number as in the spec (from 0), or their email")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--typed-signature", metavar="NAME")
    how.add_argument("--signature-image", type=Path, metavar="PNG")
    how.add_argument("--decline", metavar="REASON")
    how.add_argument("--approve", action="store_true", help="approve (Approvers)")
    p.add_argument("--field", action="append", default=[], metavar="N=VALUE",
                   help="value of field N (text, checkbox yes/no, option, date); repeatable")

    p = command("archive", "the archive folder: list, search, verify, export, reindex")
    asub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    for name, text in (("list", "list archived requests"),
                       ("reindex", "rebuild the archive index from the folder")):
        a = asub.add_parser(name, help=text)
        a.add_argument("--json", action="store_true")
    a = asub.add_parser("search", help="find archived documents (best match first, "
                        f"{SEARCH_LIMIT} at a time)")
    a.add_argument("text", metavar="TEXT")
    a.add_argument("--limit", type=int, default=SEARCH_LIMIT, metavar="N",
                   help=f"show at most N documents (default {SEARCH_LIMIT})")
    a.add_argument("--offset", type=int, default=0, metavar="N",
                   help="skip the first N documents (to see the next ones)")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("verify", help="re-hash every file and validate every signature")
    a.add_argument("id", nargs="?", metavar="ID")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("export", help="copy the archive to a folder or a .zip")
    a.add_argument("dest", type=Path, metavar="DEST")
    a.add_argument("--id", action="append", dest="ids", metavar="ID", help="only these")
    a.add_argument("--json", action="store_true")

    command("providers", "list the signature services and what each can do")
    p = command("login", "store a provider's credentials in the OS keyring")
    p.add_argument("provider", metavar="ID")

    p = command("webhooks", "receive provider webhooks")
    wsub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    w = wsub.add_parser("listen", help="serve the webhook endpoints")
    w.add_argument("--host", default="127.0.0.1")
    w.add_argument("--port", type=bounded_int(0, 65535), default=8787,
                   help="0 picks a free port")
    w.add_argument("--json", action="store_true")
    return parser


# --- output ------------------------------------------------------------------------------------


def request_json(ctx: Context, request: Request) -> dict[str, Any]:
    """A request in the Craftkit response shape plus Sealbox's own keys."""
    recipients = []
    for r, state in zip(request.spec.recipients, request.recipients, strict=True):
        entry: dict[str, Any] = {"id": state.provider_recipient_id, **r.to_json()}
        for key, value in (("viewedAt", state.viewed_at), ("signedAt", state.signed_at),
                           ("declinedAt", state.declined_at)):
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
    files = ctx.requests.archived_files(request.id)
    if files:
        root = ctx.paths.archive_dir
        out["archive"] = {
            "folder": str(root / (ctx.requests.archive_dir(request.id) or "")),
            "files": {f.kind: {"path": str(root / f.path), "sha256": f.sha256, "size": f.size}
                      for f in files},
        }
    return out


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "—"


def print_request(ctx: Context, request: Request) -> None:
    done, total = request.progress()
    say(f"{request.name}")
    say(f"  id        {request.id}")
    say(f"  status    {request.status.value} ({done} of {total} signed)")
    say(f"  provider  {request.provider}" + (f" ({request.provider_id})"
                                           if request.provider_id not in (None, request.id)
                                           else ""))
    say(f"  created   {_when(request.created_at)}")
    if request.completed_at:
        say(f"  finished  {_when(request.completed_at)}")
    if request.error_message:
        say(f"  note      {request.error_message}")
    say("  recipients")
    for i, (r, s) in enumerate(zip(request.spec.recipients, request.recipients, strict=True)):
        state = ("declined " + _when(s.declined_at) if s.declined_at else
                 "signed " + _when(s.signed_at) if s.signed_at else
                 "viewed " + _when(s.viewed_at) if s.viewed_at else "waiting")
        say(f"    {i}  {r.name} <{r.email}>  {r.designation.value}, order {r.order}: {state}")
    files = ctx.requests.archived_files(request.id)
    if request.archive_error and not files:
        say(f"  archive   not archived: {request.archive_error}")
    if files:
        say("  archive")
        for f in files:
            say(f"    {f.kind:<12} {ctx.paths.archive_dir / f.path}")
            say(f"    {'':<12} sha256 {f.sha256}")


def emit(args: argparse.Namespace, payload: dict[str, Any], text: Callable[[], None]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        text()


# --- commands ----------------------------------------------------------------------------------


def load_spec(path: Path) -> RequestSpec:
    from app.domain.model import RequestSpec
    from app.userfiles import display_name, read_user_file

    label = f"The spec file {display_name(path)}"
    content = read_user_file(path, label, "a request spec (JSON)", MAX_SPEC_BYTES)
    try:
        raw = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{label} is not UTF-8 text: save it as UTF-8 JSON.") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(f"{label} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg}): fix it and try again.") from exc
    except RecursionError as exc:
        raise UserError(f"{label} is nested too deeply to be a request spec: check that it is "
                        "the right file.") from exc
    return RequestSpec.from_json(data)


def cmd_send(ctx: Context, args: argparse.Namespace) -> int:

    from app.services import send

    if args.rows is not None:  # send to many
        return bulk_cli.cmd_send_rows(ctx, args)
    spec = bulk_cli.request_spec(ctx, args)
    if args.ocr:
        spec = replace(spec, ocr_anchors=True)
    request = _run(send.send(ctx, args.file, spec, provider_id=args.provider,
                                    render_id=args.render_id,
                                    idempotency_key=args.idempotency_key))

    warnings = send.warnings_of(ctx, request.id)
    for warning in warnings:  # on stderr, so stdout stays the one JSON object with --json
        say(f"warning: {warning}", err=True)

    def text() -> None:
        say(f"Sent {request.name!r} through {request.provider}: {request.status.value}.")
        say(f"  id {request.id}")
        if ctx.provider(request.provider).capabilities.in_person:
            first = request.next_recipient()
            if first is not None:
                say(f"  next: sealbox sign {request.id[:8]} --recipient {first} "
                    f"--typed-signature \"{request.spec.recipients[first].name}\"")

    emit(args, {**request_json(ctx, request), "warnings": warnings}, text)
    return 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be 1 or more.")
    statuses = [Status(s) for s in args.status] if args.status else None
    if args.provider:
        ctx.provider(args.provider)  # an unknown id is refused
    requests = ctx.requests.find(status=statuses, provider=args.provider, search=args.search,
                                 limit=args.limit)

    def text() -> None:
        if not requests:
            say("No requests.")
        for r in requests:
            done, total = r.progress()
            say(f"{r.id[:8]}  {r.status.value:<10} {done}/{total}  {r.provider:<12} "
                f"{_when(r.created_at)}  {r.name}")

    emit(args, {"signatures": [request_json(ctx, r) for r in requests]}, text)
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    request = ctx.requests.get(args.id)
    if args.refresh:

        from app.services.requests import refresh_request

        request = _run(closing(ctx, refresh_request(ctx, request.id)))
    emit(args, request_json(ctx, request), lambda: print_request(ctx, request))
    return 0


async def closing(ctx: Context, work: Awaitable[T]) -> T:
    """Await ``work``, then close the context's provider clients (each command's last use)."""
    try:
        return await work
    finally:
        await ctx.aclose()


def cmd_cancel(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.requests import MAX_CANCEL_REASON, cancel_request, check_cancel

    request = ctx.requests.get(args.id)
    check_cancel(ctx, request)
    if args.reason is not None and len(args.reason) > MAX_CANCEL_REASON:
        raise UserError(f"--reason must be at most {MAX_CANCEL_REASON} characters.")
    updated = _run(closing(ctx, cancel_request(ctx, request.id, args.reason)))
    emit(args, request_json(ctx, updated),
         lambda: say(f"Cancelled {updated.name!r}: {updated.status.value}."))
    return 0


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.sync import sync

    async def run() -> Any:
        try:
            return await sync(ctx, args.resend)
        finally:
            await ctx.aclose()

    result = _run(run())

    def text() -> None:
        say(f"Sent {len(result.delivered)}, refreshed {len(result.refreshed)}, completed "
            f"{len(result.finalized)}, archived {len(result.archived)}.")
        for rid, status in result.changed.items():
            say(f"  {rid[:8]} is now {status}")
        for rid, why in result.left.items():
            say(f"  {rid[:8]} left in flight: {why}")
        for rid, error in result.errors.items():
            say(f"  {rid[:8]}: {error}", err=True)

    emit(args, result.to_json(), text)
    if result.bugs:
        report = _crash_report(ctx, next(iter(result.bugs.values())))
        where = f" The details are in {report}." if report else ""
        say(f"sealbox: an unexpected error stopped {len(result.bugs)} request(s); the others "
            f"were synced. This is a bug in Sealbox; please report it.{where}", err=True)
        return EXIT_BUG
    if set(result.errors) - result.retryable:
        return 1
    return 3 if result.errors else 0


def cmd_download(ctx: Context, args: argparse.Namespace) -> int:

    from app.services.requests import download_request

    request = ctx.requests.get(args.id)
    already = ctx.requests.archive_dir(request.id)
    archived = _run(closing(ctx, download_request(ctx, request.id, again=args.again)))
    updated = ctx.requests.get(request.id)

    def text() -> None:
        if args.again and already:
            say(f"Downloaded {updated.name!r} again into {archived.directory} (the earlier "
                  "copy is kept in its .replaced-… folder)")
        elif already:
            say(f"{updated.name!r} is already archived in {archived.directory} (`sealbox "
                  f"download --again {updated.id[:8]}` replaces a bad copy)")
        else:
            say(f"Archived {updated.name!r} in {archived.directory}")
        for f in archived.files:
            say(f"  {f.kind:<12} {Path(f.path).name}  sha256 {f.sha256}")

    emit(args, request_json(ctx, updated), text)
    return 0


def parse_field_values(items: Sequence[str]) -> dict[int, str]:
    values: dict[int, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[0-9]{1,9}", key.strip()):
            raise UserError(f"--field {shown(item)} is not N=VALUE: give the field's number (from "
                            "`sealbox show`) and its value, like --field 2=\"ACME Ltd\".")
        values[int(key)] = value
    return values


def cmd_sign(ctx: Context, args: argparse.Namespace) -> int:
    from app.services.in_person import InPersonSigning, recipient_index
    from app.services.signing_values import FieldInput, TextValue

    signing = InPersonSigning(ctx)
    request = signing.load(args.id)
    index = recipient_index(request, args.recipient)
    # Each value as typed; the service reads it by its field's type (yes/no, an option, text).
    values: dict[int, FieldInput] = {
        idx: TextValue(text) for idx, text in parse_field_values(args.field).items()}
    if args.decline is not None:
        updated = signing.decline(request.id, index, args.decline).request
    else:
        step = signing.sign(request.id, index, _signature(args), values)
        updated = step.request
        if step.needs_completing or updated.status == Status.COMPLETED:
            # The signature is stored: what follows (sealing, archiving) is finished by
            # `sealbox sync` if it cannot be done now.
            stopped = signing.complete_and_archive(updated.id)
            if stopped is not None:
                return _sign_stopped(updated, index, stopped.step, stopped.problem)
            updated = ctx.requests.get(updated.id)
    name = updated.spec.recipients[index].name

    def text() -> None:
        if args.decline is not None:
            say(f"{name} declined {updated.name!r}.")
        elif updated.status == Status.COMPLETED:
            say(f"{name} signed. {updated.name!r} is complete and archived:")
            for f in ctx.requests.archived_files(updated.id):
                say(f"  {ctx.paths.archive_dir / f.path}")
        else:
            nxt = updated.next_recipient()
            who = updated.spec.recipients[nxt].name if nxt is not None else "nobody"
            say(f"{name} signed. Next: {who} (recipient {nxt}).")

    emit(args, request_json(ctx, updated), text)
    return 0


def _signature(args: argparse.Namespace) -> Signature | None:
    """The signature ``sealbox sign`` was given: a typed name or a PNG image (None: approve)."""
    from app.services.signing_values import Signature, read_signature_image

    if args.typed_signature is not None:
        if not args.typed_signature.strip():
            raise UserError("--typed-signature needs the signer's name.")
        return Signature(typed=args.typed_signature.strip())
    if args.signature_image is not None:
        return Signature(image_png=read_signature_image(args.signature_image), uploaded=True)
    return None


def _sign_stopped(request: Request, index: int, step: str, problem: SealboxError) -> int:
    """Say that the signature is kept but ``step`` (sealing, archiving) stopped, and why."""
    from app.storage import DiskFullError

    who = request.spec.recipients[index].name
    log.warning("sign of %s: %s stopped: %s", request.id, step, problem.message)
    if isinstance(problem, DiskFullError):
        why = DiskFullError(problem.path, "run `sealbox sync` to finish it").message
    else:
        why = f"{problem.message} Then run `sealbox sync` to finish it."
    say(f"sealbox: {who} signed {request.name!r}, but {step} stopped. {why}", err=True)
    return problem.exit_code


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end (asyncio is imported by the commands that need it only)."""
    import asyncio

    return asyncio.run(coro)


def cmd_archive(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "search":
        return archive_search(ctx, args)
    if args.action == "list":
        items = [ctx.requests.get(rid) for rid in ctx.requests.archived_ids()
                 if ctx.requests.exists(rid)]
        emit(args, {"signatures": [request_json(ctx, r) for r in items]},
             lambda: print_archived(ctx, items) if items else say("Nothing archived."))
        return 0
    from app.archive import folder

    if args.action == "verify":
        result = folder.verify(ctx, args.id)
        checks = result.checks
        bad = [c for c in checks if not c.ok]
        root = ctx.paths.archive_dir

        def text() -> None:
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
                say(f"  {mark:<7} {label}: {folder.describe_check(c)}")
                if not c.ok:
                    say(f"  {'':<7} {c.summary}")
            counts = {state: sum(c.state == state for c in checks)
                      for state in ("intact", "modified", "missing", "mismatch", "added",
                                    "moved")}
            invalid = sum(c.signature == "invalid" for c in checks)
            others = ", ".join(f"{n} {label}" for label, n in (
                ("not what their certificate names", counts["mismatch"]),
                ("added to a folder", counts["added"]), ("folders moved", counts["moved"]))
                if n)
            say(f"{len(checks)} checked: {counts['intact']} intact, {counts['modified']} "
                  f"modified, {counts['missing']} missing{', ' + others if others else ''}; "
                  f"{invalid} with an invalid signature.")

        emit(args, {"ok": result.ok, "files": [c.to_json() for c in checks],
                    "trustRoot": result.trust_problem}, text)
        if result.trust_problem is not None:
            say(f"sealbox: {result.trust_problem}", err=True)
            return 1
        if bad:
            if not args.json:
                say(f"sealbox: {len(bad)} archived file(s) failed verification: "
                    f"{', '.join(str(c.path) for c in bad[:3])}", err=True)
            return 1
        return 0
    if args.action == "reindex":
        archived = folder.reindex(ctx)
        emit(args, {"reindexed": [a.request_id for a in archived]},
             lambda: say(f"Reindexed {len(archived)} archived request(s)."))
        return 0
    if args.action == "export":
        done = folder.export(ctx, args.dest, args.ids)
        moved = {f.manifest["id"]: str(f.folder) for f in done.moved}

        def exported() -> None:
            say(f"Exported {len(done.folders)} archived request(s) to {done.dest}")
            for rid, where in moved.items():
                say(f"  {rid[:8]} was not where the archive index has it: exported from "
                      f"{where} (`sealbox archive reindex` records the new place)")

        emit(args, {"exported": str(done.dest), "requests": [f.manifest["id"]
                                                              for f in done.folders],
                    "moved": moved}, exported)
        return 0
    raise AssertionError(args.action)


def print_archived(ctx: Context, items: Sequence[Request]) -> None:
    for r in items:
        say(f"{r.id[:8]}  {_when(r.completed_at)}  {r.name}  "
              f"({', '.join(x.name for x in r.spec.recipients)})")
        say(f"          {ctx.paths.archive_dir / (ctx.requests.archive_dir(r.id) or '')}")


def archive_search(ctx: Context, args: argparse.Namespace) -> int:
    """One page of the archived documents matching TEXT, best first, after their number."""
    if args.limit < 1:
        raise UserError("--limit must be 1 or more.")
    if args.offset < 0:
        raise UserError("--offset must be 0 or more.")
    total = ctx.requests.search_count(args.text, archived_only=True)
    ids = ctx.requests.search_ids(args.text, args.limit, offset=args.offset,
                                  archived_only=True) if total > args.offset else []
    items = [ctx.requests.get(rid) for rid in ids if ctx.requests.exists(rid)]
    first, last = args.offset + 1, args.offset + len(items)

    def text() -> None:
        if not total:
            say("No match.")
            return
        found = f"{total:,} document{'s' if total != 1 else ''} match{'es' if total == 1 else ''}"
        if not items:
            say(f"{found}; none after number {total:,} (--offset {args.offset} is past the "
                  "last one).")
            return
        say(f"{found}; showing {first:,}–{last:,}.")
        print_archived(ctx, items)
        if last < total:
            say(f"More: sealbox archive search {_quoted(args.text)} --offset {last}")

    emit(args, {"total": total, "limit": args.limit, "offset": args.offset,
                "signatures": [request_json(ctx, r) for r in items]}, text)
    return 0


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def cmd_providers(ctx: Context, args: argparse.Namespace) -> int:
    from app.providers import registry

    rows = []
    for info in registry.providers():
        pid = info.id
        entry: dict[str, Any] = {"id": pid, "name": info.name,
                                 "default": pid == ctx.default_provider}
        try:
            provider = ctx.provider(pid)
        except SealboxError as exc:
            entry.update({"available": False, "configured": False, "problem": exc.message})
        else:
            try:
                problem = provider.configuration_problem()
            except SealboxError as exc:  # e.g. a secret that cannot be used
                problem = exc.message
            entry.update({"available": True, "configured": problem is None, "problem": problem,
                          "capabilities": provider.capabilities.summary()})
        rows.append(entry)

    def text() -> None:
        for row in rows:
            state = ("ready" if row["configured"] else
                     "not configured" if row["available"] else "unavailable")
            default = " (default)" if row["default"] else ""
            say(f"{row['id']:<13} {row['name']:<32} {state}{default}")
            if row.get("problem"):
                say(f"{'':<14}{row['problem']}")

    emit(args, {"providers": rows}, text)
    return 0


def cmd_login(ctx: Context, args: argparse.Namespace) -> int:
    from app.providers import registry
    from app.providers.info import env_variable

    info = registry.get(args.provider)
    provider_id = info.id
    names = [secret.key for secret in info.login_secrets]
    if not names:
        emit(args, {"provider": provider_id, "stored": []},
             lambda: say(f"{provider_id} needs no credentials."))
        return 0
    if not sys.stdin.isatty():
        raise UserError(f"`sealbox login {provider_id}` asks for the credentials on a terminal; "
                        "without one, set them in the environment (e.g. "
                        f"{env_variable(provider_id, names[0])}).")

    stored = []
    for key in names:
        value = getpass.getpass(f"{provider_id} {key.replace('_', ' ')} (leave empty to keep): ")
        if value:
            ctx.secrets.set(f"{provider_id}.{key}", value)
            stored.append(key)
    emit(args, {"provider": provider_id, "stored": stored},
         lambda: say(f"Stored {', '.join(stored) or 'nothing'} for {provider_id} in the OS "
                     "keyring."))
    return 0


def cmd_webhooks(ctx: Context, args: argparse.Namespace) -> int:
    import contextlib

    from app.services.webhooks import serve

    def ready(url: str, providers: list[str]) -> None:
        paths = ", ".join(f"{url}/webhooks/{p}" for p in providers)
        emit(args, {"listening": url, "providers": providers},
             lambda: say(f"Listening for webhooks on {paths} (Ctrl+C to stop)."))
        sys.stdout.flush()

    async def run() -> None:
        try:
            await serve(ctx, args.host, args.port, ready)
        finally:
            await ctx.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        _run(run())
    return 0


HANDLERS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "send": cmd_send, "list": cmd_list, "show": cmd_show, "cancel": cmd_cancel,
    "sync": cmd_sync, "download": cmd_download, "sign": cmd_sign, "archive": cmd_archive,
    "providers": cmd_providers, "login": cmd_login, "webhooks": cmd_webhooks,
    "runs": bulk_cli.cmd_runs,
}


# --- entry point -------------------------------------------------------------------------------


def _crash_report(ctx: Context | None, exc: BaseException) -> Path | None:
    """Write a crash report, whole or not at all (never an empty file); its path, or None."""
    import traceback

    from app.fsutil import atomic_write_bytes
    from app.logs import redact

    text = redact("".join(traceback.format_exception(exc)))
    try:
        if ctx is None:
            return None
        folder: Path = ctx.paths.data_dir / "crash-reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{now():%Y%m%d-%H%M%S}.txt"
        atomic_write_bytes(path, f"sealbox {__version__}\n{text}".encode())
        return path
    except OSError:
        return None


#: What an OSError with a file name means to the user, when it reaches the top unhandled.
_FILE_PROBLEMS = {
    errno.ENAMETOOLONG: "its name is too long for the file system",
    errno.ENOENT: "it does not exist",
    errno.ENOTDIR: "a part of its path is not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.ELOOP: "it is a loop of links",
    errno.EROFS: "the disk is read-only",
}


def _file_problem(exc: OSError) -> str | None:
    """One line for an OSError about a file the user named, or None (then it is a bug)."""
    if exc.filename is None or exc.errno not in _FILE_PROBLEMS:
        return None
    name = Path(os.fsdecode(exc.filename))
    from app.userfiles import display_name

    return (f"{display_name(name)} cannot be used: {_FILE_PROBLEMS[exc.errno]}. Check the path "
            "and try again.")


def _stdout_closed() -> int:
    """The reader of stdout went away (``sealbox list | head -1``): a normal end. What is left
    to print goes nowhere (the way the Python documentation gives for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


def _storage_problem(ctx: Context | None, exc: BaseException) -> SealboxError | None:
    """A full disk (or a file size limit) behind ``exc``, as a user error; None otherwise."""
    from app.storage import storage_error

    database = ctx.paths.database if ctx is not None else None
    return storage_error(exc, database=database)


def main(argv: Sequence[str] | None = None) -> int:
    # Names of files that are not UTF-8 print with escapes instead of stopping the command.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _stdout_closed()


def _main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and not args_list[0].startswith("-")):
        return open_app(args_list)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        return open_app([])
    invalid = _invalid_text(args)
    if invalid:
        say(f"sealbox {args.command}: {invalid}.", err=True)
        return EXIT_USAGE

    from app import logs
    from app.context import Context

    ctx = None
    try:
        ctx = Context.from_environment()
        logs.configure(ctx.paths.data_dir / "logs")
        log.info("sealbox %s %s", __version__, args.command)
        code = HANDLERS[args.command](ctx, args)
        sys.stdout.flush()  # a closed stdout shows here, not at exit
        return code
    except BrokenPipeError:
        raise
    except SealboxError as exc:
        log.warning("%s refused: %s", args.command, exc.message)
        say(f"sealbox: {exc.message}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        say("sealbox: interrupted.", err=True)
        return 130
    except OSError as exc:
        full = _storage_problem(ctx, exc)
        if full is not None:  # not a bug: the disk is full
            log.warning("%s stopped: %s", args.command, full.message, exc_info=True)
            say(f"sealbox: {full.message}", err=True)
            return full.exit_code
        problem = _file_problem(exc)
        if problem is None:
            log.exception("bug in %s", args.command)
            return _bug(ctx, exc)
        log.warning("%s refused: %s", args.command, problem)
        say(f"sealbox: {problem}", err=True)
        return 1
    except Exception as exc:  # a bug: report it with a traceback, redacted
        stopped = _storage_problem(ctx, exc)
        if stopped is not None:  # not a bug: the disk is full
            log.warning("%s stopped: %s", args.command, stopped.message, exc_info=True)
            say(f"sealbox: {stopped.message}", err=True)
            return stopped.exit_code
        log.exception("bug in %s", args.command)
        return _bug(ctx, exc)
    finally:
        if ctx is not None:
            ctx.close()


def _bug(ctx: Context | None, exc: Exception) -> int:
    """A crash report (redacted) and one line saying where it is."""
    report = _crash_report(ctx, exc)
    where = f" The details are in {report}." if report else ""
    say(f"sealbox: an unexpected error stopped the command ({type(exc).__name__}). This "
        f"is a bug in Sealbox; please report it.{where}", err=True)
    return EXIT_BUG


def open_app(args: list[str]) -> int:
    files = [a for a in args if not a.startswith("-")]
    if len(files) > 1:
        say("sealbox: give one PDF to open (see `sealbox --help`).", err=True)
        return EXIT_USAGE
    path = Path(files[0]) if files else None
    if path is not None:
        from app.userfiles import check_user_file, display_name

        try:
            check_user_file(path, display_name(path), "a PDF file")
        except SealboxError as exc:
            say(f"sealbox: {exc.message}", err=True)
            return 1
    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        say("sealbox: there is no display to open the app on: run it in a desktop session, or "
            "use the `sealbox` commands (see `sealbox --help`).", err=True)
        return 1
    from app.ui.main import run_app

    return run_app(path)


if __name__ == "__main__":
    raise SystemExit(main())
