"""What checking a download before archiving it costs (app.archive.checks.check_download).

Run on demand: ``uv run python -m tests.bench.download_check``. Seals generated PDFs of 20, 200
and 2,000 pages with a throw-away installation identity, then times the check (open with
PyMuPDF, read the first page, validate every signature with pyHanko) against the time to read
the file and hash it, the floor any archiving pays. Prints its figures; asserts nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

import pymupdf

from app.archive.checks import check_download
from app.providers.local.pki import ensure_installation_identity
from app.providers.local.seal import seal_pdf
from app.secrets import MemorySecrets

_mu: Any = pymupdf
RUNS = 5


def _best(work: Any) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        identity = ensure_installation_identity(base / "seal", MemorySecrets())
        print(f"{'pages':>6} {'size':>9} {'check':>10} {'read+hash':>10}")
        for pages in (20, 200, 2000):
            doc = _mu.open()
            for i in range(pages):
                doc.new_page().insert_text((72, 72), f"Page {i} " + "lorem ipsum " * 40)
            data = seal_pdf(doc.tobytes(), identity, reason="Benchmark")
            doc.close()
            path = base / f"signed-{pages}.pdf"
            path.write_bytes(data)
            check = _best(
                lambda p=path: check_download(p, "signed PDF", "Bench", identity.trust_roots_pem)
            )
            floor = _best(lambda p=path: hashlib.sha256(p.read_bytes()).hexdigest())
            print(f"{pages:>6} {len(data) // 1024:>6} KiB {check:>7.1f} ms {floor:>7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
