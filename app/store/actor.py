"""Who is doing things: the desk (this computer's host name) and the person (the OS user, and
the sender name from Settings), recorded on every event of a request's history and on every
request created, so that an office sharing one store sees who did what.

It is set once per process, by the context that opens the store (:func:`set_actor`); until then
it is this computer and this OS user with no sender name. A lease holder (:mod:`app.store.leases`)
is the actor's desk and user with this process's id, so two processes of one desk are told apart.
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass


def _host() -> str:
    return socket.gethostname() or "unknown computer"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown user"


@dataclass(frozen=True)
class Actor:
    """A desk and the person at it."""

    desk: str
    user: str
    #: The sender's name from Settings (None when not set).
    name: str | None = None

    @classmethod
    def of_this_process(cls, name: str | None = None) -> Actor:
        return cls(desk=_host(), user=_os_user(), name=(name or "").strip() or None)

    @property
    def holder(self) -> str:
        """This process as a lease holder: ``user@desk pid N``."""
        return f"{self.user}@{self.desk} pid {os.getpid()}"

    def describe(self) -> str:
        """``Jane Doe (jane on DESK-4)``, or ``jane on DESK-4`` without a sender name."""
        where = f"{self.user} on {self.desk}"
        return f"{self.name} ({where})" if self.name else where


_current: Actor | None = None


def set_actor(actor: Actor) -> None:
    """Who this process records as the doer of what it does from now on."""
    global _current
    _current = actor


def current_actor() -> Actor:
    """Who this process records (this desk and OS user until :func:`set_actor` is called)."""
    global _current
    if _current is None:
        _current = Actor.of_this_process()
    return _current


def describe(desk: str | None, user: str | None, name: str | None) -> str | None:
    """How an event's doer is shown (None when the event does not say: an older one)."""
    if not desk and not user:
        return None
    return Actor(desk or "an unknown computer", user or "someone", name).describe()
