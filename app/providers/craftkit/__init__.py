"""Craftkit signatures: send a Craftkit render out for signature, track it, fetch the results.

The contract is Craftkit's "Digital signatures" document (``shared/seeds/000_*.txt``):
``POST /v1/signatures`` (JSON, ``renderId``, recipients, explicit fields in percentages of the
displayed page with 1-based pages, anchor tags sent natively, ``Idempotency-Key``),
``GET /v1/signatures`` (keyset cursor), ``GET /v1/signatures/:id``,
``POST /v1/signatures/:id/cancel``, ``GET /v1/signatures/:id/download`` and
``GET /v1/signatures/:id/certificate``, all with ``Authorization: Bearer <project API key>``, and
``signature.*`` webhooks signed with HMAC-SHA256 of the raw body.

Craftkit signs a *render*, not an uploaded file: the request's ``render_id`` names it, and the
PDF handed to :meth:`CraftkitProvider.create` is that render's PDF, read before the request was
queued for the page geometry that turns canonical points into Craftkit's page percentages.

The package: :mod:`.info` (its registry entry: capabilities, settings, credentials),
:mod:`.mapping` (Craftkit's JSON to and from Sealbox's request), :mod:`.webhooks` (verifying
deliveries) and :mod:`.client` (:class:`~.client.CraftkitProvider`, the calls).

Assumptions where the document is silent (each choice is kept in one place below):

- Error envelope (the document's "Errors" page is not shown): ``{"error": {"code", "message",
  "issues": [{"path", "message"}]}}``; the flat ``{"code", "message", "issues"}`` is read too.
- 401 ``unauthorized`` applies to every endpoint, create included ("All endpoints authenticate").
- Field types: all eight are named, but ``fields[]`` has no ``options``, so dropdown and
  radio_buttons are refused in preflight (their options could not be sent). ``initials`` is sent
  as ``initial`` in ``fields`` and as ``initials`` in ``anchorTags`` (:data:`FIELD_WIRE_TYPES`,
  :data:`ANCHOR_WIRE_TYPES`). A field's ``label`` has no place on the wire and is not sent.
- The spec's ``message`` has no place in the create body; it is not sent (Craftkit's own
  e-mail text is used).
- Percentages are rounded to 4 decimals (under 0.001 pt on a Letter page) and kept in 0-100.
- The size limit "20MB" is read as 20 MiB, the limit Sealbox applies to every PDF.
- ``GET /v1/renders/:id`` (shape not given) is not used: the user passes the render's PDF on the
  command line (``sealbox send FILE.pdf --render-id UUID``), which gives the page geometry.
- ``renderId`` must look like a UUID (8-4-4-4-12 hex digits); anything else is refused before
  sending.
- A create is not retried in-process once it may have left this machine (lost connection, 500,
  504): that is an :class:`AmbiguousSendError`; ``sync`` sends it again with the same
  ``Idempotency-Key`` and Craftkit returns the original (a 200 replay is read exactly like the
  201). 429/503 are retried after ``Retry-After``, since nothing was processed.
- :meth:`CraftkitProvider.reconcile` lists by ``renderId`` (newest first) and takes the newest
  request with the same name (and, when the listing carries recipients, the same recipient
  e-mails); it stops looking 24 hours before the request was queued and answers None (Craftkit
  does not have it) when nothing matches.
- Status ``signed`` is named in the document's summary but not in its status table; if it ever
  comes as a top-level status it means "someone has signed, not everyone": Sealbox reads it as
  ``viewed`` (a recipient's signature never moves the top-level status). Any other unknown status
  is a :class:`BadResponseError`.
- Recipients come back with ``signedAt``/``declinedAt`` (ISO-8601; a time without zone is UTC);
  there is no ``viewedAt``. They are matched to the spec by e-mail (case-insensitive), then by
  position (:func:`app.providers.wire.match_recipients`). A declined recipient's reason is the
  request's ``errorMessage``.
- Downloads use the documented paths ``/v1/signatures/:id/download`` and ``.../certificate``, not
  the URLs in the response (which are documented to be those same Craftkit URLs).
- A 409 from a download or certificate means "not ready yet" (:class:`ConflictError`); a 502 from
  the certificate (upstream retrieval failed) is worth retrying
  (:class:`ProviderUnavailableError`).
- Cancel: a reason longer than 500 characters is refused before sending; no reason sends ``{}``.
- ``list_requests(limit=N)`` returns at most N requests in total, fetching pages of at most 100
  and following ``nextCursor`` while ``hasMore`` is true.
- Connection check (:meth:`CraftkitProvider.check_connection`): ``GET /v1/signatures?limit=1``,
  the documented list, which reads at most one request and changes nothing. A 401 is "rejected
  the API key"; an answer that is not the list shape means the base URL is not Craftkit's API.
- Webhooks: ``x-craftkit-timestamp`` is read as Unix seconds (the convention of HMAC-signed
  webhooks); milliseconds (13 digits) and ISO-8601 with a zone are accepted too. It must be within
  5 minutes of now either way. The signature covers the raw body only (as documented), so the
  timestamp bounds staleness but cannot prove freshness; deliveries are told apart by
  ``x-craftkit-delivery-id``.
- A PDF that is already signed is refused: Craftkit signs its own render of the document, a
  new file, so the earlier signatures would not be in the signed copy (``signed_pdfs``).
"""
