"""The typed errors of Sealbox.

Two families matter to the user:

* ``UserError``: the input or the provider refused the request. It carries one sentence that names
  the problem and the fix; the command line prints it and exits 1, the UI shows it in a dialog.
* ``UnavailableError``: something could not be reached or is temporarily unavailable (network,
  provider outage, OS keyring locked). Worth retrying; the command line exits 3.

Anything else that escapes is a bug and becomes a crash report with a traceback.
"""

from __future__ import annotations


class SealboxError(Exception):
    """Base of every error Sealbox raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(SealboxError):
    """Bad input or a refusal: the message names the problem and the fix."""


class NotFoundError(UserError):
    """A request, file or other named thing does not exist."""


class ValidationError(UserError):
    """A request spec breaks one or more rules; ``problems`` lists every one of them."""

    def __init__(self, problems: list[str], what: str = "The request") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{what} has {count} problem{'s' if count != 1 else ''}"
        super().__init__(f"{head}: " + "; ".join(self.problems))


class UnavailableError(SealboxError):
    """A service, the network or the OS keyring is unavailable; retrying may help."""

    exit_code = 3


class BusyError(UnavailableError):
    """Another Sealbox process is doing this very thing right now (it holds the lock)."""


class CapabilityError(UserError):
    """The chosen provider does not offer what was asked."""
