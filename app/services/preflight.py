"""Everything that would stop a request from being sent, checked before the user presses Send.

:func:`preflight` runs the checks :func:`app.services.send.prepare` runs (the provider's
configuration, Craftkit's render id, the spec's limits against the open document, the provider's
own rules) plus what the editor can tell from the open document alone: anchor texts that are not
in it and Signers left without anything to sign. Nothing is sent and nothing is written.

Each problem is one sentence for a person ("Jane Doe's email: not an email address ('x')") and a
:class:`Target` the editor can jump to: the recipient, the field (by its stable id), the anchor,
the request's name and message, the document or the provider. Pure Python: the UI shows the list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from app.domain.editing import EditorDocument
from app.domain.model import (
    AnchorTag,
    Designation,
    Recipient,
    RequestSpec,
    field_count_problem,
    spec_problems,
)
from app.errors import UserError
from app.pdf.document import PdfInfo
from app.providers.base import Capabilities, Provider
from app.wording import Text, for_app

TargetKind = Literal["request", "recipient", "field", "anchor", "document", "provider"]


@dataclass(frozen=True)
class Target:
    """What a problem is about. ``index`` is the list index of a recipient or anchor, the id of a
    field (:meth:`EditorDocument.field_at_index`), and None for the whole list or the rest."""

    kind: TargetKind
    index: int | None = None


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding of the check. An ``error`` stops the send; a ``warning`` is something the
    provider cannot deliver that changes nothing about who signs what (the message, a field's
    label): the request can be sent, the user is told, and Sealbox records it."""

    message: str
    target: Target
    severity: Severity = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


#: The path at the start of a problem: ``fields[3].type: …``, ``recipients: …``, ``name: …``.
_PATH = re.compile(r"^(?P<root>[A-Za-z]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<attr>[A-Za-z]+))?: "
                   r"(?P<rest>.*)$", re.DOTALL)

_KINDS: dict[str, TargetKind] = {
    "recipients": "recipient",
    "fields": "field",
    "anchorTags": "anchor",
    "document": "document",
}

#: How the top-level paths read for people.
_ROOT_WORDS = {
    "name": "Request name",
    "message": "Message",
    "expirationHours": "Expiration",
    "recipients": "Recipients",
    "fields": "Fields",
    "anchorTags": "Anchors",
    "document": "Document",
    "version": "Version",
}

#: How the attributes of a recipient, field or anchor read for people.
_ATTR_WORDS = {
    "firstName": "first name",
    "lastName": "last name",
    "email": "email",
    "designation": "role",
    "order": "signing order",
    "recipientIndex": "recipient",
    "type": "type",
    "page": "page",
    "options": "options",
    "label": "label",
    "required": "required",
    "anchorString": "text",
    "width": "width",
    "height": "height",
}


def recipient_label(recipient: Recipient | None, index: int) -> str:
    """A recipient as people name them: "Jane Doe", or "Recipient 2" before a name is typed."""
    if recipient is not None and recipient.name:
        return recipient.name
    return f"Recipient {index + 1}"


def field_label(spec: RequestSpec, index: int) -> str:
    """``spec.fields[index]`` for people: "Field 4 (signature, page 2)"."""
    if not 0 <= index < len(spec.fields):
        return f"Field {index + 1}"
    f = spec.fields[index]
    return f"Field {index + 1} ({f.type.value.replace('_', ' ')}, page {f.page})"


def anchor_label(anchor: AnchorTag | None, index: int) -> str:
    """An anchor tag for people: "Anchor '{{sign}}'"."""
    if anchor is None or not anchor.anchor_string:
        return f"Anchor {index + 1}"
    return f"Anchor {anchor.anchor_string!r}"


def anchor_must_match(anchor: AnchorTag) -> bool:
    """Whether the request cannot be sent when the anchor's text is not in the document."""
    return anchor.required and not anchor.ignore_if_not_present


