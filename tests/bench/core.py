"""Core benchmarks of the real ``sealbox`` command; prints its figures, asserts nothing.

Run on demand (pytest ignores ``tests/bench``)::

    uv run python -m tests.bench.core

Like the end-to-end tests (``tests/conftest.py``), everything runs with a temporary
``SEALBOX_HOME`` and a file-backed keyring (``PYTHON_KEYRING_BACKEND`` =
``tests.support.filekeyring.FileKeyring``, ``SEALBOX_TEST_KEYRING``), and the command is run as
``python -m app.cli`` in a subprocess. It measures:

1. a cold ``sealbox --version``;
2. ``send``, the first signer's ``sign`` and the last signer's ``sign`` (which stamps, seals,
   builds the certificate and archives) for a 20-page and a 200-page PDF;
3. ``archive search`` over 10,000 archived requests written straight into the store, through
   the command (its first page of 50, with the count) against a floor (a bare Python process
   running the same two queries through sqlite3), and in process.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import keyring
import pymupdf

from app.archive import reindex
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, RecipientState, Request, RequestSpec
from app.store.records import ArchivedFile, Event
from tests.support.filekeyring import FileKeyring

ROOT = Path(__file__).resolve().parent.parent.parent

VERSION_RUNS = 10
FLOW_RUNS = 3
FLOW_PAGES = (20, 200)
ARCHIVED_REQUESTS = 10_000
BATCH = 1_000
REAL_PATH_SLICE = 200  # requests written through the unchanged API, first and last
SEARCH_CLI_RUNS = 5
SEARCH_INPROCESS_RUNS = 20
SEED = 20240605

RARE_WORD = "quinquennial"  # put into the text of only a handful of documents
RARE_DOCUMENTS = 7
COMMON_WORD = "agreement"  # in the text of every document


def _words(text: str) -> list[str]:
    return text.split()


LOREM = _words(
    "the parties agree that this agreement sets out the whole understanding between them "
    "concerning its subject matter and supersedes every earlier proposal statement or "
    "arrangement whether written or oral each party confirms that it has not relied on any "
    "representation that is not expressly set out in this document notices shall be given in "
    "writing to the address stated above and take effect on receipt payment is due within "
    "thirty days of the invoice date and late payment bears interest at the statutory rate "
    "the charterer shall return the vessel in the same good order and condition as when "
    "delivered fair wear and tear excepted the owner shall maintain insurance for hull and "
    "machinery protection and indemnity throughout the charter period"
)

FIRST_NAMES = _words(
    "Ada Alan Grace Linus Margaret Ken Barbara Dennis Frances Edsger Radia John Hedy Tim Anita "
    "Vint Katherine Donald Sophie Niklaus Joan Guido Mary Bjarne Hannah Leslie Adele Claude "
    "Shafi Ivan Lynn Butler Jean Yukihiro Karen Dorothy Seymour Annie Charles Evelyn"
)
LAST_NAMES = _words(
    "Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Allen Dijkstra Perlman "
    "McCarthy Lamarr Berners-Lee Borg Cerf Johnson Knuth Wilson Wirth Clarke Rossum Keller "
    "Stroustrup Fry Lamport Goldberg Shannon Goldwasser Sutherland Conway Lampson Sammet "
    "Matsumoto Jones Vaughan Papert Easley Babbage Berezin"
)
DOMAINS = ("example.com", "acme-shipping.test", "harbour.example", "marina.test", "law.example")
SUBJECTS = (
    "Charter handover",
    "Crew contract",
    "Berth lease",
    "Fuel supply agreement",
    "Insurance declaration",
    "Sale and purchase",
    "Maintenance order",
    "Non-disclosure",
    "Service level agreement",
    "Equipment rental",
)


# --- environment and subprocesses -------------------------------------------------------------


def isolate(home: Path, keyring_file: Path) -> None:
    """Set this process's environment as the ``home`` fixture of ``tests/conftest.py`` does."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["SEALBOX_HOME"] = str(home)
    os.environ["SEALBOX_TEST_KEYRING"] = str(keyring_file)
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.filekeyring.FileKeyring"
    for name in list(os.environ):
        if name.startswith("SEALBOX_") and name not in ("SEALBOX_HOME", "SEALBOX_TEST_KEYRING"):
            del os.environ[name]
    keyring.set_keyring(FileKeyring())


