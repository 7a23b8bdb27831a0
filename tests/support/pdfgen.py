# mypy: allow-untyped-calls
# (PyMuPDF ships py.typed, but most of its API is not annotated.)
"""Generate small PDFs for tests, in memory or on disk.

Most documents are written by hand here, byte by byte, with a tiny PDF writer. That keeps the
ground truth independent of PyMuPDF: the MediaBox, CropBox and /Rotate in the file are exactly the
numbers a test asks for, and text is placed with explicit PDF operators in the file's own user
space (bottom-left origin), so a test can check what PyMuPDF (and the code under test) make of it.

Only the encrypted document is made with PyMuPDF, because writing encryption by hand is not worth
it.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

Box = tuple[float, float, float, float]

LETTER: Box = (0.0, 0.0, 612.0, 792.0)


@dataclass(frozen=True)
class TextRun:
    """Text drawn upright *as the user sees the page*.

    ``x``/``y`` are the displayed (rotated, cropped) coordinates of the text's baseline start,
    top-left origin, in points. The writer converts them into the file's user space.
    """

    text: str
    x: float
    y: float
    size: float = 12.0


@dataclass(frozen=True)
class PageSpec:
    """One page of a generated PDF: boxes in the file's own user space (bottom-left origin)."""

    texts: Sequence[TextRun] = ()
    mediabox: Box = LETTER
    cropbox: Box | None = None
    rotate: int = 0
    extra_content: bytes = b""


@dataclass
class _Writer:
    objects: list[bytes] = field(default_factory=list)

    def reserve(self) -> int:
        self.objects.append(b"")
        return len(self.objects)

    def set(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def add_stream(self, dictionary: bytes, data: bytes, *, compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data)
            dictionary += b" /Filter /FlateDecode"
        head = b"<< " + dictionary + b" /Length " + str(len(data)).encode() + b" >>"
        return self.add(head + b"\nstream\n" + data + b"\nendstream")

    def finish(self, root: int, info: int | None = None) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets: list[int] = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref_at = len(out)
        out += f"xref\n0 {len(self.objects) + 1}\n".encode()
        out += b"0000000000 65535 f \n"
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        trailer = f"trailer\n<< /Size {len(self.objects) + 1} /Root {root} 0 R"
        if info is not None:
            trailer += f" /Info {info} 0 R"
        out += (trailer + " >>\n").encode()
        out += f"startxref\n{xref_at}\n%%EOF\n".encode()
        return bytes(out)


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _box(box: Box) -> bytes:
    return ("[" + " ".join(_num(v) for v in box) + "]").encode()


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def visible_box(spec: PageSpec) -> Box:
    """What a viewer shows: the CropBox clipped to the MediaBox (normalised), or the MediaBox."""
    mx0, my0, mx1, my1 = spec.mediabox
    media = (min(mx0, mx1), min(my0, my1), max(mx0, mx1), max(my0, my1))
    if spec.cropbox is None:
        return media
    cx0, cy0, cx1, cy1 = spec.cropbox
    x0, y0 = max(min(cx0, cx1), media[0]), max(min(cy0, cy1), media[1])
    x1, y1 = min(max(cx0, cx1), media[2]), min(max(cy0, cy1), media[3])
    if x1 <= x0 or y1 <= y0:
        return media
    return (x0, y0, x1, y1)


def displayed_to_user(spec: PageSpec, x: float, y: float) -> tuple[float, float]:
    """A displayed point (top-left origin, rotation applied) in the file's user space.

    Written out case by case from the PDF specification (/Rotate turns the page clockwise for
    display), independently of the code under test.
    """
    cx0, cy0, cx1, cy1 = visible_box(spec)
    rotate = spec.rotate % 360
    if rotate == 0:
        return cx0 + x, cy1 - y
    if rotate == 90:
        return cx0 + y, cy0 + x
    if rotate == 180:
        return cx1 - x, cy0 + y
    if rotate == 270:
        return cx1 - y, cy1 - x
    raise ValueError(f"bad rotation {spec.rotate}")


def _text_ops(spec: PageSpec, run: TextRun) -> bytes:
    ux, uy = displayed_to_user(spec, run.x, run.y)
    # The text matrix turns the text so that it reads left to right on the displayed page.
    matrices = {
        0: (1, 0, 0, 1),
        90: (0, 1, -1, 0),
        180: (-1, 0, 0, -1),
        270: (0, -1, 1, 0),
    }
    a, b, c, d = matrices[spec.rotate % 360]
    return (
        b"BT /F1 "
        + _num(run.size).encode()
        + f" Tf {a} {b} {c} {d} {_num(ux)} {_num(uy)} Tm ".encode()
        + _pdf_string(run.text)
        + b" Tj ET\n"
    )


def build_pdf(
    pages: Sequence[PageSpec],
    *,
    title: str | None = None,
    extra_objects: Sequence[bytes] = (),
    inherited_rotate: int | None = None,
) -> bytes:
    """Write a PDF with the given pages (Helvetica text as /F1 on every page).

    ``inherited_rotate`` puts a /Rotate on the page tree node, for pages to inherit.
    """
    writer = _Writer()
    catalog = writer.reserve()
    pages_obj = writer.reserve()
    font = writer.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for body in extra_objects:
        writer.add(body)
    kids: list[int] = []
    for spec in pages:
        ops = b"".join(_text_ops(spec, run) for run in spec.texts) + spec.extra_content
        content = writer.add_stream(b"", ops)
        page = b"<< /Type /Page /Parent " + f"{pages_obj} 0 R".encode()
        page += b" /MediaBox " + _box(spec.mediabox)
        if spec.cropbox is not None:
            page += b" /CropBox " + _box(spec.cropbox)
        if spec.rotate:
            page += f" /Rotate {spec.rotate}".encode()
        page += f" /Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
        kids.append(writer.add(page))
    writer.set(catalog, f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode())
    kid_refs = " ".join(f"{k} 0 R" for k in kids)
    rotate = f" /Rotate {inherited_rotate}" if inherited_rotate is not None else ""
    writer.set(
        pages_obj, f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)}{rotate} >>".encode()
    )
    info = None
    if title is not None:
        info = writer.add(b"<< /Title " + _pdf_string(title) + b" >>")
    return writer.finish(catalog, info)


