"""The signature panel: every signature and document timestamp of a PDF in revision order, each
with an icon (valid and trusted, valid but the signer not trusted, modified after signing,
could not be checked) and, under it, what a reader needs to judge it: the signer, when it was
signed and by whose clock, the certificate chain with the status of each certificate, the
revocation data found, the long-term level, what it covers, and when the proof must be renewed.

The records come from :func:`app.archive.signature_details.read_signature_details` (Qt-free,
the same that ``sealbox archive verify --json`` prints), read in the bridge's thread pool.
Clicking a signature shows its page with its field highlighted in the host's page view;
**View signed version** opens the revision it signed (:mod:`.signed_version`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGraphicsRectItem,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.archive.signature_details import (
    FileSignatures,
    PanelState,
    SignatureDetails,
    read_signature_details,
)
from app.pdf.signature_places import SignaturePlace
from app.ui.bridge import AsyncBridge
from app.ui.pdfview.view import PageView
from app.ui.signatures.signed_version import SignedVersionWindow
from app.ui.style import BADGE_COLOURS, DIM, NOTE_STYLE, PRIMARY

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

#: The icon colour of each state (the archive badges' colours).
STATE_COLOURS: dict[PanelState, str] = {
    "trusted": BADGE_COLOURS["valid"][0],
    "untrusted": BADGE_COLOURS["untrusted"][0],
    "modified": BADGE_COLOURS["modified"][0],
    "unchecked": DIM,
}
_GLYPHS: dict[PanelState, str] = {
    "trusted": "✓",
    "untrusted": "!",
    "modified": "✗",
    "unchecked": "?",
}
_LEVELS = {
    "B-B": "B-B (a basic signature: its time is the signer's clock)",
    "B-T": "B-T (a timestamp authority proves when it existed)",
    "B-LT": "B-LT (with a trusted time and the validation data to check it later)",
    "B-LTA": "B-LTA (long-term: validation data sealed by a document timestamp)",
}
#: The sentence about what other PDF readers show is added here at merge (issue 14, readers).
OTHER_READERS_PLACEHOLDER = ""


def state_icon(state: PanelState, size: int = 18) -> QIcon:
    """A round icon in the state's colour with its glyph (✓ ! ✗ ?)."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLOURS[state]))
        painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * 0.7))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, _GLYPHS[state])
    finally:
        painter.end()
    return QIcon(pixmap)


def headline(details: SignatureDetails) -> str:
    """The line beside the icon: what holds, and for whom."""
    who = _short(details.signer)
    what = "Document timestamp" if details.kind == "timestamp" else "Signature"
    if details.state == "unchecked":
        return f"{what} {details.number}: could not be checked"
    if details.state == "modified":
        if details.summary.startswith("document modified"):
            return f"{what} {details.number}: the document was modified after signing"
        return f"{what} {details.number}: invalid ({who})"
    if details.state == "untrusted":
        if details.trust == "revoked":
            return f"{what} {details.number}: valid, but {who}'s certificate was revoked"
        return f"{what} {details.number}: valid, but the signer is not trusted ({who})"
    return f"{what} {details.number}: valid and trusted ({who})"


def detail_lines(details: SignatureDetails) -> list[tuple[str, list[str]]]:
    """The lines under a signature, each with its own sub-lines (the chain)."""
    lines: list[tuple[str, list[str]]] = []
    if details.state == "unchecked":
        return [(_plain_summary(details), [])]
    by = "Timestamp authority" if details.kind == "timestamp" else "Signed by"
    lines.append((f"{by}: {details.signer}", []))
    lines.append((_when(details), []))
    chain = [
        f"{c.subject} — {c.status}"
        + (
            f" (until {_date(c.not_after)})"
            if c.status != "expired"
            else f" (on {_date(c.not_after)})"
        )
        for c in details.chain
    ]
    if chain:
        lines.append(("Certificates (the signer's first):", chain))
    lines.append((f"Revocation data found: {details.revocation.describe()}", []))
    if details.level:
        lines.append((f"Long-term level: {_LEVELS.get(details.level, details.level)}", []))
    lines.append((f"Covers: {details.covers}", []))
    if details.certificate_expires is not None:
        lines.append(
            (f"This timestamp's proof lasts until {_date(details.certificate_expires)}", [])
        )
    if details.place is not None:
        where = f"On page {details.place.page}"
        lines.append((where if details.place.visible else f"{where} (not shown on the page)", []))
    if details.state in ("modified", "unchecked"):
        lines.append((_plain_summary(details), []))
    return lines


