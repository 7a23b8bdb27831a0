"""The archive place: every archived request, searchable and verifiable with no network.

The list comes from the store's archive rows alone (``sealbox archive reindex`` rebuilds them
from the folder), so it works with no provider configured. The search box runs the store's
full-text search (names, recipients, emails and the words inside the signed PDFs and
certificates) once typing pauses. Verification re-hashes the files and validates their
signatures with pyHanko in the bridge's thread pool, one request at a time, and each result
shows as a coloured badge as soon as it is known. The selected request's signed PDF (or its
completion certificate) is previewed in the editor's :class:`~app.ui.pdfview.view.PageView`.

Messages about what the page did (exported, reindexed, a failure) appear in a line above the
table rather than in dialogs, so nothing modal interrupts a long verification.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import shiboken6
from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.archive.folder import (
    Archived,
    Badge,
    BadgeState,
    VerifyJob,
    export_selection,
    prepare_verify,
    reindex,
    run_verify,
    trust_roots,
)
from app.context import Context
from app.domain.geometry import PageGeometry
from app.errors import SealboxError
from app.pdf.document import PdfTooLargeError, check_pdf, open_pdf_bytes, page_geometries
from app.providers import registry
from app.store.verifications import Verifications
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.columns import ElidedLabel, MiddleElideDelegate, fit_columns
from app.ui.desktop import NoFileManagerDialog, show_in_file_manager
from app.ui.pdfview.view import PageView
from app.ui.table_model import ModelIndex, RowTableModel

log = logging.getLogger(__name__)
T = TypeVar("T")

COLUMNS = ("Name", "Completed", "Provider", "Recipients", "Files", "Verification")
NAME, COMPLETED, PROVIDER, RECIPIENTS, FILES, BADGE = range(len(COLUMNS))
SEARCH_DELAY_MS = 250

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

#: Fill and text colours of each badge kind.
BADGE_COLOURS: dict[str, tuple[str, str]] = {
    "valid": ("#2e7d32", "#ffffff"),
    "untrusted": ("#f0a000", "#2b1d00"),
    "modified": ("#c62828", "#ffffff"),
    "missing": ("#8a8a8a", "#ffffff"),
}
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


def ask_export_path(parent: QWidget, suggested: Path) -> Path | None:
    """Ask where to save an export; ``None`` when the user cancels."""
    name, _ = QFileDialog.getSaveFileName(parent, "Export archived requests", str(suggested),
                                          "Zip archives (*.zip)")
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".zip" else path.with_name(f"{path.name}.zip")


def preview_pages(path: Path) -> list[PageGeometry]:
    """The pages of an archived PDF for the preview. Blocking (it reads and parses the file):
    run it in the bridge's pool. A signed PDF may be a little over the limit for sending."""
    try:
        return check_pdf(path).pages
    except PdfTooLargeError:
        doc = open_pdf_bytes(path.read_bytes(), path.name)
        try:
            return page_geometries(doc)
        finally:
            doc.close()


def provider_name(provider_id: str) -> str:
    return registry.display_name(provider_id)


def verified_text(moment: datetime) -> str:
    """"Verified 6 Dec 2026 14:05" (local time)."""
    local = moment.astimezone()
    return f"Verified {local.day} {local:%b %Y %H:%M}"


# --- model --------------------------------------------------------------------------------------


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
        parts = [label for kind, label in (("signed", "PDF"),
                                           ("certificate", "certificate"))
                 if kind in self.files]
        return " + ".join(parts) if parts else "—"


