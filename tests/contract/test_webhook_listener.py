"""The webhook listener under abuse, over real sockets: slow clients are cut off by a
whole-request deadline, connections are capped, a huge body is refused from its length, and a
store locked by another connection does not stall the event loop."""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.context import Context
from app.services.webhooks import ListenerLimits, serve
from tests.conftest import ROOT
from tests.fakes.craftkit import CraftkitFake

SECRET = "whsec_listener_0123456789"
FORGED = (
    b"POST /webhooks/craftkit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"x-craftkit-signature: 00\r\nx-craftkit-timestamp: 1\r\nContent-Length: 2\r\n\r\n{}"
)


def environ() -> dict[str, str]:
    return {**os.environ, "SEALBOX_CRAFTKIT_WEBHOOK_SECRET": SECRET}


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


async def exchange(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


Scenario = Callable[[int, Context], Awaitable[None]]


def listening(limits: ListenerLimits, scenario: Scenario) -> None:
    """Run ``serve`` on a free port, play ``scenario`` against it in the same loop, stop."""
    ctx = Context.from_environment(environ())

    async def main() -> None:
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def ready(url: str, providers: list[str]) -> None:
            started.set_result(int(url.rsplit(":", 1)[1]))

        server = asyncio.create_task(serve(ctx, "127.0.0.1", 0, ready, limits))
        try:
            port = await asyncio.wait_for(started, 30)
            await scenario(port, ctx)
        finally:
            server.cancel()
            with pytest.raises(asyncio.CancelledError):
                await server

    try:
        asyncio.run(main())
    finally:
        ctx.close()


def test_slow_clients_are_closed_by_the_whole_request_deadline(home: Path) -> None:
    async def scenario(port: int, ctx: Context) -> None:
        async def slowloris() -> tuple[float, bytes]:
            started = time.monotonic()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /webhooks/craftkit HTTP/1.1\r\n")
            # A header line every 50 ms, for ever: each line comes in time, the request never.
            answer = b""
            for i in range(200):
                try:
                    writer.write(f"x-pad-{i}: {i}\r\n".encode())
                    await writer.drain()
                except ConnectionError:
                    break
                try:
                    answer = await asyncio.wait_for(reader.read(), 0.05)
                    break
                except TimeoutError:
                    continue
            writer.close()
            return time.monotonic() - started, answer

        results = await asyncio.gather(*(slowloris() for _ in range(3)))
        for took, answer in results:
            assert status_of(answer) == 408, answer
            assert took < 3.0  # the deadline is 0.5 s; 200 lines would take 10 s
        # The listener is still there for the next client.
        assert status_of(await exchange(port, FORGED)) == 401

    listening(ListenerLimits(request_deadline=0.5), scenario)


def test_connections_are_capped(home: Path) -> None:
    async def scenario(port: int, ctx: Context) -> None:
        # Three connections that send nothing (accepted before the next one).
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        started = time.monotonic()
        extra = await exchange(port, FORGED)
        assert status_of(extra) == 503, extra
        assert b"too many connections" in extra
        assert time.monotonic() - started < 1.0
        for _reader, writer in idle:
            writer.close()
        # Once they are gone there is room again.
        for _ in range(100):
            answer = await exchange(port, FORGED)
            if status_of(answer) != 503:
                break
        assert status_of(answer) == 401

    listening(ListenerLimits(request_deadline=5.0, max_connections=3), scenario)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Content-Length: 52428800\r\n", 413),
        (b"Transfer-Encoding: chunked\r\n", 411),
        (b"Content-Length: -5\r\n", 400),
        (b"Content-Length: 99999999999999999999999999\r\n", 400),
    ],
)
def test_a_body_is_refused_from_its_headers(headers: bytes, status: int, home: Path) -> None:
    async def scenario(port: int, ctx: Context) -> None:
        started = time.monotonic()
        # Only the headers are sent: the answer must not wait for a body.
        answer = await exchange(
            port, b"POST /webhooks/craftkit HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"
        )
        assert status_of(answer) == status, answer
        assert time.monotonic() - started < 2.0

    listening(ListenerLimits(request_deadline=10.0), scenario)


