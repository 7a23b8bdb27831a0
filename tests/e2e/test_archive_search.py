"""``sealbox archive search``: the number of matches first, then one page of them
(``--limit``, ``--offset``), and a start-up that loads only what a search needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, RecipientState, Request, RequestSpec
from app.store.records import ArchivedFile
from tests.conftest import ROOT, run_sealbox

START = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def archive(ctx: Context, n: int, text: str) -> Request:
    """An archived request (as ``archive reindex`` stores one) whose signed PDF reads ``text``."""
    recipients = (Recipient("Jane", "Doe", f"jane{n}@example.com"),)
    spec = RequestSpec(
        name=f"Charter {n:02d}",
        recipients=recipients,
        fields=(Field(0, FieldType.SIGNATURE, 1, 72, 600, 160, 48),),
    )
    created = START + timedelta(days=n)
    request = Request(
        id=str(uuid.uuid4()),
        provider="local",
        spec=spec,
        status=Status.COMPLETED,
        provider_id=None,
        created_at=created,
        sent_at=created,
        completed_at=created + timedelta(hours=1),
        updated_at=created + timedelta(hours=1),
        recipients=[RecipientState(signed_at=created + timedelta(hours=1))],
    )
    folder = f"2025/06/Charter {n:02d} {request.id[:8]}"
    ctx.requests.restore(request, [])
    ctx.store.archive.record(
        request.id,
        folder,
        [
            ArchivedFile("signed", f"{folder}/Charter-signed.pdf", "a" * 64, 1000, created),
        ],
        f"Charter {n:02d}\n{text}",
    )
    return request


@pytest.fixture
def store(home: Path) -> Iterator[Context]:
    ctx = Context.from_environment()
    yield ctx
    ctx.close()


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` with the environment ``run_sealbox`` gives the command."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def search(*args: str) -> Any:
    result = run_sealbox("archive", "search", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if "--json" in args else result.stdout


def test_the_count_comes_first_then_a_page(store: Context) -> None:
    made = [archive(store, n, "the charterer shall return the vessel") for n in range(5)]
    archive(store, 9, "a quinquennial survey")
    everything = search("vessel", "--json")
    assert (everything["total"], everything["limit"], everything["offset"]) == (5, 50, 0)
    ranked = [s["id"] for s in everything["signatures"]]
    assert sorted(ranked) == sorted(r.id for r in made)
    assert everything["signatures"][0]["archive"]["files"]["signed"]["sha256"] == "a" * 64

    pages = [search("vessel", "--limit", "2", "--offset", str(o), "--json") for o in (0, 2, 4)]
    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (5, 2, 0),
        (5, 2, 2),
        (5, 2, 4),
    ]
    assert [s["id"] for p in pages for s in p["signatures"]] == ranked  # each once, in order
    assert search("vessel", "--offset", "5", "--json")["signatures"] == []

    text = search("vessel", "--limit", "2", "--offset", "2").splitlines()
    assert text[0] == "5 documents match; showing 3–4."
    assert [line.split()[0] for line in text[1:5:2]] == [rid[:8] for rid in ranked[2:4]]
    assert text[-1] == "More: sealbox archive search vessel --offset 4"
    last = search("vessel", "--offset", "4").splitlines()
    assert last[0] == "5 documents match; showing 5–5." and not last[-1].startswith("More")
    assert search("vessel", "--offset", "7").splitlines() == [
        "5 documents match; none after number 5 (--offset 7 is past the last one)."
    ]
    assert search("quinquennial").splitlines()[0] == "1 document matches; showing 1–1."
    assert search("sprockets").strip() == "No match."
    assert search("sprockets", "--json") == {"total": 0, "limit": 50, "offset": 0, "signatures": []}


def test_fifty_are_shown_unless_told_otherwise(store: Context) -> None:
    with store.database.write():
        for n in range(60):
            archive(store, n, "agreement")
    found = search("agreement", "--json")
    assert found["total"] == 60 and len(found["signatures"]) == 50
    assert len(search("agreement", "--limit", "60", "--json")["signatures"]) == 60
    text = search("agreement").splitlines()
    assert text[0] == "60 documents match; showing 1–50."
    assert text[-1] == "More: sealbox archive search agreement --offset 50"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "--limit must be 1 or more."),
        (["--offset", "-1"], "--offset must be 0 or more."),
    ],
)
def test_a_bad_page_is_refused(home: Path, args: list[str], message: str) -> None:
    result = run_sealbox("archive", "search", "vessel", *args)
    assert result.returncode == 1
    assert result.stderr.strip() == f"sealbox: {message}"


def test_a_search_loads_no_network_pdf_signing_or_window_library(store: Context) -> None:
    archive(store, 1, "the charterer shall return the vessel")
    probe = (
        "import atexit, runpy, sys\n"
        "heavy = ('httpx', 'pyhanko', 'pymupdf', 'PySide6', 'qasync', 'keyring', "
        "'sqlite_utils', 'asyncio', 'cryptography')\n"
        "atexit.register(lambda: print('LOADED', sorted({m.split('.')[0] for m in "
        "sys.modules if m.split('.')[0] in heavy}), file=sys.stderr))\n"
        "sys.argv = ['sealbox', 'archive', 'search', 'vessel']\n"
        "runpy.run_module('app.cli', run_name='__main__')\n"
    )
    result = run_python(probe)
    assert "1 document matches" in result.stdout, result.stderr
    assert "LOADED []" in result.stderr
