"""Render the app icon's PNG sizes from its SVG and write the sample contract.

Run after changing ``resources/icons/sealbox.svg`` or the sample's text:
``uv run python packaging/make_resources.py``. The outputs are committed, so a build needs
nothing but PyInstaller.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_icons() -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "sealbox.svg"))
    out = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = ROOT / "resources" / "icons" / f"sealbox-{size}.png"
        image.save(str(path), "PNG")
        out.append(path)
    return out


def write_sample() -> Path:
    """A two-page lease with ``{{sign_here}}`` and ``{{initials}}`` anchors, to try the app."""
    import pymupdf

    doc = pymupdf.open()
    lines = [
        ("Residential lease agreement", 20),
        ("", 11),
        ("This agreement is made between Harbour Lettings Ltd (the landlord) and the", 11),
        ("tenant named below, for the flat at 4B Quay Street, for twelve months.", 11),
        ("", 11),
        ("1. Rent is due on the first day of each month.", 11),
        ("2. The deposit is held in a protected scheme and returned within 10 days.", 11),
        ("3. Either party may end the agreement with two months' notice.", 11),
    ]
    page = doc.new_page(width=595, height=842)
    y = 90.0
    for text, size in lines:
        if text:
            page.insert_text((72, y), text, fontsize=size, fontname="helv")
        y += size + 10
    page.insert_text((72, 640), "Tenant initials: {{initials}}", fontsize=11, fontname="helv")
    page.insert_text((72, 700), "Tenant signature:", fontsize=11, fontname="helv")
    page.insert_text((72, 730), "{{sign_here}}", fontsize=11, fontname="helv")
    page.insert_text((330, 700), "Landlord signature:", fontsize=11, fontname="helv")
    second = doc.new_page(width=595, height=842)
    second.insert_text((72, 90), "Schedule: inventory of the flat", fontsize=16, fontname="helv")
    second.insert_text(
        (72, 130),
        "Kitchen, living room, bedroom, bathroom as inspected.",
        fontsize=11,
        fontname="helv",
    )
    second.insert_text((72, 700), "Tenant initials: {{initials}}", fontsize=11, fontname="helv")
    doc.set_metadata({"title": "Sample lease agreement", "author": "Sealbox"})
    path = ROOT / "resources" / "samples" / "sample-lease.pdf"
    doc.save(path, garbage=4, deflate=True)
    doc.close()
    return path


if __name__ == "__main__":
    for made in [*render_icons(), write_sample()]:
        print(made.relative_to(ROOT))
