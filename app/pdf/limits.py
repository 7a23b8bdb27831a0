"""The size limit of a PDF Sealbox sends, kept apart from :mod:`app.pdf.document` so that what
describes a provider (its capabilities record) can name it without loading PyMuPDF."""

from __future__ import annotations

MAX_PDF_BYTES = 20 * 1024 * 1024
