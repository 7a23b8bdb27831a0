"""Adding a provider is one module and one registry entry.

A seventh provider (``tests/support/seventh.py``: a small client class and its entry) is put in
the registry for each test; with no other edit anywhere in Sealbox, the command lists it and asks
for its credentials, the send path builds it and hands it the checked document, and the webhook
listener serves and dispatches its deliveries. (Its Settings page: ``tests/gui``.)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.cli import main
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import RequestSpec
from app.providers import registry
from app.services.send import deliver, prepare
from app.services.webhooks import WebhookReceiver
from tests.support.seventh import ID, PostboxService, registered, sign

SECRET = "postbox-webhook-secret"


@pytest.fixture
def postbox(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostboxService]:
    monkeypatch.setenv("SEALBOX_POSTBOX_API_KEY", "pb-key")
    monkeypatch.setenv("SEALBOX_POSTBOX_WEBHOOK_SECRET", SECRET)
    with registered() as service:
        yield service
    assert registry.find(ID) is None  # gone again after the block


def sealbox(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """``sealbox ARGS --json`` in this process (where the test's registry entry is)."""
    capsys.readouterr()
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def write_request(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease of the boat house")
    doc.save(pdf)
    doc.close()
    spec = tmp_path / "lease.json"
    spec.write_text(
        json.dumps(
            {
                "name": "Boat house lease",
                "recipients": [
                    {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
                ],
                "fields": [
                    {
                        "recipientIndex": 0,
                        "type": "signature",
                        "page": 1,
                        "x": 72,
                        "y": 600,
                        "width": 180,
                        "height": 48,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return pdf, spec


def test_sealbox_providers_lists_it(
    postbox: PostboxService, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = sealbox(capsys, "providers")["providers"]
    assert [r["id"] for r in rows][-1] == ID
    row = rows[-1]
    assert row["name"] == "Postbox" and row["configured"] and not row["default"]
    assert row["capabilities"]["fieldTypes"] == ["signature"]
    assert row["capabilities"]["webhooks"] is True


def test_sealbox_login_asks_for_its_credentials(
    postbox: PostboxService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["login", ID]) == 1  # no terminal here: says what to set instead
    assert "SEALBOX_POSTBOX_API_KEY" in capsys.readouterr().err


def test_the_send_path_builds_it_and_hands_it_the_checked_document(
    postbox: PostboxService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, spec = write_request(tmp_path)
    sent = sealbox(capsys, "send", str(pdf), "--spec", str(spec), "--provider", ID)
    assert (sent["provider"], sent["status"]) == (ID, "sent")
    assert sent["providerId"] == f"pb-{sent['id'][:8]}"
    document = postbox.sent[sent["id"]]
    assert document.path.name == f"{sent['id']}.pdf"  # the working copy, as checked
    assert document.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert document.page_count == 1
    shown = sealbox(capsys, "list", "--provider", ID)["signatures"]
    assert [r["id"] for r in shown] == [sent["id"]]


def test_the_webhook_listener_serves_and_dispatches_it(
    postbox: PostboxService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, spec = write_request(tmp_path)
    sent = sealbox(capsys, "send", str(pdf), "--spec", str(spec), "--provider", ID)
    postbox.statuses[sent["providerId"]] = Status.VIEWED
    body = json.dumps({"id": sent["providerId"], "event": "document.viewed"}).encode()

    async def deliver() -> list[tuple[int, str]]:
        ctx = Context.from_environment()
        try:
            async with WebhookReceiver(ctx) as receiver:
                assert ID in receiver.providers
                outcomes = []
                for signature in ("forged", sign(body, SECRET)):
                    headers = {"X-Postbox-Signature": signature, "X-Postbox-Delivery": "d-1"}
                    outcome = await receiver.receive(ID, headers, body)
                    outcomes.append((outcome.status, outcome.message))
                return outcomes
        finally:
            await ctx.aclose()
            ctx.close()

    assert asyncio.run(deliver()) == [(401, "signature rejected"), (200, "ok")]
    assert sealbox(capsys, "show", sent["id"])["status"] == "viewed"


def test_the_document_prepare_checked_is_the_one_create_gets(
    postbox: PostboxService, tmp_path: Path
) -> None:
    pdf, spec_file = write_request(tmp_path)
    spec = RequestSpec.from_json(json.loads(spec_file.read_text(encoding="utf-8")))
    ctx = Context.from_environment()
    resumed = Context.from_environment()  # another process, as `sealbox sync` is
    try:
        here = prepare(ctx, pdf, spec, provider_id=ID)
        checked = ctx.checked_documents[here.id]
        assert checked.path == ctx.paths.document(here.id)
        asyncio.run(deliver(ctx, here.id))
        assert postbox.sent[here.id] is checked and ctx.checked_documents == {}

        elsewhere = prepare(ctx, pdf, spec, provider_id=ID)
        asyncio.run(deliver(resumed, elsewhere.id))  # checks the working copy itself
        document = postbox.sent[elsewhere.id]
        assert document.path == resumed.paths.document(elsewhere.id)
        assert document.sha256 == checked.sha256 and document.pages == checked.pages
    finally:
        for c in (ctx, resumed):
            asyncio.run(c.aclose())
            c.close()
