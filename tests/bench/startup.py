"""Start to visible main window, against the floor: ``uv run python -m tests.bench.startup``.

Two programs are started in turns, RUNS times each, from a fresh process every time (see
:mod:`tests.bench.startup_probe`): the app (``sealbox``, with a temporary ``SEALBOX_HOME``,
and once more with a PDF to open) and the floor, an empty ``QMainWindow`` with the same Qt
imports: the modules, and the classes and namespaces (PySide6 makes each when it is first
imported; the ``Qt`` namespace with its enums costs some 20 ms) the app had at its first
paint. Each is timed from just before it is started to the first paint of its main window;
the medians and their ratio are printed, with the time the app took to be ready (its log says
so) and the libraries it had loaded at its first paint (none of the heavy ones, by design).

Under X (``xcb``): run inside a desktop session, or let the benchmark start a virtual one with
``xvfb-run`` when there is no ``DISPLAY``. The machine's load makes single figures noisy: the
figures are medians, and the programs alternate so a change of load hits both.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.core import Summary, ms, section
from tests.support import pdfgen

ROOT = Path(__file__).resolve().parents[2]
RUNS = 11
TIMEOUT = 60.0


@dataclass
class Run:
    painted: float  # seconds from start to the main window's first paint
    ready: float | None  # seconds from start to the app's "the app started" log line
    qt_imports: str
    heavy: list[str]


def start(kind: str, args: list[str], env: dict[str, str], log: Path | None) -> Run:
    if log is not None:
        log.unlink(missing_ok=True)
    began = time.monotonic()
    # A session of its own: the app's helpers (the page renderers' fork server) end with it,
    # rather than finishing their start-up while the next program is timed.
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.startup_probe", kind, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PAINTED"):
            raise RuntimeError(f"{kind} did not paint a main window: {line!r}")
        _, at, qt, heavy = line.split()
        ready = None
        while log is not None and time.monotonic() - began < TIMEOUT:
            # Waiting on another process: its log says when the app is ready.
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            if "the app started" in text and (len(args) == 0 or "opened " in text):
                ready = time.monotonic() - began
                break
            time.sleep(0.005)
        return Run(float(at) - began, ready, qt, [] if heavy == "-" else heavy.split(","))
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main() -> int:
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run") and "--no-x" not in sys.argv:
        # Restart under a virtual X server: the figure is for a real window system (xcb).
        return subprocess.call(
            [
                "xvfb-run",
                "-a",
                "-s",
                "-screen 0 1600x1000x24",
                sys.executable,
                "-m",
                "tests.bench.startup",
            ],
            cwd=ROOT,
        )
    platform = "xcb" if os.environ.get("DISPLAY") else "offscreen"
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-startup-") as name:
        tmp = Path(name)
        home = tmp / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEALBOX_")}
        env.update(
            {
                "SEALBOX_HOME": str(home),
                "QT_QPA_PLATFORM": platform,
                "PYTHONPATH": str(ROOT),
                "SEALBOX_TEST_KEYRING": str(tmp / "keyring.json"),
                "PYTHON_KEYRING_BACKEND": "tests.support.filekeyring.FileKeyring",
                "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
            }
        )
        log = home / "data" / "logs" / "sealbox.log"
        pdf = pdfgen.write(tmp / "contract.pdf", pdfgen.text_pdf(["One", "Two", "Three"]))
        print(
            f"Start-up benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"Qt platform {platform}; {RUNS} runs of each, in turns"
        )
        # Unmeasured: the bytecode cache, the page cache, the fork server's first start.
        first = start("app", [], env, log)
        start("floor", [first.qt_imports], env, None)
        # The bare floor: the same Qt modules, none of their classes made beforehand.
        bare_imports = ",".join(
            entry.partition(":")[0] + ":" for entry in first.qt_imports.split(",")
        )
        apps: list[Run] = []
        floors: list[Run] = []
        bares: list[Run] = []
        opens: list[Run] = []
        for _ in range(RUNS):
            apps.append(start("app", [], env, log))
            floors.append(start("floor", [first.qt_imports], env, None))
            opens.append(start("app", [str(pdf)], env, log))
            bares.append(start("floor", [bare_imports], env, None))
        section("start to the main window's first paint")
        app = statistics.median(r.painted for r in apps)
        floor = statistics.median(r.painted for r in floors)
        with_pdf = statistics.median(r.painted for r in opens)
        bare = statistics.median(r.painted for r in bares)
        ready = statistics.median(r.ready for r in apps if r.ready is not None)
        opened = statistics.median(r.ready for r in opens if r.ready is not None)
        print(f"  app          median {ms(app)} [{', '.join(ms(r.painted) for r in apps)}]")
        print(f"  app + PDF    median {ms(with_pdf)} [{', '.join(ms(r.painted) for r in opens)}]")
        modules = [entry.partition(":")[0] for entry in first.qt_imports.split(",")]
        classes = sum(len(entry.split("+")) for entry in first.qt_imports.split(","))
        print(
            f"  floor        median {ms(floor)} [{', '.join(ms(r.painted) for r in floors)}] "
            f"(an empty QMainWindow importing what the app had at its first paint: "
            f"{', '.join(modules)}, {classes} classes and namespaces)"
        )
        print(
            f"  bare floor   median {ms(bare)} [{', '.join(ms(r.painted) for r in bares)}] "
            f"(the same modules only: no class made beforehand)"
        )
        print(
            f"  ratio {app / floor:.2f} (with a PDF to open {with_pdf / floor:.2f}); against "
            f"the bare floor {app / bare:.2f}"
        )
        print(
            f"  the app is ready (places, store, loop, sync) after median {ms(ready)}; with the "
            f"PDF open after {ms(opened)}"
        )
        heavy = sorted({lib for r in apps + opens for lib in r.heavy})
        print(f"  heavy libraries loaded at the first paint: {', '.join(heavy) or 'none'}")
        summary.add(f"app start to first paint, median of {RUNS} ({platform})", ms(app))
        summary.add("floor: empty QMainWindow, same Qt imports", ms(floor))
        summary.add("bare floor: the same Qt modules only", ms(bare))
        summary.add("ratio app / floor (app / bare floor)", f"{app / floor:.2f} ({app / bare:.2f})")
        summary.add("ratio app with a PDF / floor", f"{with_pdf / floor:.2f}")
        summary.add("app ready (median), with the PDF open", f"{ms(ready)}, {ms(opened)}")
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
