# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Changing a received PDF without rewriting it: incremental updates (PyMuPDF).

Everything the built-in provider changes in a document (the stamped values, the appearances of
its form fields, the anchor texts it takes off the pages) is written as an **incremental
update**: the bytes that were received stay, untouched, as the file's first revision, and the
changes are appended after them. So signatures the document already carried stay valid (their
byte ranges still hash to what was signed), a file encrypted with a permissions password keeps
its encryption, and the cost of the last signature does not grow with the page count: only the
changed objects are written, where a full rewrite (``tobytes(garbage=3)``) took minutes on a
2,400-page manual. The seal (:mod:`app.providers.local.seal`, pyHanko) is a further revision.

Forms that rely on ``/NeedAppearances`` (LibreOffice, pdfTeX's hyperref, viewers that save
filled values without drawing them) show their values only in viewers that redraw fields, and a
signature clears that flag (a viewer must not change a signed file). :func:`draw_form_appearances`
draws the fields' appearance streams first, in the same update, so the values stay visible in
every viewer.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import pymupdf

log = logging.getLogger(__name__)

# PyMuPDF's type information lacks its constants: reach them through Any.
_mu: Any = pymupdf

_TEXT_LIKE = frozenset(
    {
        _mu.PDF_WIDGET_TYPE_TEXT,
        _mu.PDF_WIDGET_TYPE_COMBOBOX,
        _mu.PDF_WIDGET_TYPE_LISTBOX,
    }
)
_TOGGLES = frozenset({_mu.PDF_WIDGET_TYPE_CHECKBOX, _mu.PDF_WIDGET_TYPE_RADIOBUTTON})
#: An appearance stream that draws nothing: empty, or only a marked-content wrapper.
_BLANK_APPEARANCE = re.compile(rb"^\s*(?:/Tx\s+BMC\s+EMC)?\s*$")


def incremental_bytes(doc: Any, original: bytes) -> bytes:
    """``original`` with ``doc``'s changes appended as an incremental update.

    ``doc`` must have been opened from ``original``. The result starts with ``original`` byte
    for byte. Encryption is kept as it is. Text taken off a page by a redaction is gone from the
    page as it is shown, printed and extracted, but the first revision, kept as received, still
    holds it (MuPDF refuses such updates by default for that reason; the anchor texts Sealbox
    removes are placeholders, not secrets).
    """
    pdf = pymupdf._as_pdf_document(doc)
    options = pymupdf.mupdf.PdfWriteOptions()
    options.do_incremental = 1
    options.do_encrypt = pymupdf.mupdf.PDF_ENCRYPT_KEEP
    # New and changed streams (fonts, the stamps' content) are compressed; old ones are not
    # written at all.
    options.do_compress = 1
    options.do_compress_fonts = 1
    sink = io.BytesIO()
    out = pymupdf.JM_new_output_fileptr(sink)
    pymupdf.mupdf.pdf_write_document(pdf, out, options)
    out.fz_close_output()
    data = sink.getvalue()
    if not data.startswith(original):
        # MuPDF writes increments after the original bytes; anything else is a bug here.
        raise AssertionError("the incremental update does not start with the original file")
    return data


def rewritten_bytes(doc: Any) -> bytes:
    """``doc`` written whole, for a damaged file without signatures (MuPDF had to rebuild its
    cross-reference table, so an update could not point back into it): objects renumbered only
    where needed (``garbage=1``), never a full garbage collection, which costs minutes on big
    documents."""
    data: bytes = doc.tobytes(garbage=1, deflate=True)
    return data


def needs_appearances(doc: Any) -> bool:
    """Whether the form asks viewers to draw its fields (``/AcroForm /NeedAppearances``)."""
    catalog = doc.pdf_catalog()
    kind, value = doc.xref_get_key(catalog, "AcroForm/NeedAppearances")
    return bool(kind == "bool" and value == "true")


def _appearance_blank(doc: Any, xref: int) -> bool:
    kind, value = doc.xref_get_key(xref, "AP/N")
    if kind == "null":
        return True
    if kind != "xref":
        return False  # a dictionary of states (checkboxes): drawn
    try:
        stream = doc.xref_stream(int(value.split()[0]))
    except (RuntimeError, ValueError):
        return True
    return stream is None or bool(_BLANK_APPEARANCE.match(stream))


def draw_form_appearances(doc: Any) -> int:
    """Draw the appearance of every filled form field that relies on the viewer to draw it
    (all of them when the form says ``/NeedAppearances``, otherwise those whose appearance is
    missing or blank). Signature fields are left alone. Returns how many were drawn."""
    if not doc.is_form_pdf:
        return 0
    everything = needs_appearances(doc)
    drawn = 0
    for page in doc:
        for widget in page.widgets():
            kind = widget.field_type
            if kind in _TEXT_LIKE:
                if not str(widget.field_value or "").strip():
                    continue
                if not (everything or _appearance_blank(doc, widget.xref)):
                    continue
            elif kind in _TOGGLES:
                if doc.xref_get_key(widget.xref, "AP/N")[0] != "null":
                    continue  # their on/off appearances are states, drawn already
            else:
                continue
            try:
                widget.update()
            except (RuntimeError, ValueError) as exc:
                log.warning(
                    "the appearance of field %r could not be drawn: %s", widget.field_name, exc
                )
                continue
            drawn += 1
    return drawn
