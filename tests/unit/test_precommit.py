"""The pre-commit configuration is valid and runs the checks the README's test command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def test_the_configuration_is_valid() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_it_runs_ruff_ruff_format_mypy_and_the_layer_contract() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    entries = {hook["id"]: hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}
    assert entries["ruff"].endswith("ruff check --force-exclude")
    assert entries["ruff-format"].endswith("ruff format --force-exclude")
    assert entries["mypy"].endswith("mypy")
    assert entries["import-contract"].endswith("lint-imports")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for check in ("ruff check .", "ruff format --check .", "mypy", "lint-imports"):
        assert check in readme
