"""An exception raised inside a Qt virtual override (paint, boundingRect, an event handler)
fails the test that caused it.

PySide6 hands such an exception to ``sys.excepthook`` and carries on; pytest-qt replaces the
hook during each test and fails the test with what it caught. That must stay so: the project's
configuration must not turn the capture off, and nothing the app sets up (the main window and
what it builds) may put another hook in its place. A pytester run of small tests with the
project's own fixtures shows each such exception failing its test.
"""

from __future__ import annotations

import sys

import pytest
from pytestqt.qtbot import QtBot

from app.ui.bridge import AsyncBridge
from app.ui.main import MainWindow
from tests.conftest import ROOT

BROKEN_TESTS = """
from PySide6.QtCore import QRectF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QWidget

from app.ui.main import MainWindow


class BrokenPaint(QWidget):
    painted = False

    def paintEvent(self, event):
        BrokenPaint.painted = True
        raise ValueError("paint override broke")


class BrokenItem(QGraphicsItem):
    asked = False

    def boundingRect(self):
        BrokenItem.asked = True
        raise KeyError("boundingRect override broke")

    def paint(self, painter, option, widget=None):
        pass


class BrokenClick(QWidget):
    def mousePressEvent(self, event):
        raise RuntimeError("mousePressEvent override broke")


def test_paint(qtbot):
    widget = BrokenPaint()
    qtbot.addWidget(widget)
    widget.resize(100, 100)
    widget.show()
    qtbot.waitUntil(lambda: BrokenPaint.painted)


def test_bounding_rect(qtbot):
    scene = QGraphicsScene()
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.show()
    scene.addItem(BrokenItem())
    qtbot.waitUntil(lambda: BrokenItem.asked)


def test_click_in_the_main_window(qtbot, bridge):
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    child = BrokenClick(window)
    child.resize(50, 50)
    window.show()
    qtbot.waitExposed(window)
    child.show()
    QTest.mouseClick(child, Qt.MouseButton.LeftButton)
    window.close()


def test_a_widget_that_paints_well(qtbot):
    painted = []

    class Fine(QWidget):
        def paintEvent(self, event):
            painted.append(True)

    widget = Fine()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: bool(painted))
"""

CONFTEST = """
from tests.conftest import *  # noqa: F403  (the project's fixtures: home, keyring)
from tests.gui.conftest import *  # noqa: F403  (qloop, bridge, the GC guard)
"""


def test_the_project_keeps_pytest_qt_exception_capture_on(pytestconfig: pytest.Config) -> None:
    assert not pytestconfig.getini("qt_no_exception_capture")


def test_the_main_window_leaves_the_exception_hook_alone(
    qtbot: QtBot, home: object, bridge: AsyncBridge
) -> None:
    hook = sys.excepthook
    window = MainWindow(bridge=bridge)
    qtbot.addWidget(window)
    window.show()
    window.offer_welcome()
    qtbot.waitExposed(window)
    assert sys.excepthook is hook
    window.close()


def test_an_exception_in_a_qt_override_fails_its_test(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert(ROOT)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_broken=BROKEN_TESTS)
    # The project's own pytest settings (warnings are errors), from its pyproject.
    pytester.makeini("""
        [pytest]
        filterwarnings = error
        """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-q", "--rootdir", str(pytester.path)
    )
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines_random(
        [
            "*ValueError: paint override broke*",
            "*KeyError: 'boundingRect override broke'*",
            "*RuntimeError*mousePressEvent override broke*",
        ]
    )
    # "FAILED test_broken.py::test_paint - ValueError: …": the test's name is in the node id, the
    # second word (the message after it may hold "::" too, as in "QWidget::mousePressEvent").
    failed = {
        line.split()[1].split("::", 1)[1] for line in result.outlines if line.startswith("FAILED")
    }
    assert failed == {"test_paint", "test_bounding_rect", "test_click_in_the_main_window"}