def text_page(text: str) -> PageSpec:
    """A Letter-size page with ``text`` (one line per ``\\n``) at the top-left margin."""
    runs = [TextRun(line, 72, 100 + 16 * i) for i, line in enumerate(text.split("\n")) if line]
    return PageSpec(texts=runs)


def text_pdf(texts: Sequence[str], *, title: str | None = None) -> bytes:
    """A Letter-size PDF with one :func:`text_page` per entry."""
    return build_pdf([text_page(text) for text in texts], title=title)


def anchor_page(
    *,
    rotate: int = 0,
    mediabox: Box = LETTER,
    cropbox: Box | None = None,
    anchor: str = "{{sign_here}}",
    at: tuple[float, float] = (100.0, 150.0),
    size: float = 14.0,
    extra: Sequence[TextRun] = (),
) -> PageSpec:
    """A page with ``anchor`` drawn upright on the displayed page with its baseline at ``at``."""
    return PageSpec(
        texts=[TextRun(anchor, at[0], at[1], size), *extra],
        mediabox=mediabox,
        cropbox=cropbox,
        rotate=rotate,
    )


def blank_page(*, rotate: int = 0, mediabox: Box = LETTER, cropbox: Box | None = None) -> PageSpec:
    return PageSpec(mediabox=mediabox, cropbox=cropbox, rotate=rotate)


# The page layouts tests run over: every rotation, with and without an offset CropBox, and a
# MediaBox that does not start at (0, 0).
OFFSET_MEDIABOX: Box = (-100.0, 50.0, 512.0, 842.0)
OFFSET_CROPBOX: Box = (30.0, 80.0, 430.0, 680.0)  # 400 x 600, inside LETTER
OFFSET_CROPBOX_IN_OFFSET_MEDIABOX: Box = (-60.0, 120.0, 400.0, 700.0)  # 460 x 580


