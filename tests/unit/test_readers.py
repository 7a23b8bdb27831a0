"""What other PDF readers show, one sentence per kind of seal (app.archive.readers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from app.archive.readers import seal_kind, seal_sentence, what_other_readers_show
from app.archive.revocation import RevocationFinding
from app.archive.verify import SignatureCheck

WHEN = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)

GOOD = SignatureCheck(
    field_name="SealboxSeal",
    intact=True,
    valid=True,
    trusted=True,
    covers_whole_file=False,
    modified_after=False,
    signer_subject="CN=Sealbox seal",
    signing_time=WHEN,
    summary="signature valid",
    timestamped_at=WHEN,
    trust_source="installation",
)


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("installation", "installation", "until they import this installation's root"),
        ("imported", "office", "your organisation's certificate authority is trusted"),
        ("system", "provider", "Adobe Approved Trust List or the EU Trusted List"),
        (None, "unknown", "unless they already trust the authority"),
    ],
)
def test_each_kind_of_seal_has_its_sentence_with_and_without_a_timestamp(
    source: str | None, kind: str, words: str
) -> None:
    check = replace(GOOD, trust_source=source, trusted=source is not None)  # type: ignore[arg-type]
    assert seal_kind(check) == kind
    with_time = what_other_readers_show(check)
    assert words in with_time
    assert "Adobe Acrobat Reader shows the time from the timestamp authority" in with_time
    assert with_time == seal_sentence(seal_kind(check), True)
    without = what_other_readers_show(replace(check, timestamped_at=None))
    assert words in without
    assert "signer's computer clock" in without
    assert without != with_time


def test_the_four_kinds_say_different_things() -> None:
    sentences = {
        seal_sentence(k, t)
        for k in ("installation", "office", "provider", "unknown")
        for t in (False, True)
    }
    assert len(sentences) == 8


def test_a_broken_or_revoked_signature_is_said_to_be_shown_invalid() -> None:
    modified = replace(GOOD, modified_after=True)
    assert "changed after it was signed" in what_other_readers_show(modified)
    assert "invalid" in what_other_readers_show(replace(GOOD, valid=False))
    revoked = replace(
        GOOD,
        trusted=False,
        revoked=True,
        trust_source=None,
        revocation=RevocationFinding(1, 1, True, dt.datetime(2021, 1, 1, tzinfo=dt.UTC)),
    )
    sentence = what_other_readers_show(revoked)
    assert "revoked" in sentence and "invalid" in sentence
    unreadable = replace(GOOD, kind="unreadable")
    assert "cannot check" in what_other_readers_show(unreadable)


def test_a_document_timestamp_is_said_to_go_unchecked_by_poppler() -> None:
    stamp = replace(GOOD, kind="timestamp", trust_source="timestamp")
    sentence = what_other_readers_show(stamp)
    assert "document timestamp" in sentence
    assert "Okular and pdfsig list it but do not check it" in sentence


def test_an_expired_certificate_is_mentioned() -> None:
    sentence = what_other_readers_show(replace(GOOD, expired_since_signing=True))
    assert "may say the certificate has expired" in sentence


def test_the_revocation_finding_reads_plainly() -> None:
    finding = RevocationFinding(
        1, 0, True, dt.datetime(2021, 1, 1, tzinfo=dt.UTC), "Test Intermediate CA", "a key"
    )
    assert finding.sentence() == (
        "the signer's certificate was revoked on 2021-01-01 by Test Intermediate CA (a key)"
    )
    assert finding.to_json()["revokedAt"] == "2021-01-01T00:00:00Z"
    assert RevocationFinding(0, 0).sentence() is None
