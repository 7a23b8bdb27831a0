"""Signature.nc's JSON and Sealbox's request: the signers out, submissions back in, its plain-text
errors and its 403. See the package's docstring for the assumptions (each kept in one constant or
function here).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

import httpx

from app.domain.geometry import Origin, to_points
from app.domain.lifecycle import Status
from app.domain.model import EMAIL_RE, Designation, Field, FieldType, RequestSpec
from app.domain.report import RecipientReport, Report
from app.errors import CapabilityError, SealboxError, ValidationError
from app.pdf.document import PdfInfo
from app.providers.errors import ConflictError, OutOfCreditsError
from app.providers.http_errors import ErrorBody, Refusal, default_error_body
from app.providers.signature_nc.info import NAME
from app.providers.wire import Answer, match_recipients

ANSWER = Answer(NAME, f"try again later, or check the request on {NAME}")

#: Documented: ``POST /signatures`` (relative to the base URL).
CREATE_PATH = "signatures"
#: Assumed (not documented): the submission as the create response shows it.
STATUS_PATH = "signatures/{uuid}"
#: Assumed: the connection check reads the status of a submission that cannot exist.
CHECK_PATH = STATUS_PATH.format(uuid="00000000-0000-0000-0000-000000000000")
#: Documented: "page is 0-indexed".
PAGE_BASE = 0
#: Assumed: "PDF user-space points" measured from the bottom-left of the displayed page.
ORIGIN: Origin = "bottom-left"
#: Documented: the only field type is ``signature``.
WIRE_FIELD_TYPE = {FieldType.SIGNATURE: "signature"}
#: Assumed: the name of a field without a label (``n`` counts the spec's fields from 1).
FIELD_NAME = "Signature {n}"
#: Assumed: Signature.nc emails the invitation unless the ``send_email`` setting says no.
SEND_EMAIL_DEFAULT = True
BOOLEAN_SETTING = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}

#: Per-signer status -> Sealbox status: the one table of Signature.nc's vocabulary.
SIGNER_STATUS: dict[str, Status] = {
    "initiated": Status.SENT,  # created, signing record not yet provisioned
    "sent": Status.SENT,  # link active, not yet opened
    "opened": Status.VIEWED,  # opened, not yet signed
    "completed": Status.COMPLETED,  # signed
}


def overall_status(states: list[Status]) -> Status:
    """The request's status from its signers' (the document gives no top-level status)."""
    if states and all(s == Status.COMPLETED for s in states):
        return Status.COMPLETED
    if any(s in (Status.VIEWED, Status.COMPLETED) for s in states):
        return Status.VIEWED
    return Status.SENT


def upload_name(document_name: str) -> str:
    """The file name the document is uploaded under, and every field's ``document``."""
    base = re.split(r"[\\/]", document_name)[-1]  # drops folders written with / or \
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    safe = re.sub(r"[^A-Za-z0-9._() -]+", "_", ascii_name)
    safe = re.sub(r"\s+", " ", safe).strip(" ._")
    if safe.lower().endswith(".pdf"):
        safe = safe[:-4].rstrip(" ._")
    return f"{(safe or 'document')[:200]}.pdf"


def signer_order(spec: RequestSpec) -> list[int]:
    """Spec indexes of the recipients in the order they are sent as ``signers``."""
    return sorted(range(len(spec.recipients)), key=lambda i: (spec.recipients[i].order, i))


def _wire_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def build_signers(
    spec: RequestSpec, pdf: PdfInfo, file_name: str, send_email: bool
) -> list[dict[str, Any]]:
    """The ``signers`` array, fields converted from canonical coordinates to Signature.nc's."""
    return [_signer(spec, index, pdf, file_name, send_email) for index in signer_order(spec)]


def _signer(
    spec: RequestSpec, index: int, pdf: PdfInfo, file_name: str, send_email: bool
) -> dict[str, Any]:
    """One signer: the recipient's name and email, and its fields (at least one)."""
    recipient = spec.recipients[index]
    if recipient.designation != Designation.SIGNER:
        raise CapabilityError(
            f"{NAME} has only signers: recipient {index} "
            f"({recipient.name or recipient.email}) is a {recipient.designation.value}; "
            "make them a Signer or choose another provider."
        )
    signer: dict[str, Any] = {
        "firstname": recipient.first_name,
        "lastname": recipient.last_name,
    }
    # The sendEmail rule: with sendEmail every signer needs a valid email; without it the
    # email is optional but, when given, must still be valid.
    if recipient.email:
        if not EMAIL_RE.match(recipient.email):
            raise ValidationError(
                [f"recipients[{index}].email: {recipient.email!r} is not an email address"]
            )
        signer["email"] = recipient.email
    elif send_email:
        raise ValidationError(
            [
                f"recipients[{index}].email: {NAME} emails the "
                "invitation, so every signer needs an email address"
            ]
        )
    fields = [
        _wire_field(number, field, pdf, file_name) for number, field in spec.fields_for(index)
    ]
    if not fields:
        raise ValidationError(
            [
                f"recipients[{index}]: {NAME} needs at least one "
                f"signature field for {recipient.name or recipient.email}"
            ]
        )
    signer["fields"] = fields
    return signer


