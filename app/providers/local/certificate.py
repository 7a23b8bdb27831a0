"""The completion certificate: an A4 PDF that records who signed what, when, where and how.

It is laid out with PyMuPDF's :class:`pymupdf.Story` (HTML and CSS), which flows the content over
as many pages as it needs, so long event histories and many recipients paginate without losing
text; a second pass writes "Page n of N" footers. All text is real text (searchable and
extractable). Sealing the certificate is the caller's job (:func:`~.seal.seal_pdf`).

Times are written as people read them, in the time zone of the computer where the signing took
place (or the one given), with the zone named: ``6 December 2026, 14:05:09 CET``; naive
datetimes are taken to be UTC. Every table puts its values in one column that starts at the same
place on the page, so the eye can run down them.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf

# PyMuPDF ships a py.typed marker but leaves most functions unannotated; go through Any.
_mu: Any = pymupdf

log = logging.getLogger(__name__)

# What MuPDF raises for data it cannot decode (images, fonts).
_MUPDF_ERRORS: tuple[type[Exception], ...] = (RuntimeError, ValueError, _mu.mupdf.FzErrorBase)
_FONT_ERRORS: tuple[type[Exception], ...] = (OSError, *_MUPDF_ERRORS)

__all__ = [
    "CertificateData",
    "CertificateEvent",
    "CertificateRecipient",
    "build_certificate_pdf",
    "format_time",
]

PAGE = _mu.paper_rect("a4")
MARGIN_X = 50.0
MARGIN_TOP = 48.0
MARGIN_BOTTOM = 56.0  # leaves room for the footer

# The largest box a signature image is scaled into, in points.
SIGNATURE_BOX = (220.0, 70.0)

#: Where the value column of every table starts, from the left margin (points): wide enough for
#: the longest label ("Operating-system user") and the longest time.
LABEL_WIDTH = 150.0

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_HAND_FONT_NAME = "SealboxHandwriting"
_HAND_FONT_FILE = "handwriting-font"


@dataclass(frozen=True)
class CertificateRecipient:
    name: str
    email: str
    designation: str
    order: int
    viewed_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    declined_at: dt.datetime | None = None
    decline_reason: str | None = None
    signature_png: bytes | None = None
    typed_signature: str | None = None
    #: How they signed, as recorded: "typed signature", "drawn signature", "uploaded signature
    #: image".
    signature_how: str | None = None


@dataclass(frozen=True)
class CertificateEvent:
    at: dt.datetime
    event: str
    detail: str = ""


@dataclass(frozen=True)
class CertificateData:
    request_name: str
    request_id: str
    provider: str
    original_sha256: str
    signed_sha256: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    recipients: list[CertificateRecipient] = field(default_factory=list)
    events: list[CertificateEvent] = field(default_factory=list)
    host: str = ""
    os_user: str = ""
    sender_name: str | None = None
    sender_email: str | None = None
    #: The time zone times are written in; None for this computer's.
    zone: dt.tzinfo | None = None


def format_time(moment: dt.datetime | None, zone: dt.tzinfo | None = None) -> str:
    """``6 December 2026, 14:05:09 CET`` in ``zone`` (None: this computer's zone); a zone
    without a name reads ``UTC+05:30``; an em dash for no time. Naive times are UTC."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    name = local.tzname() or ""
    if not name.isalpha():
        offset = local.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        name = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}" if minutes else "UTC"
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M:%S} {name}"


def build_certificate_pdf(data: CertificateData, handwriting_font: Path | None) -> bytes:
    """Lay out the completion certificate for ``data`` and return the PDF bytes.

    ``handwriting_font`` (an OTF/TTF file) draws typed signatures; without it (or when it
    cannot be read) they are set in an italic serif.
    """
    archive = _mu.Archive()
    font_css = ""
    font_bytes = _read_font(handwriting_font)
    if font_bytes is not None:
        archive.add(font_bytes, _HAND_FONT_FILE)
        font_css = (
            f'@font-face {{font-family: "{_HAND_FONT_NAME}"; src: url({_HAND_FONT_FILE});}}\n'
        )
    body = _body_html(data, archive, has_hand_font=font_bytes is not None)
    story = _mu.Story(html=body, user_css=font_css + _CSS, archive=archive)

    buffer = io.BytesIO()
    writer = _mu.DocumentWriter(buffer)
    content = _mu.Rect(MARGIN_X, MARGIN_TOP, PAGE.width - MARGIN_X, PAGE.height - MARGIN_BOTTOM)

    def rectfn(_rect_num: int, _filled: Any) -> tuple[Any, Any, None]:
        return PAGE, content, None

    story.write(writer, rectfn)
    writer.close()
    return _finish(buffer.getvalue(), data)


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------

