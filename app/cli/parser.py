"""The ``sealbox`` argument parser: its commands and their options.

A usage error exits with code 2 and one line naming the problem and ``--help``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from app import __version__
from app.cli import bulk
from app.domain.lifecycle import Status
from app.domain.text import printable, shown

COMMANDS = {
    "send",
    "list",
    "show",
    "cancel",
    "sync",
    "download",
    "sign",
    "archive",
    "providers",
    "login",
    "webhooks",
    "runs",
    "store",
    "queued",
}
EXIT_USAGE = 2
#: The largest ``--limit``; more is refused rather than passed to SQLite.
MAX_LIMIT = 1_000_000
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
                f"{shown(text, 24)} is not a whole number from {low:,} to {high:,}"
            )
        return int(value)

    parse.__name__ = "number"
    return parse


#: How the text arguments are named in messages (the option, or the positional's metavar).
_ARGUMENT_NAMES = {
    "id": "ID",
    "ids": "--id",
    "text": "TEXT",
    "command": "command",
    "action": "action",
}


def invalid_text(args: argparse.Namespace) -> str | None:
    """The first text argument holding bytes that are not UTF-8, as a message (file names may
    hold such bytes and are left alone)."""
    for key, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                option = _ARGUMENT_NAMES.get(key, "--" + key.replace("_", "-"))
                return (
                    f"the {option} given ({printable(item)[:60]}) is not valid text: it holds "
                    "bytes that are not UTF-8. Type it again"
                )
    return None


#: Adds one command to the parser: its name and help, with the ``--json`` option.
AddCommand = Callable[[str, str], Parser]


def build_parser() -> Parser:
    parser = Parser(
        prog="sealbox",
        description="Send PDFs for signature and keep the signed "
        "originals. Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"sealbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> Parser:
        p: Parser = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        return p

    _request_commands(command)
    _sign_command(command)
    _archive_command(command)
    command("providers", "list the signature services and what each can do")
    p = command("login", "store a provider's credentials in the OS keyring")
    p.add_argument("provider", metavar="ID")
    _webhooks_command(command)
    bulk.add_runs_command(sub)
    _store_command(command)
    return parser


def _store_command(command: AddCommand) -> None:
    p = command("store", "the store: move this desk's into a shared PostgreSQL store")
    ssub = p.add_subparsers(
        dest="store_action", metavar="ACTION", required=True, parser_class=Parser
    )
    m = ssub.add_parser(
        "migrate",
        help="copy this desk's store into the shared store (verified, safe to run again; "
        "this desk's file is not changed)",
    )
    m.add_argument("--to", required=True, metavar="postgresql://USER@HOST/DATABASE")
    m.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _request_commands(command: AddCommand) -> None:
    """send, list, show, cancel, sync, download."""
    _send_command(command)
    _list_command(command)

    p = command("show", "show one request")
    p.add_argument("id", metavar="ID")
    p.add_argument("--refresh", action="store_true", help="ask the provider first")

    p = command("cancel", "cancel a request still in flight")
    p.add_argument("id", metavar="ID")
    p.add_argument("--reason", metavar="TEXT")

    p = command(
        "sync", "finish interrupted sends, refresh in-flight requests, archive finished ones"
    )
    p.add_argument(
        "--resend",
        action="append",
        default=[],
        metavar="ID",
        help="send again a request whose first send is unknown (reconciling), "
        "once you have checked the provider does not have it",
    )

    p = command("queued", "sends kept on this desk while the shared store could not be reached")
    p.add_argument("--discard", metavar="KEY", help="do not send this kept send after all")

    p = command("download", "signed PDF and certificate into the archive")
    p.add_argument("id", metavar="ID")
    p.add_argument(
        "--again",
        action="store_true",
        help="download an archived request again, replacing a bad copy (the "
        "earlier files are kept in the folder's .replaced-<time>/)",
    )


def _send_command(command: AddCommand) -> None:
    p = command("send", "send a PDF for signature")
    p.add_argument("file", type=Path, metavar="FILE.pdf")
    p.add_argument(
        "--spec",
        type=Path,
        metavar="SPEC.json",
        help="the request spec (recipients, fields, anchors)",
    )
    p.add_argument("--provider", metavar="ID", help="signature service (default: settings)")
    p.add_argument("--render-id", metavar="UUID", help="Craftkit render to send")
    p.add_argument(
        "--idempotency-key",
        metavar="K",
        help="a key that makes a retried send return the first one",
    )
    p.add_argument(
        "--ocr",
        action="store_true",
        help="also find anchor texts in scanned pages, by OCR (needs Tesseract)",
    )
    bulk.add_send_options(p)


def _list_command(command: AddCommand) -> None:
    p = command("list", "list requests")
    p.add_argument(
        "--status",
        action="append",
        choices=[s.value for s in Status],
        help="only this status (repeatable)",
    )
    p.add_argument("--provider", metavar="ID")
    p.add_argument("--search", metavar="TEXT", help="names, recipients and emails")
    p.add_argument(
        "--mine",
        action="store_true",
        help="only the requests created at this computer by this user (a shared store)",
    )
    p.add_argument(
        "--limit",
        type=bounded_int(1, MAX_LIMIT),
        default=None,
        metavar="N",
        help=f"at most N requests (1 to {MAX_LIMIT:,})",
    )


def _sign_command(command: AddCommand) -> None:
    p = command("sign", "sign in person on this computer (local provider)")
    p.add_argument("id", metavar="ID")
    p.add_argument(
        "--recipient",
        required=True,
        metavar="N",
        help="recipient number as in the spec (from 0), or their email",
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--typed-signature", metavar="NAME")
    how.add_argument("--signature-image", type=Path, metavar="PNG")
    how.add_argument("--decline", metavar="REASON")
    how.add_argument("--approve", action="store_true", help="approve (Approvers)")
    p.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="N=VALUE",
        help="value of field N (text, checkbox yes/no, option, date); repeatable",
    )


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 100_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days (e.g. 365)")
    return value


def _archive_command(command: AddCommand) -> None:
    p = command(
        "archive",
        "the archive folder: list, search, verify, upgrade, renew, export, reindex, trust",
    )
    asub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    for name, text in (
        ("list", "list archived requests"),
        ("reindex", "rebuild the archive index from the folder"),
    ):
        a = asub.add_parser(name, help=text)
        a.add_argument("--json", action="store_true")
    a = asub.add_parser(
        "search", help=f"find archived documents (best match first, {SEARCH_LIMIT} at a time)"
    )
    a.add_argument("text", metavar="TEXT")
    a.add_argument(
        "--limit",
        type=int,
        default=SEARCH_LIMIT,
        metavar="N",
        help=f"show at most N documents (default {SEARCH_LIMIT})",
    )
    a.add_argument(
        "--offset",
        type=int,
        default=0,
        metavar="N",
        help="skip the first N documents (to see the next ones)",
    )
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("verify", help="re-hash every file and validate every signature")
    a.add_argument("id", nargs="?", metavar="ID")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser(
        "upgrade", help="bring archived seals up to PAdES B-LTA with the timestamp authority"
    )
    a.add_argument("id", nargs="?", metavar="ID")
    a.add_argument("--json", action="store_true")
    a = asub.add_parser(
        "renew", help="a fresh document timestamp on archived PDFs whose proof runs out soon"
    )
    a.add_argument(
        "--window",
        type=_days,
        default=None,
        metavar="DAYS",
        help="renew what expires within DAYS days (default: [timestamp] renew_within_days, 365)",
    )
    a.add_argument("--json", action="store_true")
    a = asub.add_parser("export", help="copy the archive to a folder or a .zip")
    a.add_argument("dest", type=Path, metavar="DEST")
    a.add_argument("--id", action="append", dest="ids", metavar="ID", help="only these")
    a.add_argument("--json", action="store_true")
    _trust_command(asub)


def _trust_command(asub: argparse._SubParsersAction[Parser]) -> None:
    t = asub.add_parser("trust", help="roots trusted when verifying, beyond this installation's")
    tsub = t.add_subparsers(
        dest="trust_action", metavar="ACTION", required=True, parser_class=Parser
    )
    a = tsub.add_parser("add", help="trust a CA certificate file (PEM or DER)")
    a.add_argument("certificate", type=Path, metavar="CA.pem")
    a.add_argument("--json", action="store_true")
    a = tsub.add_parser("list", help="the imported roots: subject, fingerprint, expiry")
    a.add_argument("--json", action="store_true")
    a = tsub.add_parser("remove", help="stop trusting an imported root")
    a.add_argument("fingerprint", metavar="FINGERPRINT-PREFIX")
    a.add_argument("--json", action="store_true")
    a = tsub.add_parser("export-root", help="write this installation's root for colleagues")
    a.add_argument("dest", type=Path, metavar="DEST.pem")
    a.add_argument("--json", action="store_true")


def _webhooks_command(command: AddCommand) -> None:
    p = command("webhooks", "receive provider webhooks")
    wsub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    w = wsub.add_parser("listen", help="serve the webhook endpoints")
    w.add_argument("--host", default="127.0.0.1")
    w.add_argument("--port", type=bounded_int(0, 65535), default=8787, help="0 picks a free port")
    w.add_argument("--json", action="store_true")
