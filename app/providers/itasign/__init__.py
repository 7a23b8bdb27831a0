"""ItaSign: documents sent as JSON with the PDF in base64; signers draw their own signature.

The contract is ItaSign's public API document (``shared/seeds/004_917da86acb657ea8.txt``):

- ``POST /documents`` with ``title``, ``file`` (base64 PDF), ``signers`` (``name``, ``email``,
  ``signing_order``), ``send: true``, ``message`` and ``external_reference`` (the Sealbox request
  id). There are no placed fields: each signer draws a signature where they like when they open
  the document, so Sealbox takes neither fields nor anchor tags for ItaSign.
- ``POST /documents/{id}/send`` sends a draft (used only if a create answers ``draft``).
- ``GET /documents/{id}/status``: the document status and every signer's status.
- ``POST /documents/{id}/void`` with an optional ``reason``: cancel.
- ``GET /documents/{id}/download?format=pades``: the signed PDF (PAdES, never CAdES/P7M).
- Every call carries the ``X-API-Key`` header. There is no certificate, list, lookup by
  external reference, webhook description or idempotency key in the document, so Sealbox claims
  none of them.

ItaSign's ``partially_signed`` is not a state of Sealbox's lifecycle: it becomes ``viewed`` (a
signer has opened and signed the document), and who signed shows in the recipients' ``signedAt``.

Assumptions where the document is silent:

- HTTP methods: create, send, void are ``POST``; status and download are ``GET`` (only create's
  method is stated).
- Error bodies are ``{"success": false, "error": "<message>"}``, optionally with ``details`` (a
  list of problems); the shared client's HTTP status mapping applies (400/422 invalid, 401/403
  credentials, 404 unknown document, 409 not possible in the current state such as a download
  before completion or voiding a finished document, 429/5xx unavailable). A ``200`` whose body
  says ``"success": false`` is a refusal.
- Only the document's statuses listed under "Document Status Values" exist; an unknown one is an
  unreadable answer (try again later), never guessed. ``draft`` maps to ``queued``; ``pending``
  to ``sent`` (``viewed`` once any signer's status is ``viewed``); ``partially_signed`` to
  ``viewed``; ``voided`` to ``cancelled``.
- Per-signer times: only ``signedTime`` is documented. A signer seen ``viewed`` or ``declined``
  gets the time Sealbox first saw it; a ``signed`` signer without ``signedTime`` likewise. A
  completed document's completion time is its latest ``signedTime``.
- Signers are matched back to the spec's recipients by email (case-insensitive), then by
  position (:func:`app.providers.wire.match_recipients`); a signer that matches no recipient is
  left out of the report.
- ItaSign has only signers: Approver and CC recipients are refused before sending rather than
  silently turned into signers or dropped. ``order`` is sent as ``signing_order``.
- ``expirationHours`` cannot be sent (create takes no expiry); ItaSign's own ``expiresAt`` is kept
  in the status payload.
- ``file_type`` is sent explicitly as ``"base64"``; ``signature_level``, ``verification_mode`` and
  ``redirect_url`` are left to ItaSign's defaults.
- The size limit is Sealbox's 20 MiB for the PDF itself (ItaSign states none).
- A create answered 2xx whose body cannot be read, or whose draft could not be sent, is treated as
  an ambiguous send (the document may exist), not as a failure to send again.
- ``reconcile`` can only look a document up by the ItaSign id: with no list or filter by
  ``external_reference``, a send whose outcome is unknown cannot be looked up and raises
  ``CapabilityError``.
- Connection check: ``GET /templates`` ("List all active templates in your organization"), the
  one documented read that needs no document id; it changes nothing. A 401 is "rejected the API
  key", a 403 a key without the ``documents:read`` permission; an answer without a ``templates``
  list means the base URL is not ItaSign's API.
- A PDF that is already signed is accepted: ItaSign returns PAdES, and a PAdES signature is an
  incremental update that keeps earlier signatures (assumed: the document does not say how
  the signer's drawing is put on the page) (``signed_pdfs``).

The package: :mod:`.info` (its registry entry), :mod:`.mapping` (ItaSign's JSON to and from
Sealbox's request) and :mod:`.client` (:class:`~.client.ItaSignProvider`, the calls).
"""
