"""The rows table of Send to many: each row of the sheet as read, its problems (the cell at
fault painted red, with the problem as its tooltip) and, once sent, what became of it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.bulk.checks import Plan, Problem
from app.services.bulk.run import RowOutcome
from app.services.bulk.sheet import Sheet
from app.ui.style import DANGER, PROBLEM_CELL, PROBLEM_TEXT, SUCCESS, TODO

ModelIndex = QModelIndex | QPersistentModelIndex
#: The first columns and the last two: the sheet's columns come between.
ROW_COLUMN = 0
PROBLEMS_HEADER, RESULT_HEADER = "Problems", "Result"


def outcome_text(outcome: RowOutcome) -> str:
    """What the Result column says of a row: sent (and the request's first characters),
    refused with the reason, queued, not sent."""
    rid = f" · {outcome.request_id[:8]}" if outcome.request_id else ""
    if outcome.status == "refused":
        return f"Refused: {outcome.reason or 'the service gave no reason'}"
    if outcome.status in ("queued", "reconciling"):
        why = f": {outcome.reason}" if outcome.reason else ""
        return f"Queued{rid}{why}"
    if outcome.status == "waiting":
        return "Not sent yet"
    if outcome.status == "cancelled":
        return f"Cancelled{rid}" if outcome.request_id else "Not sent: the run was cancelled"
    return f"{outcome.status.capitalize()}{rid}"


def outcome_colour(outcome: RowOutcome) -> str | None:
    if outcome.status == "refused":
        return DANGER
    if outcome.status in ("queued", "reconciling", "waiting"):
        return TODO
    if outcome.status == "cancelled":
        return None
    return SUCCESS


class RowsModel(QAbstractTableModel):
    """Row | the sheet's columns | Problems | Result."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sheet: Sheet | None = None
        self.problems: dict[int, list[Problem]] = {}
        self.outcomes: dict[int, RowOutcome] = {}
        self._place: dict[int, int] = {}

    # --- what it shows ------------------------------------------------------------------------

    def set_sheet(self, sheet: Sheet | None) -> None:
        self.beginResetModel()
        self.sheet = sheet
        self.problems = {}
        self.outcomes = {}
        self._place = {n: i for i, n in enumerate(sheet.numbers)} if sheet else {}
        self.endResetModel()

    def set_plan(self, plan: Plan | None) -> None:
        self.beginResetModel()
        self.problems = {}
        if plan is not None:
            for row in plan.rows:
                if row.problems:
                    self.problems[row.number] = list(row.problems)
        self.endResetModel()

    def set_outcome(self, outcome: RowOutcome) -> None:
        self.outcomes[outcome.number] = outcome
        row = self._place.get(outcome.number)
        if row is not None:
            column = self.columnCount() - 1
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def row_of(self, number: int) -> int:
        return self._place.get(number, -1)

    def column_of(self, header: str) -> int:
        assert self.sheet is not None
        return self.sheet.headers.index(header) + 1

    def faulty_cells(self) -> list[tuple[int, int]]:
        """``(row, column)`` of every cell painted as at fault."""
        return [
            (self.row_of(n), self._problem_column(p)) for n, ps in self.problems.items() for p in ps
        ]

    def _problem_column(self, problem: Problem) -> int:
        if self.sheet is not None and problem.column in self.sheet.headers:
            return self.column_of(problem.column)
        return ROW_COLUMN

    # --- the model ----------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.sheet is None else len(self.sheet.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.sheet is None else len(self.sheet.headers) + 3

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if self.sheet is None:
            return None
        names = ["Row", *self.sheet.headers, PROBLEMS_HEADER, RESULT_HEADER]
        return names[section] if 0 <= section < len(names) else None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.sheet is None:
            return None
        row, column = index.row(), index.column()
        number = self.sheet.numbers[row]
        width = len(self.sheet.headers)
        problems = self.problems.get(number, [])
        if column == width + 2:
            return self._result(number, role)
        if column == width + 1:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return "; ".join(p.message for p in problems)
            if role == Qt.ItemDataRole.ForegroundRole and problems:
                return QColor(DANGER)
            return None
        here = [p for p in problems if self._problem_column(p) == column]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(number) if column == ROW_COLUMN else self.sheet.rows[row][column - 1]
        if role == Qt.ItemDataRole.ToolTipRole:
            if here:
                return "\n".join(p.message for p in here)
            return None if column == ROW_COLUMN else self.sheet.rows[row][column - 1] or None
        if role == Qt.ItemDataRole.BackgroundRole and here:
            return QColor(PROBLEM_CELL)
        if role == Qt.ItemDataRole.ForegroundRole and here:
            return QColor(PROBLEM_TEXT)
        return None

    def _result(self, number: int, role: int) -> Any:
        outcome = self.outcomes.get(number)
        if outcome is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return outcome_text(outcome)
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = outcome_colour(outcome)
            return QColor(colour) if colour else None
        return None
