"""Servers that echo the credentials they were sent, through the real ``sealbox`` command: the
API key (raw, JSON-escaped, URL-encoded, base64), a Signicat client secret in HTTP Basic auth
and a SayPDF sign-in token never reach stderr, ``--json`` output, the store, the logs or a crash
report. A key holding a line break is refused with a message that names the setting."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from tests.conftest import run_sealbox
from tests.fakes.base import FakeRequest, FakeResponse, json_response
from tests.fakes.craftkit import CraftkitFake
from tests.fakes.saypdf import SayPdfFake
from tests.fakes.signicat import TOKEN_PATH, SignicatFake

KEY = "ck_live_Planted/Key+0123456789=="
SECRET = "sc_Planted/Secret+9876543210=="
SPEC = {
    "name": "Lease 7",
    "recipients": [{"firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}],
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


def echoes(*values: str) -> str:
    """Every way a server might quote ``values`` back."""
    out = []
    for value in values:
        out += [
            value,
            json.dumps(value)[1:-1].replace("/", "\\/"),
            urllib.parse.quote(value, safe=""),
            urllib.parse.quote_plus(value),
            base64.b64encode(value.encode()).decode(),
        ]
    return " | ".join(out)


def echo(request: FakeRequest) -> FakeResponse:
    """A 400 that quotes every credential header it was sent, in every form, and for Basic
    auth what it decodes to, in the error shapes of Craftkit, Signicat (OAuth) and SayPDF."""
    sent = [request.header(h) or "" for h in ("authorization", "x-api-key")]
    credentials = [v.split(" ", 1)[-1] for v in sent if v]
    for value in sent:
        if value.startswith("Basic "):
            pair = base64.b64decode(value[6:]).decode()
            credentials += [
                pair,
                *pair.split(":", 1),
                *(urllib.parse.unquote(p) for p in pair.split(":", 1)),
            ]
    text = f"Bad request from {' / '.join(v for v in sent if v)}: {echoes(*credentials)}"
    return json_response(
        400,
        {
            "statusCode": 400,
            "message": text,
            "error": {
                "code": "invalid",
                "message": text,
                "issues": [{"path": "key", "message": text}],
            },
        },
    )


def leaks(home: Path, outputs: list[str], *secrets: str) -> list[str]:
    """Where any form of ``secrets`` appears: outputs, and every file under the home."""
    forms = {f for s in secrets for f in echoes(s).split(" | ")}
    found = [f"output {i}" for i, text in enumerate(outputs) for f in forms if f in text]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [str(path) for f in forms if f.encode() in data]
    return found


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    pdf = tmp_path / "lease.pdf"
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Lease agreement")
    doc.save(pdf)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    return pdf, spec


@pytest.fixture
def craftkit() -> Iterator[CraftkitFake]:
    with CraftkitFake(api_key=KEY) as server:
        yield server


def test_an_echoed_api_key_is_masked_everywhere(
    home: Path, craftkit: CraftkitFake, files: tuple[Path, Path]
) -> None:
    pdf, spec = files
    env = craftkit.env()
    outputs: list[str] = []

    def run(*args: str) -> int:
        result = run_sealbox(*args, env_extra=env)
        outputs.append(result.stdout + result.stderr)
        return result.returncode

    # A create refused with the key quoted back: failed, with the refusal kept.
    craftkit.fail_next("POST", "/v1/signatures", echo)
    render = craftkit.add_render(pdf.read_bytes())
    assert (
        run("send", str(pdf), "--spec", str(spec), "--provider", "craftkit", "--render-id", render)
        == 1
    )
    assert "Craftkit refused the request as invalid" in outputs[-1]
    assert "•••" in outputs[-1]  # the echo came through, masked
    # A refresh refused the same way, seen by `sync --json` and `show --json`.
    assert (
        run(
            "send",
            str(pdf),
            "--spec",
            str(spec),
            "--provider",
            "craftkit",
            "--render-id",
            render,
            "--json",
        )
        == 0
    )
    sent = json.loads(outputs[-1])
    craftkit.fail_next("GET", f"/v1/signatures/{sent['providerId']}", echo)
    assert run("sync", "--json") == 1  # refused (a 4xx): exit 1, not worth retrying
    errors = json.loads(outputs[-1])["errors"]
    assert "•••" in errors[sent["id"]]
    assert run("list") == 0 and run("show", sent["id"], "--json") == 0
    assert (home / "data" / "logs" / "sealbox.log").exists()
    assert leaks(home, outputs, KEY) == []


def test_an_echoed_basic_auth_secret_is_masked(home: Path, files: tuple[Path, Path]) -> None:
    pdf, spec = files
    spec.write_text(json.dumps({**SPEC, "fields": []}), encoding="utf-8")  # identity-based
    signicat = SignicatFake(client_secret=SECRET)
    signicat.start()
    try:
        signicat.fail_next("POST", TOKEN_PATH, echo)
        result = run_sealbox(
            "send",
            str(pdf),
            "--spec",
            str(spec),
            "--provider",
            "signicat",
            env_extra=signicat.env(),
        )
    finally:
        signicat.stop()
    assert result.returncode == 1, result.stderr
    assert "Signicat refused the API client credentials" in result.stderr
    assert "•••" in result.stderr  # the echo came through, masked
    (token_call,) = signicat.requests_to("POST", TOKEN_PATH)
    basic = (token_call.header("authorization") or "").removeprefix("Basic ")
    pair = base64.b64decode(basic).decode()
    assert (
        leaks(home, [result.stdout + result.stderr], SECRET, basic, pair, pair.split(":", 1)[1])
        == []
    )


def test_an_echoed_sign_in_token_is_masked(home: Path, files: tuple[Path, Path]) -> None:
    pdf, spec = files
    saypdf = SayPdfFake()
    saypdf.start()
    try:
        env = {
            **saypdf.env(),
            "SEALBOX_SAYPDF_API_KEY": "",
            "SEALBOX_SAYPDF_EMAIL": saypdf.email,
            "SEALBOX_SAYPDF_PASSWORD": saypdf.password,
        }
        saypdf.fail_next("POST", "/esign/documents", echo)
        result = run_sealbox(
            "send", str(pdf), "--spec", str(spec), "--provider", "saypdf", env_extra=env
        )
        tokens = sorted(saypdf.tokens)
    finally:
        saypdf.stop()
    assert result.returncode == 1, result.stderr
    assert "•••" in result.stderr  # the echo came through, masked
    assert len(tokens) == 1  # it signed in, then sent the token that came back
    assert leaks(home, [result.stdout + result.stderr], tokens[0], saypdf.password) == []


@pytest.mark.parametrize("bad", ["\n", "\r", "\x1b", "\t", "\x7f"])
def test_a_key_with_a_control_character_is_refused_naming_the_setting(
    bad: str, home: Path, craftkit: CraftkitFake, files: tuple[Path, Path]
) -> None:
    pdf, spec = files
    first, second = "ck_live_first_half_1234", "key_second_half_5678"
    env = {**craftkit.env(), "SEALBOX_CRAFTKIT_API_KEY": f"{first}{bad}{second}"}
    render = craftkit.add_render(pdf.read_bytes())
    result = run_sealbox(
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        render,
        env_extra=env,
    )
    assert result.returncode == 1, result.stderr
    assert "SEALBOX_CRAFTKIT_API_KEY" in result.stderr
    assert result.stderr.count("\n") == 1
    listed = run_sealbox("providers", env_extra=env)
    assert listed.returncode == 0
    assert "SEALBOX_CRAFTKIT_API_KEY" in listed.stdout
    assert not (home / "data" / "crash-reports").exists()
    assert craftkit.received == []  # nothing was sent with it
    outputs = [result.stdout + result.stderr, listed.stdout + listed.stderr]
    assert leaks(home, outputs, first, second) == []


def test_a_key_outside_ascii_is_refused_before_sending(
    home: Path, craftkit: CraftkitFake, files: tuple[Path, Path]
) -> None:
    """A sibling: httpx cannot put it in a header (it was a crash)."""
    pdf, spec = files
    env = {**craftkit.env(), "SEALBOX_CRAFTKIT_API_KEY": "ck_live_plänted_0123456789"}
    render = craftkit.add_render(pdf.read_bytes())
    result = run_sealbox(
        "send",
        str(pdf),
        "--spec",
        str(spec),
        "--provider",
        "craftkit",
        "--render-id",
        render,
        env_extra=env,
    )
    assert result.returncode == 1, result.stderr
    assert "credential contains" in result.stderr
    assert "SEALBOX_CRAFTKIT_API_KEY" in result.stderr
    assert "plänted" not in result.stderr
    assert not (home / "data" / "crash-reports").exists()
