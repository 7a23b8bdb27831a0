"""The validation data of a sealed PDF's signatures, added to its Document Security Store.

For every signature and document timestamp, the chain of the signer's certificate (and of each
timestamp authority's) is validated now with fetching on, so that the OCSP responses and CRLs
it needs are fetched, then all of it is written to the DSS in an incremental update.

A certificate that turns out to be **revoked** does not stop this: the OCSP response or CRL that
says so is revocation data like any other, and is embedded, so that the file itself proves it
years later, offline. What was found is returned as a :class:`Revocation` (which certificate, when,
by whom, why) for the seal's record. Any other failure (a revocation service that cannot be
reached, a chain that cannot be built) is raised, as before: it is not a silent gap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import RevokedError
from pyhanko_certvalidator.path import ValidationPath

from app.pdf.signatures import describe_name

__all__ = ["Revocation", "add_validation_data"]


@dataclass(frozen=True)
class Revocation:
    """A certificate the revocation data says is revoked."""

    certificate: str
    """The revoked certificate's subject, in plain words."""
    revoked_at: dt.datetime
    by: str
    """The authority that revoked it (the certificate's issuer, which signs its revocation
    data)."""
    reason: str
    source: str
    """Where it is said: "its OCSP responder" or "its certificate revocation list"."""

    def sentence(self) -> str:
        """One plain sentence, e.g. "the certificate Test Revoked Seal was revoked on
        2021-01-01 by Test Intermediate CA because of a compromised key, as its OCSP responder"."""
        return (
            f"the certificate {self.certificate} was revoked on "
            f"{self.revoked_at.date().isoformat()} by {self.by} because of {self.reason}, "
            f"as {self.source} says"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate,
            "revokedAt": self.revoked_at.isoformat().replace("+00:00", "Z"),
            "by": self.by,
            "reason": self.reason,
            "source": self.source,
        }


async def add_validation_data(
    pdf: bytes, context: ValidationContext
) -> tuple[bytes, list[Revocation]]:
    """One revision per signature or timestamp that needs it, adding its chains' validation
    data to the DSS; the data is fetched now through ``context`` (hard fail). Returns the new
    PDF and the revocations found (each certificate once)."""
    current = pdf
    found: dict[str, Revocation] = {}
    count = len(PdfFileReader(BytesIO(current), strict=False).embedded_signatures)
    for index in range(count):
        reader = PdfFileReader(BytesIO(current), strict=False)
        embedded = reader.embedded_signatures[index]
        paths, revoked = await _collect(embedded, context)
        for revocation in revoked:
            found.setdefault(revocation.certificate, revocation)
        writer = IncrementalPdfFileWriter.from_reader(reader)
        dss = DocumentSecurityStore.supply_dss_in_writer(
            writer,
            embedded.pkcs7_content.hex().encode("ascii"),
            validation_context=context,
            paths=paths,
        )
        if dss.modified:
            out = BytesIO()
            writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko lacks hints
            current = out.getvalue()
    return current, list(found.values())


async def _collect(
    embedded: EmbeddedPdfSignature, context: ValidationContext
) -> tuple[list[ValidationPath], list[Revocation]]:
    """Validate the chain of the signer and of each timestamp token in the signature, so that
    ``context`` holds their revocation data; a revoked certificate's path is kept too."""
    paths: list[ValidationPath] = []
    revoked: list[Revocation] = []
    tokens = [
        token
        for signed in (False, True)
        for token in extract_tst_data_iter(embedded.signer_info, signed=signed)
    ]
    for signed_data in [embedded.signed_data, *tokens]:
        info = extract_certificate_info(signed_data)
        validator = CertificateValidator(
            info.signer_cert, intermediate_certs=info.other_certs, validation_context=context
        )
        try:
            path = await validator.async_validate_usage(key_usage=set())  # type: ignore[no-untyped-call]
            paths.append(path)
        except RevokedError as exc:
            paths.append(exc.original_path)
            revoked.append(_revocation(exc))
    return paths, revoked


def _revocation(exc: RevokedError) -> Revocation:
    leaf: Any = exc.current_path.leaf
    cert = leaf if isinstance(leaf, asn1_x509.Certificate) else None
    subject = _plain(cert.subject) if cert is not None else "(unknown)"
    issuer = _plain(cert.issuer) if cert is not None else "its issuer"
    source = (
        "its OCSP responder" if str(exc).startswith("OCSP") else "its certificate revocation list"
    )
    return Revocation(subject, exc.revocation_dt, issuer, _reason(exc), source)


def _plain(name: asn1_x509.Name) -> str:
    """A name as people say it: its common name, else the whole name."""
    common = name.native.get("common_name") if isinstance(name.native, dict) else None
    if isinstance(common, list):
        common = common[0] if common else None
    return str(common) if common else describe_name(name)


def _reason(exc: RevokedError) -> str:
    reason: Any = exc.reason
    try:
        text = str(reason.human_friendly)
    except (AttributeError, ValueError):
        return "no reason given"
    return text or "no reason given"
