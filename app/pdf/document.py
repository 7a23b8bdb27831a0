# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Open and check PDFs, read page geometry, find text, render pages (PyMuPDF).

Every PDF the user hands to Sealbox goes through :func:`check_pdf` first: it refuses, with one
sentence that names the file, the problem and the fix, anything that cannot be sent for
signature (missing, empty, not a PDF, damaged, needing a password to open, protected against
filling in and signing, without pages, too large). A file with a permissions password only (it
opens without one) is accepted when its permissions allow filling in forms or signing; the
built-in provider then keeps its encryption (:mod:`app.pdf.revision`).

Coordinates returned here are canonical (see :mod:`app.domain.geometry`): points, top-left origin
of the page as the user sees it, pages numbered from 1.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from app.domain.geometry import PageGeometry, Rect
from app.domain.text import format_size
from app.errors import NotFoundError, UserError
from app.pdf.limits import MAX_PDF_BYTES as MAX_PDF_BYTES  # re-exported: its old home
from app.pdf.reading import (
    DamagedPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    NoPagesError,
    NotAPdfError,
    PageNotFoundError,
    PdfError,
    PdfTooLargeError,
    needs_password_message,
    open_pdf_bytes,
    opened,
    page_geometries,
    page_geometry,
)
from app.pdf.signatures import ExistingSignature, existing_signatures
from app.pdf.textindex import TextIndex
from app.userfiles import check_user_file, display_name

__all__ = [
    "MAX_PDF_BYTES",
    "DamagedPdfError",
    "EmptyPdfError",
    "EncryptedPdfError",
    "NoPagesError",
    "NotAPdfError",
    "PageNotFoundError",
    "PdfError",
    "PdfInfo",
    "PdfTooLargeError",
    "can_fill_and_sign",
    "check_pdf",
    "extract_text",
    "find_text",
    "needs_password_message",
    "not_fillable_message",
    "open_pdf_bytes",
    "page_geometries",
    "page_geometry",
    "render_page_png",
]

# PyMuPDF's type information lacks its constants: reach them through Any.
_mu: Any = pymupdf

_HEADER_WINDOW = 1024  # the PDF header may follow some junk; readers accept it within 1 KB


@dataclass(frozen=True)
class PdfInfo:
    """What :func:`check_pdf` learnt about a usable PDF."""

    path: Path
    size_bytes: int
    sha256: str
    page_count: int
    pages: list[PageGeometry]
    title: str | None
    #: The signatures the file already carries (who signed it before it reached Sealbox).
    signatures: tuple[ExistingSignature, ...] = ()
    #: Encrypted with a permissions password only (it opens without a password).
    encrypted: bool = False
    #: The form says the file is signed (its /SigFlags has SignaturesExist), whether or not a
    #: signature in it could be read.
    signatures_flagged: bool = False


def can_fill_and_sign(doc: Any) -> bool:
    """Whether the document's permissions allow filling in form fields and signing (PDF
    permission bit 9, "fill in forms", or bit 6, "annotations and forms"); always true for a
    document without encryption."""
    if not doc.is_pdf or not (doc.metadata or {}).get("encryption"):
        return True
    permissions = int(doc.permissions)
    return bool(permissions & (_mu.PDF_PERM_FORM | _mu.PDF_PERM_ANNOTATE))


def not_fillable_message(name: str) -> str:
    return (
        f"{name} is protected by its author against filling in and signing (its "
        'permissions password allows neither "fill in form fields" nor "signing"): ask '
        "the sender for a copy that allows filling in and signing, and try again."
    )