#: Where the subprocesses keep their compiled bytecode (set by :func:`main`). An installed app
#: has its ``.pyc`` files; without them every command first compiles Sealbox and its
#: dependencies from source, which would dominate some figures.
PYCACHE: dict[str, str] = {}


def sealbox(
    *args: str, bytecode_cache: bool = True, timeout: float = 300
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run the real command as ``run_sealbox`` in the tests does; (wall seconds, result).

    With ``bytecode_cache`` the subprocess reads and writes ``.pyc`` files under the benchmark's
    temporary folder (``PYTHONPYCACHEPREFIX``); without it, it writes none
    (``PYTHONDONTWRITEBYTECODE=1``). A failing command stops the benchmark with its stderr."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("SEALBOX_CRASH_AT", None)
    if bytecode_cache and PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = PYCACHE["prefix"]
    else:
        env.pop("PYTHONPYCACHEPREFIX", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"`sealbox {' '.join(args)}` failed with exit code {result.returncode}:\n"
            f"{result.stderr}{result.stdout[-2000:]}"
        )
    return elapsed, result


def sealbox_json(*args: str) -> tuple[float, dict[str, Any]]:
    elapsed, result = sealbox(*args, "--json")
    data: dict[str, Any] = json.loads(result.stdout)
    return elapsed, data


# --- figures ------------------------------------------------------------------------------------


@dataclass
class Summary:
    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def print(self) -> None:
        width = max(len(label) for label, _ in self.rows)
        vwidth = max(len(value) for _, value in self.rows)
        rule = "-" * (width + vwidth + 3)
        print(f"\n{'SUMMARY':<{width}}   {'value':>{vwidth}}")
        print(rule)
        for label, value in self.rows:
            print(f"{label:<{width}}   {value:>{vwidth}}")
        print(rule)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def size_text(size: int) -> str:
    return f"{size / 1024:,.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.2f} MiB"


def spread(samples: Sequence[float]) -> str:
    return ", ".join(ms(s) for s in samples)


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)), flush=True)


@contextlib.contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    print(f"  {label}: {ms(time.perf_counter() - start)}", flush=True)


# --- 1. cold start ------------------------------------------------------------------------------


def bench_version(summary: Summary) -> None:
    section(f"1. cold `sealbox --version` ({VERSION_RUNS} runs)")
    sealbox("--version")  # fills the bytecode cache
    samples = []
    for _ in range(VERSION_RUNS):
        elapsed, result = sealbox("--version")
        samples.append(elapsed)
    print(f"  output: {result.stdout.strip()}")
    print(f"  runs:   {spread(samples)}")
    print(f"  median {ms(statistics.median(samples))}, min {ms(min(samples))}")
    summary.add("--version median", ms(statistics.median(samples)))
    summary.add("--version min", ms(min(samples)))

    # The same, and a command that imports the store and PyMuPDF, without a bytecode cache
    # (what a checkout run with PYTHONDONTWRITEBYTECODE=1 pays on every command).
    nocache = [sealbox("--version", bytecode_cache=False)[0] for _ in range(VERSION_RUNS)]
    sealbox("list", "--json")
    listing = [sealbox("list", "--json")[0] for _ in range(FLOW_RUNS)]
    listing_nocache = [sealbox("list", "--json", bytecode_cache=False)[0] for _ in range(FLOW_RUNS)]
    print(
        f"  without bytecode cache: --version median {ms(statistics.median(nocache))}; "
        f"`sealbox list --json` (empty store) median {ms(statistics.median(listing))} with, "
        f"{ms(statistics.median(listing_nocache))} without"
    )
    summary.add("--version median, no bytecode cache", ms(statistics.median(nocache)))
    summary.add(
        "list --json (empty) median, with / without bytecode cache",
        f"{ms(statistics.median(listing))} / {ms(statistics.median(listing_nocache))}",
    )


