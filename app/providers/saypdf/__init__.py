"""SayPDF e-sign (provider id ``saypdf``): multipart upload, fields in page percentages.

A request is one ``POST /esign/documents`` (``multipart/form-data``): the PDF and a ``data`` part
holding the JSON ``CreateDocumentDto`` (title, message, ownerEmail, ownerName, expiresInDays,
parties with their fields). Fields are percentages (0–100) of the displayed page with a top-left
origin on 0-based pages; anchors are resolved on this machine before ``create`` is called. The
document is then read back, cancelled and downloaded (signed PDF with embedded PKCS#7
signatures, certificate of completion) by its id. SayPDF signs its webhooks with HMAC-SHA256 of
the raw body in ``X-SayPDF-Signature`` (see :func:`.webhooks.parse_webhook`).

The package: :mod:`.info` (its registry entry), :mod:`.mapping` (SayPDF's JSON to and from
Sealbox's request, its error format and its own meaning of some statuses), :mod:`.webhooks` and
:mod:`.client` (:class:`~.client.SayPdfProvider`, the calls).

Configuration:

* ``api_key`` (keyring ``saypdf.api_key``, env ``SEALBOX_SAYPDF_API_KEY``) — the primary mode:
  every call carries ``X-API-Key`` and goes to the API-key host, :data:`DEFAULT_BASE_URL`.
* Without an API key, ``email`` and ``password`` (``SEALBOX_SAYPDF_EMAIL``,
  ``SEALBOX_SAYPDF_PASSWORD``) sign in at ``POST /auth/login`` on :data:`LOGIN_BASE_URL`; the
  ``access_token`` it returns is sent as ``Authorization: Bearer <JWT>`` and renewed once when a
  call answers 401.
* ``base_url`` (setting, env ``SEALBOX_SAYPDF_BASE_URL``) overrides the host in either mode.
* The sender's email and name (``SEALBOX_SENDER_EMAIL``/``SEALBOX_SENDER_NAME`` or settings) are
  the request's ``ownerEmail``/``ownerName``.

Assumptions where the document is silent (kept in the constants and tables below):

* Base URL: the API-key host ``https://api.saypdf.com/api/v1`` (the one the document shows with
  ``X-API-Key``) serves every ``/esign/documents`` endpoint with ``X-API-Key``, not only create;
  the JWT host ``https://pdf.classicmovie.net/api`` is the default only in email/password mode.
* Endpoint paths lost from the page are the conventional REST ones next to the documented
  ``/esign/documents`` (table :data:`ENDPOINTS`): ``GET /esign/documents/:id``,
  ``GET /esign/documents/:id/download``, ``GET /esign/documents/:id/certificate`` and
  ``POST /esign/documents/:id/cancel`` (sent without a body; the cancel reason is kept only in
  Sealbox).
* The PDF part is named ``pdf`` (:data:`FILE_PART`), as in every example (the table says
  ``file``): the examples are what the service was observed to accept.
* The create answer is read in both documented shapes: ``{"document": {"id", "status", …}}``
  (JWT example) and ``{"documentId", "status", "parties"}`` (API-key example). Every success has
  ``"success": true`` (as the document says); an answer without it is refused as unreadable. The
  login answer is only ``{"access_token"}``.
* Parties are read as ``{"id", "email", "status", "viewedAt", "signedAt", "declinedAt",
  "declineReason"}`` with party statuses ``pending``/``viewed``/``signed``/``declined`` (only
  ``pending`` is shown); an unknown party status is ignored. A party whose status says it
  viewed/signed/declined but that carries no time is given the time Sealbox learnt it.
* Document status ``declined`` exists (the ``document.declined`` webhook implies it) besides the
  five listed; ``draft`` ("reserved") counts as ``sent``; ``pending`` becomes ``viewed`` once any
  party has opened, signed or declined. Any other status is an unreadable answer.
  ``completedAt`` (or else the last ``signedAt``) is the completion time.
* ``expiresInDays`` is ``expirationHours`` rounded up to whole days (at least 1).
* ``signingOrder`` is always sent (the spec's orders are unique, so signing is sequential).
* SayPDF parties are all signers and its fields carry no ``required`` flag or label: CC and
  Approver recipients and optional fields are refused before sending, every signer needs at
  least one field or anchor, and field labels are not sent.
* No idempotency key is documented, so none is sent and a create is never retried after it may
  have arrived. There is no external reference either, so ``reconcile`` raises
  ``CapabilityError`` (the user looks the request up in SayPDF).
* A 400 answer to a cancel means the document is no longer pending, and to a download or
  certificate that it is not completed yet (both ``ConflictError``). A 403 mentioning a quota is
  ``OutOfCreditsError``; any other 403 is an ``AuthenticationError`` (not your resource).
* Webhooks carry no delivery id and no signed timestamp: the delivery id is the SHA-256 of the raw
  body (a retried delivery has the same body), and no age limit is applied because the document
  describes retries up to hours later and replays at any time. The signature is the bare hex
  digest (no ``sha256=`` prefix is shown, so none is accepted).
* The size limit is Sealbox's own 20 MiB (SayPDF documents none).
* Connection check: ``GET /esign/documents``, the documented list, which reads and changes
  nothing (in email/password mode after ``POST /auth/login``, which only issues a token). A 401
  is "rejected the API key" (or the email or password); an answer without ``"success": true``
  and a document list means the base URL is not SayPDF's API. The sender's email is not needed
  for it.
* A PDF that is already signed is refused: SayPDF puts the values on the pages before it
  embeds its PKCS#7 signature ("finalized with PKCS#7 signature embedding"), which is taken as
  a rewrite that breaks earlier signatures (``signed_pdfs``).
"""
