"""Names for archive folders and files that are valid on Windows, macOS and Linux alike.

One function, :func:`portable_name`, turns any text (a request's name as the user typed it) into
a name every one of those systems accepts, as a folder name by itself and as the start of a file
name (``<name>-signed.pdf``):

- no character Windows forbids (``< > : " / \\ | ? *``), no control character, no bidi control
  (U+202E and its kin would make a name read backwards), no lone surrogate; runs of white space
  become one space;
- no leading or trailing dot or space (Windows drops trailing ones, a leading dot hides the file
  on Linux and macOS);
- not a device name Windows reserves (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9``,
  ``LPT0``-``LPT9``, their superscript forms, ``CONIN$``, ``CONOUT$``, ``CLOCK$``), with or
  without an extension: ``NUL.txt`` is ``NUL`` to Windows, so it becomes ``_NUL.txt``;
- at most ``max_bytes`` bytes of UTF-8, in both composed (NFC) and decomposed (NFD, which older
  macOS volumes store) form, cut between characters, never inside a combining sequence, an
  emoji ZWJ sequence or a flag.
"""

from __future__ import annotations

import re
import unicodedata

#: The longest file name the common file systems take (ext4, APFS, NTFS: 255 bytes or units).
MAX_NAME_BYTES = 255
#: Room kept for the request's name inside an archive name (folder: date, name, id; files:
#: name and ``-certificate.pdf``).
NAME_BYTES = 80

FORBIDDEN = frozenset('<>:"/\\|?*')
_SUPERSCRIPT_DIGITS = "¹²³"
RESERVED = frozenset(
    {
        "CON",
        "PRN",
        "AUX",
        "NUL",
        "CONIN$",
        "CONOUT$",
        "CLOCK$",
        *(f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789"),
        *(f"{p}{d}" for p in ("COM", "LPT") for d in _SUPERSCRIPT_DIGITS),
    }
)
#: Invisible characters that reorder text on screen.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_ZWJ = "\u200d"
_SPACES = re.compile(r"\s+", flags=re.UNICODE)


def portable_name(text: str, max_bytes: int = NAME_BYTES, fallback: str = "request") -> str:
    """``text`` made into a name valid on Windows, macOS and Linux (see the module)."""
    if max_bytes < 8:
        raise ValueError("max_bytes must leave room for a name")
    chars = []
    for ch in unicodedata.normalize("NFC", _no_surrogates(text)):
        if ch in BIDI_CONTROLS:
            continue
        if ch.isspace():
            chars.append(" ")
        elif ch in FORBIDDEN or unicodedata.category(ch) == "Cc":
            chars.append("_")
        else:
            chars.append(ch)
    name = _SPACES.sub(" ", "".join(chars)).strip(" .")
    name = _cut(name, max_bytes).rstrip(" .") or fallback
    if _reserved(name):
        name = _cut("_" + name, max_bytes).rstrip(" .")
    return name


def is_portable(name: str, max_bytes: int = MAX_NAME_BYTES) -> bool:
    """Whether ``name`` is a valid file or folder name on Windows, macOS and Linux."""
    if not name or name[0] in " ." or name[-1] in " .":
        return False
    if any(
        ch in FORBIDDEN or ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs")
        for ch in name
    ):
        return False
    return not _reserved(name) and _size(name) <= max_bytes


def _no_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8") if not _encodable(text) else text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reserved(name: str) -> bool:
    # Windows reads the part before the first dot, trailing spaces dropped, in any case.
    return name.split(".", 1)[0].rstrip(" ").upper() in RESERVED


def _size(name: str) -> int:
    """Bytes of UTF-8 in the larger of the composed and decomposed forms."""
    return max(len(name.encode("utf-8")), len(unicodedata.normalize("NFD", name).encode("utf-8")))


def _cut(name: str, max_bytes: int) -> str:
    """The longest start of ``name`` that fits in ``max_bytes``, ending between clusters."""
    if _size(name) <= max_bytes:
        return name
    clusters = _clusters(name)
    out: list[str] = []
    used = 0
    for cluster in clusters:
        size = _size(cluster)
        if used + size > max_bytes:
            break
        out.append(cluster)
        used += size
    return "".join(out)


def _clusters(text: str) -> list[str]:
    """``text`` split into user-perceived characters, near enough: a base character with the
    combining marks, variation selectors, emoji modifiers and tags after it, emoji joined by
    ZWJ, and regional indicators in pairs (flags)."""
    clusters: list[str] = []
    for ch in text:
        if clusters and (
            _extends(ch)
            or clusters[-1].endswith(_ZWJ)
            or (_regional(ch) and _open_flag(clusters[-1]))
        ):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _extends(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0xE0100 <= code <= 0xE01EF
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _open_flag(cluster: str) -> bool:
    """A cluster that is one regional indicator waiting for its pair."""
    return len(cluster) == 1 and _regional(cluster)
