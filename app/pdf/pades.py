"""The PAdES baseline level of a signed PDF, read from the file alone (no network, no trust).

For each signature (not the document timestamps) in revision order:

* **B-B**: a PAdES signature, nothing more;
* **B-T**: a trusted time proves the signature existed: a signature timestamp in it, or a
  document timestamp in a later revision (ETSI EN 319 142-1, 5.3);
* **B-LT**: B-T, and a Document Security Store added after the signature;
* **B-LTA**: B-LT, and a document timestamp after that store, covering it.

A document's level is its weakest signature's. This says what the file holds; whether the
signatures and timestamps are valid and trusted is the verifier's part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

__all__ = [
    "B_B",
    "B_LT",
    "B_LTA",
    "B_T",
    "LEVELS",
    "LastTimestamp",
    "SignatureLevel",
    "document_level",
    "dss_revisions_in",
    "last_document_timestamp",
    "levels_in",
    "signature_levels",
]

B_B, B_T, B_LT, B_LTA = "B-B", "B-T", "B-LT", "B-LTA"
LEVELS = (B_B, B_T, B_LT, B_LTA)


@dataclass(frozen=True)
class SignatureLevel:
    """One signature's field name, the revision it signed (0-based) and its level."""

    field: str
    revision: int
    level: str
    has_signature_timestamp: bool


def signature_levels(pdf_bytes: bytes) -> list[SignatureLevel]:
    """The level of every signature in ``pdf_bytes`` (empty for an unsigned file, and for one
    that needs a password to open)."""
    reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
    # A file encrypted with a permissions password only opens with the empty user password.
    if reader.encrypted and reader.decrypt(b"").status == AuthStatus.FAILED:
        return []
    return levels_in(reader, reader.embedded_signatures)


def levels_in(
    reader: PdfFileReader, embedded: Sequence[EmbeddedPdfSignature]
) -> list[SignatureLevel]:
    """:func:`signature_levels` of a file already open (its signatures read: reading them
    again costs as much as the rest, their contents are parsed in pure Python)."""
    doc_ts = [s.signed_revision for s in embedded if _is_doc_timestamp(s)]
    dss_revisions = dss_revisions_in(reader)
    result = []
    for sig in embedded:
        if _is_doc_timestamp(sig):
            continue
        rev = sig.signed_revision
        has_sig_ts = _has_signature_timestamp(sig)
        level = B_B
        if has_sig_ts or any(t > rev for t in doc_ts):
            level = B_T
            dss_after = [d for d in dss_revisions if d > rev]
            if dss_after:
                level = B_LT
                if any(t > min(dss_after) for t in doc_ts):
                    level = B_LTA
        result.append(SignatureLevel(sig.field_name, rev, level, has_sig_ts))
    return result


def document_level(pdf_bytes: bytes) -> str | None:
    """The weakest level among the document's signatures; None when it has none."""
    levels = [s.level for s in signature_levels(pdf_bytes)]
    if not levels:
        return None
    return min(levels, key=LEVELS.index)


def _is_doc_timestamp(sig: EmbeddedPdfSignature) -> bool:
    return str(sig.sig_object_type) == "/DocTimeStamp"


def _has_signature_timestamp(sig: EmbeddedPdfSignature) -> bool:
    unsigned = sig.signer_info["unsigned_attrs"]
    if not unsigned:
        return False
    return any(attr["type"].native == "signature_time_stamp_token" for attr in unsigned)


def dss_revisions_in(reader: PdfFileReader) -> list[int]:
    """The revisions (0-based) that wrote the /DSS dictionary (created or updated it)."""
    revisions = []
    for rev in range(reader.total_revisions):
        root = reader.get_historical_root(rev)
        if "/DSS" not in root:
            continue
        raw = root.raw_get("/DSS")
        ref = getattr(raw, "reference", None)
        if ref is None or ref in reader.xrefs.explicit_refs_in_revision(rev):
            revisions.append(rev)
    return revisions


@dataclass(frozen=True)
class LastTimestamp:
    """The last document timestamp of a PDF: when it was made, and until when its timestamp
    authority's certificate (and so its proof) is valid."""

    field: str
    time: datetime
    expires: datetime


def last_document_timestamp(pdf_bytes: bytes) -> LastTimestamp | None:
    """The PDF's last document timestamp, read from the file (no validation); None when it has
    none (or cannot be read without a password)."""
    reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
    if reader.encrypted and reader.decrypt(b"").status == AuthStatus.FAILED:
        return None
    stamps = [s for s in reader.embedded_signatures if _is_doc_timestamp(s)]
    if not stamps:
        return None
    last = stamps[-1]
    info = last.signed_data["encap_content_info"]["content"].parsed
    expires: datetime = last.signer_cert["tbs_certificate"]["validity"]["not_after"].native
    return LastTimestamp(str(last.field_name), info["gen_time"].native, expires)
