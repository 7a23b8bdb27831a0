"""What a provider cannot deliver, one rule for all, through the real ``sealbox send``.

A request's message and its fields' labels change nothing about who signs what: a provider that
cannot carry them sends the request anyway, and ``sealbox send`` says so on stderr (``warning:
…``) and in ``--json`` (``"warnings"``), and the request's own record keeps it. What changes the
signing itself (here: an optional field where every field must be filled in) is still refused
before anything is sent. Every provider, against its loopback fake; the built-in one in process.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.context import Context
from app.services.send import warnings_of
from tests.conftest import run_sealbox
from tests.contract.test_all_providers import FAKES, Session
from tests.fakes.base import ProviderFake

MESSAGE = "Please sign by Friday, the keys are ready."
LABEL = "Initial here please"

#: Per provider: does the message reach the recipients, are field labels shown.
CARRIES = {
    "craftkit": (False, False),
    "signature_nc": (False, True),
    "signicat": (False, None),  # no placed fields at all
    "saypdf": (True, False),
    "itasign": (True, None),  # no placed fields at all
    "local": (True, True),  # the message is shown on each recipient's handover screen
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


@pytest.fixture
def session(fake: ProviderFake, home: Path, tmp_path: Path) -> Session:
    return Session(fake, home, tmp_path)


def write_spec(session: Session, **changes: Any) -> None:
    spec = json.loads(session.spec.read_text(encoding="utf-8"))
    spec.update(changes)
    session.spec.write_text(json.dumps(spec), encoding="utf-8")


def labelled_spec(session: Session) -> None:
    spec = json.loads(session.spec.read_text(encoding="utf-8"))
    fields = spec["fields"]
    if fields:
        fields[0]["label"] = LABEL
    write_spec(session, message=MESSAGE, fields=fields)


def recorded(home: Path, request_id: str) -> list[str]:
    ctx = Context.from_environment()
    try:
        return warnings_of(ctx, request_id)
    finally:
        ctx.close()


def reached(session: Session, text: str) -> bool:
    return any(text.encode() in r.body for r in session.fake.received)


def test_what_a_provider_cannot_deliver_is_a_warning_never_a_refusal_or_silence(
    session: Session, home: Path
) -> None:
    labelled_spec(session)
    message_ok, labels_ok = CARRIES[session.pid]
    result = session.run(*session.send_args(), "--json")
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert sent["status"] == "sent"
    warnings: list[str] = sent["warnings"]
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert lines == [f"warning: {w}" for w in warnings]

    message_warned = [w for w in warnings if "message" in w]
    assert bool(message_warned) == (not message_ok)
    assert reached(session, MESSAGE) == message_ok
    if not message_ok:
        assert "does not deliver a message" in message_warned[0]
    label_warned = [w for w in warnings if "label" in w]
    assert bool(label_warned) == (labels_ok is False)
    if labels_ok is not None:
        assert reached(session, LABEL) == labels_ok
    assert len(warnings) == len(message_warned) + len(label_warned)
    # Sealbox's own record keeps them with the request.
    assert recorded(home, sent["id"]) == warnings


def test_text_output_prints_the_warnings_on_stderr(session: Session) -> None:
    write_spec(session, message=MESSAGE)
    result = session.run(*session.send_args())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sent 'Service agreement'")
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warned) == (0 if CARRIES[session.pid][0] else 1)


@pytest.mark.parametrize("fake", ["signature_nc", "saypdf"], indirect=True)
def test_what_changes_the_signing_is_still_refused_before_sending(session: Session) -> None:
    spec = json.loads(session.spec.read_text(encoding="utf-8"))
    spec["fields"][0]["required"] = False
    write_spec(session, message=MESSAGE, fields=spec["fields"])
    result = session.run(*session.send_args(), "--json")
    assert result.returncode == 1
    assert "required" in result.stderr
    assert session.fake.envelope_ids() == []
    assert session.ok("list")["signatures"] == []


def test_the_built_in_provider_carries_the_message_and_labels_without_a_warning(
    home: Path, tmp_path: Path
) -> None:
    import pymupdf

    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease")
    doc.save(pdf)
    spec = {
        "name": "Lease",
        "message": MESSAGE,
        "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
        "fields": [
            {
                "recipientIndex": 0,
                "type": "signature",
                "page": 1,
                "x": 72,
                "y": 500,
                "width": 180,
                "height": 48,
                "label": LABEL,
            }
        ],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    result = run_sealbox("send", str(pdf), "--spec", str(path), "--json")
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert CARRIES["local"] == (True, True)
    assert sent["warnings"] == []
    assert "warning: " not in result.stderr
    assert recorded(home, sent["id"]) == []
