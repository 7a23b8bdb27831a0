"""What keeping a draft costs the window: the save done on the UI thread after each pause in
editing, for a large request (20 recipients, 200 fields, 200 anchors) and a small one, and the
one-off copy of the PDF that runs on a worker thread.

Run: ``uv run python -m tests.bench.drafts``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from app.domain.model import AnchorTag, Field, FieldType, Recipient, RequestSpec
from app.store.db import Database
from app.store.drafts import Drafts
from tests.bench.core import Summary, ms, section
from tests.support import pdfgen

SAVES = 200


def spec_of(recipients: int, fields: int, anchors: int) -> RequestSpec:
    return RequestSpec(
        name="Fleet charter renewal",
        message="Please sign by Friday.",
        recipients=tuple(
            Recipient(f"Person{i}", "Example", f"p{i}@example.com", order=i + 1)
            for i in range(recipients)
        ),
        fields=tuple(
            Field(
                i % recipients,
                FieldType.SIGNATURE,
                1 + i % 3,
                72 + i % 7 * 31.7,
                90 + i % 11 * 41.3,
                180.25,
                48.5,
                label=f"Field {i}",
            )
            for i in range(fields)
        ),
        anchor_tags=tuple(
            AnchorTag(f"{{{{sign_{i}}}}}", FieldType.INITIALS, i % recipients)
            for i in range(anchors)
        ),
    )


def time_saves(drafts: Drafts, draft_id: str, spec: RequestSpec) -> list[float]:
    samples = []
    for _ in range(SAVES):
        started = time.perf_counter()
        drafts.save(draft_id, provider="local", render_id=None, spec=spec)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> int:
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-drafts-") as name:
        tmp = Path(name)
        drafts = Drafts(Database(tmp / "data" / "sealbox.db"), tmp / "data" / "drafts")
        pdf = pdfgen.big_pdf(tmp / "big.pdf", min_bytes=20 * 1024 * 1024 - 4096)
        section("Copying the PDF (once per draft, on a worker thread)")
        draft_id = drafts.new_id()
        started = time.perf_counter()
        digest = drafts.copy_document(draft_id, pdf)
        copy = time.perf_counter() - started
        print(f"  {pdf.stat().st_size / 1e6:.1f} MB in {ms(copy)}")
        summary.add("copy of a 20 MB PDF into the draft (worker thread)", ms(copy))
        drafts.add(
            draft_id,
            source=pdf,
            sha256=digest,
            page_count=1,
            provider="local",
            render_id=None,
            spec=spec_of(1, 1, 0),
        )
        for label, spec in (
            ("small request (2 recipients, 3 fields)", spec_of(2, 3, 0)),
            ("large request (20 recipients, 200 fields, 200 anchors)", spec_of(20, 200, 200)),
        ):
            section(f"Saving a {label}, {SAVES} times (UI thread)")
            samples = time_saves(drafts, draft_id, spec)
            median = statistics.median(samples)
            worst = max(samples)
            p95 = statistics.quantiles(samples, n=20)[-1]
            print(f"  median {ms(median)}, p95 {ms(p95)}, worst {ms(worst)}")
            summary.add(f"draft save, {label}: median", ms(median))
            summary.add("  p95 / worst", f"{ms(p95)} / {ms(worst)}")
        drafts.database.close()
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
