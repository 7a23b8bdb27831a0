"""The repositories of :mod:`app.store.interface` over one database, whichever it is: the
store on SQLite (:mod:`app.store.sqlite`) and on PostgreSQL (:mod:`app.store.postgres`) are this
one class over their own database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

from app.store.archive_index import ArchiveIndex
from app.store.connection import StoreDatabase
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

D = TypeVar("D", bound=StoreDatabase)


class Repositories(Generic[D]):
    """Every repository on ``database``; ``drafts_dir`` (on this desk) holds the drafts'
    copies of their PDFs."""

    def __init__(self, database: D, drafts_dir: Path) -> None:
        self.database: D = database
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
        """Several calls as one transaction (on SQLite ``BEGIN IMMEDIATE``: the write lock is
        taken up front); calls inside it join it."""
        with self.database.write():
            yield

    def close(self) -> None:
        self.database.close()