def test_a_locked_store_does_not_stall_the_listener(home: Path) -> None:
    """While another connection holds the write lock, a forged delivery is refused at once; a
    good one waits for the lock on a worker thread and is answered once it is released."""
    fake = CraftkitFake(webhook_secret=SECRET)
    # A request Craftkit knows and Sealbox does not (the delivery needs the store, no API).
    with fake.lock:
        fake.signatures["env-unknown"] = {"renderId": "r-1", "status": "completed"}

    async def scenario(port: int, ctx: Context) -> None:
        ctx.database  # noqa: B018  (the store exists before it is locked)
        locker = sqlite3.connect(ctx.paths.database, isolation_level=None, timeout=30)
        locker.execute("BEGIN IMMEDIATE")
        try:
            headers, body = fake.webhook("signature.completed", "env-unknown", SECRET)
            request = (
                b"POST /webhooks/craftkit HTTP/1.1\r\nHost: x\r\n"
                + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            good = asyncio.create_task(exchange(port, request))
            # It is verified, then handed to a worker thread, which waits for the lock.
            deadline = time.monotonic() + 10
            while not any(t.name.startswith("sealbox-webhook") for t in threading.enumerate()):
                assert time.monotonic() < deadline, "the delivery never reached a worker"
                await asyncio.wait([good], timeout=0.01)
            started = time.monotonic()
            forged = await exchange(port, FORGED)
            assert status_of(forged) == 401
            assert time.monotonic() - started < 1.0
            assert not good.done()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        answer = await asyncio.wait_for(good, 20)
        assert status_of(answer) == 200, answer
        assert b"unknown request ignored" in answer

    listening(ListenerLimits(), scenario)


# --- the real command -------------------------------------------------------------------------


@pytest.fixture
def listener(home: Path) -> Iterator[int]:
    """``sealbox webhooks listen`` in its own process, with small limits from the environment;
    yields its port."""
    env = {
        **environ(),
        "PYTHONPATH": str(ROOT),
        "SEALBOX_WEBHOOKS_REQUEST_DEADLINE_S": "0.5",
        "SEALBOX_WEBHOOKS_MAX_CONNECTIONS": "4",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "webhooks", "listen", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        started: dict[str, Any] = json.loads(process.stdout.readline())
        yield int(started["listening"].rsplit(":", 1)[1])
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
        assert "Traceback" not in err


def blocking_exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_the_command_closes_slow_clients_caps_connections_and_refuses_big_bodies(
    listener: int,
) -> None:
    # Four clients that send a header line every 50 ms and never finish.
    slow = [socket.create_connection(("127.0.0.1", listener), timeout=5) for _ in range(4)]
    for sock in slow:
        sock.sendall(b"POST /webhooks/craftkit HTTP/1.1\r\n")
    # The fifth is over the cap: answered at once.
    assert status_of(blocking_exchange(listener, FORGED)) == 503
    started = time.monotonic()
    open_ = list(slow)
    answers: dict[socket.socket, bytes] = {}
    line = 0
    while open_ and time.monotonic() - started < 5:
        readable, _, _ = select.select(open_, [], [], 0.05)
        for sock in readable:
            answers[sock] = sock.recv(65536)
            open_.remove(sock)
        for sock in open_:
            line += 1
            try:
                sock.sendall(f"x-pad-{line}: {line}\r\n".encode())
            except OSError:
                open_.remove(sock)
    took = time.monotonic() - started
    for sock in slow:
        sock.close()
    assert not open_, "slow clients were kept"
    assert took < 3.0
    assert all(status_of(a) == 408 for a in answers.values()), answers
    # Room again; a 50 MB body is refused from its length, without being sent.
    big = b"POST /webhooks/craftkit HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n"
    assert status_of(blocking_exchange(listener, big)) == 413
    assert status_of(blocking_exchange(listener, FORGED)) == 401


def good_delivery() -> bytes:
    """A delivery signed with the listener's secret, about a request Sealbox does not know (it
    needs the store, not the provider's API)."""
    fake = CraftkitFake(webhook_secret=SECRET)
    with fake.lock:
        fake.signatures["env-unknown"] = {"renderId": "r-1", "status": "completed"}
    headers, body = fake.webhook("signature.completed", "env-unknown", SECRET)
    return (
        b"POST /webhooks/craftkit HTTP/1.1\r\nHost: x\r\n"
        + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def test_the_command_answers_a_forged_delivery_at_once_while_the_store_is_locked(
    listener: int, home: Path
) -> None:
    ctx = Context.from_environment(environ())
    database = ctx.database.path  # created if it was not there
    ctx.close()
    locker = sqlite3.connect(database, isolation_level=None, timeout=30)
    locker.execute("BEGIN IMMEDIATE")
    good = socket.create_connection(("127.0.0.1", listener), timeout=30)
    try:
        # A good delivery first: it must wait for the lock to be recorded...
        good.sendall(good_delivery())
        # ...while forged ones, which need no store, are refused at once, one after another
        # for a second and a half (however soon the good one reaches the store).
        until = time.monotonic() + 1.5
        while (started := time.monotonic()) < until:
            assert status_of(blocking_exchange(listener, FORGED)) == 401
            assert time.monotonic() - started < 1.0
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    with good:
        answer = b"".join(iter(lambda: good.recv(65536), b""))
    assert status_of(answer) == 200, answer
