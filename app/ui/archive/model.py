"""The archive place's model: every archived request in the store (no provider needed), filtered
by provider, year and a full-text search, with the verification badge each last got."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from PySide6.QtCore import (
    QModelIndex,
    Qt,
)

from app.archive.badge import Badge, BadgeState
from app.context import Context
from app.domain.clock import now
from app.providers import registry
from app.store.interface import VerificationRepository
from app.ui.table_model import ModelIndex, RowTableModel
from app.wording import when

COLUMNS = ("Name", "Completed", "Provider", "Recipients", "Files", "Verification")
NAME, COMPLETED, PROVIDER, RECIPIENTS, FILES, BADGE = range(len(COLUMNS))

ID_ROLE = Qt.ItemDataRole.UserRole
"""The request id of a row (any column)."""
BADGE_ROLE = Qt.ItemDataRole.UserRole + 1
"""The badge column's kind: a :data:`BadgeKind`."""
CHECKED_ROLE = Qt.ItemDataRole.UserRole + 2
"""The badge column's "Verified 6 Dec 2026 14:05", or None before any verification."""

#: The width the name column should have: other columns give way (:data:`GIVE_WAY`) for it.
NAME_WANTED_WIDTH = 280
#: Columns hidden, in this order, when the table is too narrow for all of them (what they say is
#: also in the name's tooltip). The verification badge never gives way.
GIVE_WAY = (FILES, RECIPIENTS, PROVIDER)
BADGE_STATES = ("valid", "untrusted", "modified", "missing")

BadgeKind = Literal["valid", "untrusted", "modified", "missing", "unchecked", "checking"]

#: Worst first: the order of the badge column when sorted.
_SEVERITY = ("modified", "missing", "untrusted", "checking", "unchecked", "valid")

PreviewKind = Literal["signed", "certificate"]


def badge_text(badge: Badge | None, checking: bool = False) -> str:
    """What a badge says: "Signature valid", "Intact — signer not trusted (<subject>)",
    "Modified", "Missing", or "Not checked" before verification."""
    if checking:
        return "Checking…"
    if badge is None:
        return "Not checked"
    if badge.state == "valid":
        return "Signature valid"
    if badge.state == "untrusted":
        if badge.subject:
            return f"Intact — signer not trusted ({badge.subject})"
        return "Intact — no signature to check"
    return "Modified" if badge.state == "modified" else "Missing"


def provider_name(provider_id: str) -> str:
    return registry.display_name(provider_id)


def verified_text(moment: datetime) -> str:
    """ "Verified 6 Dec 2026 14:05" (local time)."""
    local = moment.astimezone()
    return f"Verified {local.day} {local:%b %Y %H:%M}"


@dataclass(frozen=True)
class ArchiveRow:
    """One archived request as the list shows it (read from the store; no provider needed)."""

    id: str
    name: str
    completed: datetime | None
    provider: str
    recipients: tuple[str, ...]
    emails: tuple[str, ...]
    rel: str
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    """Archived files by kind (``signed``, ``certificate``, ``request``), absolute paths."""

    @property
    def year(self) -> str:
        head = self.rel.split("/", 1)[0]
        if head.isdigit():
            return head
        return f"{self.completed.astimezone():%Y}" if self.completed else ""

    @property
    def files_text(self) -> str:
        parts = [
            label
            for kind, label in (("signed", "PDF"), ("certificate", "certificate"))
            if kind in self.files
        ]
        return " + ".join(parts) if parts else "—"


def load_rows(ctx: Context) -> list[ArchiveRow]:
    """Every archived request in the store (most recently archived first)."""
    requests, index = ctx.requests, ctx.store.archive
    root = ctx.paths.archive_dir
    rows = []
    for rid in index.archived_ids():
        if not requests.exists(rid):
            continue
        request = requests.get(rid)
        rel = index.folder(rid) or ""
        files = {f.kind: root / f.path for f in index.files(rid)}
        rows.append(
            ArchiveRow(
                id=rid,
                name=request.name,
                completed=request.completed_at,
                provider=request.provider,
                recipients=tuple(r.name or r.email for r in request.spec.recipients),
                emails=tuple(r.email for r in request.spec.recipients),
                rel=rel,
                folder=root / rel,
                files=files,
            )
        )
    return rows


