"""The main window's menu bar: File, Edit, View, Request and Help, with the platform's shortcuts.

Built by :meth:`app.ui.main.MainWindow.finish_start` once the places exist; the actions call the
editor, its view and the window's own slots (:class:`MenuSlots`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow, QMenu

    from app.ui.editor.editor import EditorWidget


@dataclass(frozen=True)
class MenuSlots:
    """What the menus call on the window itself."""

    fill_recent: Callable[[], object]
    settings: Callable[[], object]
    quit: Callable[[], object]
    sample: Callable[[], object]
    about: Callable[[], object]


def build_menus(
    window: QMainWindow, editor: EditorWidget, send_to_many: QAction, slots: MenuSlots
) -> QMenu:
    """Fill ``window``'s menu bar; returns the Open Recent menu (filled as it is shown)."""
    bar = window.menuBar()
    recent = _file_menu(window, bar.addMenu("&File"), editor, slots)
    _edit_menu(window, bar.addMenu("&Edit"), editor)
    _view_menu(window, bar.addMenu("&View"), editor)
    request = bar.addMenu("&Request")
    add_action(window, request, "&Send for Signature", editor.send)
    request.addAction(send_to_many)
    add_action(window, request, "&Check", editor.show_check)

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "Open the &Sample Contract", slots.sample)
    add_action(window, help_menu, "&About Sealbox", slots.about)
    return recent


def add_action(
    owner: QMainWindow,
    menu: QMenu,
    text: str,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
) -> QAction:
    """Add an action to ``menu`` calling ``slot``, with its shortcut(s)."""
    action = QAction(text, owner)
    if isinstance(shortcut, QKeySequence.StandardKey):
        # Every binding of the platform (Close is Ctrl+F4 and Ctrl+W on some), and
        # Ctrl+Q for Quit where the platform names none.
        keys = QKeySequence.keyBindings(shortcut) or (
            [QKeySequence("Ctrl+Q")] if shortcut == QKeySequence.StandardKey.Quit else []
        )
        action.setShortcuts(keys)
    elif shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _file_menu(window: QMainWindow, menu: QMenu, editor: EditorWidget, slots: MenuSlots) -> QMenu:
    keys = QKeySequence.StandardKey
    add_action(window, menu, "&Open…", editor.choose_file, keys.Open)
    recent = menu.addMenu("Open &Recent")
    recent.aboutToShow.connect(slots.fill_recent)
    menu.addSeparator()
    add_action(window, menu, "Save as &Template…", editor.save_template)
    add_action(window, menu, "&Apply Template…", lambda: editor.apply_template())
    add_action(window, menu, "&Export Template as Spec…", editor.export_template)
    menu.addSeparator()
    add_action(window, menu, "Se&ttings…", slots.settings, keys.Preferences)
    menu.addSeparator()
    add_action(window, menu, "&Close Document", editor.request_close, keys.Close)
    add_action(window, menu, "&Quit", slots.quit, keys.Quit)
    return recent


def _edit_menu(window: QMainWindow, menu: QMenu, editor: EditorWidget) -> None:
    view, keys = editor.view, QKeySequence.StandardKey
    menu.addAction(editor.undo_action)
    menu.addAction(editor.redo_action)
    menu.addSeparator()
    add_action(window, menu, "Cu&t", view.cut_selection, keys.Cut)
    add_action(window, menu, "&Copy", view.copy_selection, keys.Copy)
    add_action(window, menu, "&Paste", view.paste, keys.Paste)
    add_action(window, menu, "&Duplicate", view.duplicate, "Ctrl+D")
    add_action(window, menu, "De&lete", view.delete_selection, keys.Delete)
    menu.addSeparator()
    add_action(window, menu, "Select &All on Page", view.select_all_on_page, keys.SelectAll)
    add_action(window, menu, "Copy to All Pa&ges", editor.copy_to_all_pages)
    add_action(window, menu, "Copy to Page &Range…", editor.copy_to_page_range)
    menu.addSeparator()
    snapping = QAction("S&nap to Other Fields", window)
    snapping.setCheckable(True)
    snapping.setChecked(True)
    snapping.toggled.connect(lambda on: setattr(view, "snapping", on))
    menu.addAction(snapping)


def _view_menu(window: QMainWindow, menu: QMenu, editor: EditorWidget) -> None:
    view, keys = editor.view, QKeySequence.StandardKey
    add_action(window, menu, "Zoom &In", view.zoom_in, keys.ZoomIn)
    add_action(window, menu, "Zoom &Out", view.zoom_out, keys.ZoomOut)
    add_action(window, menu, "&Actual Size", lambda: view.set_zoom(1.0), "Ctrl+0")
    add_action(window, menu, "Fit &Width", view.fit_width, "Ctrl+9")
    add_action(window, menu, "Fit &Page", view.fit_page, "Ctrl+8")
    menu.addSeparator()
    add_action(
        window,
        menu,
        "&Next Page",
        lambda: view.go_to_page(view.current_page() + 1),
        keys.MoveToNextPage,
    )
    add_action(
        window,
        menu,
        "P&revious Page",
        lambda: view.go_to_page(view.current_page() - 1),
        keys.MoveToPreviousPage,
    )
    thumbs = QAction("&Thumbnails", window)
    thumbs.setCheckable(True)
    thumbs.setChecked(True)
    thumbs.toggled.connect(editor.thumbnails.setVisible)
    menu.addAction(thumbs)
