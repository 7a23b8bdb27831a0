"""Shared HTTP plumbing for the provider clients: one retry policy, one error mapping.

- Explicit timeouts on every call; TLS verification always on.
- Retries only for safe requests (GET, HEAD) or ones protected by an idempotency key; exponential
  backoff with full jitter; ``Retry-After`` honoured on 429 and 503 (seconds or an HTTP date).
- A create without an idempotency key is never retried: when the connection is lost after the
  request left, :class:`AmbiguousSendError` tells the caller to reconcile instead.
- Redirects are followed by hand: within the same origin as they are; to another origin only for
  a GET and without any of the credentials.
- One mapping from HTTP outcomes to typed errors, each with a sentence the user can act on.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app import __version__
from app.errors import SealboxError
from app.fsutil import atomic_file
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    DocumentTooLargeError,
    DownloadRejectedError,
    InvalidRequestError,
    OutOfCreditsError,
    ProviderError,
    ProviderRejectedError,
    ProviderUnavailableError,
    RemoteNotFoundError,
)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Uploads of up to 20 MB on a slow office line.
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=300.0)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
#: The largest download accepted (a signed PDF or a certificate), enforced while it streams.
MAX_DOWNLOAD_BYTES = 100_000_000
USER_AGENT = f"Sealbox/{__version__}"

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
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** attempt))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class ErrorBody:
    """What a provider's error body says: a code, a message and the offending fields."""

    code: str | None = None
    message: str | None = None
    issues: tuple[str, ...] = ()


def default_error_body(response: httpx.Response) -> ErrorBody:
    """Read the common JSON error shapes (``{"error": {"code", "message"}}``, ``{"code",
    "message", "issues"}``, ``{"message": ...}``) or plain text."""
    text = response.text.strip()
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return ErrorBody(message=text[:500] or None)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        inner = data["error"]
        data = {**data, **inner}
    if not isinstance(data, dict):
        return ErrorBody(message=text[:500] or None)
    code = data.get("code") if isinstance(data.get("code"), str) else None
    if code is None and isinstance(data.get("error"), str):
        code = data["error"]
    message = None
    for key in ("message", "error_description", "detail", "title", "errorMessage"):
        if isinstance(data.get(key), str) and data[key].strip():
            message = data[key].strip()
            break
    issues: list[str] = []
    raw = data.get("issues") or data.get("errors") or data.get("details")
    if isinstance(raw, list):
        for item in raw[:20]:
            if isinstance(item, str):
                issues.append(item)
            elif isinstance(item, dict):
                path = item.get("path") or item.get("field") or item.get("param")
                if isinstance(path, list):
                    path = ".".join(str(p) for p in path)
                msg = item.get("message") or item.get("msg") or item.get("detail") or ""
                issues.append(f"{path}: {msg}" if path else str(msg))
    elif isinstance(raw, dict):
        issues = [f"{k}: {v}" for k, v in list(raw.items())[:20]]
    return ErrorBody(code=code, message=message, issues=tuple(issues))


def error_for(provider: str, response: httpx.Response, body: ErrorBody,
              *, login_hint: str) -> SealboxError:
    """The typed error for a response that is not a success."""
    status = response.status_code
    said = f" ({body.message})" if body.message else ""
    kwargs: dict[str, Any] = {"status": status, "code": body.code, "issues": list(body.issues)}
    if status == 400 or status == 422:
        details = "; ".join(body.issues) or body.message or "no details given"
        return InvalidRequestError(f"{provider} refused the request as invalid: {details}. "
                                   "Correct it and send again.", **kwargs)
    if status in (401, 403):
        return AuthenticationError(f"{provider} refused the credentials{said}: {login_hint}.",
                                   **kwargs)
    if status == 402:
        return OutOfCreditsError(f"The signature service account is out of credits{said}: top "
                                 f"up the {provider} account, then send again.", **kwargs)
    if status == 404:
        return RemoteNotFoundError(f"{provider} does not know this request{said}: check that it "
                                   "was sent with the same account.", **kwargs)
    if status == 409:
        return ConflictError(f"{provider} cannot do that yet or any more{said}.", **kwargs)
    if status == 413:
        return DocumentTooLargeError(f"The document is too large for {provider}{said}: reduce "
                                     "it below 20 MB.", **kwargs)
    if status == 502:
        return ProviderRejectedError(f"{provider}'s signature service rejected the request"
                                     f"{said}: check the recipients and fields.", **kwargs)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        return ProviderUnavailableError(f"{provider} is limiting requests{said}: Sealbox will "
                                        "try again later.", status=status,
                                        retry_after=retry_after)
    if status == 503:
        return ProviderUnavailableError(f"{provider} is unavailable{said}: try again later.",
                                        status=status, retry_after=retry_after)
    if status >= 500:
        return ProviderUnavailableError(f"{provider} had an internal error ({status}){said}: "
                                        "try again later.", status=status,
                                        retry_after=retry_after)
    return ProviderError(f"{provider} answered {status}{said}.", **kwargs)


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


