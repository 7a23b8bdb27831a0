"""The one-line summary of a signature's check (:mod:`app.archive.verify`), in plain words."""

from __future__ import annotations

from pyhanko.sign.validation import SignatureCoverageLevel


def summary(
    *,
    intact: bool,
    valid: bool,
    trusted: bool,
    modified_after: bool,
    covers_whole_file: bool,
    coverage: SignatureCoverageLevel | None,
    subject: str,
    expired_since: bool,
    what: str,
) -> str:
    if not intact:
        return (
            "document modified after signing: the signed bytes no longer match the "
            f"{what} ({subject})"
        )
    if not valid:
        return f"{what} is cryptographically invalid ({subject})"
    if modified_after:
        if coverage not in (SignatureCoverageLevel.ENTIRE_REVISION, None):
            return f"document modified after signing: the {what} covers only part of the file"
        return (
            "document modified after signing: changes other than further signatures or form "
            f"filling were added after this {what} ({subject})"
        )
    if not trusted:
        return f"{what} valid but signer not trusted ({subject})"
    text = f"{what} valid, signed by {subject}"
    if expired_since:
        text += " (the certificate has expired since; it was valid when signed)"
    if not covers_whole_file:
        text += "; later revisions only add signatures or fill in forms, or append data"
    return text
