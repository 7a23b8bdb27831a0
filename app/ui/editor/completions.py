"""The recipient panel's completers: they offer the people sent to before (by first name, last
name or email) in a list wide enough to read."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit


class PeopleModel(QStandardItemModel):
    """Known people for the completers: shown as "Jane Doe <jane@x.com>", matched by a part."""

    FIRST = Qt.ItemDataRole.UserRole + 1
    LAST = Qt.ItemDataRole.UserRole + 2
    EMAIL = Qt.ItemDataRole.UserRole + 3

    def __init__(
        self, people: Sequence[tuple[str, str, str]], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.set_people(people)

    def set_people(self, people: Sequence[tuple[str, str, str]]) -> None:
        self.clear()
        for first, last, email in people:
            name = f"{first} {last}".strip()
            item = QStandardItem(f"{name} <{email}>" if name else email)
            item.setData(first, self.FIRST)
            item.setData(last, self.LAST)
            item.setData(email, self.EMAIL)
            item.setEditable(False)
            self.appendRow(item)

    def people(self) -> list[tuple[str, str, str]]:
        out = []
        for row in range(self.rowCount()):
            item = self.item(row)
            out.append(
                (str(item.data(self.FIRST)), str(item.data(self.LAST)), str(item.data(self.EMAIL)))
            )
        return out


class WidePopup(QObject):
    """Makes a completer's list as wide as its entries need, and never narrower than the input
    it completes (Qt sizes it to the input alone, cutting "Jane Doe <jane@…" short)."""

    def __init__(self, edit: QLineEdit, popup: QAbstractItemView) -> None:
        super().__init__(popup)
        self._edit = edit
        self._popup = popup
        popup.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._popup and event.type() in (QEvent.Type.Show, QEvent.Type.LayoutRequest):
            popup = self._popup
            frame = popup.frameWidth() * 2
            bar = popup.verticalScrollBar()
            content = (
                popup.sizeHintForColumn(0)
                + frame
                + (bar.sizeHint().width() if bar.isVisible() else 0)
                + 8
            )
            wanted = max(self._edit.width(), content)
            screen = self._edit.screen().availableGeometry()
            wanted = min(wanted, screen.width())
            if popup.width() != wanted:
                popup.setMinimumWidth(wanted)
                popup.resize(wanted, popup.height())
                if popup.geometry().right() > screen.right():
                    popup.move(max(screen.left(), screen.right() - wanted), popup.y())
        return False


def attach_completers(
    owner: QObject,
    people: PeopleModel,
    edits: Sequence[tuple[QLineEdit, int]],
    chosen: Callable[[QModelIndex], None],
) -> tuple[list[QCompleter], list[WidePopup]]:
    """Give each edit a completer over ``people`` matching on its role; ``chosen`` is called with
    the person picked. Returns the completers and their popups' wideners (keep them alive)."""
    completers: list[QCompleter] = []
    popups: list[WidePopup] = []
    for edit, role in edits:
        completer = QCompleter(people, owner)
        completer.setCompletionRole(role)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.activated[QModelIndex].connect(chosen)  # type: ignore[index]
        edit.setCompleter(completer)
        completers.append(completer)
        popup = completer.popup()
        if popup is not None:
            popups.append(WidePopup(edit, popup))
    return completers, popups
