"""A program :mod:`tests.bench.startup` starts and times: the app, or the floor (an empty
``QMainWindow``), with a watch on the first paint of a main window.

``python -m tests.bench.startup_probe app [FILE.pdf]`` runs ``sealbox``;
``python -m tests.bench.startup_probe floor MODULE...`` imports the Qt modules given (those the
app had imported at its first paint) and shows an empty main window. Either prints
``PAINTED <time.monotonic()> <Qt modules> <heavy modules>`` when a ``QMainWindow`` first
paints. Both pay the same for the watch (a Python event filter on the application).
"""

from __future__ import annotations

import sys
import time

from PySide6 import QtWidgets
from PySide6.QtCore import QEvent, QObject

#: Libraries the first screen must not need (the app loads them after its first paint).
HEAVY = ("pymupdf", "httpx", "sqlite_utils", "qasync", "asyncio", "keyring", "pyhanko",
         "cryptography")


class _Watch(QObject):
    def __init__(self, app: QtWidgets.QApplication) -> None:
        super().__init__()
        self._app = app

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and isinstance(watched, QtWidgets.QMainWindow):
            at = time.monotonic()
            self._app.removeEventFilter(self)
            qt = sorted(m for m in sys.modules if m.startswith("PySide6.Qt"))
            heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
            print(f"PAINTED {at} {','.join(qt)} {','.join(heavy) or '-'}", flush=True)
        return False


class _WatchedApplication(QtWidgets.QApplication):
    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self._watch = _Watch(self)
        self.installEventFilter(self._watch)


def main() -> int:
    QtWidgets.QApplication = _WatchedApplication  # type: ignore[misc,assignment]
    kind = sys.argv[1]
    if kind == "app":
        from app.cli import main as sealbox

        return sealbox(sys.argv[2:])
    import importlib

    for module in sys.argv[2:]:
        importlib.import_module(module)
    app = _WatchedApplication(sys.argv[:1])
    window = QtWidgets.QMainWindow()
    window.setWindowTitle("Sealbox")
    window.resize(1320, 860)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
