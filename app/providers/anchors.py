"""Anchor tags resolved on this machine, for providers that take only explicit fields.

Every occurrence of an anchor's text becomes a field of the anchor's type and size whose top-left
corner sits on the top-left corner of the matched text, kept inside the page; the field remembers
where the text was (``anchor_rect``), so the built-in provider can take it off the page. An anchor
with no match stops the send with a message naming it, unless it says ``ignoreIfNotPresent``;
when the document has scanned pages without a text layer, the message names them and how to read
them by OCR. More fields than the limit (a word in every page's footer) stop it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.domain.geometry import PageGeometry, field_at_anchor
from app.domain.model import Field, RequestSpec
from app.domain.problems import Issue
from app.domain.validation import field_count_problem
from app.pdf.textindex import TextIndex, ocr_available


@dataclass(frozen=True)
class AnchorResolution:
    fields: tuple[Field, ...]
    problems: tuple[Issue, ...]
    counts: tuple[int, ...]
    #: The document's text, as read to find the anchors.
    text: str = ""


def page_list(pages: tuple[int, ...] | list[int], limit: int = 12) -> str:
    """ "page 3", "pages 1, 2 and 5", "pages 1-40" for runs, "… and 7 more" past ``limit``."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(pages)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs]
    more = ""
    if len(parts) > limit:
        more = f" and {len(parts) - limit} more"
        parts = parts[:limit]
    word = "page" if len(pages) == 1 else "pages"
    if len(parts) == 1 or more:
        return f"{word} {', '.join(parts)}{more}"
    return f"{word} {', '.join(parts[:-1])} and {parts[-1]}"


def scanned_hint(index: TextIndex, ocr_asked: bool, *, in_app: bool = False) -> str:
    """Why an anchor's text may be missing: the scanned pages and how to read them, as a clause
    to put after "... does not appear in the document" (empty when no page is scanned)."""
    scanned = index.scanned_pages
    if not scanned:
        return ""
    pages = page_list(list(scanned))
    one = len(scanned) == 1
    verb = "is a scanned image" if one else "are scanned images"
    them = "it" if one else "them"
    if ocr_asked and index.ocr_pages:
        return f", not even by OCR of the scanned {pages}"
    if ocr_asked or not ocr_available():
        return (
            f"; {pages} {verb} without a text layer, and reading {them} needs Tesseract OCR, "
            "which is not installed on this computer"
        )
    how = (
        f'tick "Find anchors in scanned pages (OCR)" in Anchors to read {them}'
        if in_app
        else f'set "ocrAnchors": true in the spec, or pass --ocr, to read {them} by OCR'
    )
    return f"; {pages} {verb} without a text layer ({how})"


def resolve_anchors(
    spec: RequestSpec, pdf: Path, pages: list[PageGeometry], index: TextIndex | None = None
) -> AnchorResolution:
    """The fields ``spec``'s anchors make in ``pdf`` (its text read once, by OCR too where
    the spec asks), the problems that stop the send, and each anchor's number of matches."""
    if index is None:
        index = TextIndex.build(pdf, ocr=spec.ocr_anchors)
    fields: list[Field] = []
    problems: list[Issue] = []
    counts: list[int] = []
    for i, anchor in enumerate(spec.anchor_tags):
        text = anchor.anchor_string
        matches = index.find(text) if text else []
        counts.append(len(matches))
        if not matches:
            if not anchor.ignore_if_not_present:
                problems.append(
                    Issue(
                        ("anchorTags", i),
                        f"the text {text!r} does not appear in the document"
                        f"{scanned_hint(index, spec.ocr_anchors)}; fix the anchor text, or set "
                        "ignoreIfNotPresent to send without it",
                    )
                )
            continue
        width, height = anchor.size
        for page, rect in matches:
            placed = field_at_anchor(rect.x, rect.y, width, height, pages[page - 1])
            fields.append(
                Field(
                    recipient_index=anchor.recipient_index,
                    type=anchor.type,
                    page=page,
                    x=placed.x,
                    y=placed.y,
                    width=placed.width,
                    height=placed.height,
                    required=anchor.required,
                    anchor=text,
                    anchor_rect=rect,
                    remove_anchor_text=anchor.remove_text,
                )
            )
    too_many = field_count_problem(
        len(spec.fields),
        [(a.anchor_string, n) for a, n in zip(spec.anchor_tags, counts, strict=True)],
    )
    if too_many:
        problems.append(too_many)
    return AnchorResolution(tuple(fields), tuple(problems), tuple(counts), index.text)
