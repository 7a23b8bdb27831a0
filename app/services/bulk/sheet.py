"""Reading the people to send to: a CSV file or an Excel workbook (.xlsx).

CSV files are read as spreadsheets write them: UTF-8 (with or without a byte-order mark) or,
failing that, Windows-1252 (what Excel saves as "CSV" on a western Windows), with ``;`` or ``,``
between cells (or a tab). Workbooks are read with openpyxl in read-only mode, values only: a
cell holding a formula gives the value the spreadsheet last saved for it, and no formula is ever
evaluated. The first row names the columns; empty rows are left out; at most
:data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.userfiles import check_user_file, display_name, read_user_file

#: The most rows one run sends.
MAX_ROWS = 5_000
#: The largest sheet file read (5,000 rows of a few dozen columns are far below it).
MAX_SHEET_BYTES = 50 * 1024 * 1024
#: The most columns read.
MAX_COLUMNS = 200
XLSX_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Sheet:
    """A sheet's columns and rows, every cell as text (an empty cell is ``""``)."""

    #: How messages name it: ``people.csv`` or ``people.xlsx, sheet "Customers"``.
    label: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: The sheet's own row number of each row (the header is row 1; empty rows are left out).
    numbers: tuple[int, ...]

    def column(self, header: str) -> int:
        return self.headers.index(header)


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order (a CSV file has one, named after the file)."""
    if not is_workbook(path):
        return [path.stem]
    book = _open_workbook(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """The rows of ``path`` (a CSV file, or a workbook's ``sheet``, the first one if None).

    Raises :class:`UserError` with one sentence naming the problem and the fix for a file that
    cannot be read, an empty sheet, more than :data:`MAX_ROWS` rows, or columns whose names
    repeat."""
    if is_workbook(path):
        book = _open_workbook(path)
        try:
            names = list(book.sheetnames)
            chosen = sheet if sheet is not None else names[0]
            if chosen not in names:
                raise UserError(
                    f"{display_name(path)} has no sheet named {chosen!r} (its "
                    f"sheets: {', '.join(repr(n) for n in names)}): choose one of "
                    "them."
                )
            label = (
                f"{display_name(path)}, sheet {chosen!r}"
                if len(names) > 1 or sheet
                else display_name(path)
            )
            cells = (
                (_cell_text(v) for v in row) for row in book[chosen].iter_rows(values_only=True)
            )
            return _build(label, cells)
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            if isinstance(exc, UserError):
                raise
            raise _unreadable(path, "an Excel workbook (.xlsx)") from exc
        finally:
            book.close()
    if sheet is not None:
        raise UserError(
            f"{display_name(path)} is a CSV file, which has no sheets: leave the "
            "sheet out, or give an Excel workbook."
        )
    text = decode_csv(
        read_user_file(path, display_name(path), "a sheet (CSV)", MAX_SHEET_BYTES), path
    )
    delimiter = _delimiter(text)
    try:
        return _build(
            display_name(path), csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        )
    except csv.Error as exc:
        raise UserError(
            f"{display_name(path)} is not a CSV file Sealbox can read ({exc}): "
            "save it again as CSV from your spreadsheet."
        ) from exc


def decode_csv(data: bytes, path: Path) -> str:
    """CSV bytes as text: UTF-8 (a byte-order mark is dropped), else Windows-1252."""
    if b"\x00" in data[:4096]:
        raise UserError(
            f"{display_name(path)} is not a text file (UTF-16 or binary): save it "
            'as "CSV UTF-8" from your spreadsheet.'
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{display_name(path)} is neither UTF-8 nor Windows-1252 text: save it "
            'as "CSV UTF-8" from your spreadsheet.'
        ) from exc


def _delimiter(text: str) -> str:
    """``;``, ``,`` or a tab: the one that splits the first lines most evenly."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max((";", ",", "\t"), key=header.count)


def _open_workbook(path: Path) -> Any:
    # openpyxl is imported only to read a workbook (a CSV file needs none of it).
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    info = check_user_file(path, display_name(path), "a sheet (.xlsx)")
    if info.st_size > MAX_SHEET_BYTES:
        raise UserError(
            f"{display_name(path)} is larger than a sheet of {MAX_ROWS:,} rows can "
            "be: check that it is the right file."
        )
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _unreadable(path, "an Excel workbook (.xlsx)") from exc


def _unreadable(path: Path, kind: str) -> UserError:
    return UserError(
        f"{display_name(path)} cannot be read as {kind}: open it in your "
        "spreadsheet and save it again as .xlsx or CSV."
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _build(label: str, lines: Iterable[Iterable[str]]) -> Sheet:
    it: Iterator[Iterable[str]] = iter(lines)
    headers: list[str] | None = None
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    for number, raw in enumerate(it, start=1):
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if headers is None:
            headers = _headers(label, cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise UserError(
                f"{label} has more than {MAX_ROWS:,} rows: a run sends to at most "
                f"{MAX_ROWS:,} people; split the sheet and send each part."
            )
        cells = (cells + [""] * len(headers))[: len(headers)]
        rows.append(tuple(cells))
        numbers.append(number)
    if headers is None:
        raise UserError(
            f"{label} is empty: the first row must name the columns (such as Name "
            "and Email) and each row below it is one person."
        )
    if not rows:
        raise UserError(f"{label} has column names but no rows: add one row per person.")
    return Sheet(label, tuple(headers), tuple(rows), tuple(numbers))


def _headers(label: str, cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_COLUMNS:
        raise UserError(
            f"{label} has {len(cells)} columns, more than the {MAX_COLUMNS} Sealbox "
            "reads: remove the columns that are not needed."
        )
    headers = [c or f"Column {_letters(i)}" for i, c in enumerate(cells)]
    seen: dict[str, int] = {}
    for i, name in enumerate(headers):
        key = name.casefold()
        if key in seen:
            raise UserError(
                f"{label} has two columns named {name!r} (columns "
                f"{_letters(seen[key])} and {_letters(i)}): rename one of them."
            )
        seen[key] = i
    return headers


def _letters(index: int) -> str:
    """A column's letters as spreadsheets show them (0 is A, 26 is AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out
