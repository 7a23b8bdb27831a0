"""Signature.nc V3 client against its fake: wire format, lifecycle, downloads, errors, geometry."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.clock import parse_iso
from app.domain.geometry import PointRect, from_points
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
from app.errors import CapabilityError, SealboxError, UserError
from app.pdf.document import check_pdf
from app.providers import errors as provider_errors
from app.providers.anchors import resolve_anchors
from app.providers.base import ProviderConfig
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    InvalidRequestError,
    OutOfCreditsError,
)
from app.providers.signature_nc.client import SignatureNcProvider
from app.providers.signature_nc.info import CAPABILITIES, DEFAULT_BASE_URL
from app.providers.signature_nc.mapping import (
    ORIGIN,
    PAGE_BASE,
    SIGNER_STATUS,
    parse_submission,
    signed_document_url,
    upload_name,
)
from tests.fakes.base import ErrorCase, FakeResponse, FakeServer, json_response, pdf_response
from tests.fakes.signature_nc import MESSAGES, PREFIX, SignatureNcFake
from tests.support.pdfgen import (
    OFFSET_CROPBOX,
    OFFSET_CROPBOX_IN_OFFSET_MEDIABOX,
    OFFSET_MEDIABOX,
    PageSpec,
    blank_page,
    build_pdf,
    visible_box,
)

API_KEY = "nc-test-key"
#: One TLS context for every client the tests make (the fake is plain HTTP; loading the CA
#: bundle for each client would only slow the tests down).
TLS = ssl.create_default_context()
CREATE = f"{PREFIX}/signatures"
DOCUMENT_NAME = "Charter handover — BK-12345.pdf"
UPLOADED_AS = "Charter handover BK-12345.pdf"

#: The document's pages: plain, rotated, cropped off the origin, both, and upside down.
PAGES: list[PageSpec] = [
    blank_page(),
    blank_page(rotate=90),
    blank_page(cropbox=OFFSET_CROPBOX),
    blank_page(rotate=270, mediabox=OFFSET_MEDIABOX, cropbox=OFFSET_CROPBOX_IN_OFFSET_MEDIABOX),
    blank_page(rotate=180, cropbox=OFFSET_CROPBOX),
]

JANE = Recipient("Jane", "Doe", "jane@example.com", Designation.SIGNER, 1)
BOB = Recipient("Bob", "Roe", "bob@example.com", Designation.SIGNER, 2)
SIG = FieldType.SIGNATURE

FIELDS = (
    Field(0, SIG, 1, 72, 650, 180, 48),
    Field(1, SIG, 2, 500, 100, 150, 40, label="Owner"),
    Field(0, SIG, 3, 50, 500, 120, 30),
    Field(1, SIG, 4, 300, 200, 100, 50),
    Field(0, SIG, 5, 10.5, 20.25, 90, 30),
)


def make_spec(**changes: Any) -> RequestSpec:
    base: dict[str, Any] = {
        "name": "Charter handover — BK-12345",
        "recipients": (JANE, BOB),
        "fields": FIELDS,
    }
    base.update(changes)
    return RequestSpec(**base)


def make_request(spec: RequestSpec | None = None, name: str = DOCUMENT_NAME) -> Request:
    return Request(
        id=str(uuid.uuid4()), provider="signature_nc", spec=spec or make_spec(), document_name=name
    )


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    """Every thread a test starts (fake servers and their connections) ends with it."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
    assert set(threading.enumerate()) <= before


@pytest.fixture
def fake() -> Iterator[SignatureNcFake]:
    with SignatureNcFake(API_KEY) as server:
        yield server


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "working-copy.pdf"
    path.write_bytes(build_pdf(PAGES))
    return path


def make_provider(
    base_url: str, *, key: str | None = API_KEY, settings: dict[str, str] | None = None
) -> tuple[SignatureNcProvider, list[float]]:
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    values = {"base_url": base_url, **(settings or {})}
    config = ProviderConfig(
        provider_id="signature_nc",
        credential=lambda k: {"api_key": key}.get(k) if key else None,
        setting=lambda k: values.get(k),
        transport=httpx.AsyncHTTPTransport(verify=TLS),
        sleep=sleep,
    )
    return SignatureNcProvider(config), sleeps


