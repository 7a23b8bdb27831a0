"""The archive place's preview: the selected request's signed PDF or completion certificate,
read off the UI thread and shown in a page view; Show in folder."""

from __future__ import annotations

from pathlib import Path

from app.domain.geometry import PageGeometry
from app.pdf.document import PdfTooLargeError, check_pdf, open_pdf_bytes, page_geometries
from app.ui.archive.model import PreviewKind
from app.ui.archive.parts import PagePart
from app.ui.bridge import describe_error
from app.ui.desktop import show_in_file_manager


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


class PreviewPart(PagePart):
    """The preview of :class:`~app.ui.archive.page.ArchivePage`."""

    def toggle_certificate(self) -> None:
        """Show the certificate of the previewed request, or back to its signed PDF."""
        if self.preview_id is None:
            return
        self._preview(
            self.preview_id, "signed" if self.preview_kind == "certificate" else "certificate"
        )

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
            self._show_preview_note(
                f"{path.name} is missing from the archive folder:\n{row.folder}"
            )
            return
        self.preview_title.setToolTip(f"{row.name}\n{path}")

        def ready(pages: list[PageGeometry]) -> None:
            if generation == self._preview_generation:
                self.preview_stack.setCurrentWidget(self.view)
                self.view.set_document(path, pages)
                self.signature_panel.load(path)
                self.previewChanged.emit(str(path))

        def failed(exc: BaseException) -> None:
            if generation == self._preview_generation:
                self._show_preview_note(f"{path.name} cannot be shown: {describe_error(exc)}")

        self.bridge.start(
            self.bridge.run_blocking(preview_pages, path),
            on_done=ready,
            on_error=failed,
            label="Reading an archived PDF",
        )

    def _show_preview_note(self, text: str) -> None:
        self.view.clear()
        self.signature_panel.clear()
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
            self.say(
                f"The archive folder {row.folder} is missing: restore it from a backup, "
                "then click Reindex from folder.",
                error=True,
            )
            return
        self.folder_dialog = show_in_file_manager(self, row.folder)
