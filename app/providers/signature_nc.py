"""Signature.nc V3: multipart upload, fields in PDF points on 0-based pages.

The provider's document (``shared/seeds/001_bcb74f30f4e07f20.txt``) describes one endpoint,
``POST /signatures``: a ``multipart/form-data`` body with one ``file`` part per PDF, ``name``,
``signers`` (a JSON *string*), ``skipIntro`` and ``sendEmail``; each signer is
``{firstname, lastname, email?, fields: [{type, name, document, area: {x, y, w, h, page}}]}``
with ``document`` equal to the uploaded file's name and ``page`` counted from 0. It answers with
the submission (``uuid``) and its ``submitters``, each with a ``signatureLink``, a ``status``
(``initiated``, ``sent``, ``opened``, ``completed``), ``completedAt`` and ``signedDocuments``.
Validation failures are ``400`` with a plain-text message, shown to the user word for word;
``401`` is a bad token and ``403`` an exhausted plan quota.

Anchor tags are resolved on this machine before ``create`` (``anchors="local"``): the fields
arrive already placed. There is no idempotency key, so a create whose connection is lost after
the upload raises :class:`~app.providers.errors.AmbiguousSendError` and is never retried here,
and there is no lookup by external reference, so ``reconcile`` cannot tell either. For the same
reason an upload that was accepted (2xx) but answered with something unreadable is ambiguous too.

Assumptions where the document is silent (each kept in one constant or function below):

- Coordinates (``ORIGIN``, ``PAGE_BASE``): ``area`` is in points on the page as it is displayed
  (the CropBox, after /Rotate), measured from the page's **bottom-left** corner, the PDF's own
  convention for "PDF user-space points"; ``y`` is the distance of the field's bottom edge from
  the bottom of the page. Pages from 0, as documented. Flip ``ORIGIN`` to ``"top-left"`` if the
  service turns out to measure from the top.
- Status (``STATUS_PATH``): ``GET /signatures/{uuid}`` answers with the same submission object as
  the create response. Only create is documented; this is the conventional REST reading of the
  documented ``POST /signatures``.
- Top-level status (``overall_status``): derived from the per-signer statuses, which are the only
  ones given: ``completed`` when every signer is ``completed``; ``viewed`` when any signer has
  opened or signed; otherwise ``sent``. Signature.nc has no declined, expired, cancelled or failed
  state, so Sealbox never reports one for it; a signer status outside the four documented ones is
  an unreadable answer (``BadResponseError`` naming it), not a guess.
- Per-signer times: ``signedAt`` is the signer's ``completedAt``; the service gives no time for
  ``opened``, so ``viewedAt`` is when Sealbox first saw the signer as opened.
- Signed PDF (``signed_document_url``): ``signedDocuments`` (``null`` in the only example) is a
  list of links (a URL string, or an object with ``url`` and optionally ``name``); the signed PDF
  is taken from the signer who completed last, preferring the entry named like the uploaded file.
  Relative links are read against the base URL. The API key is sent only to the API's own origin;
  a link to another host (a storage bucket) is fetched without credentials, and its 401/403 means
  the link has run out (``ConflictError``: tried again on the next sync), not bad credentials.
  Until every signer has completed, a download is ``ConflictError`` (not ready yet).
- The upload's file name (``upload_name``): the request's document name reduced to plain ASCII
  letters, digits, spaces and ``._()-`` and ending in ``.pdf``, so that ``document`` matches the
  name the service reads from the multipart header exactly.
- Field names (``FIELD_NAME``): the field's label, else ``Signature <n>`` with ``n`` the field's
  position in the spec from 1.
- ``sendEmail`` is ``true`` (Signature.nc emails each signer the invitation); the
  ``send_email`` setting (``SEALBOX_SIGNATURE_NC_SEND_EMAIL=false``) turns it off, and the user
  then hands each signer the ``signatureLink`` Sealbox keeps as the recipient's signing URL.
  Emails are still sent in the signer objects (Sealbox's spec requires them); the document's
  email rule is applied either way. ``skipIntro`` is not sent (its default, false).
- Signers are listed in the spec's signing order (``order``); the document does not say whether
  the service enforces an order. Approvers and CC recipients do not exist at Signature.nc and are
  refused before sending, as are optional fields (no ``required`` flag: every field must be
  signed), a message (none is sent) and signers without a last name (the service requires one).
  ``expirationHours`` is not sent: the service has no expiry.
- ``signatureLink`` is stored as is; ``skipIntro`` is never set, so nothing is appended to it.
- Size limit: none is documented; Sealbox's own 20 MiB applies.
- ``403`` ("You've reached the API limit for this plan") is an exhausted quota, reported as
  :class:`~app.providers.errors.OutOfCreditsError`, not as a credentials problem.
- Cancel, completion certificate, listing and webhooks are not documented: not offered.
- Connection check (``CHECK_PATH``): only create is documented and a create is never sent to
  test, so the check reads the status path (above) for the nil UUID, which no submission has:
  ``GET /signatures/00000000-0000-0000-0000-000000000000``. It changes nothing; ``404`` (or a
  ``200``) means the key was accepted, ``401`` that it was rejected, ``403`` the plan's quota.
  A base URL that points at some other service answering 404 to everything cannot be told
  apart from the right one this way.
- A PDF that is already signed is refused: the service puts the signatures on the pages of
  its own copy (``signedDocuments``) and nothing says it keeps earlier ones, so it is taken to
  rewrite the file (``signed_pdfs``).
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from app.domain.clock import now, parse_iso
from app.domain.geometry import Origin, to_points
from app.domain.lifecycle import Status
from app.domain.model import EMAIL_RE, Designation, FieldType, Request, RequestSpec
from app.domain.problems import Issue
from app.domain.report import RecipientReport, Report
from app.errors import CapabilityError, UserError, ValidationError
from app.pdf.document import MAX_PDF_BYTES, PdfInfo, check_pdf
from app.providers.base import (
    CHECK_ATTEMPTS,
    Capabilities,
    ProviderConfig,
    base_url_setting,
    capability_problems,
    credentials_rejected,
    delivery_warnings,
)
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    OutOfCreditsError,
    RemoteNotFoundError,
)
from app.providers.http import (
    UPLOAD_TIMEOUT,
    ErrorBody,
    ProviderHttp,
    RetryPolicy,
    default_error_body,
    require_keys,
)
from app.wording import Alt, Text

PROVIDER_ID = "signature_nc"
PROVIDER_NAME = "Signature.nc"
DEFAULT_BASE_URL = "https://api.signature.nc/api/v3"

CAPABILITIES = Capabilities(
    id=PROVIDER_ID,
    name=PROVIDER_NAME,
    field_types=frozenset({FieldType.SIGNATURE}),
    anchors="local",
    cancel=False,
    certificate=False,
    list=False,
    webhooks=False,
    idempotency=False,
    max_bytes=MAX_PDF_BYTES,
    message=False,
)

# --- the wire contract, and the choices where the document is silent -------------------------

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
_BOOLEAN_SETTING = {
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
    signers: list[dict[str, Any]] = []
    for index in signer_order(spec):
        recipient = spec.recipients[index]
        if recipient.designation != Designation.SIGNER:
            raise CapabilityError(
                f"{PROVIDER_NAME} has only signers: recipient {index} "
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
                    f"recipients[{index}].email: {PROVIDER_NAME} emails the "
                    "invitation, so every signer needs an email address"
                ]
            )
        fields: list[dict[str, Any]] = []
        for number, field in spec.fields_for(index):
            wire_type = WIRE_FIELD_TYPE.get(field.type)
            if wire_type is None:
                raise CapabilityError(
                    f"{PROVIDER_NAME} cannot take {field.type.value} fields "
                    f"(fields[{number}]): use signature fields only."
                )
            if not 1 <= field.page <= len(pdf.pages):
                raise ValidationError(
                    [
                        f"fields[{number}].page: the document has "
                        f"{len(pdf.pages)} pages (it is {field.page})"
                    ]
                )
            area = to_points(field.rect, pdf.pages[field.page - 1], PAGE_BASE, ORIGIN)
            fields.append(
                {
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
            )
        if not fields:
            raise ValidationError(
                [
                    f"recipients[{index}]: {PROVIDER_NAME} needs at least one "
                    f"signature field for {recipient.name or recipient.email}"
                ]
            )
        signer["fields"] = fields
        signers.append(signer)
    return signers


# --- reading answers (untrusted) ---------------------------------------------------------------


def _bad(what: str) -> BadResponseError:
    return BadResponseError(
        f"{PROVIDER_NAME} answered with {what}: try again later, or check "
        "the request on Signature.nc."
    )


def _optional_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"a {key} that is not text")
    return value


def _time(obj: Mapping[str, Any], key: str) -> datetime | None:
    text = _optional_str(obj, key)
    try:
        return parse_iso(text)
    except (ValueError, OverflowError) as exc:
        raise _bad(f"a {key} that is not a time ({text!r})") from exc


def _submission(data: Any) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    obj = require_keys(PROVIDER_NAME, data, "uuid", "submitters")
    uuid = obj["uuid"]
    if not isinstance(uuid, str) or not uuid.strip():
        raise _bad("a submission without a uuid")
    submitters = obj["submitters"]
    if not isinstance(submitters, list) or not submitters:
        raise _bad("a submission without signers")
    if not all(isinstance(s, dict) for s in submitters):
        raise _bad("a signer that is not an object")
    return obj, uuid, submitters


def _match_signers(submitters: list[dict[str, Any]], spec: RequestSpec) -> list[int]:
    """The spec index of each submitter: by email first, then by position in the sent order."""
    order = signer_order(spec)
    if len(submitters) != len(order):
        raise _bad(f"{len(submitters)} signers for the {len(order)} Sealbox sent")
    used: set[int] = set()
    indexes: list[int] = []
    for position, submitter in enumerate(submitters):
        email = (_optional_str(submitter, "email") or "").strip().lower()
        index = next(
            (
                i
                for i in order
                if i not in used and email and spec.recipients[i].email.strip().lower() == email
            ),
            None,
        )
        if index is None:
            index = (
                order[position]
                if order[position] not in used
                else next(i for i in order if i not in used)
            )
        used.add(index)
        indexes.append(index)
    return indexes


def parse_submission(data: Any, spec: RequestSpec, *, observed: datetime) -> Report:
    """A submission (the create or status answer) as a Report; BadResponseError if malformed.

    ``observed`` is when the answer arrived: the time given to signers seen as ``opened``.
    """
    obj, uuid, submitters = _submission(data)
    indexes = _match_signers(submitters, spec)
    states: list[Status] = []
    signed: list[datetime] = []
    recipients: list[RecipientReport] = []
    for submitter, index in zip(submitters, indexes, strict=True):
        raw = submitter.get("status")
        if not isinstance(raw, str):
            raise _bad("a signer without a status")
        state = SIGNER_STATUS.get(raw)
        if state is None:
            raise _bad(f"a signer status Sealbox does not know ({raw[:40]!r})")
        completed_at = _time(submitter, "completedAt")
        if state == Status.COMPLETED and completed_at is None:
            raise _bad("a completed signer without completedAt")
        states.append(state)
        if state == Status.COMPLETED and completed_at is not None:
            signed.append(completed_at)
        recipients.append(
            RecipientReport(
                index=index,
                provider_recipient_id=_optional_str(submitter, "uuid"),
                viewed_at=observed if state == Status.VIEWED else None,
                signed_at=completed_at if state == Status.COMPLETED else None,
                signing_url=_optional_str(submitter, "signatureLink"),
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
    _, _, submitters = _submission(data)
    done: list[tuple[datetime, int, dict[str, Any]]] = []
    for position, submitter in enumerate(submitters):
        if submitter.get("status") == "completed":
            at = _time(submitter, "completedAt")
            if at is not None:
                done.append((at, position, submitter))
    if not done:
        raise ConflictError(
            f"{PROVIDER_NAME} has no signed document yet: it is ready once every signer has signed."
        )
    _, _, last = max(done, key=lambda item: (item[0], item[1]))
    raw = last.get("signedDocuments")
    if raw is None or raw == []:
        raise ConflictError(
            f"{PROVIDER_NAME} has not prepared the signed document yet: Sealbox "
            "will download it on a later sync."
        )
    entries = raw if isinstance(raw, list) else [raw]
    links: list[tuple[str | None, str]] = []
    for entry in entries:
        if isinstance(entry, str):
            links.append((None, entry))
        elif isinstance(entry, dict):
            url = _optional_str(entry, "url")
            if not url:
                raise _bad("a signed document without a url")
            links.append((_optional_str(entry, "name"), url))
        else:
            raise _bad("a signed document that is neither a link nor an object")
    _, url = next((link for link in links if link[0] == file_name), links[0])
    if not url.strip():
        raise _bad("an empty signed document link")
    return url.strip()


def signature_nc_error_body(response: httpx.Response) -> ErrorBody:
    """Signature.nc's errors are plain text, kept word for word (JSON ones read as usual)."""
    if "json" in response.headers.get("content-type", "").lower():
        return default_error_body(response)
    text = response.text.strip()[:1000]
    # The words also go in ``issues``, which the typed error keeps as they are.
    return ErrorBody(message=text or None, issues=(text,) if text else ())


