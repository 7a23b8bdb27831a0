"""The pre-send check: "Ready to send", or the problems to fix first, each one a link to what it
is about (the editor jumps to the recipient, field, anchor or setting it names). Warnings (what
the provider will not deliver, which does not stop the send) are listed with a warning icon."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QIcon,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.services.checks import Problem, Target
from app.ui.editor.common import PAGE_MARGINS, warning_icon
from app.ui.style import SUCCESS

ModelIndex = QModelIndex | QPersistentModelIndex

#: The :class:`Target` of a problem.
TARGET_ROLE = Qt.ItemDataRole.UserRole + 1
#: "error" (stops the send) or "warning" (sent anyway, the user is told).
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 2


def error_icon() -> QIcon:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)


class PreflightModel(QAbstractListModel):
    """A list of :class:`Problem`: the message, an icon for its severity (an error or a
    warning) and (TARGET_ROLE) the target."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []
        self._icon: QIcon | None = None
        self._warning_icon: QIcon | None = None

    def set_problems(self, problems: Sequence[Problem]) -> None:
        new = list(problems)
        if new == self._problems:
            return
        self.beginResetModel()
        self._problems = new
        self.endResetModel()

    def problems(self) -> list[Problem]:
        return list(self._problems)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._problems):
            return None
        problem = self._problems[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return problem.message
        if role == Qt.ItemDataRole.DecorationRole:
            if problem.is_warning:
                if self._warning_icon is None:
                    self._warning_icon = warning_icon()
                return self._warning_icon
            if self._icon is None:
                self._icon = error_icon()
            return self._icon
        if role == SEVERITY_ROLE:
            return problem.severity
        if role == TARGET_ROLE:
            return problem.target
        return None


class _WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their message needs at the list's current width (QListView alone elides
    long messages after two lines)."""

    PADDING = 6

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = self._view.viewport().width() - 2 * self._view.spacing()
        icon = opt.decorationSize.width() + 3 * self.PADDING if not opt.icon.isNull() else 0
        text_width = max(60, width - icon - 2 * self.PADDING)
        text = opt.fontMetrics.boundingRect(
            QRect(0, 0, text_width, 100_000), int(Qt.TextFlag.TextWordWrap), opt.text
        )
        height = max(text.height(), opt.decorationSize.height()) + 2 * self.PADDING
        return QSize(width, height)


def ready_icon(size: int = 20) -> QPixmap:
    """A green disc with a white tick."""
    ratio = 2.0
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(SUCCESS))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    tick = QPainterPath(QPointF(size * 0.28, size * 0.52))
    tick.lineTo(size * 0.44, size * 0.68)
    tick.lineTo(size * 0.73, size * 0.35)
    pen = QPen(QColor("white"), size * 0.12)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(tick)
    painter.end()
    return pixmap


class PreflightPanel(QWidget):
    """What stands between the request and Send; clicking a problem asks to go to it."""

    #: The user clicked (or pressed Enter on) a problem: go to its :class:`Target`.
    problemActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = PreflightModel(self)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignVCenter)
        header.addWidget(self.summary, 1)

        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.setCursor(Qt.CursorShape.PointingHandCursor)
        self.list.setItemDelegate(_WrappingDelegate(self.list))
        self.hint = QLabel("Click a problem to go to it.")
        self.hint.setStyleSheet("color: palette(placeholder-text);")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        self._stretch = QWidget()
        layout.addWidget(self._stretch, 1)

        self.list.clicked.connect(self._activate)
        self.list.installEventFilter(self)
        self._show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter on a problem goes to it, like a click (the view's own "activated" also fires on
        # double-clicks, which would go there twice).
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._activate(self.list.currentIndex())
            return True
        return super().eventFilter(watched, event)

    def set_problems(self, problems: Sequence[Problem]) -> None:
        self.model.set_problems(problems)
        self._show()

    def problems(self) -> list[Problem]:
        return self.model.problems()

    def _activate(self, index: QModelIndex) -> None:
        target = self.model.data(index, TARGET_ROLE)
        if isinstance(target, Target):
            self.problemActivated.emit(target)

    def _show(self) -> None:
        problems = self.model.problems()
        count = sum(1 for p in problems if not p.is_warning)
        warnings = len(problems) - count
        them = "them" if warnings != 1 else "it"
        note = (
            f"<br>{warnings} warning{'s' if warnings != 1 else ''}: the request can be sent, "
            f"but read {them} first."
            if warnings
            else ""
        )
        if count:
            self.icon.setPixmap(error_icon().pixmap(20, 20))
            self.summary.setText(
                f"<b>{count} problem{'s' if count != 1 else ''} to fix before sending</b>{note}"
            )
            self.summary.setStyleSheet("")
        else:
            self.icon.setPixmap(ready_icon(20))
            self.summary.setText(f"<b>Ready to send</b>{note}")
            self.summary.setStyleSheet(f"color: {SUCCESS};" if not warnings else "")
        shown = bool(problems)
        self.list.setVisible(shown)
        self.hint.setVisible(shown)
        self._stretch.setVisible(not shown)
