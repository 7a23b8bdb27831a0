"""A program :mod:`tests.bench.startup` starts and times: the app, or the floor (an empty
``QMainWindow``), with a watch on the first paint of a main window.

``python -m tests.bench.startup_probe app [FILE.pdf]`` runs ``sealbox``;
``python -m tests.bench.startup_probe floor IMPORTS`` imports the Qt modules and classes given
(those the app had imported at its first paint: PySide6 makes a class, or the ``Qt`` namespace
with its hundred-odd enums, when it is first imported) and shows an empty main window. Either
prints ``PAINTED <time.monotonic()> <Qt imports> <heavy libraries>`` when a ``QMainWindow``
first paints. Both pay the same for the watch (a ``QMainWindow`` subclass whose ``paintEvent``
notes the time).
"""

from __future__ import annotations

import sys
import time

from PySide6 import QtWidgets
from PySide6.QtGui import QPaintEvent

#: Libraries the first screen must not need (the app loads them after its first paint).
HEAVY = (
    "pymupdf",
    "httpx",
    "sqlite_utils",
    "qasync",
    "asyncio",
    "keyring",
    "pyhanko",
    "cryptography",
)


_painted: list[float] = []


class _WatchedMainWindow(QtWidgets.QMainWindow):
    """``QMainWindow`` as the app and the floor get it: says when one first paints."""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not _painted:
            _painted.append(time.monotonic())
            heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))
            print(f"PAINTED {_painted[0]} {qt_imports()} {','.join(heavy) or '-'}", flush=True)


def qt_imports() -> str:
    """``module:Class+Class,module:...``: the Qt modules loaded and the classes made so far."""
    found = []
    for name, module in sorted(sys.modules.items()):
        if name.startswith("PySide6.Qt") and module is not None:
            classes = sorted(
                n for n, v in vars(module).items() if not n.startswith("_") and isinstance(v, type)
            )
            found.append(f"{name}:{'+'.join(classes)}")
    return ",".join(found)


def import_like(imports: str) -> None:
    """Import what :func:`qt_imports` listed."""
    import importlib

    for entry in imports.split(","):
        name, _, classes = entry.partition(":")
        module = importlib.import_module(name)
        for cls in filter(None, classes.split("+")):
            getattr(module, cls)


def main() -> int:
    QtWidgets.QMainWindow = _WatchedMainWindow  # type: ignore[misc]
    kind = sys.argv[1]
    if kind == "app":
        from app.cli import main as sealbox

        return sealbox(sys.argv[2:])
    import_like(sys.argv[2])
    app = QtWidgets.QApplication(sys.argv[:1])
    window = _WatchedMainWindow()
    window.setWindowTitle("Sealbox")
    window.resize(1320, 860)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