def check_pdf(path: Path) -> PdfInfo:
    """Open and check the PDF at ``path``; raise a :class:`PdfError` (or
    :class:`~app.errors.NotFoundError`) that names the problem and the fix if it is unusable."""
    path = Path(path)
    name = display_name(path)
    data = _read_pdf_bytes(path, name)
    doc = open_pdf_bytes(data, name)
    try:
        if doc.needs_pass or doc.is_encrypted:
            raise EncryptedPdfError(needs_password_message(name))
        encrypted = bool((doc.metadata or {}).get("encryption"))
        if encrypted and not can_fill_and_sign(doc):
            raise EncryptedPdfError(not_fillable_message(name))
        if doc.page_count == 0:
            if not _has_empty_page_tree(doc):
                raise DamagedPdfError(
                    f"{name} is damaged and no page could be recovered: open it in a PDF viewer, "
                    f"print it to a new PDF and try again."
                )
            raise NoPagesError(
                f"{name} has no pages: choose a PDF with at least one page and try again."
            )
        try:
            pages = page_geometries(doc)
        except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
            raise DamagedPdfError(
                f"{name} is damaged (some pages cannot be read): open it in a PDF viewer, print "
                f"it to a new PDF and try again."
            ) from exc
        title = (doc.metadata or {}).get("title") or ""
        return PdfInfo(
            path=path,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            page_count=doc.page_count,
            pages=pages,
            title=title.strip() or None,
            signatures=existing_signatures(doc),
            encrypted=encrypted,
            signatures_flagged=_signatures_flagged(doc),
        )
    finally:
        doc.close()


def _signatures_flagged(doc: Any) -> bool:
    try:
        flags = doc.get_sigflags()
    except (RuntimeError, ValueError):
        return False
    return isinstance(flags, int) and flags > 0 and bool(flags & 1)


def _read_pdf_bytes(path: Path, name: str) -> bytes:
    """The bytes of the file at ``path`` if it is a readable, non-empty file of at most
    :data:`MAX_PDF_BYTES` that starts like a PDF."""
    try:
        size = check_user_file(path, name, "a PDF file").st_size
    except NotFoundError:
        raise
    except UserError as exc:  # a folder, a device or pipe, unreadable, a name too long
        raise NotAPdfError(exc.message) from exc
    if size == 0:
        raise EmptyPdfError(
            f"{name} is empty (0 bytes): export or download the document again and try again."
        )
    if size > MAX_PDF_BYTES:
        raise PdfTooLargeError(
            f"{name} is {format_size(size)}, more than the {format_size(MAX_PDF_BYTES)} limit: "
            f"compress it or split it into smaller PDFs and try again."
        )
    data = path.read_bytes()
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise NotAPdfError(
            f"{name} is not a PDF: choose a PDF file, or print or export the document as PDF first."
        )
    return data


def _has_empty_page_tree(doc: Any) -> bool:
    """Whether the document has an intact page tree that is simply empty (rather than a page
    tree that is missing or broken, which is damage)."""
    try:
        catalog = doc.pdf_catalog()
        if catalog <= 0:
            return False
        kind, value = doc.xref_get_key(catalog, "Pages")
        if kind != "xref":
            return False
        pages = int(value.split()[0])
        if doc.xref_get_key(pages, "Type") != ("name", "/Pages"):
            return False
        kind, kids = doc.xref_get_key(pages, "Kids")
    except (RuntimeError, ValueError):
        return False
    return bool(kind == "array" and kids.strip("[] \n\r\t") == "")


# --- reading ---------------------------------------------------------------------------------


def find_text(path_or_doc: Path | str | Any, needle: str) -> list[tuple[int, Rect]]:
    """Every occurrence of ``needle`` (case-sensitive, within one line of text) as
    ``(page number from 1, canonical rectangle of the match)``, in page and reading order.

    Only text inside the visible part of the page counts. To search one document many times,
    build a :class:`app.pdf.textindex.TextIndex` once and call its ``find``.
    """
    if not needle:
        raise ValueError("cannot search for empty text")
    return TextIndex.build(path_or_doc).find(needle)


def extract_text(path_or_doc: Path | str | Any) -> str:
    """All text of the document, pages joined by newlines (for the full-text index)."""
    with opened(path_or_doc) as doc:
        return "\n".join(str(page.get_text("text")) for page in doc)


def render_page_png(path_or_doc: Path | str | Any, page_number: int, scale: float) -> bytes:
    """Page ``page_number`` (from 1) as the user sees it (rotation and CropBox applied), as PNG,
    ``scale`` pixels per point."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale}")
    with opened(path_or_doc) as doc:
        if not 1 <= page_number <= doc.page_count:
            raise PageNotFoundError(
                f"page {page_number} does not exist: the document has {doc.page_count} "
                f"page{'s' if doc.page_count != 1 else ''}, choose one of them."
            )
        pixmap = doc[page_number - 1].get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
        png: bytes = pixmap.tobytes("png")
        return png
