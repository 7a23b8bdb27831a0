"""The store's interface: what the services and the front ends may ask of the store.

Each repository is a protocol here; :class:`app.store.sqlite.SqliteStore` implements them over
one SQLite file (mypy checks that it does), and another backend (PostgreSQL for a shared office
store) implements the same. The values going in and out are those of :mod:`app.store.records`
and the domain: no SQL, no rows, no database types. Every method that changes something is one
transaction; :meth:`Store.transaction` groups several calls into one.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from app.domain.lifecycle import Status
from app.domain.model import Request, RequestSpec
from app.domain.report import Report
from app.store.drafts import Draft, DraftState
from app.store.records import (
    ArchivedFile,
    Event,
    FieldValue,
    OutboxItem,
    RequestFilter,
    Verification,
)
from app.store.templates import Template


class RequestRepository(Protocol):
    """Requests: rows, recipients, fields and values, history; changes as compare-and-set."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def add(self, request: Request, idempotency_key: str) -> None:
        """Commit a new request with its ``pending`` outbox entry, its first event and its
        search row: the point of no return for a send."""

    def restore(self, request: Request, events: Sequence[Event]) -> None:
        """Re-create a request read back from its archive folder."""

    def resolve_id(self, ref: str) -> str:
        """The full id for a whole id or an unambiguous prefix of at least 4 characters
        (``NotFoundError``, or ``UserError`` when ambiguous)."""

    def get(self, ref: str) -> Request: ...
    def exists(self, request_id: str) -> bool: ...
    def version(self, request_id: str) -> int: ...

    def find(
        self,
        *,
        status: Sequence[Status] | None = None,
        provider: str | None = None,
        search: str | None = None,
        limit: int | None = None,
    ) -> list[Request]: ...

    def ids_with_status(self, statuses: Iterable[Status]) -> list[str]: ...
    def providers_by_id(self) -> dict[str, str]: ...
    def id_at_provider(self, provider: str, provider_request_id: str) -> str | None: ...
    def ids_with_document(self, sha256: str, *, except_key: str | None = None) -> list[str]: ...

    def set_status(
        self,
        request_id: str,
        status: Status,
        *,
        kind: str | None = None,
        detail: str | None = None,
        payload: dict[str, Any] | None = None,
        error_message: str | None = None,
        at: datetime | None = None,
        expect: Collection[Status] | None = None,
    ) -> None:
        """Move to ``status`` (lifecycle checked) with an event; with ``expect``, only from one
        of those states (else ``StateConflict``)."""

    def apply_report(
        self,
        request_id: str,
        report: Report,
        *,
        kind: str = "refresh",
        expect_version: int | None = None,
        expect: Collection[Status] | None = None,
    ) -> Status:
        """Merge a provider's report (never backwards); ``ChangedMeanwhile`` when the version
        is no longer ``expect_version``, ``StateConflict`` when not in ``expect``."""

    def recipient_event(
        self,
        request_id: str,
        index: int,
        kind: str,
        *,
        at: datetime | None = None,
        detail: str | None = None,
    ) -> None: ...
    def events(self, request_id: str) -> list[Event]: ...
    def add_event(
        self,
        request_id: str,
        kind: str,
        detail: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None: ...
    def set_field_values(self, request_id: str, values: dict[int, FieldValue]) -> None: ...
    def field_values(self, request_id: str) -> dict[int, FieldValue]: ...


class OutboxRepository(Protocol):
    """Each request's idempotency key and how far its send got."""

    def get(self, request_id: str) -> OutboxItem | None: ...
    def request_for_key(self, idempotency_key: str) -> str | None: ...
    def in_state(self, state: str = "pending") -> list[OutboxItem]: ...
    def owner_pid(self, request_id: str) -> int | None: ...

    def start_sending(self, request_id: str, pid: int) -> bool:
        """``pending`` → ``sending`` by ``pid``, committed; False when not ``pending``."""

    def mark_done(self, request_id: str, report: Report) -> Status: ...
    def mark_failed(self, request_id: str, error: str, *, final: bool) -> None: ...
    def mark_reconciling(self, request_id: str, error: str) -> None: ...
    def requeue(self, request_id: str, detail: str) -> None: ...


class ArchiveIndexRepository(Protocol):
    """Which requests are archived, where, with which files and hashes."""

    def record(
        self, request_id: str, directory: str, files: Sequence[ArchivedFile], content: str | None
    ) -> None: ...
    def set_error(self, request_id: str, error: str, *, kind: str = "archive-error") -> None: ...
    def files(self, request_id: str) -> list[ArchivedFile]: ...
    def folder(self, request_id: str) -> str | None: ...
    def archived_ids(self) -> list[str]: ...
    def completed_unarchived(self) -> list[str]: ...
    def any_archived_from(self, providers: Collection[str]) -> bool: ...
    def forget_missing(self, keep: set[str]) -> None: ...


class VerificationRepository(Protocol):
    """The last verification of each archived request."""

    def record(
        self,
        request_id: str,
        state: str,
        subject: str | None,
        detail: str,
        at: datetime | None = None,
    ) -> Verification: ...
    def all(self) -> dict[str, Verification]: ...
    def forget(self, request_ids: Iterable[str] | None = None) -> None: ...


class SearchRepository(Protocol):
    """The requests list a page at a time, and full-text search (same results everywhere)."""

    def count(self, filters: RequestFilter | None = None) -> int: ...
    def page(self, filters: RequestFilter, offset: int, limit: int) -> list[Request]: ...
    def position(self, filters: RequestFilter, request_id: str) -> int | None: ...
    def matches(
        self, text: str, limit: int | None = None, *, archived_only: bool = False, offset: int = 0
    ) -> list[str]: ...
    def count_matches(self, text: str, *, archived_only: bool = False) -> int: ...


class TemplateRepository(Protocol):
    """Specs saved under a name (unique regardless of case)."""

    def save(
        self,
        name: str,
        spec: RequestSpec,
        page_sizes: Sequence[Sequence[float]],
        *,
        replace: bool = False,
    ) -> Template: ...
    def get(self, name: str) -> Template: ...
    def names(self) -> builtins.list[str]: ...
    def list(self) -> builtins.list[Template]: ...
    def delete(self, name: str) -> None: ...
    def rename(self, old: str, new: str) -> Template: ...
    def export_spec(self, name: str, dest: Path) -> None: ...


class DraftRepository(Protocol):
    """Requests being prepared, with a copy of their PDF."""

    def new_id(self) -> str: ...
    def pdf_path(self, draft_id: str, document_name: str) -> Path: ...
    def copy_document(self, draft_id: str, source: Path) -> str: ...
    def add(
        self,
        draft_id: str,
        *,
        source: Path,
        sha256: str,
        page_count: int,
        provider: str,
        render_id: str | None,
        spec: RequestSpec,
        pid: int | None = None,
    ) -> Draft: ...
    def save(
        self, draft_id: str, *, provider: str, render_id: str | None, spec: RequestSpec
    ) -> None: ...
    def set_state(self, draft_id: str, state: DraftState, pid: int | None = None) -> None: ...
    def get(self, draft_id: str) -> Draft: ...
    def exists(self, draft_id: str) -> bool: ...
    def all(self) -> list[Draft]: ...
    def orphaned(self) -> list[Draft]: ...
    def delete(self, draft_id: str) -> None: ...


class KnownRecipientRepository(Protocol):
    def recent(self, limit: int = 500) -> list[tuple[str, str, str]]: ...


class WebhookDeliveryRepository(Protocol):
    def first_delivery(self, provider: str, delivery_id: str) -> bool: ...


class Store(Protocol):
    """Every repository of one store, and transactions across them."""

    @property
    def requests(self) -> RequestRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def archive(self) -> ArchiveIndexRepository: ...
    @property
    def verifications(self) -> VerificationRepository: ...
    @property
    def search(self) -> SearchRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def drafts(self) -> DraftRepository: ...
    @property
    def known_recipients(self) -> KnownRecipientRepository: ...
    @property
    def webhook_deliveries(self) -> WebhookDeliveryRepository: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Several calls as one transaction: committed together, or not at all."""

    def close(self) -> None: ...
