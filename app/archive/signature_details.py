"""What a PDF reader's signature panel shows, for each signature and document timestamp of a PDF:
one Qt-free function (:func:`describe_signatures`) that feeds both the app's signature panel
and ``sealbox archive verify --json``.

For each signature, in revision order (the order they were made): how it stands (valid and
trusted, valid but the signer not trusted, modified after signing, could not be checked), the
signer, the signing time and where it comes from (a timestamp authority, or the signer's own
clock), the certificate chain with the status of each certificate (trusted, issuer unknown,
revoked, expired), the revocation data the file holds for it (OCSP responses and CRLs), its
PAdES level, what it covers (the whole file, or what the later revisions added), where its
field is, and how many bytes of the file it signed (the revision it signed is that prefix).
For the file: when the long-term proof must be renewed, which is when the certificate of the
timestamp authority of its last document timestamp expires.

The verdicts themselves are :mod:`app.archive.verify`'s (pyHanko, offline, the same policy);
this module reads what else the file says about them. Nothing here needs the network, and a
damaged file gives fewer details, never an exception.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from app.archive.readers import reader_facts
from app.archive.verify import (
    PdfSource,
    SignatureCheck,
    describe_name,
    trust_word,
    verify_pdf_signatures,
)
from app.domain.clock import iso
from app.pdf.pades import dss_revisions_in, levels_in
from app.pdf.signature_places import SignaturePlace, signature_places

__all__ = [
    "CertificateStatus",
    "FileSignatures",
    "RevocationData",
    "SignatureDetails",
    "describe_signatures",
    "read_signature_details",
]

log = logging.getLogger(__name__)

#: How a signature stands, as a reader's panel shows it with an icon.
PanelState = Literal["trusted", "untrusted", "modified", "unchecked"]
#: What holds for one certificate of a chain.
CertState = Literal["trusted", "issuer unknown", "revoked", "expired"]
TimeSource = Literal["timestamp authority", "signer's clock"]

_DAMAGED: tuple[type[Exception], ...] = (
    PdfError,
    SignatureValidationError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    NotImplementedError,
    OSError,
)
_MAX_CHAIN = 10


@dataclass(frozen=True)
class CertificateStatus:
    """One certificate of a signer's chain (the signer's own first)."""

    subject: str
    issuer: str
    not_after: dt.datetime
    status: CertState

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "notAfter": iso(self.not_after),
            "status": self.status,
        }


@dataclass(frozen=True)
class RevocationData:
    """The revocation data the file holds for a signature's certificates."""

    ocsp: int = 0
    crl: int = 0

    def describe(self) -> str:
        """ "2 OCSP responses and 1 CRL", or "none"."""
        parts = []
        if self.ocsp:
            parts.append(f"{self.ocsp} OCSP response{'s' if self.ocsp != 1 else ''}")
        if self.crl:
            parts.append(f"{self.crl} CRL{'s' if self.crl != 1 else ''}")
        return " and ".join(parts) or "none"


