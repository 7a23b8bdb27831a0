"""Signicat Sign API v2: upload, document collection, signing session; identity-based signing.

The contract is Signicat's Sign API v2 integration guide
(``shared/seeds/002_e8550845323e4db1.txt``):

- ``POST /documents``: the PDF itself as the body (``Content-Type: application/pdf``, no base64,
  streamed from disk) answers ``documentId`` and a ``documentHash``.
- ``POST /document-collections`` with ``{"documents": [{"documentId"}]}`` answers the collection
  ``id``.
- ``POST /signing-sessions`` with a JSON *array* of sessions (``title``, ``externalReference``,
  ``documents`` with ``action: SIGN``, ``documentCollectionId`` and ``documentId``,
  ``signingSetup``, ``packageTo: ["PADES_CONTAINER"]``) answers an array of full sessions, each
  with its ``id``, ``signatureUrl`` and ``lifecycle`` (``state``, ``stateIsFinal``).
- ``GET /signing-sessions/{id}``: the session, whose ``output.packages`` gains the PAdES
  ``resultDocumentId`` once the (asynchronous) packaging is done.
- ``GET /documents/{id}``: the binary document (the PAdES by its result document id).
- Every call carries ``Authorization: Bearer <access token>``, an OAuth 2.0 client-credentials
  token fetched, cached and renewed here.

The signer proves who they are with an electronic ID at the ``signatureUrl``: there are no placed
fields and no anchor tags, so Sealbox refuses both before sending. The document has no
cancellation, certificate, listing, idempotency key or verifiable webhook, so Sealbox claims none
of them (``cancel`` and ``download_certificate`` raise ``CapabilityError``).

Assumptions where the document is silent:

- Token endpoint: ``https://api.signicat.com/auth/open/connect/token`` (setting ``token_url``,
  ``SEALBOX_SIGNICAT_TOKEN_URL``), Signicat's OAuth server for every API. The request is
  form-encoded ``grant_type=client_credentials&scope=signicat-api`` with the client id and
  secret in HTTP Basic authentication (RFC 6749 §2.3.1, the method every OAuth server must
  accept). The token is cached and renewed ``TOKEN_RENEW_MARGIN`` before ``expires_in`` runs out
  (without ``expires_in``: until the API answers 401), and after any 401. A 400/401/403 from the
  token endpoint means the client credentials were refused.
- Error bodies are RFC 7807 problem details (``status``, ``title``, ``code``, ``detail``,
  ``traceId``, ``invalidParams`` of ``{"name", "reason"}``), as in Signicat's API reference; the
  shared HTTP status mapping applies (400 invalid, 401/403 credentials or a missing "Signature
  API" permission, 404 unknown, 409 conflict, 429/5xx unavailable).
- One signer per request: a signing session has one ``signatureUrl`` and is signed by the one
  person who opens it, and the document describes no way to gather several sessions' signatures
  into one signed PDF. A spec must therefore have exactly one recipient, a Signer; Approvers
  (there is no approve-only role) and CC recipients (Signicat sends no copies) are refused
  before sending rather than silently changed or dropped.
- The document has no field for the signer's name or email: they stay in Sealbox, the signer
  is identified by their electronic ID when signing, and the session's ``signatureUrl`` is
  reported as the recipient's signing link for the sender to pass on. The spec's ``message`` has
  no field either and is not sent. The session's ``title`` is the request name.
- ``expirationHours`` is sent as the session's ``dueDate`` (ISO-8601 UTC, send time plus the
  hours): ``dueDate`` is part of the documented session resource, taken as writable on create.
- ``signingSetup`` is ``[{"signingFlow": "AUTHENTICATION_BASED"}]``, with ``identityProviders``
  only when the setting ``identity_providers`` (comma-separated ``idpName`` values, e.g.
  ``ftn,nbid``) is set: otherwise the account's configured identity providers are offered. No
  ``ui`` or ``redirectSettings`` are sent (Signicat's own completion page is shown).
- Status: only ``READY`` (sent) and ``SIGNED`` (completed; packaging may still be running) are
  documented (compared without regard to case). Any other ``lifecycle.state`` is treated
  conservatively as still in flight (``sent``); when such a state says ``stateIsFinal: true``
  the report carries a message asking the user to look at the session in the Signicat
  Dashboard. There is no ``viewed`` state.
- Per-recipient times: the session carries no timestamps, so the signer's ``signedAt`` is the
  time Sealbox first saw the session ``SIGNED`` (kept once known).
- The PAdES is the package whose ``packageType`` is ``PADES_CONTAINER`` (or that names no type).
  Until it exists the download raises ``ConflictError`` ("not ready yet") and sync tries again.
- ``reconcile`` looks sessions up with ``GET /signing-sessions?externalReference=<request id>``
  answering a JSON array of sessions (the shape of the create answer), and keeps only sessions
  whose ``externalReference`` really matches. If the service has no such query (404/405) it
  raises ``CapabilityError``.
- Uploading the document and creating the collection are retried on a lost connection or a 5xx
  even though they carry no idempotency key: an unused document is deleted by Signicat after 30
  minutes and an unused collection signs nothing. The signing session itself is never sent
  twice: a lost answer, or a 2xx answer that cannot be read, is an ``AmbiguousSendError``.
- ``documentHash`` is checked when it can be read: ``SHA256`` with the hash in base64 of either
  the hex digest (as in the document's example) or the raw digest. A mismatch means the upload
  was damaged. Other hash forms are not checked.
- Already signed PDFs are refused (the document: authentication-based signing does not support
  them). The size limit is Sealbox's 20 MiB (the document states none).
- Connection check: a fresh access token from the token endpoint (the guide's first step, which
  changes nothing). It proves the client id, secret and token URL; the Sign API's base URL is
  not contacted, since the guide offers no read that needs no existing document or session.

The package: :mod:`.info` (its registry entry), :mod:`.mapping` (Signicat's JSON to and from
Sealbox's request, its error format) and :mod:`.client` (:class:`~.client.SignicatProvider`,
the calls and the access token).
"""
