"""The command line of "send to many": ``sealbox send FILE.pdf --rows PEOPLE.csv`` and
``sealbox runs``. Called from :mod:`app.cli`, whose output helpers it uses; like it, it imports
what a command needs when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import UserError, ValidationError

if TYPE_CHECKING:
    from app.context import Context
    from app.domain.model import RequestSpec
    from app.services.bulk.checks import RowPlan
    from app.services.bulk.mapping import ColumnMap
    from app.services.bulk.run import RowOutcome, RunRefused
    from app.services.bulk.sheet import Sheet
    from app.store.runs import Run

MAX_MAP_BYTES = 1024 * 1024


def add_send_options(p: argparse.ArgumentParser) -> None:
    """``send``'s options for a template and for sending to many."""
    p.add_argument("--template", metavar="NAME", help="a saved template instead of --spec")
    p.add_argument(
        "--rows",
        type=Path,
        metavar="PEOPLE.csv|.xlsx",
        help="send one copy to every row of this sheet (CSV or Excel)",
    )
    p.add_argument(
        "--map",
        type=Path,
        metavar="MAP.json",
        help="which column fills what (default: guessed from the column names)",
    )
    p.add_argument("--sheet", metavar="NAME", help="the workbook's sheet (default: the first)")
    p.add_argument(
        "--skip-faulty",
        action="store_true",
        help="send the rows without problems and skip the rows at fault",
    )


