# mypy: allow-untyped-calls
"""A fake Signicat Sign API v2 that follows the integration guide strictly (real HTTP on 127.0.0.1).

The layout mirrors the real host: the API lives under ``/sign`` (so :attr:`SignicatFake.url` is
the base URL a client is configured with, ``https://api.signicat.com/sign`` in production) and
the OAuth token endpoint at ``/auth/open/connect/token`` on the same origin
(:attr:`SignicatFake.token_url`).

- Token: ``POST`` form-encoded ``grant_type=client_credentials`` (``scope``, when given, must be
  ``signicat-api``), the client authenticated with HTTP Basic or ``client_id``/``client_secret``
  in the body; wrong credentials answer 400 ``{"error": "invalid_client"}``. Tokens live
  :attr:`SignicatFake.token_lifetime` seconds for the client's information; the fake only stops
  accepting them when a test calls :meth:`SignicatFake.expire_tokens`.
- Every API call needs ``Authorization: Bearer <token>``: 401 problem details without a valid
  one.
- Requests that break the guide (a JSON body that is not an array of sessions, unknown or
  misspelled keys, an ``action`` other than ``SIGN``, a document not in its collection, a
  ``packageTo`` other than ``PADES_CONTAINER``, a missing ``Content-Type``...) are refused with
  400 problem details whose ``invalidParams`` name the offending field.

Tests drive a session with :meth:`SignicatFake.advance`: ``signed`` (``SIGNED``, packaging still
running), ``completed`` (``SIGNED`` and the PAdES packaged), or any raw ``lifecycle.state``
(upper case, e.g. ``READY`` or a state the guide does not list); :meth:`finish_packaging` adds the
PAdES package of a signed session.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

import pymupdf

from tests.fakes.base import (
    ErrorCase,
    FakeRequest,
    FakeResponse,
    ProviderFake,
    json_response,
    pdf_response,
)

PREFIX = "/sign"
TOKEN_PATH = "/auth/open/connect/token"
CLIENT_ID = "sandbox-quiet-fox-123"
CLIENT_SECRET = "s3cr3t/with+odd:chars"
SCOPE = "signicat-api"
START = datetime(2025, 7, 4, 14, 16, 35, tzinfo=UTC)

SESSION_KEYS = frozenset(
    {
        "title",
        "externalReference",
        "documents",
        "signingSetup",
        "packageTo",
        "ui",
        "redirectSettings",
        "dueDate",
        "subsequentTo",
    }
)
SESSION_DOCUMENT_KEYS = frozenset({"action", "documentCollectionId", "documentId"})
SETUP_KEYS = frozenset({"identityProviders", "signingFlow", "additionalParameters"})
REDIRECT_KEYS = frozenset({"error", "cancel", "success"})
SIGNING_FLOWS = frozenset({"AUTHENTICATION_BASED"})
PACKAGE_TYPES = frozenset({"PADES_CONTAINER"})
MIME_TYPES = frozenset({"application/pdf", "text/plain"})


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    invalid: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> FakeResponse:
    """An RFC 7807 problem details answer, as Signicat's API reference shows them."""
    body = {
        "status": status,
        "title": title,
        "code": code or title.lower().replace(" ", "_"),
        "traceId": uuid.uuid4().hex,
        "invalidParams": [{"name": n, "reason": r} for n, r in (invalid or [])],
        "detail": detail,
    }
    return FakeResponse(
        status,
        json.dumps(body).encode("utf-8"),
        {"Content-Type": "application/problem+json", **(headers or {})},
    )


def invalid(*params: tuple[str, str]) -> FakeResponse:
    return problem(
        400,
        "Bad request",
        "The request is not valid.",
        code="validation_error",
        invalid=list(params),
    )


def make_pades_pdf(title: str = "Signed") -> bytes:
    """A small real PDF standing in for the PAdES package."""
    doc = pymupdf.open()
    try:
        page = doc.new_page()
        page.insert_text((72, 72), f"{title} (PAdES container)")
        doc.set_metadata({"title": title})
        data: bytes = doc.tobytes()
    finally:
        doc.close()
    return data


@dataclass
class FakeDocument:
    id: str
    mime_type: str
    data: bytes
    created_at: datetime


