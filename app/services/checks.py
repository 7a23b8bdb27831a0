"""Everything that would stop a request from being sent: one list of checks for ``sealbox send``
(:func:`app.services.send.prepare`) and for the editor's Check panel (:func:`preflight`).

:data:`CHECKS` runs in order: the document, the provider's set-up (its configuration, Craftkit's
render id), the spec's own limits, the provider's rules, the anchors (their texts in the
document, the fields they make), Signers with nothing to sign, then what the provider will not
deliver (warnings). Each finding is an :class:`~app.domain.problems.Issue`, a path into the spec
and a text, so nothing parses a message back:

- ``sealbox send`` stops at a set-up problem before the document is read, refuses the request
  with the other errors as the command line words them (``fields[3].type: …``), and records the
  warnings in the request's history;
- the Check panel shows each as a :class:`Problem`: the path rewritten for people ("Field 4
  (signature, page 2), type: …") and a :class:`Target` the editor jumps to.

Where the two front ends have always judged differently (a missing anchor; a Signer with no
field), the check says so and asks the :class:`Subject`'s ``purpose``. Pure Python: the UI shows
the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from app.domain.editing import EditorDocument
from app.domain.model import AnchorTag, Designation, RequestSpec
from app.domain.problems import Issue, Path, as_issue, recipient_label
from app.domain.validation import field_count_problem, spec_problems
from app.errors import UserError
from app.pdf.document import PdfInfo
from app.providers.base import Capabilities, Provider
from app.wording import ANYWHERE, Alt, Text, for_app

__all__ = [
    "CHECKS",
    "AnchorMatches",
    "Finding",
    "Problem",
    "Subject",
    "Target",
    "anchor_label",
    "anchor_must_match",
    "errors",
    "explain",
    "field_label",
    "preflight",
    "recipient_label",
    "refusals",
    "run_checks",
    "setup_refusal",
]

TargetKind = Literal["request", "recipient", "field", "anchor", "document", "provider"]
Severity = Literal["error", "warning"]
#: Who runs the checks: ``sealbox send`` (and the app's Send) or the Check panel.
Purpose = Literal["send", "check"]


@dataclass(frozen=True)
class Target:
    """What a problem is about. ``index`` is the list index of a recipient or anchor, the id of a
    field (:meth:`EditorDocument.field_at_index`), and None for the whole list or the rest."""

    kind: TargetKind
    index: int | None = None


@dataclass(frozen=True)
class Problem:
    """One finding of the check, for the Check panel: its ``path`` in the spec (``("fields", 3,
    "type")``, empty for the request as a whole or the provider), the sentence for people, and
    what the editor jumps to. An ``error`` stops the send; a ``warning`` is something the
    provider cannot deliver that changes nothing about who signs what (the message, a field's
    label): the request can be sent, the user is told, and Sealbox records it."""

    path: Path
    message: str
    target: Target
    severity: Severity = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


@dataclass(frozen=True)
class AnchorMatches:
    """What the caller found of the anchors in the document: how many times each anchor text is
    there (a text missing from ``counts`` is not known, and not checked), ``hint`` why a text
    may be missing (the scanned pages, in the front end's words), and ``resolved`` what resolving
    them on this machine refused (``sealbox send``: :func:`app.providers.anchors.resolve_anchors`
    judges the anchors it places)."""

    counts: Mapping[str, int]
    hint: str = ""
    resolved: Sequence[str] | None = None


@dataclass(frozen=True)
class Subject:
    """What is checked: the spec as it stands, the document it goes with (None: none open), the
    provider it goes through, Craftkit's render id, and what was found of its anchors."""

    spec: RequestSpec
    provider: Provider
    pdf: PdfInfo | None
    render_id: str | None = None
    anchors: AnchorMatches | None = None
    purpose: Purpose = "check"


@dataclass(frozen=True)
class Finding:
    """One check's finding. ``setup``: about the provider's set-up, not the request (sending
    stops at the first, before the document is read). ``app_text`` and ``target``: the Check
    panel's own sentence and target, where they are not read from the issue's path."""

    issue: Issue
    severity: Severity = "error"
    setup: bool = False
    app_text: str | None = None
    target: Target | None = None


Check = Callable[[Subject, Sequence[Finding]], Iterable[Finding]]


def _document(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    if s.pdf is None:  # the Check panel before a PDF is open; a send always has one
        yield Finding(
            Issue(("document",), "no document is open"),
            app_text=("No document is open: open the PDF you want to send for signature."),
            target=Target("document"),
        )


def _configuration(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    try:
        problem = s.provider.configuration_problem()
    except UserError as exc:  # a stored secret that cannot be used
        if s.purpose == "send":
            raise
        problem = exc.message
    if problem:
        yield Finding(
            Issue((), problem),
            setup=True,
            target=Target("provider"),
            app_text=_configuration_message(s.provider.capabilities, problem),
        )


def _render_id(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    caps = s.provider.capabilities
    if caps.needs_render_id and not s.render_id:
        refusal = Text(
            f"{caps.name} sends a render, not a file: ",
            Alt(
                "pass --render-id with the id of a succeeded render",
                f"send documents that {caps.name} rendered from the command line, or choose "
                "another service for this one",
            ),
            ".",
        )
        yield Finding(
            Issue((), refusal),
            setup=True,
            target=Target("provider"),
            app_text=(
                f"{caps.name} sends a render of the document, not the file: choose the id of a "
                "succeeded render to send."
            ),
        )


def _spec_rules(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    pages = s.pdf.pages if s.pdf is not None else None
    fields_required = bool(s.provider.capabilities.field_types)
    for issue in spec_problems(s.spec, pages, fields_required=fields_required):
        yield Finding(issue)


def _provider_rules(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    if s.pdf is not None:
        for problem in s.provider.preflight(s.spec, s.pdf):
            yield Finding(as_issue(problem))


def anchor_must_match(anchor: AnchorTag) -> bool:
    """Whether the Check panel refuses the request when the anchor's text is not in the
    document."""
    return anchor.required and not anchor.ignore_if_not_present


def _anchors(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    """Anchor texts not in the document, and more fields than the limit from the anchors.

    ``sealbox send`` refuses what resolving the anchors on this machine refused (any anchor not
    found unless ``ignoreIfNotPresent``); for a provider that places anchors itself it counts
    the fields only. The Check panel flags a missing anchor that is required and not
    ``ignoreIfNotPresent``, for either kind of provider."""
    matches, anchors = s.anchors, s.spec.anchor_tags
    if matches is None or not anchors or s.provider.capabilities.anchors == "none":
        return
    if matches.resolved is not None:
        yield from (Finding(as_issue(p)) for p in matches.resolved)
        return
    if s.purpose == "check":
        for i, anchor in enumerate(anchors):
            if anchor_must_match(anchor) and matches.counts.get(anchor.anchor_string) == 0:
                yield Finding(
                    Issue(
                        ("anchorTags", i),
                        f"{anchor.anchor_string!r} is not in the "
                        f"document{matches.hint}: fix the anchor text, or untick "
                        "Required to send without it",
                    )
                )
    too_many = field_count_problem(
        len(s.spec.fields),
        [(a.anchor_string, matches.counts.get(a.anchor_string, 0)) for a in anchors],
    )
    if too_many:
        yield Finding(too_many)


def _signers_have_fields(s: Subject, found: Sequence[Finding]) -> Iterator[Finding]:
    """A Signer with nothing to sign: asked by the Check panel only (``sealbox send`` has never
    refused it; the providers that cannot send it say so in their own rules)."""
    spec = s.spec
    if (
        s.purpose != "check"
        or not s.provider.capabilities.field_types
        or not (spec.fields or spec.anchor_tags)
    ):
        return
    for i, r in enumerate(spec.recipients):
        if r.designation != Designation.SIGNER:
            continue
        if any(f.recipient_index == i for f in spec.fields) or any(
            a.recipient_index == i for a in spec.anchor_tags
        ):
            continue
        if any(f.issue.path == ("recipients", i) for f in found):
            continue  # the provider said so already, in its own words
        yield Finding(
            Issue(
                ("recipients", i),
                f"{recipient_label(r, i)} is a Signer but has "
                "no field to sign: add a signature field for them or make them a CC",
            )
        )


def _warnings(s: Subject, _found: Sequence[Finding]) -> Iterator[Finding]:
    for warning in s.provider.warnings(s.spec):
        yield Finding(as_issue(warning), severity="warning")


#: The checks, in the order their findings are listed.
CHECKS: tuple[Check, ...] = (
    _document,
    _configuration,
    _render_id,
    _spec_rules,
    _provider_rules,
    _anchors,
    _signers_have_fields,
    _warnings,
)
_SETUP: tuple[Check, ...] = (_configuration, _render_id)


def run_checks(subject: Subject, checks: Sequence[Check] = CHECKS) -> list[Finding]:
    """Every finding of ``checks`` on ``subject``, in order, each said once."""
    found: list[Finding] = []
    seen: set[str] = set()
    for check in checks:
        for finding in check(subject, found):
            if finding.issue not in seen:
                seen.add(finding.issue)
                found.append(finding)
    return found


def setup_refusal(provider: Provider, render_id: str | None) -> None:
    """Raise ``UserError`` when ``provider`` cannot send at all as it is set up (``sealbox send``
    checks this before it reads the document)."""
    subject = Subject(RequestSpec("", ()), provider, None, render_id, purpose="send")
    for finding in run_checks(subject, _SETUP):
        raise UserError(finding.issue.text)


def refusals(subject: Subject) -> tuple[list[Issue], list[Issue]]:
    """The errors that stop ``subject`` from being sent (its set-up checked already:
    :func:`setup_refusal`), and the warnings to record with it, as the command line says them."""
    found = run_checks(subject, [c for c in CHECKS if c not in _SETUP])
    return (
        [f.issue for f in found if f.severity == "error"],
        [f.issue for f in found if f.severity == "warning"],
    )


def preflight(
    doc: EditorDocument,
    pdf: PdfInfo | None,
    provider: Provider,
    anchor_counts: Mapping[str, int],
    render_id: str | None = None,
    anchor_hint: str = "",
) -> list[Problem]:
    """The Check panel: every reason ``sealbox send`` would refuse ``doc`` for ``pdf`` through
    ``provider``, then (as warnings) what the provider would not deliver.

    ``anchor_counts`` maps an anchor text to the number of times it occurs in the document (a
    text missing from it is not checked); ``anchor_hint`` is added to the message of an anchor
    that is not found (why text may be missing: scanned pages). The order is that of
    :data:`CHECKS`, the warnings last."""
    spec = doc.to_spec()
    subject = Subject(
        spec,
        provider,
        pdf,
        render_id,
        AnchorMatches(anchor_counts, anchor_hint) if pdf is not None else None,
    )
    found = run_checks(subject)
    ordered = [f for f in found if f.severity == "error"] + [
        f for f in found if f.severity == "warning"
    ]
    return [_problem(f, doc, spec) for f in ordered]


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that stop the send."""
    return [p for p in problems if not p.is_warning]


def _problem(finding: Finding, doc: EditorDocument, spec: RequestSpec) -> Problem:
    if finding.app_text is not None:
        return Problem(
            finding.issue.path,
            finding.app_text,
            finding.target or Target("request"),
            finding.severity,
        )
    return replace(explain(finding.issue, doc, spec), severity=finding.severity)


def _configuration_message(caps: Capabilities, problem: str) -> str:
    """The provider's configuration problem in the app's words (a message that says where in
    Settings to fix it as it is; any other with a pointer to Settings)."""
    text = for_app(problem).strip()
    if not text.endswith("."):
        text += "."
    return text if isinstance(problem, Text) else f"{text} You can set up {caps.name} in Settings."


# --- the Check panel's words ---------------------------------------------------------------------

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


def _app_words(text: str) -> str:
    """A problem's text as the app says it: recipients named by name (a :class:`Text`'s parts
    in the app's words, without capitalising it as a sentence)."""
    if not isinstance(text, Text):
        return text
    return "".join(p if isinstance(p, str) else p.gui(ANYWHERE) for p in text.parts)


def explain(problem: str, doc: EditorDocument, spec: RequestSpec | None = None) -> Problem:
    """A problem of the checks (an :class:`Issue`; a plain string is one of the whole request)
    as the Check panel shows it: its path rewritten for people and turned into a target."""
    spec = spec if spec is not None else doc.to_spec()
    issue = as_issue(problem)
    rest = _app_words(issue.text)
    if not issue.path:
        return Problem(issue.path, rest, Target("request"))
    root = str(issue.path[0])
    position = issue.path[1] if len(issue.path) > 1 and isinstance(issue.path[1], int) else None
    attrs = [p for p in issue.path[1:] if isinstance(p, str)]
    attr = attrs[0] if attrs else None
    kind: TargetKind = _KINDS.get(root, "request")

    def made(message: str, index: int | None) -> Problem:
        return Problem(issue.path, message, Target(kind, index))

    if position is None:
        who, index = _ROOT_WORDS.get(root, root), None
    elif kind == "recipient":
        recipient = spec.recipients[position] if position < len(spec.recipients) else None
        who, index = recipient_label(recipient, position), position
    elif kind == "field":
        who, index = field_label(spec, position), doc.field_at_index(position)
    elif kind == "anchor":
        anchor = spec.anchor_tags[position] if position < len(spec.anchor_tags) else None
        who, index = anchor_label(anchor, position), position
        # "'{{sign}}' is not in the document" already names the anchor: "Anchor '{{sign}}' is …"
        if anchor is not None and attr is None and rest.startswith(repr(anchor.anchor_string)):
            return made(f"Anchor {rest}", index)
    else:
        who, index = _ROOT_WORDS.get(root, root), position
    if attr is None:
        if rest.startswith(who):  # "Jane Doe is a Signer but …" names the recipient already
            return made(rest, index)
        return made(f"{who}: {rest}", index)
    word = _ATTR_WORDS.get(attr, attr)
    subject = f"{who}'s {word}" if kind == "recipient" else f"{who}, {word}"
    return made(f"{subject}: {rest}", index)
