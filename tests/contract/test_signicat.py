# mypy: allow-untyped-calls
"""Signicat Sign API v2 client against its fake: wire format, lifecycle, tokens, errors."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

import httpx
import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.clock import parse_iso
from app.domain.lifecycle import Status
from app.domain.model import (
    AnchorTag,
    Designation,
    Field,
    FieldType,
    Recipient,
    Request,
    RequestSpec,
)
from app.domain.report import RecipientReport
from app.errors import CapabilityError, SealboxError, UserError
from app.pdf.document import check_pdf
from app.providers import errors as provider_errors
from app.providers.base import ProviderConfig
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    InvalidRequestError,
)
from app.providers.signicat.client import SignicatProvider
from app.providers.signicat.info import CAPABILITIES, DEFAULT_BASE_URL, DEFAULT_TOKEN_URL
from app.providers.signicat.mapping import (
    STATUS_TABLE,
    parse_collection_response,
    parse_document_response,
    parse_session,
    parse_session_list,
    parse_token_response,
    session_report,
    signicat_error_body,
)
from tests.fakes.base import ErrorCase, FakeResponse, json_response
from tests.fakes.signicat import (
    CLIENT_ID,
    CLIENT_SECRET,
    PREFIX,
    TOKEN_PATH,
    SignicatFake,
    problem,
)
from tests.support.pdfgen import OFFSET_CROPBOX, blank_page, build_pdf, text_page, write

T = TypeVar("T")
DOCS = f"{PREFIX}/documents"
COLLECTIONS = f"{PREFIX}/document-collections"
SESSIONS = f"{PREFIX}/signing-sessions"
SESSION = f"{SESSIONS}/[^/]+"


# --- helpers -----------------------------------------------------------------------------------


class Sleeps:
    """An async sleep that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[SignicatFake]:
    server = SignicatFake()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """Three pages: upright, /Rotate 90, and a CropBox that does not start at (0, 0)."""
    return write(
        tmp_path / "lease.pdf",
        build_pdf(
            [
                text_page("Lease agreement"),
                blank_page(rotate=90),
                blank_page(cropbox=OFFSET_CROPBOX),
            ]
        ),
    )


_TLS: list[ssl.SSLContext] = []


def transport() -> httpx.AsyncHTTPTransport:
    """A real transport sharing one TLS context (building one per client costs 0.1 s)."""
    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return httpx.AsyncHTTPTransport(verify=_TLS[0])


