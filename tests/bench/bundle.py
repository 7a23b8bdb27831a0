"""The bundle's size and start-up time: ``uv run python -m tests.bench.bundle``.

Builds ``packaging/sealbox.spec`` into a temporary folder, then prints the build time, the
bundle's size (and its largest parts), the time of the first ``sealbox --version`` after the
build and the median of ten more, and the time from starting the app with a PDF (offscreen) to
its log saying the PDF is open.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.core import Summary, ms, section, size_text
from tests.support import pdfgen

ROOT = Path(__file__).resolve().parents[2]


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("sealbox_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_run(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def app_open_time(executable: Path, env: dict[str, str], pdf: Path) -> float:
    log = Path(env["SEALBOX_HOME"]) / "data" / "logs" / "sealbox.log"
    log.unlink(missing_ok=True)
    began = time.perf_counter()
    process = subprocess.Popen(
        [str(executable), str(pdf)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while f"opened {pdf.name}" not in (log.read_text() if log.exists() else ""):
            if time.perf_counter() - began > 60:
                raise RuntimeError("the app did not open the PDF within 60 s")
            time.sleep(0.01)
        return time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> int:
    summary = Summary()
    build = _build_module()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-bundle-") as name:
        tmp = Path(name)
        section("build")
        began = time.perf_counter()
        bundle = build.build(dist=tmp / "dist", work=tmp / "build")
        built = time.perf_counter() - began
        size = build.folder_size(bundle)
        print(f"  {bundle.name}: built in {built:.1f} s, {size_text(size)}")
        parts: dict[str, int] = {}
        internal = bundle / "_internal"
        for child in (internal if internal.is_dir() else bundle).iterdir():
            parts[child.name] = build.folder_size(child) if child.is_dir() else child.stat().st_size
        for part, part_size in sorted(parts.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {part:<40} {size_text(part_size)}")
        summary.add("bundle size", size_text(size))
        summary.add("build time", f"{built:.1f} s")

        section("start-up")
        home = tmp / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SEALBOX_", "PYTHON"))}
        env.update({"SEALBOX_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"})
        executable = bundle / "sealbox"
        first = timed_run([str(executable), "--version"], env)
        warm = [timed_run([str(executable), "--version"], env) for _ in range(10)]
        print(
            f"  sealbox --version: first run {ms(first)}, then median "
            f"{ms(statistics.median(warm))} (min {ms(min(warm))}, max {ms(max(warm))})"
        )
        summary.add("cold start: sealbox --version, first run", ms(first))
        summary.add("sealbox --version, median of 10", ms(statistics.median(warm)))
        pdf = pdfgen.write(tmp / "contract.pdf", pdfgen.text_pdf(["One", "Two", "Three"]))
        opens = [app_open_time(executable, env, pdf) for _ in range(5)]
        print(
            f"  app start to the PDF open (offscreen): first {ms(opens[0])}, median "
            f"{ms(statistics.median(opens))}"
        )
        summary.add("app start to PDF open, first", ms(opens[0]))
        summary.add("app start to PDF open, median of 5", ms(statistics.median(opens)))
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
