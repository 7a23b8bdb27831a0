"""Every CSV Sealbox writes is safe to open in a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.archive.export import export_selection
from app.context import Context
from app.csvsafe import FORMULA_STARTS, csv_text, safe_cell
from tests.unit.test_archive_export import (  # noqa: F401  (fixtures)
    ArchiveTemplate,
    archive_template,
    archived,
    ctx,
    files_of,
)


def test_formula_cells_are_quoted_and_others_kept() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert safe_cell("@SUM(1+1)") == "'@SUM(1+1)"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell("\rx") == "'\rx"
    for plain in ("Crane lease", "2026-06-05T10:00:00.000Z", "a=b", "", "0193c2c3"):
        assert safe_cell(plain) == plain
    assert safe_cell(None) == ""
    assert safe_cell(3) == "3"


@given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=4), max_size=5))
def test_no_cell_read_back_starts_a_formula(rows: list[list[str]]) -> None:
    text = csv_text(["a", "b", "c", "d"], rows)
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


def test_the_apps_export_of_a_selection_quotes_formulas(
    ctx: Context,  # noqa: F811
    archived: ArchiveTemplate,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = files_of(ctx, archived.crane.id)["request"].parent
    manifest = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    manifest["name"] = '=HYPERLINK("http://evil.example","Open")'
    manifest["provider"] = "@SUM(A1)"
    (folder / "request.json").write_text(json.dumps(manifest), encoding="utf-8")
    dest = export_selection(ctx, [archived.crane.id], tmp_path / "sel.zip")
    with zipfile.ZipFile(dest) as zf:
        rows = list(csv.reader(io.StringIO(zf.read("index.csv").decode("utf-8"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","Open")'
    assert rows[1][2] == "'@SUM(A1)"
