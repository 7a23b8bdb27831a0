"""Shared HTTP plumbing for the provider clients: one retry policy, one error mapping.

- Explicit timeouts on every call; TLS verification always on.
- Retries only for safe requests (GET, HEAD) or ones protected by an idempotency key; exponential
  backoff with full jitter; ``Retry-After`` honoured on 429 and 503 (seconds or an HTTP date).
- A create without an idempotency key is never retried: when the connection is lost after the
  request left, :class:`AmbiguousSendError` tells the caller to reconcile instead.
- Redirects are followed by hand: within the same origin as they are; to another origin only for
  a GET and without any of the credentials.
- One mapping from HTTP outcomes to typed errors, each with a sentence the user can act on.
- A deadline for the whole of every call (:class:`Deadlines`): httpx's timeouts are per read, so
  a server that trickles a byte a second would otherwise hold a command for ever. A call gets
  ``call`` seconds (``long_call`` for the ones a provider documents as slow) from the moment it
  starts to its last byte; an upload or a download gets ``transfer_base`` seconds plus one second
  for every ``min_rate`` bytes. A call that runs out is not retried: the error names the host
  and the time (exit 3).
- What a provider says in an error is cut to a few thousand characters, and an answer larger
  than :data:`MAX_ANSWER_BYTES` is not read whole; every credential sent is registered for
  redaction (:mod:`app.logs`), so a server that echoes it back shows nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from app import __version__
from app.domain.text import format_size
from app.errors import SealboxError, UserError
from app.fsutil import atomic_file
from app.logs import register_credentials
from app.providers.deadlines import Deadlines
from app.providers.errors import (
    AmbiguousSendError,
    BadResponseError,
    ProviderError,
    ProviderUnavailableError,
)
from app.providers.http_errors import (
    ErrorBody,
    ErrorReader,
    Refusal,
    StatusHook,
    bounded,
    connection_lost,
    default_error_body,
    error_for,
    parse_retry_after,
    reason,
    seconds,
    too_big,
    too_slow,
)
from app.wording import Alt, CheckAddress, Detail, Text

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Uploads of up to 20 MiB on a slow office line.
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=300.0)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Failures before anything left this machine: safe to try again whatever the method.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Failures after the request may have left: a create may have been processed.
CUT_OFF = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
#: Failures before anything was sent: a header or the address cannot be put on the wire.
UNSENDABLE = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)
MAX_REDIRECTS = 5
#: The largest download accepted (a signed PDF or a certificate), enforced while it streams.
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
USER_AGENT = f"Sealbox/{__version__}"
#: How many attempts a connection test makes (no retries: the user is waiting).
CHECK_ATTEMPTS = 1

#: The most of an answer (other than a download) that is read: a bigger one is refused, and only
#: the start of a bigger error body is read.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: Headers whose values are credentials: registered for redaction, checked before sending.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token", "cookie"}
)

Headers = Mapping[str, str]
AuthHeaders = Callable[[], Awaitable[Headers]]
Files = Callable[[], Any]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    #: A Retry-After longer than this is not waited for: the error goes back to the caller
    #: (sync will come back later).
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


class DeadlineExceeded(Exception):
    """A call ran past its deadline (internal: turned into a ProviderUnavailableError)."""


class ProviderHttp:
    """An authenticated HTTP client for one provider.

    ``auth`` gives the credential headers for each attempt (a Signicat token is fetched there);
    ``on_unauthorized`` is called once after a 401 and, when it returns True, the request is
    tried again (a renewed token). ``error_body`` reads the provider's error format and
    ``status_hook`` gives the provider's own meaning of a status (see
    :mod:`app.providers.http_errors`); a call names its ``operation`` for it.
    ``provider_id`` lets the app word a failure in terms of the provider's Settings page.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: AuthHeaders,
        login_hint: str,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        error_body: ErrorReader = default_error_body,
        status_hook: StatusHook | None = None,
        on_unauthorized: Callable[[], Awaitable[bool]] | None = None,
        provider_id: str | None = None,
        deadlines: Deadlines | None = None,
    ) -> None:
        self._transport, self._timeout = transport, timeout
        self.provider = provider
        self.provider_id = provider_id
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.auth = auth
        self.login_hint = login_hint
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.error_body = error_body
        self.status_hook = status_hook
        self.on_unauthorized = on_unauthorized
        self.deadlines = deadlines or Deadlines()
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            verify=True,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def probe(self) -> ProviderHttp:
        """A new client like this one that makes one attempt per call (a connection test: the
        user is waiting, nothing is retried). The caller closes it."""
        return ProviderHttp(
            provider=self.provider,
            base_url=str(self.base_url),
            auth=self.auth,
            login_hint=self.login_hint,
            transport=self._transport,
            timeout=self._timeout,
            policy=replace(self.policy, attempts=CHECK_ATTEMPTS),
            sleep=self.sleep,
            error_body=self.error_body,
            status_hook=self.status_hook,
            on_unauthorized=self.on_unauthorized,
            provider_id=self.provider_id,
            deadlines=self.deadlines,
        )

    def url(self, path: str) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            return httpx.URL(path)
        return self.base_url.join(path.lstrip("/"))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Files | None = None,
        content: bytes | AsyncIterable[bytes] | None = None,
        headers: Headers | None = None,
        idempotency_key: str | None = None,
        idempotency_header: str = "Idempotency-Key",
        retry: bool | None = None,
        timeout: httpx.Timeout | None = None,
        authenticated: bool = True,
        stream: bool = False,
        deadline: float | None = None,
        operation: str | None = None,
    ) -> httpx.Response:
        """Send a request, retrying where that is safe; returns a 2xx response or raises.

        ``files`` is a callable returning httpx's ``files`` argument, so each attempt opens the
        document afresh and streams it; ``content`` may be an async iterable that yields the
        body afresh on each iteration (give its Content-Length in ``headers``). With
        ``stream=True`` the response body is not read (the deadline then covers the answer's
        headers); close it with ``await response.aclose()``. ``deadline`` is the seconds each
        attempt may take as a whole (default ``deadlines.call``).
        """
        method = method.upper()
        extra = dict(headers or {})
        if idempotency_key:
            extra[idempotency_header] = idempotency_key
        may_retry = (
            retry if retry is not None else (method in SAFE_METHODS or idempotency_key is not None)
        )
        limit = self.deadlines.call if deadline is None else deadline
        target = self.url(path)
        send = partial(
            self._send_within,
            limit,
            method,
            target,
            params=params,
            json_body=json_body,
            data=data,
            files=files,
            content=content,
            headers=extra,
            timeout=timeout,
            authenticated=authenticated,
            stream=stream,
        )
        return await self._retrying(
            send, target, limit, may_retry, authenticated=authenticated, stream=stream, op=operation
        )

    async def _retrying(
        self,
        send: Callable[[], Awaitable[httpx.Response]],
        target: httpx.URL,
        limit: float,
        may_retry: bool,
        *,
        authenticated: bool,
        stream: bool,
        op: str | None,
    ) -> httpx.Response:
        """:meth:`request`'s attempts: ``send`` again while that is safe and worth it (once more
        after a renewed token); the 2xx response or the typed error."""
        renewed = False
        attempt = 0
        while True:
            try:
                response = await send()
            except DeadlineExceeded:
                # A server this slow will be as slow again: no retry, sync comes back later.
                raise too_slow(self.provider, target, limit, sent=not may_retry) from None
            except (*NOT_SENT, *CUT_OFF) as exc:
                failure = self._transport_failure(exc, target, may_retry, attempt)
                if failure is not None:
                    raise failure from exc
                attempt += 1
                await self.sleep(self.policy.delay(attempt, None))
                continue
            except UNSENDABLE as exc:
                # Nothing was sent: a header or the address cannot be put on the wire (the
                # exception's text may quote a credential, so it is not repeated).
                raise UserError(
                    f"Sealbox could not send the request to {self.provider}: the base URL or a "
                    f"header is not valid ({type(exc).__name__}). Check the {self.provider} "
                    "settings and credentials."
                ) from None
            status = response.status_code
            if status < 300:
                return response
            if stream:
                response, _ = await _read_capped(response)
            if status == 401 and authenticated and not renewed and self.on_unauthorized:
                renewed = True
                if await self.on_unauthorized():
                    continue
            wait = self._wait_or_raise(self._refusal(response, op), status, may_retry, attempt)
            attempt += 1
            await self.sleep(self.policy.delay(attempt, wait))

    def _transport_failure(
        self, exc: Exception, target: httpx.URL, may_retry: bool, attempt: int
    ) -> SealboxError | None:
        """The error for a connection that failed (:data:`NOT_SENT`) or was cut off
        (:data:`CUT_OFF`), or None when another attempt is due."""
        if isinstance(exc, NOT_SENT):
            # Nothing left this machine: safe to try again whatever the method.
            if attempt + 1 < self.policy.attempts:
                return None
            return ProviderUnavailableError(self._unreachable(target, exc))
        if may_retry and attempt + 1 < self.policy.attempts:
            return None
        return connection_lost(self.provider, target, exc, sent=not may_retry)

    def _wait_or_raise(
        self, error: SealboxError, status: int, may_retry: bool, attempt: int
    ) -> float | None:
        """How long to wait before trying again after the refusal ``error`` (None: the policy's
        backoff); raises it when it is final (ambiguous for a create that met a 500 or 504)."""
        if status in RETRY_STATUSES and isinstance(error, ProviderUnavailableError):
            if not may_retry and status in (500, 504):
                raise AmbiguousSendError(error.message, status=status) from None
            wait = error.retry_after
            if (
                (may_retry or status in (429, 503))
                and attempt + 1 < self.policy.attempts
                and (wait is None or wait <= self.policy.max_retry_after)
            ):
                # 429/503 mean the request was not processed: a retry is safe even for a
                # create, after the time the provider asked for.
                return wait
        raise error

    def _refusal(self, response: httpx.Response, operation: str | None) -> SealboxError:
        """The typed error for an answer that is not a success: the provider's own meaning of
        its status where its hook gives one, else the shared mapping."""
        body = bounded(self.error_body(response))
        if self.status_hook is not None:
            own = self.status_hook(Refusal(response.status_code, body, operation))
            if own is not None:
                return own
        return error_for(self.provider, response, body, login_hint=self.login_hint)

    def _unreachable(self, url: httpx.URL, exc: Exception) -> Text:
        """Nothing reached the provider's server: name the host, and what to check (the base
        URL's setting when the host is the base URL's)."""
        host = url.host or str(url)
        label = "Base URL" if _same_origin(url, self.base_url) else None
        return Text(
            Alt(f"{self.provider} could not be reached at {host}", f"Could not reach {host}"),
            Detail(reason(exc)),
            ": ",
            CheckAddress(self.provider_id, self.provider, label),
            ".",
        )

    async def _send_within(
        self, limit: float, method: str, url: httpx.URL, **kwargs: Any
    ) -> httpx.Response:
        """:meth:`_send` with ``limit`` seconds for all of it; DeadlineExceeded after that."""
        try:
            async with asyncio.timeout(limit) as scope:
                return await self._send(method, url, **kwargs)
        except TimeoutError:
            if scope.expired():
                raise DeadlineExceeded from None
            raise

    def _check_headers(self, headers: dict[str, str], auth: dict[str, str]) -> None:
        """Register every credential about to be sent for redaction; refuse a header that
        cannot be sent."""
        for name, value in {**headers, **auth}.items():
            credential = name in auth or name.lower() in CREDENTIAL_HEADERS
            if credential:
                register_credentials(value)
            if all(0x20 <= ord(c) < 0x7F for c in value):
                continue
            # A header carries printable ASCII only: a line break would split it, and httpx
            # cannot encode anything else.
            if credential:
                raise UserError(
                    f"A {self.provider} credential contains a line break, a control character "
                    "or a character outside plain ASCII, so it cannot be sent: enter it again "
                    f"exactly as it was given ({self.login_hint})."
                )
            raise UserError(
                f"The {name} sent to {self.provider} may hold only plain ASCII "
                "letters, digits and punctuation: correct it and try again."
            )

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        *,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, Any] | None,
        files: Files | None,
        content: bytes | AsyncIterable[bytes] | None,
        headers: dict[str, str],
        timeout: httpx.Timeout | None,
        authenticated: bool,
        stream: bool,
    ) -> httpx.Response:
        auth = dict(await self.auth()) if authenticated else {}
        self._check_headers(headers, auth)
        origin = url
        for _ in range(MAX_REDIRECTS + 1):
            same = _same_origin(origin, url)
            send_headers = {**headers, **auth} if same else {}
            request = self.client.build_request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                files=files() if files is not None else None,
                content=content,
                headers=send_headers,
                timeout=timeout or httpx.USE_CLIENT_DEFAULT,
            )
            response = await self.client.send(request, stream=True)
            if response.status_code not in REDIRECTS or "location" not in response.headers:
                if not stream:
                    response, cut = await _read_capped(response)
                    if cut and response.status_code < 300:
                        raise BadResponseError(
                            f"{self.provider} answered with more than "
                            f"{format_size(MAX_ANSWER_BYTES)}: try again later."
                        )
                return response
            await response.aclose()
            target = url.join(response.headers["location"])
            if not _same_origin(origin, target) and method not in SAFE_METHODS:
                raise BadResponseError(
                    f"{self.provider} redirected a {method} to another site; "
                    "Sealbox does not send credentials there."
                )
            if response.status_code == 303:
                method, json_body, data, files, content = "GET", None, None, None, None
            params = None
            url = target
        raise BadResponseError(f"{self.provider} redirected too many times.")

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request whose answer must be JSON; a body that is not raises BadResponseError."""
        response = await self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
            raise BadResponseError(
                f"{self.provider} answered with something that is not JSON: try again later."
            ) from exc

    async def download(
        self,
        path: str,
        dest: Path,
        *,
        expect_pdf: bool = True,
        params: Mapping[str, Any] | None = None,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        operation: str | None = None,
    ) -> str:
        """Stream a document to ``dest`` (whole or not at all); returns its SHA-256.

        The answer's headers must come within ``deadlines.call``; the body within
        ``deadlines.transfer(size)`` of them, the size being the announced Content-Length or,
        without one, what has arrived so far (so the body must keep up ``min_rate``). A body
        over ``max_bytes`` is refused as soon as it is announced or, without a length, as soon
        as that much has arrived (:class:`DownloadRejectedError`): it is never read whole."""
        for attempt in range(self.policy.attempts):
            response = await self.request(
                "GET", path, params=params, stream=True, operation=operation
            )
            try:
                return await self._receive(response, dest, expect_pdf, max_bytes)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if attempt + 1 >= self.policy.attempts:
                    raise ProviderUnavailableError(
                        Text(
                            f"The download from {self.provider} was cut off",
                            Detail(reason(exc)),
                            ": try again later.",
                        )
                    ) from exc
                await self.sleep(self.policy.delay(attempt + 1, None))
            finally:
                await response.aclose()
        raise AssertionError("unreachable")

    async def _receive(
        self, response: httpx.Response, dest: Path, expect_pdf: bool, max_bytes: int
    ) -> str:
        """:meth:`download`'s body of ``response`` into ``dest`` within its deadline (whole or
        not at all); its SHA-256."""
        digest = hashlib.sha256()
        started = asyncio.get_running_loop().time()
        announced = _content_length(response)
        received = 0
        try:
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise too_big(self.provider, max_bytes)
            async with asyncio.timeout(None) as scope:
                scope.reschedule(started + self.deadlines.transfer(announced))
                with atomic_file(dest, 0o600) as (_, handle):
                    first = True
                    async for chunk in response.aiter_bytes(1024 * 256):
                        if first and expect_pdf and chunk and chunk.lstrip()[:5] != b"%PDF-":
                            raise BadResponseError(
                                f"{self.provider} sent a download that is not a PDF: try again "
                                "later."
                            )
                        first = False
                        received += len(chunk)
                        if received > max_bytes:
                            raise too_big(self.provider, max_bytes)
                        scope.reschedule(
                            started + self.deadlines.transfer(max(announced, received))
                        )
                        digest.update(chunk)
                        handle.write(chunk)
                    if first and expect_pdf:
                        raise BadResponseError(
                            f"{self.provider} sent an empty download: try again later."
                        )
            return digest.hexdigest()
        except TimeoutError:
            if not scope.expired():
                raise
            allowed = self.deadlines.transfer(max(announced, received))
            of = f" of {format_size(announced)}" if announced else ""
            raise ProviderUnavailableError(
                f"{response.request.url.host} did not send the download within "
                f"{seconds(allowed)} s ({format_size(received)}{of} arrived): the "
                f"connection to {self.provider} is too slow; try again later."
            ) from None


def _content_length(response: httpx.Response) -> int:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() and "content-encoding" not in response.headers else 0


async def _read_capped(response: httpx.Response) -> tuple[httpx.Response, bool]:
    """The answer with its body read, at most :data:`MAX_ANSWER_BYTES` of it (decoded), and
    whether it was longer than that (then only its start is there)."""
    chunks: list[bytes] = []
    size = 0
    cut = False
    try:
        async for chunk in response.aiter_bytes():
            room = MAX_ANSWER_BYTES - size
            if len(chunk) > room:
                chunks.append(chunk[:room])
                cut = True
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        await response.aclose()
    # The body is decoded already: the headers that described its encoding go.
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")
    ]
    read = httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=dict(response.extensions),
    )
    return read, cut


__all__ = [
    "CHECK_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "MAX_ANSWER_BYTES",
    "UPLOAD_TIMEOUT",
    "Deadlines",
    "ErrorBody",
    "ProviderError",
    "ProviderHttp",
    "Refusal",
    "RetryPolicy",
    "StatusHook",
    "default_error_body",
    "error_for",
    "parse_retry_after",
]
