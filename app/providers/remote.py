"""What the remote providers share: their HTTP client and credentials, set up in one place.

- :func:`connect` builds a provider's :class:`~app.providers.http.ProviderHttp` from its
  configuration (transport, sleep, deadlines, the id its Settings page is found by); a base URL
  that is not a web address is refused, with the setting to fix, before any call.
- :class:`ApiKey` is the ``api_key`` credential sent in a header on every call.
- :func:`probe` runs a connection test: one attempt, the client closed after it, and the refusals
  a test can meet worded for the Settings page.
- The sentences every remote provider uses: the credentials it needs, a request that has not
  reached it yet, the sender it asks for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from app.domain.model import Request
from app.errors import UserError
from app.providers.base import ProviderConfig
from app.providers.errors import AuthenticationError, ProviderError, RemoteNotFoundError
from app.providers.http import AuthHeaders, ProviderHttp
from app.providers.http_errors import ErrorReader, StatusHook, default_error_body
from app.wording import Alt, SettingRef, Text

T = TypeVar("T")

#: Where a client whose base URL is unusable points; it is never called (see :func:`connect`).
_NOWHERE = "https://invalid.invalid"

#: Where the sender's name and email are set, in each front end's words.
SENDER_SETTING = Alt(
    "SEALBOX_SENDER_EMAIL (and SEALBOX_SENDER_NAME) or the sender in settings",
    "your name and email in Settings › General",
)

#: What finishes an interrupted send, in each front end's words.
FINISH_SENDING = Alt(
    "run `sealbox sync` to finish sending it first",
    "Sealbox finishes sending it at the next check of the requests, then try again",
)


def base_url(config: ProviderConfig, default: str) -> str:
    """The configured base URL (``SEALBOX_<ID>_BASE_URL``, then the settings), else ``default``."""
    return (config.setting("base_url") or "").strip() or default


def base_url_setting(provider_id: str, name: str, cli_words: str) -> SettingRef:
    """The base URL setting as a fix names it: ``cli_words`` on the command line, "the Base URL
    on this page" (or "in Settings › <name>") in the app."""
    return SettingRef(provider_id, name, "Base URL", cli_words)


def base_url_problem(config: ProviderConfig, name: str, url: str) -> Text | None:
    """Why ``url`` cannot be ``name``'s base URL (it is not an http(s) address), or None."""
    try:
        parsed: httpx.URL | None = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is not None and parsed.scheme in ("http", "https") and parsed.host:
        return None
    pid = config.provider_id
    return Text(
        f"{name}'s base URL {url!r} is not a web address: set ",
        base_url_setting(
            pid, name, f"{config.env_prefix}BASE_URL or base_url under [providers.{pid}]"
        ),
        " to an https:// address.",
    )


def connect(
    config: ProviderConfig,
    name: str,
    url: str,
    auth: AuthHeaders,
    *,
    login_hint: str | None = None,
    error_body: ErrorReader = default_error_body,
    status_hook: StatusHook | None = None,
    on_unauthorized: Callable[[], Awaitable[bool]] | None = None,
) -> ProviderHttp:
    """``name``'s HTTP client at ``url``, with ``auth`` for every authenticated call. A ``url``
    that is not a web address raises its :func:`base_url_problem` at the first call (the
    provider's ``configuration_problem`` says it before anything is sent)."""
    problem = base_url_problem(config, name, url)

    async def checked_auth() -> dict[str, str]:
        if problem is not None:
            raise UserError(problem)
        return dict(await auth())

    return ProviderHttp(
        provider=name,
        base_url=url if problem is None else _NOWHERE,
        auth=checked_auth,
        login_hint=login_hint or config.login_hint(name=name),
        transport=config.transport,
        sleep=config.sleep,
        deadlines=config.deadlines,
        error_body=error_body,
        status_hook=status_hook,
        on_unauthorized=on_unauthorized,
        provider_id=config.provider_id,
    )


