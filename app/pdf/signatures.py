# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""The digital signatures a PDF already carries when it reaches Sealbox (PyMuPDF, asn1crypto).

Reading them is cheap and needs no validation: the editor says who signed before the user sends,
the Check list names a provider that would break them, and the built-in provider keeps them by
changing such a file only through incremental updates (:mod:`app.pdf.revision`). Whether a
signature is *valid* is the archive's business (:mod:`app.archive.verify`, pyHanko).

The signer is read from the signature's CMS blob: the common name of the certificate that the
first SignerInfo names, else the signature dictionary's ``/Name``. A certification signature
(``/Perms /DocMDP``) also gives the changes it allows: 1 none, 2 form filling and signing,
3 also annotations.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509

log = logging.getLogger(__name__)

_MAX_FIELDS = 10_000  # a form tree bigger than this is not walked further
_PDF_DATE = re.compile(
    r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+\-])(\d{2})?'?(\d{2})?'?)?"
)


@dataclass(frozen=True)
class ExistingSignature:
    """One filled signature field of a received PDF."""

    field_name: str
    signer: str
    """The signer's name as their certificate gives it ("Erika Mustermann"); "an unknown
    signer" when neither the certificate nor the signature names one."""
    signed_at: datetime | None
    """When the signer's computer says it signed (``/M``), if it says."""
    certification: int | None = None
    """For a certification signature, the changes it allows (DocMDP P: 1, 2 or 3)."""
    timestamp: bool = False
    """A document timestamp rather than a person's signature."""