def run(
    provider: SignatureNcProvider, work: Callable[[SignatureNcProvider], Awaitable[Any]]
) -> Any:
    async def main() -> Any:
        try:
            return await work(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


def created(
    fake: SignatureNcFake, provider: SignatureNcProvider, pdf: Path, request: Request | None = None
) -> Request:
    """Create ``request`` through the client; returns it with its Signature.nc id set."""
    request = request or make_request()

    async def work(p: SignatureNcProvider) -> None:
        report = await p.create(request, check_pdf(pdf), "outbox-key-1")
        request.provider_id = report.provider_id

    run(provider, work)
    return request


def sent_signers(fake: SignatureNcFake) -> list[dict[str, Any]]:
    form = fake.requests_to("POST", CREATE)[-1].form()
    signers: list[dict[str, Any]] = json.loads(form["signers"][0].text)
    return signers


# --- create: the exact wire format -------------------------------------------------------------


def test_create_sends_the_documented_multipart_body(fake: SignatureNcFake, pdf: Path) -> None:
    provider, sleeps = make_provider(fake.url)
    request = make_request()
    report = run(provider, lambda p: p.create(request, check_pdf(pdf), "outbox-key-1"))

    [sent] = fake.requests_to("POST", CREATE)
    assert sent.header("authorization") == f"Bearer {API_KEY}"
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert sent.header("idempotency-key") is None  # Signature.nc has none
    form = sent.form()
    assert sorted(form) == ["file", "name", "sendEmail", "signers"]
    [file_part] = form["file"]
    assert file_part.filename == UPLOADED_AS
    assert file_part.content_type == "application/pdf"
    assert file_part.data == pdf.read_bytes()
    assert form["name"][0].text == "Charter handover — BK-12345"
    assert form["sendEmail"][0].text == "true"

    signers = json.loads(form["signers"][0].text)  # a JSON *string* inside the form
    assert [sorted(s) for s in signers] == [["email", "fields", "firstname", "lastname"]] * 2
    assert [(s["firstname"], s["lastname"], s["email"]) for s in signers] == [
        ("Jane", "Doe", "jane@example.com"),
        ("Bob", "Roe", "bob@example.com"),
    ]
    first = signers[0]["fields"][0]
    assert first == {
        "type": "signature",
        "name": "Signature 1",
        "document": UPLOADED_AS,
        "area": {"x": 72, "y": 792 - 650 - 48, "w": 180, "h": 48, "page": 0},
    }
    assert signers[1]["fields"][0]["name"] == "Owner"  # the label names the field
    assert [f["area"]["page"] for f in signers[0]["fields"]] == [0, 2, 4]
    assert [f["area"]["page"] for f in signers[1]["fields"]] == [1, 3]
    assert {f["document"] for s in signers for f in s["fields"]} == {UPLOADED_AS}

    [envelope] = fake.envelope_ids()
    assert report.status == Status.SENT
    assert report.provider_id == envelope
    submitters = fake.submissions[envelope].submitters
    assert [r.index for r in report.recipients] == [0, 1]
    assert [r.signing_url for r in report.recipients] == [s["signatureLink"] for s in submitters]
    assert [r.provider_recipient_id for r in report.recipients] == [s["uuid"] for s in submitters]
    assert report.payload["uuid"] == envelope
    assert report.payload["submitters"][0]["status"] == "sent"
    assert sleeps == []


def test_signers_go_in_signing_order_and_map_back_by_email(
    fake: SignatureNcFake, pdf: Path
) -> None:
    spec = make_spec(
        recipients=(
            Recipient("Jane", "Doe", "jane@example.com", order=2),
            Recipient("Bob", "Roe", "bob@example.com", order=1),
        )
    )
    provider, _ = make_provider(fake.url)
    report = run(provider, lambda p: p.create(make_request(spec), check_pdf(pdf), "k"))
    assert [s["firstname"] for s in sent_signers(fake)] == ["Bob", "Jane"]
    submitters = fake.submissions[fake.envelope_ids()[0]].submitters
    by_index = {r.index: r.provider_recipient_id for r in report.recipients}
    assert by_index == {1: submitters[0]["uuid"], 0: submitters[1]["uuid"]}


def test_signers_without_email_map_back_by_position() -> None:
    spec = make_spec(
        recipients=(
            Recipient("Jane", "Doe", "jane@example.com", order=2),
            Recipient("Bob", "Roe", "bob@example.com", order=1),
        )
    )
    data = {
        "uuid": "s-1",
        "submitters": [
            {"email": None, "uuid": "first", "status": "sent"},
            {"uuid": "second", "status": "opened"},
        ],
    }
    report = parse_submission(data, spec, observed=datetime(2026, 1, 1, tzinfo=UTC))
    by_index = {r.index: r.provider_recipient_id for r in report.recipients}
    assert by_index == {1: "first", 0: "second"}  # Bob was sent first
    assert report.status == Status.VIEWED


def test_send_email_setting_false_is_sent_as_false(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url, settings={"send_email": "false"})
    run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    form = fake.requests_to("POST", CREATE)[0].form()
    assert form["sendEmail"][0].text == "false"
    assert [s["email"] for s in sent_signers(fake)] == ["jane@example.com", "bob@example.com"]


def test_upload_name_is_plain_and_ends_in_pdf() -> None:
    assert upload_name("contract.pdf") == "contract.pdf"
    assert upload_name(DOCUMENT_NAME) == UPLOADED_AS
    assert upload_name("Ångström «draft».PDF") == "Angstrom draft.pdf"
    assert upload_name('say "hi"?.pdf') == "say _hi.pdf"
    assert upload_name("a:b*c.pdf") == "a_b_c.pdf"
    assert upload_name(r"C:\Users\x\report") == "report.pdf"
    assert upload_name("../../etc/passwd") == "passwd.pdf"
    assert upload_name("«»") == "document.pdf"


# --- coordinates -------------------------------------------------------------------------------


def test_fields_on_rotated_and_cropped_pages_land_where_placed(
    fake: SignatureNcFake, pdf: Path
) -> None:
    assert (ORIGIN, PAGE_BASE) == ("bottom-left", 0)
    provider, _ = make_provider(fake.url)
    run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    areas = {}
    for s, signer in enumerate(sent_signers(fake)):
        for f in signer["fields"]:
            areas[(s, f["area"]["page"])] = f["area"]
    geometry = check_pdf(pdf).pages
    order = {0: 0, 1: 1}  # Jane was sent first, Bob second
    for field in FIELDS:
        area = areas[(order[field.recipient_index], field.page - 1)]
        # Independently of the client: the displayed page size from the boxes in the file.
        spec = PAGES[field.page - 1]
        x0, y0, x1, y1 = visible_box(spec)
        width, height = (x1 - x0, y1 - y0) if spec.rotate in (0, 180) else (y1 - y0, x1 - x0)
        assert area["x"] == pytest.approx(field.x, abs=0.01)
        assert area["y"] == pytest.approx(height - field.y - field.height, abs=0.01)
        assert (area["w"], area["h"]) == pytest.approx((field.width, field.height), abs=0.01)
        assert area["x"] + area["w"] <= width + 0.01
        # Converted back, the field is exactly where the user placed it.
        back = from_points(
            PointRect(area["page"], area["x"], area["y"], area["w"], area["h"]),
            geometry[field.page - 1],
            PAGE_BASE,
            ORIGIN,
        )
        assert (back.x, back.y, back.width, back.height) == pytest.approx(
            (field.x, field.y, field.width, field.height), abs=0.5
        )


def test_anchor_fields_arrive_resolved_as_plain_fields(
    fake: SignatureNcFake, tmp_path: Path
) -> None:
    path = tmp_path / "anchored.pdf"
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 400), "Signed for the owner: {{sign_here}}", fontsize=11)
    doc.save(path)
    doc.close()
    spec = RequestSpec(
        name="Anchored",
        recipients=(JANE,),
        anchor_tags=(AnchorTag("{{sign_here}}", SIG, 0, 150, 40),),
    )
    assert CAPABILITIES.anchors == "local"
    resolution = resolve_anchors(spec, path, check_pdf(path).pages)
    assert resolution.problems == ()
    [anchored] = resolution.fields
    request = make_request(spec.with_fields(resolution.fields), name="anchored.pdf")
    provider, _ = make_provider(fake.url)
    run(provider, lambda p: p.create(request, check_pdf(path), "k"))
    [signer] = sent_signers(fake)
    [sent] = signer["fields"]
    assert sent["document"] == "anchored.pdf"
    assert sent["area"]["page"] == 0
    assert sent["area"]["x"] == pytest.approx(anchored.x, abs=0.01)
    assert sent["area"]["y"] == pytest.approx(842 - anchored.y - 40, abs=0.01)
    assert (sent["area"]["w"], sent["area"]["h"]) == (150, 40)


