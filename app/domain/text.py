"""Text as Sealbox shows it: safe on a terminal, bounded in length, sizes in one unit.

- :func:`printable` shows control characters, bidirectional overrides and the stray bytes of
  a file name that is not UTF-8 as escapes (``\\x1b``, ``\\u202e``, ``\\udcff``), so a request
  name cannot move the cursor, ring the bell, clear a line or reverse the text after it.
- :func:`clip` keeps at most a few thousand characters of a text that came from elsewhere (a
  provider's message), marked as cut with the number of bytes left out.
- :func:`format_size` writes a number of bytes in MiB/KiB (powers of 1024), the unit of every
  size Sealbox prints, including its limits (20 MiB).
"""

from __future__ import annotations

import math
import unicodedata

#: Unicode's explicit bidirectional formatting characters (embeddings, overrides, isolates and
#: marks). Each can make text display in an order other than the one it is stored in.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

#: How much of a provider's message is kept and shown, in characters.
MESSAGE_LIMIT = 2000


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def needs_escape(char: str) -> bool:
    """Control characters (C0, DEL, C1), line and paragraph separators, bidirectional
    controls and lone surrogates (bytes of a name that were not UTF-8)."""
    if char in BIDI_CONTROLS:
        return True
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def printable(text: object) -> str:
    """``text`` with every character that could steer a terminal shown as an escape."""
    value = str(text)
    if all(not needs_escape(c) for c in value):
        return value
    return "".join(_escape(c) if needs_escape(c) else c for c in value)


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """At most ``limit`` characters of ``text``; a longer text ends with
    ``… [cut, N bytes]`` where N is the size (UTF-8) of what was left out."""
    if len(text) <= limit:
        return text
    rest = text[limit:]
    cut = len(rest.encode("utf-8", "surrogatepass"))
    return f"{text[:limit]}… [cut, {cut:,} bytes]"


def shown(text: object, limit: int = 80) -> str:
    """A value the user typed, as an error message repeats it: quoted, escaped, and at most
    ``limit`` characters (a 60,000-character id is not echoed back whole)."""
    value = printable(text)
    if len(value) > limit:
        value = value[:limit] + f"… ({len(str(text)):,} characters)"
    return f"'{value}'" if "'" not in value else f'"{value}"'


def format_size(size: int) -> str:
    """``size`` bytes for a person: "512 bytes", "3.2 KiB", "27.7 MiB", "1.5 GiB".

    Rounded up to the tenth (so a file over a limit never reads as the limit), and whole
    numbers without a decimal: "20 MiB"."""
    if size < 1024:
        return f"{size:,} byte{'s' if size != 1 else ''}"
    for unit, scale in (("KiB", 1024), ("MiB", 1024**2), ("GiB", 1024**3), ("TiB", 1024**4)):
        tenths = math.ceil(size * 10 / scale)
        if tenths < 10240 or unit == "TiB":
            return f"{tenths // 10:,} {unit}" if tenths % 10 == 0 else f"{tenths / 10:,.1f} {unit}"
    raise AssertionError("unreachable")
