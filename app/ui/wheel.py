"""The mouse wheel changes a combo box or spin box only when the user is working in it.

Scrolling a panel with the wheel must scroll the panel, not change the value of whatever combo
box or spin box happens to pass under the pointer (an anchor's type silently becoming Checkbox).
One filter on the application does it for every window: such editors take focus only by click
or Tab (``Qt.StrongFocus``, never by the wheel), and a wheel event over one that does not have
the focus goes to the scroll area around it instead (or nowhere, when there is none).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

_EDITORS = (QComboBox, QAbstractSpinBox)


def _editor_of(widget: QWidget) -> QWidget | None:
    """The combo box or spin box ``widget`` is (or is part of, like a spin box's line edit)."""
    current: QWidget | None = widget
    for _ in range(3):
        if current is None:
            return None
        if isinstance(current, _EDITORS):
            return current
        current = current.parentWidget()
    return None


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class WheelGuard(QObject):
    """The application's wheel filter (see the module's docstring)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, _EDITORS):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        editor = _editor_of(watched)
        if editor is None:
            return False
        if editor.focusPolicy() == Qt.FocusPolicy.WheelFocus:
            editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # made before the guard was
        focus = QApplication.focusWidget()
        if focus is not None and (focus is editor or editor.isAncestorOf(focus)):
            return False  # the user is working in it: the wheel steps its value
        assert isinstance(event, QWheelEvent)
        area = _scroll_area_of(editor)
        if area is not None:
            target = area.viewport()
            position = QPointF(target.mapFromGlobal(event.globalPosition().toPoint()))
            forwarded = QWheelEvent(
                position,
                event.globalPosition(),
                event.pixelDelta(),
                event.angleDelta(),
                event.buttons(),
                event.modifiers(),
                event.phase(),
                event.inverted(),
                event.source(),
                event.pointingDevice(),
            )
            QApplication.sendEvent(target, forwarded)
        return True  # the editor never sees it


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install the filter on ``app`` once (again is harmless) and return it."""
    existing = app.findChild(WheelGuard)
    if existing is not None:
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    return guard
