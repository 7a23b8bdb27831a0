"""Logging with one redaction filter: no token, key or password reaches a log or a crash report.

Every secret Sealbox reads (from the keyring or the environment) is registered here, and the
filter also masks anything shaped like a credential (``Authorization: Bearer …``, ``X-API-Key``,
``client_secret=…``, ``"apiKey": "…"``) whether registered or not.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
from pathlib import Path

MASK = "•••"
_known: set[str] = set()
_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*(?:bearer|basic)\s+)[^\s'\",;]+"),
    re.compile(r"(?i)((?:x-api-key|api[_-]?key|apikey|client[_-]?secret|secret|password|"
               r"passphrase|access[_-]?token|refresh[_-]?token|token)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s'\",;&}]+"),
]


def register_secret(value: str | None) -> None:
    """Mask ``value`` wherever it appears in logs and crash reports from now on."""
    if value and len(value) >= 4:
        _known.add(value)


def redact(text: str) -> str:
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        record.msg = redact(message)
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
    """Log to ``log_dir/sealbox.log`` (rotated), redacted; warnings also to stderr if verbose."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sealbox", False):
            root.removeHandler(handler)
            handler.close()
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = QuietFileHandler(
        log_dir / "sealbox.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    handler._sealbox = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("httpx", "httpcore", "pyhanko", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