# --- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("initiated", Status.SENT),
        ("sent", Status.SENT),
        ("opened", Status.VIEWED),
        ("completed", Status.COMPLETED),
    ],
)
def test_every_signer_status_is_mapped(
    fake: SignatureNcFake, pdf: Path, state: str, expected: Status
) -> None:
    assert SIGNER_STATUS[state] == expected
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    fake.advance(fake.envelope_ids()[0], state)
    provider, _ = make_provider(fake.url)
    report = run(provider, lambda p: p.refresh(request))
    assert report.status == expected
    assert fake.requests_to("GET", f"{PREFIX}/signatures/{request.provider_id}")


def test_per_signer_progress_and_times(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    envelope = fake.envelope_ids()[0]
    submitters = fake.submissions[envelope].submitters

    async def refresh() -> Any:
        provider, _ = make_provider(fake.url)
        try:
            return await provider.refresh(request)
        finally:
            await provider.aclose()

    fake.advance(envelope, "viewed", 0)
    before = datetime.now(UTC)
    report = asyncio.run(refresh())
    after = datetime.now(UTC)
    assert report.status == Status.VIEWED
    jane, bob = report.recipients
    assert jane.viewed_at is not None and before <= jane.viewed_at <= after
    assert (jane.signed_at, bob.viewed_at, bob.signed_at) == (None, None, None)

    fake.advance(envelope, "completed", 0)  # one signer's signature never ends the request
    report = asyncio.run(refresh())
    assert report.status == Status.VIEWED and report.completed_at is None
    jane, bob = report.recipients
    assert jane.signed_at == parse_iso(submitters[0]["completedAt"])
    assert bob.signed_at is None

    fake.advance(envelope, "signed", 1)
    report = asyncio.run(refresh())
    assert report.status == Status.COMPLETED
    jane, bob = report.recipients
    assert bob.signed_at == parse_iso(submitters[1]["completedAt"])
    assert report.completed_at == bob.signed_at
    assert jane.signed_at is not None and jane.signed_at < bob.signed_at


def test_fake_has_no_declined_expired_or_cancelled_state(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url)
    created(fake, provider, pdf)
    for state in ("declined", "expired", "cancelled"):
        with pytest.raises(ValueError, match="no"):
            fake.advance(fake.envelope_ids()[0], state)


def test_refresh_of_an_unknown_submission_is_not_found(fake: SignatureNcFake) -> None:
    request = make_request()
    request.provider_id = "no-such-uuid"
    provider, _ = make_provider(fake.url)
    with pytest.raises(provider_errors.RemoteNotFoundError):
        run(provider, lambda p: p.refresh(request))


# --- downloads and unsupported actions --------------------------------------------------------


def test_download_signed_pdf(fake: SignatureNcFake, pdf: Path, tmp_path: Path) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    envelope = fake.envelope_ids()[0]
    dest = tmp_path / "signed.pdf"

    provider, _ = make_provider(fake.url)
    with pytest.raises(ConflictError, match="not signed by everyone"):
        run(provider, lambda p: p.download_signed(request, dest))
    assert not dest.exists()

    fake.advance(envelope, "completed", 1)
    fake.advance(envelope, "completed", 0)  # Jane signs last: hers holds both signatures
    provider, _ = make_provider(fake.url)
    run(provider, lambda p: p.download_signed(request, dest))
    assert dest.read_bytes() == fake.signed_pdf(envelope)
    [got] = fake.requests_to("GET", f"{PREFIX}/files/.*")
    assert got.header("authorization") == f"Bearer {API_KEY}"
    text = pymupdf.open(dest)[0].get_text()
    assert "Signed by Bob Roe" in text and "Signed by Jane Doe" in text


def test_download_from_another_host_sends_no_credentials(
    fake: SignatureNcFake, pdf: Path, tmp_path: Path
) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    envelope = fake.envelope_ids()[0]
    fake.advance(envelope, "completed")
    signed = fake.signed_pdf(envelope)
    with FakeServer() as bucket:
        bucket.route("GET", "/bucket/signed.pdf", lambda _: pdf_response(signed, "signed.pdf"))
        for submitter in fake.submissions[envelope].submitters:
            submitter["signedDocuments"] = [f"{bucket.url}/bucket/signed.pdf"]
        provider, _ = make_provider(fake.url)
        dest = tmp_path / "signed.pdf"
        run(provider, lambda p: p.download_signed(request, dest))
        [got] = bucket.received
        # A storage link that has run out is "not ready", not a credentials problem.
        bucket.fail_next("GET", "/bucket/signed.pdf", FakeResponse(403, b"AccessDenied"))
        provider, _ = make_provider(fake.url)
        with pytest.raises(ConflictError, match="next sync"):
            run(provider, lambda p: p.download_signed(request, tmp_path / "again.pdf"))
    assert got.header("authorization") is None
    assert dest.read_bytes() == signed
    assert not (tmp_path / "again.pdf").exists()


def test_certificate_cancel_and_reconcile_are_unavailable(
    fake: SignatureNcFake, pdf: Path, tmp_path: Path
) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    fake.advance(fake.envelope_ids()[0], "completed")
    count = len(fake.received)

    async def work(p: SignatureNcProvider) -> None:
        with pytest.raises(CapabilityError, match="completion certificate"):
            await p.download_certificate(request, tmp_path / "certificate.pdf")
        with pytest.raises(CapabilityError, match="cancelling"):
            await p.cancel(request, "changed my mind")
        with pytest.raises(CapabilityError, match="look a request up"):
            await p.reconcile(request)

    provider, _ = make_provider(fake.url)
    run(provider, work)
    assert len(fake.received) == count  # nothing was sent
    assert not (tmp_path / "certificate.pdf").exists()
    assert (
        CAPABILITIES.cancel,
        CAPABILITIES.certificate,
        CAPABILITIES.list,
        CAPABILITIES.webhooks,
        CAPABILITIES.idempotency,
    ) == (False,) * 5


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    SignatureNcFake().documented_errors(),
    ids=lambda c: f"{c.response.status}-{c.message[:40]}",
)
def test_documented_errors(fake: SignatureNcFake, pdf: Path, case: ErrorCase) -> None:
    assert case.operation == "create"
    fake.fail_next(case.method, case.path, case.response)
    provider, sleeps = make_provider(fake.url)
    with pytest.raises(SealboxError) as caught:
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert type(caught.value).__name__ == case.expected
    assert isinstance(caught.value, getattr(provider_errors, case.expected))
    assert case.message in caught.value.message
    assert len(fake.requests_to("POST", CREATE)) == 1 and sleeps == []
    assert fake.envelope_ids() == []


