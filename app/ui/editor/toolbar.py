"""The editor's toolbar: undo and redo, the zoom (out, a size to pick or type, in) and which page
is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from app.ui.commands import Editing
from app.ui.editor.view import EditorView

ZOOM_CHOICES = (50, 75, 100, 125, 150, 200, 300, 400)


class EditorToolbar(QToolBar):
    """Undo, redo and the zoom of ``view``; the page and zoom controls work only with a document
    open (:meth:`set_document_open`)."""

    #: A short message for the status bar (a zoom that could not be read).
    message = Signal(str)

    def __init__(self, editing: Editing, view: EditorView) -> None:
        super().__init__("Editor")
        self.view = view
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # The toolbar keeps short names; the Edit menu says what would be undone.
        for text, tip, slot, signal in (
            ("Undo", "Undo (Ctrl+Z)", editing.undo, editing.stack.canUndoChanged),
            ("Redo", "Redo (Ctrl+Shift+Z)", editing.redo, editing.stack.canRedoChanged),
        ):
            button = QAction(text, self)
            button.setToolTip(tip)
            button.setEnabled(False)
            button.triggered.connect(lambda _checked=False, step=slot: step())
            signal.connect(button.setEnabled)
            self.addAction(button)
        self.addSeparator()
        self.zoom_out_action = QAction("−", self)
        self.zoom_out_action.setToolTip("Zoom out (Ctrl+−)")
        self.zoom_out_action.triggered.connect(view.zoom_out)
        self.zoom_in_action = QAction("+", self)
        self.zoom_in_action.setToolTip("Zoom in (Ctrl++)")
        self.zoom_in_action.triggered.connect(view.zoom_in)
        self.zoom_box = QComboBox()
        self.zoom_box.setEditable(True)
        self.zoom_box.setMinimumContentsLength(9)
        self.zoom_box.addItems(["Fit width", "Fit page"] + [f"{z}%" for z in ZOOM_CHOICES])
        self.zoom_box.setToolTip("Zoom: pick a size or type a percentage")
        self.zoom_box.textActivated.connect(self._zoom_chosen)
        self.addAction(self.zoom_out_action)
        self.addWidget(self.zoom_box)
        self.addAction(self.zoom_in_action)
        self.addSeparator()
        self.page_label = QLabel("")
        self.addWidget(self.page_label)
        view.zoomChanged.connect(self.show_zoom)

    def show_zoom(self, zoom: float) -> None:
        """Show the zoom as the user chose it: "Fit width" while fitted, else a percentage."""
        mode = self.view.fit_mode
        percent = f"{round(zoom * 100)}%"
        text = "Fit width" if mode == "width" else "Fit page" if mode == "page" else percent
        self.zoom_box.setToolTip(
            f"Zoom: {percent}. Pick a size or type a percentage"
            if mode
            else "Zoom: pick a size or type a percentage"
        )
        edit = self.zoom_box.lineEdit()
        if edit is None or not edit.hasFocus():
            self.zoom_box.setEditText(text)

    def _zoom_chosen(self, text: str) -> None:
        if text == "Fit width":
            self.view.fit_width()
        elif text == "Fit page":
            self.view.fit_page()
        else:
            try:
                value = float(text.strip().rstrip("%").strip())
            except ValueError:
                self.message.emit(f"{text!r} is not a zoom level: type a percentage like 125%")
                return
            self.view.set_zoom(value / 100)
        self.view.setFocus()

    def show_page(self, page: int, count: int | None) -> None:
        """ "Page 2 of 5" (nothing without a document)."""
        if count is not None and page >= 1:
            self.page_label.setText(f"  Page {page} of {count}  ")
        else:
            self.page_label.setText("")

    def set_document_open(self, on: bool) -> None:
        """The page and zoom controls work only with a document open."""
        for widget in (self.zoom_box, self.page_label):
            widget.setEnabled(on)
        for action in (self.zoom_in_action, self.zoom_out_action):
            action.setEnabled(on)