class ArchiveModel(RowTableModel):
    """The archived requests of the store, one row each, filtered by provider, year and the
    ids a full-text search found; the last column holds the verification badge."""

    COLUMN_TITLES = COLUMNS

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.all_rows: list[ArchiveRow] = []
        self.rows: list[ArchiveRow] = []
        self.badges: dict[str, Badge] = {}
        #: When each badge was found (kept in the store, so it outlives the app).
        self.checked_at: dict[str, datetime] = {}
        self.checking: set[str] = set()
        self.provider: str | None = None
        self.year: str | None = None
        self.matches: set[str] | None = None
        self._sort: tuple[int, Qt.SortOrder] = (COMPLETED, Qt.SortOrder.DescendingOrder)
        #: Badges shown but not yet kept in the store (by request id: when they were found).
        self._unkept: dict[str, datetime] = {}

    @property
    def verifications(self) -> VerificationRepository:
        """The kept verifications (looked up each time: the store may have been opened anew)."""
        return self.ctx.store.verifications

    # loading and filtering -------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the archived requests and their last verification from the store again."""
        self.keep_badges()
        self.beginResetModel()
        try:
            self.all_rows = load_rows(self.ctx)
            known = {r.id for r in self.all_rows}
            self.badges, self.checked_at = {}, {}
            for rid, kept in self.verifications.all().items():
                if rid in known and kept.state in BADGE_STATES:
                    state: BadgeState = kept.state  # type: ignore[assignment]
                    self.badges[rid] = Badge(state, kept.subject, kept.detail)
                    self.checked_at[rid] = kept.checked_at
            self.checking &= known
        finally:
            self._apply()
            self.endResetModel()

    def set_filters(
        self, *, provider: str | None, year: str | None, matches: set[str] | None
    ) -> None:
        """Show only rows of ``provider`` and ``year`` (None: any) whose id is in ``matches``
        (None: no search)."""
        self.beginResetModel()
        self.provider, self.year, self.matches = provider, year, matches
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        rows = [
            r
            for r in self.all_rows
            if (self.provider is None or r.provider == self.provider)
            and (self.year is None or r.year == self.year)
            and (self.matches is None or r.id in self.matches)
        ]
        column, order = self._sort
        rows.sort(key=lambda r: self._key(r, column))
        if order == Qt.SortOrder.DescendingOrder:
            rows.reverse()
        self.rows = rows

    def providers(self) -> list[str]:
        return sorted({r.provider for r in self.all_rows})

    def years(self) -> list[str]:
        return sorted({r.year for r in self.all_rows if r.year}, reverse=True)

    # badges ----------------------------------------------------------------------------------

    def badge(self, request_id: str) -> Badge | None:
        return self.badges.get(request_id)

    def set_badge(self, request_id: str, badge: Badge | None, *, keep_later: bool = False) -> None:
        """Show ``badge`` for ``request_id`` (None: not checked) and keep it in the store with the
        time it was found: now, or with ``keep_later`` at the next :meth:`keep_badges` (many
        badges in one write)."""
        self._unkept.pop(request_id, None)
        if badge is None:
            self.badges.pop(request_id, None)
            self.checked_at.pop(request_id, None)
            self.verifications.forget([request_id])
        elif keep_later:
            self.badges[request_id] = badge
            self.checked_at[request_id] = self._unkept[request_id] = now()
        else:
            kept = self.verifications.record(request_id, badge.state, badge.subject, badge.detail)
            self.badges[request_id] = badge
            self.checked_at[request_id] = kept.checked_at
        self.checking.discard(request_id)
        self._badge_changed(request_id)

    def keep_badges(self) -> None:
        """Write the badges shown with ``keep_later`` to the store, in one transaction."""
        unkept, self._unkept = self._unkept, {}
        if not unkept:
            return
        with self.ctx.store.transaction():
            for rid, moment in unkept.items():
                badge = self.badges.get(rid)
                if badge is not None:
                    self.verifications.record(
                        rid, badge.state, badge.subject, badge.detail, at=moment
                    )

    def badge_texts(self) -> set[str]:
        """What the badge column says in the rows shown."""
        return {badge_text(self.badges.get(r.id), r.id in self.checking) for r in self.rows}

    def checked_text(self, request_id: str) -> str | None:
        """ "Verified 6 Dec 2026 14:05", or None before any verification."""
        moment = self.checked_at.get(request_id)
        return verified_text(moment) if moment is not None else None

    def set_checking(self, request_id: str, checking: bool) -> None:
        if checking:
            self.checking.add(request_id)
        else:
            self.checking.discard(request_id)
        self._badge_changed(request_id)

    def clear_badges(self) -> None:
        """Forget every verification (shown and kept): after a reindex the files may be other
        ones."""
        self.badges.clear()
        self.checked_at.clear()
        self.checking.clear()
        self._unkept.clear()
        self.verifications.forget()
        if self.rows:
            self.dataChanged.emit(self.index(0, BADGE), self.index(len(self.rows) - 1, BADGE))

    def badge_kind(self, request_id: str) -> BadgeKind:
        if request_id in self.checking:
            return "checking"
        badge = self.badges.get(request_id)
        return "unchecked" if badge is None else badge.state

    def _badge_changed(self, request_id: str) -> None:
        row = self.row_of(request_id)
        if row >= 0:
            index = self.index(row, BADGE)
            self.dataChanged.emit(index, index)

    # Qt model --------------------------------------------------------------------------------

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == BADGE:
                return badge_text(self.badges.get(row.id), row.id in self.checking)
            values = (
                row.name,
                when(row.completed),
                provider_name(row.provider),
                ", ".join(row.recipients),
                row.files_text,
            )
            return values[column] if 0 <= column < len(values) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == BADGE:
                badge = self.badges.get(row.id)
                if badge is None:
                    return "Not verified yet: select it and click Verify."
                checked = self.checked_text(row.id)
                return f"{badge.detail}\n{checked}." if checked else badge.detail
            if column == RECIPIENTS:
                return "\n".join(
                    f"{n} <{e}>" for n, e in zip(row.recipients, row.emails, strict=True)
                )
            if column == NAME:
                people = ", ".join(row.recipients)
                return (
                    f"{row.name}\n{when(row.completed)} · {provider_name(row.provider)} · "
                    f"{people}\n{row.folder}"
                )
            if column == FILES:
                return "\n".join(p.name for p in row.files.values())
            return None
        if role == ID_ROLE:
            return row.id
        if role == BADGE_ROLE:
            return self.badge_kind(row.id)
        if role == CHECKED_ROLE and column == BADGE and row.id not in self.checking:
            return self.checked_text(row.id)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        before = [r.id for r in self.rows]
        persistent = self.persistentIndexList()
        self._sort = (column, order)
        self._apply()
        after = {r.id: i for i, r in enumerate(self.rows)}
        for old in persistent:
            new_row = after.get(before[old.row()], -1) if 0 <= old.row() < len(before) else -1
            self.changePersistentIndex(
                old, self.index(new_row, old.column()) if new_row >= 0 else QModelIndex()
            )
        self.layoutChanged.emit()

    def _key(self, row: ArchiveRow, column: int) -> tuple[object, ...]:
        if column == COMPLETED:
            return (row.completed.timestamp() if row.completed else 0.0, row.name.casefold())
        if column == PROVIDER:
            return (provider_name(row.provider).casefold(), row.name.casefold())
        if column == RECIPIENTS:
            return (", ".join(row.recipients).casefold(), row.name.casefold())
        if column == FILES:
            return (row.files_text, row.name.casefold())
        if column == BADGE:
            return (_SEVERITY.index(self.badge_kind(row.id)), row.name.casefold())
        return (row.name.casefold(), row.id)

    def row_of(self, request_id: str) -> int:
        for i, row in enumerate(self.rows):
            if row.id == request_id:
                return i
        return -1

    def row_by_id(self, request_id: str) -> ArchiveRow | None:
        return next((r for r in self.all_rows if r.id == request_id), None)