_CSS = """
body { font-family: sans-serif; font-size: 10pt; color: #1f2328; }
h1 { font-size: 20pt; color: #0b3d60; margin: 0 0 2pt 0; }
h2 { font-size: 13pt; color: #0b3d60; margin: 14pt 0 4pt 0; }
h3 { font-size: 11pt; color: #1f2328; margin: 10pt 0 3pt 0; }
p { margin: 0 0 3pt 0; }
.lead { color: #57606a; font-size: 9.5pt; margin-bottom: 8pt; }
.label { color: #57606a; font-size: 8.5pt; margin: 5pt 0 0 0; }
.value { margin: 0 0 1pt 0; }
.hash { font-family: monospace; font-size: 8.5pt; margin: 0 0 1pt 0; }
table { width: 100%; }
td, th { text-align: left; vertical-align: top; padding: 1.5pt 6pt 1.5pt 0; }
td { overflow-wrap: break-word; }
th { color: #57606a; font-size: 8.5pt; font-weight: bold; border-bottom: 0.5pt solid #d0d7de; }
.facts td { font-size: 9.5pt; }
.facts td.k, .events .t { color: #57606a; width: LABEL_WIDTHpt; }
.events td { font-size: 8.5pt; }
.events td.e { width: 70pt; font-weight: bold; }
.recipient { margin: 6pt 0 0 0; }
.status-signed { color: #1a7f37; font-weight: bold; }
.status-declined { color: #cf222e; font-weight: bold; }
.status-pending { color: #9a6700; font-weight: bold; }
.typed { font-family: "SealboxHandwriting"; font-size: 24pt; color: #0b2e59; margin: 2pt 0; }
.typed-fallback { font-family: serif; font-style: italic; font-size: 18pt; color: #0b2e59; }
.muted { color: #57606a; }
"""


_CSS = _CSS.replace("LABEL_WIDTH", f"{LABEL_WIDTH:g}")

_LIGATURE_START = re.compile(r"f(?=[fil])")


def _e(text: object) -> str:
    """Escape ``text`` for HTML and keep MuPDF from forming fi/fl/ff ligatures.

    MuPDF's layout replaces "fi", "fl", "ff"... with ligature glyphs that text extraction and
    search then report as U+FB01 and friends, so "Certificate" could not be found. An empty
    ``<span>`` after the "f" splits the run without adding a character or a break opportunity.
    """
    return _LIGATURE_START.sub("f<span></span>", html.escape(str(text), quote=True))


def _row(label: str, value_html: str) -> str:
    return f'<tr><td class="k">{_e(label)}</td><td>{value_html}</td></tr>'


def _body_html(data: CertificateData, archive: Any, *, has_hand_font: bool) -> str:
    parts: list[str] = [
        f"<h1>{_e('Certificate of completion')}</h1>",
        f'<p class="lead">{_e(_LEAD)}</p>',
        f"<h2>{_e('Request')}</h2>",
        '<table class="facts">',
    ]
    sender = " ".join(
        p
        for p in (data.sender_name or "", f"<{data.sender_email}>" if data.sender_email else "")
        if p
    )
    for label, value in (
        ("Request", data.request_name),
        ("Request ID", data.request_id),
        ("Provider", data.provider),
        ("Sender", sender or _NO_SENDER),
        ("Created", format_time(data.created_at, data.zone)),
        ("Completed", format_time(data.completed_at, data.zone)),
    ):
        parts.append(_row(label, _e(value)))
    parts.append("</table>")

    parts.append(f"<h2>{_e('Document fingerprints (SHA-256)')}</h2>")
    parts.append(f'<p class="label">{_e("Original document")}</p>')
    parts.append(f'<p class="hash">{_e(data.original_sha256)}</p>')
    parts.append(f'<p class="label">{_e("Signed document")}</p>')
    parts.append(f'<p class="hash">{_e(data.signed_sha256)}</p>')

    parts.append(f"<h2>{_e('Where the signing took place')}</h2>")
    parts.append('<table class="facts">')
    parts.append(_row("Computer", _e(data.host or "—")))
    parts.append(_row("Operating-system user", _e(data.os_user or "—")))
    parts.append("</table>")

    parts.append(f"<h2>{_e('Recipients')}</h2>")
    if not data.recipients:
        parts.append(f'<p class="muted">{_e("No recipients.")}</p>')
    for index, recipient in enumerate(sorted(data.recipients, key=lambda r: r.order), start=1):
        parts.append(
            _recipient_html(recipient, index, archive, has_hand_font=has_hand_font, zone=data.zone)
        )

    parts.append(f"<h2>{_e('Event history')}</h2>")
    if not data.events:
        parts.append(f'<p class="muted">{_e("No events were recorded.")}</p>')
    else:
        parts.append('<table class="events">')
        parts.append(
            f'<tr><th class="t">{_e("Time")}</th><th>{_e("Event")}</th><th>{_e("Detail")}</th></tr>'
        )
        for event in data.events:
            parts.append(
                f'<tr><td class="t">{_e(format_time(event.at, data.zone))}</td>'
                f'<td class="e">{_e(event.event)}</td><td>{_e(event.detail)}</td></tr>'
            )
        parts.append("</table>")
    return "<body>" + "\n".join(parts) + "</body>"