# --- the provider ------------------------------------------------------------------------------


class SignatureNcProvider:
    capabilities = CAPABILITIES

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.base_url = (config.setting("base_url") or "").strip() or DEFAULT_BASE_URL
        self._base_url_problem = _base_url_problem(self.base_url, config)
        self.http = self._client()
        # Signed documents stored on another host get no credentials (made when needed).
        self._anonymous: ProviderHttp | None = None

    def _client(self, policy: RetryPolicy | None = None) -> ProviderHttp:
        return ProviderHttp(
            provider=PROVIDER_NAME,
            # A base URL that is not a web address is refused before any call (see _auth).
            base_url=self.base_url if self._base_url_problem is None else "https://invalid.invalid",
            auth=self._auth,
            login_hint=self.config.login_hint("api_key", name=PROVIDER_NAME),
            transport=self.config.transport,
            sleep=self.config.sleep,
            deadlines=self.config.deadlines,
            error_body=signature_nc_error_body,
            policy=policy,
            provider_id=PROVIDER_ID,
        )

    # --- configuration ------------------------------------------------------------------------

    def _api_key(self) -> str | None:
        key = self.config.credential("api_key")
        return key.strip() if key and key.strip() else None

    def _send_email(self) -> bool | None:
        raw = self.config.setting("send_email")
        if raw is None or not raw.strip():
            return SEND_EMAIL_DEFAULT
        return _BOOLEAN_SETTING.get(raw.strip().lower())

    def configuration_problem(self) -> str | None:
        if self._api_key() is None:
            return self._missing_key()
        if self._base_url_problem is not None:
            return self._base_url_problem
        if self._send_email() is None:
            return Text(f"{PROVIDER_NAME}'s send_email setting must be true or false: ", Alt(
                f"fix {self.config.env_prefix}SEND_EMAIL or send_email under "
                f"[providers.{PROVIDER_ID}]",
                "correct it in Sealbox's settings file, or ask whoever set Sealbox up"), ".")
        return None

    def _missing_key(self) -> str:
        return Text(f"{PROVIDER_NAME} needs an API key: ",
                    self.config.login_hint("api_key", name=PROVIDER_NAME), ".")

    async def _auth(self) -> dict[str, str]:
        if self._base_url_problem is not None:
            raise UserError(self._base_url_problem)
        key = self._api_key()
        if key is None:
            raise AuthenticationError(self._missing_key())
        return {"Authorization": f"Bearer {key}"}

    async def check_connection(self) -> str:
        if self._api_key() is None:
            raise UserError(self._missing_key())
        if self._base_url_problem is not None:
            raise UserError(self._base_url_problem)
        probe = self._client(RetryPolicy(attempts=CHECK_ATTEMPTS))
        try:
            with self._errors():
                await probe.request("GET", CHECK_PATH)
        except RemoteNotFoundError:
            pass  # the key was accepted; the submission does not exist, as intended
        except AuthenticationError as exc:
            raise credentials_rejected(PROVIDER_NAME, "API key", exc) from exc
        finally:
            await probe.aclose()
        return f"Connected: {PROVIDER_NAME} accepted the API key."

    # --- checks before sending ----------------------------------------------------------------

    def warnings(self, spec: RequestSpec) -> list[str]:
        return delivery_warnings(CAPABILITIES, spec)

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        out = capability_problems(CAPABILITIES, spec, pdf)
        for i, r in enumerate(spec.recipients):
            if r.designation != Designation.SIGNER:
                out.append(Issue(
                    ("recipients", i, "designation"), f"{PROVIDER_NAME} has only signers, no "
                    f"{r.designation.value}; make them a Signer or choose another "
                    "provider"
                ))
                continue
            if not r.last_name.strip():
                out.append(Issue(
                    ("recipients", i, "lastName"), f"{PROVIDER_NAME} needs a last name for every "
                    "signer"
                ))
            if not any(f.recipient_index == i for f in spec.fields) and not any(
                a.recipient_index == i for a in spec.anchor_tags
            ):
                out.append(Issue(
                    ("recipients", i), f"{PROVIDER_NAME} needs at least one signature "
                    "field for every signer; place one or add an anchor tag"
                ))
        for i, f in enumerate(spec.fields):
            if not f.required:
                out.append(Issue(
                    ("fields", i, "required"), f"{PROVIDER_NAME} fields are always required; "
                    "make it required or remove it"
                ))
        for i, a in enumerate(spec.anchor_tags):
            if not a.required:
                out.append(Issue(
                    ("anchorTags", i, "required"), f"{PROVIDER_NAME} fields are always "
                    "required; make it required or remove it"
                ))
        return out

    # --- calls --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """The one place Signature.nc's own meanings override the shared status mapping."""
        try:
            yield
        except AuthenticationError as exc:
            if exc.status != 403:
                raise
            said = exc.issues[0] if exc.issues else "the API limit for this plan is reached"
            raise OutOfCreditsError(
                f"{PROVIDER_NAME} refused the request: {said}. Upgrade the Signature.nc plan or "
                "wait until its quota renews, then send again.",
                status=403,
                code=exc.code,
            ) from exc

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        # Signature.nc takes no idempotency key: the key is not sent, and an upload whose
        # answer is lost raises AmbiguousSendError instead of being sent again.
        del idempotency_key
        send_email = self._send_email()
        if send_email is None:
            raise UserError(self.configuration_problem() or "bad send_email setting")
        info = check_pdf(document)
        file_name = upload_name(request.document_name)
        signers = build_signers(request.spec, info, file_name, send_email)
        form = {
            "name": request.spec.name,
            "signers": json.dumps(signers, ensure_ascii=False),
            "sendEmail": "true" if send_email else "false",
        }
        handles: list[IO[bytes]] = []

        def files() -> dict[str, tuple[str, IO[bytes], str]]:
            handle = document.open("rb")  # afresh for every attempt, streamed from disk
            handles.append(handle)
            return {"file": (file_name, handle, "application/pdf")}

        try:
            with self._errors():
                response = await self.http.request(
                    "POST", CREATE_PATH, data=form, files=files, timeout=UPLOAD_TIMEOUT,
                    deadline=self.http.deadlines.transfer(document.stat().st_size),
                )
        finally:
            for handle in handles:
                handle.close()
        try:
            return parse_submission(_json(response), request.spec, observed=now())
        except BadResponseError as exc:
            # The upload was accepted (2xx) but the answer is unreadable: without an
            # idempotency key, sending again could make a second request.
            raise AmbiguousSendError(
                f"{PROVIDER_NAME} accepted {request.name!r} but its answer could not be read, "
                "so Sealbox cannot tell what was created and will not send it again by itself: "
                "look for it on Signature.nc."
            ) from exc

    async def _fetch(self, request: Request) -> Any:
        if not request.provider_id:
            raise UserError(
                f"{request.name!r} has no {PROVIDER_NAME} id: it was never accepted "
                "by Signature.nc, so there is nothing to look up."
            )
        with self._errors():
            return await self.http.json(
                "GET", STATUS_PATH.format(uuid=quote(request.provider_id, safe=""))
            )

    async def refresh(self, request: Request) -> Report:
        data = await self._fetch(request)
        return parse_submission(data, request.spec, observed=now())

    async def reconcile(self, request: Request) -> Report | None:
        raise CapabilityError(
            f"{PROVIDER_NAME} offers no way to look a request up by Sealbox's reference, so "
            f"Sealbox cannot tell whether {request.name!r} arrived: look for it on Signature.nc "
            "before sending it again."
        )

    async def cancel(self, request: Request, reason: str | None) -> Report:
        CAPABILITIES.require("cancel")
        raise AssertionError("unreachable: Signature.nc has no cancel")

    async def download_signed(self, request: Request, dest: Path) -> None:
        data = await self._fetch(request)
        report = parse_submission(data, request.spec, observed=now())
        if report.status != Status.COMPLETED:
            raise ConflictError(
                f"{request.name!r} is not signed by everyone yet on "
                f"{PROVIDER_NAME}: the signed PDF can be downloaded once it is."
            )
        href = signed_document_url(data, upload_name(request.document_name))
        try:
            url = self.http.base_url.join(href)
        except httpx.InvalidURL as exc:
            raise _bad("a signed document link that is not a URL") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise _bad("a signed document link that is not a web address")
        same = (url.scheme, url.host, url.port) == (
            self.http.base_url.scheme,
            self.http.base_url.host,
            self.http.base_url.port,
        )
        if same:
            with self._errors():
                await self.http.download(str(url), dest)
            return
        try:
            await self.anonymous().download(str(url), dest)
        except AuthenticationError as exc:
            # Not Sealbox's credentials: a storage link that has run out.
            raise ConflictError(
                f"The link {PROVIDER_NAME} gave for the signed PDF of {request.name!r} was "
                "refused (it may have expired): Sealbox will ask for a fresh one on the next "
                "sync.",
                status=exc.status,
            ) from exc

    async def download_certificate(self, request: Request, dest: Path) -> None:
        CAPABILITIES.require("certificate")
        raise AssertionError("unreachable: Signature.nc has no completion certificate")

    def anonymous(self) -> ProviderHttp:
        """A client that sends no credentials, for links to other hosts."""
        if self._anonymous is None:
            self._anonymous = ProviderHttp(
                provider=PROVIDER_NAME,
                base_url=str(self.http.base_url),
                auth=_no_auth,
                login_hint=self.config.login_hint("api_key", name=PROVIDER_NAME),
                transport=self.config.transport,
                sleep=self.config.sleep,
                deadlines=self.config.deadlines,
                error_body=signature_nc_error_body,
            )
        return self._anonymous

    async def aclose(self) -> None:
        try:
            await self.http.aclose()
        finally:
            if self._anonymous is not None:
                await self._anonymous.aclose()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise BadResponseError(
            f"{PROVIDER_NAME} answered with something that is not JSON: try again later."
        ) from exc


async def _no_auth() -> dict[str, str]:
    return {}


def _base_url_problem(base_url: str, config: ProviderConfig) -> str | None:
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        url = None
    if url is not None and url.scheme in ("http", "https") and url.host:
        return None
    return Text(
        f"{PROVIDER_NAME}'s base URL {base_url!r} is not a web address: set ",
        base_url_setting(PROVIDER_ID, PROVIDER_NAME, f"{config.env_prefix}BASE_URL or base_url "
                         f"under [providers.{PROVIDER_ID}]"),
        " to an https:// address.")


__all__ = [
    "CAPABILITIES",
    "DEFAULT_BASE_URL",
    "ORIGIN",
    "PAGE_BASE",
    "SIGNER_STATUS",
    "SignatureNcProvider",
    "build_signers",
    "overall_status",
    "parse_submission",
    "signature_nc_error_body",
    "signed_document_url",
    "upload_name",
]