@dataclass
class FakeSession:
    id: str
    body: dict[str, Any]
    state: str = "READY"
    final: bool = False
    signatures: list[dict[str, Any]] = field(default_factory=list)
    packages: list[dict[str, Any]] = field(default_factory=list)


class SignicatFake(ProviderFake):
    provider_id = "signicat"

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        #: ``expires_in`` of the tokens issued (None: left out of the token response).
        self.token_lifetime: int | None = 600
        self.tokens: set[str] = set()
        self.issued: list[str] = []
        self.documents: dict[str, FakeDocument] = {}
        self.collections: dict[str, list[str]] = {}
        self.sessions: dict[str, FakeSession] = {}
        self._counter = itertools.count(1)
        self.route("POST", TOKEN_PATH, self._token)
        self.route("POST", f"{PREFIX}/documents", self._upload)
        self.route("GET", f"{PREFIX}/documents/(?P<id>[^/]+)", self._get_document)
        self.route("POST", f"{PREFIX}/document-collections", self._collection)
        self.route("POST", f"{PREFIX}/signing-sessions", self._create_sessions)
        self.route("GET", f"{PREFIX}/signing-sessions", self._list_sessions)
        self.route("GET", f"{PREFIX}/signing-sessions/(?P<id>[^/]+)", self._get_session)

    def start(self) -> SignicatFake:
        super().start()
        assert self._server is not None
        # Answers leave in two writes (headers, then body): without TCP_NODELAY on the accepted
        # sockets (inherited from the listening one) each answer waits ~40 ms for a delayed ACK.
        self._server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    # --- addresses -----------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return super().url

    @property
    def url(self) -> str:
        return f"{self.origin}{PREFIX}"

    @property
    def token_url(self) -> str:
        return f"{self.origin}{TOKEN_PATH}"

    def env(self) -> dict[str, str]:
        return {
            "SEALBOX_SIGNICAT_BASE_URL": self.url,
            "SEALBOX_SIGNICAT_TOKEN_URL": self.token_url,
            "SEALBOX_SIGNICAT_CLIENT_ID": self.client_id,
            "SEALBOX_SIGNICAT_CLIENT_SECRET": self.client_secret,
        }

    # --- test controls -------------------------------------------------------------------------

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return list(self.sessions)

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (the API answers 401 to it)."""
        with self.lock:
            self.tokens.clear()

    def _new_id(self) -> str:
        return str(uuid.UUID(int=(0x0197D5CB << 96) | next(self._counter)))

    def advance(self, envelope_id: str, state: str, recipient_index: int | None = None) -> None:
        """``signed`` or ``completed`` in Sealbox's words, or a raw ``lifecycle.state``.

        A session has one signer, so ``recipient_index`` can only be None or 0.
        """
        if recipient_index not in (None, 0):
            raise ValueError("a Signicat signing session has one signer (recipient 0)")
        with self.lock:
            session = self.sessions[envelope_id]
            if state in ("signed", "completed", "SIGNED"):
                session.state, session.final = "SIGNED", True
                if not session.signatures:
                    for doc in session.body["documents"]:
                        result = self._new_id()
                        self.documents[result] = FakeDocument(
                            result, "application/xml", b"<Signature/>", START
                        )
                        session.signatures.append(
                            {
                                "resultDocumentId": result,
                                "originalDocumentId": doc["documentId"],
                                "signatureType": "XADES",
                            }
                        )
                if state == "completed":
                    self._package(session)
            elif state == "READY":
                session.state, session.final = "READY", False
            elif state.isupper():
                # A state the guide does not list (e.g. a rejection): final, as real ones are.
                session.state, session.final = state, True
            else:
                raise ValueError(
                    f"the Signicat guide documents no state for {state!r}: use signed, "
                    "completed, READY or a raw upper-case lifecycle state"
                )

    def finish_packaging(self, envelope_id: str) -> str:
        """Finish the asynchronous PAdES packaging; returns the PAdES result document id."""
        with self.lock:
            session = self.sessions[envelope_id]
            if session.state != "SIGNED":
                raise ValueError("only a signed session is packaged")
            return self._package(session)

    def _package(self, session: FakeSession) -> str:
        if session.packages:
            return str(session.packages[0]["resultDocumentId"])
        if PACKAGE_TYPES.isdisjoint(session.body.get("packageTo", [])):
            raise ValueError("the session did not ask for a PAdES package")
        result = self._new_id()
        self.documents[result] = FakeDocument(
            result, "application/pdf", make_pades_pdf(str(session.body["title"])), START
        )
        session.packages.append(
            {
                "packageId": str(uuid.uuid4()),
                "resultDocumentId": result,
                "packageType": "PADES_CONTAINER",
            }
        )
        return result

    def pades_bytes(self, envelope_id: str) -> bytes:
        with self.lock:
            result = self.sessions[envelope_id].packages[0]["resultDocumentId"]
            return self.documents[result].data

    def documented_errors(self) -> list[ErrorCase]:
        """The guide lists no error codes: these are Signicat's problem-details answers for the
        conventional HTTP statuses, one per status the client must tell apart."""
        session = f"{PREFIX}/signing-sessions/[^/]+"
        return [
            ErrorCase(
                "create",
                "POST",
                f"{PREFIX}/documents",
                problem(
                    400, "Bad request", "The document is not a valid PDF.", code="invalid_document"
                ),
                "InvalidRequestError",
                "not a valid PDF",
            ),
            ErrorCase(
                "create",
                "POST",
                f"{PREFIX}/signing-sessions",
                invalid(("[0].title", "must not be blank")),
                "InvalidRequestError",
                "[0].title: must not be blank",
            ),
            ErrorCase(
                "create",
                "POST",
                TOKEN_PATH,
                json_response(400, {"error": "invalid_client"}),
                "AuthenticationError",
                "invalid_client",
            ),
            ErrorCase(
                "refresh",
                "GET",
                session,
                problem(403, "Forbidden", "The API client lacks the Signature API permission."),
                "AuthenticationError",
                "Signature API permission",
            ),
            ErrorCase(
                "refresh",
                "GET",
                session,
                problem(404, "Not found", "Signing session not found."),
                "RemoteNotFoundError",
                "Signing session not found",
            ),
            ErrorCase(
                "refresh",
                "GET",
                session,
                problem(
                    429,
                    "Too many requests",
                    "Rate limit exceeded.",
                    headers={"Retry-After": "3600"},
                ),
                "ProviderUnavailableError",
                "limiting requests",
            ),
            ErrorCase(
                "refresh",
                "GET",
                session,
                problem(
                    500,
                    "Internal server error",
                    "An internal server error happened.",
                    code="internal_server_error",
                ),
                "ProviderUnavailableError",
                "internal error",
            ),
            ErrorCase(
                "refresh",
                "GET",
                session,
                problem(
                    503,
                    "Service unavailable",
                    "Down for maintenance.",
                    headers={"Retry-After": "3600"},
                ),
                "ProviderUnavailableError",
                "unavailable",
            ),
            ErrorCase(
                "download",
                "GET",
                f"{PREFIX}/documents/[^/]+",
                problem(404, "Not found", "Document not found."),
                "RemoteNotFoundError",
                "Document not found",
            ),
        ]

    # --- helpers -------------------------------------------------------------------------------

    def _denied(self, request: FakeRequest) -> FakeResponse | None:
        value = request.header("authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            return problem(401, "Unauthorized", "A valid access token is required.")
        return None

    @staticmethod
    def _json_body(request: FakeRequest) -> tuple[Any, FakeResponse | None]:
        kind = (request.header("content-type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            return None, invalid(("Content-Type", "must be application/json"))
        try:
            return request.json(), None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None, invalid(("body", "is not valid JSON"))

    def _session_json(self, session: FakeSession) -> dict[str, Any]:
        body = session.body
        due = body.get("dueDate") or (START + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out: dict[str, Any] = {
            "id": session.id,
            "signatureUrl": f"https://example.sandbox.signicat.com/sign?sessionId={session.id}",
            "title": body["title"],
            "dueDate": due,
            "documents": body["documents"],
            "lifecycle": {"state": session.state, "stateIsFinal": session.final},
            "output": {"signatures": list(session.signatures), "packages": list(session.packages)},
            "signingSetup": [
                {**s, "additionalParameters": s.get("additionalParameters", {})}
                for s in body.get("signingSetup", [])
            ],
            "subsequentTo": body.get("subsequentTo", []),
            "packageTo": body.get("packageTo", []),
        }
        for key in ("externalReference", "ui", "redirectSettings"):
            if key in body:
                out[key] = body[key]
        return out

    # --- routes --------------------------------------------------------------------------------

    def _token(self, request: FakeRequest) -> FakeResponse:
        kind = (request.header("content-type") or "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return json_response(
                400, {"error": "invalid_request", "error_description": "form-encoded body required"}
            )
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        value = request.header("authorization") or ""
        if value.lower().startswith("basic "):
            try:
                pair = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
            except ValueError:
                return json_response(400, {"error": "invalid_client"})
            user, _, password = pair.partition(":")
            client_id, secret = unquote(user), unquote(password)
        if client_id != self.client_id or secret != self.client_secret:
            return json_response(400, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        if "scope" in form and form["scope"] != SCOPE:
            return json_response(400, {"error": "invalid_scope"})
        token = f"tok-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens.add(token)
            self.issued.append(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "scope": SCOPE}
        if self.token_lifetime is not None:
            answer["expires_in"] = self.token_lifetime
        return json_response(200, answer)

    def _upload(self, request: FakeRequest) -> FakeResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        kind = (request.header("content-type") or "").split(";")[0].strip().lower()
        if kind not in MIME_TYPES:
            return invalid(("Content-Type", "must be application/pdf or text/plain"))
        if not request.body:
            return invalid(("body", "the document is empty"))
        if kind == "application/pdf" and not request.body.startswith(b"%PDF-"):
            return problem(
                400, "Bad request", "The document is not a valid PDF.", code="invalid_document"
            )
        doc = FakeDocument(self._new_id(), kind, request.body, START)
        with self.lock:
            self.documents[doc.id] = doc
        digest = hashlib.sha256(request.body).hexdigest().encode()
        return json_response(
            201,
            {
                "mimeType": kind,
                "documentId": doc.id,
                "createdAt": doc.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "documentHash": {
                    "hash": base64.b64encode(digest).decode(),
                    "hashAlgorithm": "SHA256",
                },
            },
        )

    def _get_document(self, request: FakeRequest) -> FakeResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        doc = self.documents.get(request.params["id"])
        if doc is None:
            return problem(404, "Not found", "Document not found.")
        if doc.mime_type == "application/pdf":
            return pdf_response(doc.data, f"{doc.id}.pdf")
        return FakeResponse(200, doc.data, {"Content-Type": doc.mime_type})

    def _collection(self, request: FakeRequest) -> FakeResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        data, error = self._json_body(request)
        if error is not None:
            return error
        if not isinstance(data, dict):
            return invalid(("body", "must be an object"))
        if unknown := sorted(set(data) - {"documents"}):
            return invalid(*((k, "unknown property") for k in unknown))
        docs = data.get("documents")
        if not isinstance(docs, list) or not docs:
            return invalid(("documents", "must be a non-empty list"))
        ids: list[str] = []
        for i, item in enumerate(docs):
            if not isinstance(item, dict) or set(item) != {"documentId"}:
                return invalid((f"documents[{i}]", 'must be {"documentId": ...}'))
            if item["documentId"] not in self.documents:
                return invalid((f"documents[{i}].documentId", "unknown document"))
            ids.append(item["documentId"])
        collection = self._new_id()
        with self.lock:
            self.collections[collection] = ids
        return json_response(201, {"id": collection, "documents": [{"documentId": d} for d in ids]})

    def _check_session(self, i: int, item: Any) -> list[tuple[str, str]]:
        where = f"[{i}]"
        if not isinstance(item, dict):
            return [(where, "must be an object")]
        bad = [(f"{where}.{k}", "unknown property") for k in sorted(set(item) - SESSION_KEYS)]
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            bad.append((f"{where}.title", "must not be blank"))
        reference = item.get("externalReference")
        if reference is not None and not isinstance(reference, str):
            bad.append((f"{where}.externalReference", "must be a string"))
        docs = item.get("documents")
        if not isinstance(docs, list) or not docs:
            bad.append((f"{where}.documents", "must be a non-empty list"))
            docs = []
        for j, doc in enumerate(docs):
            path = f"{where}.documents[{j}]"
            if not isinstance(doc, dict) or set(doc) != SESSION_DOCUMENT_KEYS:
                bad.append((path, "must have exactly action, documentCollectionId, documentId"))
                continue
            if doc["action"] != "SIGN":
                bad.append((f"{path}.action", "must be SIGN"))
            members = self.collections.get(doc["documentCollectionId"])
            if members is None:
                bad.append((f"{path}.documentCollectionId", "unknown document collection"))
            elif doc["documentId"] not in members:
                bad.append((f"{path}.documentId", "not in the document collection"))
        setups = item.get("signingSetup", [])
        if not isinstance(setups, list):
            bad.append((f"{where}.signingSetup", "must be a list"))
            setups = []
        for j, setup in enumerate(setups):
            path = f"{where}.signingSetup[{j}]"
            if not isinstance(setup, dict) or not set(setup) <= SETUP_KEYS:
                bad.append(
                    (path, "may only have identityProviders, signingFlow, additionalParameters")
                )
                continue
            if setup.get("signingFlow") not in SIGNING_FLOWS:
                bad.append((f"{path}.signingFlow", "unknown signing flow"))
            idps = setup.get("identityProviders")
            if idps is not None and (
                not isinstance(idps, list)
                or not all(
                    isinstance(p, dict) and set(p) == {"idpName"} and isinstance(p["idpName"], str)
                    for p in idps
                )
            ):
                bad.append((f"{path}.identityProviders", 'must be a list of {"idpName"}'))
        package = item.get("packageTo", [])
        if not isinstance(package, list) or not set(package) <= PACKAGE_TYPES:
            bad.append((f"{where}.packageTo", "unknown package type"))
        ui = item.get("ui")
        if ui is not None and not isinstance(ui, dict):
            bad.append((f"{where}.ui", "must be an object"))
        redirect = item.get("redirectSettings")
        if redirect is not None and (
            not isinstance(redirect, dict) or not set(redirect) <= REDIRECT_KEYS
        ):
            bad.append((f"{where}.redirectSettings", "may only have error, cancel, success"))
        due = item.get("dueDate")
        if due is not None:
            try:
                moment = datetime.fromisoformat(str(due).replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    raise ValueError("naive")
            except ValueError:
                bad.append((f"{where}.dueDate", "must be an ISO-8601 date-time with an offset"))
        subsequent = item.get("subsequentTo")
        if subsequent is not None and (
            not isinstance(subsequent, list) or not all(s in self.sessions for s in subsequent)
        ):
            bad.append((f"{where}.subsequentTo", "unknown signing session"))
        return bad

    def _create_sessions(self, request: FakeRequest) -> FakeResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        data, error = self._json_body(request)
        if error is not None:
            return error
        if not isinstance(data, list) or not data:
            return invalid(("body", "must be a non-empty array of signing sessions"))
        bad = [p for i, item in enumerate(data) for p in self._check_session(i, item)]
        if bad:
            return invalid(*bad)
        created: list[FakeSession] = []
        with self.lock:
            for item in data:
                session = FakeSession(self._new_id(), item)
                self.sessions[session.id] = session
                created.append(session)
            return json_response(201, [self._session_json(s) for s in created])

    def _list_sessions(self, request: FakeRequest) -> FakeResponse:
        """``?externalReference=`` (the conventional query the client relies on): a JSON array."""
        if (denied := self._denied(request)) is not None:
            return denied
        if unknown := sorted(set(request.query) - {"externalReference"}):
            return invalid(*((k, "unknown query parameter") for k in unknown))
        wanted = request.query.get("externalReference", [None])[0]
        with self.lock:
            found = [
                self._session_json(s)
                for s in self.sessions.values()
                if wanted is None or s.body.get("externalReference") == wanted
            ]
        return json_response(200, found)

    def _get_session(self, request: FakeRequest) -> FakeResponse:
        if (denied := self._denied(request)) is not None:
            return denied
        with self.lock:
            session = self.sessions.get(request.params["id"])
            if session is None:
                return problem(404, "Not found", "Signing session not found.")
            return json_response(200, self._session_json(session))
