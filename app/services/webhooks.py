"""``sealbox webhooks listen``: receive the webhook deliveries of the providers that send them.

Which providers those are, and how each one's deliveries are verified, is their registry entry's
``webhook`` parser (:mod:`app.providers.registry`); each is served on ``POST /webhooks/<id>``.
Each delivery is verified (HMAC-SHA256 of the raw body against the configured secret, compared
in constant time, by the provider's own parser); a bad or stale signature gets 401 and
changes nothing. A delivery id seen before is acknowledged and dropped. A good delivery is never
trusted for its content: the request is refreshed from the provider's API instead, and archived
if it has finished.

The listener stays responsive whatever a client or the store does:

- every request must arrive whole (request line, headers and body) within
  ``request_deadline_s`` seconds, or its connection is closed (408): a client that sends a
  header line every few seconds is not kept for ever;
- at most ``max_connections`` connections are served at once; one more is answered 503 at once;
- a body over ``max_body_bytes`` is refused with 413 from its ``Content-Length``, before it is
  read; a body without a length (chunked) gets 411;
- the store is only touched on worker threads, each with its own connection and its own provider
  clients: while another process holds the database's write lock the event loop goes on
  answering (a forged delivery is refused at once), and a delivery that cannot be recorded in
  time gets 503 so the provider sends it again.

The limits are settings (``[webhooks]`` in the settings file, or ``SEALBOX_WEBHOOKS_<KEY>``).
Served on loopback by default; put it behind your reverse proxy to receive deliveries from the
internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from app.archive.folder import archive_request_async
from app.config import Settings
from app.context import Context
from app.domain.lifecycle import Status
from app.domain.text import format_size
from app.errors import BusyError, SealboxError, UnavailableError, UserError
from app.providers import registry
from app.providers.info import WEBHOOK_SECRET, WebhookEvent, WebhookParser, WebhookRejected
from app.services.leases import leased
from app.services.requests import refresh_and_apply

log = logging.getLogger(__name__)

#: Worker threads acting on verified deliveries (each with its own store connection).
WORKERS = 4
MAX_HEADER_LINES = 100
MAX_HEADER_BYTES = 32 * 1024
#: The longest a response may wait for a client that does not read it.
WRITE_TIMEOUT = 5.0
#: After answering, what the client still sends is dropped for this long, up to this much.
LINGER = 1.0
LINGER_BYTES = 1024 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class ListenerLimits:
    request_deadline: float = 10.0
    max_connections: int = 64
    max_body: int = 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str]) -> ListenerLimits:
        """``[webhooks]`` ``request_deadline_s``, ``max_connections`` and ``max_body_bytes``,
        each overridden by ``SEALBOX_WEBHOOKS_<KEY>``."""
        default = cls()
        return cls(
            request_deadline=settings.limit(
                "webhooks", "request_deadline_s", default.request_deadline, environ
            ),
            max_connections=int(
                settings.limit("webhooks", "max_connections", default.max_connections, environ)
            ),
            max_body=int(settings.limit("webhooks", "max_body_bytes", default.max_body, environ)),
        )


@dataclass(frozen=True)
class Outcome:
    status: int
    message: str


class WebhookReceiver:
    """Verifies, de-duplicates and acts on deliveries (no HTTP here, so it is easy to test).

    Verification runs on the event loop (no store needed); everything after it runs on a worker
    thread with a context of its own (:meth:`_act_in_thread`). Close it with :meth:`close`."""

    def __init__(self, ctx: Context, *, workers: int = WORKERS) -> None:
        self.ctx = ctx
        self.secrets: dict[str, str] = {}
        #: Every provider with webhooks, by id: its endpoint exists, with or without a secret.
        self.parsers: dict[str, WebhookParser] = {}
        for info in registry.with_webhooks():
            assert info.webhook is not None
            self.parsers[info.id] = info.webhook
            secret = ctx.secrets.get(f"{info.id}.{WEBHOOK_SECRET}")
            if secret:
                self.secrets[info.id] = secret
        self._workers = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="sealbox-webhook"
        )

    @property
    def providers(self) -> list[str]:
        return sorted(self.secrets)

    def close(self) -> None:
        """Wait for the deliveries being acted on, then stop the worker threads."""
        self._workers.shutdown(wait=True)

    async def __aenter__(self) -> WebhookReceiver:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    async def receive(self, pid: str, headers: dict[str, str], body: bytes) -> Outcome:
        if pid not in self.parsers:
            return Outcome(404, "no such webhook endpoint")
        if pid not in self.secrets:
            log.warning("webhook for %s refused: no webhook secret configured", pid)
            return Outcome(401, "no webhook secret configured")
        try:
            event = self.parsers[pid](
                {k.lower(): v for k, v in headers.items()}, body, self.secrets[pid], time.time()
            )
        except WebhookRejected as exc:
            log.warning("webhook for %s rejected: %s", pid, exc)
            return Outcome(401, "signature rejected")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._workers, self._act_in_thread, pid, event)

    def _act_in_thread(self, pid: str, event: WebhookEvent) -> Outcome:
        """On a worker thread: a context of its own (store connection, provider clients), so
        a store that waits for another process's write lock holds this thread, not the loop."""
        ctx = Context(
            paths=self.ctx.paths,
            settings=self.ctx.settings,
            secrets=self.ctx.secrets,
            environ=self.ctx.environ,
            transport=self.ctx.transport,
        )
        try:
            return asyncio.run(self._act(ctx, pid, event))
        except UnavailableError as exc:
            log.warning("webhook %s for %s not recorded: %s", event.event, pid, exc.message)
            return Outcome(503, "busy: send it again later")
        finally:
            ctx.close()

    async def _act(self, ctx: Context, pid: str, event: WebhookEvent) -> Outcome:
        try:
            if event.delivery_id and not ctx.store.webhook_deliveries.first_delivery(
                pid, event.delivery_id
            ):
                return Outcome(200, "duplicate delivery ignored")
            requests = ctx.requests
            request_id = requests.id_at_provider(pid, event.provider_request_id)
            if request_id is None:
                log.info(
                    "webhook %s for unknown %s request %s",
                    event.event,
                    pid,
                    event.provider_request_id,
                )
                return Outcome(200, "unknown request ignored")
            request = requests.get(request_id)
            try:
                # A compare-and-set, like sync's: applied only if no sync, sign or other
                # delivery changed the request since it was read (then read and asked again).
                await refresh_and_apply(ctx, request.id, kind=f"webhook {event.event}")
                if requests.get(request.id).status == Status.COMPLETED:
                    # Archived here unless another desk or process is archiving it right now.
                    async with leased(ctx, request.id, "archiving"):
                        await archive_request_async(ctx, request.id, wait=0)
            except BusyError as exc:
                log.info("after webhook %s: %s", event.event, exc.message)
            except SealboxError as exc:
                # Received and verified; the next refresh or sync will catch up.
                log.warning("refresh after webhook %s failed: %s", event.event, exc.message)
                requests.add_event(
                    request.id, f"webhook {event.event}", f"refresh failed: {exc.message}"
                )
            return Outcome(200, "ok")
        finally:
            await ctx.aclose()