def add_runs_command(sub: Any) -> None:
    p = sub.add_parser(
        "runs",
        help="runs of send to many: list, show, export, cancel",
        description="runs of send to many: list, show, export, cancel",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    rsub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    a = rsub.add_parser("list", help="every run, newest first")
    a.add_argument("--json", action="store_true")
    a = rsub.add_parser("show", help="a run's rows and what became of each")
    a.add_argument("id", metavar="RUN")
    a.add_argument("--json", action="store_true")
    a = rsub.add_parser("export", help="a run's rows as CSV (row, request id, status, links)")
    a.add_argument("id", metavar="RUN")
    a.add_argument("dest", type=Path, metavar="DEST.csv")
    a.add_argument("--json", action="store_true")
    a = rsub.add_parser("cancel", help="cancel every request of a run still in flight")
    a.add_argument("id", metavar="RUN")
    a.add_argument("--reason", metavar="TEXT")
    a.add_argument("--json", action="store_true")


def request_spec(ctx: Context, args: argparse.Namespace) -> RequestSpec:
    """The spec ``send`` was given: ``--spec`` or ``--template`` (one of them)."""
    from app.cli.spec import load_spec

    if args.template is not None and args.spec is not None:
        raise UserError("Give either --spec or --template, not both.")
    if args.template is None:
        if args.spec is None:
            raise UserError("Give the request with --spec SPEC.json or --template NAME.")
        return load_spec(args.spec)
    from app.pdf.document import check_pdf
    from app.store.templates import apply_to

    template = ctx.store.templates.get(args.template)
    return apply_to(template, check_pdf(args.file).pages)


def _load_map(path: Path) -> Any:
    from app.userfiles import display_name, read_user_file

    label = f"The map file {display_name(path)}"
    content = read_user_file(path, label, "a column map (JSON)", MAX_MAP_BYTES)
    try:
        return json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{label} is not valid UTF-8 JSON ({exc}): fix it and try again.") from exc


def cmd_send_rows(ctx: Context, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.cli.output import emit, say
    from app.cli.runner import closing
    from app.cli.runner import run_to_end as _run
    from app.services.bulk import checks, run

    spec = request_spec(ctx, args)
    if args.ocr:
        spec = replace(spec, ocr_anchors=True)
    if args.idempotency_key:
        raise UserError(
            "--idempotency-key names one send: a run gives each row its own key; leave it out."
        )
    table, column_map = _sheet_and_map(args, spec)
    plan = checks.plan_run(
        ctx, args.file, spec, table, column_map, provider_id=args.provider, render_id=args.render_id
    )
    try:
        run_id = run.start(ctx, args.file, plan, skip_faulty=args.skip_faulty)
    except run.RunRefused as exc:
        return _refused(args, exc)

    def line(item: RowOutcome) -> None:
        if not args.json:
            say(row_line(item))
            sys.stdout.flush()

    for row in plan.faulty:  # skipped rows are said first
        line(_skipped(row))
    outcomes = _run(closing(ctx, run.proceed(ctx, run_id, on_row=line)))
    counts = run.summary(outcomes)

    def text() -> None:
        say(summary_line(run_id, counts))

    emit(args, {"run": run_id, "summary": counts, "rows": [o.to_json() for o in outcomes]}, text)
    if counts["refused"]:
        return 1
    return 3 if counts["queued"] else 0


def _sheet_and_map(args: argparse.Namespace, spec: RequestSpec) -> tuple[Sheet, ColumnMap]:
    """The sheet ``--rows`` names and its column map: ``--map``'s, or guessed from it."""
    from app.services.bulk import mapping, sheet

    column_map = None
    sheet_name = args.sheet
    if args.map is not None:
        column_map, problems = mapping.from_json(_load_map(args.map), spec)
        if problems or column_map is None:
            raise ValidationError(problems, f"The map file {args.map.name}")
        sheet_name = sheet_name or column_map.sheet
    table = sheet.read_sheet(args.rows, sheet_name)
    if column_map is None:
        column_map = mapping.guess(spec, table)
    return table, column_map


def _refused(args: argparse.Namespace, exc: RunRefused) -> int:
    """A run refused before anything was sent: its problems said, exit code 1."""
    from app.cli.output import say

    if args.json:
        print(
            json.dumps(
                {"run": None, "sent": False, "problems": [p.to_json() for p in exc.problems]},
                ensure_ascii=False,
            )
        )
    say(f"sealbox: {exc.message}", err=True)
    if not args.json and len(exc.problems) > 1:
        for problem in exc.problems:
            say(f"  {problem.sentence()}", err=True)
    return 1


def _skipped(row: RowPlan) -> RowOutcome:
    """A faulty row as the line that says it is skipped."""
    from app.services.bulk.run import RowOutcome

    return RowOutcome(
        row.number,
        "refused",
        None,
        row.recipients[row.who].name,
        row.recipients[row.who].email,
        "; ".join(p.message for p in row.problems),
    )


def row_line(item: RowOutcome) -> str:
    rid = item.request_id[:8] if item.request_id else "—"
    out = f"row {item.number:<5} {item.status:<10} {rid:<8}  {item.name} <{item.email}>"
    if item.reason:
        out += f": {item.reason}"
    return out


def summary_line(run_id: str, counts: dict[str, int]) -> str:
    out = (
        f"Run {run_id[:8]}: {counts['sent']} sent, {counts['refused']} refused, "
        f"{counts['queued']} queued of {counts['rows']} rows."
    )
    if counts["queued"]:
        out += " `sealbox sync` sends the queued ones."
    return out


def cmd_runs(ctx: Context, args: argparse.Namespace) -> int:
    from app.services.bulk import run

    store = run.runs(ctx)
    action = args.action or "list"
    if action == "list":
        return _runs_list(ctx, args, store.all())
    current = store.get(args.id)
    if action == "show":
        return _run_show(ctx, args, current)
    if action == "export":
        return _run_export(ctx, args, current)
    if action == "cancel":
        return _run_cancel(ctx, args, current)
    raise AssertionError(action)


def _runs_list(ctx: Context, args: argparse.Namespace, items: list[Run]) -> int:
    from app.cli.output import emit, say
    from app.cli.output import when as _when
    from app.services.bulk import run

    payload: list[dict[str, Any]] = [
        {
            "id": r.id,
            "name": r.name,
            "provider": r.provider,
            "state": r.state,
            "sheet": r.sheet,
            "createdAt": r.created_at.isoformat(),
            "summary": run.summary(run.outcomes(ctx, r.id)),
        }
        for r in items
    ]

    def listed() -> None:
        if not items:
            say("No runs.")
        for r, p in zip(items, payload, strict=True):
            c = p["summary"]
            say(
                f"{r.id[:8]}  {r.state:<9} {_when(r.created_at)}  {r.provider:<12} "
                f"{c['sent']}/{c['rows']} sent  {r.name} ({r.sheet})"
            )

    emit(args, {"runs": payload}, listed)
    return 0


def _run_show(ctx: Context, args: argparse.Namespace, current: Run) -> int:
    from app.cli.output import emit, say
    from app.services.bulk import run

    outcomes = run.outcomes(ctx, current.id)
    counts = run.summary(outcomes)

    def shown() -> None:
        say(f"{current.name}  ({current.sheet}, {current.provider}, {current.state})")
        for item in outcomes:
            say(row_line(item))
        say(summary_line(current.id, counts))

    emit(
        args,
        {
            "run": current.id,
            "state": current.state,
            "summary": counts,
            "rows": [o.to_json() for o in outcomes],
        },
        shown,
    )
    return 0


def _run_export(ctx: Context, args: argparse.Namespace, current: Run) -> int:
    from app.cli.output import emit, say
    from app.fsutil import atomic_write_bytes
    from app.services.bulk import run
    from app.services.bulk.export import run_csv

    data = run_csv(run.outcomes(ctx, current.id)).encode("utf-8-sig")
    atomic_write_bytes(args.dest, data)
    emit(
        args,
        {"run": current.id, "exported": str(args.dest)},
        lambda: say(f"Exported the rows of run {current.id[:8]} to {args.dest}"),
    )
    return 0


def _run_cancel(ctx: Context, args: argparse.Namespace, current: Run) -> int:
    from app.cli.output import emit, say
    from app.cli.runner import closing
    from app.cli.runner import run_to_end as _run
    from app.services.bulk import run

    result = _run(closing(ctx, run.cancel_run(ctx, current.id, args.reason)))

    def cancelled() -> None:
        say(
            f"Cancelled run {current.id[:8]}: {len(result.cancelled)} request(s) "
            f"cancelled, {result.rows} row(s) not yet sent will not be."
        )
        for rid, why in result.left.items():
            say(f"  {rid[:8]} left in flight: {why}")
        for rid, why in result.errors.items():
            say(f"  {rid[:8]}: {why}", err=True)

    emit(
        args,
        {
            "run": current.id,
            "cancelled": result.cancelled,
            "notSent": result.rows,
            "left": result.left,
            "errors": result.errors,
        },
        cancelled,
    )
    return 1 if result.errors else 0
