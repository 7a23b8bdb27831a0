"""The store on one SQLite file: every repository over one connection (:mod:`app.store.db`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.store.archive_index import ArchiveIndex
from app.store.db import Database
from app.store.deliveries import WebhookDeliveries
from app.store.drafts import Drafts
from app.store.leases import Leases
from app.store.outbox import Outbox
from app.store.recipients import KnownRecipients
from app.store.requests import Requests
from app.store.runs import Runs
from app.store.search import RequestSearch
from app.store.templates import Templates
from app.store.verifications import Verifications

if TYPE_CHECKING:
    from app.store.interface import Store


class SqliteStore:
    """The repositories of :mod:`app.store.interface` on ``database``; ``drafts_dir`` holds the
    drafts' copies of their PDFs."""

    def __init__(self, database: Database, drafts_dir: Path) -> None:
        self.database = database
        self.requests = Requests(database)
        self.outbox = Outbox(database, self.requests)
        self.archive = ArchiveIndex(database)
        self.verifications = Verifications(database)
        self.search = RequestSearch(database)
        self.templates = Templates(database)
        self.runs = Runs(database)
        self.drafts = Drafts(database, drafts_dir)
        self.known_recipients = KnownRecipients(database)
        self.webhook_deliveries = WebhookDeliveries(database)
        self.leases = Leases(database)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several calls as one transaction (``BEGIN IMMEDIATE``: the write lock is taken up
        front); calls inside it join it."""
        with self.database.write():
            yield

    def close(self) -> None:
        self.database.close()


if TYPE_CHECKING:

    def _implements_the_interface(store: SqliteStore) -> Store:
        return store  # mypy checks every repository against its protocol here
