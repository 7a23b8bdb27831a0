"""The SayPDF client against its fake: wire format, lifecycle, errors, retries, coordinates."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import app.errors
import app.providers.errors
from app.domain.clock import parse_iso
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.report import Report
from app.errors import CapabilityError, SealboxError, UserError
from app.pdf.document import check_pdf
from app.providers.base import ProviderConfig, WebhookRejected
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
)
from app.providers.saypdf.client import SayPdfProvider
from app.providers.saypdf.info import CAPABILITIES, DEFAULT_BASE_URL, LOGIN_BASE_URL
from app.providers.saypdf.mapping import (
    documents_from_list,
    error_body,
    report_from_create,
    report_from_document,
    token_from_login,
)
from app.providers.saypdf.webhooks import parse_webhook
from tests.fakes.base import FakeResponse, json_response
from tests.fakes.saypdf import DECLINE_REASON, SayPdfFake
from tests.support.pdfgen import (
    OFFSET_CROPBOX,
    blank_page,
    build_pdf,
    layouts,
    text_page,
    visible_box,
)

T = TypeVar("T")

SENDER_NAME = "Alice Owner"
SENDER_EMAIL = "alice@company.example"

SPEC_JSON: dict[str, Any] = {
    "version": 1,
    "name": "Charter handover — BK-12345",
    "message": "Please sign by Friday.",
    "expirationHours": 150,
    "recipients": [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "designation": "Signer",
            "order": 1,
        },
        {
            "firstName": "Bob",
            "lastName": "Roe",
            "email": "Bob@Example.com",
            "designation": "Signer",
            "order": 2,
        },
    ],
    "fields": [
        # Page 1: Letter, upright.
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": 1,
            "x": 72,
            "y": 600,
            "width": 180,
            "height": 48,
        },
        {
            "recipientIndex": 0,
            "type": "date",
            "page": 1,
            "x": 320,
            "y": 620,
            "width": 120,
            "height": 24,
            "anchor": "{{date}}",
        },
        # Page 2: Letter with /Rotate 90 (792 x 612 as displayed).
        {
            "recipientIndex": 1,
            "type": "initials",
            "page": 2,
            "x": 600,
            "y": 500,
            "width": 72,
            "height": 36,
        },
        # Page 3: CropBox (30 80 430 680), 400 x 600 as displayed.
        {
            "recipientIndex": 1,
            "type": "text",
            "page": 3,
            "x": 50,
            "y": 520,
            "width": 200,
            "height": 24,
        },
    ],
}
SPEC = RequestSpec.from_json(SPEC_JSON)
#: The displayed size of each page of :func:`contract_pdf`, worked out by hand.
DISPLAYED = {1: (612.0, 792.0), 2: (792.0, 612.0), 3: (400.0, 600.0)}


# --- fixtures and helpers ----------------------------------------------------------------------


class Sleeps:
    """An injected sleep that records the delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake() -> Iterator[SayPdfFake]:
    server = SayPdfFake()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "contract.pdf"
    path.write_bytes(
        build_pdf(
            [
                text_page("Charter agreement"),
                blank_page(rotate=90),
                blank_page(cropbox=OFFSET_CROPBOX),
            ]
        )
    )
    return path


def config(
    fake: SayPdfFake | None,
    sleeps: Sleeps | None = None,
    *,
    credentials: dict[str, str] | None = None,
    base_url: str | None = None,
    sender: tuple[str | None, str | None] = (SENDER_NAME, SENDER_EMAIL),
) -> ProviderConfig:
    creds = (
        credentials
        if credentials is not None
        else ({"api_key": fake.api_key} if fake is not None else {})
    )
    settings_ = {"base_url": base_url or (fake.url if fake is not None else None)}
    return ProviderConfig(
        provider_id="saypdf",
        credential=lambda key: creds.get(key),
        setting=lambda key: settings_.get(key),
        sender_name=sender[0],
        sender_email=sender[1],
        sleep=sleeps or Sleeps(),
    )