class SignaturePanel(QWidget):
    """The list of a PDF's signatures; :meth:`load` reads them off the UI thread."""

    #: Details were shown (how many signatures), or could not be read (-1).
    loaded = Signal(int)
    #: The user chose a signature whose field is at this place (None: no field to show).
    placeRequested = Signal(object)

    def __init__(
        self,
        bridge: AsyncBridge,
        roots: Callable[[], Sequence[bytes]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signaturePanel")
        self.bridge = bridge
        self._roots = roots
        self._generation = 0
        self.path: Path | None = None
        self.details: FileSignatures | None = None
        #: The windows of signed versions opened from here (closed with the panel).
        self.signed_windows: list[SignedVersionWindow] = []
        title = QLabel("Signatures")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.renewal = QLabel()
        self.renewal.setWordWrap(True)
        self.renewal.setStyleSheet(NOTE_STYLE)
        # --- WHAT OTHER PDF READERS SHOW ---------------------------------------------------
        # What other PDF readers show (app.archive.readers), set by show_details().
        self.other_readers = QLabel(OTHER_READERS_PLACEHOLDER)
        self.other_readers.setObjectName("otherReaders")
        self.other_readers.setWordWrap(True)
        self.other_readers.setVisible(False)
        self.tree = self._build_tree()
        self.signed_button = QPushButton("View signed version")
        self.signed_button.setToolTip(
            "Open the document as it was when the selected signature was made (read only)"
        )
        self.signed_button.clicked.connect(self.view_signed_version)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.signed_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addWidget(self.renewal)
        layout.addWidget(self.other_readers)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.clear()

    def _build_tree(self) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setHeaderHidden(True)
        # Long lines wrap within the panel's width rather than being cut.
        tree.setWordWrap(True)
        tree.setUniformRowHeights(False)
        tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        tree.header().setStretchLastSection(True)
        tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        tree.setItemDelegate(WrappingDelegate(tree))
        tree.header().sectionResized.connect(lambda *_: tree.doItemsLayout())
        tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        tree.itemClicked.connect(self._clicked)
        tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        return tree

    # --- contents ---------------------------------------------------------------------------

    def clear(self, text: str = "") -> None:
        self._generation += 1
        self.path = None
        self.details = None
        self.tree.clear()
        self.show_other_readers("")
        self.status.setText(text)
        self.renewal.setText("")
        self._update_buttons()

    def load(self, path: Path) -> None:
        """Read and show the signatures of ``path`` (in the bridge's thread pool)."""
        self.clear("Checking the signatures…")
        self._generation += 1
        generation = self._generation
        self.path = Path(path)
        try:
            roots = self._roots()  # kept as given: a TrustRoots knows where each root is from
        except (OSError, ValueError) as exc:
            log.warning("the trust roots cannot be read: %s", exc)
            roots = []

        def done(found: FileSignatures) -> None:
            if generation == self._generation and shiboken6.isValid(self):
                self.show_details(found)

        def failed(exc: BaseException) -> None:
            if generation == self._generation and shiboken6.isValid(self):
                log.warning("the signatures of %s could not be read: %r", path, exc)
                self.status.setText("The signatures of this document could not be read.")
                self.loaded.emit(-1)

        self.bridge.start(
            self.bridge.run_blocking(read_signature_details, self.path, roots),
            on_done=done,
            on_error=failed,
            label="Checking signatures",
        )

    def show_details(self, found: FileSignatures) -> None:
        """Show ``found`` (one top-level row per signature, details under it)."""
        self.details = found
        self.tree.clear()
        for details in found.signatures:
            item = QTreeWidgetItem([headline(details)])
            item.setIcon(0, state_icon(details.state))
            item.setData(0, Qt.ItemDataRole.UserRole, details.number)
            item.setToolTip(0, _plain_summary(details))
            for text, sub in detail_lines(details):
                child = QTreeWidgetItem(item, [text])
                child.setToolTip(0, text)
                child.setFlags(child.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                for line in sub:
                    leaf = QTreeWidgetItem(child, [line])
                    leaf.setToolTip(0, line)
                    leaf.setFlags(leaf.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(item)
        self.tree.expandAll()
        count = len(found.signatures)
        self.status.setText(_overall(found) if count else "This document carries no signature.")
        # What other PDF readers show: said for the first signature that says anything (the
        # seal or the provider's signature; document timestamps follow it).
        self.show_other_readers(
            next((d.other_readers for d in found.signatures if d.other_readers), "")
        )
        self.renewal.setText(_renewal(found) if count else "")
        self._update_buttons()
        self.loaded.emit(count)

    def show_other_readers(self, text: str) -> None:
        """Say what other PDF readers show for this file (hidden when ``text`` is empty)."""
        self.other_readers.setText(text)
        self.other_readers.setVisible(bool(text))

    def signature_item(self, number: int) -> QTreeWidgetItem | None:
        """The row of signature ``number`` (from 1)."""
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == number:
                return item
        return None

    def selected(self) -> SignatureDetails | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is None or self.details is None:
            return None
        number = item.data(0, Qt.ItemDataRole.UserRole)
        return next((d for d in self.details.signatures if d.number == number), None)

    # --- actions ----------------------------------------------------------------------------

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        top = item
        while (parent := top.parent()) is not None:
            top = parent
        if top is not item:
            self.tree.setCurrentItem(top)
        chosen = self.selected()
        if chosen is not None:
            self.placeRequested.emit(chosen.place)

    def view_signed_version(self) -> SignedVersionWindow | None:
        """Open the revision the selected signature signed, read only."""
        chosen = self.selected()
        if chosen is None or self.path is None or chosen.signed_length is None:
            return None
        window = SignedVersionWindow(self.bridge, self.path, chosen, self.window())
        self.signed_windows = [w for w in self.signed_windows if shiboken6.isValid(w)]
        self.signed_windows.append(window)
        window.show()
        return window

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.signed_button.setEnabled(
            chosen is not None and chosen.signed_length is not None and self.path is not None
        )

    def shutdown(self) -> None:
        """Close the signed versions opened from here."""
        self._generation += 1
        for window in self.signed_windows:
            if shiboken6.isValid(window):
                window.close()
        self.signed_windows = []


class WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their text wrapped to the tree's width (a tree asks its rows for their
    height without saying how wide they are)."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        depth, parent = 1, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        width = self.tree.header().sectionSize(0) - depth * self.tree.indentation() - 8
        if index.data(Qt.ItemDataRole.DecorationRole) is not None:
            width -= self.tree.iconSize().width() + 6
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if width <= 40 or not text:
            return hint
        metrics = QFontMetrics(option.font)
        bounds = metrics.boundingRect(
            QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text
        )
        return QSize(hint.width(), max(hint.height(), bounds.height() + 4))


class FieldHighlight:
    """The highlighted signature field in a page view (one at a time)."""

    def __init__(self, view: PageView) -> None:
        self.view = view
        self.item: QGraphicsRectItem | None = None
        view.documentChanged.connect(self._forget)

    def show(self, place: SignaturePlace | None) -> None:
        """Go to the field's page and outline the field (a field of no size: its page)."""
        self._remove()
        if place is None or not self.view.doc_scene.page_items:
            return
        if place.page > len(self.view.doc_scene.page_items):
            return
        page = self.view.doc_scene.page_item(place.page)
        self.view.go_to_page(place.page)
        if not place.visible:
            return
        rect = place.rect
        item = QGraphicsRectItem(QRectF(rect.x, rect.y, rect.width, rect.height), page)
        colour = QColor(PRIMARY)
        pen = QPen(colour, 2.0)
        pen.setCosmetic(True)
        item.setPen(pen)
        colour.setAlpha(50)
        item.setBrush(QBrush(colour))
        item.setZValue(10)
        self.item = item
        self.view.centerOn(item)

    def _remove(self) -> None:
        if self.item is not None and shiboken6.isValid(self.item):
            scene = self.item.scene()
            if scene is not None:
                scene.removeItem(self.item)
        self.item = None

    def _forget(self) -> None:
        self.item = None  # the pages, and the highlight with them, are gone


# --- words ---------------------------------------------------------------------------------------


def _short(subject: str) -> str:
    first = subject.split(", ")[0]
    return first[3:] if first.startswith("CN=") else first or "an unknown signer"


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def _plain_summary(details: SignatureDetails) -> str:
    """The verifier's sentence; for one that could not be checked, a plain one (the
    verifier's may quote a library's message)."""
    if details.state == "unchecked":
        return (
            "Sealbox could not read this signature: the file may be damaged, or made by a "
            "program that writes signatures Sealbox does not know."
        )
    return _sentence(details.summary)


def _date(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%d %B %Y}"


def _when(details: SignatureDetails) -> str:
    if details.signing_time is None:
        return "Signing time: not given"
    moment = f"{details.signing_time.astimezone(dt.UTC):%d %B %Y, %H:%M} UTC"
    if details.time_source == "timestamp authority":
        return f"Signed on {moment}, proven by a timestamp authority"
    return f"Signed on {moment}, by the signer's own clock (not proven)"


def _overall(found: FileSignatures) -> str:
    states = [d.state for d in found.signatures]
    count = len(states)
    what = f"{count} signature{'s' if count != 1 else ''}"
    if "modified" in states:
        return f"{what}: at least one no longer matches the document."
    if "unchecked" in states:
        return f"{what}: at least one could not be checked."
    if "untrusted" in states:
        return f"{what}: valid, but not every signer is trusted by this installation."
    return f"{what}: all valid and trusted."


def _renewal(found: FileSignatures) -> str:
    if found.renew_by is None:
        return "No document timestamp: there is no long-term proof to renew."
    return f"Renew the long-term proof by {_date(found.renew_by)}."