class Refused(Exception):
    """A request answered with ``status`` before it is read further."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_request(
    reader: asyncio.StreamReader, max_body: int
) -> tuple[str, str, dict[str, str], bytes] | None:
    """One request: its method, target, headers (lower-case names) and body; None when the
    client closed without sending anything. Raises :class:`Refused` for what is answered
    without reading further (411, 413, 431, 400)."""
    line = await reader.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise Refused(400, "bad request line")
    method, target, _ = parts
    headers: dict[str, str] = {}
    size = 0
    for _ in range(MAX_HEADER_LINES + 1):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n"):
            break
        if not raw:
            raise Refused(400, "the request ended in its headers")
        size += len(raw)
        if size > MAX_HEADER_BYTES:
            raise Refused(431, "headers too large")
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise Refused(400, "bad header line")
        headers[name.strip().lower()] = value.strip()
    else:
        raise Refused(431, "too many headers")
    if "transfer-encoding" in headers:
        raise Refused(411, "send the body with a Content-Length")
    text = headers.get("content-length", "0").strip() or "0"
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise Refused(400, "bad Content-Length")
    length = int(text)
    if length > max_body:
        raise Refused(413, f"the body is over {format_size(max_body)}")
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


async def respond(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int, message: str
) -> None:
    """Answer and close. What the client still sends is read and dropped for a moment (at most
    :data:`LINGER_BYTES`), so that closing does not reset the connection before the client
    reads the answer; a client that does not read it is dropped after a while."""
    body = json.dumps({"message": message}).encode()
    writer.write(
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(
        ConnectionError,
        TimeoutError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ValueError,
    ):
        async with asyncio.timeout(WRITE_TIMEOUT):
            await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        async with asyncio.timeout(LINGER):
            dropped = 0
            while dropped < LINGER_BYTES and (chunk := await reader.read(65536)):
                dropped += len(chunk)
    writer.close()


class Listener:
    """The HTTP side: connections, deadlines and limits, routing to the receiver."""

    def __init__(self, receiver: WebhookReceiver, limits: ListenerLimits) -> None:
        self.receiver = receiver
        self.limits = limits
        self.active = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.active >= self.limits.max_connections:
            log.warning("webhook connection refused: %d connections open", self.active)
            await respond(reader, writer, 503, "too many connections: try again later")
            return
        self.active += 1
        try:
            await self._serve(reader, writer)
        except Exception:  # a bug: log it, answer 500, keep listening
            log.exception("webhook request failed")
            with contextlib.suppress(Exception):
                await respond(reader, writer, 500, "internal error")
        finally:
            self.active -= 1
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.limits.request_deadline):
                parsed = await read_request(reader, self.limits.max_body)
        except TimeoutError:
            await respond(reader, writer, 408, "the request did not arrive in time")
            return
        except Refused as exc:
            await respond(reader, writer, exc.status, exc.message)
            return
        except (
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ConnectionError,
        ):
            await respond(reader, writer, 400, "bad request")
            return
        if parsed is None:
            return
        method, target, headers, body = parsed
        path = target.split("?", 1)[0].rstrip("/")
        prefix = "/webhooks/"
        if not path.startswith(prefix):
            await respond(reader, writer, 404, "not found")
            return
        if method != "POST":
            await respond(reader, writer, 405, "use POST")
            return
        outcome = await self.receiver.receive(path[len(prefix) :], headers, body)
        await respond(reader, writer, outcome.status, outcome.message)


async def serve(
    ctx: Context,
    host: str,
    port: int,
    ready: Callable[[str, list[str]], None] | None = None,
    limits: ListenerLimits | None = None,
) -> None:
    limits = limits or ListenerLimits.from_settings(ctx.settings, ctx.environ)
    receiver = WebhookReceiver(ctx)
    try:
        if not receiver.providers:
            raise UserError(
                "No webhook secret is configured: store one with `sealbox login "
                "craftkit` or `sealbox login saypdf`, or set "
                "SEALBOX_CRAFTKIT_WEBHOOK_SECRET / SEALBOX_SAYPDF_WEBHOOK_SECRET."
            )
        listener = Listener(receiver, limits)
        try:
            server = await asyncio.start_server(listener.handle, host, port)
        except OSError as exc:
            raise UserError(
                f"Sealbox cannot listen on {host}:{port} ({exc.strerror or exc}): "
                "choose another --port or --host."
            ) from exc
        sockname = server.sockets[0].getsockname()
        url = f"http://{sockname[0]}:{sockname[1]}"
        log.info("webhooks listening on %s for %s", url, ", ".join(receiver.providers))
        if ready is not None:
            ready(url, receiver.providers)
        async with server:
            await server.serve_forever()
    finally:
        await asyncio.get_running_loop().run_in_executor(None, receiver.close)
