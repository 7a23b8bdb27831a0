"""The lease a sync holds while it works on a request (app/services/leases.py): claimed, renewed
while the work takes longer than a lease lasts, released at the end; refused with a sentence
naming the holder when another desk has it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from app.context import Context
from app.errors import BusyError
from app.services.leases import leased
from app.store.actor import current_actor
from tests.e2e.test_lifecycle import SPEC


def test_a_lease_is_renewed_while_the_work_goes_on_and_released_after(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_STORE_LEASE_S", "0.3")
    ctx = Context.from_environment()
    try:
        rid = _a_request(ctx, tmp_path)
        asyncio.run(_work_longer_than_a_lease(ctx, rid))
    finally:
        ctx.close()


async def _work_longer_than_a_lease(ctx: Context, rid: str) -> None:
    leases = ctx.store.leases
    async with leased(ctx, rid, "archiving"):
        first = leases.get(rid)
        assert first is not None and first.holder == current_actor().holder
        # Work for three lease times: the lease is renewed meanwhile, so it never lapses and
        # no other desk can take it.
        deadline = time.monotonic() + 3 * 0.3
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            assert not leases.claim(rid, "clerk@FRONT-DESK pid 7", 60)
        now = leases.get(rid)
        assert now is not None and now.expires_at > first.expires_at and not now.expired
    assert leases.get(rid) is None

    assert leases.claim(rid, "clerk@FRONT-DESK pid 7", 60)
    with pytest.raises(BusyError) as refused:
        async with leased(ctx, rid, "refreshing"):
            raise AssertionError("not reached")
    assert refused.value.message == (
        "Another Sealbox (clerk@FRONT-DESK pid 7) is refreshing 'Lease agreement' right now: "
        "it is left to that one."
    )


def _a_request(ctx: Context, tmp_path: Path) -> str:
    import pymupdf

    from app.domain.model import RequestSpec
    from app.services.send import send

    pdf = tmp_path / "a.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    doc.close()

    async def run() -> str:
        try:
            spec = RequestSpec.from_json({**SPEC, "name": "Lease agreement"})
            return (await send(ctx, pdf, spec, provider_id="local")).id
        finally:
            await ctx.aclose()

    return asyncio.run(run())
