"""From an HTTP answer that is not a success to the typed error the user reads.

:func:`error_for` is the one mapping every provider shares (400 invalid with the offending fields,
401/403 the credentials, 402 out of credits, 404 unknown, 409 not ready yet or already finished,
413 too large, 502 rejected by the signature service, 429/5xx unavailable). A provider whose
statuses mean something else passes a status hook to :class:`~app.providers.http.ProviderHttp`
(a :data:`StatusHook`): it sees each refusal first (the status, the body as the provider's
``error_body`` read it, the operation the call was for) and returns the error to raise instead,
or None to keep the shared one. ``error_body`` reads a provider's error format into an
:class:`ErrorBody`.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.domain.text import MESSAGE_LIMIT, format_size
from app.errors import SealboxError
from app.logs import scrub
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
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
from app.wording import Detail, Text


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
        return ErrorBody(message=scrub(text, 500) or None)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        inner = data["error"]
        data = {**data, **inner}
    if not isinstance(data, dict):
        return ErrorBody(message=scrub(text, 500) or None)
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


def bounded(body: ErrorBody) -> ErrorBody:
    """``body`` with its message and issues cut to what is kept and shown, secrets masked."""
    return ErrorBody(
        code=scrub(body.code, 200) if body.code else None,
        message=scrub(body.message) if body.message else None,
        issues=tuple(scrub(issue, MESSAGE_LIMIT // 4) for issue in body.issues[:20]),
    )


def error_for(
    provider: str, response: httpx.Response, body: ErrorBody, *, login_hint: str
) -> SealboxError:
    """The typed error for a response that is not a success."""
    status = response.status_code
    said = f" ({body.message})" if body.message else ""
    refused = _refused(provider, status, body, said, login_hint)
    if refused is not None:
        return refused
    unavailable = _unavailable(provider, response, body)
    if unavailable is not None:
        return unavailable
    return ProviderError(f"{provider} answered {status}{said}.", **_details(status, body))


def _details(status: int, body: ErrorBody) -> dict[str, Any]:
    """The typed error's ``status``, ``code`` and ``issues``."""
    return {"status": status, "code": body.code, "issues": list(body.issues)}


def _refused(
    provider: str, status: int, body: ErrorBody, said: str, login_hint: str
) -> SealboxError | None:
    """The error for a status that says the provider refused this request (400, 401, 402, 403,
    404, 409, 413, 422, 502), or None for any other status."""
    kwargs = _details(status, body)
    if status == 400 or status == 422:
        details = "; ".join(body.issues) or body.message or "no details given"
        return InvalidRequestError(
            f"{provider} refused the request as invalid: {details}. Correct it and send again.",
            **kwargs,
        )
    if status in (401, 403):
        return AuthenticationError(
            Text(f"{provider} refused the credentials{said}: ", login_hint, "."), **kwargs
        )
    if status == 402:
        return OutOfCreditsError(
            f"The signature service account is out of credits{said}: top "
            f"up the {provider} account, then send again.",
            **kwargs,
        )
    if status == 404:
        return RemoteNotFoundError(
            f"{provider} does not know this request{said}: check that it "
            "was sent with the same account.",
            **kwargs,
        )
    if status == 409:
        return ConflictError(f"{provider} cannot do that yet or any more{said}.", **kwargs)
    if status == 413:
        return DocumentTooLargeError(
            f"The document is too large for {provider}{said}: reduce it below 20 MiB.", **kwargs
        )
    if status == 502:
        return ProviderRejectedError(
            f"{provider}'s signature service rejected the request"
            f"{said}: check the recipients and fields.",
            **kwargs,
        )
    return None


def _unavailable(
    provider: str, response: httpx.Response, body: ErrorBody
) -> ProviderUnavailableError | None:
    """The error for a status that says the provider cannot answer now (429, 5xx), with the
    wait it asked for; None for any other status."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    # What a server says about its own trouble (a stack trace, "Service Unavailable") helps
    # someone reading the command line's output or the log, not someone at a window.
    server_said = Detail(body.message or "")
    if status == 429:
        return ProviderUnavailableError(
            Text(
                f"{provider} is limiting requests", server_said, ": Sealbox will try again later."
            ),
            status=status,
            retry_after=retry_after,
        )
    if status == 503:
        return ProviderUnavailableError(
            Text(f"{provider} is unavailable", server_said, ": try again later."),
            status=status,
            retry_after=retry_after,
        )
    if status >= 500:
        return ProviderUnavailableError(
            Text(
                f"{provider} had an internal error",
                Detail(str(status)),
                server_said,
                ": try again later.",
            ),
            status=status,
            retry_after=retry_after,
        )
    return None


def too_slow(provider: str, url: httpx.URL, limit: float, *, sent: bool) -> SealboxError:
    """A call ran past its deadline of ``limit`` seconds; ``sent``: it may have been processed
    and cannot be retried (then the caller must check before doing anything else)."""
    if sent:
        return AmbiguousSendError(
            f"{url.host} did not answer within {seconds(limit)} s after the "
            f"request was sent: Sealbox will check with {provider} before "
            "doing anything else."
        )
    return ProviderUnavailableError(
        f"{url.host} did not answer within {seconds(limit)} s: {provider} "
        "is too slow to answer or the connection is poor; try again later."
    )


def connection_lost(provider: str, url: httpx.URL, exc: Exception, *, sent: bool) -> SealboxError:
    """The connection failed after the request may have left; ``sent`` as for :func:`too_slow`."""
    if sent:
        return AmbiguousSendError(
            Text(
                f"The connection to {provider} was lost after the request was sent",
                Detail(reason(exc)),
                f": Sealbox will check with {provider} before doing anything else.",
            )
        )
    return ProviderUnavailableError(
        Text(
            f"{provider} ({url.host}) did not answer in time",
            Detail(reason(exc)),
            ": try again later.",
        )
    )


def too_big(provider: str, max_bytes: int) -> DownloadRejectedError:
    """A download over ``max_bytes``: refused, never read whole."""
    return DownloadRejectedError(
        f"{provider} sent a download larger than {format_size(max_bytes)}, more "
        "than any signed PDF Sealbox accepts: it was not kept. Check the request at "
        f"{provider}, then download it again."
    )


def seconds(value: float) -> str:
    """A number of seconds as a message shows it."""
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def reason(exc: Exception) -> str:
    """An exception's type and text, for a message's details."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class Refusal:
    """An answer that is not a success, as a status hook sees it."""

    status: int
    body: ErrorBody
    #: What the call was for, as the provider named it (``"cancel"``, ``"download"``, …).
    operation: str | None

    @property
    def said(self) -> str:
        """What the provider said, as "(…)" after a sentence's subject, or nothing."""
        words = "; ".join(self.body.issues) or self.body.code or ""
        return f" ({words})" if words else ""

    def kwargs(self) -> dict[str, Any]:
        """The typed error's ``status``, ``code`` and ``issues`` for this answer."""
        return {"status": self.status, "code": self.body.code, "issues": list(self.body.issues)}


#: A provider's own meaning of a status: the error to raise instead of :func:`error_for`'s, or
#: None to keep that one.
StatusHook = Callable[[Refusal], SealboxError | None]
#: Reads a provider's error format.
ErrorReader = Callable[[httpx.Response], ErrorBody]