class ProviderHttp:
    """An authenticated HTTP client for one provider.

    ``auth`` gives the credential headers for each attempt (a Signicat token is fetched there);
    ``on_unauthorized`` is called once after a 401 and, when it returns True, the request is
    tried again (a renewed token). ``error_body`` reads the provider's error format.
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
        error_body: Callable[[httpx.Response], ErrorBody] = default_error_body,
        on_unauthorized: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self.auth = auth
        self.login_hint = login_hint
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.error_body = error_body
        self.on_unauthorized = on_unauthorized
        self.client = httpx.AsyncClient(
            transport=transport, timeout=timeout, verify=True, follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
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
    ) -> httpx.Response:
        """Send a request, retrying where that is safe; returns a 2xx response or raises.

        ``files`` is a callable returning httpx's ``files`` argument, so each attempt opens the
        document afresh and streams it; ``content`` may be an async iterable that yields the
        body afresh on each iteration (give its Content-Length in ``headers``). With
        ``stream=True`` the response body is not read;
        close it with ``await response.aclose()``.
        """
        method = method.upper()
        extra = dict(headers or {})
        if idempotency_key:
            extra[idempotency_header] = idempotency_key
        may_retry = retry if retry is not None else (method in SAFE_METHODS
                                                     or idempotency_key is not None)
        renewed = False
        attempt = 0
        while True:
            try:
                response = await self._send(method, self.url(path), params=params,
                                            json_body=json_body, data=data, files=files,
                                            content=content, headers=extra,
                                            timeout=timeout, authenticated=authenticated,
                                            stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing left this machine: safe to try again whatever the method.
                error: SealboxError = ProviderUnavailableError(
                    f"{self.provider} could not be reached ({_reason(exc)}): check the network "
                    "connection and the base URL, then try again.")
                if attempt + 1 < self.policy.attempts:
                    attempt += 1
                    await self.sleep(self.policy.delay(attempt, None))
                    continue
                raise error from exc
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if not may_retry:
                    raise AmbiguousSendError(
                        f"The connection to {self.provider} was lost after the request was sent "
                        f"({_reason(exc)}): Sealbox will check with {self.provider} before doing "
                        "anything else.") from exc
                if attempt + 1 < self.policy.attempts:
                    attempt += 1
                    await self.sleep(self.policy.delay(attempt, None))
                    continue
                raise ProviderUnavailableError(
                    f"{self.provider} did not answer in time ({_reason(exc)}): try again "
                    "later.") from exc
            status = response.status_code
            if status < 300:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            if status == 401 and authenticated and not renewed and self.on_unauthorized:
                renewed = True
                if await self.on_unauthorized():
                    continue
            error = error_for(self.provider, response, self.error_body(response),
                              login_hint=self.login_hint)
            if status in RETRY_STATUSES and isinstance(error, ProviderUnavailableError):
                if not may_retry and status in (500, 504):
                    raise AmbiguousSendError(error.message, status=status) from None
                wait = error.retry_after
                if (may_retry or status in (429, 503)) and attempt + 1 < self.policy.attempts and (
                    wait is None or wait <= self.policy.max_retry_after
                ):
                    # 429/503 mean the request was not processed: a retry is safe even for a
                    # create, after the time the provider asked for.
                    attempt += 1
                    await self.sleep(self.policy.delay(attempt, wait))
                    continue
            raise error

    async def _send(self, method: str, url: httpx.URL, *, params: Mapping[str, Any] | None,
                    json_body: Any, data: Mapping[str, Any] | None, files: Files | None,
                    content: bytes | AsyncIterable[bytes] | None, headers: dict[str, str],
                    timeout: httpx.Timeout | None, authenticated: bool,
                    stream: bool) -> httpx.Response:
        auth = dict(await self.auth()) if authenticated else {}
        origin = url
        for _ in range(MAX_REDIRECTS + 1):
            same = _same_origin(origin, url)
            send_headers = {**headers, **auth} if same else {}
            request = self.client.build_request(
                method, url, params=params, json=json_body, data=data,
                files=files() if files is not None else None, content=content,
                headers=send_headers, timeout=timeout or httpx.USE_CLIENT_DEFAULT,
            )
            response = await self.client.send(request, stream=True)
            if response.status_code not in REDIRECTS or "location" not in response.headers:
                if not stream:
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
                return response
            await response.aclose()
            target = url.join(response.headers["location"])
            if not _same_origin(origin, target) and method not in SAFE_METHODS:
                raise BadResponseError(f"{self.provider} redirected a {method} to another site; "
                                       "Sealbox does not send credentials there.")
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
            raise BadResponseError(f"{self.provider} answered with something that is not JSON: "
                                   "try again later.") from exc

    async def download(self, path: str, dest: Path, *, expect_pdf: bool = True,
                       params: Mapping[str, Any] | None = None,
                       max_bytes: int = MAX_DOWNLOAD_BYTES) -> str:
        """Stream a document to ``dest`` (whole or not at all); returns its SHA-256. A body
        over ``max_bytes`` is refused as soon as it is announced or, without a length, as soon
        as that much has arrived (:class:`DownloadRejectedError`): it is never read whole."""
        import hashlib

        for attempt in range(self.policy.attempts):
            response = await self.request("GET", path, params=params, stream=True)
            digest = hashlib.sha256()
            try:
                announced = response.headers.get("content-length", "")
                if announced.isdigit() and int(announced) > max_bytes:
                    raise self._too_big(max_bytes)
                received = 0
                with atomic_file(dest, 0o600) as (_, handle):
                    first = True
                    async for chunk in response.aiter_bytes(1024 * 256):
                        received += len(chunk)
                        if received > max_bytes:
                            raise self._too_big(max_bytes)
                        if first and expect_pdf and chunk and not chunk.lstrip()[:5] == b"%PDF-":
                            raise BadResponseError(f"{self.provider} sent a download that is not "
                                                   "a PDF: try again later.")
                        first = False
                        digest.update(chunk)
                        handle.write(chunk)
                    if first and expect_pdf:
                        raise BadResponseError(f"{self.provider} sent an empty download: try "
                                               "again later.")
                return digest.hexdigest()
            except (httpx.TimeoutException, httpx.NetworkError,
                    httpx.RemoteProtocolError) as exc:
                if attempt + 1 >= self.policy.attempts:
                    raise ProviderUnavailableError(
                        f"The download from {self.provider} was cut off ({_reason(exc)}): try "
                        "again later.") from exc
                await self.sleep(self.policy.delay(attempt + 1, None))
            finally:
                await response.aclose()
        raise AssertionError("unreachable")


    def _too_big(self, max_bytes: int) -> DownloadRejectedError:
        return DownloadRejectedError(
            f"{self.provider} sent a download larger than {max_bytes // 1_000_000} MB, more "
            "than any signed PDF Sealbox accepts: it was not kept. Check the request at "
            f"{self.provider}, then download it again.")


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def require_keys(provider: str, data: Any, *keys: str) -> dict[str, Any]:
    """``data`` as a dict holding ``keys``, or BadResponseError naming what is missing."""
    if not isinstance(data, dict):
        raise BadResponseError(f"{provider} answered with an unexpected shape (not an object): "
                               "try again later.")
    missing = [k for k in keys if k not in data]
    if missing:
        raise BadResponseError(f"{provider} answered without {', '.join(missing)}: try again "
                               "later.")
    return data


__all__ = [
    "DEFAULT_TIMEOUT",
    "UPLOAD_TIMEOUT",
    "ErrorBody",
    "ProviderError",
    "ProviderHttp",
    "RetryPolicy",
    "default_error_body",
    "error_for",
    "parse_retry_after",
    "require_keys",
]