@dataclass(frozen=True)
class SignatureDetails:
    """One signature or document timestamp of a PDF, as the signature panel shows it."""

    number: int
    """Its place in revision order, from 1."""
    kind: Literal["signature", "timestamp", "unreadable"]
    field_name: str
    state: PanelState
    summary: str
    """The verifier's sentence about it."""
    signer: str
    trust: str
    """trusted, signer not trusted, revoked or expired (:func:`~app.archive.verify.trust_word`)."""
    intact: bool
    """Intact, valid and not modified afterwards."""
    signing_time: dt.datetime | None
    time_source: TimeSource | None
    chain: tuple[CertificateStatus, ...]
    revocation: RevocationData
    level: str | None
    later_changes: tuple[str, ...]
    """What the revisions after it added, in order ("validation data", "a document
    timestamp", "form fill", ...); empty when it covers the whole file."""
    covers_whole_file: bool
    place: SignaturePlace | None
    signed_length: int | None
    """The length of the file as it was signed: the signed revision is that prefix."""
    certificate_expires: dt.datetime | None = None
    """For a document timestamp: when its timestamp authority's certificate expires."""
    trust_source: str | None = None
    """Where the root it chains to was trusted from: installation, imported, system, timestamp."""
    revoked: dict[str, Any] | None = None
    """What the file's own revocation data says of the signer (:mod:`app.archive.revocation`)."""
    other_readers: str = ""
    """What other PDF readers show for it (:func:`app.archive.readers.what_other_readers_show`)."""

    @property
    def covers(self) -> str:
        """ "the whole file", or "later revisions added: validation data, a document
        timestamp"."""
        if self.covers_whole_file or not self.later_changes:
            return "the whole file"
        return "later revisions added: " + ", ".join(self.later_changes)

    def to_json(self) -> dict[str, Any]:
        place = self.place
        return {
            "number": self.number,
            "kind": self.kind,
            "field": self.field_name,
            "state": self.state,
            "summary": self.summary,
            "signer": self.signer,
            "level": self.level,
            "signingTime": iso(self.signing_time),
            "timeSource": self.time_source,
            "trust": self.trust,
            "intact": self.intact,
            "chain": [c.to_json() for c in self.chain],
            "revocation": {
                "ocsp": self.revocation.ocsp,
                "crl": self.revocation.crl,
                **(self.revoked or {}),
            },
            "trustSource": self.trust_source,
            "otherReaders": self.other_readers,
            "covers": self.covers,
            "coversWholeFile": self.covers_whole_file,
            "laterRevisions": list(self.later_changes),
            "page": place.page if place else None,
            "signedLength": self.signed_length,
            "certificateExpires": iso(self.certificate_expires),
        }


@dataclass(frozen=True)
class FileSignatures:
    """Every signature of a PDF in revision order, and when its proof must be renewed."""

    signatures: tuple[SignatureDetails, ...]
    renew_by: dt.datetime | None
    """When the certificate of the timestamp authority of the last document timestamp
    expires; None without a document timestamp."""

    def to_json(self) -> dict[str, Any]:
        return {
            "signatures": [s.to_json() for s in self.signatures],
            "renewBy": iso(self.renew_by),
        }


