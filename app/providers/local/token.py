"""Sealing with a smartcard or token: a key that never leaves its device, through PKCS#11.

The device is reached through its PKCS#11 module, a shared library its maker ships (OpenSC's
``opensc-pkcs11.so`` for most smartcards, ``libsofthsm2.so`` for SoftHSM2), with
python-pkcs11 under pyHanko's :class:`~pyhanko.sign.pkcs11.PKCS11Signer`. Three settings name
the key: the module's file, the token's label and the label of the private key and its
certificate (the two carry the same label, as card tools write them). The certificates of the
issuing CAs are taken from the token too, when it carries them: the seal embeds its chain, and
the top of that chain is the root a verifier is told to trust.

:func:`open_token_identity` logs in with the PIN and returns a
:class:`~app.providers.local.pki.SealIdentity` whose signer uses the open session; the caller
closes it (:meth:`SealIdentity.close`) once the seals are made. Each thing that can go wrong is
said in plain words: the module missing or not a PKCS#11 module, no such token present, a wrong
or locked PIN, no key or certificate with that label.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import SealSetupError

if TYPE_CHECKING:
    from app.providers.local.pki import SealIdentity

#: Where the usual PKCS#11 modules are installed, offered in Settings (those present first).
SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)
OPENSC_MODULES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib64/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/Library/OpenSC/lib/opensc-pkcs11.so",
    r"C:\Windows\System32\opensc-pkcs11.dll",
)


@dataclass(frozen=True)
class TokenChoice:
    """Which key seals: the PKCS#11 module's file, the token's label, the key's label."""

    module: str
    token: str
    key: str

    @property
    def module_path(self) -> Path:
        return Path(self.module).expanduser()


def suggested_modules() -> list[str]:
    """The usual modules (SoftHSM2's, then OpenSC's) that are installed on this computer; the
    first of each when none is."""
    found = [m for m in (*SOFTHSM_MODULES, *OPENSC_MODULES) if os.path.isfile(m)]
    if found:
        return found
    opensc = OPENSC_MODULES[-1] if sys.platform == "win32" else OPENSC_MODULES[0]
    return [SOFTHSM_MODULES[0], opensc]


def module_problem(module: str) -> str | None:
    """Why ``module`` cannot be a PKCS#11 module (checked without loading it), or None."""
    path = Path(module).expanduser()
    if not path.is_absolute():
        return "Enter the full path of the smartcard's PKCS#11 module (a .so, .dylib or .dll file)."
    if not path.is_file():
        return (
            f"There is no PKCS#11 module at {path}: install the smartcard's software "
            "(OpenSC for most cards) or choose the module's file."
        )
    return None


def _load_library(choice: TokenChoice) -> Any:
    import pkcs11

    problem = module_problem(choice.module)
    if problem is not None:
        raise _problem("module", problem)
    try:
        return pkcs11.lib(str(choice.module_path))
    except (pkcs11.PKCS11Error, OSError) as exc:
        raise _problem(
            "module",
            f"The file {choice.module_path} could not be loaded as a PKCS#11 module; choose "
            "the module that came with the smartcard's software (for OpenSC, "
            "opensc-pkcs11.so).",
        ) from exc


def _find_token(lib: Any, choice: TokenChoice) -> Any:
    import pkcs11

    try:
        return lib.get_token(token_label=choice.token)
    except pkcs11.exceptions.NoSuchToken as exc:
        present = present_tokens(lib)
        listed = (
            f" (present: {', '.join(repr(label) for label in present)})"
            if present
            else " (none is present)"
        )
        raise _problem(
            "token",
            f"The smartcard or token {choice.token!r} is not present{listed}: insert it, or "
            "enter the token's name as its software shows it.",
        ) from exc
    except pkcs11.exceptions.MultipleTokensReturned as exc:
        raise _problem(
            "token",
            f"More than one token is named {choice.token!r}: remove the others, then try again.",
        ) from exc
    except pkcs11.PKCS11Error as exc:
        raise _problem(
            "token",
            f"The smartcard reader could not be read ({_describe(exc)}): check that the card "
            "is inserted and the reader connected, then try again.",
        ) from exc


