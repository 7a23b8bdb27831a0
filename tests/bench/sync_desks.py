"""Many desks syncing one shared store: throughput with 1 and with 5 desks, and the issue's
many-desks run (5 desks, 1,000 requests, one desk killed -9 in the middle); prints its figures
and the exactly-once checks (it exits 1 when a check fails).

Run on demand (pytest ignores ``tests/bench``; PostgreSQL's programs must be installed: a
throwaway server is started as the tests start theirs)::

    uv run --frozen python -m tests.bench.sync_desks [--requests N] [--only throughput|kill]

Each scenario has a database of its own on the throwaway server, one archive folder and a
Sealbox home per desk (each with its own data folder, so only the store's leases keep the desks
apart), set up, run and checked by ``tests/support/desks.py`` as ``tests/e2e/test_many_desks.py``
does. The requests are sent through Craftkit's loopback fake from two desks at once
(``app.services.send``, the outbox and its keys, as ``sealbox send`` does), then each desk runs
``sealbox sync --json`` again and again, a separate process each, until every request is
archived.

1. Throughput: every request completed at the fake before the desks start; requests archived a
   second (wall time from the first desk's start to the last request archived), with 1 desk and
   with 5.
2. The many-desks run: half the requests completed before the desks start and the rest while
   they work (50 every half second); when a third are archived a fifth desk starts, claims its
   first batch of leases and is killed -9 there (``SEALBOX_PAUSE_AT=lease-claimed``), holding
   them; its desk then syncs again with the four others, and they all leave those requests to
   the dead process until its leases expire (``SEALBOX_STORE_LEASE_S``: 30 s for it, 10 s for
   the others), then take them over.

After each: every request was created once at the fake (no duplicate create), its signed PDF
and certificate downloaded exactly once (counted at the fake), one archive folder each, none
left staged, no lease left (the killed desk's taken over, its requests archived by the others),
and ``sealbox archive verify`` all intact.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psycopg

from tests.bench.core import isolate, section
from tests.fakes.craftkit import CraftkitFake
from tests.support import pgserver
from tests.support.desks import Desks, Office, Run, Victim, exactly_once, store_address

REQUESTS = 1000
#: Every desk's lease (seconds).
LEASE_S = 10
#: The killed desk's lease: long enough for the others' next passes to find its requests held
#: (a pass over 1,000 requests takes tens of seconds), as a desk configured so would.
KILLED_LEASE_S = 30
DEADLINE_S = 1800


def office(root: Path, server: pgserver.PgServer, fake: CraftkitFake, name: str) -> Office:
    """Desks under ``root/name`` sharing a new database ``name`` on ``server``."""
    with psycopg.connect(server.socket_url(), autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    address, secrets = store_address(server.url(name))
    return Office(root / name, address, fake, secrets, lease_s=LEASE_S)


def sent(place: Office, count: int) -> None:
    took = place.send(count)
    print(f"  {count:,} requests sent in {took:.1f} s ({count / took:.1f} a second)", flush=True)


def check(place: Office, count: int, victim: Victim | None) -> list[str]:
    """The exactly-once checks, printed; the failed ones returned."""
    checks = exactly_once(place, count, victim)
    for label, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {label}")
    return [label for label, ok in checks.items() if not ok]


def throughput(
    root: Path, server: pgserver.PgServer, count: int, desks: int
) -> tuple[float, list[str]]:
    with CraftkitFake() as fake:
        place = office(root, server, fake, f"desks{desks}")
        sent(place, count)
        place.complete(fake.envelope_ids())
        running = Desks(place, [f"desk{chr(ord('A') + k)}" for k in range(desks)])
        took = Run(place, running, count, [], deadline_s=DEADLINE_S)()
        rate = count / took
        print(
            f"  {desks} desk(s): {count:,} archived in {took:.1f} s: {rate:.1f} a second "
            f"({running.passes} sync passes)"
        )
        return rate, check(place, count, None)


def many_desks(root: Path, server: pgserver.PgServer, count: int) -> list[str]:
    with CraftkitFake() as fake:
        place = office(root, server, fake, "killed")
        sent(place, count)
        envelopes = fake.envelope_ids()
        place.complete(envelopes[: count // 2])
        victim = Victim(place, KILLED_LEASE_S)
        running = Desks(place, ["deskA", "deskB", "deskC", "deskD"], victim)
        pending = envelopes[count // 2 :]
        took = Run(place, running, count, pending, kill_at=count // 3, deadline_s=DEADLINE_S)()
        print(
            f"  4 desks and a fifth killed -9 (its lease {KILLED_LEASE_S} s): {count:,} archived "
            f"in {took:.1f} s ({count / took:.1f} a second, {running.passes} sync passes)"
        )
        return check(place, count, victim)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--only", choices=("throughput", "kill"))
    args = parser.parse_args()
    if not pgserver.available():
        print(pgserver.INSTALL_HINT)
        return 1
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sealbox-bench-") as name:
        root = Path(name)
        isolate(root / "home", root / "keyring.json")
        server = pgserver.start()
        try:
            print(
                f"Many desks on one PostgreSQL store: {args.requests:,} requests, "
                f"{os.cpu_count()} CPUs"
            )
            rates: dict[int, float] = {}
            if args.only in (None, "throughput"):
                for desks in (1, 5):
                    section(f"sync throughput, {desks} desk(s)")
                    rates[desks], bad = throughput(root, server, args.requests, desks)
                    failed += bad
            if args.only in (None, "kill"):
                section("5 desks, one killed -9 in the middle, the provider completing meanwhile")
                began = time.perf_counter()
                failed += many_desks(root, server, args.requests)
                print(
                    f"  the whole run (sends, syncs, checks): {time.perf_counter() - began:.0f} s"
                )
            if rates:
                print(
                    "\nrequests archived a second: "
                    + ", ".join(f"{d} desk(s) {r:.1f}" for d, r in rates.items())
                )
        finally:
            server.stop()
    print("all checks passed" if not failed else f"FAILED: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
