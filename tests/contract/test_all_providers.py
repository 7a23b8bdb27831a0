"""One contract suite for every remote provider, through the real ``sealbox`` command.

Each provider's fake runs as a real HTTP server on 127.0.0.1; the command reaches it through
``SEALBOX_<ID>_BASE_URL`` and credentials from the environment, exactly as a user's automation
would. The provider-specific suites (test_<id>.py) check the wire format in detail; this one
checks that every provider behaves the same from the user's side.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from app.faults import CRASH_EXIT_CODE
from tests.conftest import run_sealbox
from tests.fakes.base import ProviderFake

FAKES = {
    "craftkit": ("tests.fakes.craftkit", "CraftkitFake"),
    "signature_nc": ("tests.fakes.signature_nc", "SignatureNcFake"),
    "signicat": ("tests.fakes.signicat", "SignicatFake"),
    "saypdf": ("tests.fakes.saypdf", "SayPdfFake"),
    "itasign": ("tests.fakes.itasign", "ItaSignFake"),
}
#: Providers whose signers place their own signatures (or sign by identity): no fields.
NO_FIELDS = {"signicat", "itasign"}
#: Providers whose request is signed by one person (Signicat: one signing session each).
ONE_SIGNER = {"signicat"}


#: Terminal states each provider's document names (Signicat's guide names only READY and SIGNED,
#: Signature.nc's only per-signer initiated/sent/opened/completed; see their own suites).
TERMINAL = {pid: ["declined", "expired", "cancelled"] for pid in FAKES} | {
    "signicat": [],
    "signature_nc": [],
}


@pytest.fixture(params=sorted(FAKES))
def fake(request: pytest.FixtureRequest) -> Iterator[ProviderFake]:
    module, name = FAKES[request.param]
    cls = getattr(importlib.import_module(module), name)
    server: ProviderFake = cls()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Session:
    """The command, pointed at one fake, with its own SEALBOX_HOME."""

    def __init__(self, fake: ProviderFake, home: Path, tmp_path: Path) -> None:
        self.fake = fake
        self.pid = fake.provider_id
        self.env = {
            **fake.env(),
            "SEALBOX_SENDER_NAME": "Ada Office",
            "SEALBOX_SENDER_EMAIL": "ada@example.com",
        }
        self.pdf = tmp_path / "agreement.pdf"
        doc = pymupdf.open()
        for n in range(2):
            doc.new_page().insert_text((72, 72), f"Service agreement, page {n + 1}")
        doc.save(self.pdf)
        recipients = [
            {"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com", "order": 1},
            {"firstName": "Bob", "lastName": "Roe", "email": "bob@example.com", "order": 2},
        ]
        self.signers = 1 if self.pid in ONE_SIGNER else 2
        spec: dict[str, Any] = {
            "name": "Service agreement",
            "expirationHours": 72,
            "recipients": recipients[: self.signers],
            "fields": []
            if self.pid in NO_FIELDS
            else [
                {
                    "recipientIndex": i,
                    "type": "signature",
                    "page": 1,
                    "x": 72,
                    "y": 500 + 80 * i,
                    "width": 180,
                    "height": 48,
                }
                for i in range(self.signers)
            ],
        }
        self.spec = tmp_path / "spec.json"
        self.spec.write_text(json.dumps(spec), encoding="utf-8")

    def run(self, *args: str, extra: dict[str, str] | None = None) -> Any:
        return run_sealbox(*args, env_extra={**self.env, **(extra or {})})

    def ok(self, *args: str) -> dict[str, Any]:
        result = self.run(*args, "--json")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def send_args(self) -> list[str]:
        args = ["send", str(self.pdf), "--spec", str(self.spec), "--provider", self.pid]
        if self.pid == "craftkit":
            add_render = self.fake.add_render  # type: ignore[attr-defined]
            args += ["--render-id", add_render(self.pdf.read_bytes())]
        return args

    def send(self) -> dict[str, Any]:
        return self.ok(*self.send_args())


@pytest.fixture
def session(fake: ProviderFake, home: Path, tmp_path: Path) -> Session:
    return Session(fake, home, tmp_path)


def capabilities(session: Session) -> dict[str, Any]:
    rows = session.ok("providers")["providers"]
    row = next(r for r in rows if r["id"] == session.pid)
    assert row["configured"], row
    caps: dict[str, Any] = row["capabilities"]
    return caps


@pytest.mark.slow
def test_send_track_complete_archive(session: Session) -> None:
    caps = capabilities(session)
    sent = session.send()
    assert sent["status"] == "sent"
    assert sent["provider"] == session.pid
    envelopes = session.fake.envelope_ids()
    assert len(envelopes) == 1
    envelope = sent["providerId"]
    assert envelope == envelopes[0]

    if session.pid != "signicat":  # Signicat reports no "viewed" state
        session.fake.advance(envelope, "viewed")
        assert session.ok("show", sent["id"], "--refresh")["status"] == "viewed"

    if session.signers > 1:
        session.fake.advance(envelope, "signed", 0)
        shown = session.ok("show", sent["id"], "--refresh")
        assert shown["status"] == "viewed"  # one signer's signing does not move the top level
        assert "signedAt" in shown["recipients"][0]
        assert "signedAt" not in shown["recipients"][1]

    session.fake.advance(envelope, "completed")
    synced = session.ok("sync")
    assert synced["errors"] == {}
    assert sent["id"] in synced["archived"]
    done = session.ok("show", sent["id"])
    assert done["status"] == "completed"
    files = done["archive"]["files"]
    assert Path(files["signed"]["path"]).read_bytes().startswith(b"%PDF")
    assert ("certificate" in files) == caps["certificate"]
    again = session.ok("download", sent["id"])
    assert again["archive"] == done["archive"]
    verify = session.run("archive", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert len(session.fake.envelope_ids()) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fake", "state"),
    [(pid, state) for pid in sorted(FAKES) for state in TERMINAL[pid]],
    indirect=["fake"],
)
def test_terminal_states_are_tracked(session: Session, state: str) -> None:
    sent = session.send()
    try:
        session.fake.advance(sent["providerId"], state)
    except (KeyError, ValueError, NotImplementedError) as exc:
        pytest.fail(f"{session.pid}'s fake cannot reach {state}: {exc}")
    shown = session.ok("show", sent["id"], "--refresh")
    assert shown["status"] == state
    refused = session.run("cancel", sent["id"])
    assert refused.returncode == 1


@pytest.mark.slow
def test_cancel_or_a_clear_refusal(session: Session) -> None:
    caps = capabilities(session)
    sent = session.send()
    result = session.run("cancel", sent["id"], "--reason", "Terms changed", "--json")
    if caps["cancel"]:
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["status"] == "cancelled"
    else:
        assert result.returncode == 1
        assert "does not offer cancelling" in result.stderr
        assert session.ok("show", sent["id"])["status"] == "sent"


@pytest.mark.slow
def test_killed_mid_send_then_sync_makes_exactly_one_envelope(session: Session) -> None:
    killed = session.run(
        *session.send_args(),
        "--idempotency-key",
        "agreement-1",
        extra={"SEALBOX_CRASH_AT": "after-provider"},
    )
    assert killed.returncode == CRASH_EXIT_CODE, killed.stderr
    assert len(session.fake.envelope_ids()) == 1
    listed = session.ok("list")["signatures"]
    assert len(listed) == 1
    synced = session.run("sync", "--json")
    result = json.loads(synced.stdout)
    assert len(session.fake.envelope_ids()) == 1
    shown = session.ok("show", listed[0]["id"])
    if shown["status"] == "sent":
        assert synced.returncode == 0
        assert shown["providerId"] == session.fake.envelope_ids()[0]
    else:
        # The provider offers no way to look the request up: the user is told what to do,
        # and nothing is sent again.
        assert shown["status"] == "reconciling"
        assert synced.returncode == 3
        assert "--resend" in result["errors"][listed[0]["id"]]
        assert len(session.fake.envelope_ids()) == 1
