"""The last signature on a big document: send, sign, seal and archive through the real command.

Run on demand (pytest ignores ``tests/bench``)::

    uv run python -m tests.bench.last_signature [PAGES ...]

For a 20-page and a 2,415-page contract (or the page counts given), generated here, it runs
``sealbox send`` and then ``sealbox sign`` for the only signer, which stamps the values, seals
the PDF, builds and seals the certificate and archives everything, and times that last command.
In the same run it measures two floors: a plain PyMuPDF incremental save of the same document
with one line of text added (what an incremental stamp cannot beat), and a cold
``sealbox --version`` (what any command pays to start). It prints each time, the ratio of the
big document's last signature to the small one's (goal: at most 3x) and the big one's time
(goal: at most 5 s).

Everything runs with a temporary ``SEALBOX_HOME`` and a file-backed keyring, like the tests.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pymupdf

from tests.bench.core import (
    PYCACHE,
    SEED,
    Summary,
    isolate,
    make_contract,
    ms,
    sealbox,
    sealbox_json,
    section,
    size_text,
)

PAGES = (20, 2415)
RUNS = 3
GOAL_SECONDS = 5.0
GOAL_RATIO = 3.0

_mu: Any = pymupdf


def spec(pages: int) -> dict[str, Any]:
    """One signer, a signature and a date on page 1, and the anchor on the last page."""
    return {
        "version": 1,
        "name": f"Reference manual — {pages} pages",
        "recipients": [
            {
                "firstName": "Jane",
                "lastName": "Doe",
                "email": "jane@example.com",
                "designation": "Signer",
                "order": 1,
            }
        ],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 620,
                "width": 200,
                "height": 50,
            },
            {
                "recipientIndex": 0,
                "type": "date",
                "page": 1,
                "x": 320,
                "y": 640,
                "width": 120,
                "height": 24,
            },
        ],
        "anchorTags": [{"anchorString": "{{sign_here}}", "type": "signature", "recipientIndex": 0}],
    }


def last_signature(pdf: Path, spec_path: Path) -> tuple[float, float]:
    """Send, then the signing that completes the request (stamp, seal, archive): both times."""
    send, sent = sealbox_json("send", str(pdf), "--spec", str(spec_path))
    elapsed, done = sealbox_json(
        "sign", sent["id"], "--recipient", "0", "--typed-signature", "Jane Doe"
    )
    if done["status"] != "completed" or "archive" not in done:
        raise SystemExit(f"the request did not complete: {done['status']}")
    return elapsed, send


def incremental_floor(pdf: Path) -> float:
    """A plain PyMuPDF incremental save of ``pdf`` with one line added (open, draw, write)."""
    original = pdf.read_bytes()
    start = time.perf_counter()
    doc = _mu.open(stream=original, filetype="pdf")
    doc[0].insert_text((72, 700), "Jane Doe", fontsize=11)
    sink = io.BytesIO()
    options = _mu.mupdf.PdfWriteOptions()
    options.do_incremental = 1
    out = _mu.JM_new_output_fileptr(sink)
    _mu.mupdf.pdf_write_document(_mu._as_pdf_document(doc), out, options)
    out.fz_close_output()
    doc.close()
    elapsed = time.perf_counter() - start
    if not sink.getvalue().startswith(original):
        raise SystemExit("the floor's save was not incremental")
    return elapsed


def main(argv: list[str]) -> None:
    pages = tuple(int(a) for a in argv) or PAGES
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as tmp:
        work = Path(tmp)
        isolate(work / "home", work / "keyring.json")
        PYCACHE["prefix"] = str(work / "pycache")
        section("documents")
        rng = random.Random(SEED)
        docs: dict[int, tuple[Path, Path]] = {}
        for count in pages:
            pdf = work / f"manual-{count}.pdf"
            start = time.perf_counter()
            make_contract(pdf, count, rng)
            spec_path = work / f"manual-{count}.json"
            spec_path.write_text(json.dumps(spec(count)), encoding="utf-8")
            docs[count] = (pdf, spec_path)
            print(
                f"  {pdf.name}: {count} pages, {size_text(pdf.stat().st_size)} "
                f"(generated in {ms(time.perf_counter() - start)})",
                flush=True,
            )

        section("warm-up (creates the installation's seal, fills the bytecode cache)")
        print(f"  last signature, {pages[0]} pages: {ms(last_signature(*docs[pages[0]])[0])}")

        section(f"floors (median of {RUNS})")
        start_floor = statistics.median(sealbox("--version")[0] for _ in range(RUNS))
        print(f"  cold `sealbox --version`: {ms(start_floor)}")
        summary.add("floor: cold `sealbox --version`", ms(start_floor))
        floors: dict[int, float] = {}
        for count in pages:
            floors[count] = statistics.median(
                incremental_floor(docs[count][0]) for _ in range(RUNS)
            )
            print(f"  PyMuPDF incremental save, {count} pages: {ms(floors[count])}")
            summary.add(f"floor: PyMuPDF incremental save, {count} pages", ms(floors[count]))

        section(f"last signature: stamp + seal + certificate + archive (median of {RUNS})")
        times: dict[int, float] = {}
        for count in pages:
            runs = [last_signature(*docs[count]) for _ in range(RUNS)]
            samples = [sign for sign, _ in runs]
            times[count] = statistics.median(samples)
            send = statistics.median(send for _, send in runs)
            print(
                f"  {count:>5} pages: {', '.join(ms(s) for s in samples)}  -> median "
                f"{ms(times[count])} ({times[count] - start_floor:.2f} s over the start "
                f"floor); the send before it: median {ms(send)}",
                flush=True,
            )
            summary.add(f"last signature, {count} pages (median)", ms(times[count]))
            summary.add(f"send, {count} pages (median; reads the text for search)", ms(send))

    small, big = min(pages), max(pages)
    ratio = times[big] / times[small]
    summary.add(f"ratio {big} / {small} pages", f"{ratio:.2f}x (goal <= {GOAL_RATIO:g}x)")
    summary.add(f"{big} pages against the goal", f"{times[big]:.2f} s (goal <= {GOAL_SECONDS:g} s)")
    summary.print()
    ok = ratio <= GOAL_RATIO and times[big] <= GOAL_SECONDS
    print("goals met" if ok else "GOALS NOT MET")


if __name__ == "__main__":
    main(sys.argv[1:])
