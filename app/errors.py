"""The typed errors of Sealbox.

Two families matter to the user:

* ``UserError``: the input or the provider refused the request. It carries one sentence that names
  the problem and the fix; the command line prints it and exits 1, the UI shows it in a dialog.
* ``UnavailableError``: something could not be reached or is temporarily unavailable (network,
  provider outage, OS keyring locked). Worth retrying; the command line exits 3.

Anything else that escapes is a bug and becomes a crash report with a traceback.

A message may be a :class:`~app.wording.Text`: the command line prints it as it is, the app shows
:meth:`SealboxError.for_app`, the same message in the app's own words (its pages and fields rather
than commands, flags and environment variables).

Every message is redacted when the error is made (:func:`app.logs.redact`): a secret a provider
echoed back never reaches the screen, the store or a log through an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.logs import redact
from app.wording import ANYWHERE, Text, Where, for_app


def _redacted(message: str) -> str:
    """``message`` with every known secret masked, keeping a :class:`Text`'s parts where the
    secret sits in its plain pieces (the usual case: a provider's message quoted in it)."""
    clean = redact(message)
    if clean == message:
        return message
    if not isinstance(message, Text):
        return clean
    pieces = Text(*(redact(p) if isinstance(p, str) else p for p in message.parts))
    return pieces if str(pieces) == clean else clean


class SealboxError(Exception):
    """Base of every error Sealbox raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        message = _redacted(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def for_app(self, where: Where = ANYWHERE) -> str:
        """The message as a window shows it at ``where``."""
        return for_app(self.message, where)


class UserError(SealboxError):
    """Bad input or a refusal: the message names the problem and the fix."""


class NotFoundError(UserError):
    """A request, file or other named thing does not exist."""


class ValidationError(UserError):
    """A request spec breaks one or more rules; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[str], what: str = "The request") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{what} has {count} problem{'s' if count != 1 else ''}"
        super().__init__(f"{head}: " + "; ".join(self.problems))


class UnavailableError(SealboxError):
    """A service, the network or the OS keyring is unavailable; retrying may help."""

    exit_code = 3


class StoreUnreachableError(UnavailableError):
    """The shared store's server cannot be reached now (it is down, or the network is): the
    desk works from what it has and keeps its sends until the server is back."""


class BusyError(UnavailableError):
    """Another Sealbox process is doing this very thing right now (it holds the lock)."""


class CapabilityError(UserError):
    """The chosen provider does not offer what was asked."""


class SecretNeededError(UserError):
    """A secret that is asked for when needed (a certificate file's password, a token's PIN)
    is neither stored nor given. ``secret`` is its name in the keyring (``local.pkcs11_pin``);
    ``asking`` says what to enter, for the app's password dialog ("The PIN of the token
    'Office Seal'"). The command line prints the message, which says how to give it."""

    def __init__(self, message: str, *, secret: str, asking: str) -> None:
        super().__init__(message)
        self.secret = secret
        self.asking = asking


class SealSetupError(UserError):
    """What seals cannot be used as set up: ``part`` names the setting at fault ("file",
    "password", "module", "token", "pin", "key"), so that Settings shows the message next to
    it."""

    def __init__(self, message: str, *, part: str) -> None:
        super().__init__(message)
        self.part = part
