"""Logging, and the one place secrets are taken out of text: no token, key or password reaches
the screen, the store, a log or a crash report.

Every secret Sealbox reads (from the keyring or the environment) and every credential the HTTP
layer sends (an API key header, a Bearer token obtained by signing in, the base64 of
``client id:secret`` in HTTP Basic auth) is registered here with :func:`register_secret`,
together with the forms a server could echo it in (JSON-escaped, URL-encoded). :func:`redact`
masks all of them, and anything shaped like a credential (``Authorization: Bearer …``,
``X-API-Key``, ``client_secret=…``, ``"apiKey": "…"``) whether registered or not.

:func:`redact` is used by the error types (every :class:`~app.errors.SealboxError` message), by
the store for what it keeps of a provider's messages, by the log filter and by crash reports.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import logging.handlers
import re
import threading
import urllib.parse
from pathlib import Path

from app.domain.text import MESSAGE_LIMIT

MASK = "•••"
#: A logged message longer than this is cut (its tracebacks are kept whole).
LOG_MESSAGE_LIMIT = 8000
_MIN_SECRET = 4
_lock = threading.Lock()
_known: tuple[str, ...] = ()
_KEY = (
    r"(?:x-api-key|api[_-]?key|apikey|client[_-]?secret|secret|password|passphrase|"
    r"access[_-]?token|refresh[_-]?token|token)"
)
_VALUE = r"[^\s'\",;&}]"
_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*(?:bearer|basic)\s+)[^\s'\",;]+"),
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/-]{12,}=*"),
    # A credential-shaped value: quoted after its key ('"apiKey": "k123"'), or right after
    # "key=" as in a form or a query string ...
    re.compile(rf"(?i)({_KEY}[\"']?\s*[:=]\s*[\"'])[^\"'\s]+"),
    re.compile(rf"(?i)({_KEY}[\"']?=){_VALUE}+"),
    # ... or bare after "key: " when it looks like one rather than a word of a sentence
    # ("secret: run `sealbox login`"): it has a digit, or is longer than words are.
    re.compile(rf"(?i)({_KEY}[\"']?\s*[:=]\s*)(?:(?={_VALUE}*\d){_VALUE}{{4,}}|{_VALUE}{{16,}})"),
]


def _forms(value: str) -> set[str]:
    """``value`` and the ways a server may echo it: JSON-escaped (ASCII or not), URL-encoded
    (path and form style), and base64."""
    forms = {value}
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    forms.add(json.dumps(value)[1:-1].replace("/", "\\/"))  # "\/" as PHP writes it
    forms.add(urllib.parse.quote(value, safe=""))
    forms.add(urllib.parse.quote_plus(value, safe=""))
    forms.add(urllib.parse.quote(value))
    encoded = value.encode("utf-8", "surrogatepass")
    forms.add(base64.b64encode(encoded).decode("ascii"))
    forms.add(base64.b64encode(encoded).decode("ascii").rstrip("="))
    return {f for f in forms if len(f) >= _MIN_SECRET}


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and its escaped forms) wherever it appears from now on."""
    global _known
    if not value or len(value) < _MIN_SECRET:
        return
    with _lock:
        if value in _known:
            return
        _known = tuple(sorted(set(_known) | _forms(value), key=len, reverse=True))


def forget_secrets() -> None:
    """Forget every registered secret (a test starts afresh with this)."""
    global _known
    with _lock:
        _known = ()


def register_credentials(header_value: str) -> None:
    """Register what an ``Authorization``-style header carries: the whole value, the
    credential after ``Bearer``/``Basic``, and for Basic both halves of ``user:password``."""
    register_secret(header_value)
    scheme, _, credential = header_value.strip().partition(" ")
    credential = credential.strip()
    if not credential:
        return
    register_secret(credential)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except ValueError:
            return
        user, sep, password = decoded.partition(":")
        if sep:
            register_secret(decoded)
            register_secret(password)
            register_secret(user)


def redact(text: str) -> str:
    """``text`` with every registered secret (and every credential-shaped value) masked."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def scrub(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """What Sealbox keeps and shows of a message from elsewhere: secrets masked, at most
    ``limit`` characters, ending with ``… [cut, N bytes]`` when it was longer."""
    if len(text) <= limit:
        clean = redact(text)
        return text if clean == text else clean  # unchanged: keep a Text's parts
    # Redact a little past the cut, so that a secret across it is masked whole.
    margin = max((len(s) for s in _known), default=0) + 64
    kept = redact(text[: limit + margin])[:limit]
    cut = len(text.encode("utf-8", "surrogatepass")) - len(kept.encode("utf-8", "surrogatepass"))
    return f"{kept}… [cut, {max(cut, 0):,} bytes]"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError) as exc:  # a bad format string: keep what there is
            message = f"{record.msg!r} {record.args!r} ({exc})"
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg = scrub(message, LOG_MESSAGE_LIMIT)
        record.args = None
        return True


class QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, which never disturbs the command it logs: when a record cannot be written
    (the disk is full, the file went away), logging to the file stops quietly for the rest of
    the process instead of printing "--- Logging error ---" with a traceback on stderr. The
    command's own outcome (a message and an exit code) says what went wrong."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        self.broken = True
        stream, self.stream = self.stream, None
        if stream is not None:
            # The buffered lines cannot be written either: they are dropped.
            with contextlib.suppress(OSError):
                stream.close()


def configure(log_dir: Path, *, verbose: bool = False) -> None:
    """Log to ``log_dir/sealbox.log`` (rotated), redacted; warnings also to stderr if verbose.

    Text that cannot be written as UTF-8 (a file name that is not) is written with escapes
    rather than failing the log line."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sealbox", False):
            root.removeHandler(handler)
            handler.close()
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = QuietFileHandler(
        log_dir / "sealbox.log",
        maxBytes=2_000_000,
        backupCount=3,
        encoding="utf-8",
        delay=True,
        errors="backslashreplace",
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._sealbox = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "pyhanko", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
