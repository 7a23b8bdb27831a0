"""What the hardening costs, and how closely the deadlines hold.

Run on demand (pytest ignores ``tests/bench``)::

    uv run python -m tests.bench.hardening

1. One provider call through ``ProviderHttp`` (a small JSON answer from a loopback fake) against
   the same call with httpx alone: the per-call price of the whole-call deadline, the capped
   read and the credential check.
2. Redacting and cutting a 10 MB provider message (what a 400 with a 10 MB message costs now).
3. A server that trickles its answer: the time from the call to the error, with a 1 s deadline.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

import httpx

from app.logs import register_secret, scrub
from app.providers.deadlines import Deadlines
from app.providers.errors import ProviderUnavailableError
from app.providers.http import ProviderHttp
from tests.fakes.base import FakeServer, json_response
from tests.fakes.trickle import TrickleProxy

CALLS = 400


async def _auth() -> dict[str, str]:
    return {"Authorization": "Bearer bench-token-0123456789"}


async def per_call(url: str) -> tuple[float, float]:
    sealbox = ProviderHttp(provider="Bench", base_url=url, auth=_auth, login_hint="")
    plain = httpx.AsyncClient()
    try:
        for _ in range(20):  # warm both connections up
            await sealbox.json("GET", "/status")
            (await plain.get(f"{url}/status", headers=await _auth())).json()
        timings: dict[str, list[float]] = {"sealbox": [], "httpx": []}
        for _ in range(CALLS):
            started = time.perf_counter()
            await sealbox.json("GET", "/status")
            timings["sealbox"].append(time.perf_counter() - started)
            started = time.perf_counter()
            (await plain.get(f"{url}/status", headers=await _auth())).json()
            timings["httpx"].append(time.perf_counter() - started)
        return statistics.median(timings["sealbox"]), statistics.median(timings["httpx"])
    finally:
        await sealbox.aclose()
        await plain.aclose()


async def trickled(url: str) -> float:
    client = ProviderHttp(
        provider="Bench", base_url=url, auth=_auth, login_hint="", deadlines=Deadlines(call=1.0)
    )
    started = time.perf_counter()
    try:
        await client.json("GET", "/status")
    except ProviderUnavailableError:
        return time.perf_counter() - started
    finally:
        await client.aclose()
    raise AssertionError("the trickled call did not stop at its deadline")


def main() -> int:
    fake = FakeServer()
    fake.route("GET", "/status", lambda _: json_response(200, {"id": "x" * 40, "status": "sent"}))
    with fake, TrickleProxy(fake.url) as proxy:
        ours, theirs = asyncio.run(per_call(fake.url))
        print(
            f"one call, median of {CALLS}: ProviderHttp {ours * 1000:.2f} ms, httpx alone "
            f"{theirs * 1000:.2f} ms ({ours / theirs:.2f}x, +{(ours - theirs) * 1000:.2f} ms)"
        )

        register_secret("bench-token-0123456789")
        message = "invalid: " + "x" * (10 * 1024 * 1024)
        started = time.perf_counter()
        kept = scrub(message)
        took = time.perf_counter() - started
        print(
            f"a 10 MB message redacted and cut to {len(kept):,} characters in {took * 1000:.1f} ms"
        )

        proxy.trickle("GET", "/status", headers=True, interval=0.1, count=3)
        ends = [asyncio.run(trickled(proxy.url)) for _ in range(3)]
        print(
            "a trickling server with a 1 s deadline: the call ends after "
            + ", ".join(f"{t:.2f} s" for t in ends)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