class ApiKey:
    """The provider's ``api_key`` credential, sent as ``header: <prefix><key>`` on every call
    (``Authorization: Bearer <key>`` unless told otherwise)."""

    def __init__(
        self,
        config: ProviderConfig,
        name: str,
        header: str = "Authorization",
        prefix: str = "Bearer ",
    ) -> None:
        self.config = config
        self.name = name
        self.header = header
        self.prefix = prefix

    def value(self) -> str | None:
        key = self.config.credential("api_key")
        return key.strip() if key and key.strip() else None

    def missing(self) -> Text:
        """ "<name> needs an API key" and where to give it."""
        return Text(
            f"{self.name} needs an API key: ",
            self.config.login_hint("api_key", name=self.name),
            ".",
        )

    async def __call__(self) -> dict[str, str]:
        key = self.value()
        if key is None:
            raise AuthenticationError(self.missing())
        return {self.header: f"{self.prefix}{key}"}


def credentials_rejected(
    name: str, what: str, error: ProviderError, fix: str | None = None
) -> AuthenticationError:
    """The error a connection test raises when ``name`` refused the credentials ``what``
    ("API key", "API client credentials", ...): one sentence, without a status code."""
    if error.status == 403:
        text = (
            f"{name} accepted the {what} but refused it access: "
            f"{fix or f'check the permissions of the {what} at {name}'}."
        )
    else:
        text = f"{name} rejected the {what}: {fix or f'check the {what} and test again'}."
    return AuthenticationError(text, status=error.status, code=error.code, issues=error.issues)


def not_the_api(
    name: str,
    url: str,
    error: ProviderError,
    what: str = "base URL",
    provider_id: str | None = None,
) -> ProviderError:
    """The error a connection test raises when ``url`` answered 404: nothing of ``name``'s API
    is there. The app names the setting by its label on the provider's Settings page."""
    label = what[:1].upper() + what[1:]
    setting = SettingRef(provider_id, name, label, f"the {what}")
    return ProviderError(
        Text(f"{name}'s API is not at {url}: check ", setting, "."),
        status=error.status,
        code=error.code,
        issues=error.issues,
    )


async def probe(
    http: ProviderHttp,
    call: Callable[[ProviderHttp], Awaitable[T]],
    *,
    what: str,
    url: str,
    setting: str = "base URL",
    fix: Callable[[ProviderError], str | None] | None = None,
) -> T:
    """A connection test: ``call`` on a one-attempt copy of ``http`` (closed after it). Refused
    credentials (``what``: "API key", …) and a 404 from ``url`` (the ``setting`` it comes
    from) become the sentences the Settings page shows."""
    client = http.probe()
    try:
        return await call(client)
    except AuthenticationError as exc:
        raise credentials_rejected(
            http.provider, what, exc, fix(exc) if fix is not None else None
        ) from exc
    except RemoteNotFoundError as exc:
        raise not_the_api(http.provider, url, exc, setting, provider_id=http.provider_id) from exc
    finally:
        await client.aclose()


def reference(request: Request, name: str, what: str | None = None) -> str:
    """``request``'s id at the provider ``name`` (its ``what``: "document id", …); a UserError
    when it has none yet (the send has not finished)."""
    if not request.provider_id:
        missing = f"has no {name} {what}" if what else f"has not reached {name}"
        raise UserError(Text(f"{request.name!r} {missing} yet: ", FINISH_SENDING, "."))
    return request.provider_id


def reworded(error: ProviderError, message: str) -> ProviderError:
    """The same kind of error as ``error`` (status, code and issues kept), saying ``message``."""
    return type(error)(message, status=error.status, code=error.code, issues=error.issues)


__all__ = [
    "FINISH_SENDING",
    "SENDER_SETTING",
    "ApiKey",
    "base_url",
    "base_url_problem",
    "base_url_setting",
    "connect",
    "credentials_rejected",
    "not_the_api",
    "probe",
    "reference",
    "reworded",
]