def test_every_documented_400_message_is_covered(fake: SignatureNcFake) -> None:
    cases = fake.documented_errors()
    assert len([c for c in cases if c.response.status == 400]) == 18
    assert {c.response.status for c in cases} == {400, 401, 403}
    for case in cases:
        if case.response.status == 400:
            assert case.response.headers["Content-Type"] == "text/plain"


def test_a_400_is_shown_word_for_word(fake: SignatureNcFake, pdf: Path) -> None:
    # Preflight would stop this; sent anyway, the fake's own rule answers.
    spec = make_spec(recipients=(Recipient("Jane", "", "jane@example.com", order=1), BOB))
    provider, _ = make_provider(fake.url)
    with pytest.raises(InvalidRequestError) as caught:
        run(provider, lambda p: p.create(make_request(spec), check_pdf(pdf), "k"))
    assert caught.value.message == (
        "Signature.nc refused the request as invalid: Signer 1: A "
        "lastname must be provided. Correct it and send again."
    )
    assert caught.value.issues == ["Signer 1: A lastname must be provided"]
    assert caught.value.status == 400


def test_quota_403_is_out_of_credits_not_bad_credentials(fake: SignatureNcFake, pdf: Path) -> None:
    fake.fail_next(
        "POST",
        CREATE,
        FakeResponse(
            403, b"You've reached the API limit for this plan", {"Content-Type": "text/plain"}
        ),
    )
    provider, _ = make_provider(fake.url)
    with pytest.raises(OutOfCreditsError) as caught:
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert "You've reached the API limit for this plan" in caught.value.message
    assert "Upgrade the Signature.nc plan" in caught.value.message