def run(cfg: ProviderConfig, work: Callable[[SayPdfProvider], Awaitable[T]]) -> T:
    """Run ``work`` with a fresh provider on a fresh event loop, closing it afterwards."""

    async def main() -> T:
        provider = SayPdfProvider(cfg)
        try:
            return await work(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


def new_request(spec: RequestSpec = SPEC, provider_id: str | None = None) -> Request:
    return Request(
        id=str(uuid.uuid4()),
        provider="saypdf",
        spec=spec,
        provider_id=provider_id,
        document_name="contract.pdf",
    )


def created(fake: SayPdfFake, pdf: Path, sleeps: Sleeps | None = None) -> Request:
    request = new_request()
    report = run(config(fake, sleeps), lambda p: p.create(request, check_pdf(pdf), "key-1"))
    request.provider_id = report.provider_id
    return request


def sent_dto(fake: SayPdfFake) -> dict[str, Any]:
    (post,) = fake.requests_to("POST", "/esign/documents")
    data: dict[str, Any] = json.loads(post.form()["data"][0].text)
    return data


def when(text: str | None) -> datetime | None:
    return parse_iso(text)


# --- create: the exact wire format -------------------------------------------------------------


def test_create_sends_multipart_pdf_and_data_with_api_key(fake: SayPdfFake, pdf: Path) -> None:
    request = new_request()
    report = run(config(fake), lambda p: p.create(request, check_pdf(pdf), "idem-1"))

    (post,) = fake.requests_to("POST", "/esign/documents")
    assert post.header("x-api-key") == fake.api_key
    assert post.header("authorization") is None
    assert post.header("idempotency-key") is None  # SayPDF documents none
    assert (post.header("content-type") or "").startswith("multipart/form-data; boundary=")
    form = post.form()
    assert set(form) == {"pdf", "data"}
    (part,) = form["pdf"]
    assert part.filename == "contract.pdf"
    assert part.content_type == "application/pdf"
    assert part.data == pdf.read_bytes()
    assert form["data"][0].filename is None

    dto = json.loads(form["data"][0].text)
    assert list(dto) == ["title", "message", "ownerEmail", "ownerName", "expiresInDays", "parties"]
    assert dto["title"] == "Charter handover — BK-12345"
    assert dto["message"] == "Please sign by Friday."
    assert dto["ownerEmail"] == SENDER_EMAIL
    assert dto["ownerName"] == SENDER_NAME
    assert dto["expiresInDays"] == 7  # 150 hours, rounded up to whole days
    jane, bob = dto["parties"]
    assert {k: jane[k] for k in ("name", "email", "signingOrder")} == {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "signingOrder": 1,
    }
    assert {k: bob[k] for k in ("name", "email", "signingOrder")} == {
        "name": "Bob Roe",
        "email": "Bob@Example.com",
        "signingOrder": 2,
    }
    for field in jane["fields"] + bob["fields"]:
        assert set(field) == {"type", "page", "x", "y", "width", "height"}
    assert [(f["type"], f["page"]) for f in jane["fields"]] == [("signature", 0), ("date", 0)]
    assert [(f["type"], f["page"]) for f in bob["fields"]] == [("initials", 1), ("text", 2)]
    signature = jane["fields"][0]
    assert signature["x"] == pytest.approx(72 / 612 * 100, abs=1e-3)
    assert signature["y"] == pytest.approx(600 / 792 * 100, abs=1e-3)
    assert signature["width"] == pytest.approx(180 / 612 * 100, abs=1e-3)
    assert signature["height"] == pytest.approx(48 / 792 * 100, abs=1e-3)

    (doc_id,) = fake.envelope_ids()
    assert report.status == Status.SENT
    assert report.provider_id == doc_id
    parties = fake.document(doc_id)["parties"]
    assert [(r.index, r.provider_recipient_id) for r in report.recipients] == [
        (0, parties[0]["id"]),
        (1, parties[1]["id"]),
    ]
    assert report.payload["documentId"] == doc_id


def test_fields_land_where_placed_on_rotated_and_cropped_pages(fake: SayPdfFake, pdf: Path) -> None:
    run(config(fake), lambda p: p.create(new_request(), check_pdf(pdf), "k"))
    dto = sent_dto(fake)
    sent = [f for party in dto["parties"] for f in party["fields"]]
    for placed, field in zip(SPEC.fields, sent, strict=True):
        width, height = DISPLAYED[placed.page]
        assert field["page"] == placed.page - 1
        assert field["x"] / 100 * width == pytest.approx(placed.x, abs=0.5)
        assert field["y"] / 100 * height == pytest.approx(placed.y, abs=0.5)
        assert field["width"] / 100 * width == pytest.approx(placed.width, abs=0.5)
        assert field["height"] / 100 * height == pytest.approx(placed.height, abs=0.5)


def test_fields_land_where_placed_on_every_layout(fake: SayPdfFake, tmp_path: Path) -> None:
    pages = [spec for _, spec in layouts()]
    path = tmp_path / "layouts.pdf"
    path.write_bytes(build_pdf(pages))
    sizes = []
    for page in pages:  # displayed size from the file's boxes, independently of the code
        x0, y0, x1, y1 = visible_box(page)
        w, h = x1 - x0, y1 - y0
        sizes.append((h, w) if page.rotate % 180 else (w, h))
    fields = [
        {
            "recipientIndex": 0,
            "type": "signature",
            "page": n + 1,
            "x": 13.5 + 7 * n,
            "y": h - 60 - 5 * n,
            "width": 90,
            "height": 30,
        }
        for n, (_, h) in enumerate(sizes)
    ]
    spec = RequestSpec.from_json(
        {**SPEC_JSON, "recipients": SPEC_JSON["recipients"][:1], "fields": fields}
    )
    run(config(fake), lambda p: p.create(new_request(spec), check_pdf(path), "k"))
    sent = sent_dto(fake)["parties"][0]["fields"]
    assert len(sent) == len(pages)
    for n, (placed, field) in enumerate(zip(fields, sent, strict=True)):
        w, h = sizes[n]
        assert field["page"] == n
        assert field["x"] / 100 * w == pytest.approx(placed["x"], abs=0.5)
        assert field["y"] / 100 * h == pytest.approx(placed["y"], abs=0.5)
        assert field["width"] / 100 * w == pytest.approx(90, abs=0.5)
        assert field["height"] / 100 * h == pytest.approx(30, abs=0.5)


# --- lifecycle ---------------------------------------------------------------------------------


STATES: list[tuple[str, list[tuple[str, int | None]], Status]] = [
    ("pending", [], Status.SENT),
    ("draft", [("draft", None)], Status.SENT),
    ("viewed", [("viewed", 1)], Status.VIEWED),
    ("one signed", [("signed", 0)], Status.VIEWED),
    ("completed", [("signed", 0), ("signed", 1)], Status.COMPLETED),
    ("completed at once", [("completed", None)], Status.COMPLETED),
    ("declined", [("viewed", 0), ("declined", 1)], Status.DECLINED),
    ("expired", [("viewed", 0), ("expired", None)], Status.EXPIRED),
    ("cancelled", [("cancelled", None)], Status.CANCELLED),
]


@pytest.mark.parametrize(
    ("steps", "expected"), [(s, e) for _, s, e in STATES], ids=[name for name, _, _ in STATES]
)
def test_every_state_maps_with_recipient_times(
    fake: SayPdfFake, pdf: Path, steps: list[tuple[str, int | None]], expected: Status
) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    for state, index in steps:
        fake.advance(request.provider_id, state, index)
    report = run(config(fake), lambda p: p.refresh(request))

    assert report.status == expected
    assert report.provider_id == request.provider_id
    doc = fake.document(request.provider_id)
    assert report.payload == {"success": True, "document": doc}
    assert [r.index for r in report.recipients] == [0, 1]
    for rec, party in zip(report.recipients, doc["parties"], strict=True):
        assert rec.provider_recipient_id == party["id"]
        assert rec.viewed_at == when(party["viewedAt"])
        assert rec.signed_at == when(party["signedAt"])
        assert rec.declined_at == when(party["declinedAt"])
        assert rec.decline_reason == party["declineReason"]
    if expected == Status.COMPLETED:
        assert report.completed_at == when(doc["completedAt"])
        assert all(r.signed_at is not None for r in report.recipients)
    else:
        assert report.completed_at is None
    if expected == Status.DECLINED:
        assert report.error_message == f"Bob Roe declined to sign: {DECLINE_REASON}"
        assert report.recipients[1].decline_reason == DECLINE_REASON
    if expected == Status.EXPIRED:
        assert report.error_message is not None and "expired" in report.error_message


def test_recipients_mapped_by_email_then_position(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    fake.advance(request.provider_id, "signed", 1)
    with fake.lock:  # SayPDF lists Bob first, with his email in another case
        parties = fake.documents[request.provider_id]["parties"]
        parties.reverse()
        parties[0]["email"] = "bob@example.COM"
    report = run(config(fake), lambda p: p.refresh(request))
    bob = fake.document(request.provider_id)["parties"][0]
    assert [r.index for r in report.recipients] == [0, 1]
    assert report.recipients[1].provider_recipient_id == bob["id"]
    assert report.recipients[1].signed_at == when(bob["signedAt"])
    assert report.recipients[0].signed_at is None

    with fake.lock:  # an email SayPDF rewrote: the position decides
        fake.documents[request.provider_id]["parties"][1]["email"] = "jane+alias@example.com"
    report = run(config(fake), lambda p: p.refresh(request))
    assert [r.index for r in report.recipients] == [0, 1]


def test_party_status_without_times_counts_from_now(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    with fake.lock:
        fake.documents[request.provider_id]["parties"][0]["status"] = "signed"
    report = run(config(fake), lambda p: p.refresh(request))
    assert report.status == Status.VIEWED
    assert report.recipients[0].signed_at is not None
    assert report.recipients[0].viewed_at is not None
    assert report.recipients[1].signed_at is None


def test_unknown_document_status_is_a_bad_response(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    with fake.lock:
        fake.documents[request.provider_id]["status"] = "archived"
    with pytest.raises(BadResponseError, match="unknown document status 'archived'"):
        run(config(fake), lambda p: p.refresh(request))


def test_refresh_without_provider_id_is_refused(fake: SayPdfFake) -> None:
    with pytest.raises(UserError, match="no SayPDF document id"):
        run(config(fake), lambda p: p.refresh(new_request()))
    assert fake.received == []


def test_list_documents(fake: SayPdfFake, pdf: Path) -> None:
    first = created(fake, pdf)
    documents = run(config(fake), lambda p: p.list_documents())
    assert [d["id"] for d in documents] == [first.provider_id]
    assert fake.requests_to("GET", "/esign/documents")


# --- cancel, download, certificate -------------------------------------------------------------


@pytest.mark.parametrize("returns_document", [True, False])
def test_cancel(pdf: Path, returns_document: bool) -> None:
    server = SayPdfFake(cancel_returns_document=returns_document)
    server.start()
    try:
        request = created(server, pdf)
        report = run(config(server), lambda p: p.cancel(request, "Wrong version attached"))
        assert report.status == Status.CANCELLED
        assert report.error_message == "Wrong version attached"
        assert report.provider_id == request.provider_id
        assert [r.index for r in report.recipients] == [0, 1]
        (post,) = server.requests_to("POST", f"/esign/documents/{request.provider_id}/cancel")
        assert post.header("x-api-key") == server.api_key
        assert post.body == b""
        assert server.document(str(request.provider_id))["status"] == "cancelled"
        with pytest.raises(ConflictError, match="only a request still waiting"):
            run(config(server), lambda p: p.cancel(request, None))
    finally:
        server.stop()


def test_cancel_completed_is_a_conflict(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    fake.advance(request.provider_id, "completed")
    with pytest.raises(ConflictError, match="Only pending documents can be cancelled"):
        run(config(fake), lambda p: p.cancel(request, "too late"))


def test_download_and_certificate(fake: SayPdfFake, pdf: Path, tmp_path: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    signed, certificate = tmp_path / "signed.pdf", tmp_path / "certificate.pdf"

    with pytest.raises(ConflictError, match="no signed PDF"):
        run(config(fake), lambda p: p.download_signed(request, signed))
    with pytest.raises(ConflictError, match="no certificate"):
        run(config(fake), lambda p: p.download_certificate(request, certificate))
    assert not signed.exists() and not certificate.exists()

    fake.advance(request.provider_id, "completed")

    async def both(provider: SayPdfProvider) -> None:
        await provider.download_signed(request, signed)
        await provider.download_certificate(request, certificate)

    run(config(fake), both)
    assert signed.read_bytes() == fake.signed_pdfs[request.provider_id]
    assert certificate.read_bytes() == fake.certificates[request.provider_id]
    assert check_pdf(signed).page_count == 3
    (get,) = fake.requests_to("GET", f"/esign/documents/{request.provider_id}/certificate")[-1:]
    assert get.header("x-api-key") == fake.api_key


# --- errors, retries, ambiguity ----------------------------------------------------------------


CASES = SayPdfFake().documented_errors()


@pytest.mark.parametrize(
    "case_index",
    range(len(CASES)),
    ids=[f"{c.operation}-{c.response.status}-{c.expected}" for c in CASES],
)
def test_documented_errors(
    fake: SayPdfFake, pdf: Path, tmp_path: Path, sleeps: Sleeps, case_index: int
) -> None:
    case = fake.documented_errors()[case_index]
    request = new_request() if case.operation == "create" else created(fake, pdf)
    fake.fail_next(case.method, case.path, case.response, count=10)
    dest = tmp_path / "out.pdf"
    operations: dict[str, Callable[[SayPdfProvider], Awaitable[object]]] = {
        "create": lambda p: p.create(request, check_pdf(pdf), "k"),
        "refresh": lambda p: p.refresh(request),
        "cancel": lambda p: p.cancel(request, None),
        "download": lambda p: p.download_signed(request, dest),
        "certificate": lambda p: p.download_certificate(request, dest),
    }
    with pytest.raises(SealboxError) as caught:
        run(config(fake, sleeps), operations[case.operation])
    expected = getattr(app.providers.errors, case.expected, None) or getattr(
        app.errors, case.expected
    )
    assert type(caught.value) is expected, caught.value
    assert case.message in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert not dest.exists()


def test_retry_after_on_429_create_is_honoured(fake: SayPdfFake, pdf: Path, sleeps: Sleeps) -> None:
    fake.rate_limit_next(7)
    report = run(config(fake, sleeps), lambda p: p.create(new_request(), check_pdf(pdf), "k"))
    assert sleeps.delays == [7.0]
    assert len(fake.requests_to("POST", "/esign/documents")) == 2
    assert fake.envelope_ids() == [report.provider_id]


def test_retry_after_on_429_refresh_is_honoured(
    fake: SayPdfFake, pdf: Path, sleeps: Sleeps
) -> None:
    request = created(fake, pdf)
    fake.rate_limit_next(2)
    fake.rate_limit_next(3)
    report = run(config(fake, sleeps), lambda p: p.refresh(request))
    assert report.status == Status.SENT
    assert sleeps.delays == [2.0, 3.0]


def test_retry_after_on_503_is_honoured(fake: SayPdfFake, pdf: Path, sleeps: Sleeps) -> None:
    request = created(fake, pdf)
    fake.fail_next(
        "GET",
        "/esign/documents/[^/]+",
        json_response(
            503, {"statusCode": 503, "message": "Service Unavailable"}, {"Retry-After": "4"}
        ),
    )
    report = run(config(fake, sleeps), lambda p: p.refresh(request))
    assert report.status == Status.SENT
    assert sleeps.delays == [4.0]


def test_ambiguous_create_then_reconcile(fake: SayPdfFake, pdf: Path, sleeps: Sleeps) -> None:
    fake.fail_next("POST", "/esign/documents", FakeResponse(drop=True), after=True)
    request = new_request()
    with pytest.raises(AmbiguousSendError, match="connection to SayPDF was lost"):
        run(config(fake, sleeps), lambda p: p.create(request, check_pdf(pdf), "k"))
    assert len(fake.envelope_ids()) == 1  # it did arrive
    assert len(fake.requests_to("POST", "/esign/documents")) == 1  # and was not sent again
    with pytest.raises(CapabilityError, match="check the SayPDF dashboard"):
        run(config(fake, sleeps), lambda p: p.reconcile(request))
    assert CAPABILITIES.idempotency is False


def test_answer_that_is_not_json_is_a_bad_response(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    fake.fail_next("GET", "/esign/documents/[^/]+", FakeResponse(200, b"<html>oops</html>"))
    with pytest.raises(BadResponseError, match="not JSON"):
        run(config(fake), lambda p: p.refresh(request))
    fake.fail_next("GET", "/esign/documents/[^/]+", json_response(200, {"document": {}}))
    with pytest.raises(BadResponseError, match='"success": true'):
        run(config(fake), lambda p: p.refresh(request))


def test_download_that_is_not_a_pdf_is_refused(fake: SayPdfFake, pdf: Path, tmp_path: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    fake.advance(request.provider_id, "completed")
    fake.fail_next("GET", "/esign/documents/[^/]+/download", json_response(200, {"success": True}))
    dest = tmp_path / "signed.pdf"
    with pytest.raises(BadResponseError, match="not a PDF"):
        run(config(fake), lambda p: p.download_signed(request, dest))
    assert not dest.exists()


# --- the JWT mode ------------------------------------------------------------------------------


def jwt_config(fake: SayPdfFake, password: str | None = None) -> ProviderConfig:
    return config(fake, credentials={"email": fake.email, "password": password or fake.password})


def test_jwt_login_mode(fake: SayPdfFake, pdf: Path) -> None:
    request = new_request()
    report = run(jwt_config(fake), lambda p: p.create(request, check_pdf(pdf), "k"))
    (login,) = fake.requests_to("POST", "/auth/login")
    assert login.json() == {"email": fake.email, "password": fake.password}
    assert login.header("authorization") is None
    (post,) = fake.requests_to("POST", "/esign/documents")
    token = (post.header("authorization") or "").removeprefix("Bearer ")
    assert token in fake.tokens
    assert post.header("x-api-key") is None
    assert report.status == Status.SENT
    assert report.provider_id == fake.envelope_ids()[0]  # read from the {"document": …} shape
    assert report.recipients == ()

    request.provider_id = report.provider_id
    fake.expire_tokens()  # the JWT runs out: one 401, a new sign-in, the call again
    again = run(jwt_config(fake), lambda p: p.refresh(request))
    assert again.status == Status.SENT
    assert fake.logins == 2


def test_jwt_renews_after_401_within_one_provider(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)

    async def twice(provider: SayPdfProvider) -> Report:
        await provider.refresh(request)
        fake.expire_tokens()
        return await provider.refresh(request)

    assert run(jwt_config(fake), twice).status == Status.SENT
    assert fake.logins == 2
    gets = fake.requests_to("GET", "/esign/documents/[^/]+")
    assert len(gets) == 3  # ok, 401, ok


def test_jwt_wrong_password(fake: SayPdfFake, pdf: Path) -> None:
    with pytest.raises(AuthenticationError, match="SEALBOX_SAYPDF_PASSWORD"):
        run(jwt_config(fake, "wrong"), lambda p: p.create(new_request(), check_pdf(pdf), "k"))
    assert fake.envelope_ids() == []


# --- configuration and preflight ---------------------------------------------------------------


def problem_of(cfg: ProviderConfig) -> str | None:
    provider = SayPdfProvider(cfg)
    try:
        return provider.configuration_problem()
    finally:
        asyncio.run(provider.aclose())


def test_configuration_problem() -> None:
    assert problem_of(config(None, credentials={"api_key": "k"})) is None
    assert problem_of(config(None, credentials={"email": "a@b.co", "password": "p"})) is None
    assert problem_of(config(None, credentials={})) == (
        "SayPDF needs an API key: run `sealbox login saypdf` or set SEALBOX_SAYPDF_API_KEY."
    )
    half = problem_of(config(None, credentials={"email": "a@b.co"}))
    assert half is not None and "SEALBOX_SAYPDF_PASSWORD" in half
    no_sender = problem_of(config(None, credentials={"api_key": "k"}, sender=(None, None)))
    assert no_sender is not None
    assert "SEALBOX_SENDER_EMAIL" in no_sender and "SEALBOX_SENDER_NAME" in no_sender
    bad_sender = problem_of(
        config(None, credentials={"api_key": "k"}, sender=("A", "not-an-email"))
    )
    assert bad_sender is not None and "not an email address" in bad_sender
    bad_url = problem_of(config(None, credentials={"api_key": "k"}, base_url="ftp://x"))
    assert bad_url is not None and "SEALBOX_SAYPDF_BASE_URL" in bad_url


def test_create_refused_when_not_configured(fake: SayPdfFake, pdf: Path) -> None:
    with pytest.raises(UserError, match="SEALBOX_SENDER_EMAIL"):
        run(
            config(fake, sender=("A", None)), lambda p: p.create(new_request(), check_pdf(pdf), "k")
        )
    assert fake.received == []


def test_default_base_urls() -> None:
    api = SayPdfProvider(config(None, credentials={"api_key": "k"}))
    jwt = SayPdfProvider(config(None, credentials={"email": "a@b.co", "password": "p"}))
    try:
        assert api.base_url == DEFAULT_BASE_URL == "https://api.saypdf.com/api/v1"
        assert (
            str(api.http.url("esign/documents")) == "https://api.saypdf.com/api/v1/esign/documents"
        )
        assert jwt.base_url == LOGIN_BASE_URL == "https://pdf.classicmovie.net/api"
        assert str(jwt.http.url("auth/login")) == "https://pdf.classicmovie.net/api/auth/login"
    finally:
        asyncio.run(api.aclose())
        asyncio.run(jwt.aclose())


def test_preflight(pdf: Path) -> None:
    info = check_pdf(pdf)
    provider = SayPdfProvider(config(None, credentials={"api_key": "k"}))
    try:
        assert provider.preflight(SPEC, info) == []
        anchored = RequestSpec.from_json(
            {
                **SPEC_JSON,
                "fields": SPEC_JSON["fields"][:1],
                "anchorTags": [
                    {"anchorString": "{{sign}}", "type": "signature", "recipientIndex": 1}
                ],
            }
        )
        assert provider.preflight(anchored, info) == []
        bad = RequestSpec.from_json(
            {
                **SPEC_JSON,
                "recipients": [
                    *SPEC_JSON["recipients"],
                    {
                        "firstName": "Carl",
                        "lastName": "Cc",
                        "email": "c@example.com",
                        "designation": "CC",
                        "order": 3,
                    },
                    {
                        "firstName": "Ann",
                        "lastName": "Approver",
                        "email": "a@example.com",
                        "designation": "Approver",
                        "order": 4,
                    },
                    {
                        "firstName": "Dan",
                        "lastName": "Idle",
                        "email": "d@example.com",
                        "designation": "Signer",
                        "order": 5,
                    },
                ],
                "fields": [
                    *SPEC_JSON["fields"],
                    {
                        "recipientIndex": 0,
                        "type": "checkbox",
                        "page": 1,
                        "x": 1,
                        "y": 1,
                        "width": 10,
                        "height": 10,
                    },
                    {
                        "recipientIndex": 0,
                        "type": "text",
                        "page": 1,
                        "x": 1,
                        "y": 1,
                        "width": 10,
                        "height": 10,
                        "required": False,
                    },
                ],
                "anchorTags": [{"anchorString": "{{x}}", "type": "checkbox", "recipientIndex": 0}],
            }
        )
        problems = provider.preflight(bad, info)
        assert any(p.startswith("fields[4].type: SayPDF cannot take checkbox") for p in problems)
        assert any(p.startswith("fields[5].required:") for p in problems)
        assert any(
            p.startswith("anchorTags[0].type: SayPDF cannot take checkbox") for p in problems
        )
        assert any(
            p.startswith("recipients[2].designation: SayPDF has only signers, no CC")
            for p in problems
        )
        assert any(
            p.startswith("recipients[3].designation: SayPDF has only signers, no Approver")
            for p in problems
        )
        assert any(p.startswith("recipients[4]: SayPDF needs at least one field") for p in problems)
        assert len(problems) == 6
    finally:
        asyncio.run(provider.aclose())


def test_capabilities() -> None:
    assert CAPABILITIES.summary() == {
        "fieldTypes": ["date", "initials", "signature", "text"],
        "anchors": "local",
        "cancel": True,
        "certificate": True,
        "list": True,
        "webhooks": True,
        "idempotency": False,
        "maxBytes": 20 * 1024 * 1024,
        "inPerson": False,
        "needsRenderId": False,
        "existingSignatures": "broken",
        "message": True,
        "fieldLabels": False,
    }


# --- the fake itself is strict ------------------------------------------------------------------


def test_fake_refuses_what_breaks_the_document(fake: SayPdfFake, pdf: Path) -> None:
    data: dict[str, Any] = {
        "title": "T",
        "ownerEmail": "o@example.com",
        "parties": [
            {
                "name": "N",
                "email": "n@example.com",
                "fields": [
                    {"type": "signature", "page": 0, "x": 1, "y": 1, "width": 5, "height": 5}
                ],
            }
        ],
    }
    key = {"X-API-Key": fake.api_key}
    with httpx.Client(base_url=fake.url) as client:

        def post(part: str, dto: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
            return client.post(
                "/esign/documents",
                headers=headers,
                data={"data": json.dumps(dto)},
                files={part: ("c.pdf", pdf.read_bytes(), "application/pdf")},
            )

        assert post("pdf", data, key).status_code == 201
        assert post("pdf", data, {}).status_code == 401
        wrong_part = post("file", data, key)
        assert wrong_part.status_code == 400
        assert wrong_part.json()["message"] == "Unexpected field - file"
        one_based = copy.deepcopy(data)
        one_based["parties"][0]["fields"][0]["page"] = 3
        answer = post("pdf", one_based, key)
        assert answer.status_code == 400
        assert answer.json()["message"] == ["parties.0.fields.0.page must not be greater than 2"]
        points = copy.deepcopy(data)
        points["parties"][0]["fields"][0].update(x=300, required=True)
        assert post("pdf", points, key).json()["message"] == [
            "parties.0.fields.0.property required should not exist",
            "parties.0.fields.0.x must not be greater than 100",
        ]
        assert client.get("/esign/documents/nope", headers=key).status_code == 404


# --- webhooks ----------------------------------------------------------------------------------


def test_webhook_verified(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    fake.advance(request.provider_id, "completed")
    headers, body = fake.webhook("document.completed", request.provider_id, "s3cret")
    event = parse_webhook(headers, body, "s3cret", 0.0)
    assert event.provider == "saypdf"
    assert event.provider_request_id == request.provider_id
    assert event.event == "document.completed"
    assert event.delivery_id == hashlib.sha256(body).hexdigest()
    assert event.payload["data"] == fake.document(request.provider_id)
    lower = {k.lower(): v for k, v in headers.items()}
    assert parse_webhook(lower, body, "s3cret", 1e12).delivery_id == event.delivery_id
    upper = {"X-SAYPDF-SIGNATURE": headers["X-SayPDF-Signature"].upper()}
    assert parse_webhook(upper, body, "s3cret", 0.0).event == "document.completed"


def test_webhook_rejected(fake: SayPdfFake, pdf: Path) -> None:
    request = created(fake, pdf)
    assert request.provider_id is not None
    headers, body = fake.webhook("party.viewed", request.provider_id, "s3cret")
    signature = headers["X-SayPDF-Signature"]
    with pytest.raises(WebhookRejected):
        parse_webhook(headers, body, "other", 0.0)
    with pytest.raises(WebhookRejected):
        parse_webhook(headers, body + b" ", "s3cret", 0.0)
    with pytest.raises(WebhookRejected):
        parse_webhook({}, body, "s3cret", 0.0)
    with pytest.raises(WebhookRejected):
        parse_webhook({"X-SayPDF-Signature": "sha256=" + signature}, body, "s3cret", 0.0)
    with pytest.raises(WebhookRejected):
        parse_webhook(headers, body, "", 0.0)
    for bad in (b"not json", b"[1, 2]", b'{"documentId": "x"}', b'{"event": "party.signed"}'):
        sig = hmac.new(b"s3cret", bad, "sha256").hexdigest()
        with pytest.raises(WebhookRejected):
            parse_webhook({"X-SayPDF-Signature": sig}, bad, "s3cret", 0.0)


# --- untrusted answers: only typed errors come out ---------------------------------------------


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)
DATES = (
    st.sampled_from(
        [
            "2026-04-08T12:00:00.000Z",
            "2026-04-08",
            "not a date",
            "",
            "2026-13-45T99:00:00Z",
            "9999-12-31T23:59:59+14:00",
        ]
    )
    | JSON
)
STATUS = (
    st.sampled_from(
        ["draft", "pending", "completed", "declined", "expired", "cancelled", "viewed", "PENDING"]
    )
    | JSON
)
PARTY = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.uuids().map(str),
        "email": st.sampled_from(["jane@example.com", "BOB@example.com", "x@y.z"]) | JSON,
        "status": st.sampled_from(["pending", "viewed", "signed", "declined"]) | JSON,
        "viewedAt": DATES,
        "signedAt": DATES,
        "declinedAt": DATES,
        "declineReason": JSON,
    },
)
PARTIES = st.lists(PARTY | JSON, max_size=4) | JSON
DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | JSON,
        "status": STATUS,
        "parties": PARTIES,
        "completedAt": DATES,
    },
)
SUCCESS = st.just(True) | JSON
ANSWERS = (
    JSON
    | st.fixed_dictionaries({"success": SUCCESS}, optional={"document": DOCUMENT | JSON})
    | st.fixed_dictionaries(
        {"success": SUCCESS},
        optional={"documentId": st.uuids().map(str) | JSON, "status": STATUS, "parties": PARTIES},
    )
    | st.fixed_dictionaries(
        {"success": SUCCESS}, optional={"documents": st.lists(DOCUMENT | JSON, max_size=3) | JSON}
    )
    | st.fixed_dictionaries({}, optional={"access_token": st.text(max_size=20) | JSON})
)


@settings(max_examples=200, deadline=None)
@given(ANSWERS)
def test_parsers_raise_only_typed_errors(data: Any) -> None:
    parsers: list[Callable[[Any], object]] = [
        lambda d: report_from_document(d, SPEC),
        lambda d: report_from_create(d, SPEC),
        documents_from_list,
        token_from_login,
    ]
    for parse in parsers:
        try:
            result = parse(data)
        except SealboxError:
            continue
        if isinstance(result, Report):
            assert result.status in Status
            assert all(0 <= r.index < len(SPEC.recipients) for r in result.recipients)
            assert len({r.index for r in result.recipients}) == len(result.recipients)


@settings(max_examples=100, deadline=None)
@given(JSON | ANSWERS, st.sampled_from([400, 401, 403, 404, 429, 500]))
def test_error_bodies_never_raise(data: Any, status: int) -> None:
    body = error_body(httpx.Response(status, content=json.dumps(data).encode()))
    assert body.message is None or isinstance(body.message, str)
    assert all(isinstance(i, str) for i in body.issues)


@settings(max_examples=100, deadline=None)
@given(
    JSON
    | ANSWERS
    | st.fixed_dictionaries(
        {"event": JSON | st.just("document.completed")},
        optional={"documentId": JSON | st.just("d-1"), "data": DOCUMENT | JSON},
    )
)
def test_webhook_bodies_raise_only_rejections(data: Any) -> None:
    body = json.dumps(data).encode()
    signature = hmac.new(b"k", body, "sha256").hexdigest()
    try:
        event = parse_webhook({"X-SayPDF-Signature": signature}, body, "k", 0.0)
    except WebhookRejected:
        return
    assert event.event and event.provider_request_id
