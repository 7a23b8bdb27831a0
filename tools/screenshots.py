# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Screenshots of every place of the app at 1024×700 and 1600×1000, for a person to look at.

    uv run python tools/screenshots.py [OUT_DIR]          (default: screenshots/)

The real windows run on an X server with Qt's ``xcb`` platform, as on a desktop: without one
(no ``DISPLAY``) the script starts itself again under ``xvfb-run``. Everything happens in a
temporary Sealbox home with a keyring of its own: requests are sent and signed in person through
the ``sealbox`` command (one completed with two signers, two whose names differ only at their
end, one half signed with a message, one declined, one just sent), then the app is opened and
each place is shown and grabbed:

- ``prepare``: the sample lease with two recipients, fields and anchors;
- ``requests``: the list and the details of the half-signed request;
- ``sign-handover`` and ``sign-now``: in-person signing for its next recipient;
- ``archive``: after Verify all, a request selected with its preview;
- ``settings`` and ``settings-craftkit``: General, and a Test connection that could not connect;
- ``settings-in-person``: the In person page with its timestamp authority (a bad address typed);
- ``welcome`` and ``cancel-request``: the first-run welcome and the Cancel request dialog.

Files are named ``<place>-<width>x<height>.png``. The script prints each file it writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((1024, 700), (1600, 1000))
CHILD = "SEALBOX_SCREENSHOTS_CHILD"


def on_an_x_server(out: Path) -> int | None:
    """Start this script again under Xvfb unless it runs on an X server; returns the exit code
    of that run, or None to go on here."""
    if os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM", "xcb") == "xcb":
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        return None
    if os.environ.get(CHILD):
        print("screenshots: no X server came up", file=sys.stderr)
        return 2
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(
            "screenshots: needs an X server: run it on a desktop, or install xvfb (xvfb-run)",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", **{CHILD: "1"})
    command = [
        xvfb,
        "--auto-servernum",
        "--server-args=-screen 0 1920x1200x24",
        sys.executable,
        str(Path(__file__).resolve()),
        str(out),
    ]
    return subprocess.run(command, env=env, check=False).returncode


def use_home(base: Path) -> Path:
    """A fresh Sealbox home with a file keyring of its own, set in the environment."""
    home = base / "home"
    home.mkdir()
    for name in [n for n in os.environ if n.startswith("SEALBOX_") and n != CHILD]:
        del os.environ[name]
    os.environ["SEALBOX_HOME"] = str(home)
    os.environ["SEALBOX_TEST_KEYRING"] = str(base / "keyring.json")
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.filekeyring.FileKeyring"
    (home / "config.toml").write_text(
        'sender_name = "Ada Office"\nsender_email = "ada@harbour-lettings.example"\n',
        encoding="utf-8",
    )
    return home


def sealbox(*args: str) -> dict[str, Any]:
    """Run a ``sealbox`` command in this process; returns its JSON answer."""
    from app.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--json"])
    if code != 0:
        raise SystemExit(f"sealbox {' '.join(args)} failed ({code}): {out.getvalue()}")
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def contract(path: Path, title: str, pages: int = 2) -> Path:
    import pymupdf

    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 80), title if number == 1 else f"{title}, page {number}", fontsize=16)
        page.insert_textbox(
            pymupdf.Rect(72, 110, 523, 300),
            "The parties agree to the terms set out below. " * 6,
            fontsize=11,
        )
    doc.save(path)
    doc.close()
    return path


def person(first: str, last: str, order: int) -> dict[str, Any]:
    return {
        "firstName": first,
        "lastName": last,
        "order": order,
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "designation": "Signer",
    }


