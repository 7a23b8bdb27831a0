"""What keeping sends on a desk costs while the shared store cannot be reached, and how fast the
desk hands them over when it can: N sends kept (each checked, its PDF copied, its record
written whole: app/services/desk_outbox.py), then committed to a throwaway PostgreSQL store's
outbox in one pass (tests/support/pgserver.py), then delivered by ``sync`` through the built-in
provider.

Run: ``uv run python -m tests.bench.desk_outbox [N]`` (default 200).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from app.context import Context
from app.domain.model import RequestSpec
from app.services import desk_outbox
from app.services.sync import sync
from tests.e2e.test_bad_input import SPEC
from tests.support import pdfgen, pgserver


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if not pgserver.available():
        print(pgserver.INSTALL_HINT)
        return
    server = pgserver.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            run(Path(folder), server.url(), count)
    finally:
        server.stop()


def run(folder: Path, url: str, count: int) -> None:
    parts = conninfo_to_dict(url)
    os.environ["SEALBOX_HOME"] = str(folder / "home")
    os.environ["SEALBOX_DATABASE_URL"] = (
        f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    )
    os.environ["SEALBOX_STORE_PASSWORD"] = str(parts["password"])
    pdf = pdfgen.write(folder / "lease.pdf", pdfgen.text_pdf(["Lease agreement"] * 3))
    ctx = Context.from_environment()
    try:
        keeps = []
        for n in range(count):
            spec = RequestSpec.from_json({**SPEC, "name": f"Lease {n:04d}"})
            start = time.perf_counter()
            desk_outbox.keep(ctx, pdf, spec, provider_id="local")
            keeps.append(time.perf_counter() - start)
        start = time.perf_counter()
        committed = desk_outbox.commit_kept(ctx)
        commit_s = time.perf_counter() - start
        assert len(committed.committed) == count and not committed.refused
        start = time.perf_counter()
        result = asyncio.run(sync(ctx))
        deliver_s = time.perf_counter() - start
        assert len(result.delivered) == count, result.errors
    finally:
        ctx.close()
    ms = sorted(k * 1000 for k in keeps)
    print(
        f"kept {count} sends: median {statistics.median(ms):.1f} ms a send, "
        f"p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms"
    )
    print(
        f"committed them to the shared outbox in {commit_s:.2f} s "
        f"({count / commit_s:.0f} sends/s); the sync delivered them in {deliver_s:.2f} s"
    )


if __name__ == "__main__":
    main()
