"""A hostile server for the deadline tests: a real HTTP proxy on 127.0.0.1 that forwards to a
fake and sends chosen answers back slowly (a few bytes, a pause, a few more bytes).

``trickle(method, path)`` slows the next matching answer: with ``headers=True`` from its first
byte (slow headers), otherwise its headers go at once and its body trickles. Each pause is an
``Event.wait`` in the proxy's own thread, which :meth:`stop` ends at once.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import socketserver
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Trickle:
    method: str
    path: re.Pattern[str]
    headers: bool
    chunk: int
    interval: float
    count: int


class TrickleProxy:
    """Forward every request to ``upstream``; answer the trickled ones slowly."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Trickle] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        #: Every trickled answer that has started (path), for the tests to check.
        self.trickled: list[str] = []
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    def trickle(
        self,
        method: str,
        path: str,
        *,
        headers: bool = False,
        chunk: int = 1,
        interval: float = 0.2,
        count: int = 1,
    ) -> None:
        with self.lock:
            self.rules.append(
                Trickle(method.upper(), re.compile(f"^{path}$"), headers, chunk, interval, count)
            )

    def _rule(self, method: str, path: str) -> Trickle | None:
        with self.lock:
            for rule in self.rules:
                if rule.count > 0 and rule.method == method and rule.path.match(path):
                    rule.count -= 1
                    self.trickled.append(path)
                    return rule
        return None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> TrickleProxy:
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.rfile, self.connection)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TrickleProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- one connection ----------------------------------------------------------------------

    def _serve(self, reader: io.BufferedIOBase, conn: socket.socket) -> None:
        line = reader.readline()
        if not line:
            return
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            raw = reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        body = reader.read(length) if length else b""
        upstream = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            upstream.request(
                method,
                target,
                body=body,
                headers={k: v for k, v in headers if k.lower() not in ("host", "connection")},
            )
            answer = upstream.getresponse()
            content = answer.read()
            head = f"HTTP/1.1 {answer.status} {answer.reason}\r\n"
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                    head += f"{name}: {value}\r\n"
        finally:
            upstream.close()
        head += f"Content-Length: {len(content)}\r\nConnection: close\r\n\r\n"
        rule = self._rule(method, urlsplit(target).path)
        data = head.encode("latin-1") + content
        try:
            if rule is None:
                conn.sendall(data)
                return
            start = 0
            if not rule.headers:
                conn.sendall(data[: len(head)])
                start = len(head)
            for offset in range(start, len(data), rule.chunk):
                conn.sendall(data[offset : offset + rule.chunk])
                if self.stopping.wait(rule.interval):
                    return
        except OSError:
            return  # the client gave up: that is what the tests want