def test_wrong_api_key_is_refused_with_the_login_hint(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url, key="wrong")
    with pytest.raises(AuthenticationError, match="sealbox login signature_nc"):
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert fake.envelope_ids() == []


def test_missing_api_key_sends_nothing(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url, key=None)
    assert provider.configuration_problem() == (
        "Signature.nc needs an API key: run `sealbox login signature_nc` or set "
        "SEALBOX_SIGNATURE_NC_API_KEY."
    )
    with pytest.raises(AuthenticationError, match="needs an API key"):
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert fake.received == []


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("camelCase names", MESSAGES["firstname"].format(n=1)),
        ("width instead of w", MESSAGES["wh"].format(n=1, m=1, email="jane@example.com")),
        ("1-based page", MESSAGES["page_unknown"]),
        ("negative page", MESSAGES["page"].format(n=1, m=1, email="jane@example.com")),
        ("document name", MESSAGES["document"].format(name="other.pdf")),
        ("JSON body", MESSAGES["no_file"]),
        ("not a PDF", MESSAGES["not_pdf"]),
        ("no email with sendEmail", MESSAGES["email_required"].format(n=1)),
        ("bad email", MESSAGES["email_format"].format(n=1, email="jane@")),
        ("no fields", MESSAGES["no_fields"].format(n=1, email="jane@example.com")),
        ("initials", "Signer 1 (jane@example.com), Field 1: Unsupported field type initials"),
        ("signers not JSON", MESSAGES["no_signers"]),
        ("no signers", MESSAGES["empty_signers"]),
    ],
)
def test_fake_refuses_what_the_document_forbids(
    fake: SignatureNcFake, mistake: str, message: str
) -> None:
    """The fake is strict, so a client mistake cannot pass the contract tests."""
    pdf_bytes = build_pdf([blank_page()])
    area: dict[str, Any] = {"x": 10, "y": 10, "w": 100, "h": 30, "page": 0}
    field: dict[str, Any] = {"type": "signature", "name": "Sign", "document": "c.pdf", "area": area}
    signer: dict[str, Any] = {
        "firstname": "Jane",
        "lastname": "Doe",
        "email": "jane@example.com",
        "fields": [field],
    }
    data: dict[str, Any] = {"name": "NDA", "sendEmail": "true"}
    file: tuple[str, bytes, str] = ("c.pdf", pdf_bytes, "application/pdf")
    signers: Any = [signer]
    if mistake == "camelCase names":
        signer["firstName"] = signer.pop("firstname")
    elif mistake == "width instead of w":
        area["width"] = area.pop("w")
    elif mistake == "1-based page":
        area["page"] = 1
    elif mistake == "negative page":
        area["page"] = -1
    elif mistake == "document name":
        field["document"] = "other.pdf"
    elif mistake == "not a PDF":
        file = ("c.pdf", b"GIF89a not a pdf", "image/gif")
    elif mistake == "no email with sendEmail":
        del signer["email"]
    elif mistake == "bad email":
        signer["email"] = "jane@"
    elif mistake == "no fields":
        signer["fields"] = []
    elif mistake == "initials":
        field["type"] = "initials"
    elif mistake == "no signers":
        signers = []
    with httpx.Client(verify=TLS) as client:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        if mistake == "JSON body":
            response = client.post(
                f"{fake.url}/signatures", headers=headers, json={**data, "signers": signers}
            )
        else:
            data["signers"] = "not json [" if mistake == "signers not JSON" else json.dumps(signers)
            response = client.post(
                f"{fake.url}/signatures", headers=headers, data=data, files={"file": file}
            )
        assert response.status_code == 400
        assert response.headers["content-type"] == "text/plain"
        assert response.text == message
        unauthorized = client.post(f"{fake.url}/signatures", data=data, files={"file": file})
        assert unauthorized.status_code == 401
    assert fake.envelope_ids() == []


