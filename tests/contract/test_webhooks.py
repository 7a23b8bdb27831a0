"""Webhooks: verified, de-duplicated, and acted on by refreshing from the API."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.context import Context
from app.domain.lifecycle import Status
from app.services.sync import sync
from app.services.webhooks import WebhookReceiver
from tests.conftest import ROOT
from tests.fakes.base import ProviderFake
from tests.support.desks import one_page_pdf, send_request, spec

SECRET = "whsec_test_0123456789"
EVENTS = {"craftkit": "signature.completed", "saypdf": "document.completed"}
FAKES = {
    "craftkit": ("tests.fakes.craftkit", "CraftkitFake"),
    "saypdf": ("tests.fakes.saypdf", "SayPdfFake"),
}


@pytest.fixture(params=sorted(FAKES))
def fake(request: pytest.FixtureRequest) -> Iterator[ProviderFake]:
    module, name = FAKES[request.param]
    server: ProviderFake = getattr(importlib.import_module(module), name)()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def environ(fake: ProviderFake) -> dict[str, str]:
    return {
        **os.environ,
        **fake.env(),
        "SEALBOX_SENDER_NAME": "Ada Office",
        "SEALBOX_SENDER_EMAIL": "ada@example.com",
        f"SEALBOX_{fake.provider_id.upper()}_WEBHOOK_SECRET": SECRET,
    }


async def send_one(ctx: Context, fake: ProviderFake, tmp_path: Path) -> str:
    pdf = one_page_pdf(tmp_path / "order.pdf", "Purchase order 881")
    request = await send_request(ctx, fake, pdf, spec("Purchase order 881"))
    assert request.status == Status.SENT
    assert request.provider_id is not None
    return request.id


def delivery(fake: ProviderFake, envelope: str, secret: str) -> tuple[dict[str, str], bytes]:
    send_webhook = fake.webhook  # type: ignore[attr-defined]
    headers, body = send_webhook(EVENTS[fake.provider_id], envelope, secret)
    return headers, body


def test_a_verified_delivery_refreshes_and_archives(
    fake: ProviderFake, home: Path, tmp_path: Path
) -> None:
    ctx = Context.from_environment(environ(fake))
    try:
        asyncio.run(_deliveries(ctx, fake, tmp_path))
    finally:
        ctx.close()


async def _deliveries(ctx: Context, fake: ProviderFake, tmp_path: Path) -> None:
    try:
        rid = await send_one(ctx, fake, tmp_path)
        envelope = ctx.requests.get(rid).provider_id
        assert envelope is not None
        async with WebhookReceiver(ctx) as receiver:
            assert receiver.providers == [fake.provider_id]

            # A forged delivery changes nothing.
            headers, body = delivery(fake, envelope, "not-the-secret")
            fake.advance(envelope, "completed")
            before = len(ctx.requests.events(rid))
            outcome = await receiver.receive(fake.provider_id, headers, body)
            assert outcome.status == 401
            assert ctx.requests.get(rid).status == Status.SENT
            assert len(ctx.requests.events(rid)) == before
            good_headers, good_body = delivery(fake, envelope, SECRET)
            tampered = good_body.replace(b"completed", b"cancelled")
            assert (await receiver.receive(fake.provider_id, good_headers, tampered)).status == 401

            # The real one: the request is refreshed from the API (not from the payload).
            outcome = await receiver.receive(fake.provider_id, good_headers, good_body)
            assert outcome.status == 200
            request = ctx.requests.get(rid)
            assert request.status == Status.COMPLETED
            assert ctx.store.archive.files(rid)
            refreshes = len(fake.received)

            # The same delivery again is acknowledged and dropped.
            again = await receiver.receive(fake.provider_id, good_headers, good_body)
            assert again.status == 200
            assert "duplicate" in again.message
            assert len(fake.received) == refreshes
    finally:
        await ctx.aclose()


def test_listen_serves_the_endpoints(fake: ProviderFake, home: Path, tmp_path: Path) -> None:
    from tests.conftest import run_sealbox

    env = environ(fake)
    pdf = one_page_pdf(tmp_path / "order.pdf", "Purchase order 882")
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec("Purchase order 882")), encoding="utf-8")
    args = ["send", str(pdf), "--spec", str(spec_file), "--provider", fake.provider_id, "--json"]
    if fake.provider_id == "craftkit":
        args += ["--render-id", fake.add_render(pdf.read_bytes())]  # type: ignore[attr-defined]
    sent = run_sealbox(*args, env_extra=env)
    assert sent.returncode == 0, sent.stderr
    request = json.loads(sent.stdout)
    fake.advance(request["providerId"], "completed")

    env.update({"PYTHONPATH": str(ROOT)})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "webhooks", "listen", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        started: dict[str, Any] = json.loads(process.stdout.readline())
        url = started["listening"]
        assert url.startswith("http://127.0.0.1:")
        assert started["providers"] == [fake.provider_id]
        endpoint = f"{url}/webhooks/{fake.provider_id}"
        headers, body = delivery(fake, request["providerId"], "wrong secret")
        assert httpx.post(endpoint, content=body, headers=headers, timeout=30).status_code == 401
        headers, body = delivery(fake, request["providerId"], SECRET)
        assert httpx.post(endpoint, content=body, headers=headers, timeout=30).status_code == 200
        assert httpx.post(f"{url}/webhooks/unknown", content=b"{}", timeout=30).status_code == 404
        assert httpx.get(endpoint, timeout=30).status_code == 405
    finally:
        process.terminate()
        process.communicate(timeout=10)
    shown = run_sealbox("show", request["id"], "--json", env_extra=env)
    assert json.loads(shown.stdout)["status"] == "completed"


def test_listen_without_a_secret_is_refused(home: Path) -> None:
    from tests.conftest import run_sealbox

    result = run_sealbox("webhooks", "listen", "--port", "0")
    assert result.returncode == 1
    assert "No webhook secret is configured" in result.stderr


def test_a_delivery_leaves_the_archive_to_the_desk_holding_the_lease(
    fake: ProviderFake, home: Path, tmp_path: Path
) -> None:
    """Another desk holds the request's lease: the listener records the news but does not
    download; once the lease is released, the next sync archives it."""
    ctx = Context.from_environment(environ(fake))
    try:
        asyncio.run(_leased_elsewhere(ctx, fake, tmp_path))
    finally:
        ctx.close()


async def _leased_elsewhere(ctx: Context, fake: ProviderFake, tmp_path: Path) -> None:
    try:
        rid = await send_one(ctx, fake, tmp_path)
        envelope = ctx.requests.get(rid).provider_id
        assert envelope is not None
        fake.advance(envelope, "completed")
        other = "clerk@FRONT-DESK pid 4242"
        assert ctx.store.leases.claim(rid, other, 60)
        async with WebhookReceiver(ctx) as receiver:
            headers, body = delivery(fake, envelope, SECRET)
            assert (await receiver.receive(fake.provider_id, headers, body)).status == 200
            assert ctx.requests.get(rid).status == Status.COMPLETED
            assert not ctx.store.archive.files(rid)
            assert not [r for r in fake.received if r.method == "GET" and "download" in r.path]
            lease = ctx.store.leases.get(rid)
            assert lease is not None and lease.holder == other

        ctx.store.leases.release(rid, other)  # the other desk is done (or its lease expired)
        result = await sync(ctx)
        assert result.archived == [rid]
        assert ctx.store.archive.files(rid)
        assert ctx.store.leases.get(rid) is None  # released after the archive
    finally:
        await ctx.aclose()
