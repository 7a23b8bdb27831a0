# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Opening a PDF with PyMuPDF and reading its pages' geometry: what the other ``app.pdf``
modules build on.

The typed errors a PDF can raise (each message names the file, the problem and the fix),
:func:`open_pdf_bytes` and :func:`opened` (a path opened and closed here, or a document already
open), and :func:`page_geometry`: the page boxes and /Rotate as the user sees the page (see
:mod:`app.domain.geometry`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymupdf

from app.domain.geometry import Box, PageGeometry
from app.errors import NotFoundError, UserError


class PdfError(UserError):
    """A PDF cannot be used: the message names the file, the problem and the fix."""


class EmptyPdfError(PdfError):
    """The file has zero bytes."""


class NotAPdfError(PdfError):
    """The file is not a PDF at all."""


class DamagedPdfError(PdfError):
    """The file claims to be a PDF but cannot be read, even after repair."""


class EncryptedPdfError(PdfError):
    """The PDF needs a password to open, or its permissions forbid filling in and signing."""


class NoPagesError(PdfError):
    """The PDF is readable but has no pages."""


class PdfTooLargeError(PdfError):
    """The file is bigger than :data:`MAX_PDF_BYTES`."""


class PageNotFoundError(PdfError):
    """A page number outside the document was asked for."""


def open_pdf_bytes(data: bytes, name: str) -> Any:
    """Open PDF bytes with PyMuPDF, mapping failures to the typed errors."""
    try:
        return pymupdf.open(stream=data, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise DamagedPdfError(
            f"{name} is damaged and cannot be repaired: open it in a PDF viewer, print it to a "
            f"new PDF and try again."
        ) from exc


def needs_password_message(name: str) -> str:
    return (
        f"{name} needs a password to open: ask the sender for a copy that opens without a "
        "password, or open it with the password in a PDF reader, save a copy without the "
        "open password, and try again."
    )


# --- page geometry ---------------------------------------------------------------------------


def _inherited_rotate(doc: Any, xref: int) -> int | None:
    """The raw /Rotate of a page, looked up through its /Parent chain like viewers do."""
    seen: set[int] = set()
    while xref and xref not in seen and len(seen) < 64:
        seen.add(xref)
        kind, value = doc.xref_get_key(xref, "Rotate")
        if kind == "int":
            return int(value)
        if kind == "real":
            return round(float(value))
        if kind == "xref":
            resolved = doc.xref_object(int(value.split()[0]), compressed=True).strip()
            try:
                return round(float(resolved))
            except ValueError:
                return None
        kind, value = doc.xref_get_key(xref, "Parent")
        if kind != "xref":
            return None
        xref = int(value.split()[0])
    return None


def page_geometry(page: Any) -> PageGeometry:
    """The geometry of one PyMuPDF page, boxes in the file's own (bottom-left) user space."""
    media = page.mediabox  # PyMuPDF: raw MediaBox, normalised
    crop = page.cropbox  # PyMuPDF: y measured down from the MediaBox top
    mediabox: Box = (media.x0, media.y0, media.x1, media.y1)
    cropbox: Box = (crop.x0, media.y1 - crop.y1, crop.x1, media.y1 - crop.y0)
    rotate = _inherited_rotate(page.parent, page.xref)
    if rotate is None:
        rotate = page.rotation
    return PageGeometry.from_boxes(page.number + 1, cropbox, mediabox, rotate)


def page_geometries(doc: Any) -> list[PageGeometry]:
    """The geometry of every page of a PyMuPDF document, in page order."""
    return [page_geometry(page) for page in doc]


# --- opening ---------------------------------------------------------------------------------


@contextmanager
def opened(path_or_doc: Path | str | Any) -> Iterator[Any]:
    """A PyMuPDF document for a path (opened and closed here) or an open document (left open)."""
    if isinstance(path_or_doc, str | Path):
        path = Path(path_or_doc)
        if not path.is_file():
            raise NotFoundError(
                f"{path.name or path} does not exist: check the file name and folder and try again."
            )
        doc = open_pdf_bytes(path.read_bytes(), path.name)
        try:
            if doc.needs_pass:
                raise EncryptedPdfError(needs_password_message(path.name))
            yield doc
        finally:
            doc.close()
    else:
        yield path_or_doc
