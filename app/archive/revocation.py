"""What the revocation data inside a PDF says about a signer's certificate, offline.

A long-term seal (B-LT, B-LTA) carries the OCSP responses and CRLs of its chains in the file's
Document Security Store. :func:`revocation_status` reads them (never the network) and checks the
signer's certificate against them at the time the signature was made (the timestamp
authority's time when there is one, else the signer's own clock): a certificate revoked before
then is reported revoked, with when, by whom and why; one revoked later does not undo a
signature a timestamp proves was made before.

Revocation data is judged as of the signing time whatever its own age (``retroactive_revinfo``):
years later, every response in the archive is past its "next update", and that must not make the
archive forget a revocation it recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, ValidationInfoReadingError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

__all__ = ["RevocationFinding", "revocation_status"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationFinding:
    """The revocation data a PDF holds, and what it says about one signer."""

    ocsp_responses: int
    crls: int
    revoked: bool = False
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None
    """The authority that revoked the certificate (its issuer)."""
    reason: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.ocsp_responses or self.crls)

    def sentence(self) -> str | None:
        """e.g. "the signer's certificate was revoked on 2021-01-01 by Test Intermediate CA
        (a compromised key)"; None when it was not."""
        if not self.revoked:
            return None
        day = self.revoked_at.date().isoformat() if self.revoked_at else "an unknown date"
        by = f" by {self.revoked_by}" if self.revoked_by else ""
        why = f" ({self.reason})" if self.reason else ""
        return f"the signer's certificate was revoked on {day}{by}{why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ocspResponses": self.ocsp_responses,
            "crls": self.crls,
            "revoked": self.revoked,
            "revokedAt": (
                self.revoked_at.isoformat().replace("+00:00", "Z") if self.revoked_at else None
            ),
            "revokedBy": self.revoked_by,
            "reason": self.reason,
        }


NONE_FOUND = RevocationFinding(0, 0)


async def revocation_status(
    sig: EmbeddedPdfSignature,
    roots: list[asn1_x509.Certificate],
    when: dt.datetime | None,
) -> RevocationFinding:
    """What the file's revocation data says about ``sig``'s signer at ``when`` (no network).
    A file without revocation data, or a chain that cannot be built to ``roots``, says nothing
    (:data:`NONE_FOUND` or counts only): trust is the signature check's part."""
    try:
        dss = DocumentSecurityStore.read_dss(sig.reader)
    except (NoDSSFoundError, ValidationInfoReadingError):
        return NONE_FOUND
    counts = RevocationFinding(len(dss.ocsps), len(dss.crls))
    if not counts.found or when is None:
        return counts
    context = dss.as_validation_context(
        {
            "trust_roots": roots,
            "allow_fetching": False,
            "revocation_mode": "soft-fail",
            "moment": when,
            "retroactive_revinfo": True,
        }
    )
    info = extract_certificate_info(sig.signed_data)
    validator = CertificateValidator(
        info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
    )
    try:
        await validator.async_validate_usage(key_usage=set())  # type: ignore[no-untyped-call]
    except RevokedError as exc:
        return RevocationFinding(
            counts.ocsp_responses,
            counts.crls,
            revoked=True,
            revoked_at=exc.revocation_dt,
            revoked_by=_issuer(exc),
            reason=_reason(exc),
        )
    except (PathBuildingError, PathValidationError) as exc:
        log.debug("revocation not judged: %s", exc)
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]  # pyHanko lacks hints
    return counts


def _issuer(exc: RevokedError) -> str | None:
    leaf: Any = exc.current_path.leaf
    if not isinstance(leaf, asn1_x509.Certificate):
        return None
    native = leaf.issuer.native
    common = native.get("common_name") if isinstance(native, dict) else None
    if isinstance(common, list):
        common = common[0] if common else None
    return str(common) if common else leaf.issuer.human_friendly


def _reason(exc: RevokedError) -> str | None:
    reason: Any = exc.reason
    try:
        return str(reason.human_friendly) or None
    except (AttributeError, ValueError):
        return None
