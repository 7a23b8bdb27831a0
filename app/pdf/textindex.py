# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""A text index of a PDF for fast, repeated anchor search.

The editor highlights every match of an anchor string as the user types; reading a long PDF's
text again for every keystroke is far too slow. :class:`TextIndex` reads it once, the same way
:func:`app.pdf.document.find_text` does (``rawdict`` with the same flags, clipped to the visible
part of the page), and keeps each line's characters with their boxes. :meth:`TextIndex.find`
then answers exactly what ``find_text`` answers (same order, same canonical rectangles) with a
string search over the whole document's text held in memory.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pymupdf

from app.domain.geometry import Box, PageGeometry, Rect, from_unrotated
from app.pdf.document import _SEARCH_FLAGS, _document, page_geometry

#: Put between lines in the joined text. A match that would span it is not a match (text is
#: matched within one line), so any character would do; a newline keeps it readable.
_SEPARATOR = "\n"


class TextIndex:
    """The text of every line of a document with the box of every character.

    Build it with :meth:`build`; it holds no reference to the document afterwards.
    """

    def __init__(self, pages: Sequence[PageGeometry],
                 lines: Sequence[tuple[int, str, Sequence[Box]]]) -> None:
        """``lines`` in reading order as ``(page number from 1, text, MuPDF page-space box of
        each character)``; the boxes line up with the text's characters."""
        self._pages = tuple(pages)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._line_pages: list[PageGeometry] = []
        self._boxes: list[Sequence[Box]] = []
        texts: list[str] = []
        offset = 0
        for number, text, boxes in lines:
            self._starts.append(offset)
            self._ends.append(offset + len(text))
            self._line_pages.append(self._pages[number - 1])
            self._boxes.append(boxes)
            texts.append(text)
            offset += len(text) + len(_SEPARATOR)
        self._text = _SEPARATOR.join(texts)

    @classmethod
    def build(cls, path_or_doc: Path | str | Any) -> TextIndex:
        """Read the text of a PDF (a path, opened and closed here, or an open PyMuPDF document,
        left open). Raises the errors of :func:`app.pdf.document.find_text` for a path that is
        missing or cannot be opened."""
        pages: list[PageGeometry] = []
        lines: list[tuple[int, str, Sequence[Box]]] = []
        with _document(path_or_doc) as doc:
            for page in doc:
                geom = page_geometry(page)
                pages.append(geom)
                visible = pymupdf.Rect(0, 0, geom.unrotated_width, geom.unrotated_height)
                content = page.get_text("rawdict", flags=_SEARCH_FLAGS, clip=visible)
                for block in content["blocks"]:
                    for line in block.get("lines", ()):
                        chars = [ch for span in line["spans"] for ch in span["chars"]]
                        text = "".join(str(ch["c"]) for ch in chars)
                        boxes = tuple(tuple(ch["bbox"]) for ch in chars)
                        lines.append((geom.number, text, boxes))
        return cls(pages, lines)

    @property
    def pages(self) -> tuple[PageGeometry, ...]:
        """The geometry of every page, in page order."""
        return self._pages

    @property
    def line_count(self) -> int:
        """How many lines of text the document has (in the visible part of its pages)."""
        return len(self._starts)

    def find(self, needle: str) -> list[tuple[int, Rect]]:
        """Every occurrence of ``needle`` (case-sensitive, within one line of text) as
        ``(page number from 1, canonical rectangle of the match)``, in page and reading order;
        matches on a line do not overlap (the next is looked for after the previous one)."""
        if not needle:
            raise ValueError("cannot search for empty text")
        found: list[tuple[int, Rect]] = []
        text, size = self._text, len(needle)
        pos = text.find(needle)
        while pos >= 0:
            line = bisect_right(self._starts, pos) - 1
            end = pos + size
            if end > self._ends[line]:
                # Runs past the end of its line: not a match; a later one may start inside it.
                pos = text.find(needle, pos + 1)
                continue
            rel = pos - self._starts[line]
            boxes = self._boxes[line][rel:rel + size]
            box = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            geom = self._line_pages[line]
            found.append((geom.number, from_unrotated(box, geom)))
            pos = text.find(needle, end)
        return found
