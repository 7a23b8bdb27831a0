"""What the editor's panels share: the recipient swatch, the warning icon, a tab's margins,
following the editor document for as long as a widget lives, and an input with its message."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QStyle, QVBoxLayout, QWidget

from app.domain.editing import Change, EditorDocument
from app.ui.style import ERROR_STYLE, recipient_color

#: Margins of a panel that is a page of its own (a tab), not a box's content.
PAGE_MARGINS = (6, 6, 6, 6)


def swatch_icon(index: int, size: int = 20) -> QIcon:
    """A rounded square in the recipient's colour with their place in the signing order."""
    ratio = 2.0
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(recipient_color(index))
    rect = QRectF(1, 1, size - 2, size - 2)
    painter.drawRoundedRect(rect, 4, 4)
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(int(size * 0.55))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(index + 1))
    painter.end()
    return QIcon(pixmap)


def warning_icon() -> QIcon:
    style = QApplication.style()
    return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


def follow_document(
    owner: QObject, doc: EditorDocument, listener: Callable[[Change], None]
) -> None:
    """Call ``listener`` on every document change for as long as ``owner`` lives."""
    unsubscribe = doc.subscribe(listener)
    owner.destroyed.connect(lambda *_: unsubscribe())


class ErrorInput(QWidget):
    """A line edit with a small red message right under it."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
