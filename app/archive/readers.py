"""What other PDF readers will show for a seal or signature, in one plain sentence.

Sealbox trusts what this installation was told to trust; Adobe Acrobat Reader, Okular and the
other poppler-based readers (``pdfsig``) trust what *their* computer trusts, so the same file
can look different there. This module says how, for each kind of seal:

* **installation**: sealed with this installation's own root: valid, signer not trusted, until
  the reader imports that root;
* **office**: sealed with the organisation's certificate (a PKCS#12 file) from a certificate
  authority the user imported: trusted where that authority is;
* **provider**: a signature service's certificate from a public authority (trusted here through
  the system's trust store): Adobe goes by its own trust lists, poppler by the system's store;
* **unknown**: a signer no source here vouches for;

each with or without a timestamp authority's time. What readers do was checked against
poppler's ``pdfsig`` (it reports "Certificate issuer isn't Trusted" for an unknown root, shows
the signer's own clock as the signing time, and does not check document timestamps) and
Adobe's documented behaviour (its Approved Trust List and the EU Trusted List, revocation data
embedded in the file used for long-term validation).

:func:`what_other_readers_show` takes a :class:`~app.archive.verify.SignatureCheck`;
:func:`seal_sentence` the kind directly (the Settings dialog, before anything is sealed). Pure
functions: no I/O, no Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from app.archive.verify import SignatureCheck

__all__ = ["SealKind", "reader_facts", "seal_kind", "seal_sentence", "what_other_readers_show"]

SealKind = Literal["installation", "office", "provider", "unknown"]

_READERS = "Other PDF readers (Adobe Acrobat Reader, Okular, pdfsig)"

_TRUST: dict[SealKind, str] = {
    "installation": (
        f"{_READERS} show the signature as valid but say the signer is not trusted (its "
        "issuer is unknown to them) until they import this installation's root certificate, "
        "which Sealbox can export for them."
    ),
    "office": (
        f"{_READERS} show the signature as valid; they call the signer trusted only where "
        "your organisation's certificate authority is trusted: a public authority on Adobe's "
        "trust list, or your own once it is imported into each reader (Adobe Acrobat Reader's "
        "trusted certificates; the computer's certificate store for Okular and pdfsig)."
    ),
    "provider": (
        f"{_READERS} show the signature as valid. Adobe Acrobat Reader trusts it when the "
        "service's certificate authority is on the Adobe Approved Trust List or the EU "
        "Trusted List (the large signature services' are); Okular and pdfsig trust it where "
        "the computer's certificate store trusts that authority, as this one does."
    ),
    "unknown": (
        f"{_READERS} show the signature as valid but say the signer is not trusted unless "
        "they already trust the authority that issued its certificate."
    ),
}

_TIMESTAMPED = (
    " Adobe Acrobat Reader shows the time from the timestamp authority; Okular and pdfsig "
    "show the time the signer's computer gave."
)
_CLOCK_ONLY = (
    " The signing time they show is the signer's computer clock: no timestamp authority "
    "vouches for it."
)


def seal_sentence(kind: SealKind, timestamped: bool) -> str:
    """What other readers show for a seal of ``kind``, with or without a timestamp authority's
    time in it."""
    return _TRUST[kind] + (_TIMESTAMPED if timestamped else _CLOCK_ONLY)


def seal_kind(details: SignatureCheck) -> SealKind:
    """The kind of seal a checked signature is, from where the root vouching for it comes."""
    return {
        "installation": "installation",
        "imported": "office",
        "system": "provider",
    }.get(details.trust_source or "", "unknown")  # type: ignore[return-value]


def what_other_readers_show(details: SignatureCheck) -> str:
    """One plain sentence: what Adobe Acrobat Reader, Okular and pdfsig show for the signature
    or document timestamp ``details`` (as :mod:`app.archive.verify` checked it)."""
    if details.kind == "unreadable":
        return "Other PDF readers cannot check this signature either: the file cannot be read."
    if not details.intact or details.modified_after:
        return (
            f"{_READERS} also show this signature as invalid: the document was changed after "
            "it was signed."
        )
    if not details.valid:
        return f"{_READERS} also show this signature as invalid."
    if details.revoked:
        return (
            "Adobe Acrobat Reader reads the revocation data kept in the file and shows the "
            "signature as invalid, its certificate revoked; Okular and pdfsig say the "
            "certificate was revoked only when they can reach the authority's revocation "
            "service, otherwise they show a valid signature whose signer is not trusted."
        )
    if details.kind == "timestamp":
        trusted = (
            "trusted when its authority is on Adobe's trust list or imported into the reader"
            if details.trust_source != "system"
            else "trusted, as its authority is a public one"
        )
        return (
            f"Adobe Acrobat Reader shows this document timestamp as valid, {trusted}; Okular "
            "and pdfsig list it but do not check it."
        )
    sentence = seal_sentence(seal_kind(details), details.timestamped_at is not None)
    if details.expired_since_signing:
        sentence += (
            " Readers that do not use long-term validation data may say the certificate has "
            "expired."
        )
    return sentence


def reader_facts(check: SignatureCheck) -> dict[str, Any]:
    """Where a signature's trust comes from, what the file's revocation data says, and what
    other readers show: the signature panel's fields of :mod:`app.archive.signature_details`."""
    return {
        "trust_source": check.trust_source,
        "revoked": check.revocation.to_json() if check.revocation is not None else None,
        "other_readers": what_other_readers_show(check),
    }
