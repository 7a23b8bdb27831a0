"""What a provider sends is checked before it is archived.

A signed PDF or certificate enters the archive only if

- it is no larger than :data:`app.providers.http.MAX_DOWNLOAD_BYTES` (enforced while it streams,
  by the HTTP layer);
- it opens as a PDF with PyMuPDF and has at least one page, the first of which can be read
  (the whole file is read again by the signature check below);
- none of its signatures is broken: each is validated offline with pyHanko as far as it can be
  (the signed bytes must match the signature, and the signature must be cryptographically sound).
  A signer this installation does not trust is normal for a remote provider and is not refused.

A download that fails is not archived; the reason is kept on the request (shown by ``sealbox
show`` and the app) until a later download passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.errors import UserError
from app.pdf.document import open_pdf_bytes
from app.providers.errors import DownloadRejectedError


def check_download(path: Path, what: str, provider: str, roots: Sequence[bytes]) -> None:
    """Raise :class:`DownloadRejectedError` naming the problem if ``path`` (the ``what``, e.g.
    "signed PDF", from ``provider``) must not be archived. Runs pyHanko: call it from a
    worker thread, not the event loop."""
    from app.archive.verify import verify_pdf_signatures

    def refuse(problem: str) -> DownloadRejectedError:
        return DownloadRejectedError(
            f"The {what} {provider} sent {problem}: it was not "
            f"archived. Check the request at {provider}, then download "
            "it again (`sealbox download --again`)."
        )

    data = path.read_bytes()
    try:
        doc = open_pdf_bytes(data, path.name)
    except UserError as exc:
        raise refuse("is not a readable PDF") from exc
    try:
        if doc.needs_pass:
            raise refuse("is protected by a password")
        if doc.page_count < 1:
            raise refuse("is not a readable PDF (no page could be read)")
        try:
            doc.load_page(0).get_text("text")
        except (RuntimeError, ValueError) as exc:
            raise refuse("is damaged (a page cannot be read)") from exc
    finally:
        doc.close()
    for check in verify_pdf_signatures(data, roots):
        if check.kind == "unreadable" or not check.intact or not check.valid:
            raise refuse(f"has a broken signature ({check.summary})")
