# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""A text index of a PDF for fast, repeated anchor search.

The editor highlights every match of an anchor string as the user types; reading a long PDF's
text again for every keystroke is far too slow. :class:`TextIndex` reads it once, the same way
:func:`app.pdf.document.find_text` does (``rawdict`` with the same flags, clipped to the visible
part of the page), and keeps each line's characters with their boxes. :meth:`TextIndex.find`
then answers exactly what ``find_text`` answers (same order, same canonical rectangles) with a
string search over the whole document's text held in memory.

Scanned pages have no text to search. The index remembers which pages are images without any
text (:attr:`TextIndex.scanned_pages`), so a message can say why an anchor is not found, and,
when asked (``ocr=True``) and Tesseract is installed (:func:`ocr_available`), reads those pages'
text by OCR (PyMuPDF's ``get_textpage_ocr``) and searches it like any other text.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pymupdf

from app.domain.geometry import Box, PageGeometry, Rect, from_unrotated
from app.pdf.reading import opened, page_geometry

log = logging.getLogger(__name__)

#: The Tesseract language OCR reads (its data file must be installed: ``eng.traineddata``).
OCR_LANGUAGE = "eng"
#: Resolution scanned pages are read at for OCR.
OCR_DPI = 300

#: How text is read for searching: whitespace kept, only what lies on the MediaBox.
SEARCH_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP

#: Put between lines in the joined text. A match that would span it is not a match (text is
#: matched within one line), so any character would do; a newline keeps it readable.
_SEPARATOR = "\n"


class TextIndex:
    """The text of every line of a document with the box of every character.

    Build it with :meth:`build`; it holds no reference to the document afterwards.
    """

    def __init__(
        self,
        pages: Sequence[PageGeometry],
        lines: Sequence[tuple[int, str, Sequence[Box]]],
        scanned: Sequence[int] = (),
        ocr_pages: Sequence[int] = (),
    ) -> None:
        """``lines`` in reading order as ``(page number from 1, text, MuPDF page-space box of
        each character)``; the boxes line up with the text's characters. ``scanned``: pages
        that are images without a text layer; ``ocr_pages``: those of them read by OCR."""
        self._pages = tuple(pages)
        self.scanned_pages: tuple[int, ...] = tuple(scanned)
        self.ocr_pages: tuple[int, ...] = tuple(ocr_pages)
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
    def build(cls, path_or_doc: Path | str | Any, *, ocr: bool = False) -> TextIndex:
        """Read the text of a PDF (a path, opened and closed here, or an open PyMuPDF document,
        left open). With ``ocr`` (and Tesseract installed) scanned pages are read by OCR.
        Raises the errors of :func:`app.pdf.document.find_text` for a path that is missing or
        cannot be opened."""
        pages: list[PageGeometry] = []
        lines: list[tuple[int, str, Sequence[Box]]] = []
        scanned: list[int] = []
        read: list[int] = []
        use_ocr = ocr and ocr_available()
        with opened(path_or_doc) as doc:
            for page in doc:
                geom = page_geometry(page)
                pages.append(geom)
                visible = pymupdf.Rect(0, 0, geom.unrotated_width, geom.unrotated_height)
                found = _lines(page.get_text("rawdict", flags=SEARCH_FLAGS, clip=visible))
                if not found and page.get_images():
                    scanned.append(geom.number)
                    if use_ocr:
                        found = _ocr_lines(page, visible)
                        read.append(geom.number)
                lines.extend((geom.number, text, boxes) for text, boxes in found)
        return cls(pages, lines, scanned, read)

    @property
    def text(self) -> str:
        """Every line of the document (OCR'd ones included), one per line, in reading order."""
        return self._text

    def scanned_without_ocr(self) -> tuple[int, ...]:
        """Scanned pages whose text was not read (no OCR was asked for, or it is missing)."""
        return tuple(n for n in self.scanned_pages if n not in self.ocr_pages)

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
            boxes = self._boxes[line][rel : rel + size]
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


def _lines(content: dict[str, Any], visible: Any = None) -> list[tuple[str, Sequence[Box]]]:
    """Each line's text and character boxes (only characters inside ``visible`` if given)."""
    out: list[tuple[str, Sequence[Box]]] = []
    for block in content["blocks"]:
        for line in block.get("lines", ()):
            chars = [
                ch
                for span in line["spans"]
                for ch in span["chars"]
                if visible is None or visible.intersects(pymupdf.Rect(ch["bbox"]))
            ]
            if chars:
                text = "".join(str(ch["c"]) for ch in chars)
                out.append((text, tuple(tuple(ch["bbox"]) for ch in chars)))
    return out


def _ocr_lines(page: Any, visible: Any) -> list[tuple[str, Sequence[Box]]]:
    """The text of a scanned page, read by Tesseract; none when OCR fails on it."""
    try:
        textpage = page.get_textpage_ocr(
            flags=SEARCH_FLAGS, language=OCR_LANGUAGE, dpi=OCR_DPI, full=True, tessdata=_tessdata()
        )
        return _lines(page.get_text("rawdict", flags=SEARCH_FLAGS, textpage=textpage), visible)
    except (RuntimeError, ValueError) as exc:
        log.warning("OCR of page %d failed: %s", page.number + 1, exc)
        return []


@functools.cache
def _tessdata() -> str | None:
    """Tesseract's language folder, or None where Tesseract (or its English data) is missing."""
    if shutil.which("tesseract") is None and not os.environ.get("TESSDATA_PREFIX"):
        return None
    try:
        folder = str(pymupdf.get_tessdata())
    except (RuntimeError, OSError) as exc:
        log.info("no Tesseract language data: %s", exc)
        return None
    if not (Path(folder) / f"{OCR_LANGUAGE}.traineddata").is_file():
        return None
    return folder


def ocr_available() -> bool:
    """Whether anchors can be found in scanned pages here (Tesseract with English installed)."""
    return _tessdata() is not None
