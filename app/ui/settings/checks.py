"""The checks of the Settings dialog's inputs: each returns why a value cannot be used, or None."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from app.domain.model import EMAIL_RE

MIN_INTERVAL_MIN = 1
MAX_INTERVAL_MIN = 1440


def url_problem(text: str) -> str | None:
    """Why ``text`` is not an http(s) address, or None."""
    if not text.startswith(("https://", "http://")):
        return "Enter an address that starts with https:// (or http://)."
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        url = None
    if url is None or not url.host or any(c.isspace() for c in text):
        return "This is not a web address."
    return None


def email_problem(text: str) -> str | None:
    return None if EMAIL_RE.match(text) else "Enter an email address such as name@example.com."


def folder_problem(text: str) -> str | None:
    """Why the folder ``text`` cannot be used as the archive (it is not created here)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        return "Enter the full path of a folder."
    if path.exists():
        if not path.is_dir():
            return "This is a file, not a folder."
        if not os.access(path, os.W_OK | os.X_OK):
            return "Sealbox cannot write in this folder: choose another one."
        return None
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"The folder cannot be created: {parent} is a file."
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"The folder cannot be created: Sealbox cannot write in {parent}."
    return None


def file_problem(text: str) -> str | None:
    path = Path(text).expanduser()
    if not path.is_file():
        return "There is no such file: choose the certificate's .p12 or .pfx file."
    return None


#: The longest a timestamp authority may be given to answer, in seconds.
MAX_TSA_TIMEOUT_S = 600


def ca_file_problem(text: str) -> str | None:
    """Why ``text`` is not a file holding a CA certificate (PEM or DER), or None."""
    from cryptography import x509

    path = Path(text).expanduser()
    if not path.is_file():
        return "There is no such file: choose the authority's CA certificate (.pem, .crt, .cer)."
    try:
        data = path.read_bytes()[: 1024 * 1024 + 1]
    except OSError as exc:
        return f"Sealbox cannot read this file ({exc.strerror or exc}): choose another one."
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        return "This file is not a certificate: choose the authority's CA certificate."
    return None


def seconds_problem(text: str) -> str | None:
    """Why ``text`` is not a number of seconds a timestamp authority may take, or None."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return "Enter a number of seconds, such as 10."
    if not 1 <= value <= MAX_TSA_TIMEOUT_S:
        return f"Enter a number of seconds between 1 and {MAX_TSA_TIMEOUT_S}."
    return None
