"""Where Sealbox's own files are: the handwriting font, icons, the sample contract, style sheets.

From a source checkout they are in ``<repo>/resources``; in a PyInstaller bundle, in the
bundle's data folder (``sys._MEIPASS/resources``). Nothing else in the code knows the difference.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def resource(*parts: str) -> Path:
    """A file under the resources folder: ``resource("fonts", "DancingScript-Regular.otf")``."""
    return resources_dir().joinpath(*parts)


def frozen() -> bool:
    """Whether this is a bundled build (PyInstaller) rather than a source checkout."""
    return bool(getattr(sys, "frozen", False))
