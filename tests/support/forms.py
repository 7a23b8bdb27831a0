"""Generated PDF forms the way other producers write them, byte by byte (no PyMuPDF).

* :func:`libreoffice_form`: LibreOffice's export of a filled form: ``/NeedAppearances true`` and
  text fields whose appearance streams are empty, so only a viewer that regenerates appearances
  shows the values;
* :func:`hyperref_form`: pdfTeX with hyperref: ``/NeedAppearances true``, fields with a value
  and no appearance stream at all;
* :func:`viewer_filled_form`: an empty form (with appearance streams) that a viewer filled and
  saved as an incremental update: new values, stale (empty) appearances, ``/NeedAppearances``
  set in the update.

Each returns the PDF and the values its fields hold, with their rectangles (PDF user space).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tests.support.pdfgen import _pdf_string, _Writer


@dataclass(frozen=True)
class FormField:
    name: str
    value: str
    rect: tuple[float, float, float, float]  # PDF user space, bottom-left origin, Letter page


FIELDS = (
    FormField("Name", "Jane Doe", (72, 650, 320, 674)),
    FormField("Company", "ACME Shipping Ltd", (72, 600, 320, 624)),
)

_PAGE_TEXT = (
    b"BT /F1 16 Tf 72 720 Td (Registration form) Tj ET\n"
    b"BT /F1 10 Tf 72 680 Td (Name) Tj ET\nBT /F1 10 Tf 72 630 Td (Company) Tj ET\n"
)


def _rect(rect: tuple[float, float, float, float]) -> str:
    return "[" + " ".join(f"{v:g}" for v in rect) + "]"


def _form(
    fields: Sequence[FormField],
    *,
    widget: str,
    acroform_extra: str,
    appearance: bytes | None,
    values: bool,
) -> tuple[_Writer, int, list[int], int, int]:
    """Objects of a one-page form; returns the writer, the catalog, the widgets, the AcroForm
    and the page."""
    w = _Writer()
    catalog = w.reserve()
    pages = w.reserve()
    page = w.reserve()
    acroform = w.reserve()
    font = w.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    content = w.add_stream(b"", _PAGE_TEXT)
    widgets: list[int] = []
    for f in fields:
        width, height = f.rect[2] - f.rect[0], f.rect[3] - f.rect[1]
        ap = ""
        if appearance is not None:
            stream = w.add_stream(
                f"/Type /XObject /Subtype /Form /BBox [0 0 {width:g} {height:g}] "
                f"/Resources << /Font << /F1 {font} 0 R >> >>".encode(),
                appearance,
                compress=False,
            )
            ap = f" /AP << /N {stream} 0 R >>"
        value = (b" /V " + _pdf_string(f.value)) if values else b""
        body = (
            (
                f"<< /Type /Annot /Subtype /Widget /F 4 /FT /Tx /P {page} 0 R "
                f"/Rect {_rect(f.rect)} /T "
            ).encode()
            + _pdf_string(f.name)
            + value
            + (f" {widget}{ap} >>").encode()
        )
        widgets.append(w.add(body))
    refs = " ".join(f"{x} 0 R" for x in widgets)
    w.set(
        acroform,
        f"<< /Fields [{refs}] /DR << /Font << /F1 {font} 0 R /Helv {font} 0 R >> >>"
        f"{acroform_extra} >>".encode(),
    )
    w.set(
        page,
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 612 792] /Resources << "
        f"/Font << /F1 {font} 0 R >> >> /Contents {content} 0 R /Annots [{refs}] >>".encode(),
    )
    w.set(pages, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode())
    w.set(catalog, f"<< /Type /Catalog /Pages {pages} 0 R /AcroForm {acroform} 0 R >>".encode())
    return w, catalog, widgets, acroform, page


def libreoffice_form(fields: Sequence[FormField] = FIELDS) -> bytes:
    w, catalog, *_ = _form(
        fields,
        widget="/DA (0 0 0 rg /F1 12 Tf) /MK << >>",
        acroform_extra=" /NeedAppearances true",
        appearance=b"",
        values=True,
    )
    return w.finish(catalog)


def hyperref_form(fields: Sequence[FormField] = FIELDS) -> bytes:
    w, catalog, *_ = _form(
        fields,
        widget="/DA (/Helv 10 Tf 0 0 0 rg) /MK << /BC [0 0 1] >> /Border [0 0 1]",
        acroform_extra=" /NeedAppearances true /DA (/Helv 0 Tf 0 g)",
        appearance=None,
        values=True,
    )
    return w.finish(catalog)


def viewer_filled_form(fields: Sequence[FormField] = FIELDS) -> bytes:
    """An empty form with blank appearances, then a viewer's incremental update with values."""
    widget = "/DA (/Helv 11 Tf 0 g)"
    w, catalog, widgets, acroform, _page = _form(
        fields, widget=widget, acroform_extra="", appearance=b"/Tx BMC EMC", values=False
    )
    base = w.finish(catalog)
    # The update rewrites each field with its value (keeping the stale appearance) and the
    # AcroForm with /NeedAppearances, as a viewer that leaves appearances to others does.
    xref_at = base.rindex(b"startxref")
    prev = int(base[xref_at:].split()[1])
    out = bytearray(base)
    offsets: list[tuple[int, int]] = []
    objects = dict(enumerate(w.objects, start=1))
    for number, f in zip(widgets, fields, strict=True):
        body = objects[number].replace(b" /FT /Tx", b" /FT /Tx /V " + _pdf_string(f.value))
        offsets.append((number, len(out)))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    # The AcroForm dictionary ends with its own ">>": put the flag before it.
    form_body = objects[acroform][:-2] + b" /NeedAppearances true >>"
    offsets.append((acroform, len(out)))
    out += f"{acroform} 0 obj\n".encode() + form_body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for number, offset in sorted(offsets):
        out += f"{number} 1\n{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(w.objects) + 1} /Root {catalog} 0 R /Prev {prev} >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