_NO_SENDER = "not recorded (no sender name or email was set in Sealbox)"

_LEAD = (
    "This certificate records how the document below was signed in person with Sealbox: the "
    "document's fingerprints before and after signing, each recipient's actions and every step "
    "of the signing."
)


def _recipient_html(
    recipient: CertificateRecipient,
    index: int,
    archive: Any,
    *,
    has_hand_font: bool,
    zone: dt.tzinfo | None = None,
) -> str:
    if recipient.declined_at is not None:
        status = f'<span class="status-declined">{_e("Declined")}</span>'
    elif recipient.signed_at is not None:
        status = f'<span class="status-signed">{_e("Signed")}</span>'
    else:
        status = f'<span class="status-pending">{_e("Not signed")}</span>'

    rows = [
        _row("Designation", _e(recipient.designation)),
        _row("Signing order", _e(recipient.order)),
        _row("Email", _e(recipient.email)),
        _row("Status", status),
        _row("Viewed", _e(format_time(recipient.viewed_at, zone))),
        _row("Signed", _e(format_time(recipient.signed_at, zone))),
    ]
    if recipient.declined_at is not None or recipient.decline_reason:
        rows.append(_row("Declined", _e(format_time(recipient.declined_at, zone))))
        rows.append(_row("Decline reason", _e(recipient.decline_reason or "—")))

    out = [
        f'<div class="recipient"><h3>{index}. {_e(recipient.name)}</h3>',
        '<table class="facts">',
        *rows,
        "</table>",
    ]
    signature = _signature_html(recipient, index, archive, has_hand_font=has_hand_font)
    if signature:
        how = _SIGNATURE_LABELS.get(recipient.signature_how or "", "")
        out.append(f'<p class="label">{_e("Signature" + how)}</p>')
        out.append(signature)
    out.append("</div>")
    return "\n".join(out)


_SIGNATURE_LABELS = {
    "typed signature": " (typed)",
    "drawn signature": " (drawn)",
    "uploaded signature image": " (uploaded image)",
}


def _signature_html(
    recipient: CertificateRecipient, index: int, archive: Any, *, has_hand_font: bool
) -> str:
    if recipient.signature_png:
        size = _image_size(recipient.signature_png)
        if size is None:
            return f'<p class="muted">{_e("(the signature image could not be displayed)")}</p>'
        width, height = size
        scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height, 1.0)
        name = f"signature-{index}.png"
        archive.add(recipient.signature_png, name)
        alt = html.escape(f"Signature of {recipient.name}", quote=True)
        return (
            f'<p><img src="{name}" width="{width * scale:.1f}" height="{height * scale:.1f}" '
            f'alt="{alt}"/></p>'
        )
    if recipient.typed_signature:
        css_class = "typed" if has_hand_font else "typed-fallback"
        return f'<p class="{css_class}">{_e(recipient.typed_signature)}</p>'
    return ""


def _read_font(path: Path | None) -> bytes | None:
    """The handwriting font's bytes; None (typed signatures fall back to an italic serif) when
    no font is given or it cannot be read, which must not cost the user the certificate."""
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
        _mu.Font(fontbuffer=data)  # refuse a file MuPDF cannot use as a font
    except _FONT_ERRORS as exc:
        log.warning("handwriting font %s could not be used (%s); using a fallback", path, exc)
        return None
    return data


def _image_size(png: bytes) -> tuple[float, float] | None:
    """The image's size, or None when MuPDF cannot decode it."""
    try:
        pixmap = _mu.Pixmap(png)
    except _MUPDF_ERRORS:
        return None
    if pixmap.width <= 0 or pixmap.height <= 0:
        return None
    return float(pixmap.width), float(pixmap.height)


def _finish(pdf: bytes, data: CertificateData) -> bytes:
    """Add page footers and document metadata."""
    doc = _mu.open(stream=pdf, filetype="pdf")
    try:
        total = doc.page_count
        for number, page in enumerate(doc, start=1):
            footer = (
                f"Sealbox certificate of completion · {data.request_id} · page {number} of {total}"
            )
            box = _mu.Rect(MARGIN_X, PAGE.height - 40, PAGE.width - MARGIN_X, PAGE.height - 24)
            page.insert_textbox(
                box, footer, fontsize=7.5, fontname="helv", color=(0.4, 0.42, 0.45), align=1
            )
        doc.set_metadata(
            {
                "title": f"Certificate of completion — {data.request_name}",
                "subject": f"Signature request {data.request_id}",
                "creator": "Sealbox",
                "producer": "Sealbox (PyMuPDF)",
            }
        )
        return bytes(doc.tobytes(garbage=3, deflate=True))
    finally:
        doc.close()
