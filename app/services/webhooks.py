"""``sealbox webhooks listen``: receive Craftkit and SayPDF webhook deliveries.

Each delivery is verified (HMAC-SHA256 of the raw body against the configured secret, compared
in constant time, by the provider's own ``parse_webhook``); a bad or stale signature gets 401 and
changes nothing. A delivery id seen before is acknowledged and dropped. A good delivery is never
trusted for its content: the request is refreshed from the provider's API instead, and archived
if it has finished.

Served on loopback by default; put it behind your reverse proxy to receive deliveries from the
internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.archive.folder import archive_request_async
from app.context import Context
from app.domain.clock import iso, now
from app.domain.lifecycle import Status
from app.errors import BusyError, SealboxError, UserError
from app.providers.base import WebhookEvent, WebhookRejected
from app.services.requests import refresh_and_apply

log = logging.getLogger(__name__)

#: Providers whose webhooks Sealbox accepts, and the path each is served on.
WEBHOOK_PROVIDERS = ("craftkit", "saypdf")
MAX_BODY = 1024 * 1024
READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    status: int
    message: str


Parser = Callable[[dict[str, str], bytes, str, float], WebhookEvent]


class WebhookReceiver:
    """Verifies, de-duplicates and acts on deliveries (no HTTP here, so it is easy to test)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.secrets: dict[str, str] = {}
        self.parsers: dict[str, Parser] = {}
        for pid in WEBHOOK_PROVIDERS:
            secret = ctx.secrets.get(f"{pid}.webhook_secret")
            if secret:
                self.secrets[pid] = secret
                module = importlib.import_module(f"app.providers.{pid}")
                self.parsers[pid] = module.parse_webhook

    @property
    def providers(self) -> list[str]:
        return sorted(self.secrets)

    async def receive(self, pid: str, headers: dict[str, str], body: bytes) -> Outcome:
        if pid not in WEBHOOK_PROVIDERS:
            return Outcome(404, "no such webhook endpoint")
        if pid not in self.secrets:
            log.warning("webhook for %s refused: no webhook secret configured", pid)
            return Outcome(401, "no webhook secret configured")
        try:
            event = self.parsers[pid]({k.lower(): v for k, v in headers.items()}, body,
                                      self.secrets[pid], time.time())
        except WebhookRejected as exc:
            log.warning("webhook for %s rejected: %s", pid, exc)
            return Outcome(401, "signature rejected")
        if event.delivery_id and not self._first_delivery(pid, event.delivery_id):
            return Outcome(200, "duplicate delivery ignored")
        requests = self.ctx.requests
        rows = requests.db.execute(
            "SELECT id FROM requests WHERE provider = ? AND provider_id = ?",
            [pid, event.provider_request_id]).fetchall()
        if not rows:
            log.info("webhook %s for unknown %s request %s", event.event, pid,
                     event.provider_request_id)
            return Outcome(200, "unknown request ignored")
        request = requests.get(rows[0][0])
        try:
            # A compare-and-set, like sync's: applied only if no sync, sign or other delivery
            # changed the request since it was read (then read and asked again).
            await refresh_and_apply(self.ctx, request.id, kind=f"webhook {event.event}")
            if requests.get(request.id).status == Status.COMPLETED:
                # Archived here unless another process is archiving it right now.
                await archive_request_async(self.ctx, request.id, wait=0)
        except BusyError as exc:
            log.info("after webhook %s: %s", event.event, exc.message)
        except SealboxError as exc:
            # Received and verified; the next refresh or sync will catch up.
            log.warning("refresh after webhook %s failed: %s", event.event, exc.message)
            requests.add_event(request.id, f"webhook {event.event}",
                               f"refresh failed: {exc.message}")
        return Outcome(200, "ok")

    def _first_delivery(self, pid: str, delivery_id: str) -> bool:
        with self.ctx.database.write() as db:
            seen = db.execute("SELECT 1 FROM webhook_deliveries WHERE provider = ? AND "
                              "delivery_id = ?", [pid, delivery_id]).fetchone()
            if seen:
                return False
            db.execute("INSERT INTO webhook_deliveries (provider, delivery_id, received_at) "
                       "VALUES (?, ?, ?)", [pid, delivery_id, iso(now())])
        return True


async def _read_request(reader: asyncio.StreamReader
                        ) -> tuple[str, str, dict[str, str], bytes] | None:
    line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError("bad request line")
    method, target, _ = parts
    headers: dict[str, str] = {}
    while True:
        raw = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise ValueError("body too large")
    body = await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT) if length else b""
    return method, target, headers, body


async def _respond(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
              405: "Method Not Allowed", 413: "Payload Too Large"}.get(status, "Error")
    body = json.dumps({"message": message}).encode()
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def serve(ctx: Context, host: str, port: int,
                ready: Callable[[str, list[str]], None] | None = None) -> None:
    receiver = WebhookReceiver(ctx)
    if not receiver.providers:
        raise UserError("No webhook secret is configured: store one with `sealbox login "
                        "craftkit` or `sealbox login saypdf`, or set "
                        "SEALBOX_CRAFTKIT_WEBHOOK_SECRET / SEALBOX_SAYPDF_WEBHOOK_SECRET.")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            parsed = await _read_request(reader)
        except (TimeoutError, ValueError, asyncio.IncompleteReadError):
            await _respond(writer, 400, "bad request")
            return
        if parsed is None:
            writer.close()
            return
        method, target, headers, body = parsed
        path = target.split("?", 1)[0].rstrip("/")
        prefix = "/webhooks/"
        if not path.startswith(prefix):
            await _respond(writer, 404, "not found")
            return
        if method != "POST":
            await _respond(writer, 405, "use POST")
            return
        outcome = await receiver.receive(path[len(prefix):], headers, body)
        await _respond(writer, outcome.status, outcome.message)

    server = await asyncio.start_server(handle, host, port)
    sockname = server.sockets[0].getsockname()
    url = f"http://{sockname[0]}:{sockname[1]}"
    log.info("webhooks listening on %s for %s", url, ", ".join(receiver.providers))
    if ready is not None:
        ready(url, receiver.providers)
    async with server:
        await server.serve_forever()
