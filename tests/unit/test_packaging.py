"""The desktop integration files and the licence list the About dialog shows."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET
from pathlib import Path

from app import __version__
from app.licences import dependency_licences
from app.resources import resource, resources_dir

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.sealbox.Sealbox"


def test_the_desktop_file_offers_sealbox_for_pdfs() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "packaging" / f"{APP_ID}.desktop", encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Name"] == "Sealbox"
    assert "application/pdf" in main["MimeType"].split(";")
    assert main["Exec"] == "sealbox %f" and main["Icon"] == APP_ID
    action = entry["Desktop Action send-for-signature"]
    assert action["Name"] == "Send for signature with Sealbox"
    assert "send-for-signature" in main["Actions"].split(";")


def test_the_appstream_metainfo_names_the_same_app() -> None:
    root = ET.parse(ROOT / "packaging" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"  # type: ignore[union-attr]
    assert root.findtext("project_license") == "MIT"
    releases = [r.get("version") for r in root.iter("release")]
    assert __version__ in releases
    assert "application/pdf" in [m.text for m in root.iter("mediatype")]


def test_the_resources_the_bundle_carries_exist() -> None:
    assert resources_dir() == ROOT / "resources"
    for parts in (
        ("fonts", "DancingScript-Regular.otf"),
        ("fonts", "DancingScript-LICENSE.txt"),
        ("icons", "sealbox.svg"),
        ("samples", "sample-lease.pdf"),
        ("styles", "sealbox.qss"),
    ):
        assert resource(*parts).is_file(), parts
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert resource("icons", f"sealbox-{size}.png").is_file()


def test_the_licence_list_covers_the_runtime_dependencies() -> None:
    names = {item.name.lower().replace("_", "-") for item in dependency_licences()}
    for needed in (
        "pyside6-essentials",
        "qasync",
        "httpx",
        "pymupdf",
        "pyhanko",
        "python-pkcs11",  # through pyhanko[pkcs11]: an extra's requirements count too
        "cryptography",
        "keyring",
        "sqlite-utils",
        "platformdirs",
        "sniffio",
    ):
        assert needed in names, needed
    assert not {"pytest", "mypy", "ruff", "hypothesis", "pyinstaller"} & names  # dev tools only
    for item in dependency_licences():
        assert item.licence and item.version