def layouts() -> list[tuple[str, PageSpec]]:
    """Named blank page layouts covering rotation x CropBox x MediaBox combinations."""
    out: list[tuple[str, PageSpec]] = []
    for rotate in (0, 90, 180, 270):
        out.append((f"r{rotate}", blank_page(rotate=rotate)))
        out.append((f"r{rotate}-crop", blank_page(rotate=rotate, cropbox=OFFSET_CROPBOX)))
        out.append(
            (
                f"r{rotate}-media-crop",
                blank_page(
                    rotate=rotate,
                    mediabox=OFFSET_MEDIABOX,
                    cropbox=OFFSET_CROPBOX_IN_OFFSET_MEDIABOX,
                ),
            )
        )
    return out


OVERSIZED_CROPBOX: Box = (-50.0, -40.0, 300.0, 900.0)
"""Reaches outside LETTER on three sides: viewers show only the overlap (0 0 300 792)."""


def all_layouts() -> list[tuple[str, PageSpec]]:
    """:func:`layouts` plus a CropBox reaching outside the MediaBox, for every rotation."""
    extra = [
        (f"r{rotate}-oversized-crop", blank_page(rotate=rotate, cropbox=OVERSIZED_CROPBOX))
        for rotate in (0, 90, 180, 270)
    ]
    return layouts() + extra


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def big_pdf(path: Path, min_bytes: int = 20 * 1024 * 1024 + 1) -> Path:
    """A valid one-page PDF larger than ``min_bytes``: an uncompressed random-noise image."""
    side = int((min_bytes / 3) ** 0.5) + 1
    noise = os.urandom(side * side * 3)
    writer = _Writer()
    catalog = writer.reserve()
    pages_obj = writer.reserve()
    image = writer.add_stream(
        f"/Type /XObject /Subtype /Image /Width {side} /Height {side} "
        "/ColorSpace /DeviceRGB /BitsPerComponent 8".encode(),
        noise,
        compress=False,
    )
    content = writer.add_stream(b"", b"q 500 0 0 500 56 146 cm /Im1 Do Q\n")
    page = writer.add(
        f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 612 792] "
        f"/Resources << /XObject << /Im1 {image} 0 R >> >> /Contents {content} 0 R >>".encode()
    )
    writer.set(catalog, f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode())
    writer.set(pages_obj, f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode())
    path.write_bytes(writer.finish(catalog))
    return path


#: Every permission bit a PDF can grant (print, modify, copy, annotate, forms, ...).
ALL_PERMISSIONS = 4095


def encrypted_pdf(
    *,
    user_password: str = "secret",
    owner_password: str = "owner",
    permissions: int = ALL_PERMISSIONS,
    source: bytes | None = None,
    method: int = pymupdf.mupdf.PDF_ENCRYPT_AES_256,
) -> bytes:
    """A PDF (``source``, or one page) encrypted with AES-256 (or ``method``). With an empty
    ``user_password`` it opens without one: a permissions password only, granting
    ``permissions`` (the PDF permission bits, e.g. ``pymupdf.PDF_PERM_FORM``)."""
    doc = pymupdf.open(stream=source or text_pdf(["confidential"]), filetype="pdf")
    try:
        data: bytes = doc.tobytes(
            encryption=method,
            user_pw=user_password,
            owner_pw=owner_password,
            permissions=permissions,
        )
    finally:
        doc.close()
    return data


def garbage_bytes(size: int = 4096) -> bytes:
    """Random bytes that are not a PDF at all."""
    return b"GIF89a" + os.urandom(size)


def damaged_pdf() -> bytes:
    """Starts like a PDF but holds nothing MuPDF can rebuild a page tree from."""
    return b"%PDF-1.7\n" + b"\x00\xff garbage that is not a PDF object " * 200 + b"\n%%EOF\n"


def truncated_pdf() -> bytes:
    """A real PDF cut off just before its page objects: the page tree points at nothing."""
    data = text_pdf(["page one", "page two"])
    return data[: data.index(b"5 0 obj")]


def header_only_pdf() -> bytes:
    """A real PDF cut off after a few dozen bytes: MuPDF "repairs" it into zero pages."""
    return text_pdf(["page one"])[:60]


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty (/Count 0)."""
    return build_pdf([])