def make_requests(base: Path) -> dict[str, str]:
    """The requests the places show; returns their ids by role."""
    ids: dict[str, str] = {}

    def send(role: str, name: str, people: list[dict[str, Any]], message: str = "") -> str:
        spec = {
            "name": name,
            "message": message,
            "recipients": people,
            "fields": [
                {
                    "recipientIndex": i,
                    "type": "signature",
                    "page": 1,
                    "x": 72 + 240 * i,
                    "y": 640,
                    "width": 200,
                    "height": 50,
                }
                for i in range(len(people))
            ]
            + [
                {
                    "recipientIndex": 0,
                    "type": "date",
                    "page": 1,
                    "x": 72,
                    "y": 700,
                    "width": 120,
                    "height": 24,
                }
            ],
        }
        spec_file = base / f"{role}.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        rid = str(
            sealbox("send", str(contract(base / f"{role}.pdf", name)), "--spec", str(spec_file))[
                "id"
            ]
        )
        ids[role] = rid
        return rid

    def sign(rid: str, recipient: int, name: str) -> None:
        sealbox("sign", rid, "--recipient", str(recipient), "--typed-signature", name)

    jane, bob = person("Jane", "Doe", 1), person("Bob", "Roe", 2)
    rid = send("charter", "Charter handover — BK-12345", [jane, bob])
    sign(rid, 0, "Jane Doe")
    sign(rid, 1, "Bob Roe")
    for month in ("01", "02"):
        rid = send(
            f"service-{month}",
            f"Service agreement — ACME Shipping Ltd, Rotterdam harbour cranes 2026-{month}",
            [person("Ann", "Lee", 1)],
        )
        sign(rid, 0, "Ann Lee")
    rid = send(
        "berth",
        "Berth lease 2026",
        [jane, bob],
        "Please sign by Friday: the crane arrives on Monday.",
    )
    sign(rid, 0, "Jane Doe")
    rid = send("crew", "Crew contract — M/V Aurora", [person("Carl", "Berg", 1)])
    sealbox("sign", rid, "--recipient", "0", "--decline", "The wage is not the one we agreed.")
    send("nda", "Supplier NDA — Nordic Steel", [person("Dina", "Vik", 1)])
    return ids


async def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def settle() -> None:
    """Let layouts, renders and repaints finish."""
    await asyncio.sleep(0.4)


async def shoot(out: Path, ids: dict[str, str]) -> list[Path]:
    from PySide6.QtWidgets import QApplication, QWidget

    from app.ui.main import MainWindow

    written: list[Path] = []

    def grab(widget: QWidget, place: str, size: tuple[int, int]) -> None:
        path = out / f"{place}-{size[0]}x{size[1]}.png"
        widget.grab().save(str(path))
        written.append(path)
        print(path)

    window = MainWindow()
    window.show()
    for size in SIZES:
        await one_size(window, size, ids, grab)
    window.close()
    QApplication.processEvents()
    return written


