"""Craftkit client against its fake: wire format, lifecycle, errors, retries, coordinates."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from app.errors import SealboxError, UserError, ValidationError
from app.pdf.document import check_pdf
from app.providers import errors as provider_errors
from app.providers.base import ProviderConfig, WebhookRejected
from app.providers.craftkit.client import CraftkitProvider
from app.providers.craftkit.info import CAPABILITIES, DEFAULT_BASE_URL
from app.providers.craftkit.mapping import STATUS_MAP, parse_list_page, parse_signature
from app.providers.craftkit.webhooks import parse_webhook
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    ProviderUnavailableError,
    RemoteNotFoundError,
)
from tests.fakes.base import ErrorCase, FakeResponse
from tests.fakes.craftkit import API_KEY, WEBHOOK_SECRET, CraftkitFake, iso
from tests.support.pdfgen import LETTER, OFFSET_CROPBOX, blank_page, build_pdf

# --- fixtures and helpers ------------------------------------------------------------------------


class Sleeps(list[float]):
    """An injected sleep that records the delays and returns at once."""

    async def __call__(self, delay: float) -> None:
        self.append(delay)


@pytest.fixture
def fake() -> Iterator[CraftkitFake]:
    before = set(threading.enumerate())
    with CraftkitFake() as server:
        yield server
    # No thread of the fake may outlive the test.
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
        assert not thread.is_alive(), f"{thread.name} outlived the test"


def config(
    fake: CraftkitFake, sleeps: Sleeps | None = None, api_key: str | None = API_KEY
) -> ProviderConfig:
    return ProviderConfig(
        provider_id="craftkit",
        credential=lambda k: {"api_key": api_key}.get(k),
        setting=lambda k: {"base_url": fake.url}.get(k),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


@contextlib.asynccontextmanager
async def open_provider(
    fake: CraftkitFake, sleeps: Sleeps | None = None, api_key: str | None = API_KEY
) -> AsyncIterator[CraftkitProvider]:
    provider = CraftkitProvider(config(fake, sleeps, api_key))
    try:
        yield provider
    finally:
        await provider.aclose()


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())


#: The render: a plain page, a page turned 90°, a page with a CropBox off the origin, and a page
#: turned 270° with that CropBox. Displayed sizes (width, height), worked out by hand.
PAGES = [
    blank_page(),
    blank_page(rotate=90),
    blank_page(cropbox=OFFSET_CROPBOX),
    blank_page(rotate=270, cropbox=OFFSET_CROPBOX),
]
DISPLAYED = [(612.0, 792.0), (792.0, 612.0), (400.0, 600.0), (600.0, 400.0)]
assert LETTER == (0.0, 0.0, 612.0, 792.0)


@pytest.fixture
def render_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "render.pdf"
    path.write_bytes(build_pdf(PAGES))
    return path


SPEC = RequestSpec(
    name="Charter handover — BK-12345",
    message="Please sign by Friday.",
    expiration_hours=72,
    recipients=(
        Recipient("Jane", "Doe", "jane@example.com", Designation.SIGNER, 1),
        Recipient("Bob", "", "Bob@Example.com", Designation.APPROVER, 2),
        Recipient("Carol", "Roe", "carol@example.com", Designation.CC, 3),
    ),
    fields=(
        Field(0, FieldType.SIGNATURE, 1, 72, 600, 180, 48),
        Field(0, FieldType.INITIALS, 2, 500, 400, 72, 36, required=False),
        Field(1, FieldType.DATE, 3, 50, 500, 110, 24),
        Field(1, FieldType.TEXT_AREA, 4, 300, 100, 200, 60, label="Notes"),
    ),
    anchor_tags=(
        AnchorTag("{{initials_here}}", FieldType.INITIALS, 0, 72, 36),
        AnchorTag("{{date}}", FieldType.DATE, 1, ignore_if_not_present=True),
    ),
)


def make_request(render_id: str | None, spec: RequestSpec = SPEC) -> Request:
    return Request(id=str(uuid.uuid4()), provider="craftkit", spec=spec, render_id=render_id)


async def created(
    provider: CraftkitProvider, fake: CraftkitFake, pdf: Path, spec: RequestSpec = SPEC
) -> Request:
    """A request created at the fake, with its provider id set."""
    render_id = fake.add_render(pdf.read_bytes())
    request = make_request(render_id, spec)
    report = await provider.create(request, check_pdf(pdf), f"key-{request.id}")
    request.provider_id = report.provider_id
    request.status = report.status
    return request


# --- create --------------------------------------------------------------------------------------


def test_create_sends_the_documented_wire_format(fake: CraftkitFake, render_pdf: Path) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())
    request = make_request(render_id)

    async def main() -> None:
        async with open_provider(fake) as provider:
            report = await provider.create(request, check_pdf(render_pdf), "outbox-key-1")
        assert report.status == Status.SENT
        assert report.provider_id == fake.envelope_ids()[0]
        assert [r.index for r in report.recipients] == [0, 1, 2]
        assert all(
            r.provider_recipient_id and r.provider_recipient_id.startswith("rcp_")
            for r in report.recipients
        )
        assert report.payload["id"] == report.provider_id

    run(main)
    [sent] = fake.requests_to("POST", "/v1/signatures")
    assert sent.header("authorization") == f"Bearer {API_KEY}"
    assert sent.header("idempotency-key") == "outbox-key-1"
    assert sent.header("content-type") == "application/json"
    body = sent.json()
    assert set(body) == {
        "renderId",
        "name",
        "recipients",
        "fields",
        "anchorTags",
        "expirationHours",
    }
    assert body["renderId"] == render_id
    assert body["name"] == "Charter handover — BK-12345"
    assert body["expirationHours"] == 72
    assert body["recipients"] == [
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "email": "jane@example.com",
            "designation": "Signer",
            "order": 1,
        },
        {"firstName": "Bob", "email": "Bob@Example.com", "designation": "Approver", "order": 2},
        {
            "firstName": "Carol",
            "lastName": "Roe",
            "email": "carol@example.com",
            "designation": "CC",
            "order": 3,
        },
    ]
    assert [f["type"] for f in body["fields"]] == ["signature", "initial", "date", "text_area"]
    assert [f["page"] for f in body["fields"]] == [1, 2, 3, 4]
    assert [f["recipientIndex"] for f in body["fields"]] == [0, 0, 1, 1]
    assert [f["required"] for f in body["fields"]] == [True, False, True, True]
    assert all(
        set(f) == {"recipientIndex", "type", "page", "x", "y", "width", "height", "required"}
        for f in body["fields"]
    )
    assert body["anchorTags"] == [
        {
            "anchorString": "{{initials_here}}",
            "type": "initials",
            "recipientIndex": 0,
            "required": True,
            "ignoreIfNotPresent": False,
            "width": 72,
            "height": 36,
        },
        {
            "anchorString": "{{date}}",
            "type": "date",
            "recipientIndex": 1,
            "required": True,
            "ignoreIfNotPresent": True,
        },
    ]
    # Page 1 is an unrotated Letter page: plain percentages.
    first = body["fields"][0]
    assert first["x"] == pytest.approx(72 / 612 * 100, abs=1e-4)
    assert first["y"] == pytest.approx(600 / 792 * 100, abs=1e-4)
    assert first["width"] == pytest.approx(180 / 612 * 100, abs=1e-4)
    assert first["height"] == pytest.approx(48 / 792 * 100, abs=1e-4)


def test_fields_land_where_placed_on_rotated_and_cropped_pages(
    fake: CraftkitFake, render_pdf: Path
) -> None:
    # The displayed sizes worked out by hand agree with what PyMuPDF shows.
    doc = pymupdf.open(render_pdf)
    try:
        shown = [(doc[i].rect.width, doc[i].rect.height) for i in range(doc.page_count)]
        assert shown == DISPLAYED
    finally:
        doc.close()
    render_id = fake.add_render(render_pdf.read_bytes())

    async def main() -> None:
        async with open_provider(fake) as provider:
            await provider.create(make_request(render_id), check_pdf(render_pdf), "k-coords")

    run(main)
    body = fake.bodies[fake.envelope_ids()[0]]
    for placed, wire in zip(SPEC.fields, body["fields"], strict=True):
        width, height = DISPLAYED[wire["page"] - 1]
        assert wire["page"] == placed.page
        assert all(0 <= wire[k] <= 100 for k in ("x", "y", "width", "height"))
        assert abs(wire["x"] / 100 * width - placed.x) <= 0.5
        assert abs(wire["y"] / 100 * height - placed.y) <= 0.5
        assert abs(wire["width"] / 100 * width - placed.width) <= 0.5
        assert abs(wire["height"] / 100 * height - placed.height) <= 0.5


def test_replayed_create_returns_the_original(fake: CraftkitFake, render_pdf: Path) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())
    request = make_request(render_id)

    async def main() -> None:
        async with open_provider(fake) as provider:
            first = await provider.create(request, check_pdf(render_pdf), "same-key")
            again = await provider.create(request, check_pdf(render_pdf), "same-key")
        assert again.provider_id == first.provider_id
        assert again.status == first.status == Status.SENT
        assert again.recipients == first.recipients

    run(main)
    assert len(fake.envelope_ids()) == 1
    assert len(fake.requests_to("POST", "/v1/signatures")) == 2


def test_create_needs_a_render_id_and_sends_nothing_without(
    fake: CraftkitFake, render_pdf: Path
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            for render_id in (None, "", "not-a-uuid"):
                with pytest.raises(UserError, match="--render-id"):
                    await provider.create(make_request(render_id), check_pdf(render_pdf), "k")

    run(main)
    assert fake.received == []


def test_create_refuses_fields_beyond_the_render(fake: CraftkitFake, render_pdf: Path) -> None:
    spec = replace(SPEC, fields=(Field(0, FieldType.SIGNATURE, 5, 10, 10, 100, 40),))
    render_id = fake.add_render(render_pdf.read_bytes())

    async def main() -> None:
        async with open_provider(fake) as provider:
            with pytest.raises(ValidationError, match=r"fields\[0\]\.page"):
                await provider.create(make_request(render_id, spec), check_pdf(render_pdf), "k")

    run(main)
    assert fake.received == []


def test_render_problems_come_back_as_clear_errors(fake: CraftkitFake, render_pdf: Path) -> None:
    missing = str(uuid.uuid4())
    not_ready = fake.add_render(None, status="running")
    too_large = fake.add_render(render_pdf.read_bytes(), size=21 * 1024 * 1024)

    async def main() -> None:
        async with open_provider(fake) as provider:
            with pytest.raises(RemoteNotFoundError, match=f"no render {missing}"):
                await provider.create(make_request(missing), check_pdf(render_pdf), "k1")
            with pytest.raises(ConflictError, match="not ready for signing"):
                await provider.create(make_request(not_ready), check_pdf(render_pdf), "k2")
            with pytest.raises(provider_errors.DocumentTooLargeError, match="20MB"):
                await provider.create(make_request(too_large), check_pdf(render_pdf), "k3")

    run(main)
    assert fake.envelope_ids() == []


# --- lifecycle -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("sent", Status.SENT),
        ("viewed", Status.VIEWED),
        ("completed", Status.COMPLETED),
        ("declined", Status.DECLINED),
        ("expired", Status.EXPIRED),
        ("cancelled", Status.CANCELLED),
        ("failed", Status.FAILED),
    ],
)
def test_every_lifecycle_state_is_mapped(
    fake: CraftkitFake, render_pdf: Path, state: str, expected: Status
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, state)
            report = await provider.refresh(request)
        assert report.status == expected
        assert report.provider_id == request.provider_id
        if expected == Status.COMPLETED:
            assert report.completed_at is not None
            assert report.payload["signedDownloadUrl"]
        if expected == Status.FAILED:
            assert report.error_message

    run(main)
    assert STATUS_MAP[state] == expected


def test_recipient_signatures_carry_times_and_never_move_the_status(
    fake: CraftkitFake, render_pdf: Path
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            before = datetime.now(UTC) - timedelta(seconds=1)
            fake.advance(request.provider_id, "signed", 0)
            report = await provider.refresh(request)
            assert report.status == Status.SENT
            jane, bob, carol = report.recipients
            assert (jane.index, bob.index, carol.index) == (0, 1, 2)
            assert jane.signed_at is not None and jane.signed_at >= before
            assert jane.signed_at.tzinfo is not None
            assert bob.signed_at is None and carol.signed_at is None

            fake.advance(request.provider_id, "viewed")
            fake.advance(request.provider_id, "signed", 1)
            report = await provider.refresh(request)
            assert report.status == Status.VIEWED
            assert all(r.signed_at is not None for r in report.recipients[:2])

    run(main)


def test_a_decline_names_the_recipient_and_the_reason(fake: CraftkitFake, render_pdf: Path) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, "declined", 1)
            report = await provider.refresh(request)
        assert report.status == Status.DECLINED
        assert report.error_message == fake.decline_reason
        assert report.recipients[1].declined_at is not None
        assert report.recipients[1].decline_reason == fake.decline_reason
        assert report.recipients[0].declined_at is None

    run(main)


def test_recipients_are_matched_by_email_then_position() -> None:
    wire = {
        "id": "sig-1",
        "status": "viewed",
        "recipients": [
            {"id": "rcp-c", "email": "CAROL@example.com", "signedAt": None},
            {"id": "rcp-x", "email": "someone-else@example.com"},
            {"id": "rcp-j", "email": "jane@example.com", "signedAt": "2026-06-05T10:00:00Z"},
        ],
    }
    report = parse_signature(wire, SPEC)
    by_index = {r.index: r.provider_recipient_id for r in report.recipients}
    # Carol and Jane by e-mail; the stranger takes the free position 1 (Bob's).
    assert by_index == {0: "rcp-j", 1: "rcp-x", 2: "rcp-c"}
    assert report.recipients[0].signed_at == datetime(2026, 6, 5, 10, tzinfo=UTC)
    # A time without a zone is read as UTC.
    wire["recipients"] = [{"email": "jane@example.com", "signedAt": "2026-06-05T10:00:00"}]
    assert parse_signature(wire, SPEC).recipients[0].signed_at == datetime(
        2026, 6, 5, 10, tzinfo=UTC
    )


def test_refresh_of_an_unknown_request(fake: CraftkitFake) -> None:
    request = make_request(str(uuid.uuid4()))
    request.provider_id = str(uuid.uuid4())

    async def main() -> None:
        async with open_provider(fake) as provider:
            with pytest.raises(RemoteNotFoundError, match="does not know this request"):
                await provider.refresh(request)
            with pytest.raises(UserError, match="has not reached Craftkit"):
                await provider.refresh(make_request(None))

    run(main)


# --- cancel --------------------------------------------------------------------------------------


def test_cancel_sends_the_reason(fake: CraftkitFake, render_pdf: Path) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            report = await provider.cancel(request, "Customer changed the terms")
            assert report.status == Status.CANCELLED
            assert report.error_message == "Customer changed the terms"
            [call] = fake.requests_to("POST", r"/v1/signatures/[^/]+/cancel")
            assert call.path == f"/v1/signatures/{request.provider_id}/cancel"
            assert call.header("authorization") == f"Bearer {API_KEY}"
            assert call.json() == {"reason": "Customer changed the terms"}
            # Cancelling again: the request is terminal.
            with pytest.raises(ConflictError, match="already finished"):
                await provider.cancel(request, None)

    run(main)
    second = fake.requests_to("POST", r"/v1/signatures/[^/]+/cancel")[1]
    assert second.json() == {}


def test_a_long_cancel_reason_is_refused_before_sending(
    fake: CraftkitFake, render_pdf: Path
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            with pytest.raises(ValidationError, match="at most 500"):
                await provider.cancel(request, "x" * 501)
            report = await provider.cancel(request, "y" * 500)
            assert report.status == Status.CANCELLED

    run(main)
    assert len(fake.requests_to("POST", r"/v1/signatures/[^/]+/cancel")) == 1


# --- downloads -----------------------------------------------------------------------------------


def test_download_and_certificate_are_the_served_bytes(
    fake: CraftkitFake, render_pdf: Path, tmp_path: Path
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, "completed")
            await provider.download_signed(request, tmp_path / "signed.pdf")
            await provider.download_certificate(request, tmp_path / "certificate.pdf")
            sid = request.provider_id
            assert (tmp_path / "signed.pdf").read_bytes() == fake.signed_pdfs[sid]
            assert (tmp_path / "certificate.pdf").read_bytes() == fake.certificates[sid]
            assert fake.signed_pdfs[sid] != fake.certificates[sid]
            paths = [r.path for r in fake.requests_to("GET", r"/v1/signatures/.+/.+")]
            assert paths == [f"/v1/signatures/{sid}/download", f"/v1/signatures/{sid}/certificate"]

    run(main)
    assert check_pdf(tmp_path / "signed.pdf").page_count == 1


def test_downloads_before_archiving_are_not_ready_yet(
    fake: CraftkitFake, render_pdf: Path, tmp_path: Path
) -> None:
    fake.archive_on_complete = False

    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            for state in ("sent", "completed"):
                fake.advance(request.provider_id, state)
                with pytest.raises(ConflictError, match="not ready yet"):
                    await provider.download_signed(request, tmp_path / "signed.pdf")
                with pytest.raises(ConflictError, match="not ready yet"):
                    await provider.download_certificate(request, tmp_path / "cert.pdf")
            fake.archive(request.provider_id)
            await provider.download_signed(request, tmp_path / "signed.pdf")

    run(main)
    assert not (tmp_path / "cert.pdf").exists()
    assert (tmp_path / "signed.pdf").exists()


# --- documented errors ---------------------------------------------------------------------------

ERROR_CASES = CraftkitFake().documented_errors()


def _error_class(name: str) -> type[BaseException]:
    import app.errors

    cls = getattr(provider_errors, name, None) or getattr(app.errors, name)
    assert isinstance(cls, type) and issubclass(cls, BaseException)
    return cls


@pytest.mark.parametrize(
    "case",
    ERROR_CASES,
    ids=[f"{c.operation}-{c.response.status}-{i}" for i, c in enumerate(ERROR_CASES)],
)
def test_every_documented_error(
    fake: CraftkitFake, render_pdf: Path, tmp_path: Path, case: ErrorCase
) -> None:
    sleeps = Sleeps()

    async def main() -> None:
        async with open_provider(fake, sleeps) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, "completed")
            fresh = make_request(fake.add_render(render_pdf.read_bytes()))
            operations: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
                "create": lambda: provider.create(fresh, check_pdf(render_pdf), "error-key"),
                "refresh": lambda: provider.refresh(request),
                "cancel": lambda: provider.cancel(request, "reason"),
                "download": lambda: provider.download_signed(request, tmp_path / "s.pdf"),
                "certificate": lambda: provider.download_certificate(request, tmp_path / "c.pdf"),
            }
            operation = operations[case.operation]
            fake.fail_next(case.method, case.path, case.response)
            with pytest.raises(SealboxError) as caught:
                await operation()
            assert isinstance(caught.value, _error_class(case.expected)), caught.value
            assert case.message in str(caught.value)

    run(main)
    assert sleeps == []  # none of them is retried


def test_wrong_api_key_is_an_authentication_error(fake: CraftkitFake, render_pdf: Path) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())

    async def main() -> None:
        async with open_provider(fake, api_key="ck_wrong") as provider:
            with pytest.raises(AuthenticationError, match="sealbox login craftkit"):
                await provider.create(make_request(render_id), check_pdf(render_pdf), "k")
            with pytest.raises(AuthenticationError):
                await provider.list_requests()

    run(main)
    assert fake.envelope_ids() == []


def test_the_fake_holds_clients_to_the_document(fake: CraftkitFake, render_pdf: Path) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())
    good: dict[str, Any] = {
        "renderId": render_id,
        "recipients": [{"firstName": "Jane", "email": "jane@example.com"}],
        "fields": [{"recipientIndex": 0, "type": "signature", "page": 1, "x": 10, "y": 10}],
    }
    auth = {"Authorization": f"Bearer {API_KEY}"}

    def post(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(
            f"{fake.url}/v1/signatures", json=body, headers=auth if headers is None else headers
        )

    def issues(response: httpx.Response) -> list[str]:
        assert response.status_code == 400, response.text
        return [i["path"] for i in response.json()["error"]["issues"]]

    assert post(good, {}).status_code == 401
    assert post(good).status_code == 201
    bad_field = {**good["fields"][0], "type": "initials", "page": 0}
    assert issues(post({**good, "fields": [bad_field]})) == ["fields[0].type", "fields[0].page"]
    assert issues(post({**good, "fields": [{**bad_field, "type": "initial", "page": 5}]})) == [
        "fields[0].page"
    ]
    anchor = {"anchorString": "{{x}}", "type": "initial", "recipientIndex": 0}
    assert issues(post({**good, "anchorTags": [anchor]})) == ["anchorTags[0].type"]
    assert issues(post({**good, "message": "hi"})) == ["message"]
    assert issues(post({**good, "fields": []})) == ["fields"]
    text = httpx.post(
        f"{fake.url}/v1/signatures",
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert text.status_code == 400 and text.json()["error"]["code"] == "invalid_json"
    listing = httpx.get(f"{fake.url}/v1/signatures", params={"limit": 0}, headers=auth)
    assert listing.status_code == 400


# --- retries -------------------------------------------------------------------------------------


def test_retry_after_is_honoured_on_429_and_503(fake: CraftkitFake, render_pdf: Path) -> None:
    sleeps = Sleeps()

    async def main() -> None:
        async with open_provider(fake, sleeps) as provider:
            fake.fail_next("POST", "/v1/signatures", FakeResponse(503, b"", {"Retry-After": "3"}))
            request = await created(provider, fake, render_pdf)
            assert sleeps == [3.0]
            assert len(fake.envelope_ids()) == 1
            fake.fail_next(
                "GET", r"/v1/signatures/[^/]+", FakeResponse(429, b"", {"Retry-After": "7"})
            )
            report = await provider.refresh(request)
            assert report.status == Status.SENT
            assert sleeps == [3.0, 7.0]
            fake.fail_next(
                "GET", "/v1/signatures", FakeResponse(429, b"", {"Retry-After": "2"}), count=2
            )
            assert len(await provider.list_requests()) == 1
            assert sleeps == [3.0, 7.0, 2.0, 2.0]

    run(main)


def test_a_long_retry_after_is_not_waited_for(fake: CraftkitFake, render_pdf: Path) -> None:
    sleeps = Sleeps()

    async def main() -> None:
        async with open_provider(fake, sleeps) as provider:
            request = await created(provider, fake, render_pdf)
            fake.fail_next(
                "GET", r"/v1/signatures/[^/]+", FakeResponse(429, b"", {"Retry-After": "3600"})
            )
            with pytest.raises(ProviderUnavailableError) as caught:
                await provider.refresh(request)
            assert caught.value.retry_after == 3600.0

    run(main)
    assert sleeps == []


# --- ambiguous create and reconcile --------------------------------------------------------------


def test_an_ambiguous_create_is_reconciled(fake: CraftkitFake, render_pdf: Path) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())
    other = make_request(render_id, replace(SPEC, name="Another request"))
    request = make_request(render_id)
    sleeps = Sleeps()

    async def main() -> None:
        async with open_provider(fake, sleeps) as provider:
            await provider.create(other, check_pdf(render_pdf), "other-key")
            fake.fail_next("POST", "/v1/signatures", FakeResponse(drop=True), after=True)
            with pytest.raises(AmbiguousSendError):
                await provider.create(request, check_pdf(render_pdf), "the-key")
            assert len(fake.envelope_ids()) == 2
            found = await provider.reconcile(request)
            assert found is not None
            assert found.provider_id == fake.envelope_ids()[1]
            assert found.status == Status.SENT
            assert [r.index for r in found.recipients] == [0, 1, 2]
            # Sending again with the same key returns the original, never a second one.
            again = await provider.create(request, check_pdf(render_pdf), "the-key")
            assert again.provider_id == found.provider_id

    run(main)
    assert len(fake.envelope_ids()) == 2
    assert sleeps == []
    listing = fake.requests_to("GET", "/v1/signatures")
    assert listing and all(r.query["renderId"] == [render_id] for r in listing)


def test_reconcile_answers_none_when_craftkit_does_not_have_it(
    fake: CraftkitFake, render_pdf: Path
) -> None:
    render_id = fake.add_render(render_pdf.read_bytes())
    request = make_request(render_id)

    async def main() -> None:
        async with open_provider(fake) as provider:
            fake.fail_next("POST", "/v1/signatures", FakeResponse(drop=True))
            with pytest.raises(AmbiguousSendError):
                await provider.create(request, check_pdf(render_pdf), "lost-key")
            assert await provider.reconcile(request) is None
            # Same name, other recipients: not this request.
            stranger = replace(
                SPEC, recipients=(Recipient("Zed", "", "zed@example.com"), *SPEC.recipients[1:])
            )
            await provider.create(make_request(render_id, stranger), check_pdf(render_pdf), "k2")
            assert await provider.reconcile(request) is None
            assert await provider.reconcile(make_request(None)) is None

    run(main)


def test_reconcile_of_a_known_request_refreshes_it(fake: CraftkitFake, render_pdf: Path) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, "viewed")
            found = await provider.reconcile(request)
            assert found is not None and found.status == Status.VIEWED

    run(main)


# --- list ----------------------------------------------------------------------------------------


def test_list_pages_through_the_cursor(fake: CraftkitFake, render_pdf: Path) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            ids: list[str] = []
            for n in range(5):
                request = await created(
                    provider, fake, render_pdf, replace(SPEC, name=f"Request {n}")
                )
                assert request.provider_id is not None
                ids.append(request.provider_id)
            provider.page_size = 2
            reports = await provider.list_requests()
            assert [r.provider_id for r in reports] == ids[::-1]
            assert [r.payload["name"] for r in reports][:2] == ["Request 4", "Request 3"]
            calls = fake.requests_to("GET", "/v1/signatures")
            assert [c.query.get("limit") for c in calls] == [["2"], ["2"], ["2"]]
            assert "cursor" not in calls[0].query
            assert calls[1].query["cursor"] == [reports[1].payload["createdAt"]]
            assert calls[2].query["cursor"] == [reports[3].payload["createdAt"]]

            assert len(await provider.list_requests(limit=3)) == 3
            render_id = fake.signatures[ids[2]]["renderId"]
            [only] = await provider.list_requests(render_id=render_id)
            assert only.provider_id == ids[2]
            with pytest.raises(InvalidRequestError, match="renderId"):
                await provider.list_requests(render_id="not-a-uuid")
            with pytest.raises(UserError):
                await provider.list_requests(limit=0)

    run(main)


# --- untrusted answers ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
TIMES = st.sampled_from(["2026-06-05T10:00:00.000Z", "2026-06-05", "yesterday", ""]) | JSON
RECIPIENT = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON,
        "email": st.sampled_from(["jane@example.com", "BOB@example.com"]) | JSON,
        "signedAt": TIMES,
        "declinedAt": TIMES,
    },
)
SIGNATURE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=8) | JSON,
        "status": st.sampled_from([*STATUS_MAP, "canceled", "SENT"]) | JSON,
        "recipients": st.lists(RECIPIENT | JSON, max_size=4) | JSON,
        "errorMessage": JSON,
        "completedAt": TIMES,
        "createdAt": TIMES,
        "expirationHours": JSON,
        "renderId": JSON,
        "name": JSON,
        "signedDownloadUrl": JSON,
        "certificateUrl": JSON,
    },
)
LIST = st.fixed_dictionaries(
    {},
    optional={
        "signatures": st.lists(SIGNATURE | JSON, max_size=3) | JSON,
        "nextCursor": TIMES,
        "hasMore": JSON,
    },
)


@settings(max_examples=120, deadline=None)
@given(st.one_of(JSON, SIGNATURE, LIST))
def test_parsers_raise_only_typed_errors(data: Any) -> None:
    for parse in (
        lambda d: parse_signature(d, SPEC),
        lambda d: parse_signature(d, None),
        parse_list_page,
    ):
        with contextlib.suppress(SealboxError):
            parse(data)


@settings(max_examples=80, deadline=None)
@given(st.one_of(JSON, LIST))
def test_list_answers_raise_only_typed_errors(data: Any) -> None:
    try:
        page = parse_list_page(data)
        for item in page.items:
            parse_signature(item)
    except SealboxError:
        pass


def test_garbage_from_the_server_is_a_typed_error(
    fake: CraftkitFake, render_pdf: Path, tmp_path: Path
) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            for body in (
                b"<html>oops</html>",
                b"[]",
                b'{"id": 5}',
                json.dumps({"id": request.provider_id, "status": "archived"}).encode(),
                json.dumps({"id": "someone-else", "status": "sent"}).encode(),
            ):
                fake.fail_next(
                    "GET",
                    r"/v1/signatures/[^/]+",
                    FakeResponse(200, body, {"Content-Type": "application/json"}),
                )
                with pytest.raises(provider_errors.BadResponseError):
                    await provider.refresh(request)
            fake.fail_next(
                "GET", r"/v1/signatures/[^/]+/download", FakeResponse(200, b"not a pdf", {})
            )
            fake.advance(str(request.provider_id), "completed")
            with pytest.raises(provider_errors.BadResponseError):
                await provider.download_signed(request, tmp_path / "signed.pdf")
            assert not (tmp_path / "signed.pdf").exists()

    run(main)


# --- webhooks ------------------------------------------------------------------------------------


def test_a_signed_webhook_is_accepted(fake: CraftkitFake, render_pdf: Path) -> None:
    async def main() -> None:
        async with open_provider(fake) as provider:
            request = await created(provider, fake, render_pdf)
            assert request.provider_id is not None
            fake.advance(request.provider_id, "completed")
            headers, body = fake.webhook(
                "signature.completed", request.provider_id, WEBHOOK_SECRET, delivery_id="dlv-1"
            )
            event = parse_webhook(headers, body, WEBHOOK_SECRET, datetime.now(UTC).timestamp())
            assert event.provider == "craftkit"
            assert event.provider_request_id == request.provider_id
            assert event.event == "signature.completed"
            assert event.delivery_id == "dlv-1"
            assert event.payload["status"] == "completed"
            # Header names are case-insensitive.
            upper = {k.upper(): v for k, v in headers.items()}
            assert (
                parse_webhook(upper, body, WEBHOOK_SECRET, datetime.now(UTC).timestamp()).event
                == "signature.completed"
            )

    run(main)


def _delivery(body: bytes, when: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "x-craftkit-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "x-craftkit-timestamp": when,
        "x-craftkit-event": "signature.viewed",
        "x-craftkit-delivery-id": "dlv-2",
    }


BODY = json.dumps(
    {
        "event": "signature.viewed",
        "signatureRequestId": "sig-1",
        "renderId": "r-1",
        "status": "viewed",
    }
).encode()
NOW = 1_780_000_000.0


@pytest.mark.parametrize(
    "when",
    [
        str(int(NOW)),
        str(int(NOW) - 299),
        str(int(NOW) + 299),
        str(int(NOW * 1000)),
        iso(datetime.fromtimestamp(NOW, UTC)),
        "2026-05-28T20:26:40+00:00",
    ],
)
def test_webhook_timestamps_within_five_minutes(when: str) -> None:
    assert datetime(2026, 5, 28, 20, 26, 40, tzinfo=UTC).timestamp() == NOW
    event = parse_webhook(_delivery(BODY, when), BODY, WEBHOOK_SECRET, NOW)
    assert event.provider_request_id == "sig-1"


@pytest.mark.parametrize(
    ("headers", "body", "why"),
    [
        (_delivery(BODY, str(int(NOW) - 301)), BODY, "5 minutes"),
        (_delivery(BODY, str(int(NOW) + 301)), BODY, "5 minutes"),
        (_delivery(BODY, "2026-05-28T20:26:40"), BODY, "not a time"),
        (_delivery(BODY, "soon"), BODY, "not a time"),
        (_delivery(BODY, str(int(NOW)), "another secret"), BODY, "does not match"),
        (_delivery(BODY, str(int(NOW))), BODY + b" ", "does not match"),
        (
            {
                k: v
                for k, v in _delivery(BODY, str(int(NOW))).items()
                if k != "x-craftkit-signature"
            },
            BODY,
            "no x-craftkit-signature",
        ),
        (
            {
                k: v
                for k, v in _delivery(BODY, str(int(NOW))).items()
                if k != "x-craftkit-timestamp"
            },
            BODY,
            "no x-craftkit-timestamp",
        ),
        (_delivery(b"[1, 2]", str(int(NOW))), b"[1, 2]", "not a JSON object"),
        (
            _delivery(b'{"event": "signature.sent"}', str(int(NOW))),
            b'{"event": "signature.sent"}',
            "signatureRequestId",
        ),
    ],
)
def test_bad_webhooks_are_rejected(headers: dict[str, str], body: bytes, why: str) -> None:
    with pytest.raises(WebhookRejected, match=why):
        parse_webhook(headers, body, WEBHOOK_SECRET, NOW)


@settings(max_examples=80, deadline=None)
@given(
    st.one_of(
        JSON,
        st.fixed_dictionaries(
            {}, optional={"event": JSON, "signatureRequestId": JSON, "status": JSON}
        ),
    ),
    st.binary(max_size=40),
)
def test_any_signed_body_is_read_or_rejected(payload: Any, junk: bytes) -> None:
    for body in (json.dumps(payload).encode(), junk):
        with contextlib.suppress(WebhookRejected):
            parse_webhook(_delivery(body, str(int(NOW))), body, WEBHOOK_SECRET, NOW)


# --- configuration, capabilities, preflight ------------------------------------------------------


def test_configuration_problem_names_the_fix(fake: CraftkitFake) -> None:
    async def main() -> None:
        async with open_provider(fake, api_key=None) as provider:
            problem = provider.configuration_problem()
            assert problem == (
                "Craftkit needs an API key: run `sealbox login craftkit` or set "
                "SEALBOX_CRAFTKIT_API_KEY."
            )
            with pytest.raises(UserError, match="needs an API key"):
                await provider.list_requests()
        async with open_provider(fake) as provider:
            assert provider.configuration_problem() is None
            assert provider.base_url == fake.url

    run(main)
    assert fake.received == []
    provider = CraftkitProvider(ProviderConfig("craftkit", lambda k: "key", lambda k: None))
    assert provider.base_url == DEFAULT_BASE_URL
    asyncio.run(provider.aclose())


def test_capabilities_are_the_documented_ones() -> None:
    assert CAPABILITIES.id == "craftkit"
    assert CAPABILITIES.anchors == "native"
    assert CAPABILITIES.needs_render_id
    assert CAPABILITIES.cancel and CAPABILITIES.certificate and CAPABILITIES.list
    assert CAPABILITIES.webhooks and CAPABILITIES.idempotency
    assert CAPABILITIES.max_bytes == 20 * 1024 * 1024
    assert FieldType.DROPDOWN not in CAPABILITIES.field_types
    assert FieldType.RADIO_BUTTONS not in CAPABILITIES.field_types
    assert len(CAPABILITIES.field_types) == 6


def test_preflight_refuses_what_craftkit_cannot_take(fake: CraftkitFake, render_pdf: Path) -> None:
    info = check_pdf(render_pdf)

    async def main() -> None:
        async with open_provider(fake) as provider:
            assert provider.preflight(SPEC, info) == []
            spec = replace(
                SPEC,
                fields=(
                    Field(0, FieldType.DROPDOWN, 1, 10, 10, 100, 20, options=("a", "b")),
                    Field(0, FieldType.RADIO_BUTTONS, 1, 10, 40, 100, 20, options=("a",)),
                ),
            )
            problems = provider.preflight(spec, info)
            assert len(problems) == 2
            assert problems[0].startswith("fields[0].type: Craftkit's fields carry no options")
            assert "radio_buttons" in problems[1]
            big = replace(info, size_bytes=21 * 1024 * 1024)
            assert any("limit" in p for p in provider.preflight(SPEC, big))
            request = make_request(fake.add_render(render_pdf.read_bytes()), spec)
            with pytest.raises(ValidationError, match="carry no options"):
                await provider.create(request, check_pdf(render_pdf), "k")

    run(main)
    assert fake.received == []
