"""Anchor tags resolved on this machine, for providers that take only explicit fields.

Every occurrence of an anchor's text becomes a field of the anchor's type and size whose top-left
corner sits on the top-left corner of the matched text, kept inside the page. An anchor with no
match stops the send with a message naming it, unless it says ``ignoreIfNotPresent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.domain.geometry import PageGeometry, field_at_anchor
from app.domain.model import Field, RequestSpec
from app.pdf.document import find_text


@dataclass(frozen=True)
class AnchorResolution:
    fields: tuple[Field, ...]
    problems: tuple[str, ...]
    counts: tuple[int, ...]


def resolve_anchors(spec: RequestSpec, pdf: Path, pages: list[PageGeometry]) -> AnchorResolution:
    fields: list[Field] = []
    problems: list[str] = []
    counts: list[int] = []
    matches_by_text: dict[str, list[tuple[int, float, float]]] = {}
    for i, anchor in enumerate(spec.anchor_tags):
        text = anchor.anchor_string
        if text not in matches_by_text:
            matches_by_text[text] = [(page, r.x, r.y) for page, r in find_text(pdf, text)]
        matches = matches_by_text[text]
        counts.append(len(matches))
        if not matches:
            if not anchor.ignore_if_not_present:
                problems.append(
                    f"anchorTags[{i}]: the text {text!r} does not appear in the document; fix "
                    "the anchor text, or set ignoreIfNotPresent to send without it")
            continue
        width, height = anchor.size
        for page, x, y in matches:
            rect = field_at_anchor(x, y, width, height, pages[page - 1])
            fields.append(Field(
                recipient_index=anchor.recipient_index, type=anchor.type, page=page,
                x=rect.x, y=rect.y, width=rect.width, height=rect.height,
                required=anchor.required, anchor=text,
            ))
    return AnchorResolution(tuple(fields), tuple(problems), tuple(counts))
