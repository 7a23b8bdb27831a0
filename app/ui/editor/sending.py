"""Sending the request being prepared: the same service as ``sealbox send`` (check, outbox with an
idempotency key, deliver), run off the UI thread through the async bridge. When the shared store
cannot be reached the send is kept on this desk with its key (:mod:`app.services.desk_outbox`),
and the sync commits it once the store is back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from app.context import Context
from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.errors import StoreUnreachableError, UnavailableError
from app.services import desk_outbox
from app.services import send as send_service
from app.services.desk_outbox import KeptSend
from app.ui.bridge import AsyncBridge


class Job(NamedTuple):
    """What is sent: the PDF, the request, the provider and its template id (or None), and
    the draft it was prepared in (deleted once the request is in the store)."""

    path: Path
    spec: RequestSpec
    provider_id: str
    render_id: str | None
    draft_id: str | None = None


class Delivery:
    """One request's way out. Its idempotency key stays while the same request may still be
    delivered (a provider that could not be reached); after a send or a refusal the next Send is a
    new request with a new key."""

    def __init__(self, ctx: Context, bridge: AsyncBridge) -> None:
        self.ctx = ctx
        self.bridge = bridge
        self.key = str(uuid.uuid4())
        #: A send is under way.
        self.busy = False

    def renew(self) -> None:
        """A new request from now on (another document was opened)."""
        self.key = str(uuid.uuid4())

    def earlier(self, sha256: str, emails: list[str]) -> Sequence[Request]:
        """The earlier requests of this document to these people (not this one's own); none
        known while the shared store cannot be reached (the send is then kept, not sent)."""
        try:
            return send_service.earlier_sends(self.ctx, sha256, emails, idempotency_key=self.key)
        except StoreUnreachableError:
            return []

    def start(
        self,
        job: Callable[[], Job],
        on_done: Callable[[Request | KeptSend], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Send what ``job`` says when the send starts; ``on_done`` or ``on_error`` follows."""
        self.busy = True
        self.bridge.start(self._send(job), on_done=on_done, on_error=on_error, label="Sending")

    async def _send(self, job: Callable[[], Job]) -> Request | KeptSend:
        path, spec, provider_id, render_id, draft_id = job()
        # Checked once, whether it is committed now or kept on the desk.
        checked = await self.bridge.run_blocking(
            lambda: send_service.check(
                self.ctx, path, spec, provider_id=provider_id, render_id=render_id
            )
        )
        try:
            request = await self.bridge.run_blocking(
                lambda: send_service.prepare(
                    self.ctx,
                    path,
                    spec,
                    provider_id=provider_id,
                    render_id=render_id,
                    idempotency_key=self.key,
                    checked=checked,
                )
            )
        except StoreUnreachableError:
            # The shared store is out of reach: the send waits on this desk, under its key.
            return await self.bridge.run_blocking(
                lambda: desk_outbox.keep(
                    self.ctx,
                    path,
                    spec,
                    provider_id=provider_id,
                    render_id=render_id,
                    idempotency_key=self.key,
                    draft_id=draft_id,
                    checked=checked,
                )
            )
        if request.status == Status.QUEUED:
            request = await send_service.deliver(self.ctx, request.id)
        return request

    def finished(self, error: BaseException | None) -> None:
        """The send ended (``error`` None: sent)."""
        self.busy = False
        if not isinstance(error, UnavailableError):
            # Sent or refused: the next Send is a new request. Unreachable: the next Send (or a
            # sync) delivers the same queued one with its key, so the provider never sees two.
            self.renew()
