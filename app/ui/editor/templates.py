"""The editor's template actions (File menu): save the request being prepared as a template,
apply one to the open document, export one as a request spec for ``sealbox send``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from app.domain.editing import EditorDocument
from app.errors import SealboxError
from app.pdf.document import PdfInfo
from app.store.templates import Templates, apply_to, compatibility
from app.ui.commands import Editing


class TemplateActions(QObject):
    """Saving, applying and exporting templates for the editor ``window`` (the dialogs' parent).

    ``info`` gives the open document (None when there is none); an applied template is one undo
    step through ``editing``, after which ``applied`` is emitted (the editor clears the
    selection)."""

    #: A short message for the status bar.
    message = Signal(str)
    #: A template was applied to the document.
    applied = Signal()

    def __init__(
        self,
        window: QWidget,
        templates: Callable[[], Templates],
        editing: Editing,
        settings: QSettings,
        info: Callable[[], PdfInfo | None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.templates = templates
        self.editing = editing
        self.settings = settings
        self.info = info

    def save(self) -> None:
        info = self.info()
        if info is None:
            return
        doc = self.editing.doc
        name, ok = QInputDialog.getText(
            self.window, "Save as template", "Template name:", text=doc.name
        )
        if not ok:
            return
        sizes = tuple((p.width, p.height) for p in info.pages)
        store = self.templates()
        try:
            store.save(name, doc.to_spec(), sizes)
        except SealboxError as exc:
            if "already exists" not in exc.message:
                QMessageBox.warning(self.window, "Save as template", exc.message)
                return
            answer = QMessageBox.question(
                self.window, "Save as template", f"{exc.message}\n\nReplace it?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            try:
                store.save(name, doc.to_spec(), sizes, replace=True)
            except SealboxError as again:
                QMessageBox.warning(self.window, "Save as template", again.message)
                return
        self.message.emit(f"Saved the template {name.strip()!r}")

    def _choose(self, title: str) -> str | None:
        names = [t.name for t in self.templates().list()]
        if not names:
            QMessageBox.information(
                self.window,
                title,
                "There are no templates yet: prepare a "
                "document and choose File › Save as Template.",
            )
            return None
        name, ok = QInputDialog.getItem(self.window, title, "Template:", names, 0, False)
        return name if ok else None

    def apply(self, name: str | None = None, *, confirm: bool = True) -> bool:
        info = self.info()
        if info is None:
            return False
        name = name or self._choose("Apply template")
        if not name:
            return False
        try:
            template = self.templates().get(name)
        except SealboxError as exc:
            QMessageBox.warning(self.window, "Apply template", exc.message)
            return False
        warnings = compatibility(template, info.pages)
        if warnings and confirm:
            answer = QMessageBox.question(
                self.window, "Apply template", "\n".join(warnings) + "\n\nApply it anyway?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        spec = apply_to(template, info.pages)
        name_now = self.editing.doc.name

        def apply(d: EditorDocument) -> None:
            d.load(spec)
            d.set_meta(name=name_now or spec.name)

        self.editing.perform(f"Apply template {name!r}", apply)
        self.applied.emit()
        self.message.emit(" ".join([f"Applied the template {name!r}.", *warnings]))
        return True

    def export(self) -> None:
        name = self._choose("Export template")
        if not name:
            return
        start = str(Path(str(self.settings.value("lastFolder", str(Path.home())))) / f"{name}.json")
        dest, _ = QFileDialog.getSaveFileName(
            self.window, "Export template as request spec", start, "Request spec (*.json)"
        )
        if not dest:
            return
        try:
            self.templates().export_spec(name, Path(dest))
        except SealboxError as exc:
            QMessageBox.warning(self.window, "Export template", exc.message)
            return
        self.message.emit(f"Exported {name!r} to {Path(dest).name}")
