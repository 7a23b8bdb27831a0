"""The built-in ``local`` provider: recipients sign in person on this computer.

Nothing leaves the machine. ``create`` marks the request sent; each recipient then signs (or
approves, or declines) in signing order through :mod:`app.providers.local.signing`; when the last
one has signed, every value is stamped into the PDF, the result is sealed with a PAdES signature
by the installation certificate, and a sealed completion certificate is written beside it. The
"download" of this provider copies those two files from ``DATA/local/<id>/``.
"""

from __future__ import annotations

from pathlib import Path

from app.config import Paths
from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.report import Report
from app.errors import UserError
from app.fsutil import atomic_copy
from app.pdf.document import MAX_PDF_BYTES, PdfInfo
from app.providers.base import ALL_FIELD_TYPES, Capabilities, capability_problems

CAPABILITIES = Capabilities(
    id="local",
    name="Sealbox in person",
    field_types=ALL_FIELD_TYPES,
    anchors="local",
    cancel=True,
    certificate=True,
    list=False,
    webhooks=False,
    idempotency=True,
    max_bytes=MAX_PDF_BYTES,
    in_person=True,
)

SIGNED_NAME = "signed.pdf"
CERTIFICATE_NAME = "certificate.pdf"


class NotReadyError(UserError):
    """The signed document does not exist yet."""


class LocalProvider:
    capabilities = CAPABILITIES

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def result_dir(self, request_id: str) -> Path:
        return self.paths.local_dir / request_id

    def configuration_problem(self) -> str | None:
        return None

    def preflight(self, spec: RequestSpec, pdf: PdfInfo) -> list[str]:
        return capability_problems(self.capabilities, spec, pdf)

    async def create(self, request: Request, document: Path, idempotency_key: str) -> Report:
        # The request id is the idempotency key's scope: creating twice changes nothing.
        return Report(status=Status.SENT, provider_id=request.id,
                      payload={"event": "created", "idempotencyKey": idempotency_key})

    async def refresh(self, request: Request) -> Report:
        if request.is_overdue(now()):
            return Report(status=Status.EXPIRED,
                          error_message="The request expired before everyone had signed.",
                          payload={"event": "expired"})
        return Report(status=request.status)

    async def reconcile(self, request: Request) -> Report | None:
        return Report(status=Status.SENT, provider_id=request.id)

    async def cancel(self, request: Request, reason: str | None) -> Report:
        return Report(status=Status.CANCELLED, error_message=reason,
                      payload={"event": "cancelled", "reason": reason})

    async def download_signed(self, request: Request, dest: Path) -> None:
        self._copy(request, SIGNED_NAME, dest)

    async def download_certificate(self, request: Request, dest: Path) -> None:
        self._copy(request, CERTIFICATE_NAME, dest)

    def _copy(self, request: Request, name: str, dest: Path) -> None:
        source = self.result_dir(request.id) / name
        if not source.exists():
            raise NotReadyError(f"The signed files of {request.name!r} are not ready yet: every "
                                "signer must sign first.")
        atomic_copy(source, dest)

    async def aclose(self) -> None:
        return None