def _wire_field(number: int, field: Field, pdf: PdfInfo, file_name: str) -> dict[str, Any]:
    """One field as Signature.nc takes it (``number`` counts the spec's fields from 0)."""
    wire_type = WIRE_FIELD_TYPE.get(field.type)
    if wire_type is None:
        raise CapabilityError(
            f"{NAME} cannot take {field.type.value} fields "
            f"(fields[{number}]): use signature fields only."
        )
    if not 1 <= field.page <= len(pdf.pages):
        raise ValidationError(
            [f"fields[{number}].page: the document has {len(pdf.pages)} pages (it is {field.page})"]
        )
    area = to_points(field.rect, pdf.pages[field.page - 1], PAGE_BASE, ORIGIN)
    return {
        "type": wire_type,
        "name": field.label or FIELD_NAME.format(n=number + 1),
        "document": file_name,
        "area": {
            "x": _wire_number(area.x),
            "y": _wire_number(area.y),
            "w": _wire_number(area.width),
            "h": _wire_number(area.height),
            "page": area.page,
        },
    }


# --- reading answers (untrusted) ---------------------------------------------------------------


def submission(data: Any) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    """A submission (the create or status answer): the object, its uuid and its signers."""
    what = "a submission"
    obj = ANSWER.object(data, what)
    uuid = ANSWER.text(obj, "uuid", what)
    submitters = ANSWER.objects(obj, "submitters", what)
    if not submitters:
        raise ANSWER.bad("a submission without signers")
    return obj, uuid, submitters


def parse_submission(data: Any, spec: RequestSpec, *, observed: datetime) -> Report:
    """A submission (the create or status answer) as a Report; BadResponseError if malformed.

    ``observed`` is when the answer arrived: the time given to signers seen as ``opened``.
    Signers are matched to the spec by :func:`~app.providers.wire.match_recipients`, their
    positions read in the order they were sent (:func:`signer_order`).
    """
    obj, uuid, submitters = submission(data)
    order = signer_order(spec)
    if len(submitters) != len(order):
        raise ANSWER.bad(f"{len(submitters)} signers for the {len(order)} Sealbox sent")
    what = "a signer"
    indexes = match_recipients([ANSWER.optional(s, "email", what) for s in submitters], spec, order)
    states: list[Status] = []
    signed: list[datetime] = []
    recipients: list[RecipientReport] = []
    for submitter, index in zip(submitters, indexes, strict=True):
        state = ANSWER.one_of(
            SIGNER_STATUS, ANSWER.text(submitter, "status", what), "signer status"
        )
        completed_at = ANSWER.time(submitter, "completedAt", what)
        if state == Status.COMPLETED and completed_at is None:
            raise ANSWER.bad("a completed signer without completedAt")
        states.append(state)
        if state == Status.COMPLETED and completed_at is not None:
            signed.append(completed_at)
        if index is None:  # as many signers as were sent: every one is matched
            continue
        recipients.append(
            RecipientReport(
                index=index,
                provider_recipient_id=ANSWER.optional(submitter, "uuid", what),
                viewed_at=observed if state == Status.VIEWED else None,
                signed_at=completed_at if state == Status.COMPLETED else None,
                signing_url=ANSWER.optional(submitter, "signatureLink", what),
            )
        )
    status = overall_status(states)
    return Report(
        status=status,
        provider_id=uuid,
        recipients=tuple(sorted(recipients, key=lambda r: r.index)),
        completed_at=max(signed) if status == Status.COMPLETED else None,
        payload=obj,
    )


def signed_document_url(data: Any, file_name: str) -> str:
    """The link to the signed PDF in a submission: from the signer who completed last, the
    entry named ``file_name`` or else the first. ConflictError when there is none yet."""
    _, _, submitters = submission(data)
    done: list[tuple[datetime, int, dict[str, Any]]] = []
    for position, submitter in enumerate(submitters):
        if submitter.get("status") == "completed":
            at = ANSWER.time(submitter, "completedAt", "a signer")
            if at is not None:
                done.append((at, position, submitter))
    if not done:
        raise ConflictError(
            f"{NAME} has no signed document yet: it is ready once every signer has signed."
        )
    _, _, last = max(done, key=lambda item: (item[0], item[1]))
    raw = last.get("signedDocuments")
    if raw is None or raw == []:
        raise ConflictError(
            f"{NAME} has not prepared the signed document yet: Sealbox "
            "will download it on a later sync."
        )
    entries = raw if isinstance(raw, list) else [raw]
    links: list[tuple[str | None, str]] = []
    for entry in entries:
        if isinstance(entry, str):
            links.append((None, entry))
        elif isinstance(entry, dict):
            url = ANSWER.optional(entry, "url", "a signed document")
            if not url:
                raise ANSWER.bad("a signed document without a url")
            links.append((ANSWER.optional(entry, "name", "a signed document"), url))
        else:
            raise ANSWER.bad("a signed document that is neither a link nor an object")
    _, url = next((link for link in links if link[0] == file_name), links[0])
    if not url.strip():
        raise ANSWER.bad("an empty signed document link")
    return url.strip()


# --- errors ------------------------------------------------------------------------------------


def signature_nc_error_body(response: httpx.Response) -> ErrorBody:
    """Signature.nc's errors are plain text, kept word for word (JSON ones read as usual)."""
    if "json" in response.headers.get("content-type", "").lower():
        return default_error_body(response)
    text = response.text.strip()[:1000]
    # The words also go in ``issues``, which the typed error keeps as they are.
    return ErrorBody(message=text or None, issues=(text,) if text else ())


def status_hook(refusal: Refusal) -> SealboxError | None:
    """Signature.nc's own meaning of a status: 403 is its plan's quota, not the credentials."""
    if refusal.status != 403:
        return None
    issues = refusal.body.issues
    said = issues[0] if issues else "the API limit for this plan is reached"
    return OutOfCreditsError(
        f"{NAME} refused the request: {said}. Upgrade the Signature.nc plan or wait until "
        "its quota renews, then send again.",
        status=403,
        code=refusal.body.code,
    )
