"""Build the one-folder bundle: ``uv run python packaging/build.py``.

Writes ``dist/Sealbox/`` (the ``sealbox`` executable and everything it needs) and, on Linux,
copies the desktop file, the AppStream metainfo and the icons beside it under ``share/`` so the
folder can be installed as it is (see the README). Prints the bundle's size. Exits non-zero with
PyInstaller's message when the build fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "io.sealbox.Sealbox"


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path = ROOT / "dist", work: Path = ROOT / "build") -> Path:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(ROOT / "packaging" / "sealbox.spec"),
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    bundle = dist / "Sealbox"
    if sys.platform.startswith("linux"):
        share = bundle / "share"
        (share / "applications").mkdir(parents=True, exist_ok=True)
        (share / "metainfo").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "packaging" / f"{APP_ID}.desktop", share / "applications")
        shutil.copy2(ROOT / "packaging" / f"{APP_ID}.metainfo.xml", share / "metainfo")
        for png in (ROOT / "resources" / "icons").glob("sealbox-*.png"):
            size = png.stem.split("-")[1]
            target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(png, target / f"{APP_ID}.png")
        scalable = share / "icons" / "hicolor" / "scalable" / "apps"
        scalable.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "resources" / "icons" / "sealbox.svg", scalable / f"{APP_ID}.svg")
    return bundle


if __name__ == "__main__":
    try:
        made = build()
    except subprocess.CalledProcessError as exc:
        print(
            f"The build failed (PyInstaller exit {exc.returncode}); see its messages above.",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    print(f"{made.relative_to(ROOT)}: {folder_size(made) / 1e6:.0f} MB")