def test_fake_accepts_the_documented_example(fake: SignatureNcFake) -> None:
    signers = [
        {
            "firstname": "Jane",
            "lastname": "Doe",
            "email": "jane@acme.com",
            "fields": [
                {
                    "type": "signature",
                    "name": "Sign here",
                    "document": "contract.pdf",
                    "area": {"x": 120, "y": 640, "w": 200, "h": 80, "page": 0},
                }
            ],
        }
    ]
    with httpx.Client(verify=TLS) as client:
        response = client.post(
            f"{fake.url}/signatures",
            headers={"Authorization": f"Bearer {API_KEY}"},
            data={"name": "Acme NDA", "signers": json.dumps(signers)},
            files={"file": ("contract.pdf", build_pdf([blank_page()]), "application/pdf")},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme NDA" and body["uuid"] == fake.envelope_ids()[0]
    assert body["submitters"][0]["status"] == "sent"
    assert fake.submissions[body["uuid"]].send_email is False


# --- retries, Retry-After and the ambiguous create --------------------------------------------


def test_retry_after_on_429_is_honoured_for_create(fake: SignatureNcFake, pdf: Path) -> None:
    fake.fail_next("POST", CREATE, FakeResponse(429, b"Too many requests", {"Retry-After": "7"}))
    provider, sleeps = make_provider(fake.url)
    report = run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert sleeps == [7.0]
    first, second = fake.requests_to("POST", CREATE)
    for attempt in (first, second):  # the file is opened afresh for every attempt
        assert attempt.form()["file"][0].data == pdf.read_bytes()
    assert fake.envelope_ids() == [report.provider_id]


def test_retry_after_on_503_is_honoured_for_refresh(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    fake.fail_next(
        "GET", f"{PREFIX}/signatures/.*", FakeResponse(503, b"Maintenance", {"Retry-After": "3"})
    )
    provider, sleeps = make_provider(fake.url)
    report = run(provider, lambda p: p.refresh(request))
    assert sleeps == [3.0]
    assert report.status == Status.SENT


def test_ambiguous_create_is_not_retried_and_cannot_be_reconciled(
    fake: SignatureNcFake, pdf: Path
) -> None:
    fake.fail_next("POST", CREATE, FakeResponse(drop=True), after=True)
    request = make_request()
    provider, sleeps = make_provider(fake.url)
    with pytest.raises(AmbiguousSendError):
        run(provider, lambda p: p.create(request, check_pdf(pdf), "k"))
    assert len(fake.requests_to("POST", CREATE)) == 1  # never sent twice
    assert len(fake.envelope_ids()) == 1  # it did arrive
    assert sleeps == []
    provider, _ = make_provider(fake.url)
    with pytest.raises(CapabilityError, match=r"look for it on Signature\.nc"):
        run(provider, lambda p: p.reconcile(request))


def test_a_500_on_create_is_ambiguous_too(fake: SignatureNcFake, pdf: Path) -> None:
    fake.fail_next("POST", CREATE, FakeResponse(500, b"boom"))
    provider, _ = make_provider(fake.url)
    with pytest.raises(AmbiguousSendError):
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert len(fake.requests_to("POST", CREATE)) == 1


# --- untrusted answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(200, b"<html>hello</html>", {"Content-Type": "text/html"}),
        json_response(200, ["not", "an", "object"]),
        json_response(200, {"submitters": []}),
        json_response(200, {"uuid": "x", "submitters": [{"status": "sent"}]}),  # one for two
        json_response(200, {"uuid": "x", "submitters": [{"status": "declined"}] * 2}),
        json_response(200, {"uuid": "x", "submitters": [{"status": "completed"}] * 2}),
        json_response(
            200,
            {"uuid": "x", "submitters": [{"status": "completed", "completedAt": "yesterday"}] * 2},
        ),
    ],
)
def test_malformed_create_answers_are_ambiguous(
    fake: SignatureNcFake, pdf: Path, answer: FakeResponse
) -> None:
    fake.fail_next("POST", CREATE, answer, after=True)
    provider, sleeps = make_provider(fake.url)
    # It was accepted: with no idempotency key it must be looked for, never sent again.
    with pytest.raises(AmbiguousSendError, match="answer could not be read"):
        run(provider, lambda p: p.create(make_request(), check_pdf(pdf), "k"))
    assert len(fake.requests_to("POST", CREATE)) == 1 and sleeps == []
    assert len(fake.envelope_ids()) == 1


