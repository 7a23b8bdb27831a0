"""Messages that the command line and the app word differently.

A user error names the problem and the fix. Where the fix is "set this up" or "check that", the
two front ends say it in their own words: the command line names its commands, flags and
environment variables (``run `sealbox login craftkit` or set SEALBOX_CRAFTKIT_API_KEY``); the app
names its own pages and fields ("enter the API key on this page") and never shows a flag, an
environment variable or an exception's class.

A message is a :class:`Text`: a ``str`` whose value is the command line's wording (so everything
that takes a message as text, prints it or stores it keeps working), built from plain strings and
:class:`Part` objects that carry the structured pieces (the provider, the setting, the host, a
technical detail). :meth:`Text.gui` words the same message for a window, :func:`for_app` does it
for any string. Concatenating a Text with ``+`` keeps its parts; an f-string does not, so build
messages with ``Text(...)`` or ``+``.

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime
    from typing import SupportsIndex

#: Each credential as a sentence names it (its Settings page labels it the same, capitalised).
CREDENTIAL_WORDS: dict[str, str] = {
    "api_key": "API key",
    "client_id": "client ID",
    "client_secret": "client secret",
    "email": "sign-in email",
    "password": "sign-in password",
    "webhook_secret": "webhook secret",
    "pkcs12_passphrase": "certificate password",
    "pkcs11_pin": "token PIN",
}


@dataclass(frozen=True)
class Where:
    """Where the app shows a message. ``settings_page`` is the id of the provider whose page of
    Settings shows it, so that the message can say "on this page"."""

    settings_page: str | None = None


ANYWHERE = Where()


class Part(ABC):
    """A piece of a message that the command line and the app word differently."""

    @abstractmethod
    def cli(self) -> str:
        """The command line's wording."""

    @abstractmethod
    def gui(self, where: Where) -> str:
        """The app's wording, shown at ``where``."""


def _settings_place(provider_id: str | None, provider_name: str | None, where: Where) -> str:
    if provider_id is not None and where.settings_page == provider_id:
        return "on this page"
    if provider_name:
        return f"in Settings › {provider_name}"
    return "in Settings"


def _env(provider_id: str, key: str) -> str:
    return f"SEALBOX_{provider_id.upper()}_{key.upper()}"


@dataclass(frozen=True)
class Credentials(Part):
    """How to give a provider its credentials: ``sealbox login`` and the environment variables
    on the command line; the fields of its Settings page in the app."""

    provider_id: str
    provider_name: str | None = None
    keys: tuple[str, ...] = ("api_key",)

    def cli(self) -> str:
        variables = " and ".join(_env(self.provider_id, key) for key in self.keys)
        return f"run `sealbox login {self.provider_id}` or set {variables}"

    def gui(self, where: Where) -> str:
        what = " and ".join(CREDENTIAL_WORDS.get(key, key.replace("_", " ")) for key in self.keys)
        return f"enter the {what} {_settings_place(self.provider_id, self.provider_name, where)}"


@dataclass(frozen=True)
class CheckAddress(Part):
    """What to check when a provider's server cannot be reached: its address setting and the
    network. ``label`` is the setting's label on the provider's page (None when the host is not
    the one of a single setting)."""

    provider_id: str | None
    provider_name: str | None
    label: str | None = "Base URL"

    def cli(self) -> str:
        label = self.label
        what = label[:1].lower() + label[1:] if label else "addresses in the settings"
        return f"check the network connection and the {what}, then try again"

    def gui(self, where: Where) -> str:
        here = self.provider_id is not None and where.settings_page == self.provider_id
        if here:
            what = "the address" if self.label else "the addresses"
            return f"check {what} on this page and your network connection"
        place = _settings_place(self.provider_id, self.provider_name, where)
        what = f"the {self.label}" if self.label else "the addresses"
        return f"check your network connection and {what} {place}"


@dataclass(frozen=True)
class SettingRef(Part):
    """A provider's plain setting: "the base URL" on the command line (``cli_words``), "the Base
    URL on this page" or "the Base URL in Settings › Craftkit" (its ``label``) in the app."""

    provider_id: str | None
    provider_name: str | None
    label: str
    cli_words: str

    def cli(self) -> str:
        return self.cli_words

    def gui(self, where: Where) -> str:
        return f"the {self.label} {_settings_place(self.provider_id, self.provider_name, where)}"


@dataclass(frozen=True)
class Detail(Part):
    """A technical detail (an exception's class and text, an errno) that helps someone reading
    the command line's output or a log, and means nothing in a window: the app leaves it out."""

    text: str

    def cli(self) -> str:
        return f" ({self.text})" if self.text else ""

    def gui(self, where: Where) -> str:
        return ""


@dataclass(frozen=True)
class Alt(Part):
    """The same advice in two wordings, e.g. "run `sealbox sync`" / "wait for the next check"."""

    cli_text: str
    gui_text: str

    def cli(self) -> str:
        return self.cli_text

    def gui(self, where: Where) -> str:
        return self.gui_text


class Text(str):
    """A message: the command line's wording as the string itself, with the parts kept so that
    the app can word it its own way (:meth:`gui`)."""

    parts: tuple[str | Part, ...]

    def __new__(cls, *pieces: str | Part) -> Text:
        parts: list[str | Part] = []
        for piece in pieces:
            if isinstance(piece, Text):
                parts.extend(piece.parts)
            elif isinstance(piece, str):
                if piece:
                    parts.append(str(piece))
            else:
                parts.append(piece)
        value = "".join(p if isinstance(p, str) else p.cli() for p in parts)
        text = super().__new__(cls, value)
        text.parts = tuple(parts)
        return text

    def gui(self, where: Where = ANYWHERE) -> str:
        """The message as the app shows it at ``where``."""
        out = "".join(p if isinstance(p, str) else p.gui(where) for p in self.parts)
        return _capitalised(out)

    def __add__(self, other: str) -> Text:
        return Text(self, other)

    def __radd__(self, other: str) -> Text:
        return Text(other, self)

    def __mul__(self, n: SupportsIndex) -> str:  # a repeated message is plain text
        return str(self) * n


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def for_app(message: str, where: Where = ANYWHERE) -> str:
    """``message`` as the app shows it: a :class:`Text` in the app's words, any other string as
    it is."""
    return message.gui(where) if isinstance(message, Text) else message


__all__ = [
    "ANYWHERE",
    "CREDENTIAL_WORDS",
    "Alt",
    "CheckAddress",
    "Credentials",
    "Detail",
    "Part",
    "SettingRef",
    "Text",
    "Where",
    "for_app",
]


def when(moment: datetime | None) -> str:
    """A moment as the app and the command line show it: local time to the minute,
    "2026-12-06 14:05"; an empty string for None."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""
