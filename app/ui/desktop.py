"""Handing a folder to the desktop: Show in folder, and what happens where that cannot be done.

:func:`open_folder` is the one call to the desktop (tests replace it). Where no file manager can
open the folder (a minimal desktop, a kiosk, a remote session without one), Qt's call fails and
nothing would happen: :func:`show_in_file_manager` says so instead, shows the folder's path and
offers to copy it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.ui.widgets import button_row, column


def open_folder(path: Path) -> bool:
    """Show ``path`` in the system's file manager; False when none could open it."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class NoFileManagerDialog(QDialog):
    """No file manager could show the folder: its path, to copy."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Show in folder")
        self.path = path
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text_label = text = QLabel(
            "No file manager could open this folder on this computer. This is where the files are:"
        )
        text.setWordWrap(True)
        self.path_edit = QLineEdit(str(path))
        self.path_edit.setReadOnly(True)
        self.path_edit.setCursorPosition(0)
        self.path_edit.setMinimumWidth(420)
        self.copy_button = QPushButton("Copy path")
        self.copy_button.clicked.connect(self.copy_path)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        column(self, text, self.path_edit, button_row(self.copy_button, self.close_button))

    def copy_path(self) -> None:
        QGuiApplication.clipboard().setText(str(self.path))
        self.copy_button.setText("Copied")


def show_in_file_manager(parent: QWidget, path: Path) -> NoFileManagerDialog | None:
    """Open ``path`` in the file manager; where none can, a dialog (returned, already open)
    says so and offers to copy the path."""
    if open_folder(path):
        return None
    dialog = NoFileManagerDialog(path, parent)
    dialog.open()
    return dialog
