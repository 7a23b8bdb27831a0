"""The window that shows the revision a signature signed: the file's first bytes, up to the end
of the signature's byte range, copied to a temporary file (removed when the window closes) and
shown read only in a page view."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.archive.signature_details import SignatureDetails
from app.domain.geometry import PageGeometry
from app.pdf.reading import open_pdf_bytes, page_geometries
from app.ui.bridge import AsyncBridge
from app.ui.pdfview.view import PageView
from app.ui.style import NOTE_STYLE

log = logging.getLogger(__name__)


def write_signed_version(
    source: Path, length: int, folder: Path
) -> tuple[Path, list[PageGeometry]]:
    """Copy the first ``length`` bytes of ``source`` into ``folder`` and read its pages.
    Blocking: the panel runs it in the bridge's thread pool."""
    with source.open("rb") as handle:
        data = handle.read(length)
    target = folder / f"{source.stem} (as signed).pdf"
    target.write_bytes(data)
    doc = open_pdf_bytes(data, target.name)
    try:
        return target, page_geometries(doc)
    finally:
        doc.close()


class SignedVersionWindow(QWidget):
    """A read-only view of the document as one signature signed it."""

    #: The pages are shown (how many), or could not be (-1).
    ready = Signal(int)

    def __init__(
        self,
        bridge: AsyncBridge,
        source: Path,
        details: SignatureDetails,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        signer = details.signer.split(", ")[0].removeprefix("CN=") or "the signer"
        what = "document timestamp" if details.kind == "timestamp" else "signature"
        self.setWindowTitle(f"Signed version — {source.name}")
        self.note = QLabel(
            f"The document as it was when {signer} made {what} {details.number}: what was "
            "signed, byte for byte. It is shown read only; the archived file is unchanged."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        self.view = PageView()
        self.view.fit_width()
        self.message = QLabel("Opening the signed version…")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.stack, 1)
        self.resize(720, 820)
        self._folder = folder = Path(tempfile.mkdtemp(prefix="sealbox-signed-"))
        # Removed however the window goes (closed, or with its parent).
        self.destroyed.connect(lambda *_: shutil.rmtree(folder, ignore_errors=True))
        self.path: Path | None = None
        length = details.signed_length or 0
        bridge.start(
            bridge.run_blocking(write_signed_version, source, length, self._folder),
            on_done=self._show,
            on_error=self._failed,
            label="Opening a signed version",
        )

    def _show(self, result: tuple[Path, list[PageGeometry]]) -> None:
        if not shiboken6.isValid(self) or not self._folder.exists():
            return
        self.path, pages = result
        self.view.set_document(self.path, pages)
        self.stack.setCurrentWidget(self.view)
        self.ready.emit(len(pages))

    def _failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        log.warning("the signed version could not be opened: %r", exc)
        self.message.setText(
            "The signed version could not be opened: the file may have changed or be damaged."
        )
        self.ready.emit(-1)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.view.close_document()
        shutil.rmtree(self._folder, ignore_errors=True)
        super().closeEvent(event)