def existing_signatures(doc: Any) -> tuple[ExistingSignature, ...]:
    """Every filled signature field of an open PyMuPDF document, in form order.

    Never raises on a damaged form: what cannot be read is left out (and logged).
    """
    try:
        flags = doc.get_sigflags()
    except (RuntimeError, ValueError):
        return ()
    if not isinstance(flags, int) or flags <= 0:
        return ()
    found: list[ExistingSignature] = []
    certified = _certification(doc)
    for name, sig_xref in _signature_fields(doc):
        try:
            found.append(_read(doc, name, sig_xref, certified))
        except (RuntimeError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("signature field %s could not be read: %s", name, exc)
    return tuple(found)


def describe(signatures: tuple[ExistingSignature, ...]) -> str:
    """ "Erika Mustermann", "Erika Mustermann and Max Muster", "A, B and 2 others"."""
    names: list[str] = []
    for sig in signatures:
        if sig.signer not in names:
            names.append(sig.signer)
    if not names:
        return "nobody"
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + f" and {names[-1]}"
    return f"{names[0]}, {names[1]} and {len(names) - 2} others"


# --- the form tree -----------------------------------------------------------------------------


def _ref(value: tuple[str, str]) -> int | None:
    kind, text = value
    if kind != "xref":
        return None
    return int(text.split()[0])


def _refs(doc: Any, xref: int, key: str) -> list[int]:
    kind, text = doc.xref_get_key(xref, key)
    if kind != "array":
        return []
    return [int(n) for n in re.findall(r"(\d+)\s+\d+\s+R", text)]


def _signature_fields(doc: Any) -> list[tuple[str, int]]:
    """(fully qualified field name, signature dictionary xref) of every filled /Sig field."""
    catalog = doc.pdf_catalog()
    acroform = _ref(doc.xref_get_key(catalog, "AcroForm"))
    if acroform is None:
        return []
    out: list[tuple[str, int]] = []
    stack: list[tuple[int, str, str | None]] = [
        (x, "", None) for x in reversed(_refs(doc, acroform, "Fields"))
    ]
    seen: set[int] = set()
    while stack and len(seen) < _MAX_FIELDS:
        xref, parent_name, parent_type = stack.pop()
        if xref in seen:
            continue
        seen.add(xref)
        kind, text = doc.xref_get_key(xref, "T")
        part = text.strip() if kind == "string" else ""
        name = ".".join(p for p in (parent_name, part) if p)
        ft_kind, ft = doc.xref_get_key(xref, "FT")
        field_type = ft if ft_kind == "name" else parent_type
        kids = _refs(doc, xref, "Kids")
        if field_type == "/Sig":
            value = _ref(doc.xref_get_key(xref, "V"))
            if value is not None:
                out.append((name or f"Signature{len(out) + 1}", value))
        stack.extend((k, name, field_type) for k in reversed(kids))
    return out


def _certification(doc: Any) -> dict[int, int]:
    """{signature dictionary xref: DocMDP P} of the certification signature, if any."""
    catalog = doc.pdf_catalog()
    kind, _ = doc.xref_get_key(catalog, "Perms")
    if kind == "null":
        return {}
    sig = _ref(doc.xref_get_key(catalog, "Perms/DocMDP"))
    if sig is None:
        return {}
    kind, text = doc.xref_get_key(sig, "Reference")
    level = 2  # the default of a DocMDP transform without /P
    if kind == "array":
        for ref in re.findall(r"(\d+)\s+\d+\s+R", text):
            p_kind, p = doc.xref_get_key(int(ref), "TransformParams/P")
            if p_kind == "int":
                level = int(p)
        inline = re.search(r"/P\s+(\d)", text)
        if inline:
            level = int(inline.group(1))
    return {sig: level}


def _read(doc: Any, name: str, sig_xref: int, certified: dict[int, int]) -> ExistingSignature:
    sub_kind, sub = doc.xref_get_key(sig_xref, "SubFilter")
    timestamp = sub_kind == "name" and sub == "/ETSI.RFC3161"
    signer = _cms_signer(_contents(doc, sig_xref))
    if not signer:
        kind, text = doc.xref_get_key(sig_xref, "Name")
        signer = text.strip() if kind == "string" else ""
    if not signer:
        signer = "a timestamp authority" if timestamp else "an unknown signer"
    kind, text = doc.xref_get_key(sig_xref, "M")
    when = parse_pdf_date(text) if kind == "string" else None
    return ExistingSignature(
        field_name=name,
        signer=signer,
        signed_at=when,
        certification=certified.get(sig_xref),
        timestamp=timestamp,
    )


def _contents(doc: Any, sig_xref: int) -> bytes:
    """The raw CMS bytes of a signature dictionary's /Contents."""
    raw = doc.xref_object(sig_xref, compressed=True)
    match = re.search(r"/Contents\s*<([0-9A-Fa-f\s]*)>", raw)
    if match is None:
        return b""
    digits = re.sub(r"\s+", "", match.group(1))
    if len(digits) % 2:
        digits += "0"
    return bytes.fromhex(digits).rstrip(b"\x00")


def _cms_signer(blob: bytes) -> str:
    """The common name (else the whole subject) of the certificate the first SignerInfo
    names; "" when the blob cannot be read."""
    if not blob:
        return ""
    # Only loaded for signed PDFs: asn1crypto is pyHanko's own ASN.1 library.
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(blob)
        signed = info["content"]
        certs = [c.chosen for c in signed["certificates"] or () if c.name == "certificate"]
        signer_infos = signed["signer_infos"]
        sid = signer_infos[0]["sid"] if len(signer_infos) else None
        cert = None
        if sid is not None and sid.name == "issuer_and_serial_number":
            serial = sid.chosen["serial_number"].native
            cert = next((c for c in certs if c.serial_number == serial), None)
        elif sid is not None:
            key_id = sid.chosen.native
            cert = next((c for c in certs if c.key_identifier == key_id), None)
        if cert is None and len(certs) == 1:
            cert = certs[0]
        if cert is None:
            return ""
        subject = cert.subject.native
        name = subject.get("common_name") or subject.get("organization_name") or ""
        return str(name[0] if isinstance(name, list) else name)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        log.warning("a signature's CMS blob could not be read: %s", exc)
        return ""


def describe_name(name: asn1_x509.Name | x509.Name) -> str:
    """A certificate's distinguished name as ``CN=..., O=..., C=...`` (common name first), for
    the archive's verification and the seal's own description."""
    # Loaded only when a name is described: cryptography and asn1crypto come with pyHanko.
    from asn1crypto import x509 as asn1

    if isinstance(name, asn1.Name):
        name = _to_pyca(name)
    parts = [attr.rfc4514_string() for attr in name]
    cn = [p for p in parts if p.startswith("CN=")]
    return ", ".join(cn + [p for p in parts if not p.startswith("CN=")]) or "(no subject)"


def _to_pyca(name: asn1_x509.Name) -> x509.Name:
    from cryptography import x509 as pyca

    # cryptography parses names only inside certificates, so rebuild it attribute by attribute.
    attrs: list[pyca.NameAttribute[str]] = []
    for rdn in name.chosen:
        for type_and_value in rdn:
            oid = pyca.ObjectIdentifier(type_and_value["type"].dotted)
            value = type_and_value["value"].native
            attrs.append(pyca.NameAttribute(oid, str(value)))
    return pyca.Name(attrs)


def parse_pdf_date(text: str) -> datetime | None:
    """A PDF date string (``D:20261206140500+01'00'``) as an aware datetime; None if unreadable."""
    match = _PDF_DATE.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if sign in ("+", "-"):
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        moment = moment - offset if sign == "+" else moment + offset
    return moment