# --- 2. send, sign, seal ------------------------------------------------------------------------


def paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(LOREM) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def make_contract(path: Path, pages: int, rng: random.Random) -> None:
    """``pages`` Letter pages with a heading and a paragraph each; the anchor on the last."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=612, height=792)
        page.insert_text((72, 72), f"Charter agreement BK-{pages}-{number}", fontsize=16)
        page.insert_textbox(pymupdf.Rect(72, 100, 540, 560), paragraph(rng, 180), fontsize=11)
        page.insert_text((72, 760), f"Page {number} of {pages}", fontsize=9)
        if number == pages:
            page.insert_text((72, 620), "Signed for the owner: {{sign_here}}", fontsize=11)
    doc.save(path, garbage=3, deflate=True)
    doc.close()


def flow_spec(pages: int) -> dict[str, Any]:
    def signer(first: str, last: str, order: int) -> dict[str, Any]:
        return {
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}@example.com",
            "designation": "Signer",
            "order": order,
        }

    def box(recipient: int, x: float) -> dict[str, Any]:
        return {
            "recipientIndex": recipient,
            "type": "signature",
            "page": 1,
            "x": x,
            "y": 620,
            "width": 200,
            "height": 50,
        }

    return {
        "version": 1,
        "name": f"Benchmark contract — {pages} pages",
        "expirationHours": 168,
        "recipients": [signer("Jane", "Doe", 1), signer("Bob", "Roe", 2)],
        "fields": [box(0, 72), box(1, 320)],
        "anchorTags": [
            {
                "anchorString": "{{sign_here}}",
                "type": "signature",
                "recipientIndex": 1,
                "width": 180,
                "height": 48,
            }
        ],
    }


@dataclass
class FlowTimes:
    send: float
    first: float
    last: float
    signed_size: int
    certificate_size: int


def run_flow(pdf: Path, spec: Path) -> FlowTimes:
    t_send, sent = sealbox_json("send", str(pdf), "--spec", str(spec))
    rid = sent["id"]
    t_first, first = sealbox_json("sign", rid, "--recipient", "0", "--typed-signature", "Jane Doe")
    t_last, done = sealbox_json("sign", rid, "--recipient", "1", "--typed-signature", "Bob Roe")
    if first["status"] != "viewed" or done["status"] != "completed":
        raise SystemExit(f"unexpected statuses: {first['status']}, {done['status']}")
    files = done["archive"]["files"]
    return FlowTimes(
        t_send,
        t_first,
        t_last,
        Path(files["signed"]["path"]).stat().st_size,
        Path(files["certificate"]["path"]).stat().st_size,
    )


def bench_flow(work: Path, summary: Summary) -> None:
    section(f"2. send + sign + seal (median of {FLOW_RUNS} per size)")
    rng = random.Random(SEED)
    pdfs: dict[int, tuple[Path, Path]] = {}
    for pages in FLOW_PAGES:
        pdf = work / f"contract-{pages}.pdf"
        spec = work / f"contract-{pages}.json"
        make_contract(pdf, pages, rng)
        spec.write_text(json.dumps(flow_spec(pages)), encoding="utf-8")
        pdfs[pages] = (pdf, spec)
        print(f"  generated {pdf.name}: {pages} pages, {size_text(pdf.stat().st_size)}")

    # The first seal of an installation generates its CA and seal certificate: measured apart,
    # so it does not skew the first run of the first size.
    warm = run_flow(*pdfs[FLOW_PAGES[0]])
    print(
        f"  warm-up ({FLOW_PAGES[0]} pages; the first seal creates the installation certificate, "
        f"and the commands fill the bytecode cache): send {ms(warm.send)}, sign first "
        f"{ms(warm.first)}, sign last {ms(warm.last)}"
    )
    summary.add(
        f"warm-up last sign, {FLOW_PAGES[0]} pages (creates seal certificate)", ms(warm.last)
    )

    print(
        f"\n  {'pages':>5}  {'send':>9}  {'sign (1st)':>10}  {'sign (last)':>11}  "
        f"{'signed PDF':>11}  {'original':>10}  {'certificate':>11}"
    )
    for pages in FLOW_PAGES:
        pdf, spec = pdfs[pages]
        runs = [run_flow(pdf, spec) for _ in range(FLOW_RUNS)]
        send = statistics.median(r.send for r in runs)
        first = statistics.median(r.first for r in runs)
        last = statistics.median(r.last for r in runs)
        signed = int(statistics.median(r.signed_size for r in runs))
        cert = int(statistics.median(r.certificate_size for r in runs))
        print(
            f"  {pages:>5}  {ms(send):>9}  {ms(first):>10}  {ms(last):>11}  "
            f"{size_text(signed):>11}  {size_text(pdf.stat().st_size):>10}  "
            f"{size_text(cert):>11}"
        )
        print(
            f"         runs: send [{spread([r.send for r in runs])}]; "
            f"first [{spread([r.first for r in runs])}]; "
            f"last [{spread([r.last for r in runs])}]",
            flush=True,
        )
        summary.add(f"send, {pages} pages (median)", ms(send))
        summary.add(f"sign first signer, {pages} pages (median)", ms(first))
        summary.add(f"sign last signer + seal + archive, {pages} pages (median)", ms(last))
        summary.add(f"signed PDF size, {pages} pages", size_text(signed))


# --- 3. archive search --------------------------------------------------------------------------


def person(i: int) -> Recipient:
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    last = LAST_NAMES[(i * 7 + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
    domain = DOMAINS[i % len(DOMAINS)]
    email = f"{first.lower()}.{last.lower()}{i}@{domain}"
    return Recipient(first, last, email)


def synthetic_request(
    rng: random.Random, n: int, pool: list[Recipient], vocabulary: list[str]
) -> tuple[Request, list[Event], str]:
    rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    chosen = rng.sample(pool, rng.randint(1, 3))
    recipients = tuple(
        Recipient(r.first_name, r.last_name, r.email, order=i + 1) for i, r in enumerate(chosen)
    )
    fields = tuple(
        Field(i, FieldType.SIGNATURE, 1, 72 + 180 * i, 600, 160, 48) for i in range(len(recipients))
    )
    name = f"{rng.choice(SUBJECTS)} — {rng.choice(LAST_NAMES)} {1000 + n}"
    spec = RequestSpec(name=name, recipients=recipients, fields=fields)
    created = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=n * 37)
    sent = created + timedelta(minutes=1)
    done = created + timedelta(hours=rng.randint(1, 200))
    states = [
        RecipientState(
            provider_recipient_id=f"{rid}:{i}",
            viewed_at=sent,
            signed_at=done - timedelta(minutes=len(recipients) - i),
        )
        for i in range(len(recipients))
    ]
    request = Request(
        id=rid,
        provider="local",
        spec=spec,
        status=Status.COMPLETED,
        provider_id=rid,
        created_at=created,
        sent_at=sent,
        completed_at=done,
        updated_at=done,
        document_name=f"contract-{n}.pdf",
        document_sha256=f"{n:064x}",
        page_count=rng.randint(1, 40),
        recipients=states,
    )
    events = [
        Event(created, "queued", "queued", None, "queued for local", None),
        Event(sent, "sent", "sent", None, "queued → sent", {"event": "created"}),
    ]
    events += [
        Event(s.signed_at or done, "signed", None, i, "typed signature", None)
        for i, s in enumerate(states)
    ]
    events.append(Event(done, "completed", "completed", None, "stamped and sealed", None))
    words = [rng.choice(vocabulary) for _ in range(rng.randint(250, 450))]
    words.insert(rng.randrange(len(words)), COMMON_WORD)
    if (
        n % (ARCHIVED_REQUESTS // RARE_DOCUMENTS) == 0
        and n // (ARCHIVED_REQUESTS // RARE_DOCUMENTS) < RARE_DOCUMENTS
    ):
        words.insert(rng.randrange(len(words)), RARE_WORD)
    people = "\n".join(f"{r.name} <{r.email}>" for r in recipients)
    content = f"{name}\n{' '.join(words)}\nCompletion certificate\n{people}\n{rid}"
    return request, events, content


def archived_files(request: Request, directory: str) -> list[ArchivedFile]:
    at = request.completed_at or datetime.now(UTC)
    base = request.name.replace("/", "_")
    return [
        ArchivedFile("signed", f"{directory}/{base}-signed.pdf", "a" * 64, 180_000, at),
        ArchivedFile("certificate", f"{directory}/{base}-certificate.pdf", "b" * 64, 40_000, at),
        ArchivedFile("request", f"{directory}/request.json", "c" * 64, 6_000, at),
    ]


def vocabulary_of(rng: random.Random) -> list[str]:
    """Ordinary contract words plus a few thousand made-up ones, for a realistic FTS index."""
    syllables = _words("ka ri mo ste lan vor pe dun ix tra sol mer ghi qua bel nor fi zu")
    made_up = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4000)
    }
    return LOREM + sorted(made_up - {RARE_WORD, COMMON_WORD})


@dataclass
class Filled:
    total: float
    email: str
    #: Seconds per request through the unchanged Requests.restore + record_archive path, on an
    #: empty store and on a store already holding ARCHIVED_REQUESTS - REAL_PATH_SLICE requests.
    real_first: float
    real_last: float
    #: Seconds per request with the search row written directly (see ``direct_search_rows``).
    direct: float


@contextlib.contextmanager
def direct_search_rows(contents: dict[str, str]) -> Iterator[None]:
    """Write each new request's full-text row in one INSERT, content included.

    ``index_request`` (called by ``Requests.restore``) runs ``DELETE FROM search WHERE
    request_id = ?`` and ``ArchiveIndex.record`` runs ``UPDATE search SET content = ? WHERE
    request_id = ?``;
    ``request_id`` is an UNINDEXED column of the FTS5 table, so both scan the whole table and
    filling it costs O(n²). For a request id that is new, the DELETE matches nothing and the
    UPDATE only sets the content of the row just inserted, so inserting the row with its content
    gives the same database. Everything else goes through the real ``Requests`` methods.
    """

    def index(db: Any, request: Request) -> None:
        people = " ".join(f"{r.name} {r.email}" for r in request.spec.recipients)  # as _index
        db.execute(
            "INSERT INTO search (request_id, name, people, content) VALUES (?, ?, ?, ?)",
            [request.id, request.spec.name, people, contents.pop(request.id)],
        )

    with mock.patch("app.store.requests.index_request", index):
        yield


def fill_store(ctx: Context) -> Filled:
    """Write the synthetic archive: REAL_PATH_SLICE requests through the unchanged API first and
    last (timed), the rest with :func:`direct_search_rows`; BATCH requests per transaction."""
    rng = random.Random(SEED + 1)
    pool = [person(i) for i in range(600)]
    vocabulary = vocabulary_of(rng)
    requests = ctx.requests
    emails: dict[str, int] = {}

    def write(numbers: range, *, direct: bool) -> float:
        start = time.perf_counter()
        contents: dict[str, str] = {}
        for first in range(numbers.start, numbers.stop, BATCH):
            # One transaction: restore/record_archive nest in it as savepoints.
            with (
                ctx.database.write(),
                direct_search_rows(contents) if direct else contextlib.nullcontext(),
            ):
                for n in range(first, min(first + BATCH, numbers.stop)):
                    request, events, content = synthetic_request(rng, n, pool, vocabulary)
                    for r in request.spec.recipients:
                        emails[r.email] = emails.get(r.email, 0) + 1
                    done = request.completed_at or datetime.now(UTC)
                    directory = (
                        f"{done:%Y}/{done:%m}/{done:%Y-%m-%d} {request.name} {request.id[:8]}"
                    )
                    files = archived_files(request, directory)
                    if direct:
                        contents[request.id] = content
                        requests.restore(request, events)
                        ctx.store.archive.record(request.id, directory, files, None)
                    else:
                        requests.restore(request, events)
                        ctx.store.archive.record(request.id, directory, files, content)
            done_n = min(first + BATCH, numbers.stop)
            print(f"    {done_n:>6,} of {ARCHIVED_REQUESTS:,} written", flush=True)
        return (time.perf_counter() - start) / max(1, len(numbers))

    start = time.perf_counter()
    total_n = ARCHIVED_REQUESTS
    real_first = write(range(0, REAL_PATH_SLICE), direct=False)
    # The search rows are keyed by an indexed docid now, so the real path is fast enough for
    # all 10,000 (it was O(n^2) before; direct_search_rows was the work-around).
    direct = write(range(REAL_PATH_SLICE, total_n - REAL_PATH_SLICE), direct=False)
    real_last = write(range(total_n - REAL_PATH_SLICE, total_n), direct=False)
    total = time.perf_counter() - start
    # A recipient with a typical number of requests (the median count).
    counts = sorted(emails.items(), key=lambda kv: (kv[1], kv[0]))
    return Filled(total, counts[len(counts) // 2][0], real_first, real_last, direct)


def median_of(runs: int, action: Callable[[], Any]) -> tuple[float, list[float], Any]:
    samples: list[float] = []
    value: Any = None
    for _ in range(runs):
        start = time.perf_counter()
        value = action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples, value


def bench_search(tmp: Path, keyring_file: Path, summary: Summary) -> None:
    section(f"3. archive search over {ARCHIVED_REQUESTS:,} archived requests")
    isolate(tmp / "home-search", keyring_file)
    ctx = Context.from_environment()
    try:
        print(
            f"  writing {ARCHIVED_REQUESTS:,} synthetic archived requests "
            f"(Requests.restore + record_archive, up to {BATCH:,} per transaction)",
            flush=True,
        )
        filled = fill_store(ctx)
        email = filled.email
        db_size = ctx.paths.database.stat().st_size
        wal = ctx.paths.database.with_name(ctx.paths.database.name + "-wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        print(
            f"  written in {filled.total:.1f} s; database {size_text(db_size)} "
            f"(+ WAL {size_text(wal_size)})"
        )
        print(
            f"  per request, unchanged restore + record_archive: {ms(filled.real_first)} on an "
            f"empty store, {ms(filled.real_last)} with {ARCHIVED_REQUESTS - REAL_PATH_SLICE:,} "
            f"already archived;"
        )
        print(f"  per request, the 9,600 in the middle (real path): {ms(filled.direct)}")
        summary.add(
            f"write {ARCHIVED_REQUESTS:,} archived requests (in process)", f"{filled.total:.1f} s"
        )
        summary.add("  restore+record_archive per request, empty store", ms(filled.real_first))
        summary.add(
            f"  restore+record_archive per request, {ARCHIVED_REQUESTS - REAL_PATH_SLICE:,}"
            " archived",
            ms(filled.real_last),
        )
    finally:
        ctx.close()

    queries = (("rare word", RARE_WORD), ("common word", COMMON_WORD), ("recipient email", email))
    sealbox("archive", "search", RARE_WORD, "--json")  # unmeasured: page cache, bytecode cache
    floor_script = FLOOR_SEARCH.format(database=str(tmp / "home-search" / "data" / "sealbox.db"))
    floor_run(floor_script, RARE_WORD)
    print(
        f"\n  `sealbox archive search TEXT --json` (the first page: 50 documents and the "
        f"count), median of {SEARCH_CLI_RUNS} runs, against the floor: a bare `python -c` "
        "that runs the same count and page queries through sqlite3 and prints the ids:"
    )
    for label, text in queries:

        def cli(text: str = text) -> tuple[int, int]:
            _, data = sealbox_json("archive", "search", text)
            # (A Sealbox before --limit printed every match and no total.)
            return int(data.get("total", len(data["signatures"]))), len(data["signatures"])

        def bare(text: str = text) -> None:
            floor_run(floor_script, text)

        median, samples, (total, shown) = median_of(SEARCH_CLI_RUNS, cli)
        floor, _, _ = median_of(SEARCH_CLI_RUNS, bare)
        print(
            f"    {label:<16} {text!r:<40} {total:>6,} match, {shown:>3} shown  median "
            f"{ms(median):>9} [{spread(samples)}]; floor {ms(floor)}; ratio "
            f"{median / floor:.2f}",
            flush=True,
        )
        summary.add(
            f"archive search CLI, {label} ({total:,} matches, {shown} shown)",
            f"{ms(median)} (floor {ms(floor)}, {median / floor:.2f}x)",
        )

    print(
        f"\n  in process: app.archive.reindex.search(ctx, TEXT), median of "
        f"{SEARCH_INPROCESS_RUNS} runs (one Context, opened before timing):"
    )
    ctx = Context.from_environment()
    try:
        ctx.store.archive.archived_ids()  # open the database outside the timing
        for label, text in queries:

            def query(text: str = text) -> list[str]:
                return reindex.search(ctx, text)

            median, samples, ids = median_of(SEARCH_INPROCESS_RUNS, query)
            print(
                f"    {label:<16} {text!r:<40} {len(ids):>6,} matches  median {ms(median):>9}  "
                f"min {ms(min(samples))}",
                flush=True,
            )
            summary.add(f"archive search in process, {label}", ms(median))
    finally:
        ctx.close()


#: The floor of a search command: Python starting, the same two queries the command runs
#: (count, then the first page of ids), printing the ids.
FLOOR_SEARCH = """
import sqlite3, sys
conn = sqlite3.connect({database!r})
q = '"' + sys.argv[1] + '"*'
m = ("FROM search JOIN search_keys k ON k.docid = search.rowid WHERE search MATCH ? AND EXISTS "
     "(SELECT 1 FROM archive_files a WHERE a.request_id = k.request_id)")
total = conn.execute("SELECT count(*) " + m, [q]).fetchone()[0]
ids = conn.execute("SELECT k.request_id " + m + " ORDER BY search.rank, search.rowid DESC "
                   "LIMIT 50", [q]).fetchall()
print(total, *(i[0] for i in ids))
"""


def floor_run(script: str, text: str) -> None:
    subprocess.run([sys.executable, "-c", script, text], check=True, capture_output=True)


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as name:
        tmp = Path(name)
        keyring_file = tmp / "keyring.json"
        isolate(tmp / "home", keyring_file)
        PYCACHE["prefix"] = str(tmp / "pycache")
        print(
            f"Sealbox benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
            f"PyMuPDF {pymupdf.VersionBind}; temporary home {tmp}"
        )
        print(
            "Commands run as subprocesses with a bytecode cache in the temporary folder "
            "(PYTHONPYCACHEPREFIX), filled by a first unmeasured run, unless said otherwise."
        )
        bench_version(summary)
        bench_flow(tmp, summary)
        bench_search(tmp, keyring_file, summary)
    summary.add("whole benchmark", f"{time.perf_counter() - started:.0f} s")
    summary.print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
