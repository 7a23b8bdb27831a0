"""ItaSign client against its fake: wire format, lifecycle, cancel, download, errors, retries."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app.errors
import app.providers.errors
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
from app.errors import CapabilityError, SealboxError
from app.pdf.document import check_pdf
from app.providers.base import ProviderConfig
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    ProviderRejectedError,
)
from app.providers.itasign.client import ItaSignProvider
from app.providers.itasign.info import CAPABILITIES, DEFAULT_BASE_URL
from app.providers.itasign.mapping import (
    STATUS_TABLE,
    create_body,
    itasign_error_body,
    parse_create_response,
    parse_status_response,
    parse_void_response,
)
from tests.fakes.base import ErrorCase, FakeResponse, json_response
from tests.fakes.itasign import DEFAULT_KEY, PREFIX, ItaSignFake
from tests.support.pdfgen import OFFSET_CROPBOX, PageSpec, TextRun, blank_page, build_pdf

T = TypeVar("T")
SEEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DOCUMENTS = f"{PREFIX}/documents"


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[ItaSignFake]:
    server = ItaSignFake()
    with server:
        yield server


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    """Three pages: plain, /Rotate 90, and a CropBox that does not start at (0, 0)."""
    path = tmp_path / "contract.pdf"
    path.write_bytes(
        build_pdf(
            [
                PageSpec(texts=[TextRun("Service agreement", 72, 100)]),
                blank_page(rotate=90),
                blank_page(cropbox=OFFSET_CROPBOX),
            ],
            title="Service agreement",
        )
    )
    return path


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_provider(
    url: str, *, key: str | None = DEFAULT_KEY, sleeps: Sleeps | None = None
) -> ItaSignProvider:
    secrets = {"api_key": key} if key is not None else {}
    config = ProviderConfig(
        provider_id="itasign",
        credential=lambda k: secrets.get(k),
        setting=lambda k: {"base_url": url}.get(k),
        sleep=sleeps or Sleeps(),
    )
    provider = ItaSignProvider(config)
    provider.clock = lambda: SEEN
    return provider


def make_spec(
    *, recipients: int = 2, message: str | None = "Please sign this agreement.", **changes: Any
) -> RequestSpec:
    people = [
        Recipient("Mario", "Rossi", "mario@example.com", Designation.SIGNER, 1),
        Recipient("Luigi", "Bianchi", "luigi@example.com", Designation.SIGNER, 2),
        Recipient("Anna", "Verdi", "anna@example.com", Designation.SIGNER, 3),
    ][:recipients]
    spec = RequestSpec(name="Service Agreement — 2025", recipients=tuple(people), message=message)
    return replace(spec, **changes)


def make_request(spec: RequestSpec | None = None) -> Request:
    return Request(
        id=str(uuid.uuid4()),
        provider="itasign",
        spec=spec or make_spec(),
        document_name="contract.pdf",
    )


def run(provider: ItaSignProvider, work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        try:
            return await work()
        finally:
            await provider.aclose()

    return asyncio.run(main())


async def created(provider: ItaSignProvider, pdf: Path, request: Request) -> Request:
    report = await provider.create(request, check_pdf(pdf), "key-1")
    request.provider_id = report.provider_id
    request.status = report.status
    return request


# --- capabilities, configuration, preflight --------------------------------------------------


def test_capabilities_are_honest() -> None:
    assert CAPABILITIES.id == "itasign"
    assert CAPABILITIES.field_types == frozenset()
    assert CAPABILITIES.anchors == "none"
    assert CAPABILITIES.cancel is True
    assert (
        CAPABILITIES.certificate,
        CAPABILITIES.list,
        CAPABILITIES.webhooks,
        CAPABILITIES.idempotency,
    ) == (False, False, False, False)
    assert CAPABILITIES.max_bytes == 20 * 1024 * 1024
    assert ItaSignProvider.capabilities is CAPABILITIES


def test_configuration_problem_names_the_fix() -> None:
    missing = make_provider(DEFAULT_BASE_URL, key=None)
    problem = missing.configuration_problem()
    assert problem == (
        "ItaSign needs an API key: run `sealbox login itasign` or set SEALBOX_ITASIGN_API_KEY."
    )
    assert make_provider(DEFAULT_BASE_URL).configuration_problem() is None
    bad = make_provider("ftp://itasign.example")
    assert "base URL" in (bad.configuration_problem() or "")

    async def nothing() -> None:
        return None

    for p in (missing, bad):
        run(p, nothing)


def test_default_base_url_is_used_without_a_setting() -> None:
    config = ProviderConfig(provider_id="itasign", credential=lambda k: "x", setting=lambda k: None)
    provider = ItaSignProvider(config)
    assert str(provider.http.url("documents")) == "https://itasign.com/api/v1/documents"
    asyncio.run(provider.aclose())


def test_missing_key_refused_before_anything_is_sent(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url, key=None)
    with pytest.raises(app.errors.UserError, match="SEALBOX_ITASIGN_API_KEY"):
        run(provider, lambda: provider.create(make_request(), check_pdf(pdf), "k"))
    assert fake.received == []


def test_preflight_refuses_fields_and_anchors_on_any_page(pdf: Path) -> None:
    info = check_pdf(pdf)
    assert info.pages[1].rotation == 90 and info.pages[2].cropbox[0] == OFFSET_CROPBOX[0]
    provider = make_provider(DEFAULT_BASE_URL)
    assert provider.preflight(make_spec(), info) == []
    fields = (
        Field(0, FieldType.SIGNATURE, 2, 72, 72, 180, 48),
        Field(1, FieldType.SIGNATURE, 3, 10, 10, 100, 40),
    )
    anchors = (AnchorTag("{{sign_here}}", FieldType.SIGNATURE, 0),)
    problems = provider.preflight(make_spec(fields=fields, anchor_tags=anchors), info)
    assert problems == [
        "fields[0]: ItaSign does not take placed fields (its signers place their own); remove "
        "the fields or choose another provider",
        "anchorTags: ItaSign does not take anchor tags; remove them or choose another provider",
    ]
    asyncio.run(provider.aclose())


def test_preflight_refuses_approvers_cc_and_large_files(pdf: Path) -> None:
    info = check_pdf(pdf)
    provider = make_provider(DEFAULT_BASE_URL)
    people = (
        Recipient("Mario", "Rossi", "mario@example.com", Designation.SIGNER, 1),
        Recipient("Ann", "Boss", "boss@example.com", Designation.APPROVER, 2),
        Recipient("Carl", "Copy", "cc@example.com", Designation.CC, 3),
    )
    problems = provider.preflight(replace(make_spec(), recipients=people), info)
    assert len(problems) == 2
    assert problems[0].startswith(
        "recipients[1].designation: ItaSign has only signers, not Approver recipients"
    )
    assert problems[1].startswith("recipients[2].designation: ItaSign has only signers, not CC")
    big = replace(info, size_bytes=CAPABILITIES.max_bytes + 1)
    assert any("over ItaSign's limit" in p for p in provider.preflight(make_spec(), big))
    asyncio.run(provider.aclose())


# --- create --------------------------------------------------------------------------------------


def test_create_sends_the_documented_wire_format(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)
    request = make_request()
    report = run(provider, lambda: provider.create(request, check_pdf(pdf), "outbox-key-1"))

    [sent] = fake.requests_to("POST", DOCUMENTS)
    assert sent.header("x-api-key") == DEFAULT_KEY
    assert (sent.header("content-type") or "").startswith("application/json")
    assert sent.header("idempotency-key") is None  # ItaSign documents none
    body = sent.json()
    assert set(body) == {
        "title",
        "file",
        "file_type",
        "signers",
        "send",
        "message",
        "external_reference",
    }
    assert body["title"] == "Service Agreement — 2025"
    assert body["file_type"] == "base64"
    assert body["send"] is True
    assert body["message"] == "Please sign this agreement."
    assert body["external_reference"] == request.id
    assert body["signers"] == [
        {"name": "Mario Rossi", "email": "mario@example.com", "signing_order": 1},
        {"name": "Luigi Bianchi", "email": "luigi@example.com", "signing_order": 2},
    ]
    # The PDF arrives byte for byte, so the rotated and the cropped page look as the user saw
    # them (signers draw where they like on ItaSign; no coordinates are sent).
    assert base64.b64decode(body["file"], validate=True) == pdf.read_bytes()

    [doc_id] = fake.envelope_ids()
    assert report.status == Status.SENT
    assert report.provider_id == doc_id
    assert [(r.index, r.provider_recipient_id) for r in report.recipients] == [
        (0, "signer-1"),
        (1, "signer-2"),
    ]
    assert report.recipients[0].signing_url == f"{fake.origin}/sign/signer-1"
    assert report.payload["document"]["id"] == doc_id
    assert fake.documents[doc_id].external_reference == request.id


def test_create_without_message_leaves_it_out(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)
    request = make_request(make_spec(message=None))
    run(provider, lambda: provider.create(request, check_pdf(pdf), "k"))
    [sent] = fake.requests_to("POST", DOCUMENTS)
    assert "message" not in sent.json()


def test_create_body_is_one_json_document_with_the_pdf_encoded_once(tmp_path: Path) -> None:
    request = make_request()
    raw = b"%PDF-1.7\n" + bytes(range(256)) * 3000  # several stream chunks
    path = tmp_path / "doc.pdf"
    path.write_bytes(raw)
    body = create_body(request, path, len(raw))

    async def streamed() -> bytes:
        return b"".join([chunk async for chunk in body])

    whole = asyncio.run(streamed())
    assert whole == body.read_all()
    assert len(whole) == body.length
    data = json.loads(whole)
    assert base64.b64decode(data["file"], validate=True) == raw
    assert data["signers"][1]["signing_order"] == 2


def test_create_left_as_draft_is_sent(fake: ItaSignFake, pdf: Path) -> None:
    fake.create_as_draft = True
    provider = make_provider(fake.url)
    report = run(provider, lambda: provider.create(make_request(), check_pdf(pdf), "k"))
    [doc_id] = fake.envelope_ids()
    [send] = fake.requests_to("POST", f"{DOCUMENTS}/{doc_id}/send")
    assert send.header("x-api-key") == DEFAULT_KEY
    assert report.status == Status.SENT and report.provider_id == doc_id
    assert fake.documents[doc_id].status == "pending"
    assert [r.provider_recipient_id for r in report.recipients] == ["signer-1", "signer-2"]


def test_create_refused_by_fake_for_bad_input(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)
    spec = replace(
        make_spec(), recipients=(Recipient("", "", "mario@example.com", Designation.SIGNER, 1),)
    )
    with pytest.raises(InvalidRequestError, match=r"signers\[0\]\.name: is required"):
        run(provider, lambda: provider.create(make_request(spec), check_pdf(pdf), "k"))
    assert fake.envelope_ids() == []


# --- lifecycle ---------------------------------------------------------------------------------


LIFECYCLE = [
    # (steps as (state, recipient), expected status)
    ([], Status.SENT),
    ([("viewed", 1)], Status.VIEWED),
    ([("signed", 0)], Status.VIEWED),  # partially_signed
    ([("signed", 0), ("signed", 1)], Status.COMPLETED),
    ([("completed", None)], Status.COMPLETED),
    ([("declined", 1)], Status.DECLINED),
    ([("expired", None)], Status.EXPIRED),
    ([("cancelled", None)], Status.CANCELLED),
    ([("draft", None)], Status.QUEUED),
    ([("pending", None)], Status.SENT),
    ([("partially_signed", None)], Status.VIEWED),
    ([("voided", None)], Status.CANCELLED),
]


@pytest.mark.parametrize(("steps", "expected"), LIFECYCLE)
def test_every_state_maps(
    fake: ItaSignFake, pdf: Path, steps: list[tuple[str, int | None]], expected: Status
) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request())
        assert request.provider_id is not None
        for state, index in steps:
            fake.advance(request.provider_id, state, index)
        return await provider.refresh(request)

    report = run(provider, work)
    assert report.status == expected
    [status_call] = fake.requests_to("GET", f"{DOCUMENTS}/[^/]+/status")
    assert status_call.header("x-api-key") == DEFAULT_KEY
    assert report.payload["success"] is True
    assert "expiresAt" in report.payload


def test_status_table_covers_the_documented_vocabulary() -> None:
    assert set(STATUS_TABLE) == {
        "draft",
        "pending",
        "partially_signed",
        "completed",
        "declined",
        "expired",
        "voided",
    }


def test_per_recipient_times(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request(make_spec(recipients=3)))
        doc_id = request.provider_id
        assert doc_id is not None
        fake.advance(doc_id, "viewed", 0)
        fake.advance(doc_id, "signed", 1)
        first = await provider.refresh(request)
        fake.advance(doc_id, "signed", 0)
        fake.advance(doc_id, "signed", 2)
        return first, await provider.refresh(request)

    first, last = run(provider, work)
    doc = next(iter(fake.documents.values()))
    times = [s.signed_time for s in doc.signers]
    assert first.status == Status.VIEWED
    by_index = {r.index: r for r in first.recipients}
    assert by_index[0].viewed_at == SEEN and by_index[0].signed_at is None
    assert by_index[1].signed_at == times[1] and by_index[1].viewed_at is None
    assert by_index[2].signed_at is None and by_index[2].viewed_at is None
    assert last.status == Status.COMPLETED
    assert [r.signed_at for r in sorted(last.recipients, key=lambda r: r.index)] == times
    assert last.completed_at == max(t for t in times if t is not None)
    assert [r.provider_recipient_id for r in last.recipients] == [
        "signer-1",
        "signer-2",
        "signer-3",
    ]


def test_decline_names_the_signer(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request())
        assert request.provider_id is not None
        fake.advance(request.provider_id, "declined", 1)
        return await provider.refresh(request)

    report = run(provider, work)
    assert report.status == Status.DECLINED
    assert report.error_message == "Luigi Bianchi declined to sign on ItaSign."
    by_index = {r.index: r for r in report.recipients}
    assert by_index[1].declined_at == SEEN and by_index[0].declined_at is None


def test_signers_are_matched_by_email_then_position(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request(make_spec(recipients=3)))
        fake.fail_next(
            "GET",
            f"{DOCUMENTS}/[^/]+/status",
            json_response(
                200,
                {
                    "success": True,
                    "documentId": request.provider_id,
                    "status": "partially_signed",
                    "signerStatuses": [
                        {
                            "id": "s-anna",
                            "name": "Anna Verdi",
                            "email": "ANNA@example.com",
                            "status": "signed",
                            "signingOrder": 3,
                            "signedTime": "2025-12-26T10:00:00Z",
                        },
                        {
                            "id": "s-phone",
                            "name": "Luigi Bianchi",
                            "phone_number": "3331234567",
                            "country_code": "+39",
                            "status": "viewed",
                            "signingOrder": 2,
                        },
                        {
                            "id": "s-mario",
                            "name": "Mario Rossi",
                            "email": "mario@example.com",
                            "status": "pending",
                            "signingOrder": 1,
                        },
                    ],
                    "createdAt": "2025-12-26T09:00:00Z",
                    "expiresAt": "2025-12-27T09:00:00Z",
                },
            ),
        )
        return await provider.refresh(request)

    report = run(provider, work)
    ids = {r.index: r.provider_recipient_id for r in report.recipients}
    assert ids == {2: "s-anna", 1: "s-phone", 0: "s-mario"}
    by_index = {r.index: r for r in report.recipients}
    assert by_index[2].signed_at == datetime(2025, 12, 26, 10, tzinfo=UTC)
    assert by_index[1].viewed_at == SEEN


def test_refresh_needs_a_document_id() -> None:
    provider = make_provider(DEFAULT_BASE_URL)
    with pytest.raises(app.errors.UserError, match="sealbox sync"):
        run(provider, lambda: provider.refresh(make_request()))


# --- cancel, download, certificate ------------------------------------------------------------


def test_cancel_voids_with_the_reason(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request())
        return request, await provider.cancel(request, "Document no longer needed")

    request, report = run(provider, work)
    [void] = fake.requests_to("POST", f"{DOCUMENTS}/[^/]+/void")
    assert void.path == f"{DOCUMENTS}/{request.provider_id}/void"
    assert void.header("x-api-key") == DEFAULT_KEY
    assert void.json() == {"reason": "Document no longer needed"}
    assert report.status == Status.CANCELLED
    assert report.error_message == "Document no longer needed"
    assert report.completed_at == fake.documents[str(request.provider_id)].voided_at
    doc = fake.documents[str(request.provider_id)]
    assert (doc.status, doc.void_reason) == ("voided", "Document no longer needed")


def test_cancel_without_reason_and_after_completion(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        first = await created(provider, pdf, make_request())
        report = await provider.cancel(first, None)
        second = await created(provider, pdf, make_request())
        assert second.provider_id is not None
        fake.advance(second.provider_id, "completed")
        with pytest.raises(ConflictError, match="can no longer be voided"):
            await provider.cancel(second, "too late")
        return report

    report = run(provider, work)
    assert fake.requests_to("POST", f"{DOCUMENTS}/[^/]+/void")[0].json() == {}
    assert report.status == Status.CANCELLED and report.error_message


def test_download_signed_pades(fake: ItaSignFake, pdf: Path, tmp_path: Path) -> None:
    provider = make_provider(fake.url)
    dest = tmp_path / "out" / "signed.pdf"
    dest.parent.mkdir()

    async def work() -> None:
        request = await created(provider, pdf, make_request())
        assert request.provider_id is not None
        fake.advance(request.provider_id, "completed")
        await provider.download_signed(request, dest)

    run(provider, work)
    assert dest.read_bytes() == fake.signed_pdf
    [get] = fake.requests_to("GET", f"{DOCUMENTS}/[^/]+/download")
    assert get.query == {"format": ["pades"]}
    assert get.header("x-api-key") == DEFAULT_KEY


def test_download_before_completion_is_a_conflict(
    fake: ItaSignFake, pdf: Path, tmp_path: Path
) -> None:
    provider = make_provider(fake.url)
    dest = tmp_path / "signed.pdf"

    async def work() -> None:
        request = await created(provider, pdf, make_request())
        await provider.download_signed(request, dest)

    with pytest.raises(ConflictError, match="only available for completed documents"):
        run(provider, work)
    assert not dest.exists()


def test_no_certificate(fake: ItaSignFake, tmp_path: Path) -> None:
    provider = make_provider(fake.url)
    request = make_request()
    request.provider_id = "doc-0001"
    with pytest.raises(CapabilityError, match="completion certificate"):
        run(provider, lambda: provider.download_certificate(request, tmp_path / "c.pdf"))
    assert fake.received == []


# --- errors ------------------------------------------------------------------------------------


def _error_class(name: str) -> type[BaseException]:
    cls = getattr(app.providers.errors, name, None) or getattr(app.errors, name)
    assert isinstance(cls, type) and issubclass(cls, BaseException)
    return cls


def test_every_documented_error_maps(fake: ItaSignFake, pdf: Path, tmp_path: Path) -> None:
    cases = fake.documented_errors()
    assert {c.operation for c in cases} == {"create", "refresh", "cancel", "download"}
    provider = make_provider(fake.url)

    async def one(case: ErrorCase, request: Request) -> None:
        fake.fail_next(case.method, case.path, case.response)
        operations: dict[str, Callable[[], Awaitable[Any]]] = {
            "create": lambda: provider.create(make_request(), check_pdf(pdf), "k"),
            "refresh": lambda: provider.refresh(request),
            "cancel": lambda: provider.cancel(request, "reason"),
            "download": lambda: provider.download_signed(request, tmp_path / "x.pdf"),
        }
        with pytest.raises(_error_class(case.expected)) as info:
            await operations[case.operation]()
        assert case.message in str(info.value), (case, str(info.value))
        assert fake.faults[-1].count == 0  # the fault was used, by exactly one call

    async def work() -> None:
        request = await created(provider, pdf, make_request())
        for case in cases:
            await one(case, request)

    run(provider, work)


def test_wrong_key_is_refused_by_the_fake(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url, key="itasign_wrong")
    with pytest.raises(AuthenticationError) as info:
        run(provider, lambda: provider.create(make_request(), check_pdf(pdf), "k"))
    assert "Invalid or missing API key" in str(info.value)
    assert "sealbox login itasign" in str(info.value)


def test_success_false_is_a_refusal() -> None:
    with pytest.raises(ProviderRejectedError, match="quota reached"):
        parse_create_response({"success": False, "error": "quota reached"}, make_spec())


def test_fake_rejects_requests_that_break_the_document(fake: ItaSignFake, pdf: Path) -> None:
    good = {
        "title": "T",
        "file": base64.b64encode(pdf.read_bytes()).decode(),
        "signers": [{"name": "Mario Rossi", "email": "mario@example.com"}],
        "send": True,
    }
    key = {"X-API-Key": DEFAULT_KEY}
    with httpx.Client(base_url=fake.url) as client:
        assert client.post("/documents", json=good).status_code == 401
        wrong = [
            {**good, "name": "T"},
            {k: v for k, v in good.items() if k != "title"},
            {**good, "file": "not base64!"},
            {**good, "file": base64.b64encode(b"GIF89a").decode()},
            {**good, "signers": []},
            {**good, "signers": [{"name": "M", "email": "m@example.com", "page": 0}]},
            {**good, "signers": [{"name": "M", "phone_number": "333"}]},
            {**good, "fields": [{"page": 1, "x": 1, "y": 1}]},
            {**good, "signature_level": "qes"},
        ]
        for body in wrong:
            answer = client.post("/documents", json=body, headers=key)
            assert answer.status_code == 400, body
            assert answer.json()["success"] is False and answer.json()["details"]
        assert client.post("/documents", content=b"title=T", headers=key).status_code == 400
        created_answer = client.post("/documents", json=good, headers=key)
        assert created_answer.status_code == 201
        doc_id = created_answer.json()["document"]["id"]
        assert client.get(f"/documents/{doc_id}/status").status_code == 401
        assert (
            client.get(
                f"/documents/{doc_id}/download", params={"format": "pdf"}, headers=key
            ).status_code
            == 400
        )
        assert (
            client.post(f"/documents/{doc_id}/void", json={"why": "x"}, headers=key).status_code
            == 400
        )
        assert client.get("/documents/nope/status", headers=key).status_code == 404
        assert client.post(f"/documents/{doc_id}/send", headers=key).status_code == 409
        fake.advance(doc_id, "completed")
        cades = client.get(f"/documents/{doc_id}/download", params={"format": "cades"}, headers=key)
        assert cades.headers["content-type"] == "application/x-pkcs7-mime"
        assert client.get("/templates", headers=key).json()["templates"][0]["slug"] == (
            "privacy-consent"
        )
        template = client.post(
            "/documents/from-template",
            headers=key,
            json={
                "template_slug": "privacy-consent",
                "signers": [
                    {
                        "role": "patient",
                        "name": "Mario Rossi",
                        "phone_number": "3401234567",
                        "country_code": "+39",
                    }
                ],
            },
        )
        assert template.status_code == 201, template.text


# --- retries and ambiguous sends --------------------------------------------------------------


def test_retry_after_is_honoured_on_503_and_429(fake: ItaSignFake, pdf: Path) -> None:
    sleeps = Sleeps()
    provider = make_provider(fake.url, sleeps=sleeps)

    async def work() -> Any:
        fake.fail_next(
            "POST",
            DOCUMENTS,
            json_response(
                429, {"success": False, "error": "Too many requests"}, {"Retry-After": "3"}
            ),
        )
        request = await created(provider, pdf, make_request())
        fake.fail_next(
            "GET",
            f"{DOCUMENTS}/[^/]+/status",
            json_response(503, {"success": False, "error": "Maintenance"}, {"Retry-After": "7"}),
        )
        return await provider.refresh(request)

    report = run(provider, work)
    assert sleeps.delays == [3.0, 7.0]
    assert report.status == Status.SENT
    assert len(fake.requests_to("POST", DOCUMENTS)) == 2  # the 429 was not processed
    assert len(fake.envelope_ids()) == 1


def test_ambiguous_create_then_reconcile(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)
    request = make_request()

    async def work() -> Any:
        fake.fail_next("POST", DOCUMENTS, FakeResponse(drop=True), after=True)
        with pytest.raises(AmbiguousSendError):
            await provider.create(request, check_pdf(pdf), "k")
        # ItaSign has no lookup by external_reference: Sealbox cannot tell on its own.
        with pytest.raises(CapabilityError, match="external reference"):
            await provider.reconcile(request)
        # Once the document id is known (found by the user), reconcile reads its status.
        request.provider_id = fake.envelope_ids()[0]
        return await provider.reconcile(request)

    report = run(provider, work)
    assert len(fake.requests_to("POST", DOCUMENTS)) == 1  # never sent twice
    assert len(fake.envelope_ids()) == 1
    assert report is not None and report.status == Status.SENT


def test_unreadable_create_answer_is_ambiguous(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)
    fake.fail_next(
        "POST", DOCUMENTS, json_response(201, {"success": True, "document": {}}), after=True
    )
    with pytest.raises(AmbiguousSendError, match="Look for it on ItaSign"):
        run(provider, lambda: provider.create(make_request(), check_pdf(pdf), "k"))
    assert len(fake.envelope_ids()) == 1


def test_status_of_another_document_is_refused(fake: ItaSignFake, pdf: Path) -> None:
    provider = make_provider(fake.url)

    async def work() -> Any:
        request = await created(provider, pdf, make_request())
        fake.fail_next(
            "GET",
            f"{DOCUMENTS}/[^/]+/status",
            json_response(
                200,
                {
                    "success": True,
                    "documentId": "other",
                    "status": "completed",
                    "signerStatuses": [],
                },
            ),
        )
        return await provider.refresh(request)

    with pytest.raises(app.providers.errors.BadResponseError, match="another document"):
        run(provider, work)


# --- untrusted responses -----------------------------------------------------------------------


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
statuses = (
    st.sampled_from([*STATUS_TABLE, "signed", "viewed", "notified", "pending", "declined"])
    | json_values
)
signer = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(max_size=8),
        "name": json_values | st.text(max_size=8),
        "email": st.sampled_from(["mario@example.com", "LUIGI@example.com"]) | json_values,
        "status": statuses,
        "signingOrder": json_values,
        "signedTime": st.sampled_from(["2025-12-26T10:00:00Z", "yesterday", ""]) | json_values,
        "signing_url": json_values | st.text(max_size=8),
    },
)
signers = st.lists(signer | json_values, max_size=4) | json_values
shaped = st.fixed_dictionaries(
    {},
    optional={
        "success": st.booleans() | json_values,
        "error": json_values,
        "document": st.fixed_dictionaries(
            {},
            optional={
                "id": st.just("doc-1") | json_values,
                "status": statuses,
                "voided_at": st.sampled_from(["2025-12-26T12:00:00Z", "soon"]) | json_values,
            },
        )
        | json_values,
        "signers": signers,
        "documentId": st.just("doc-1") | json_values,
        "status": statuses,
        "signerStatuses": signers,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values | shaped)
def test_parsers_raise_only_typed_errors(data: Any) -> None:
    spec = make_spec(recipients=3)
    parsers: list[Callable[[], object]] = [
        lambda: parse_create_response(data, spec),
        lambda: parse_status_response(data, spec, "doc-1", SEEN),
        lambda: parse_void_response(data, "doc-1", None),
    ]
    for parse in parsers:
        with contextlib.suppress(SealboxError):
            parse()


@settings(max_examples=200, deadline=None)
@given(data=json_values | shaped, status=st.sampled_from([400, 401, 404, 409, 500]))
def test_error_bodies_never_crash(data: Any, status: int) -> None:
    response = httpx.Response(status, content=json.dumps(data).encode())
    body = itasign_error_body(response)
    assert body.message is None or isinstance(body.message, str)
    garbage = httpx.Response(status, content=b"\xff\xfe not json")
    assert itasign_error_body(garbage).message is not None