def read_signature_details(
    source: PdfSource, trust_roots_pem: Sequence[bytes], *, at: dt.datetime | None = None
) -> FileSignatures:
    """Validate a PDF's signatures offline and describe them (blocking: the app runs it in a
    worker thread). An unsigned file gives no signatures."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            log.warning("signature details: the file cannot be read: %s", exc)
            data = b""
    checks = verify_pdf_signatures(data, trust_roots_pem, at=at)
    return describe_signatures(data, checks, trust_roots_pem, at=at)


def describe_signatures(
    data: bytes,
    checks: Sequence[SignatureCheck],
    trust_roots_pem: Sequence[bytes],
    *,
    at: dt.datetime | None = None,
) -> FileSignatures:
    """The details of every signature of ``data`` whose verdicts are ``checks`` (what
    :func:`~app.archive.verify.verify_pdf_signatures` returned for it)."""
    moment = at or dt.datetime.now(dt.UTC)
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted and reader.decrypt(b"").status == AuthStatus.FAILED:
            return _bare(checks, moment)
        embedded = list(reader.embedded_signatures)
    except _DAMAGED:
        return _bare(checks, moment)
    file = _FileFacts.read(reader, data, embedded, trust_roots_pem)
    by_name = {c.field_name: c for c in checks}
    out: list[SignatureDetails] = []
    for index, sig in enumerate(embedded, start=1):
        name = _name(sig, index)
        check = by_name.get(name)
        if check is None:
            continue
        try:
            out.append(_details(index, sig, check, file, moment))
        except _DAMAGED as exc:
            log.warning("signature %s: details cannot be read: %s", name, exc)
            out.append(_plain(index, check, moment))
    described = {d.field_name for d in out}
    for check in checks:  # what could not even be listed (a damaged file)
        if check.field_name not in described:
            out.append(_plain(len(out) + 1, check, moment))
    timestamps = [d for d in out if d.kind == "timestamp" and d.certificate_expires]
    return FileSignatures(tuple(out), timestamps[-1].certificate_expires if timestamps else None)


# --------------------------------------------------------------------------------------------
# What the file says beside the verdicts
# --------------------------------------------------------------------------------------------


@dataclass
class _FileFacts:
    reader: PdfFileReader
    size: int
    roots: list[asn1_x509.Certificate]
    root_prints: set[bytes]
    dss_certs: list[asn1_x509.Certificate]
    dss_revisions: set[int]
    vri: dict[str, RevocationData]
    dss_total: RevocationData
    levels: dict[str, str]
    places: dict[str, SignaturePlace]
    made_in: dict[int, str]
    """{revision: what it added} for the revisions that added a signature or timestamp."""

    @classmethod
    def read(
        cls,
        reader: PdfFileReader,
        data: bytes,
        embedded: Sequence[EmbeddedPdfSignature],
        trust_roots_pem: Sequence[bytes],
    ) -> _FileFacts:
        roots = [c for blob in trust_roots_pem for c in load_certs_from_pemder_data(bytes(blob))]
        dss_certs: list[asn1_x509.Certificate] = []
        vri: dict[str, RevocationData] = {}
        total = RevocationData()
        try:
            dss = DocumentSecurityStore.read_dss(reader)
            dss_certs = list(dss.load_certs())
            total = RevocationData(len(dss.ocsps), len(dss.crls))
            for key, entry in dss.vri_entries.items():
                value = entry.get_object()
                vri[str(key).lstrip("/").upper()] = RevocationData(
                    len(value.get("/OCSP", ())), len(value.get("/CRL", ()))
                )
        except _DAMAGED:
            pass  # no DSS (NoDSSFoundError is a ValidationInfoReadingError: a ValueError)
        try:
            levels = {s.field: s.level for s in levels_in(reader, embedded)}
            dss_revisions = set(dss_revisions_in(reader))
        except _DAMAGED:
            levels, dss_revisions = {}, set()
        made_in: dict[int, str] = {}
        for sig in embedded:
            try:
                made_in[sig.signed_revision] = _what_it_added(sig)
            except _DAMAGED:
                continue  # its revision is then described by what it changed
        return cls(
            reader=reader,
            size=len(data),
            roots=roots,
            root_prints={hashlib.sha256(c.dump()).digest() for c in roots},
            dss_certs=dss_certs,
            dss_revisions=dss_revisions,
            vri=vri,
            dss_total=total,
            levels=levels,
            places=signature_places(data),
            made_in=made_in,
        )


def _what_it_added(sig: EmbeddedPdfSignature) -> str:
    if str(sig.sig_object_type) == "/DocTimeStamp":
        return "a document timestamp"
    return f"a signature by {_common_name(sig.signer_cert)}"


def _details(
    number: int,
    sig: EmbeddedPdfSignature,
    check: SignatureCheck,
    file: _FileFacts,
    moment: dt.datetime,
) -> SignatureDetails:
    byte_range = [int(v) for v in sig.byte_range]
    signed_length = byte_range[2] + byte_range[3] if len(byte_range) == 4 else None
    later = _later_changes(file, sig.signed_revision)
    if not later and signed_length is not None and signed_length < file.size:
        later = ("data appended after the last revision",)
    certificate_expires = sig.signer_cert.not_valid_after if check.kind == "timestamp" else None
    return SignatureDetails(
        number=number,
        kind=check.kind,
        field_name=check.field_name,
        state=_state(check),
        summary=check.summary,
        signer=check.signer_subject,
        trust=trust_word(check),
        intact=check.intact and check.valid and not check.modified_after,
        signing_time=check.timestamped_at or check.signing_time,
        time_source=_time_source(check),
        chain=_chain(sig, file, check, moment),
        revocation=_revocation(sig, file),
        level=file.levels.get(check.field_name) if check.kind == "signature" else None,
        later_changes=() if check.covers_whole_file else later,
        covers_whole_file=check.covers_whole_file,
        place=file.places.get(check.field_name),
        signed_length=signed_length,
        certificate_expires=certificate_expires,
        **reader_facts(check),
    )


def _plain(number: int, check: SignatureCheck, moment: dt.datetime) -> SignatureDetails:
    """What can be said of a signature whose file cannot be read further."""
    del moment
    return SignatureDetails(
        number=number,
        kind=check.kind,
        field_name=check.field_name,
        state=_state(check),
        summary=check.summary,
        signer=check.signer_subject,
        trust=trust_word(check) if check.kind != "unreadable" else "not checked",
        intact=check.intact and check.valid and not check.modified_after,
        signing_time=check.timestamped_at or check.signing_time,
        time_source=_time_source(check),
        chain=(),
        revocation=RevocationData(),
        level=None,
        later_changes=(),
        covers_whole_file=check.covers_whole_file,
        place=None,
        signed_length=None,
        **(reader_facts(check) if check.kind != "unreadable" else {}),
    )


def _bare(checks: Sequence[SignatureCheck], moment: dt.datetime) -> FileSignatures:
    return FileSignatures(tuple(_plain(i, c, moment) for i, c in enumerate(checks, start=1)), None)


def _state(check: SignatureCheck) -> PanelState:
    if check.kind == "unreadable":
        return "unchecked"
    if not check.intact or not check.valid or check.modified_after:
        return "modified"
    if check.trusted and not check.revoked:
        return "trusted"
    return "untrusted"


def _time_source(check: SignatureCheck) -> TimeSource | None:
    if check.timestamped_at is not None:
        return "timestamp authority"
    if check.signing_time is not None:
        return "signer's clock"
    return None


# --- the chain ---------------------------------------------------------------------------------


def _chain(
    sig: EmbeddedPdfSignature, file: _FileFacts, check: SignatureCheck, moment: dt.datetime
) -> tuple[CertificateStatus, ...]:
    """The signer's certificate and its issuers as far as the file and the trusted roots
    know them, each with its status at ``moment``."""
    leaf = sig.signer_cert
    pool = [*sig.other_embedded_certs, *file.dss_certs, *file.roots]
    chain = _walk(leaf, pool)
    reached = any(hashlib.sha256(c.dump()).digest() in file.root_prints for c in chain)
    out = []
    for position, cert in enumerate(chain):
        status: CertState
        if position == 0 and check.revoked:
            status = "revoked"
        elif cert.not_valid_after < moment:
            status = "expired"
        elif reached:
            status = "trusted"
        else:
            status = "issuer unknown"
        out.append(
            CertificateStatus(
                subject=describe_name(cert.subject),
                issuer=describe_name(cert.issuer),
                not_after=cert.not_valid_after,
                status=status,
            )
        )
    return tuple(out)


def _walk(
    leaf: asn1_x509.Certificate, pool: Iterable[asn1_x509.Certificate]
) -> list[asn1_x509.Certificate]:
    candidates = list(pool)
    chain = [leaf]
    current = leaf
    while len(chain) < _MAX_CHAIN and current.self_signed == "no":
        issuer = next(
            (
                c
                for c in candidates
                if c.subject == current.issuer
                and _key_matches(current, c)
                and all(c.dump() != seen.dump() for seen in chain)
            ),
            None,
        )
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return chain


def _key_matches(child: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> bool:
    wanted = child.authority_key_identifier
    have = issuer.key_identifier
    return wanted is None or have is None or wanted == have


def _common_name(cert: asn1_x509.Certificate) -> str:
    subject = cert.subject.native
    name = subject.get("common_name") or subject.get("organization_name") or ""
    return str(name[0] if isinstance(name, list) else name) or describe_name(cert.subject)


# --- revocation data -------------------------------------------------------------------------


def _revocation(sig: EmbeddedPdfSignature, file: _FileFacts) -> RevocationData:
    """The file's validation data for this signature (its VRI entry, else the whole DSS),
    plus what the signature carries inside itself."""
    contents = sig.pkcs7_content
    from_dss = None
    for blob in (contents, contents.hex().encode("ascii")):
        from_dss = file.vri.get(hashlib.sha1(blob).hexdigest().upper())  # the VRI key
        if from_dss is not None:
            break
    if from_dss is None:
        from_dss = file.dss_total
    inside = _embedded_revocation(sig)
    return RevocationData(from_dss.ocsp + inside.ocsp, from_dss.crl + inside.crl)


def _embedded_revocation(sig: EmbeddedPdfSignature) -> RevocationData:
    ocsp = crl = 0
    signed_attrs = sig.signer_info["signed_attrs"]
    for attr in signed_attrs or ():
        if attr["type"].native == "adobe_revocation_info_archival":
            for value in attr["values"]:
                crl += len(value["crl"] or ())
                ocsp += len(value["ocsp"] or ())
    crls = sig.signed_data["crls"]
    if crls:
        for choice in crls:
            if choice.name == "crl":
                crl += 1
            else:
                ocsp += 1
    return RevocationData(ocsp, crl)


# --- what later revisions added ----------------------------------------------------------------


def _later_changes(file: _FileFacts, signed_revision: int) -> tuple[str, ...]:
    """What each revision after ``signed_revision`` added, in plain words, in order, each
    named once ("2 document timestamps" when there are two)."""
    words: list[str] = []
    for rev in range(signed_revision + 1, file.reader.total_revisions):
        if rev in file.made_in:
            words.append(file.made_in[rev])
        elif rev in file.dss_revisions:
            words.append("validation data")
        else:
            words.extend(_content_changes(file.reader, rev))
    counts = Counter(words)
    out = []
    for word in dict.fromkeys(words):
        if counts[word] > 1 and word == "a document timestamp":
            out.append(f"{counts[word]} document timestamps")
        else:
            out.append(word)
    return tuple(out)


def _content_changes(reader: PdfFileReader, rev: int) -> list[str]:
    """What an ordinary revision (no signature, no DSS) changed: form fill, annotations,
    changes to the pages' content, or other changes."""
    found: list[str] = []
    try:
        refs = reader.xrefs.explicit_refs_in_revision(rev)
        for ref in refs:
            obj = reader.get_object(ref, revision=rev)  # type: ignore[no-untyped-call]
            kind = _kind_of(obj)
            if kind and kind not in found:
                found.append(kind)
    except _DAMAGED as exc:
        log.warning("revision %d cannot be read: %s", rev + 1, exc)
        return ["other changes"]
    return found or ["other changes"]


def _kind_of(obj: Any) -> str | None:
    if not isinstance(obj, generic.DictionaryObject):
        return None
    subtype = obj.get("/Subtype")
    if "/FT" in obj or subtype == "/Widget":
        return "form fill"
    if obj.get("/Type") == "/Annot" or ("/Rect" in obj and subtype is not None):
        return "annotations"
    plain_stream = isinstance(obj, generic.StreamObject) and "/Type" not in obj and subtype is None
    if plain_stream and not any(k in obj for k in _NOT_CONTENT):
        return "changes to the pages' content"
    return None


#: Keys of streams that are not a page's content (fonts, colour profiles, functions).
_NOT_CONTENT = ("/Length1", "/Length2", "/Length3", "/N", "/FunctionType")


def _name(sig: EmbeddedPdfSignature, index: int) -> str:
    try:
        name = sig.field_name
    except _DAMAGED:
        name = None
    return str(name) if name else f"(signature {index})"