def present_tokens(lib: Any) -> list[str]:
    """The labels of the tokens present in ``lib``'s slots."""
    import pkcs11

    labels = []
    try:
        for slot in lib.get_slots(token_present=True):
            with contextlib.suppress(pkcs11.PKCS11Error):
                label = str(slot.get_token().label).strip()
                if label:  # an empty one is a blank card, not set up yet
                    labels.append(label)
    except pkcs11.PKCS11Error:
        return labels
    return labels


def _log_in(token: Any, choice: TokenChoice, pin: str) -> Any:
    import pkcs11
    from pkcs11 import exceptions as p11

    try:
        return token.open(user_pin=pin)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange) as exc:
        raise _problem(
            "pin",
            f"The PIN for the token {choice.token!r} is wrong; enter the right PIN (the card "
            "locks after a few wrong tries).",
        ) from exc
    except (p11.PinLocked, p11.PinExpired) as exc:
        raise _problem(
            "pin",
            f"The PIN of the token {choice.token!r} is locked; unlock it with its PUK or ask "
            "whoever issued the card, then try again.",
        ) from exc
    except p11.TokenNotPresent as exc:
        raise _problem(
            "token",
            f"The smartcard or token {choice.token!r} was removed; insert it and try again.",
        ) from exc
    except pkcs11.PKCS11Error as exc:
        raise _problem(
            "token",
            f"The token {choice.token!r} refused to open ({_describe(exc)}); check the card "
            "and its reader, then try again.",
        ) from exc


def check_token(choice: TokenChoice) -> list[str]:
    """Check, without logging in, that the module loads and the token is present; the labels
    of the tokens present."""
    lib = _load_library(choice)
    _find_token(lib, choice)
    return present_tokens(lib)


def open_token_identity(choice: TokenChoice, pin: str) -> SealIdentity:
    """Log in to the token with ``pin`` and make a seal identity of its key and certificate.

    The session stays open for the signer: close the identity when done. Raises
    :class:`UserError` in plain words for every problem (see the module docstring)."""
    token = _find_token(_load_library(choice), choice)
    session = _log_in(token, choice, pin)
    try:
        return _identity(session, choice)
    except BaseException:
        with contextlib.suppress(Exception):
            session.close()
        raise


def _identity(session: Any, choice: TokenChoice) -> SealIdentity:
    import pkcs11
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from pkcs11 import Attribute, ObjectClass

    from app.providers.local.pki import identity_from_chain

    try:
        keys = list(
            session.get_objects(
                {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: choice.key}
            )
        )
        certs = [
            x509.load_der_x509_certificate(obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]
        mine = [
            x509.load_der_x509_certificate(obj[Attribute.VALUE])
            for obj in session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: choice.key}
            )
        ]
    except (pkcs11.PKCS11Error, ValueError) as exc:
        raise _problem(
            "token",
            f"The token {choice.token!r} could not be read ({_describe(exc)}); check the card "
            "and its reader, then try again.",
        ) from exc
    if not keys:
        raise _problem(
            "key",
            f"The token {choice.token!r} has no private key labelled {choice.key!r}; enter the "
            "key's label as the card's software shows it.",
        )
    if not mine:
        raise _problem(
            "key",
            f"The token {choice.token!r} has a key labelled {choice.key!r} but no certificate "
            "with that label; import the key's certificate onto the token with the same label.",
        )
    certificate = mine[0]
    return identity_from_chain(
        certificate,
        certs,
        lambda cert, others: _signer(session, choice, cert, others, ec=ec),
        source=f"token {choice.token}",
        closer=session.close,
    )


def _signer(session: Any, choice: TokenChoice, cert: Any, others: Any, *, ec: Any) -> Any:
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.sign.pkcs11 import PKCS11Signer

    return PKCS11Signer(
        session,
        key_label=choice.key,
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        ca_chain=[translate_pyca_cryptography_cert_to_asn1(c) for c in others],
        other_certs_to_pull=(),
        # Many cards sign only a digest with ECDSA (CKM_ECDSA): hash here, sign there.
        use_raw_mechanism=isinstance(cert.public_key(), ec.EllipticCurvePublicKey),
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or "it gave no reason"


def _problem(part: str, message: str) -> SealSetupError:
    return SealSetupError(message, part=part)
