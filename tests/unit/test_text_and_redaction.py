"""The helpers every output goes through: escaping for the terminal, cutting long messages,
sizes in one unit, and the one redaction place (escaped forms, Basic auth, a secret across the
cut)."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from pathlib import Path

import pytest

from app.domain.text import clip, format_size, printable, shown
from app.errors import UserError
from app.logs import (
    MASK,
    RedactingFilter,
    configure,
    redact,
    register_credentials,
    register_secret,
    scrub,
)
from app.providers.errors import InvalidRequestError
from app.secrets import KeyringSecrets
from app.store.records import stored_payload, stored_text


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("plain Élan — 東京 ✓", "plain Élan — 東京 ✓"),
        ("a\x1b[31mred\x07", "a\\x1b[31mred\\x07"),
        ("line\r\nnext\ttab", "line\\r\\nnext\\ttab"),
        ("abc\u202efdp.exe", "abc\\u202efdp.exe"),
        ("\u2066iso\u2069 \u200f", "\\u2066iso\\u2069 \\u200f"),
        ("del\x7f c1\x85", "del\\x7f c1\\x85"),
        ("sep\u2028para\u2029", "sep\\u2028para\\u2029"),
        ("bad\udcff byte", "bad\\udcff byte"),
        ("family \U0001f468\u200d\U0001f469", "family \U0001f468\u200d\U0001f469"),  # ZWJ kept
    ],
)
def test_printable_escapes_what_steers_a_terminal(raw: str, seen: str) -> None:
    assert printable(raw) == seen


def test_clip_and_shown() -> None:
    assert clip("short") == "short"
    cut = clip("é" * 3000, 2000)
    assert cut == "é" * 2000 + "… [cut, 2,000 bytes]"
    assert shown("0000dead") == "'0000dead'"
    long = shown("a" * 60_000)
    assert long.endswith("… (60,000 characters)'") and len(long) < 120
    assert shown("it's\n") == '"it\'s\\n"'


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (1023, "1,023 bytes"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (20 * 1024 * 1024, "20 MiB"),
        (20 * 1024 * 1024 + 1, "20.1 MiB"),
        (28_992_550, "27.7 MiB"),
        (5 * 1024**3, "5 GiB"),
        (1024**2 - 1, "1 MiB"),
    ],
)
def test_sizes_read_in_one_unit(size: int, text: str) -> None:
    assert format_size(size) == text


def test_every_escaped_form_of_a_secret_is_masked() -> None:
    secret = "sk_Über/Key+Value==0042"
    register_secret(secret)
    for form in (
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
    ):
        assert redact(f"echo <{form}> done") == f"echo <{MASK}> done", form


def test_basic_auth_and_both_halves_are_masked() -> None:
    pair = "client-7781:cs_the_client_secret_42"
    header = "Basic " + base64.b64encode(pair.encode()).decode()
    register_credentials(header)
    text = redact(f"got {header}; user:pass={pair}; secret cs_the_client_secret_42")
    assert "cs_the_client_secret_42" not in text and "client-7781" not in text
    assert base64.b64encode(pair.encode()).decode() not in text


def test_scrub_cuts_and_never_leaves_part_of_a_secret_at_the_cut() -> None:
    secret = "tok_" + "q" * 40
    register_secret(secret)
    text = "x" * 1990 + secret + "y" * 10_000
    out = scrub(text, 2000)
    assert "qqqqq" not in out and out.startswith("x" * 1990)
    assert out.endswith(" bytes]") and "[cut, " in out


def test_errors_and_the_store_keep_no_secret_and_nothing_huge() -> None:
    register_secret("sk_live_in_an_error_123")
    assert "sk_live" not in UserError("bad key sk_live_in_an_error_123").message
    error = InvalidRequestError("refused: " + "m" * 100_000)
    assert len(error.message) < 4100 and "[cut, " in error.message
    assert stored_text(None) is None
    assert len(stored_text("e" * 1_000_000) or "") < 4100
    payload = json.loads(stored_payload({"note": "sk_live_in_an_error_123", "big": "b" * 10**6}))
    assert payload["cut"] > 10**6 and "sk_live" not in payload["start"]


def test_the_log_filter_cuts_and_the_log_takes_any_name(tmp_path: Path) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%s", ("w" * 100_000,), None)
    RedactingFilter().filter(record)
    assert len(record.getMessage()) < 8100
    configure(tmp_path / "logs")
    logging.getLogger("sealbox.test").warning("file %s refused", "\udcff.pdf")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "\\udcff.pdf refused" in (tmp_path / "logs" / "sealbox.log").read_text("utf-8")


@pytest.mark.parametrize("value", ["ck_live_a\nb", "ck\r", "\x1bck", "ck\x85x"])
def test_a_secret_with_a_control_character_is_refused_naming_the_setting(value: str) -> None:
    store = KeyringSecrets({"SEALBOX_CRAFTKIT_API_KEY": value})
    with pytest.raises(UserError, match="SEALBOX_CRAFTKIT_API_KEY") as info:
        store.get("craftkit.api_key")
    assert "ck_live_a" not in info.value.message


def test_a_sentence_about_a_secret_is_not_masked_but_a_credential_is() -> None:
    sentence = "Signicat needs an API client id and secret: run `sealbox login signicat`."
    assert redact(sentence) == sentence
    assert "s3cr3t-value" not in redact('{"client_secret": "s3cr3t-value"}')
    assert "abcdefghijklmnopqrstuv" not in redact("token=abcdefghijklmnopqrstuv")


def test_an_error_keeps_its_app_wording_when_nothing_is_masked() -> None:
    from app.wording import Alt, Text

    error = UserError(Text("Could not go on: ", Alt("pass --force", "tick Force"), "."))
    assert error.message == "Could not go on: pass --force."
    assert error.for_app() == "Could not go on: tick Force."
