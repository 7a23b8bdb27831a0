"""``sealbox store migrate --to postgresql://…``: this desk's SQLite store moved into the shared
PostgreSQL store, verified, safe to run again, the SQLite file untouched."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pymupdf
import pytest

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Field, FieldType, Recipient, Request, RequestSpec
from app.domain.report import RecipientReport, Report
from app.store.pg import PgDatabase
from app.store.pg_schema import SCHEMA_VERSION
from app.store.postgres import PostgresStore
from app.store.records import ArchivedFile, FieldValue, RequestFilter
from app.store.runs import NewRow, Run
from tests.conftest import run_sealbox
from tests.support import pgserver

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
TABLES = [
    "requests",
    "recipients",
    "fields",
    "anchors",
    "events",
    "outbox",
    "archive_files",
    "verifications",
    "templates",
    "drafts",
    "runs",
    "run_rows",
    "webhook_deliveries",
    "search",
]


def request(n: int, name: str) -> Request:
    spec = RequestSpec(
        name=name,
        message="Please sign",
        recipients=(
            Recipient("Zoë", "Ångström", f"zoe{n}@example.org"),
            Recipient("Bob", "Martin", "bob@example.com", order=2),
        ),
        fields=(
            Field(0, FieldType.SIGNATURE, 1, 72.5, 600.25, 180, 48 / 7),
            Field(1, FieldType.TEXT, 1, 72, 500, 100, 20, label="Title"),
        ),
    )
    return Request(
        id=f"0193c2c3-0000-4aaa-8bbb-{n:012d}", provider="local", spec=spec, created_at=T0
    )


def fill_the_desk(ctx: Context, tmp_path: Path) -> list[Request]:
    """Something in every table of this desk's store."""
    store = ctx.store
    made = [request(n, name) for n, name in enumerate(["Lease Café", "Charter", "Loan"])]
    for n, r in enumerate(made):
        store.requests.add(r, f"key-{n}")
    store.outbox.start_sending(made[0].id, 4242)
    store.outbox.mark_done(made[0].id, Report(status=Status.SENT, provider_id="p-0"))
    store.requests.apply_report(
        made[0].id,
        Report(
            status=Status.COMPLETED,
            recipients=(RecipientReport(0, signed_at=T0 + timedelta(hours=1)),),
            payload={"status": "completed", "raw": [1, 2]},
        ),
    )
    store.requests.set_field_values(made[0].id, {0: FieldValue(None, b"\x89PNG ink")})
    signed = ArchivedFile("signed", "signed.pdf", "a" * 64, 12345, T0 + timedelta(hours=2))
    store.archive.record(made[0].id, "2026/02/Lease", [signed], "the indemnity clause")
    store.verifications.record(made[0].id, "valid", "CN=Sealbox", "Signature valid", T0)
    store.templates.save("Lease", made[0].spec, [(612.0, 792.0)])
    pdf = tmp_path / "draft.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(pdf)
    draft_id = store.drafts.new_id()
    digest = store.drafts.copy_document(draft_id, pdf)
    store.drafts.add(
        draft_id,
        source=pdf,
        sha256=digest,
        page_count=1,
        provider="local",
        render_id=None,
        spec=made[1].spec,
    )
    run = Run(
        "run-1", "Leases", "local", None, {"name": "x"}, "d.pdf", "b" * 64, "s.csv", "running", T0
    )
    store.runs.add(run, [NewRow(1, {"recipients": []}, "row-key-1"), NewRow(2, {}, "row-key-2")])
    store.runs.link("run-1", 1, made[2].id)
    store.webhook_deliveries.first_delivery("saypdf", "delivery-1")
    return made


@pytest.fixture
def desk(home: Path, tmp_path: Path) -> tuple[Path, list[Request]]:
    """A desk's store with something in every table, closed; its file's path."""
    ctx = Context.from_environment()
    made = fill_the_desk(ctx, tmp_path)
    path = ctx.paths.database
    ctx.close()
    return path, made


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in TABLES
        }