def test_malformed_status_answers_are_bad_responses(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url)
    request = created(fake, provider, pdf)
    envelope = fake.envelope_ids()[0]
    fake.submissions[envelope].submitters[1]["status"] = "declined"  # not in the document
    provider, _ = make_provider(fake.url)
    with pytest.raises(BadResponseError, match="'declined'"):
        run(provider, lambda p: p.refresh(request))
    fake.fail_next("GET", f"{PREFIX}/signatures/.*", FakeResponse(200, b"<html>"))
    provider, _ = make_provider(fake.url)
    with pytest.raises(BadResponseError, match="not JSON"):
        run(provider, lambda p: p.refresh(request))


def test_signed_document_links_in_either_shape() -> None:
    def submission(docs: Any) -> dict[str, Any]:
        return {
            "uuid": "u",
            "submitters": [
                {
                    "status": "completed",
                    "completedAt": "2026-06-22T10:05:00Z",
                    "signedDocuments": [{"name": "old.pdf", "url": "https://x/early"}],
                },
                {
                    "status": "completed",
                    "completedAt": "2026-06-22T10:09:00Z",
                    "signedDocuments": docs,
                },
            ],
        }

    assert signed_document_url(submission(["https://x/a.pdf"]), "c.pdf") == "https://x/a.pdf"
    assert signed_document_url(submission("/files/a.pdf"), "c.pdf") == "/files/a.pdf"
    assert (
        signed_document_url(
            submission(
                [
                    {"name": "other.pdf", "url": "https://x/o"},
                    {"name": "c.pdf", "url": "https://x/c"},
                ]
            ),
            "c.pdf",
        )
        == "https://x/c"
    )
    with pytest.raises(ConflictError):
        signed_document_url(submission(None), "c.pdf")
    with pytest.raises(BadResponseError):
        signed_document_url(submission([{"name": "c.pdf"}]), "c.pdf")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
TIMES = (
    st.sampled_from(
        ["2026-06-22T10:00:00.000Z", "2026-06-22T10:00:00+02:00", "", "x", "2026-13-45"]
    )
    | JSON
)
SUBMITTER = st.fixed_dictionaries(
    {},
    optional={
        "email": st.sampled_from(["jane@example.com", "BOB@example.com", ""]) | JSON,
        "uuid": JSON,
        "status": st.sampled_from([*SIGNER_STATUS, "declined", ""]) | JSON,
        "completedAt": TIMES,
        "signatureLink": JSON,
        "signedDocuments": st.lists(
            st.text(max_size=20) | st.fixed_dictionaries({}, optional={"name": JSON, "url": JSON}),
            max_size=3,
        )
        | JSON,
    },
)
SUBMISSION = st.fixed_dictionaries(
    {},
    optional={
        "uuid": st.text(max_size=10) | JSON,
        "submitters": st.lists(SUBMITTER | JSON, max_size=3) | JSON,
        "name": JSON,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, SUBMISSION))