def make_provider(
    fake: SignicatFake,
    sleeps: Sleeps | None = None,
    *,
    credentials: dict[str, str] | None = None,
    settings_: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> SignicatProvider:
    creds = (
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        if credentials is None
        else credentials
    )
    values = {"base_url": fake.url, "token_url": fake.token_url, **(settings_ or {})}
    config = ProviderConfig(
        provider_id="signicat",
        credential=creds.get,
        setting=values.get,
        sleep=sleeps or Sleeps(),
        transport=transport(),
    )
    if clock is None:
        return SignicatProvider(config)
    return SignicatProvider(config, clock=clock)


def make_request(*recipients: Recipient, name: str = "Lease BK-12345", hours: int = 48) -> Request:
    people = recipients or (Recipient("Jane", "Doe", "jane@example.com"),)
    spec = RequestSpec(name=name, recipients=tuple(people), expiration_hours=hours)
    return Request(id=str(uuid.uuid4()), provider="signicat", spec=spec)


def run(provider: SignicatProvider, work: Callable[[SignicatProvider], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await work(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


def sent(fake: SignicatFake, pdf: Path, request: Request) -> str:
    """Create ``request`` through a provider of its own; returns the session id."""
    report = run(make_provider(fake), lambda p: p.create(request, check_pdf(pdf), "key"))
    assert report.provider_id is not None
    request.provider_id = report.provider_id
    return report.provider_id


def raised(
    provider: SignicatProvider, work: Callable[[SignicatProvider], Awaitable[Any]]
) -> SealboxError:
    with pytest.raises(SealboxError) as info:
        run(provider, work)
    return info.value


# --- create: the exact wire format -------------------------------------------------------------


def test_create_sends_the_three_documented_steps(fake: SignicatFake, pdf: Path) -> None:
    request = make_request(hours=48)
    before = datetime.now(UTC)
    report = run(make_provider(fake), lambda p: p.create(request, check_pdf(pdf), "outbox-key"))
    after = datetime.now(UTC)

    assert [(r.method, r.path) for r in fake.received] == [
        ("POST", TOKEN_PATH),
        ("POST", DOCS),
        ("POST", COLLECTIONS),
        ("POST", SESSIONS),
    ]

    token = fake.received[0]
    assert (token.header("content-type") or "").startswith("application/x-www-form-urlencoded")
    assert parse_qs(token.body.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": ["signicat-api"],
    }
    scheme, _, value = (token.header("authorization") or "").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == (
        f"{quote(CLIENT_ID, safe='')}:{quote(CLIENT_SECRET, safe='')}"
    )
    bearer = f"Bearer {fake.issued[0]}"

    upload = fake.received[1]
    assert upload.header("authorization") == bearer
    assert upload.header("content-type") == "application/pdf"
    assert upload.body == pdf.read_bytes()  # the raw PDF, no base64, no multipart
    assert upload.header("content-length") == str(pdf.stat().st_size)
    assert upload.header("transfer-encoding") is None
    document_id = next(iter(fake.documents))

    collection = fake.received[2]
    assert collection.header("authorization") == bearer
    assert collection.header("content-type") == "application/json"
    assert collection.json() == {"documents": [{"documentId": document_id}]}
    collection_id = next(iter(fake.collections))

    session = fake.received[3]
    assert session.header("authorization") == bearer
    assert session.header("idempotency-key") is None  # the guide has none
    body = session.json()
    assert isinstance(body, list) and len(body) == 1
    due = parse_iso(body[0].pop("dueDate"))
    assert due is not None
    assert before + timedelta(hours=48) - timedelta(seconds=1) <= due
    assert due <= after + timedelta(hours=48)
    assert body == [
        {
            "title": "Lease BK-12345",
            "externalReference": request.id,
            "documents": [
                {"action": "SIGN", "documentCollectionId": collection_id, "documentId": document_id}
            ],
            "signingSetup": [{"signingFlow": "AUTHENTICATION_BASED"}],
            "packageTo": ["PADES_CONTAINER"],
        }
    ]

    session_id = fake.envelope_ids()[0]
    assert report.status == Status.SENT
    assert report.provider_id == session_id
    assert report.recipients == (
        RecipientReport(
            index=0,
            provider_recipient_id=session_id,
            signing_url=f"https://example.sandbox.signicat.com/sign?sessionId={session_id}",
        ),
    )
    assert set(report.payload) == {"document", "documentCollection", "signingSessions"}
    assert report.payload["signingSessions"][0]["id"] == session_id


def test_identity_providers_setting_is_sent(fake: SignicatFake, pdf: Path) -> None:
    provider = make_provider(fake, settings_={"identity_providers": "ftn, nbid,"})
    run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    body = fake.requests_to("POST", SESSIONS)[0].json()
    assert body[0]["signingSetup"] == [
        {
            "identityProviders": [{"idpName": "ftn"}, {"idpName": "nbid"}],
            "signingFlow": "AUTHENTICATION_BASED",
        }
    ]


def test_upload_is_retried_with_the_whole_file_after_a_401(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()

    async def work(p: SignicatProvider) -> None:
        await p.reconcile(request)  # fetches and caches a token
        fake.expire_tokens()
        await p.create(request, check_pdf(pdf), "k")

    run(make_provider(fake), work)
    uploads = fake.requests_to("POST", DOCS)
    assert len(uploads) == 2  # refused once (401), then sent again with a new token
    assert uploads[1].body == pdf.read_bytes()
    assert len(fake.requests_to("POST", TOKEN_PATH)) == 2
    assert len(fake.envelope_ids()) == 1


def test_a_damaged_upload_is_detected_by_its_hash(fake: SignicatFake, pdf: Path) -> None:
    wrong = base64.b64encode(b"0" * 64).decode()
    fake.fail_next(
        "POST",
        DOCS,
        json_response(
            201,
            {
                "documentId": "0197d5cb-0000-7000-8000-000000000001",
                "mimeType": "application/pdf",
                "documentHash": {"hash": wrong, "hashAlgorithm": "SHA256"},
            },
        ),
        after=True,
    )
    error = raised(make_provider(fake), lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert isinstance(error, BadResponseError)
    assert "hash does not match" in error.message
    assert fake.requests_to("POST", COLLECTIONS) == []


# --- lifecycle ---------------------------------------------------------------------------------


def test_status_table_maps_every_documented_state() -> None:
    assert STATUS_TABLE == {"READY": Status.SENT, "SIGNED": Status.COMPLETED}


@pytest.mark.parametrize(
    ("state", "expected", "message"),
    [
        ("READY", Status.SENT, None),
        ("signed", Status.COMPLETED, None),
        ("completed", Status.COMPLETED, None),
        ("REJECTED", Status.SENT, "final state Sealbox does not know"),
    ],
)
def test_refresh_maps_lifecycle_states(
    fake: SignicatFake, pdf: Path, state: str, expected: Status, message: str | None
) -> None:
    request = make_request()
    session_id = sent(fake, pdf, request)
    fake.advance(session_id, state)
    report = run(make_provider(fake), lambda p: p.refresh(request))
    assert report.status == expected
    assert report.provider_id == session_id
    assert report.payload["id"] == session_id
    if message is None:
        assert report.error_message is None
    else:
        assert report.error_message is not None and message in report.error_message


def test_unknown_state_that_is_not_final_stays_in_flight_quietly(
    fake: SignicatFake, pdf: Path
) -> None:
    request = make_request()
    session_id = sent(fake, pdf, request)
    fake.advance(session_id, "WAITING_FOR_SIGNER")
    fake.sessions[session_id].final = False
    report = run(make_provider(fake), lambda p: p.refresh(request))
    assert report.status == Status.SENT
    assert report.error_message is None


def test_per_recipient_times(fake: SignicatFake, pdf: Path) -> None:
    request = make_request(Recipient("Ola", "Nordmann", "ola@example.no"))
    session_id = sent(fake, pdf, request)

    ready = run(make_provider(fake), lambda p: p.refresh(request))
    assert ready.recipients[0].signed_at is None
    assert ready.completed_at is None

    fake.advance(session_id, "signed")
    before = datetime.now(UTC)
    done = run(make_provider(fake), lambda p: p.refresh(request))
    after = datetime.now(UTC)
    signed_at = done.recipients[0].signed_at
    assert signed_at is not None and before <= signed_at <= after
    assert done.completed_at == signed_at
    assert done.recipients[0].index == 0
    assert done.recipients[0].provider_recipient_id == session_id

    # A time already known is kept on later refreshes.
    known = datetime(2025, 7, 4, 15, 0, tzinfo=UTC)
    request.recipients[0].signed_at = known
    again = run(make_provider(fake), lambda p: p.refresh(request))
    assert again.recipients[0].signed_at == known


# --- cancel, download, certificate -------------------------------------------------------------


def test_cancel_is_not_offered(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    count = len(fake.received)
    error = raised(make_provider(fake), lambda p: p.cancel(request, "wrong recipient"))
    assert isinstance(error, CapabilityError)
    assert "Signicat does not offer cancelling a request" in error.message
    assert len(fake.received) == count
    assert not CAPABILITIES.cancel


def test_certificate_is_not_offered(fake: SignicatFake, pdf: Path, tmp_path: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    dest = tmp_path / "certificate.pdf"
    error = raised(make_provider(fake), lambda p: p.download_certificate(request, dest))
    assert isinstance(error, CapabilityError)
    assert "completion certificate" in error.message
    assert not dest.exists()
    assert not CAPABILITIES.certificate


def test_download_waits_for_signing_and_packaging(
    fake: SignicatFake, pdf: Path, tmp_path: Path
) -> None:
    request = make_request()
    session_id = sent(fake, pdf, request)
    dest = tmp_path / "signed.pdf"

    error = raised(make_provider(fake), lambda p: p.download_signed(request, dest))
    assert isinstance(error, ConflictError) and "not ready yet" in error.message

    fake.advance(session_id, "signed")  # signed, packaging still running
    error = raised(make_provider(fake), lambda p: p.download_signed(request, dest))
    assert isinstance(error, ConflictError)
    assert "not ready yet" in error.message and "packaging" in error.message
    assert not dest.exists()

    result = fake.finish_packaging(session_id)
    run(make_provider(fake), lambda p: p.download_signed(request, dest))
    assert dest.read_bytes() == fake.pades_bytes(session_id)
    assert fake.requests_to("GET", f"{DOCS}/{result}")


# --- errors ------------------------------------------------------------------------------------


def _error_class(name: str) -> type[SealboxError]:
    cls = getattr(provider_errors, name, None)
    assert isinstance(cls, type) and issubclass(cls, SealboxError), name
    return cls


@pytest.mark.parametrize(
    "case",
    SignicatFake().documented_errors(),
    ids=lambda c: f"{c.operation}-{c.response.status}-{c.path}",
)
def test_documented_errors(fake: SignicatFake, pdf: Path, tmp_path: Path, case: ErrorCase) -> None:
    request = make_request()
    if case.operation != "create":
        session_id = sent(fake, pdf, request)
        fake.advance(session_id, "completed")
    fake.fail_next(case.method, case.path, case.response, count=10)
    operations: dict[str, Callable[[SignicatProvider], Awaitable[Any]]] = {
        "create": lambda p: p.create(request, check_pdf(pdf), "k"),
        "refresh": lambda p: p.refresh(request),
        "download": lambda p: p.download_signed(request, tmp_path / "signed.pdf"),
    }
    error = raised(make_provider(fake), operations[case.operation])
    assert type(error) is _error_class(case.expected)
    assert case.message in error.message
    assert "Traceback" not in error.message


def test_invalid_params_name_the_field(fake: SignicatFake, pdf: Path) -> None:
    fake.fail_next(
        "POST",
        SESSIONS,
        problem(400, "Bad request", "Validation failed.", invalid=[("[0].title", "too long")]),
    )
    error = raised(make_provider(fake), lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert isinstance(error, InvalidRequestError)
    assert error.issues == ["[0].title: too long"]
    assert error.code == "bad_request"


def test_refused_credentials(fake: SignicatFake, pdf: Path) -> None:
    provider = make_provider(fake, credentials={"client_id": CLIENT_ID, "client_secret": "wrong"})
    error = raised(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert isinstance(error, AuthenticationError)
    assert "invalid_client" in error.message
    assert "sealbox login signicat" in error.message
    assert fake.requests_to("POST", DOCS) == []


def test_missing_credentials(fake: SignicatFake, pdf: Path) -> None:
    provider = make_provider(fake, credentials={})
    problem_text = provider.configuration_problem()
    assert problem_text is not None
    assert "sealbox login signicat" in problem_text
    assert "SEALBOX_SIGNICAT_CLIENT_ID" in problem_text
    assert "SEALBOX_SIGNICAT_CLIENT_SECRET" in problem_text
    error = raised(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert type(error) is UserError
    assert fake.received == []
    assert make_provider(fake).configuration_problem() is None
    bad_url = make_provider(fake, settings_={"token_url": "api.signicat.com/token"})
    assert "SEALBOX_SIGNICAT_TOKEN_URL" in (bad_url.configuration_problem() or "")
    asyncio.run(bad_url.aclose())


def test_defaults_without_settings() -> None:
    config = ProviderConfig(
        provider_id="signicat", credential=lambda k: None, setting=lambda k: None
    )
    provider = SignicatProvider(config)
    try:
        assert str(provider.http.base_url) == DEFAULT_BASE_URL + "/"
        assert provider.token_url == DEFAULT_TOKEN_URL
    finally:
        asyncio.run(provider.aclose())


def test_unreadable_answers_are_typed(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    fake.fail_next("GET", SESSION, FakeResponse(200, b"<html>oops</html>"))
    assert isinstance(raised(make_provider(fake), lambda p: p.refresh(request)), BadResponseError)
    fake.fail_next("GET", SESSION, json_response(200, {"id": 5, "lifecycle": []}))
    assert isinstance(raised(make_provider(fake), lambda p: p.refresh(request)), BadResponseError)
    fake.fail_next(
        "GET",
        SESSION,
        json_response(200, {"id": "another-session", "lifecycle": {"state": "READY"}}),
    )
    assert isinstance(raised(make_provider(fake), lambda p: p.refresh(request)), BadResponseError)
    fake.fail_next("POST", TOKEN_PATH, json_response(200, {"access_token": "two words"}))
    assert isinstance(raised(make_provider(fake), lambda p: p.refresh(request)), BadResponseError)


# --- retries -----------------------------------------------------------------------------------


def test_retry_after_on_429_is_honoured(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    fake.fail_next(
        "GET",
        SESSION,
        problem(429, "Too many requests", "Slow down.", headers={"Retry-After": "7"}),
    )
    sleeps = Sleeps()
    report = run(make_provider(fake, sleeps), lambda p: p.refresh(request))
    assert report.status == Status.SENT
    assert sleeps.delays == [7.0]


def test_retry_after_on_503_is_honoured_for_the_session_create(
    fake: SignicatFake, pdf: Path
) -> None:
    fake.fail_next(
        "POST", SESSIONS, problem(503, "Service unavailable", "Busy.", headers={"Retry-After": "3"})
    )
    sleeps = Sleeps()
    report = run(
        make_provider(fake, sleeps), lambda p: p.create(make_request(), check_pdf(pdf), "k")
    )
    assert sleeps.delays == [3.0]
    assert len(fake.envelope_ids()) == 1
    assert report.provider_id == fake.envelope_ids()[0]


# --- ambiguous create and reconcile -------------------------------------------------------------


def test_ambiguous_create_is_reconciled_by_external_reference(
    fake: SignicatFake, pdf: Path
) -> None:
    request = make_request()
    other = make_request()
    sent(fake, pdf, other)
    fake.fail_next("POST", SESSIONS, FakeResponse(drop=True), after=True)
    error = raised(make_provider(fake), lambda p: p.create(request, check_pdf(pdf), "k"))
    assert isinstance(error, AmbiguousSendError)
    assert len(fake.requests_to("POST", SESSIONS)) == 2  # never sent twice
    session_id = fake.envelope_ids()[1]

    report = run(make_provider(fake), lambda p: p.reconcile(request))
    assert report is not None
    assert report.provider_id == session_id
    assert report.status == Status.SENT
    assert report.recipients[0].signing_url is not None
    query = fake.requests_to("GET", SESSIONS)[-1].query
    assert query == {"externalReference": [request.id]}

    assert run(make_provider(fake), lambda p: p.reconcile(make_request())) is None


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(201, b'[{"id": '),
        FakeResponse(201, b"[]", {"Content-Type": "application/json"}),
        problem(500, "Internal server error", "Oops."),
    ],
)
def test_unreadable_or_failed_create_answer_is_ambiguous(
    fake: SignicatFake, pdf: Path, answer: FakeResponse
) -> None:
    fake.fail_next("POST", SESSIONS, answer, after=True)
    error = raised(make_provider(fake), lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert isinstance(error, AmbiguousSendError)
    assert len(fake.envelope_ids()) == 1


def test_reconcile_keeps_only_matching_sessions(fake: SignicatFake, pdf: Path) -> None:
    other = make_request()
    sent(fake, pdf, other)
    everything = fake.sessions[fake.envelope_ids()[0]]
    body = fake._session_json(everything)
    fake.fail_next("GET", SESSIONS, json_response(200, [body]))  # a server ignoring the filter
    assert run(make_provider(fake), lambda p: p.reconcile(make_request())) is None


@pytest.mark.parametrize("status", [404, 405])
def test_reconcile_without_the_query_is_a_capability_error(fake: SignicatFake, status: int) -> None:
    fake.fail_next("GET", SESSIONS, problem(status, "Not found", "No such route."))
    error = raised(make_provider(fake), lambda p: p.reconcile(make_request()))
    assert isinstance(error, CapabilityError)
    assert "external reference" in error.message


# --- the access token --------------------------------------------------------------------------


def test_token_is_cached(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()

    async def work(p: SignicatProvider) -> None:
        await p.create(request, check_pdf(pdf), "k")
        request.provider_id = fake.envelope_ids()[0]
        await p.refresh(request)
        await p.refresh(request)

    run(make_provider(fake), work)
    assert len(fake.requests_to("POST", TOKEN_PATH)) == 1


def test_token_is_renewed_after_a_401(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)

    async def work(p: SignicatProvider) -> Status:
        await p.refresh(request)
        fake.expire_tokens()
        return (await p.refresh(request)).status

    assert run(make_provider(fake), work) == Status.SENT
    assert len(fake.requests_to("POST", TOKEN_PATH)) == 3  # sent() had its own
    gets = fake.requests_to("GET", SESSION)
    assert len(gets) == 3
    assert gets[1].header("authorization") != gets[2].header("authorization")


def test_token_is_renewed_before_it_expires(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    clock = Clock()
    fake.token_lifetime = 600

    async def work(p: SignicatProvider) -> None:
        await p.refresh(request)
        clock.now += 530  # within the renewal margin (60 s before the 600 s run out)
        await p.refresh(request)
        clock.now += 11
        await p.refresh(request)

    run(make_provider(fake, clock=clock), work)
    assert len(fake.requests_to("POST", TOKEN_PATH)) == 1 + 2
    assert len(fake.requests_to("GET", SESSION)) == 3  # no 401 was needed


def test_token_without_expires_in_is_kept_until_refused(fake: SignicatFake, pdf: Path) -> None:
    request = make_request()
    sent(fake, pdf, request)
    clock = Clock()
    fake.token_lifetime = None

    async def work(p: SignicatProvider) -> None:
        await p.refresh(request)
        clock.now += 86400
        await p.refresh(request)

    run(make_provider(fake, clock=clock), work)
    assert len(fake.requests_to("POST", TOKEN_PATH)) == 1 + 1


# --- preflight and pages -----------------------------------------------------------------------


def test_preflight_accepts_one_signer_without_fields(pdf: Path, fake: SignicatFake) -> None:
    provider = make_provider(fake)
    try:
        assert provider.preflight(make_request().spec, check_pdf(pdf)) == []
    finally:
        asyncio.run(provider.aclose())


def test_preflight_refuses_what_signicat_cannot_take(pdf: Path, fake: SignicatFake) -> None:
    jane = Recipient("Jane", "Doe", "jane@example.com", order=1)
    spec = RequestSpec(
        name="Lease",
        recipients=(
            jane,
            Recipient("Bob", "Roe", "bob@example.com", Designation.APPROVER, 2),
            Recipient("Cy", "Coe", "cy@example.com", Designation.CC, 3),
            Recipient("Di", "Doe", "di@example.com", order=4),
        ),
        fields=(Field(0, FieldType.SIGNATURE, 2, 72, 100, 180, 48),),
        anchor_tags=(AnchorTag("{{sign_here}}", FieldType.SIGNATURE, 0),),
    )
    info = check_pdf(pdf)
    provider = make_provider(fake)
    try:
        problems = provider.preflight(spec, replace(info, size_bytes=21 * 1024 * 1024))
    finally:
        asyncio.run(provider.aclose())
    text = "\n".join(problems)
    assert "fields[0]: Signicat does not take placed fields" in text
    assert "anchorTags: Signicat does not take anchor tags" in text
    assert "recipients[1]: Signicat has no approvers" in text
    assert "recipients[2]: Signicat sends no copies" in text
    assert "recipients: a Signicat signing session is signed by one person" in text
    assert "document: 21 MiB is over Signicat's limit" in text
    assert len(problems) == 6


def test_preflight_refuses_an_already_signed_pdf(tmp_path: Path, fake: SignicatFake) -> None:
    doc = pymupdf.open(stream=build_pdf([text_page("signed")]), filetype="pdf")
    doc.xref_set_key(doc.pdf_catalog(), "AcroForm", "<< /Fields [] /SigFlags 3 >>")
    signed = tmp_path / "signed.pdf"
    doc.save(signed)
    doc.close()
    provider = make_provider(fake)
    try:
        problems = provider.preflight(make_request().spec, check_pdf(signed))
    finally:
        asyncio.run(provider.aclose())
    assert len(problems) == 1 and "already signed" in problems[0]


def test_rotated_and_cropped_pages(pdf: Path, fake: SignicatFake, tmp_path: Path) -> None:
    """Signicat places no fields, so there are no coordinates to convert: fields placed on the
    rotated and the cropped page are refused before sending, and the same document without them
    reaches Signicat byte for byte, its page boxes untouched."""
    info = check_pdf(pdf)
    assert info.pages[1].rotation == 90
    assert info.pages[2].cropbox == OFFSET_CROPBOX
    placed = replace(
        make_request().spec,
        fields=(
            Field(0, FieldType.SIGNATURE, 2, 72, 100, 180, 48),
            Field(0, FieldType.DATE, 3, 10, 10, 110, 24),
        ),
    )
    provider = make_provider(fake)
    problems = provider.preflight(placed, info)
    assert problems == [
        "fields[0]: Signicat does not take placed fields (its signers place "
        "their own); remove the fields or choose another provider"
    ]
    run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    uploaded = write(tmp_path / "uploaded.pdf", fake.requests_to("POST", DOCS)[0].body)
    assert uploaded.read_bytes() == pdf.read_bytes()
    assert check_pdf(uploaded).pages == info.pages


# --- the fake is strict ------------------------------------------------------------------------


def _token(fake: SignicatFake) -> str:
    answer = httpx.post(
        fake.token_url, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)
    )
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    assert isinstance(token, str)
    return token


def test_fake_requires_the_bearer_token(fake: SignicatFake) -> None:
    assert httpx.get(f"{fake.url}/signing-sessions/x").status_code == 401
    answer = httpx.get(
        f"{fake.url}/signing-sessions/x", headers={"Authorization": f"Bearer {_token(fake)}"}
    )
    assert answer.status_code == 404


def test_fake_refuses_what_breaks_the_guide(fake: SignicatFake) -> None:
    auth = {"Authorization": f"Bearer {_token(fake)}"}
    no_type = httpx.post(f"{fake.url}/documents", content=b"%PDF-1.7 x", headers=auth)
    assert no_type.status_code == 400
    single = httpx.post(
        f"{fake.url}/signing-sessions", headers=auth, json={"title": "not an array"}
    )
    assert single.status_code == 400
    misspelled = httpx.post(
        f"{fake.url}/signing-sessions",
        headers=auth,
        json=[{"title": "x", "external_reference": "r", "documents": []}],
    )
    assert misspelled.status_code == 400
    names = {p["name"] for p in misspelled.json()["invalidParams"]}
    assert names == {"[0].external_reference", "[0].documents"}


def test_client_mistakes_surface_as_typed_errors(fake: SignicatFake) -> None:
    async def work(p: SignicatProvider) -> Any:
        return await p.http.json(
            "POST", "document-collections", json_body={"documents": [{"documentID": "x"}]}
        )

    error = raised(make_provider(fake), work)
    assert isinstance(error, InvalidRequestError)
    assert "documents[0]" in error.message


def test_fake_controls(fake: SignicatFake, pdf: Path) -> None:
    env = fake.env()
    assert env["SEALBOX_SIGNICAT_BASE_URL"] == fake.url
    assert env["SEALBOX_SIGNICAT_TOKEN_URL"] == fake.token_url
    assert env["SEALBOX_SIGNICAT_CLIENT_ID"] == CLIENT_ID
    request = make_request()
    session_id = sent(fake, pdf, request)
    assert fake.envelope_ids() == [session_id]
    with pytest.raises(ValueError, match="documents no state"):
        fake.advance(session_id, "declined")
    with pytest.raises(ValueError, match="one signer"):
        fake.advance(session_id, "signed", 1)


# --- untrusted answers -------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
PACKAGE = st.fixed_dictionaries(
    {},
    optional={
        "packageType": JSON | st.just("PADES_CONTAINER"),
        "resultDocumentId": JSON | st.uuids().map(str),
    },
)
SESSION_SHAPE = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.uuids().map(str),
        "lifecycle": JSON
        | st.fixed_dictionaries(
            {},
            optional={
                "state": JSON | st.sampled_from(["READY", "SIGNED", "NEW", " "]),
                "stateIsFinal": JSON,
            },
        ),
        "signatureUrl": JSON | st.just("https://example.com/sign"),
        "externalReference": JSON,
        "output": JSON
        | st.fixed_dictionaries(
            {}, optional={"packages": JSON | st.lists(PACKAGE | JSON, max_size=3)}
        ),
    },
)
TOKEN_SHAPE = st.fixed_dictionaries(
    {},
    optional={
        "access_token": JSON | st.text(max_size=20),
        "token_type": JSON | st.just("Bearer"),
        "expires_in": JSON | st.just("600"),
    },
)
DOCUMENT_SHAPE = st.fixed_dictionaries(
    {},
    optional={
        "documentId": JSON | st.uuids().map(str),
        "documentHash": JSON
        | st.fixed_dictionaries({}, optional={"hash": JSON, "hashAlgorithm": JSON}),
    },
)
REQUEST = Request(
    id="r-1",
    provider="signicat",
    spec=RequestSpec(name="x", recipients=(Recipient("A", "B", "a@b.cd"),)),
)
ANSWERS = JSON | SESSION_SHAPE | TOKEN_SHAPE | DOCUMENT_SHAPE | st.lists(SESSION_SHAPE, max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANSWERS)
def test_parsers_raise_only_typed_errors(data: Any) -> None:
    for parse in (
        parse_token_response,
        parse_document_response,
        parse_collection_response,
        parse_session,
        parse_session_list,
    ):
        with contextlib.suppress(SealboxError):
            parse(data)
    try:
        session = parse_session(data)
    except SealboxError:
        pass
    else:
        report = session_report(REQUEST, session)
        assert report.provider_id == session.id
        assert report.status in (Status.SENT, Status.COMPLETED)
    body = signicat_error_body(httpx.Response(400, content=json.dumps(data).encode()))
    assert all(isinstance(issue, str) for issue in body.issues)
