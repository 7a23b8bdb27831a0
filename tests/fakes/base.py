"""A small framework for the providers' fake servers: real HTTP on 127.0.0.1, driven by tests.

Each fake subclasses :class:`FakeServer`, registers its routes (``route``), and implements the
:class:`ProviderFake` controls the shared contract suite uses. Tests can queue faults
(``fail_next``: an error response, a ``Retry-After``, or a connection dropped after the request
arrived) and read every request the fake received (``received``).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, list[Part]]:
        return parse_multipart(self.header("content-type") or "", self.body)


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Close the connection without answering (the request did arrive and was processed).
    drop: bool = False
    #: A body sent in chunks as it is made (``Transfer-Encoding: chunked``, no length given),
    #: for bodies too big to hold; ``body`` is then ignored.
    chunks: Callable[[], Iterator[bytes]] | None = None


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> FakeResponse:
    return FakeResponse(
        status,
        json.dumps(data).encode("utf-8"),
        {"Content-Type": "application/json", **(headers or {})},
    )


def text_response(status: int, text: str) -> FakeResponse:
    return FakeResponse(status, text.encode("utf-8"), {"Content-Type": "text/plain"})


def pdf_response(data: bytes, filename: str) -> FakeResponse:
    return FakeResponse(
        200,
        data,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(content_type: str, body: bytes) -> dict[str, list[Part]]:
    """Parse ``multipart/form-data`` strictly enough for a fake: name -> parts in order."""
    if not content_type.startswith("multipart/form-data"):
        return {}
    raw = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    out: dict[str, list[Part]] = {}
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition", "")
        params = dict(part.get_params(header="content-disposition") or [])
        name = params.get("name")
        if not name or not disposition.startswith("form-data"):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        out.setdefault(name, []).append(
            Part(
                name,
                params.get("filename"),
                part.get_content_type() if part.get("Content-Type") else None,
                data,
            )
        )
    return out


Handler = Callable[[FakeRequest], FakeResponse]


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    #: The answer, or a function of the request that makes it (a server that echoes).
    response: FakeResponse | Handler
    after: bool  # True: run the real handler first, then replace its answer (e.g. drop)
    count: int

    def answer(self, request: FakeRequest) -> FakeResponse:
        return self.response if isinstance(self.response, FakeResponse) else self.response(request)


@dataclass
class Hold:
    """A response held back: the request was processed (``arrived`` is set), the answer waits
    until the test sets ``release`` (as a provider that takes its time, or a connection that
    hangs after the request left)."""

    method: str
    path: re.Pattern[str]
    count: int
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 with regex routes. Use as a context manager."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: list[Fault] = []
        self.holds: list[Hold] = []
        self.received: list[FakeRequest] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeServer:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = FakeRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = fake.dispatch(request)
                if response.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if response.chunks is not None:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    try:
                        for chunk in response.chunks():
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        self.close_connection = True  # the client stopped reading: its right
                    return
                self.send_header("Content-Length", str(len(response.body)))
                try:
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client is gone (e.g. killed by a test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class _Server(ThreadingHTTPServer):
            def get_request(self) -> tuple[socket.socket, Any]:
                conn, addr = super().get_request()
                # Answers go out in two writes: without this each waits for a delayed ACK.
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return conn, addr

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self.holds:
            hold.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- routing and faults -------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """``pattern`` is a path regex with named groups, e.g. ``/v1/signatures/(?P<id>[^/]+)``."""
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        response: FakeResponse | Handler,
        *,
        count: int = 1,
        after: bool = False,
    ) -> None:
        """Answer the next ``count`` matching requests with ``response`` instead. With
        ``after=True`` the real handler runs first (so a create happens) and its answer is then
        replaced — with ``FakeResponse(drop=True)`` this is a connection lost after the request
        was processed."""
        with self.lock:
            self.faults.append(
                Fault(method.upper(), re.compile(f"^{path_pattern}$"), response, after, count)
            )

    def hold_next(self, method: str, path_pattern: str, *, count: int = 1) -> Hold:
        """Process the next ``count`` matching requests, then hold each answer until the test
        sets the returned hold's ``release``."""
        hold = Hold(method.upper(), re.compile(f"^{path_pattern}$"), count)
        with self.lock:
            self.holds.append(hold)
        return hold

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            hold = next(
                (
                    h
                    for h in self.holds
                    if h.count > 0 and h.method == request.method and h.path.match(request.path)
                ),
                None,
            )
            if hold is not None:
                hold.count -= 1
        response = self._dispatch(request)
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(120)
        return response

    def _dispatch(self, request: FakeRequest) -> FakeResponse:
        with self.lock:
            self.received.append(request)
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.count > 0 and f.method == request.method and f.path.match(request.path)
                ),
                None,
            )
            if fault is not None:
                fault.count -= 1
                if not fault.after:
                    return fault.answer(request)
            for method, pattern, handler in self.routes:
                match = pattern.match(request.path)
                if method == request.method and match:
                    request.params = match.groupdict()
                    response = handler(request)
                    return fault.answer(request) if fault is not None else response
            return json_response(
                404, {"error": {"code": "not_found", "message": f"no route {request.path}"}}
            )

    def requests_to(self, method: str, path_pattern: str) -> list[FakeRequest]:
        pattern = re.compile(f"^{path_pattern}$")
        with self.lock:
            return [
                r for r in self.received if r.method == method.upper() and pattern.match(r.path)
            ]


class ProviderFake(FakeServer):
    """What the shared contract suite needs from every provider's fake."""

    provider_id: str = ""

    def env(self) -> dict[str, str]:
        """Environment variables pointing Sealbox at this fake (base URL and credentials)."""
        raise NotImplementedError

    def envelope_ids(self) -> list[str]:
        """The provider-side ids of every request created so far (one per real create)."""
        raise NotImplementedError

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        """Move a request to Sealbox ``state`` (``viewed``, ``signed`` for one recipient,
        ``completed``, ``declined``, ``expired``, ``cancelled``), in the provider's vocabulary,
        as the real service would."""
        raise NotImplementedError

    def documented_errors(self) -> list[ErrorCase]:
        """Every error the provider's document lists, as cases the contract suite replays."""
        raise NotImplementedError


@dataclass(frozen=True)
class ErrorCase:
    """One documented error: ``operation`` (``create``, ``refresh``, ``cancel``, ``download``,
    ``certificate``) answered with ``response``; Sealbox must raise ``expected`` (an error class
    name from ``app.providers.errors`` or ``app.errors``) with ``message`` in its text."""

    operation: str
    method: str
    path: str
    response: FakeResponse
    expected: str
    message: str