async def one_size(
    window: Any,
    size: tuple[int, int],
    ids: dict[str, str],
    grab: Callable[[Any, str, tuple[int, int]], None],
) -> None:
    """Every place at ``size``."""
    import httpx

    from app.domain.model import RequestSpec
    from app.resources import resource
    from app.ui.welcome import WelcomeDialog

    lease = resource("samples", "sample-lease.pdf")
    window.resize(*size)
    await settle()

    # Prepare: the sample lease with recipients, fields and anchors.
    window.show_place(0)
    window.open_file(lease)
    editor = window.editor
    spec = RequestSpec.from_json(
        {
            "name": "Residential lease — 4B Quay Street",
            "message": "Please sign where marked.",
            "recipients": [person("Tom", "Tenant", 1), person("Lena", "Landlord", 2)],
            "fields": [
                {
                    "recipientIndex": 1,
                    "type": "signature",
                    "page": 1,
                    "x": 72,
                    "y": 360,
                    "width": 200,
                    "height": 50,
                },
                {
                    "recipientIndex": 1,
                    "type": "date",
                    "page": 1,
                    "x": 300,
                    "y": 380,
                    "width": 110,
                    "height": 24,
                },
                {
                    "recipientIndex": 0,
                    "type": "text",
                    "page": 2,
                    "x": 72,
                    "y": 200,
                    "width": 220,
                    "height": 24,
                    "label": "Phone",
                },
            ],
            "anchorTags": [
                {
                    "anchorString": "{{sign_here}}",
                    "type": "signature",
                    "recipientIndex": 0,
                    "width": 180,
                    "height": 48,
                },
                {
                    "anchorString": "{{initials}}",
                    "type": "initials",
                    "recipientIndex": 0,
                    "width": 60,
                    "height": 30,
                },
            ],
        }
    )
    editor.doc.load(spec)
    await until(
        lambda: editor.view.doc_scene.page_item(1).image is not None, "the first page of the lease"
    )
    await settle()
    grab(window, "prepare", size)

    # Send to many, over Prepare: a sheet with a row at fault.
    sheet = Path(window.ctx.paths.data_dir) / "screenshot-people.csv"
    sheet.write_text(
        "Signer 1 name;Signer 1 email;Phone\r\n"
        + "".join(
            f"{name};{email};{phone}\r\n"
            for name, email, phone in (
                ("Tom Tenant", "tom@example.com", "+44 20 7946 0001"),
                ("Ada Byron", "ada@example", "+44 20 7946 0002"),
                ("Noor Haddad", "noor@example.com", "+44 20 7946 0003"),
                ("", "kim@example.com", "+44 20 7946 0004"),
                ("Piet de Vries", "piet@example.com", "+44 20 7946 0005"),
            )
        ),
        encoding="utf-8",
    )
    bulk = window.bulk.open()
    if bulk is not None:
        bulk.resize(min(size[0] - 64, 1100), min(size[1] - 64, 700))
        bulk.open_sheet(sheet)
        await until(lambda: bulk.plan is not None, "the rows checked")
        await settle()
        grab(bulk, "send-to-many", size)
        bulk.reject()
        await settle()

    # Requests: the half-signed one, with its details.
    window.show_place(1)
    window.requests_page.show_request(ids["berth"])
    await settle()
    grab(window, "requests", size)

    # Cancel request, over the Requests place.
    window.requests_page.cancel_selected()
    dialog = window.requests_page.cancel_dialog
    if dialog is not None:
        await settle()
        grab(dialog, "cancel-request", size)
        dialog.reject()

    # Sign now: the handover, then the signing screen for the next recipient.
    view = window.sign_now(ids["berth"])
    signing = view.window()
    signing.resize(*size)
    await until(lambda: view.state == "handover", "the handover screen")
    await settle()
    grab(signing, "sign-handover", size)
    view.start()
    await until(
        lambda: view.page_view.doc_scene.page_item(1).image is not None, "the document to sign"
    )
    await settle()
    grab(signing, "sign-now", size)
    signing.close()
    await settle()

    # Archive: every request verified, one selected with its preview.
    window.show_place(2)
    archive = window.archive_page
    task = archive.verify_all()
    if task is not None:
        await until(task.done, "verification")
    archive.show_request(ids["service-02"])
    await until(
        lambda: archive.preview_stack.currentWidget() is archive.view, "the archive preview"
    )
    await until(lambda: archive.view.doc_scene.page_item(1).image is not None, "the archived page")
    await settle()
    grab(window, "archive", size)

    # Settings: General, and a provider whose server cannot be reached.
    settings = window.open_settings()
    settings.resize(
        max(settings.minimumWidth(), min(size[0] - 100, 900)),
        max(settings.minimumHeight(), min(size[1] - 100, 640)),
    )
    await settle()
    grab(settings, "settings", size)
    settings.show_page("craftkit")
    page = settings.provider_pages["craftkit"]
    page.secrets["api_key"].edit.setText("ck_live_example")

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known")

    window.ctx.transport = httpx.MockTransport(unreachable)
    settings.test_connection("craftkit")
    await until(page.test_button.isEnabled, "Test connection")
    await settle()
    grab(settings, "settings-craftkit", size)
    window.ctx.transport = None
    settings.show_page("local")
    settings.timestamp.url_edit.setText("tsa.example.com/tsr")
    settings.timestamp.check()
    await settle()
    grab(settings, "settings-in-person", size)
    settings.reject()

    # The first-run welcome (as a new user meets it).
    welcome = WelcomeDialog(window.ctx, window.bridge, window.settings, window)
    welcome.open()
    await settle()
    grab(welcome, "welcome", size)
    welcome.reject()
    window.settings.remove("welcome/shown")


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    code = on_an_x_server(out)
    if code is not None:
        return code
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="sealbox-screens-") as temp:
        base = Path(temp)
        use_home(base)
        ids = make_requests(base)

        from PySide6.QtWidgets import QApplication

        from app.ui.bridge import close_loop, install_loop
        from app.ui.main import app_icon, style_sheet

        app = QApplication([sys.argv[0]])
        app.setApplicationName("Sealbox")
        app.setWindowIcon(app_icon())
        app.setStyleSheet(style_sheet())
        loop = install_loop(app)
        try:
            written = loop.run_until_complete(shoot(out, ids))
        finally:
            close_loop(loop)
    print(f"{len(written)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