def test_parsers_raise_only_typed_errors(data: Any) -> None:
    spec = make_spec()
    observed = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        report = parse_submission(data, spec, observed=observed)
    except SealboxError:
        pass
    else:
        assert report.status in (Status.SENT, Status.VIEWED, Status.COMPLETED)
        assert sorted(r.index for r in report.recipients) == [0, 1]
    with contextlib.suppress(SealboxError):
        signed_document_url(data, "c.pdf")


# --- configuration and preflight ---------------------------------------------------------------


def test_configuration(fake: SignatureNcFake) -> None:
    provider, _ = make_provider(fake.url)
    assert provider.configuration_problem() is None
    assert str(provider.http.base_url) == fake.url + "/"
    bad, _ = make_provider(fake.url, settings={"send_email": "maybe"})
    assert "SEALBOX_SIGNATURE_NC_SEND_EMAIL" in (bad.configuration_problem() or "")
    default, _ = make_provider("")
    assert str(default.http.base_url) == DEFAULT_BASE_URL + "/"
    nowhere, _ = make_provider("http://[::1")
    assert "SEALBOX_SIGNATURE_NC_BASE_URL" in (nowhere.configuration_problem() or "")
    request = make_request()
    request.provider_id = "x"

    async def work() -> None:
        with pytest.raises(UserError, match="not a web address"):
            await nowhere.refresh(request)
        for p in (provider, bad, default, nowhere):
            await p.aclose()

    asyncio.run(work())
    assert fake.received == []
    assert fake.env() == {
        "SEALBOX_SIGNATURE_NC_BASE_URL": fake.url,
        "SEALBOX_SIGNATURE_NC_API_KEY": API_KEY,
    }


def test_preflight(fake: SignatureNcFake, pdf: Path) -> None:
    provider, _ = make_provider(fake.url)
    info = check_pdf(pdf)
    assert provider.preflight(make_spec(), info) == []
    spec = RequestSpec(
        name="Bad",
        message="Please sign",
        recipients=(
            JANE,
            Recipient("Al", "", "al@example.com", Designation.SIGNER, 2),
            Recipient("Ann", "Ap", "ann@example.com", Designation.APPROVER, 3),
            Recipient("Cee", "Cc", "cee@example.com", Designation.CC, 4),
        ),
        fields=(
            Field(0, SIG, 1, 10, 10, 100, 30, required=False),
            Field(0, FieldType.INITIALS, 1, 10, 100, 50, 30),
            Field(2, SIG, 1, 10, 200, 100, 30),
        ),
        anchor_tags=(AnchorTag("{{x}}", FieldType.DATE, 0, required=False),),
    )
    problems = provider.preflight(spec, info)
    warnings = provider.warnings(spec)
    asyncio.run(provider.aclose())
    # The message changes nothing about who signs what: sent without it, with a warning.
    assert warnings == [
        "message: Signature.nc does not deliver a message to the recipients; it "
        "is sent without it and kept in Sealbox only, so tell them another way "
        "if it matters"
    ]
    joined = "\n".join(problems)
    assert "message" not in joined
    for expected in (
        "fields[1].type: Signature.nc cannot take initials fields",
        "anchorTags[0].type: Signature.nc cannot take date fields",
        "recipients[1].lastName: Signature.nc needs a last name",
        "recipients[1]: Signature.nc needs at least one signature field",
        "recipients[2].designation: Signature.nc has only signers, no Approver",
        "recipients[3].designation: Signature.nc has only signers, no CC",
        "fields[0].required: Signature.nc fields are always required",
        "anchorTags[0].required",
    ):
        assert expected in joined, expected
    assert len(problems) == 8


def test_create_refuses_what_it_cannot_send(fake: SignatureNcFake, pdf: Path) -> None:
    cc = make_spec(
        recipients=(JANE, Recipient("Cee", "Cc", "c@example.com", Designation.CC, 2)),
        fields=(FIELDS[0],),
    )
    initials = make_spec(fields=(*FIELDS, Field(0, FieldType.INITIALS, 1, 1, 1, 20, 20)))
    off_document = make_spec(fields=(*FIELDS, Field(1, SIG, 9, 1, 1, 20, 20)))
    provider, _ = make_provider(fake.url)

    async def work(p: SignatureNcProvider) -> None:
        with pytest.raises(CapabilityError, match="only signers"):
            await p.create(make_request(cc), check_pdf(pdf), "k")
        with pytest.raises(CapabilityError, match="initials"):
            await p.create(make_request(initials), check_pdf(pdf), "k")
        with pytest.raises(UserError, match="has 5 pages"):
            await p.create(make_request(off_document), check_pdf(pdf), "k")

    run(provider, work)
    assert fake.received == []