def sqlite_counts(path: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
    finally:
        conn.close()


def test_the_desk_moves_whole_and_verified_and_its_file_is_untouched(
    desk: tuple[Path, list[Request]], pg_url: str, tmp_path: Path
) -> None:
    path, made = desk
    before = file_hash(path)
    done = run_sealbox("store", "migrate", "--to", pg_url)
    assert done.returncode == 0, done.stderr
    assert "into the shared store, the database t_" in done.stdout
    for table in ("requests", "events", "archive_files", "templates", "drafts", "run_rows"):
        assert f"  {table} " in done.stdout
    assert "DIFFERS" not in done.stdout and "In conflict" not in done.stdout
    assert done.stdout.rstrip().endswith(f"The store on this desk was not changed ({path}).")
    assert file_hash(path) == before
    assert counts(pg_url) == sqlite_counts(path)

    shared = PostgresStore(PgDatabase(pg_url), tmp_path / "drafts")
    try:
        for r in made:
            moved = shared.requests.get(r.id)
            assert moved.spec == r.spec
        first = shared.requests.get(made[0].id)
        assert first.status == Status.COMPLETED and first.provider_id == "p-0"
        assert shared.requests.field_values(made[0].id) == {0: FieldValue(None, b"\x89PNG ink")}
        assert {"status": "completed", "raw": [1, 2]} in [
            e.payload for e in shared.requests.events(made[0].id)
        ]
        assert shared.search.matches("indemnity") == [made[0].id]
        assert shared.search.matches("cafe") == [made[0].id]
        assert shared.search.count(RequestFilter(search="zoe0")) == 1
        assert shared.archive.files(made[0].id)[0].sha256 == "a" * 64
        assert shared.verifications.all()[made[0].id].state == "valid"
        assert shared.templates.names() == ["Lease"]
        assert [d.spec for d in shared.drafts.all()] == [made[1].spec]
        assert shared.runs.run_of(made[2].id) == ("run-1", 1)
        assert shared.outbox.request_for_key("key-1") == made[1].id
        assert not shared.webhook_deliveries.first_delivery("saypdf", "delivery-1")
    finally:
        shared.close()


def test_running_it_again_doubles_nothing(desk: tuple[Path, list[Request]], pg_url: str) -> None:
    path, _ = desk
    assert run_sealbox("store", "migrate", "--to", pg_url).returncode == 0
    after_first = counts(pg_url)
    again = run_sealbox("store", "migrate", "--to", pg_url, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["verified"] is True and report["conflicts"] == []
    assert {name: t["copied"] for name, t in report["tables"].items()} == dict.fromkeys(
        report["tables"], 0
    )
    assert report["tables"]["requests"]["alreadyThere"] == 3
    assert report["tables"]["events"]["alreadyThere"] == sqlite_counts(path)["events"]
    assert counts(pg_url) == after_first


def test_a_request_changed_in_the_shared_store_is_reported_not_overwritten(
    desk: tuple[Path, list[Request]], pg_url: str
) -> None:
    path, made = desk
    assert run_sealbox("store", "migrate", "--to", pg_url).returncode == 0
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE requests SET status = 'cancelled' WHERE id = %s", [made[1].id])
        conn.execute("UPDATE templates SET spec_json = '{}'")
    with psycopg.connect(pg_url) as conn:
        conn.execute("DELETE FROM run_rows")  # lost on the shared store: copied again
    before = file_hash(path)
    again = run_sealbox("store", "migrate", "--to", pg_url)
    assert again.returncode == 1
    assert (
        f"  In conflict: requests {made[1].id} is different in the shared store; it was kept "
        "as it is there and not copied."
    ) in again.stdout
    assert "  In conflict: templates lease is different in the shared store" in again.stdout
    assert "2 rows were not copied (listed above): check them." in again.stdout
    assert "DIFFERS" not in again.stdout
    with psycopg.connect(pg_url) as conn:
        status = conn.execute("SELECT status FROM requests WHERE id = %s", [made[1].id])
        assert status.fetchall() == [("cancelled",)]
        assert conn.execute("SELECT count(*) FROM run_rows").fetchall() == [(2,)]
    assert file_hash(path) == before


def test_a_wrong_password_is_said_plainly(
    desk: tuple[Path, list[Request]], pg_server: pgserver.PgServer, pg_url: str
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    done = run_sealbox("store", "migrate", "--to", pg_server.url(name, password="wrong-pw"))
    assert done.returncode == 1
    assert done.stderr == (
        f"sealbox: The PostgreSQL server refused the password of postgres for the database "
        f"{name} on 127.0.0.1:{pg_server.port}: check the user name and password.\n"
    )


def test_an_unreachable_server_is_said_plainly(desk: tuple[Path, list[Request]]) -> None:
    port = pgserver._free_port()
    done = run_sealbox("store", "migrate", "--to", f"postgresql://me:pw@127.0.0.1:{port}/office")
    assert done.returncode != 0
    assert done.stderr == (
        f"sealbox: Cannot reach the database office on 127.0.0.1:{port}: check the address and "
        "that the server is running (and that this computer may connect to it).\n"
    )


def test_a_newer_shared_store_is_refused_and_left_alone(
    desk: tuple[Path, list[Request]], pg_url: str
) -> None:
    PgDatabase(pg_url).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE schema_version SET version = %s", [SCHEMA_VERSION + 1])
    done = run_sealbox("store", "migrate", "--to", pg_url)
    assert done.returncode == 1
    assert "was made by a newer Sealbox" in done.stderr
    assert done.stderr.rstrip().endswith("update Sealbox to use it. It was not changed.")
    assert counts(pg_url)["requests"] == 0


def test_a_user_without_rights_is_told_whom_to_ask(
    desk: tuple[Path, list[Request]], pg_server: pgserver.PgServer, pg_url: str
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE desk LOGIN PASSWORD 'desk-pw'")
    try:
        done = run_sealbox(
            "store", "migrate", "--to", pg_server.url(name, user="desk", password="desk-pw")
        )
        assert done.returncode == 1
        assert done.stderr == (
            f"sealbox: desk has no right to create or change Sealbox's tables in the database "
            f"{name} on 127.0.0.1:{pg_server.port}: ask the database's administrator to make "
            "that user the database's owner.\n"
        )
    finally:
        with psycopg.connect(pg_server.socket_url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            conn.execute("DROP ROLE desk")


def test_an_address_that_is_not_postgresql_is_refused(desk: tuple[Path, list[Request]]) -> None:
    done = run_sealbox("store", "migrate", "--to", "/mnt/share/sealbox.db")
    assert done.returncode == 1
    assert done.stderr == (
        "sealbox: Give the shared store's address after --to, starting with postgresql:// "
        "(for example postgresql://sealbox@server/sealbox).\n"
    )