def preflight(doc: EditorDocument, pdf: PdfInfo | None, provider: Provider,
              anchor_counts: Mapping[str, int], render_id: str | None = None,
              anchor_hint: str = "") -> list[Problem]:
    """Every reason ``sealbox send`` would refuse ``doc`` for ``pdf`` through ``provider``,
    then (as warnings) what the provider would not deliver.

    ``anchor_counts`` maps an anchor text to the number of times it occurs in the document (a
    text missing from it is not checked); ``anchor_hint`` is added to the message of an anchor
    that is not found (why text may be missing: scanned pages). The order is stable: the
    document, the provider's configuration, the render id, the spec's own limits, the provider's
    rules, anchors that are not found, the number of fields anchors make, Signers with nothing
    to sign, then the warnings.
    """
    caps = provider.capabilities
    spec = doc.to_spec()
    raw: list[str] = []
    out: list[Problem] = []
    if pdf is None:
        out.append(Problem("No document is open: open the PDF you want to send for signature.",
                           Target("document")))
    try:
        configuration = provider.configuration_problem()
    except UserError as exc:  # a stored secret that cannot be used
        configuration = exc.message
    if configuration:
        out.append(Problem(_configuration_message(caps, configuration), Target("provider")))
    if caps.needs_render_id and not render_id:
        out.append(Problem(f"{caps.name} sends a render of the document, not the file: choose "
                           "the id of a succeeded render to send.", Target("provider")))

    fields_required = bool(caps.field_types)
    raw += spec_problems(spec, pdf.pages if pdf is not None else None,
                         fields_required=fields_required)
    if pdf is not None:
        raw += provider.preflight(spec, pdf)
        if caps.anchors != "none":
            for i, anchor in enumerate(spec.anchor_tags):
                if anchor_must_match(anchor) and anchor_counts.get(anchor.anchor_string) == 0:
                    raw.append(f"anchorTags[{i}]: {anchor.anchor_string!r} is not in the "
                               f"document{anchor_hint}: fix the anchor text, or untick "
                               "Required to send without it")
            too_many = field_count_problem(len(spec.fields), [
                (a.anchor_string, anchor_counts.get(a.anchor_string, 0))
                for a in spec.anchor_tags])
            if too_many:
                raw.append(too_many)
    if fields_required and (spec.fields or spec.anchor_tags):
        for i, r in enumerate(spec.recipients):
            if r.designation != Designation.SIGNER:
                continue
            if any(f.recipient_index == i for f in spec.fields) or any(
                    a.recipient_index == i for a in spec.anchor_tags):
                continue
            if any(p.startswith(f"recipients[{i}]: ") for p in raw):
                continue  # the provider said so already, in its own words
            raw.append(f"recipients[{i}]: {recipient_label(r, i)} is a Signer but has no field "
                       "to sign: add a signature field for them or make them a CC")

    seen: set[str] = set()
    for message in raw:
        if message not in seen:
            seen.add(message)
            out.append(explain(message, doc, spec))
    for message in provider.warnings(spec):
        if message not in seen:
            seen.add(message)
            out.append(replace(explain(message, doc, spec), severity="warning"))
    return out


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that stop the send."""
    return [p for p in problems if not p.is_warning]


def _configuration_message(caps: Capabilities, problem: str) -> str:
    """The provider's configuration problem in the app's words (a message that says where in
    Settings to fix it as it is; any other with a pointer to Settings)."""
    text = for_app(problem).strip()
    if not text.endswith("."):
        text += "."
    return text if isinstance(problem, Text) else f"{text} You can set up {caps.name} in Settings."


def explain(message: str, doc: EditorDocument, spec: RequestSpec | None = None) -> Problem:
    """One problem message of the spec checks (``recipients[1].email: …``) as a
    :class:`Problem`: its path rewritten for people and turned into a target."""
    spec = spec if spec is not None else doc.to_spec()
    match = _PATH.match(message)
    if match is None:
        return Problem(_recipient_mentions(message, spec), Target("request"))
    root, attr, rest = match["root"], match["attr"], match["rest"]
    position = int(match["index"]) if match["index"] is not None else None
    kind: TargetKind = _KINDS.get(root, "request")
    rest = _recipient_mentions(rest, spec)

    if position is None:
        who = _ROOT_WORDS.get(root, root)
        index = None
    elif kind == "recipient":
        recipient = spec.recipients[position] if position < len(spec.recipients) else None
        who = recipient_label(recipient, position)
        index = position
    elif kind == "field":
        who = field_label(spec, position)
        index = doc.field_at_index(position)
    elif kind == "anchor":
        anchor = spec.anchor_tags[position] if position < len(spec.anchor_tags) else None
        who = anchor_label(anchor, position)
        index = position
        # "'{{sign}}' is not in the document" already names the anchor: "Anchor '{{sign}}' is …"
        if anchor is not None and attr is None and rest.startswith(repr(anchor.anchor_string)):
            return Problem(f"Anchor {rest}", Target(kind, index))
    else:
        who = _ROOT_WORDS.get(root, root)
        index = position

    if attr is None:
        if rest.startswith(who):  # "Jane Doe is a Signer but …" names the recipient already
            return Problem(rest, Target(kind, index))
        return Problem(f"{who}: {rest}", Target(kind, index))
    word = _ATTR_WORDS.get(attr, attr)
    subject = f"{who}'s {word}" if kind == "recipient" else f"{who}, {word}"
    return Problem(f"{subject}: {rest}", Target(kind, index))


_MENTION = re.compile(r"\brecipients\[(\d+)\]|\brecipient (\d+)(?= is a CC\b)")


def _recipient_mentions(text: str, spec: RequestSpec) -> str:
    """Recipients named inside a sentence ("already used by recipients[0]", "recipient 0 is a
    CC") by their names."""

    def name(match: re.Match[str]) -> str:
        position = int(match[1] if match[1] is not None else match[2])
        recipient = spec.recipients[position] if position < len(spec.recipients) else None
        return recipient_label(recipient, position)

    return _MENTION.sub(name, text)
