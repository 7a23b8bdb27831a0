"""Small widgets and layouts the places and dialogs share: a layout that wraps its buttons onto
more rows, the search box that searches once typing pauses, and the rows of a simple dialog."""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

#: How long a search box waits for typing to pause before it searches.
SEARCH_DELAY_MS = 250


class FlowLayout(QLayout):
    """Lays its widgets out in a row and wraps them onto more rows when the width runs out
    (the action buttons of a narrow details pane)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return size

    def _visible(self) -> list[QLayoutItem]:
        visible = []
        for item in self._items:
            widget = item.widget()
            if widget is None or not widget.isHidden():
                visible.append(item)
        return visible

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._visible():
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            line = max(line, hint.height())
        return y + line - rect.y()


def paint_bare_cell(
    delegate: QStyledItemDelegate,
    painter: QPainter,
    option: QStyleOptionViewItem,
    index: QModelIndex | QPersistentModelIndex,
) -> tuple[QStyleOptionViewItem, str]:
    """Paint a cell's background, selection and focus frame as for any cell, without its text
    (a delegate draws that its own way); returns the cell's option and its text."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    text = opt.text
    opt.text = ""
    widget = opt.widget
    style = widget.style() if widget is not None else None
    if style is not None:
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
    return opt, text


class SearchBox(QLineEdit):
    """A search entry with a clear button. :attr:`searched` is emitted once typing pauses for
    ``delay_ms`` (:attr:`timer` runs meanwhile) and at once on Return; whoever searches stops
    the timer (a search made for another reason makes the pending one needless)."""

    searched = Signal()

    def __init__(
        self, placeholder: str, parent: QWidget | None = None, *, delay_ms: int = SEARCH_DELAY_MS
    ) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.searched.emit)
        self.textChanged.connect(lambda _text: self.timer.start())
        self.returnPressed.connect(self.searched.emit)

    def clear_quietly(self) -> None:
        """Empty the box without starting a search."""
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)


def button_row(*buttons: QWidget, lead: QWidget | None = None) -> QHBoxLayout:
    """The buttons at the foot of a dialog, on the right; ``lead`` (a message) takes the room on
    their left, or nothing does."""
    row = QHBoxLayout()
    if lead is None:
        row.addStretch(1)
    else:
        row.addWidget(lead, 1)
    for button in buttons:
        row.addWidget(button)
    return row


def column(owner: QWidget, *parts: QWidget | QLayout) -> QVBoxLayout:
    """``owner``'s layout: ``parts`` (widgets and layouts) one under the other."""
    layout = QVBoxLayout(owner)
    for part in parts:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return layout
