"""A run's rows as CSV, safe to open in a spreadsheet (:mod:`app.csvsafe`)."""

from __future__ import annotations

from collections.abc import Sequence

from app.csvsafe import csv_text
from app.services.bulk.run import RowOutcome

HEADER = ("row", "request id", "status", "name", "email", "signing links", "reason")


def run_csv(outcomes: Sequence[RowOutcome]) -> str:
    return csv_text(
        HEADER,
        [
            (
                o.number,
                o.request_id or "",
                o.status,
                o.name,
                o.email,
                " ".join(o.links),
                o.reason or "",
            )
            for o in outcomes
        ],
    )
