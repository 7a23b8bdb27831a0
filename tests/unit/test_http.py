"""The shared provider HTTP plumbing: retries, Retry-After, redirects, typed errors."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.errors import SealboxError
from app.providers.errors import (
    AmbiguousSendError,
    AuthenticationError,
    BadResponseError,
    ConflictError,
    DocumentTooLargeError,
    InvalidRequestError,
    OutOfCreditsError,
    ProviderRejectedError,
    ProviderUnavailableError,
    RemoteNotFoundError,
)
from app.providers.http import ProviderHttp, Refusal, RetryPolicy, parse_retry_after

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def client(rec: Recorder, **kwargs: Any) -> ProviderHttp:
    async def auth() -> dict[str, str]:
        return {"Authorization": "Bearer k", "X-API-Key": "k"}

    return ProviderHttp(
        provider="Acme",
        base_url="https://api.acme.test/v1",
        auth=auth,
        login_hint="run `sealbox login acme`",
        transport=httpx.MockTransport(rec),
        sleep=rec.sleep,
        policy=RetryPolicy(attempts=3),
        **kwargs,
    )


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_paths_join_the_base_and_credentials_are_sent() -> None:
    rec = Recorder(httpx.Response(200, json={"ok": True}))
    http = client(rec)
    assert run(http.json("GET", "/signatures/1")) == {"ok": True}
    assert str(rec.requests[0].url) == "https://api.acme.test/v1/signatures/1"
    assert rec.requests[0].headers["Authorization"] == "Bearer k"
    assert rec.requests[0].headers["User-Agent"].startswith("Sealbox/")


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            400,
            {
                "error": {
                    "code": "invalid_request",
                    "message": "Body didn't match the schema",
                    "issues": [{"path": ["recipients", 0, "email"], "message": "Invalid"}],
                }
            },
            InvalidRequestError,
            "recipients.0.email: Invalid",
        ),
        (
            401,
            {"code": "unauthorized", "message": "bad key"},
            AuthenticationError,
            "run `sealbox login acme`",
        ),
        (
            402,
            {"code": "signature_credits_exhausted"},
            OutOfCreditsError,
            "The signature service account is out of credits",
        ),
        (404, {"code": "not_found"}, RemoteNotFoundError, "does not know this request"),
        (
            409,
            {"code": "conflict", "message": "not archived yet"},
            ConflictError,
            "not archived yet",
        ),
        (413, {"code": "document_too_large"}, DocumentTooLargeError, "too large"),
        (
            502,
            {"code": "signature_provider_error", "message": "recipient bounced"},
            ProviderRejectedError,
            "recipient bounced",
        ),
    ],
)
def test_status_codes_map_to_typed_errors(
    status: int, body: Any, error: type[Exception], text: str
) -> None:
    rec = Recorder(httpx.Response(status, json=body))
    with pytest.raises(error) as info:
        run(client(rec).request("POST", "/x", json_body={}, idempotency_key="k1"))
    assert text in str(info.value)
    assert len(rec.requests) == 1  # refusals are not retried


def test_plain_text_errors_are_shown_verbatim() -> None:
    rec = Recorder(httpx.Response(400, text="signers: signer 1 has no email"))
    with pytest.raises(InvalidRequestError, match="signers: signer 1 has no email"):
        run(client(rec).request("POST", "/x"))


def test_get_is_retried_with_backoff_then_gives_up() -> None:
    rec = Recorder(httpx.Response(500), httpx.Response(502, json={}), httpx.Response(200))
    # 502 is a refusal (not retried); 500 is retried.
    with pytest.raises(ProviderRejectedError):
        run(client(rec).request("GET", "/x"))
    assert len(rec.requests) == 2
    rec = Recorder(httpx.Response(500), httpx.Response(500), httpx.Response(500))
    with pytest.raises(ProviderUnavailableError, match="internal error"):
        run(client(rec).request("GET", "/x"))
    assert len(rec.requests) == 3
    assert len(rec.sleeps) == 2 and all(0 <= s <= 20 for s in rec.sleeps)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(status: int) -> None:
    rec = Recorder(httpx.Response(status, headers={"Retry-After": "7"}), httpx.Response(201))
    response = run(client(rec).request("POST", "/x", json_body={}))
    assert response.status_code == 201
    assert rec.sleeps == [7.0]


def test_a_long_retry_after_goes_back_to_the_caller() -> None:
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(ProviderUnavailableError) as info:
        run(client(rec).request("GET", "/x"))
    assert info.value.retry_after == 3600
    assert rec.sleeps == []


def test_retry_after_as_a_date() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (parse_retry_after(when) or 0) <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_create_without_key_is_never_retried_after_it_left() -> None:
    rec = Recorder(httpx.ReadTimeout("read timed out"))
    with pytest.raises(AmbiguousSendError, match="lost after the request was sent"):
        run(client(rec).request("POST", "/x", json_body={}))
    assert len(rec.requests) == 1
    rec = Recorder(httpx.Response(500))
    with pytest.raises(AmbiguousSendError):
        run(client(rec).request("POST", "/x", json_body={}))
    assert len(rec.requests) == 1


def test_a_create_with_a_key_is_retried_with_the_same_key() -> None:
    rec = Recorder(httpx.ReadTimeout("t"), httpx.Response(500), httpx.Response(201))
    response = run(client(rec).request("POST", "/x", json_body={}, idempotency_key="abc"))
    assert response.status_code == 201
    assert [r.headers["Idempotency-Key"] for r in rec.requests] == ["abc"] * 3


def test_a_refused_connection_is_safe_to_retry() -> None:
    rec = Recorder(httpx.ConnectError("refused"), httpx.Response(201))
    assert run(client(rec).request("POST", "/x", json_body={})).status_code == 201
    rec = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailableError, match="could not be reached"):
        run(client(rec).request("GET", "/x"))


def test_redirects_keep_credentials_only_within_the_origin() -> None:
    rec = Recorder(
        httpx.Response(302, headers={"Location": "/v1/elsewhere"}),
        httpx.Response(302, headers={"Location": "https://storage.example.net/f.pdf"}),
        httpx.Response(200, content=b"%PDF-1.7 ..."),
    )
    response = run(client(rec).request("GET", "/download"))
    assert response.content.startswith(b"%PDF")
    assert rec.requests[1].headers["Authorization"] == "Bearer k"
    assert "Authorization" not in rec.requests[2].headers
    assert "X-API-Key" not in rec.requests[2].headers
    rec = Recorder(httpx.Response(307, headers={"Location": "https://evil.example/x"}))
    with pytest.raises(BadResponseError, match="another site"):
        run(client(rec).request("POST", "/x", json_body={}))


def test_401_renews_once() -> None:
    rec = Recorder(httpx.Response(401), httpx.Response(200, json={}))
    renewals: list[bool] = []

    async def renew() -> bool:
        renewals.append(True)
        return True

    assert run(client(rec, on_unauthorized=renew).json("GET", "/x")) == {}
    assert renewals == [True]
    rec = Recorder(httpx.Response(401))
    with pytest.raises(AuthenticationError):
        run(client(rec, on_unauthorized=renew).json("GET", "/x"))
    assert len(rec.requests) == 2


def test_json_that_is_not_json() -> None:
    rec = Recorder(httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(BadResponseError, match="not JSON"):
        run(client(rec).json("GET", "/x"))


def test_download_streams_whole_or_not_at_all(tmp_path: Path) -> None:
    dest = tmp_path / "signed.pdf"
    rec = Recorder(httpx.Response(200, content=b"%PDF-1.7\n" + b"x" * 100_000))
    digest = run(client(rec).download("/d", dest))
    assert dest.read_bytes().startswith(b"%PDF") and len(digest) == 64
    bad = tmp_path / "bad.pdf"
    rec = Recorder(httpx.Response(200, content=b"<html>login</html>"))
    with pytest.raises(BadResponseError, match="not a PDF"):
        run(client(rec).download("/d", bad))
    assert not bad.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["signed.pdf"]
    rec = Recorder(httpx.Response(409, json={"code": "conflict", "message": "not archived"}))
    with pytest.raises(ConflictError):
        run(client(rec).download("/d", bad))
    assert not bad.exists()


def test_a_status_hook_gives_a_provider_its_own_meaning_of_a_status() -> None:
    seen: list[Refusal] = []

    def hook(refusal: Refusal) -> SealboxError | None:
        seen.append(refusal)
        if refusal.status == 400 and refusal.operation == "cancel":
            return ConflictError(
                f"Acme cannot cancel this any more{refusal.said}.", **refusal.kwargs()
            )
        return None

    rec = Recorder(
        httpx.Response(400, json={"code": "not_pending", "issues": ["document is completed"]})
    )
    http = client(rec, status_hook=hook)
    with pytest.raises(ConflictError, match=r"cancel this any more \(document is completed\)"):
        run(http.json("POST", "/documents/1/cancel", operation="cancel"))
    # The same status for another operation: the shared mapping.
    with pytest.raises(InvalidRequestError, match="document is completed"):
        run(http.json("GET", "/documents/1"))
    assert [(r.status, r.operation, r.body.code) for r in seen] == [
        (400, "cancel", "not_pending"),
        (400, None, "not_pending"),
    ]
    assert len(rec.requests) == 2  # a refusal is not retried


def test_a_connection_probe_makes_one_attempt() -> None:
    rec = Recorder(httpx.Response(503, json={"message": "down"}))
    probe = client(rec).probe()
    with pytest.raises(ProviderUnavailableError):
        run(probe.json("GET", "/ping"))
    assert len(rec.requests) == 1 and rec.sleeps == []
    run(probe.aclose())