def load_rows(ctx: Context) -> list[ArchiveRow]:
    """Every archived request in the store (most recently archived first)."""
    requests = ctx.requests
    root = ctx.paths.archive_dir
    rows = []
    for rid in requests.archived_ids():
        if not requests.exists(rid):
            continue
        request = requests.get(rid)
        rel = requests.archive_dir(rid) or ""
        files = {f.kind: root / f.path for f in requests.archived_files(rid)}
        rows.append(ArchiveRow(
            id=rid, name=request.name, completed=request.completed_at,
            provider=request.provider,
            recipients=tuple(r.name or r.email for r in request.spec.recipients),
            emails=tuple(r.email for r in request.spec.recipients),
            rel=rel, folder=root / rel, files=files,
        ))
    return rows


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


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

    @property
    def verifications(self) -> Verifications:
        """The kept verifications (looked up each time: the store may have been opened anew)."""
        return Verifications(self.ctx.database)

    # loading and filtering -------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the archived requests and their last verification from the store again."""
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

    def set_filters(self, *, provider: str | None, year: str | None,
                    matches: set[str] | None) -> None:
        """Show only rows of ``provider`` and ``year`` (None: any) whose id is in ``matches``
        (None: no search)."""
        self.beginResetModel()
        self.provider, self.year, self.matches = provider, year, matches
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        rows = [r for r in self.all_rows
                if (self.provider is None or r.provider == self.provider)
                and (self.year is None or r.year == self.year)
                and (self.matches is None or r.id in self.matches)]
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

    def set_badge(self, request_id: str, badge: Badge | None) -> None:
        """Show ``badge`` for ``request_id`` (None: not checked) and keep it in the store with the
        time it was found."""
        if badge is None:
            self.badges.pop(request_id, None)
            self.checked_at.pop(request_id, None)
            self.verifications.forget([request_id])
        else:
            kept = self.verifications.record(request_id, badge.state, badge.subject,
                                             badge.detail)
            self.badges[request_id] = badge
            self.checked_at[request_id] = kept.checked_at
        self.checking.discard(request_id)
        self._badge_changed(request_id)

    def badge_texts(self) -> set[str]:
        """What the badge column says in the rows shown."""
        return {badge_text(self.badges.get(r.id), r.id in self.checking) for r in self.rows}

    def checked_text(self, request_id: str) -> str | None:
        """"Verified 6 Dec 2026 14:05", or None before any verification."""
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
            values = (row.name, _when(row.completed), provider_name(row.provider),
                      ", ".join(row.recipients), row.files_text)
            return values[column] if 0 <= column < len(values) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == BADGE:
                badge = self.badges.get(row.id)
                if badge is None:
                    return "Not verified yet: select it and click Verify."
                checked = self.checked_text(row.id)
                return f"{badge.detail}\n{checked}." if checked else badge.detail
            if column == RECIPIENTS:
                return "\n".join(f"{n} <{e}>" for n, e in zip(row.recipients, row.emails,
                                                             strict=True))
            if column == NAME:
                people = ", ".join(row.recipients)
                return (f"{row.name}\n{_when(row.completed)} · {provider_name(row.provider)} · "
                        f"{people}\n{row.folder}")
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
                old, self.index(new_row, old.column()) if new_row >= 0 else QModelIndex())
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


