"""A problem with a request spec: where it is, and what is wrong there.

The command line prints a problem as one line, ``fields[3].type: unknown field type 'x'``; the
app's Check panel says the same of "Field 4 (text, page 2), type" and jumps to the field. An
:class:`Issue` is both: the string itself is the command line's line (so everything that prints,
joins or compares problems as text keeps working), and it keeps its parts, the ``path``
(``("fields", 3, "type")``) and the ``text``, so that nothing has to parse the line back.

Pure Python: no Qt, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.wording import Alt, Text

if TYPE_CHECKING:
    from app.domain.model import Recipient

#: One step of a path: a key of the spec's JSON, or a position in one of its lists.
PathPart = str | int
Path = tuple[PathPart, ...]


def path_text(path: Sequence[PathPart]) -> str:
    """``("fields", 3, "type")`` as the spec's JSON names it: ``fields[3].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Issue(str):
    """A problem: the command line's ``path: text`` as the string, with ``path`` and ``text``
    kept. ``text`` may be a :class:`~app.wording.Text` where the app words part of it
    differently (a recipient named by position on the command line, by name in the app); an
    empty path is a problem of the whole request."""

    path: Path
    text: str

    def __new__(cls, path: Sequence[PathPart], text: str) -> Issue:
        where = path_text(path)
        issue = super().__new__(cls, f"{where}: {text}" if where else str(text))
        issue.path = tuple(path)
        issue.text = text
        return issue

    def __reduce__(self) -> tuple[Any, ...]:
        return (Issue, (self.path, self.text))


def as_issue(problem: str) -> Issue:
    """``problem`` as an :class:`Issue`; a plain string is a problem of the whole request."""
    return problem if isinstance(problem, Issue) else Issue((), problem)


def recipient_label(recipient: Recipient | None, index: int) -> str:
    """A recipient as people name them: "Jane Doe", or "Recipient 2" before a name is typed."""
    if recipient is not None and recipient.name:
        return recipient.name
    return f"Recipient {index + 1}"


def mention(cli: str, recipient: Recipient | None, index: int) -> Text:
    """A recipient named inside a problem's text: ``cli`` ("recipients[0]") on the command line,
    their name in the app."""
    return Text(Alt(cli, recipient_label(recipient, index)))
