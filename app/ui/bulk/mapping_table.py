"""The mapping table of Send to many: one row per column of the sheet, with an example value
and a combo box saying what the column fills (a recipient's name or email, a text field, or
nothing). It starts from the guessed mapping and gives back a
:class:`~app.services.bulk.mapping.ColumnMap`."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from app.domain.model import RequestSpec
from app.services.bulk.mapping import FILLABLE, ColumnMap, RoleColumns, role_name
from app.services.bulk.sheet import Sheet

#: What a column can fill: ``"role:<index>:<part>"`` or ``"field:<index>"``.
Target = str
NOT_USED = "Not used"
_PARTS = (
    ("name", "name"),
    ("firstName", "first name"),
    ("lastName", "last name"),
    ("email", "email"),
)


def targets(spec: RequestSpec) -> list[tuple[Target, str]]:
    """Everything a column can fill, with the words the combo box shows."""
    out: list[tuple[Target, str]] = []
    for i in range(len(spec.recipients)):
        who = role_name(spec, i)
        out += [(f"role:{i}:{part}", f"{who}'s {words}") for part, words in _PARTS]
    for index, f in enumerate(spec.fields):
        if f.type in FILLABLE:
            label = f.label or f"{f.type.value} field on page {f.page}"
            out.append((f"field:{index}", f"Field {label!r}"))
    return out


def choices_of(spec: RequestSpec, mapping: ColumnMap) -> dict[str, Target]:
    """Column name to what it fills, as ``mapping`` says."""
    out: dict[str, Target] = {}
    for i, role in enumerate(mapping.recipients):
        for part, column in role.columns().items():
            out[column] = f"role:{i}:{part}"
    for index, column in mapping.fields.items():
        out[column] = f"field:{index}"
    return out


def column_map(spec: RequestSpec, chosen: dict[str, Target], sheet: str | None) -> ColumnMap:
    """The mapping the choices make (each target from one column: the table sees to that)."""
    roles: list[dict[str, str]] = [{} for _ in spec.recipients]
    fields: dict[int, str] = {}
    for column, target in chosen.items():
        kind, index, *part = target.split(":")
        if kind == "role":
            roles[int(index)][part[0]] = column
        else:
            fields[int(index)] = column
    return ColumnMap(tuple(RoleColumns(**r) for r in roles), fields, sheet)


class MappingTable(QTableWidget):
    """Column | Example | Fills (a combo box). Choosing what another column already fills
    takes it from that column (each target comes from one column)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("bulkMapping")
        self.setHorizontalHeaderLabels(["Column", "Example", "Fills"])
        self.verticalHeader().setVisible(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(1, 110)
        self.combos: dict[str, QComboBox] = {}
        self._updating = False

    def show_sheet(self, spec: RequestSpec, sheet: Sheet, mapping: ColumnMap) -> None:
        chosen = choices_of(spec, mapping)
        options = targets(spec)
        self.combos = {}
        self.setRowCount(len(sheet.headers))
        for row, header in enumerate(sheet.headers):
            self.setItem(row, 0, QTableWidgetItem(header))
            sample = next((r[row] for r in sheet.rows if r[row]), "")
            example = QTableWidgetItem(sample)
            example.setToolTip(sample)
            self.setItem(row, 1, example)
            combo = QComboBox()
            combo.setObjectName(f"fills:{header}")
            combo.addItem(NOT_USED, None)
            for target, words in options:
                combo.addItem(words, target)
            combo.setCurrentIndex(max(0, combo.findData(chosen.get(header))))
            combo.setToolTip(f"What the column {header!r} fills in each copy")
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
            combo.currentIndexChanged.connect(lambda _i, column=header: self._chosen(column))
            self.setCellWidget(row, 2, combo)
            self.combos[header] = combo
        self.resizeColumnToContents(0)
        self.setColumnWidth(1, min(self.sizeHintForColumn(1), 140))

    def _chosen(self, column: str) -> None:
        if self._updating:
            return
        target = self.combos[column].currentData()
        self._updating = True
        try:
            for other, combo in self.combos.items():
                if other != column and target is not None and combo.currentData() == target:
                    combo.setCurrentIndex(0)  # the target now comes from ``column``
        finally:
            self._updating = False
        self.changed.emit()

    def chosen(self) -> dict[str, Target]:
        out: dict[str, Target] = {}
        for column, combo in self.combos.items():
            data = combo.currentData()
            if isinstance(data, str):
                out[column] = data
        return out