class BadgeDelegate(QStyledItemDelegate):
    """Paints the verification column as a coloured pill: green, amber, red or grey; "Not
    checked" and "Checking…" as plain grey text."""

    PAD_X = 8
    PAD_Y = 3
    GAP = 8

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: ModelIndex) -> None:
        kind = index.data(BADGE_ROLE)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        # The selection background and focus frame as for any cell, without the text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = QRectF(opt.rect).adjusted(4, 3, -4, -3)
        metrics = QFontMetrics(opt.font)
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            colours = BADGE_COLOURS.get(str(kind))
            if colours is None:
                palette: QPalette = opt.palette
                selected = bool(opt.state & QStyle.StateFlag.State_Selected)
                role = (QPalette.ColorRole.HighlightedText if selected
                        else QPalette.ColorRole.PlaceholderText)
                painter.setPen(palette.color(role))
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(rect.width()))
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter
                                           | Qt.AlignmentFlag.AlignLeft), shown)
                return
            fill, ink = colours
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                       int(rect.width()) - 2 * self.PAD_X)
            width = min(rect.width(), metrics.horizontalAdvance(shown) + 2 * self.PAD_X)
            height = min(rect.height(), metrics.height() + 2 * self.PAD_Y)
            pill = QRectF(rect.left(), rect.center().y() - height / 2, width, height)
            painter.setPen(QPen(QColor(fill).darker(115), 1))
            painter.setBrush(QColor(fill))
            painter.drawRoundedRect(pill, height / 2, height / 2)
            painter.setPen(QColor(ink))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), shown)
            # When it was checked, after the pill where there is room for it.
            checked = index.data(CHECKED_ROLE)
            rest = QRectF(pill.right() + self.GAP, rect.top(),
                          rect.right() - pill.right() - self.GAP, rect.height())
            if isinstance(checked, str) and rest.width() >= metrics.horizontalAdvance(checked):
                selected = bool(opt.state & QStyle.StateFlag.State_Selected)
                role = (QPalette.ColorRole.HighlightedText if selected
                        else QPalette.ColorRole.PlaceholderText)
                painter.setPen(opt.palette.color(role))
                painter.drawText(rest, int(Qt.AlignmentFlag.AlignVCenter
                                           | Qt.AlignmentFlag.AlignLeft), checked)
        finally:
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        metrics = QFontMetrics(option.font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        return QSize(min(metrics.horizontalAdvance(text) + 2 * self.PAD_X + 12, 420),
                     max(hint.height(), metrics.height() + 2 * self.PAD_Y + 6))


class ArchiveTable(QTableView):
    """The archive list. Its columns fit the width it has: the name takes what is left; while
    that is less than :data:`NAME_WANTED_WIDTH`, the files, recipients and provider columns give
    way in that order (their values are in the name's tooltip). The verification badge always
    shows."""

    # At 1024×700 the name keeps about 250 px next to Completed and the badge; at 1600×1000 only
    # the files column gives way.

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def wanted_width(self, column: int) -> int:
        """The width ``column`` asks for, from the longest value it can hold (no pass over the
        rows)."""
        metrics = self.fontMetrics()
        header = metrics.horizontalAdvance(COLUMNS[column]) + 24
        if column == BADGE:
            # As wide as the widest pill the rows show (a long signer's name is elided).
            model = self.model()
            texts = model.badge_texts() if isinstance(model, ArchiveModel) else set()
            pills = [metrics.horizontalAdvance(t) + 2 * BadgeDelegate.PAD_X + 16 for t in texts]
            return max([header, *pills]) if max(pills, default=0) < 240 else 240
        samples = {
            COMPLETED: "2026-12-30 23:59",
            PROVIDER: max((info.name for info in registry.providers()),
                          key=metrics.horizontalAdvance),
            RECIPIENTS: "Anne-Marie Lee, Bob Roe",
            FILES: "PDF + certificate",
        }
        return max(header, metrics.horizontalAdvance(samples.get(column, "")) + 24)

    def fit_columns(self) -> None:
        widths = {c: self.wanted_width(c) for c in range(len(COLUMNS)) if c != NAME}
        fit_columns(self, NAME, widths, GIVE_WAY, NAME_WANTED_WIDTH)


# --- page ---------------------------------------------------------------------------------------


class ArchivePage(QWidget):
    """Browse, search, preview, verify and export the archive."""

    verifyFinished = Signal(int)
    """A verification run ended (cancelled or not): how many requests got a badge."""
    previewChanged = Signal(str)
    """The preview shows another file (its path), or nothing (an empty string)."""
    messageChanged = Signal(str)

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.bridge = bridge
        self.model = ArchiveModel(ctx)
        self._verify_task: asyncio.Task[int] | None = None
        self._checking: str | None = None
        self._verified = 0
        self._verify_total = 0
        self._busy_task: asyncio.Task[Any] | None = None
        self._preview_generation = 0
        self.preview_kind: PreviewKind = "signed"
        self.preview_id: str | None = None
        #: What Show in folder opened where no file manager could show the folder.
        self.folder_dialog: NoFileManagerDialog | None = None
        self._build()
        self.refresh()

    # layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search names, recipients and the words inside signed "
                                       "documents and certificates")
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        self.provider_box = QComboBox()
        self.provider_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year_box = QComboBox()
        self.year_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.provider_box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.year_box.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.reindex_button = QPushButton("Reindex from folder")
        self.reindex_button.setToolTip("Rebuild the list from the archive folder alone (after "
                                       "restoring a backup or losing the database)")
        self.reindex_button.clicked.connect(self.reindex)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.provider_box)
        top.addWidget(self.year_box)
        top.addWidget(self.reindex_button)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

        self.table = ArchiveTable()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(BADGE, BadgeDelegate(self.table))
        self.table.setItemDelegateForColumn(NAME, MiddleElideDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # The name takes what the other columns leave (see ArchiveTable.fit_columns); long
        # signer subjects are elided in the pill (the tooltip has the whole sentence).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        header.setSortIndicator(COMPLETED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.dataChanged.connect(lambda *_: self._show_verification(self.preview_id))
        # A badge that says more ("Intact — signer not trusted") widens its column.
        self.model.dataChanged.connect(lambda *_: self.table.fit_columns())
        self.model.modelReset.connect(self.table.fit_columns)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty)

        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Re-hash the selected requests' files and check their "
                                      "signatures, offline")
        self.verify_button.clicked.connect(self.verify_selected)
        self.verify_all_button = QPushButton("Verify all")
        self.verify_all_button.clicked.connect(self.verify_all)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the selected requests and an index.csv in a zip")
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("Verifying %v of %m")
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_verify)
        self.cancel_button.setVisible(False)
        actions = QHBoxLayout()
        actions.addWidget(self.verify_button)
        actions.addWidget(self.verify_all_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        actions.addStretch()
        actions.addWidget(self.export_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list_stack, 1)
        left_layout.addLayout(actions)

        # A long name is elided (whole in the tooltip): it never makes the window wider.
        self.preview_title = ElidedLabel()
        font = self.preview_title.font()
        font.setBold(True)
        self.preview_title.setFont(font)
        self.certificate_button = QPushButton("Open certificate")
        self.certificate_button.clicked.connect(self.toggle_certificate)
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.clicked.connect(self.show_in_folder)
        # The title on a line of its own; under it the verdict and the buttons.
        preview_bar = QHBoxLayout()
        #: The previewed request's last verification and when it was done.
        self.verification_label = QLabel()
        self.verification_label.setWordWrap(True)
        self.verification_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = PageView()
        self.view.fit_width()
        self.preview_note = QLabel()
        self.preview_note.setWordWrap(True)
        self.preview_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview_note)
        self.preview_stack.addWidget(self.view)
        right = self.preview_pane = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        preview_bar.addWidget(self.verification_label, 1)
        preview_bar.addWidget(self.certificate_button)
        preview_bar.addWidget(self.folder_button)
        right_layout.addWidget(self.preview_title)
        right_layout.addLayout(preview_bar)
        right_layout.addWidget(self.preview_stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self._show_preview_note("Select an archived request to see its signed document.")
        self._update_actions()

    # list ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the archive list from the store again, keeping the filters and the selection."""
        current = self.current_id()
        try:
            self.model.refresh()
        except SealboxError as exc:  # the store cannot be opened (busy, damaged, newer)
            self.say(exc.for_app(), error=True)
        self._fill_filters()
        self._apply_model_filters()
        self._after_reset(current)

    def apply_filters(self) -> None:
        """Apply the provider, year and search box now (typing applies them after a pause)."""
        self.search_timer.stop()
        current = self.current_id()
        self._apply_model_filters()
        self._after_reset(current)

    def _apply_model_filters(self) -> None:
        text = self.search.text().strip()
        matches: set[str] | None = None
        if text:
            try:
                matches = set(self.ctx.requests.search_ids(text, archived_only=True))
            except SealboxError as exc:
                self.say(exc.for_app(), error=True)
                matches = set()
        provider = self.provider_box.currentData()
        year = self.year_box.currentData()
        self.model.set_filters(provider=provider if isinstance(provider, str) else None,
                               year=year if isinstance(year, str) else None, matches=matches)

    def _fill_filters(self) -> None:
        for box, everything, values, label in (
            (self.provider_box, "All providers", self.model.providers(), provider_name),
            (self.year_box, "All years", self.model.years(), str),
        ):
            chosen = box.currentData()
            box.blockSignals(True)
            try:
                box.clear()
                box.addItem(everything, None)
                for value in values:
                    box.addItem(label(value), value)
                at = box.findData(chosen) if chosen is not None else 0
                box.setCurrentIndex(max(at, 0))
            finally:
                box.blockSignals(False)

    def _after_reset(self, current: str | None) -> None:
        has_any = bool(self.model.all_rows)
        if not has_any:
            self.empty.setText(
                "<h3>Nothing archived yet</h3><p>When a request is completed, Sealbox keeps "
                "its signed PDF and completion certificate in the archive folder:</p><p><code>"
                f"{self.ctx.paths.archive_dir}</code></p><p>Restored a backup of that folder? "
                "Click <b>Reindex from folder</b>.</p>")
        elif not self.model.rows:
            self.empty.setText("<p>No archived request matches the search and filters.</p>")
        self.list_stack.setCurrentWidget(self.table if self.model.rows else self.empty)
        self.preview_pane.setVisible(has_any)
        row = self.model.row_of(current) if current else -1
        if row >= 0:
            self.table.selectRow(row)
        elif self.preview_id is not None and self.model.row_of(self.preview_id) < 0:
            self._clear_preview()
        self._update_actions()

    def show_request(self, request_id: str) -> bool:
        """Select ``request_id`` (clearing filters that hide it); False if it is not archived."""
        if self.model.row_by_id(request_id) is None:
            self.refresh()
        if self.model.row_by_id(request_id) is None:
            return False
        if self.model.row_of(request_id) < 0:
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            for box in (self.provider_box, self.year_box):
                box.blockSignals(True)
                box.setCurrentIndex(0)
                box.blockSignals(False)
            self.apply_filters()
        row = self.model.row_of(request_id)
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def current_id(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(
                index.row(), QModelIndex()):
            rows = self.table.selectionModel().selectedRows()
            if not rows:
                return None
            index = rows[0]
        value = self.model.data(index, ID_ROLE)
        return str(value) if value else None

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.model.rows[r].id for r in rows if 0 <= r < len(self.model.rows)]

    def select_ids(self, ids: Sequence[str]) -> None:
        selection = QItemSelection()
        for rid in ids:
            row = self.model.row_of(rid)
            if row >= 0:
                selection.select(self.model.index(row, 0),
                                 self.model.index(row, len(COLUMNS) - 1))
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().select(selection, flags)
        if ids and self.model.row_of(ids[0]) >= 0:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(self.model.row_of(ids[0]), 0),
                QItemSelectionModel.SelectionFlag.NoUpdate)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()
        current = self.current_id()
        if current != self.preview_id:
            self._preview(current, "signed")

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rid = self.model.data(current, ID_ROLE) if current.isValid() else None
        if isinstance(rid, str) and rid != self.preview_id:
            self._preview(rid, "signed")

    def say(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` above the list (red for an error); an empty text hides the line."""
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if error else "")
        self.message.setVisible(bool(text))
        self.messageChanged.emit(text)

    def _update_actions(self) -> None:
        verifying = self.verifying
        busy = self._busy_task is not None and not self._busy_task.done()
        has_selection = bool(self.selected_ids())
        for widget in (self.search, self.provider_box, self.year_box, self.reindex_button):
            widget.setEnabled(not busy and not (verifying and widget is self.reindex_button))
        self.verify_button.setEnabled(has_selection and not verifying and not busy)
        self.verify_all_button.setEnabled(bool(self.model.all_rows) and not verifying
                                          and not busy)
        self.export_button.setEnabled(has_selection and not busy)
        self.progress.setVisible(verifying)
        self.cancel_button.setVisible(verifying)
        row = self.model.row_by_id(self.preview_id) if self.preview_id else None
        self._show_verification(row.id if row is not None else None)
        self.folder_button.setEnabled(row is not None)
        self.certificate_button.setEnabled(row is not None and "certificate" in row.files)
        self.certificate_button.setText("Show signed document"
                                        if self.preview_kind == "certificate" and row
                                        else "Open certificate")

    def _show_verification(self, request_id: str | None) -> None:
        """The previewed request's verdict and its time: "Signature valid — verified 6 Dec 2026
        14:05", or that it has not been verified."""
        label = self.verification_label
        if request_id is None:
            label.setText("")  # keeps its room: the buttons stay on the right
            label.setToolTip("")
            return
        badge = self.model.badge(request_id)
        kind = self.model.badge_kind(request_id)
        if kind == "checking":
            text, colour = "Checking…", None
        elif badge is None:
            text, colour = "Not verified yet: click Verify to check its files and signatures.", None
        else:
            checked = self.model.checked_text(request_id) or "Verified"
            text = f"{badge_text(badge)} — {checked[:1].lower()}{checked[1:]}"
            colour = BADGE_COLOURS[badge.state][0]
        label.setText(text)
        label.setToolTip(badge.detail if badge is not None else "")
        label.setStyleSheet(f"color: {colour};" if colour else "color: palette(placeholder-text);")

    # preview ---------------------------------------------------------------------------------

    def toggle_certificate(self) -> None:
        """Show the certificate of the previewed request, or back to its signed PDF."""
        if self.preview_id is None:
            return
        self._preview(self.preview_id,
                      "signed" if self.preview_kind == "certificate" else "certificate")

    def open_certificate(self) -> None:
        if self.preview_id is not None:
            self._preview(self.preview_id, "certificate")

    def _preview(self, request_id: str | None, kind: PreviewKind) -> None:
        self._preview_generation += 1
        generation = self._preview_generation
        self.preview_id, self.preview_kind = request_id, kind
        row = self.model.row_by_id(request_id) if request_id else None
        self._update_actions()
        if row is None:
            self._clear_preview()
            return
        what = "Signed document" if kind == "signed" else "Completion certificate"
        path = row.files.get(kind)
        self.preview_title.setText(f"{what} — {row.name}")
        if path is None:
            self._show_preview_note(f"{row.name} has no {what.lower()} in the archive.")
            return
        if not path.is_file():
            self._show_preview_note(f"{path.name} is missing from the archive folder:\n"
                                    f"{row.folder}")
            return
        self.preview_title.setToolTip(f"{row.name}\n{path}")

        def ready(pages: list[PageGeometry]) -> None:
            if generation == self._preview_generation:
                self.preview_stack.setCurrentWidget(self.view)
                self.view.set_document(path, pages)
                self.previewChanged.emit(str(path))

        def failed(exc: BaseException) -> None:
            if generation == self._preview_generation:
                self._show_preview_note(f"{path.name} cannot be shown: {describe_error(exc)}")

        self.bridge.start(self.bridge.run_blocking(preview_pages, path), on_done=ready,
                          on_error=failed, label="Reading an archived PDF")

    def _show_preview_note(self, text: str) -> None:
        self.view.clear()
        self.preview_note.setText(text)
        self.preview_stack.setCurrentWidget(self.preview_note)
        self.previewChanged.emit("")

    def _clear_preview(self) -> None:
        self._preview_generation += 1
        self.preview_id = None
        self.preview_kind = "signed"
        self.preview_title.setText("")
        self.preview_title.setToolTip("")
        self._show_preview_note("Select an archived request to see its signed document.")
        self._update_actions()

    def show_in_folder(self) -> None:
        """Open the previewed request's folder in the file manager."""
        row = self.model.row_by_id(self.preview_id) if self.preview_id else None
        if row is None:
            return
        if not row.folder.is_dir():
            self.say(f"The archive folder {row.folder} is missing: restore it from a backup, "
                     "then click Reindex from folder.", error=True)
            return
        self.folder_dialog = show_in_file_manager(self, row.folder)

    # verification ----------------------------------------------------------------------------

    @property
    def verifying(self) -> bool:
        return self._verify_task is not None and not self._verify_task.done()

    def verify_selected(self) -> None:
        self.verify(self.selected_ids())

    def verify_all(self) -> None:
        """Verify every archived request (also those the filters hide)."""
        self.verify([r.id for r in self.model.all_rows])

    def verify(self, ids: Sequence[str]) -> asyncio.Task[int] | None:
        """Verify ``ids`` off the UI thread, one at a time, each badge shown as it is known."""
        if self.verifying or not ids:
            return None
        try:
            roots = trust_roots(self.ctx)
        except OSError as exc:
            log.warning("reading the trust roots failed: %s", exc)
            self.say("The certificates this installation trusts cannot be read "
                     f"({exc.strerror or 'system error'}): check the permissions of Sealbox's "
                     "data folder.", error=True)
            return None
        except ValueError as exc:
            log.warning("reading the trust roots failed: %s", exc)
            self.say("The certificates this installation trusts are damaged: restore Sealbox's "
                     "data folder from a backup.", error=True)
            return None
        jobs: list[VerifyJob] = []
        for rid in ids:
            try:
                jobs.append(prepare_verify(self.ctx, rid, roots))
            except SealboxError as exc:
                self.model.set_badge(rid, Badge("missing", None, exc.for_app()))
        self.progress.setRange(0, max(len(jobs), 1))
        self.progress.setValue(0)
        self.say("")
        self._verified = 0
        self._verify_total = len(jobs)
        task = self.bridge.start(self._run_verify(jobs), on_error=self._verify_failed,
                                 label="Verifying the archive")
        task.add_done_callback(self._verify_ended)
        self._verify_task = task
        self._update_actions()
        return task

    async def _run_verify(self, jobs: list[VerifyJob]) -> int:
        for job in jobs:
            self._checking = job.request_id
            self.model.set_checking(job.request_id, True)
            badge = await self.bridge.run_blocking(run_verify, job)
            self.model.set_badge(job.request_id, badge)
            self._checking = None
            self._verified += 1
            self.progress.setValue(self._verified)
        return self._verified

    def _verify_ended(self, task: asyncio.Task[int]) -> None:
        """Runs however the verification ended (even cancelled before it started)."""
        if not shiboken6.isValid(self):
            return
        if self._checking is not None:
            self.model.set_checking(self._checking, False)
            self._checking = None
        self._verify_task = None
        if task.cancelled():
            total = self._verify_total
            self.say(f"Verification cancelled after {self._verified} of {total} request"
                     f"{'s' if total != 1 else ''}.")
        elif task.exception() is None:
            self._report_verified(self._verified)
        self._update_actions()
        self.verifyFinished.emit(self._verified)

    def _report_verified(self, done: int) -> None:
        states: dict[BadgeState, int] = {}
        for rid in (r.id for r in self.model.all_rows):
            badge = self.model.badge(rid)
            if badge is not None:
                states[badge.state] = states.get(badge.state, 0) + 1
        bad = states.get("modified", 0) + states.get("missing", 0)
        head = f"Verified {done} request{'s' if done != 1 else ''}"
        if bad:
            self.say(f"{head}: {bad} with modified or missing files — hover over a badge for "
                     "what is wrong.", error=True)
        else:
            self.say(f"{head}.")

    def _verify_failed(self, exc: BaseException) -> None:
        self.say(describe_error(exc), error=True)

    def cancel_verify(self) -> None:
        if self._verify_task is not None and not self._verify_task.done():
            self._verify_task.cancel()

    # export and reindex ----------------------------------------------------------------------

    def export_selected(self, dest: Path | None = None) -> asyncio.Task[Path] | None:
        """Export the selected requests to a zip (asked for with a save dialog without
        ``dest``); the outcome shows in the message line."""
        ids = self.selected_ids()
        if not ids:
            self.say("Select one or more archived requests to export.", error=True)
            return None
        if dest is None:
            suggested = Path.home() / f"Sealbox export {datetime.now():%Y-%m-%d}.zip"
            dest = ask_export_path(self, suggested)
            if dest is None:
                return None
        target = dest

        def done(result: Path) -> None:
            self.say(f"Exported {len(ids)} request{'s' if len(ids) != 1 else ''} to {result}.")

        return self._run_busy(self.bridge.run_blocking(export_selection, self.ctx, ids, target),
                              done, "Exporting from the archive")

    def reindex(self) -> asyncio.Task[list[Archived]] | None:
        """Rebuild the store's archive rows from the folder alone (off the UI thread), then
        show the list again."""
        self.ctx.requests  # noqa: B018  # open (or re-create) the store on this thread

        def done(result: list[Archived]) -> None:
            count = len(result)
            self.model.clear_badges()
            self.refresh()
            self.say(f"Reindexed {count} archived request{'s' if count != 1 else ''} from "
                     f"{self.ctx.paths.archive_dir}.")

        return self._run_busy(self.bridge.run_blocking(reindex, self.ctx), done,
                              "Reindexing the archive")

    def _run_busy(self, work: asyncio.Future[T], on_done: Callable[[T], None],
                  label: str) -> asyncio.Task[T] | None:
        if self._busy_task is not None and not self._busy_task.done():
            work.cancel()
            return None

        def finished(result: T) -> None:
            self._busy_task = None
            self._update_actions()
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._busy_task = None
            self._update_actions()
            self.say(describe_error(exc), error=True)

        self.say("")
        task = self.bridge.start(work, on_done=finished, on_error=failed, label=label)
        self._busy_task = task
        self._update_actions()
        return task

    # life ------------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop verifying and the preview's renderer (before the window goes)."""
        self.search_timer.stop()
        self.cancel_verify()
        self.view.close_document()
