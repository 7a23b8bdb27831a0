"""Qt stays in app/ui: no other module may import PySide6 or qasync."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
QT = ("PySide6", "qasync", "shiboken6")


def qt_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in QT]
    return found


def test_no_qt_outside_ui() -> None:
    offenders = {
        str(path.relative_to(APP.parent)): names
        for path in APP.rglob("*.py")
        if "ui" not in path.relative_to(APP).parts[:1]
        for names in [qt_imports(path)]
        if names
    }
    assert offenders == {}


def test_the_checker_sees_an_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6.QtCore import QObject\n")
    assert qt_imports(bad) == ["PySide6.QtCore"]


def test_core_runs_without_qt() -> None:
    """Import every non-UI module in a process where PySide6 and qasync cannot be imported."""
    modules = sorted(
        ".".join(path.relative_to(APP.parent).with_suffix("").parts)
        for path in APP.rglob("*.py")
        if path.relative_to(APP).parts[0] != "ui"
    )
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'qasync', 'shiboken6'):\n"
        "            raise ImportError('Qt is not allowed here: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m.removesuffix('.__init__'))\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=APP.parent, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
