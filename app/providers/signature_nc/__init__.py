"""Signature.nc V3: multipart upload, fields in PDF points on 0-based pages.

The provider's document (``shared/seeds/001_bcb74f30f4e07f20.txt``) describes one endpoint,
``POST /signatures``: a ``multipart/form-data`` body with one ``file`` part per PDF, ``name``,
``signers`` (a JSON *string*), ``skipIntro`` and ``sendEmail``; each signer is
``{firstname, lastname, email?, fields: [{type, name, document, area: {x, y, w, h, page}}]}``
with ``document`` equal to the uploaded file's name and ``page`` counted from 0. It answers with
the submission (``uuid``) and its ``submitters``, each with a ``signatureLink``, a ``status``
(``initiated``, ``sent``, ``opened``, ``completed``), ``completedAt`` and ``signedDocuments``.
Validation failures are ``400`` with a plain-text message, shown to the user word for word;
``401`` is a bad token and ``403`` an exhausted plan quota.

Anchor tags are resolved on this machine before ``create`` (``anchors="local"``): the fields
arrive already placed. There is no idempotency key, so a create whose connection is lost after
the upload raises :class:`~app.providers.errors.AmbiguousSendError` and is never retried here,
and there is no lookup by external reference, so ``reconcile`` cannot tell either. For the same
reason an upload that was accepted (2xx) but answered with something unreadable is ambiguous too.

The package: :mod:`.info` (its registry entry), :mod:`.mapping` (the signers out, submissions
back in, its plain-text errors and its 403) and :mod:`.client`
(:class:`~.client.SignatureNcProvider`, the calls).

Assumptions where the document is silent (each kept in one constant or function below):

- Coordinates (``ORIGIN``, ``PAGE_BASE``): ``area`` is in points on the page as it is displayed
  (the CropBox, after /Rotate), measured from the page's **bottom-left** corner, the PDF's own
  convention for "PDF user-space points"; ``y`` is the distance of the field's bottom edge from
  the bottom of the page. Pages from 0, as documented. Flip ``ORIGIN`` to ``"top-left"`` if the
  service turns out to measure from the top.
- Status (``STATUS_PATH``): ``GET /signatures/{uuid}`` answers with the same submission object as
  the create response. Only create is documented; this is the conventional REST reading of the
  documented ``POST /signatures``.
- Top-level status (``overall_status``): derived from the per-signer statuses, which are the only
  ones given: ``completed`` when every signer is ``completed``; ``viewed`` when any signer has
  opened or signed; otherwise ``sent``. Signature.nc has no declined, expired, cancelled or failed
  state, so Sealbox never reports one for it; a signer status outside the four documented ones is
  an unreadable answer (``BadResponseError`` naming it), not a guess.
- Per-signer times: ``signedAt`` is the signer's ``completedAt``; the service gives no time for
  ``opened``, so ``viewedAt`` is when Sealbox first saw the signer as opened.
- Signed PDF (``signed_document_url``): ``signedDocuments`` (``null`` in the only example) is a
  list of links (a URL string, or an object with ``url`` and optionally ``name``); the signed PDF
  is taken from the signer who completed last, preferring the entry named like the uploaded file.
  Relative links are read against the base URL. The API key is sent only to the API's own origin;
  a link to another host (a storage bucket) is fetched without credentials, and its 401/403 means
  the link has run out (``ConflictError``: tried again on the next sync), not bad credentials.
  Until every signer has completed, a download is ``ConflictError`` (not ready yet).
- The upload's file name (``upload_name``): the request's document name reduced to plain ASCII
  letters, digits, spaces and ``._()-`` and ending in ``.pdf``, so that ``document`` matches the
  name the service reads from the multipart header exactly.
- Field names (``FIELD_NAME``): the field's label, else ``Signature <n>`` with ``n`` the field's
  position in the spec from 1.
- ``sendEmail`` is ``true`` (Signature.nc emails each signer the invitation); the
  ``send_email`` setting (``SEALBOX_SIGNATURE_NC_SEND_EMAIL=false``) turns it off, and the user
  then hands each signer the ``signatureLink`` Sealbox keeps as the recipient's signing URL.
  Emails are still sent in the signer objects (Sealbox's spec requires them); the document's
  email rule is applied either way. ``skipIntro`` is not sent (its default, false).
- Signers are listed in the spec's signing order (``order``); the document does not say whether
  the service enforces an order. Approvers and CC recipients do not exist at Signature.nc and are
  refused before sending, as are optional fields (no ``required`` flag: every field must be
  signed), a message (none is sent) and signers without a last name (the service requires one).
  ``expirationHours`` is not sent: the service has no expiry.
- ``signatureLink`` is stored as is; ``skipIntro`` is never set, so nothing is appended to it.
- Size limit: none is documented; Sealbox's own 20 MiB applies.
- ``403`` ("You've reached the API limit for this plan") is an exhausted quota, reported as
  :class:`~app.providers.errors.OutOfCreditsError`, not as a credentials problem.
- Cancel, completion certificate, listing and webhooks are not documented: not offered.
- Connection check (``CHECK_PATH``): only create is documented and a create is never sent to
  test, so the check reads the status path (above) for the nil UUID, which no submission has:
  ``GET /signatures/00000000-0000-0000-0000-000000000000``. It changes nothing; ``404`` (or a
  ``200``) means the key was accepted, ``401`` that it was rejected, ``403`` the plan's quota.
  A base URL that points at some other service answering 404 to everything cannot be told
  apart from the right one this way.
- A PDF that is already signed is refused: the service puts the signatures on the pages of
  its own copy (``signedDocuments``) and nothing says it keeps earlier ones, so it is taken to
  rewrite the file (``signed_pdfs``).
"""
