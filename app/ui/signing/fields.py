"""The current recipient's fields on the signing screen: what they have given, and how they
give it.

Signature and initials fields open a :class:`~app.ui.signing.dialogs.SignatureDialog`; a second
one offers the signature already adopted (**Use the same signature**) or to sign again, which
then replaces it in every field. Text and text area fields are edited in place; a checkbox
toggles on a click; dropdown and radio fields offer their options in a menu; a date field is the
signing date, shown and not editable. The side panel lists the fields in reading order with
their state, and **Finish** is enabled once every required one is filled.

Whether a field is filled is the signing service's rule
(:func:`app.services.signing_values.is_filled`), and what the recipient gave goes to the service
as typed values (:meth:`RecipientFields.given`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup, QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGraphicsProxyWidget,
    QLineEdit,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QWidget,
)

from app.domain.model import Designation, FieldType, Recipient, Request
from app.services.signing_values import FieldInput, Signature
from app.store.requests import FieldValue
from app.ui.signing.dialogs import SignatureDialog
from app.ui.signing.field_item import FieldEntry, SigningFieldItem
from app.ui.signing.screens import SigningScreen
from app.ui.signing.style import INK, Badge, badge
from app.ui.style import SIGNING_SELECTION, recipient_color

#: Pixels per point of the signature images made for the stamped PDF (about 290 dpi).
IMAGE_SCALE = 4.0
MAX_IMAGE_WIDTH = 1600


class RecipientFields(QObject):
    """The fields of the recipient signing now (``entries``) among everyone's (``items``), on
    ``screen``; dialogs and menus open over ``owner``."""

    def __init__(self, screen: SigningScreen, owner: QWidget) -> None:
        super().__init__(owner)
        self.screen = screen
        self.owner = owner
        self.recipient: Recipient | None = None
        self.entries: dict[int, FieldEntry] = {}
        self.items: dict[int, SigningFieldItem] = {}
        #: The signature and the initials the recipient adopted (each is put in a field with a
        #: click: ``FieldEntry.placed``).
        self.adopted: dict[FieldType, Signature] = {}
        self.dialogs: dict[FieldType, SignatureDialog] = {}
        self.current: int | None = None
        #: The dialog open over the signing screen (a signature, or the decline dialog).
        self.active_dialog: QDialog | None = None
        #: The menu of a dropdown or radio field, or of a second signature field, while open.
        self.options_menu: QMenu | None = None
        #: Whether a click on a field does something (only while the signing screen is shown).
        self.accepting = False
        screen.field_list.itemClicked.connect(self._list_clicked)
        screen.next_button.clicked.connect(self.next_field)

    # --- whose fields -------------------------------------------------------------------------

    def begin(self, request: Request, index: int, stored: dict[int, FieldValue]) -> None:
        """Show everyone's fields of ``request``, recipient ``index``'s active (with empty
        entries), the others' dimmed with the values ``stored`` for them."""
        self.recipient = request.spec.recipients[index]
        self.adopted.clear()
        for dialog in self.dialogs.values():
            dialog.deleteLater()
        self.dialogs.clear()
        self.current = None
        today = date.today().isoformat()
        self.entries = {
            i: FieldEntry(i, f, value=today if f.type == FieldType.DATE else None)
            for i, f in request.spec.fields_for(index)
        }
        self._remove_items()
        recipients = request.spec.recipients
        for i, f in enumerate(request.spec.fields):
            try:
                page = self.screen.page_view.doc_scene.page_item(f.page)
            except IndexError:
                continue
            active = f.recipient_index == index
            item = SigningFieldItem(
                i,
                f,
                page,
                active=active,
                colour=recipient_color(f.recipient_index),
                owner=recipients[f.recipient_index].name,
            )
            self.items[i] = item
            if active:
                self._activate_item(item)
            elif i in stored:
                _show_stored(item, stored[i])
        self.refresh()

    def _activate_item(self, item: SigningFieldItem) -> None:
        item.clicked.connect(self.activate)
        if item.field.type in (FieldType.TEXT, FieldType.TEXT_AREA):
            self._add_editor(item, self.entries[item.index])
        elif item.field.type == FieldType.DATE:
            # The signing date, filled in by Sealbox: shown, not edited (a sender who wants a
            # date typed by the signer places a text field).
            item.setToolTip(f"The signing date, filled in for {item.owner}")

    def clear(self) -> None:
        """No recipient any more: the fields go."""
        self._remove_items(later=True)
        self.entries = {}

    def _remove_items(self, *, later: bool = False) -> None:
        for item in self.items.values():
            if shiboken6.isValid(item):
                scene = item.scene()
                if scene is not None and not later:
                    scene.removeItem(item)
                item.deleteLater()
        self.items = {}

    # --- what was given -----------------------------------------------------------------------

    def given(self) -> dict[int, FieldInput]:
        """What the recipient gave, by field, as the signing service takes it."""
        values = {i: e.given(self.adopted) for i, e in self.entries.items()}
        return {i: v for i, v in values.items() if v is not None}

    def signature(self) -> Signature | None:
        """How the recipient signs: the adopted signature if one was put in a field, else what
        the adopted initials imply, else (a Signer without signature fields) the typed name;
        an Approver with neither signs nothing. Each field keeps its own mark (``given``)."""
        recipient = self.recipient
        assert recipient is not None
        placed = {e.field.type for e in self.entries.values() if e.is_signature and e.placed}
        if FieldType.SIGNATURE in placed and FieldType.SIGNATURE in self.adopted:
            return self.adopted[FieldType.SIGNATURE]
        initials = self.adopted.get(FieldType.INITIALS)
        if FieldType.INITIALS in placed and initials is not None:
            if initials.image_png is not None:
                return Signature(image_png=initials.image_png)
            return Signature(typed=recipient.name)
        if recipient.designation == Designation.SIGNER:
            return Signature(typed=recipient.name)
        return None

    def missing(self) -> list[int]:
        """The required fields that are not filled, in reading order."""
        return [
            i
            for i in self.reading_order()
            if self.entries[i].field.required and not self.entries[i].is_done(self.adopted)
        ]

    def reading_order(self) -> list[int]:
        return sorted(
            self.entries,
            key=lambda i: (
                self.entries[i].field.page,
                round(self.entries[i].field.y),
                self.entries[i].field.x,
            ),
        )

    # --- a click on a field -------------------------------------------------------------------

    def activate(self, index: int) -> None:
        """What a click on a field does: sign, tick, choose or edit it."""
        entry = self.entries.get(index)
        if entry is None or not self.accepting:
            return
        self.set_current(index, scroll=False)
        kind = entry.field.type
        if entry.is_signature:
            if kind in self.adopted and not entry.placed:
                self._offer_same_signature(index)
            else:
                self._open_signature_dialog(index)
        elif kind == FieldType.CHECKBOX:
            entry.ticked = not entry.ticked
            self.refresh()
        elif kind.has_options:
            self._choose_option(index)
        else:  # text is edited in place; a date field is the signing date, left as it is
            editor = self.items[index].editor
            if editor is not None:
                editor.setFocus(Qt.FocusReason.MouseFocusReason)

    def signature_dialog(self, kind: FieldType) -> SignatureDialog:
        """The recipient's dialog for ``kind`` (signature or initials); kept while they sign,
        so reopening it shows what they drew."""
        dialog = self.dialogs.get(kind)
        if dialog is None:
            assert self.recipient is not None
            dialog = SignatureDialog(kind, self.recipient.name, self._image_size(kind), self.owner)
            dialog.accepted.connect(lambda: self._adopt(kind))
            dialog.finished.connect(lambda _code: self.dialog_closed(dialog))
            self.dialogs[kind] = dialog
        return dialog

    def dialog_closed(self, dialog: QDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None

    def _image_size(self, kind: FieldType) -> tuple[int, int]:
        fields = [e.field for e in self.entries.values() if e.field.type == kind]
        width = max((f.width for f in fields), default=200.0) * IMAGE_SCALE
        height = max((f.height for f in fields), default=50.0) * IMAGE_SCALE
        if width > MAX_IMAGE_WIDTH:
            height *= MAX_IMAGE_WIDTH / width
            width = MAX_IMAGE_WIDTH
        return max(1, round(width)), max(1, round(height))

    def _open_signature_dialog(self, index: int) -> None:
        dialog = self.signature_dialog(self.entries[index].field.type)
        dialog.setProperty("field", index)
        self.active_dialog = dialog
        dialog.open()
        dialog.pad.setFocus()

    def _adopt(self, kind: FieldType) -> None:
        dialog = self.dialogs.get(kind)
        signature = dialog.signature() if dialog is not None else None
        if dialog is None or signature is None:
            return
        self.adopted[kind] = signature
        index = dialog.property("field")
        if isinstance(index, int) and index in self.entries:
            self.entries[index].placed = True
        self.refresh()
        if self.missing():
            self.next_field()

    def _offer_same_signature(self, index: int) -> None:
        """A second signature (or initials) field: offer the one already adopted, in one click,
        or to sign again (which then replaces it in every field)."""
        kind = self.entries[index].field.type
        adopted = self.adopted[kind]
        word = "signature" if kind == FieldType.SIGNATURE else "initials"
        menu = QMenu(self.owner)
        same = QAction(f"Use the same {word}", menu)
        if adopted.image_png is not None:
            same.setIcon(QIcon(QPixmap.fromImage(QImage.fromData(adopted.image_png))))
        else:
            same.setText(f"Use the same {word} (“{adopted.typed}”)")
        same.triggered.connect(lambda: self._place_same(index))
        again = QAction("Sign again…" if kind == FieldType.SIGNATURE else "Initial again…", menu)
        again.setToolTip(f"The new {word} replaces the one in your other fields")
        again.triggered.connect(lambda: self._open_signature_dialog(index))
        menu.addAction(same)
        menu.addAction(again)
        menu.setDefaultAction(same)
        menu.setActiveAction(same)
        self._popup_at_field(menu, index)

    def _place_same(self, index: int) -> None:
        entry = self.entries.get(index)
        if entry is None or entry.field.type not in self.adopted:
            return
        entry.placed = True
        self.refresh()
        if self.missing():
            self.next_field()

    def _choose_option(self, index: int) -> None:
        entry = self.entries[index]
        menu = QMenu(self.owner)
        group = QActionGroup(menu)
        group.setExclusive(True)
        for option in entry.field.options:
            action = QAction(option, menu)
            action.setCheckable(True)
            action.setChecked(option == entry.value)
            group.addAction(action)
            menu.addAction(action)
            action.triggered.connect(lambda _checked=False, o=option: self.set_value(index, o))
        self._popup_at_field(menu, index)

    def _popup_at_field(self, menu: QMenu, index: int) -> None:
        """Show ``menu`` under field ``index`` (at least as wide as the field)."""
        item = self.items[index]
        view = self.screen.page_view
        on_screen = view.mapFromScene(item.mapRectToScene(item.field_rect())).boundingRect()
        menu.setMinimumWidth(on_screen.width())
        corner = view.mapFromScene(item.mapToScene(item.field_rect().bottomLeft()))
        self.options_menu = menu
        menu.aboutToHide.connect(lambda: self._menu_closed(menu))
        menu.popup(view.viewport().mapToGlobal(corner + QPoint(0, 2)))

    def _menu_closed(self, menu: QMenu) -> None:
        if self.options_menu is menu:
            self.options_menu = None
        menu.deleteLater()

    def set_value(self, index: int, value: str | None) -> None:
        """Give a text, text area, dropdown or radio field a value."""
        entry = self.entries[index]
        editor = self.items[index].editor
        if editor is not None:
            if isinstance(editor, QPlainTextEdit):
                editor.setPlainText(value or "")
            else:
                editor.setText(value or "")
            return
        entry.value = value
        self.refresh()

    # --- text fields, edited in place ---------------------------------------------------------

    def _add_editor(self, item: SigningFieldItem, entry: FieldEntry) -> None:
        f = entry.field
        placeholder = (f.label or "Text") + (" *" if f.required else "")
        editor: QLineEdit | QPlainTextEdit
        if f.type == FieldType.TEXT_AREA:
            area = QPlainTextEdit()
            area.setPlaceholderText(placeholder)
            area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.document().setDocumentMargin(2)
            area.textChanged.connect(lambda: self._edited(entry.index, area.toPlainText()))
            editor = area
        else:
            line = QLineEdit()
            line.setFrame(False)
            line.setTextMargins(2, 0, 2, 0)
            line.setPlaceholderText(placeholder)
            line.textChanged.connect(lambda text: self._edited(entry.index, text))
            editor = line
        font = QFont()
        font.setPixelSize(max(6, round(min(f.height * 0.58, 12.0))))
        editor.setFont(font)
        editor.setStyleSheet(
            f"background: transparent; border: none; color: {INK.name()};"
            f"selection-background-color: {SIGNING_SELECTION}; selection-color: black;"
        )
        editor.setFixedSize(max(1, math.floor(f.width)), max(1, math.floor(f.height)))
        proxy = QGraphicsProxyWidget(item)
        proxy.setWidget(editor)
        proxy.setPos(0, 0)
        item.editor = editor
        editor.installEventFilter(self)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            for index, item in self.items.items():
                if item.editor is watched:
                    self.set_current(index, scroll=False)
                    break
        return super().eventFilter(watched, event)

    def _edited(self, index: int, text: str) -> None:
        entry = self.entries.get(index)
        if entry is None:
            return
        entry.value = text
        self.refresh()

    # --- showing the state --------------------------------------------------------------------

    def refresh(self) -> None:
        """Update the items, the side panel and the Finish button from the entries."""
        for index, entry in self.entries.items():
            item = self.items.get(index)
            if item is not None:
                self._show_entry(item, entry)
        self._refresh_list()
        missing = self.missing()
        required = [e for e in self.entries.values() if e.field.required]
        done_count = len(required) - len(missing)
        screen = self.screen
        screen.progress.setRange(0, max(1, len(required)))
        screen.progress.setValue(done_count if required else 1)
        approver = self.recipient is not None and self.recipient.designation == Designation.APPROVER
        if not self.entries:
            screen.progress_label.setText("Nothing to fill in.")
            screen.side_hint.setText(
                "Read the document, then press Approve."
                if approver
                else "Read the document, then press Finish to sign it."
            )
        else:
            screen.progress_label.setText(
                f"{done_count} of {len(required)} required fields done"
                if required
                else "Every field is optional."
            )
            screen.side_hint.setText(
                "Click a field on the page to fill it in."
                if missing
                else ("All done: press Approve." if approver else "All done: press Finish to sign.")
            )
        screen.next_button.setEnabled(bool(self.entries))
        screen.finish_button.setEnabled(not missing)
        screen.finish_button.setToolTip(
            f"Fill in the required fields first ({len(missing)} left)." if missing else ""
        )

    def _show_entry(self, item: SigningFieldItem, entry: FieldEntry) -> None:
        kind = entry.field.type
        done = entry.is_done(self.adopted)
        if entry.is_signature:
            adopted = self.adopted.get(kind) if entry.placed else None
            if adopted is None:
                item.show_value(done=False)
            elif adopted.image_png is not None:
                item.show_value(image=adopted.image_png, done=True)
            else:
                item.show_value(typed=adopted.typed, done=True)
        elif kind == FieldType.CHECKBOX:
            item.show_value(checked=entry.ticked, done=done or not entry.field.required)
        elif item.editor is not None:
            item.show_value(done=done)
        else:
            item.show_value(text=entry.value if done else None, done=done)

    def _refresh_list(self) -> None:
        order = self.reading_order()
        rows = self.screen.field_list
        if rows.count() != len(order):
            rows.clear()
            for index in order:
                row = QListWidgetItem()
                row.setData(Qt.ItemDataRole.UserRole, index)
                rows.addItem(row)
        for number, index in enumerate(order):
            entry = self.entries[index]
            row = rows.item(number)
            row.setData(Qt.ItemDataRole.UserRole, index)
            kind: Badge
            if entry.is_done(self.adopted):
                kind, state = "done", "Done"
            elif entry.field.required:
                kind, state = "todo", "Required"
            else:
                kind, state = "optional", "Optional"
            detail = self._describe_value(entry) if kind == "done" else ""
            text = entry.title() + (f": {detail}" if detail else "")
            row.setText(f"{text}\n{state} · page {entry.field.page}")
            row.setIcon(QIcon(badge(kind, 18)))
            row.setSelected(index == self.current)

    def _describe_value(self, entry: FieldEntry) -> str:
        kind = entry.field.type
        if entry.is_signature:
            adopted = self.adopted.get(kind)
            if adopted is None:
                return ""
            return "drawn" if adopted.image_png is not None else f"“{adopted.typed}”"
        if kind == FieldType.CHECKBOX:
            return "ticked"
        value = (entry.value or "").strip().replace("\n", " ")
        return value if len(value) <= 24 else value[:23].rstrip() + "…"

    # --- moving between fields ----------------------------------------------------------------

    def set_current(self, index: int | None, *, scroll: bool) -> None:
        if index is not None and index not in self.entries:
            index = None  # another recipient's field is never the current one
        if self.current is not None and self.current in self.items:
            self.items[self.current].set_current(False)
        self.current = index
        if index is None:
            return
        item = self.items[index]
        item.set_current(True)
        order = self.reading_order()
        if index in order:
            self.screen.field_list.setCurrentRow(order.index(index))
        if scroll:
            self.screen.page_view.ensureVisible(item.mapRectToScene(item.field_rect()), 60, 80)

    def show_field(self, index: int, *, focus: bool = True) -> None:
        """Scroll field ``index`` into view and, if it is the current recipient's, mark it
        (a text field gets the keyboard)."""
        if index not in self.items:
            return
        if index not in self.entries:
            item = self.items[index]
            self.screen.page_view.ensureVisible(item.mapRectToScene(item.field_rect()), 60, 80)
            return
        self.set_current(index, scroll=True)
        editor = self.items[index].editor
        if focus and editor is not None:
            editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def next_field(self) -> None:
        """Go to the next required field still to do after the current one (then any field
        still to do, then simply the next one)."""
        order = self.reading_order()
        if not order:
            return
        start = order.index(self.current) + 1 if self.current in order else 0
        rotated = order[start:] + order[:start]
        wanted: list[Callable[[FieldEntry], bool]] = [
            lambda e: e.field.required and not e.is_done(self.adopted),
            lambda e: not e.is_done(self.adopted),
            lambda e: True,
        ]
        for accept in wanted:
            for index in rotated:
                if accept(self.entries[index]):
                    self.show_field(index)
                    return

    def _list_clicked(self, row: QListWidgetItem) -> None:
        index = row.data(Qt.ItemDataRole.UserRole)
        if isinstance(index, int):
            self.show_field(index)


def _show_stored(item: SigningFieldItem, value: FieldValue) -> None:
    """Another recipient's field: the value they gave, dimmed."""
    kind = item.field.type
    if value.image is not None:
        item.show_value(image=value.image, done=True)
    elif kind in (FieldType.SIGNATURE, FieldType.INITIALS):
        item.show_value(typed=value.value or "", done=True)
    elif kind == FieldType.CHECKBOX:
        item.show_value(checked=value.value == "true", done=True)
    else:
        item.show_value(text=value.value or "", done=True)
