"""The About dialog: version, where Sealbox keeps things, and the licences of what it ships."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.licences import Licence, dependency_licences
from app.resources import resource


class AboutDialog(QDialog):
    def __init__(
        self, parent: QWidget | None = None, licences: list[Licence] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Sealbox")
        self.resize(620, 560)
        layout = QVBoxLayout(self)
        header = QLabel(
            f"<img src='{resource('icons', 'sealbox-64.png')}' align='left' "
            "style='margin-right: 12px'>"
            f"<h2>Sealbox {__version__}</h2>"
            "<p>Send PDFs for signature and keep the signed originals.<br>"
            "Sealbox is free software under the MIT licence.</p>"
        )
        header.setTextFormat(Qt.TextFormat.RichText)
        header.setWordWrap(True)
        layout.addWidget(header)
        font_note = QLabel("Typed signatures use Dancing Script (SIL Open Font License 1.1).")
        font_note.setWordWrap(True)
        layout.addWidget(font_note)
        layout.addWidget(QLabel("<b>Open-source components</b>"))
        self.licences = licences if licences is not None else dependency_licences()
        table = QTableWidget(len(self.licences), 3)
        table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, item in enumerate(self.licences):
            for column, text in enumerate((item.name, item.version, item.licence)):
                cell = QTableWidgetItem(text)
                if item.homepage:
                    cell.setToolTip(item.homepage)
                table.setItem(row, column, cell)
        header_view = table.horizontalHeader()
        header_view.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header_view.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table = table
        layout.addWidget(table, 1)
        if not self.licences:
            layout.addWidget(QLabel("The components' details are not available in this build."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
