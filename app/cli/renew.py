"""``sealbox archive renew [--window DAYS] [--json]``: renew the proof of archived PDFs."""

from __future__ import annotations

import argparse

from app.cli.output import emit, say
from app.context import Context


def archive_renew(ctx: Context, args: argparse.Namespace) -> int:
    """A fresh document timestamp on every archived PDF whose last one expires within the
    window: one line per file, then the counts. Exit codes as ``archive upgrade``: 1 when a file
    cannot be renewed, 3 when a service could not be reached (those files are left as they
    were), else 0."""
    from app.cli.runner import closing, run_to_end
    from app.services.renew import renew_archive

    result = run_to_end(closing(ctx, renew_archive(ctx, args.window)))
    counts = {o: result.count(o) for o in ("upgraded", "unreachable", "failed", "busy")}

    def text() -> None:
        root = ctx.paths.archive_dir
        for f in result.files:
            where = f.path.relative_to(root) if f.path.is_relative_to(root) else f.path
            if f.outcome == "upgraded":
                line = f"renewed   {where}: proof until {f.before} -> {f.after}"
            else:
                word = {"unreachable": "not now", "failed": "FAILED", "busy": "busy"}.get(
                    f.outcome, f.outcome
                )
                line = f"{word:<9} {where}: proof still until {f.before}"
            say(line + (f" ({f.reason})" if f.reason else ""))
        if not result.files:
            say("Nothing is due for renewal.")
        say(
            f"{counts['upgraded']} renewed, {counts['unreachable']} waiting for a service that "
            f"could not be reached, {counts['failed']} that cannot be renewed"
            + (f", {counts['busy']} busy elsewhere" if counts["busy"] else "")
            + "."
        )

    emit(
        args,
        {
            "files": [f.to_json() for f in result.files],
            "renewed": counts["upgraded"],
            "unreachable": counts["unreachable"],
            "failed": counts["failed"],
            "busy": counts["busy"],
        },
        text,
    )
    if counts["failed"]:
        return 1
    if counts["unreachable"] or counts["busy"]:
        return 3
    return 0
