"""The Qt binding itself: a release that leaks references to None or True would abort the app.

PySide6 6.12.0 dropped a reference to ``None`` on every call returning nothing and to ``True`` on
every signal emission; Python 3.11 aborts ("none_dealloc") when the count reaches zero, which
scrolling a long document did within a minute. The pin in pyproject.toml keeps it out; this
test fails if a release with the same fault comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPainter
from pytestqt.qtbot import QtBot

CALLS = 500


class _Emitter(QObject):
    fired = Signal(bool)


def test_calls_returning_nothing_keep_the_count_of_none(qtbot: QtBot) -> None:
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(CALLS):
            painter.save()
            painter.restore()
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert abs(after - before) < CALLS // 10


def test_signal_emission_keeps_the_count_of_true(qtbot: QtBot) -> None:
    emitter = _Emitter()
    seen: list[bool] = []
    emitter.fired.connect(lambda value: seen.append(value is True))
    before = sys.getrefcount(True)
    for _ in range(CALLS):
        emitter.fired.emit(True)
    seen.clear()
    after = sys.getrefcount(True)
    assert abs(after - before) < CALLS // 10
