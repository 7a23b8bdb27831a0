"""The typed errors of the provider clients.

Every HTTP outcome maps onto one of these (see :func:`app.providers.http.error_for`). Those that
derive from ``UserError`` mean the provider said no: retrying the same thing will not help, and
the message says what to change. Those that derive from ``UnavailableError`` mean it could not be
reached or was briefly unavailable: retrying later may help (the command line exits 3).
"""

from __future__ import annotations

from app.errors import NotFoundError, UnavailableError, UserError
from app.logs import scrub

#: The most of a message about a provider that is kept and shown (its own words are cut to
#: ``MESSAGE_LIMIT`` where they are read; this bounds the whole sentence).
PROVIDER_MESSAGE_LIMIT = 4000


class ProviderError(UserError):
    """The provider refused the request."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        issues: list[str] | None = None,
    ) -> None:
        super().__init__(scrub(message, PROVIDER_MESSAGE_LIMIT))
        self.status = status
        self.code = code
        self.issues = [scrub(issue) for issue in issues or []]


class InvalidRequestError(ProviderError):
    """400: the provider found the request invalid (``issues`` names the fields)."""


class AuthenticationError(ProviderError):
    """401/403: the credentials were refused."""


class OutOfCreditsError(ProviderError):
    """402: the signature service account is out of credits."""


class RemoteNotFoundError(ProviderError, NotFoundError):
    """404: the provider does not know the request (or the render)."""


class ConflictError(ProviderError):
    """409: not ready yet (a download before archiving), or already finished (a cancel)."""


class DocumentTooLargeError(ProviderError):
    """413: the document is over the provider's size limit."""


class ProviderRejectedError(ProviderError):
    """502 and other refusals: the signature service behind the provider said no."""


class DownloadRejectedError(ProviderError):
    """A signed PDF or certificate the provider sent failed Sealbox's checks (too big, not a
    readable PDF, a broken signature): it is not archived."""


class ProviderUnavailableError(UnavailableError):
    """The provider could not be reached, or answered 429/5xx; worth retrying later."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(scrub(message, PROVIDER_MESSAGE_LIMIT))
        self.status = status
        self.retry_after = retry_after


class AmbiguousSendError(ProviderUnavailableError):
    """A create call may or may not have reached the provider (the connection was lost after the
    request left). It must be reconciled, never blindly sent again."""


class BadResponseError(ProviderUnavailableError):
    """The provider answered with something Sealbox cannot read."""
