"""The entry point of ``sealbox`` (:func:`main`): a command, or the desktop app.

A closed stdout (``sealbox list | head -1``) ends the command quietly with exit 0.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import __version__
from app.cli import bulk
from app.cli.archive import cmd_archive
from app.cli.output import say
from app.cli.parser import COMMANDS, EXIT_USAGE, build_parser, invalid_text
from app.cli.problems import bug, file_problem, storage_problem
from app.cli.providers import cmd_login, cmd_providers, cmd_webhooks
from app.cli.queued import cmd_queued
from app.cli.requests import cmd_cancel, cmd_download, cmd_list, cmd_send, cmd_show, cmd_sync
from app.cli.sign import cmd_sign
from app.cli.store import cmd_store
from app.errors import SealboxError

if TYPE_CHECKING:
    from app.context import Context

log = logging.getLogger("sealbox.cli")

HANDLERS: dict[str, Callable[[Any, argparse.Namespace], int]] = {
    "runs": bulk.cmd_runs,
    "send": cmd_send,
    "list": cmd_list,
    "show": cmd_show,
    "cancel": cmd_cancel,
    "sync": cmd_sync,
    "download": cmd_download,
    "sign": cmd_sign,
    "archive": cmd_archive,
    "providers": cmd_providers,
    "login": cmd_login,
    "webhooks": cmd_webhooks,
    "store": cmd_store,
    "queued": cmd_queued,
}


def _stdout_closed() -> int:
    """The reader of stdout went away (``sealbox list | head -1``): a normal end. What is left
    to print goes nowhere (the way the Python documentation gives for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


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
    invalid = invalid_text(args)
    if invalid:
        say(f"sealbox {args.command}: {invalid}.", err=True)
        return EXIT_USAGE

    return _run_command(args)


def _run_command(args: argparse.Namespace) -> int:
    """Run the parsed command; what it raises becomes one line on stderr and an exit code."""
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
        return _unhandled(args.command, ctx, exc, file_problem(exc))
    except Exception as exc:  # noqa: BLE001 (a bug: _unhandled logs it and writes a report)
        return _unhandled(args.command, ctx, exc, None)
    finally:
        if ctx is not None:
            ctx.close()


def _unhandled(command: str, ctx: Context | None, exc: Exception, problem: str | None) -> int:
    """An exception no command handled (called while it is being handled): a full disk, a file
    the user named that cannot be used (``problem``), or else a bug."""
    stopped = storage_problem(ctx, exc)
    if stopped is not None:  # not a bug: the disk is full
        log.warning("%s stopped: %s", command, stopped.message, exc_info=True)
        say(f"sealbox: {stopped.message}", err=True)
        return stopped.exit_code
    if problem is None:
        log.exception("bug in %s", command)
        return bug(ctx, exc)
    log.warning("%s refused: %s", command, problem)
    say(f"sealbox: {problem}", err=True)
    return 1


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
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        say(
            "sealbox: there is no display to open the app on: run it in a desktop session, or "
            "use the `sealbox` commands (see `sealbox --help`).",
            err=True,
        )
        return 1
    from app.ui.main import run_app

    return run_app(path)
