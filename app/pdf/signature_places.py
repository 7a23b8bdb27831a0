# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Where each signature field of a PDF sits: its page and its rectangle as the user sees it
(canonical coordinates, :mod:`app.domain.geometry`), for the signature panel to show it.

An invisible signature (a zero-size field, as seals usually are) still has a page; a field
with no widget on any page has no place. Never raises on a damaged file: what cannot be read
is left out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import pymupdf

from app.domain.geometry import Rect, from_pdf_space
from app.pdf.reading import page_geometry

log = logging.getLogger(__name__)

_mu: Any = pymupdf
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?|-?\.\d+")


@dataclass(frozen=True)
class SignaturePlace:
    """A signature field's page (from 1) and rectangle; ``visible`` is False for a field of
    no size (an invisible signature: only its page can be shown)."""

    page: int
    rect: Rect
    visible: bool


def signature_places(data: bytes) -> dict[str, SignaturePlace]:
    """{fully qualified field name: place} of every signature field that has a widget."""
    try:
        doc = _mu.open(stream=data, filetype="pdf")
    except (RuntimeError, ValueError) as exc:
        log.warning("signature places: the PDF cannot be opened: %s", exc)
        return {}
    try:
        if doc.needs_pass and not doc.authenticate(""):
            return {}
        return _places(doc)
    finally:
        doc.close()


def _places(doc: Any) -> dict[str, SignaturePlace]:
    found: dict[str, SignaturePlace] = {}
    for index in range(doc.page_count):
        try:
            page = doc[index]
            geometry = page_geometry(page)
            widgets = list(page.widgets(types=[_mu.PDF_WIDGET_TYPE_SIGNATURE]))
        except (RuntimeError, ValueError) as exc:
            log.warning("signature places: page %d cannot be read: %s", index + 1, exc)
            continue
        for widget in widgets:
            name = str(widget.field_name or "")
            box = _raw_rect(doc, widget.xref)
            if not name or name in found or box is None:
                continue
            rect = from_pdf_space(box, geometry)
            visible = rect.width > 0.5 and rect.height > 0.5
            found[name] = SignaturePlace(index + 1, rect, visible)
    return found


def _raw_rect(doc: Any, xref: int) -> tuple[float, float, float, float] | None:
    """The widget's /Rect in the file's user space (bottom-left origin), as written."""
    kind, text = doc.xref_get_key(xref, "Rect")
    if kind != "array":
        return None
    numbers = [float(n) for n in _NUMBER.findall(text)]
    if len(numbers) != 4:
        return None
    x0, y0, x1, y1 = numbers
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
