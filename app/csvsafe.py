"""CSV files that a spreadsheet opens as data, never as formulas (OWASP "CSV injection").

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed may
be run as a formula by Excel, LibreOffice or Google Sheets (``=HYPERLINK(…)``, ``+cmd|…``,
``@SUM(…)``, ``-2+3``). Every such cell is written with a single quote in front, which the
spreadsheet shows as text; everything else is written as it is. Every CSV Sealbox writes goes
through :func:`csv_text` (Qt-free: the app and the command line share it).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: What a cell must not begin with (OWASP's list, and a line feed).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    """``value`` as CSV cell text that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, lineterminator: str = "\r\n"
) -> str:
    """A whole CSV document (header first), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
