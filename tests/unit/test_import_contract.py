"""The layers hold: Qt stays in app/ui, and no module imports a layer above its own.

The contract is import-linter's, in ``pyproject.toml`` (``[tool.importlinter]``), and
``lint-imports`` runs in the test command. These tests run it on the tree, and on a copy of the
tree with one wrong-way import added, to show that each kind of wrong import breaks it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
QT = ("PySide6", "qasync", "shiboken6")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


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


# --- the import-linter contract ------------------------------------------------------------------


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the tree at ``root`` (its ``app`` package and ``pyproject.toml``)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def top_level_modules() -> set[str]:
    return {f"app.{p.stem}" for p in APP.glob("*.py") if p.stem != "__init__"} | {
        f"app.{p.name}" for p in APP.iterdir() if (p / "__init__.py").is_file()
    }


def test_the_tree_keeps_the_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_every_module_but_ui_is_kept_from_qt() -> None:
    """The Qt contract names its modules one by one (import-linter cannot say "all but one"):
    a module added under app/ must be added there too."""
    sources = set(contracts()["qt-only-in-ui"]["source_modules"])  # type: ignore[call-overload]
    assert sources == top_level_modules() - {"app.ui"}


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tree's ``app`` and ``pyproject.toml``, kept pristine: each test copies it
    again before changing it."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(APP, root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root)
    return root


#: One wrong import of each kind: (module changed, line added, what the report must name).
WRONG = {
    "the built-in provider calls a service": (
        "app/providers/local/provider.py",
        "import app.services.send\n",
        "app.providers.local.provider -> app.services.send",
    ),
    "the domain does I/O": (
        "app/domain/model.py",
        "from app.fsutil import atomic_write_bytes  # noqa\n",
        "app.domain.model -> app.fsutil",
    ),
    "the PDF layer reads the store": (
        "app/pdf/document.py",
        "def f():\n    from app.store import db\n",
        "app.pdf.document -> app.store.db",
    ),
    "a service opens a window": (
        "app/services/in_person.py",
        "def f():\n    import app.ui.main\n",
        "app.services.in_person -> app.ui.main",
    ),
    "Qt outside app/ui": (
        "app/archive/folder.py",
        "def f():\n    from PySide6 import QtCore\n",
        "app.archive.folder -> PySide6",
    ),
    "two PDF modules import each other": (
        "app/pdf/reading.py",
        "def f():\n    import app.pdf.document\n",
        ".reading -> .document",
    ),
}


@pytest.mark.parametrize("case", list(WRONG))
def test_a_wrong_way_import_breaks_the_contract(case: str, tree_copy: Path, tmp_path: Path) -> None:
    module, line, named = WRONG[case]
    root = tmp_path / "tree"
    shutil.copytree(tree_copy, root)
    with (root / module).open("a", encoding="utf-8") as f:
        f.write("\n\n" + line)
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and named in result.stdout, result.stdout


def test_a_new_top_level_module_must_take_its_place(tree_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    shutil.copytree(tree_copy, root)
    (root / "app" / "helpers.py").write_text('"""A module nobody placed."""\n')
    result = lint_imports(root)
    assert result.returncode == 1
    assert "app.helpers" in result.stdout, result.stdout


def test_the_test_command_runs_the_contract() -> None:
    """The README's test command checks the contract, and CI runs exactly that command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(
        line for line in readme.splitlines() if line.startswith("uv run --frozen ruff check .")
    )
    assert "uv run --frozen lint-imports" in command.split(" && ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == command
