"""Bugs in the running app: logged, written to a crash report, and told to the user.

Qt calls Python for events, painting and item geometry; an exception raised there returns to Qt,
which hands it to ``sys.excepthook``. Python's default hook only prints it, so an edit could fail
without a word. :func:`install_crash_hook` replaces the hook: the traceback goes to the log and to
a crash report in the data folder, and the window says (once per burst of errors, never from
inside a paint) that something went wrong, without the exception's text.

One kind is not a bug: a service that cannot be reached now (:class:`UnavailableError`, such as
the shared store while its server is down) reaching Qt from a place that did not expect it. Its
sentence goes to the log (no traceback) and to the window's status bar, and nothing else.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from app import __version__
from app.domain.clock import now
from app.errors import UnavailableError
from app.logs import redact

log = logging.getLogger(__name__)

Hook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def install_crash_hook(window: QWidget, data_dir: Path) -> Hook:
    """Report bugs raised inside Qt callbacks; returns the previous hook."""
    previous = sys.excepthook
    pending: list[Path | None] = []

    def show() -> None:
        if not pending:
            return
        report = pending[-1]
        pending.clear()
        where = f"\n\nThe details are in {report}." if report is not None else ""
        QMessageBox.warning(
            window,
            "Something went wrong",
            "Sealbox ran into a problem it did not expect, and the last thing you did was not "
            "done. Please report this problem." + where,
        )

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        if isinstance(exc, UnavailableError):
            log.warning("not done: %s", exc)
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(exc.for_app(), 15000)
            return
        log.error("bug inside the window", exc_info=(kind, exc, tb))
        first = not pending
        pending.append(write_crash_report(data_dir, kind, exc, tb))
        if first:
            QTimer.singleShot(0, show)

    sys.excepthook = hook
    return previous


def write_crash_report(
    data_dir: Path, kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> Path | None:
    """The traceback, with secrets masked, in ``DATA/crash-reports/``; None if it cannot be
    written (the log has it)."""
    text = redact("".join(traceback.format_exception(kind, exc, tb)))
    try:
        folder = data_dir / "crash-reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{now():%Y%m%d-%H%M%S-%f}.txt"
        path.write_text(f"sealbox {__version__} (window)\n{text}", encoding="utf-8")
        return path
    except OSError as error:
        log.error("could not write a crash report: %s", error)
        return None
