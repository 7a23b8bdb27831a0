"""The desktop app's entry point and main window shell.

The editor, requests and archive places are filled by their own work; until then the window opens
a PDF and shows its pages, so ``sealbox`` and ``sealbox FILE.pdf`` do what they say.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.errors import SealboxError
from app.pdf.document import PdfInfo, check_pdf, render_page_png

PREVIEW_SCALE = 1.25
MAX_PREVIEW_PAGES = 20


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Sealbox")
        self.resize(1000, 760)
        self.setAcceptDrops(True)
        self.info: PdfInfo | None = None
        self._build_menus()
        self.pages_area = QScrollArea()
        self.pages_area.setWidgetResizable(True)
        self.pages_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setCentralWidget(self.pages_area)
        self._show_welcome()
        self.statusBar().showMessage("Open a PDF to prepare it for signature.")

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = QAction("&Open…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_file)
        file_menu.addAction(open_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Sealbox", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _show_welcome(self) -> None:
        label = QLabel(
            "<h2>Sealbox</h2><p>Open a PDF (Ctrl+O) or drop one here to prepare it for "
            "signature.</p>"
        )
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages_area.setWidget(label)

    def choose_file(self) -> None:
        start = str(QSettings().value("lastFolder", str(Path.home())))
        name, _ = QFileDialog.getOpenFileName(self, "Open a PDF", start, "PDF files (*.pdf)")
        if name:
            self.open_file(Path(name))

    def open_file(self, path: Path) -> bool:
        try:
            info = check_pdf(path)
        except SealboxError as exc:
            QMessageBox.warning(self, "Cannot open this PDF", exc.message)
            return False
        QSettings().setValue("lastFolder", str(path.parent))
        self.info = info
        pages = QWidget()
        pages.setObjectName("pages")
        pages.setStyleSheet("#pages { background: palette(mid); }")
        layout = QVBoxLayout(pages)
        layout.setSpacing(16)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        ratio = self.devicePixelRatioF()
        for number in range(1, min(info.page_count, MAX_PREVIEW_PAGES) + 1):
            image = QImage.fromData(render_page_png(path, number, PREVIEW_SCALE * ratio))
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(ratio)
            page = QLabel()
            page.setPixmap(pixmap)
            page.setFixedSize(pixmap.deviceIndependentSize().toSize())
            page.setStyleSheet("border: 1px solid palette(dark); background: white;")
            layout.addWidget(page, 0, Qt.AlignmentFlag.AlignHCenter)
        self.pages_area.setWidget(pages)
        self.setWindowTitle(f"{path.name} — Sealbox")
        shown = min(info.page_count, MAX_PREVIEW_PAGES)
        more = f" (first {shown} shown)" if shown < info.page_count else ""
        self.statusBar().showMessage(f"{path.name}: {info.page_count} page"
                                     f"{'s' if info.page_count != 1 else ''}{more}")
        return True

    def _about(self) -> None:
        QMessageBox.about(self, "About Sealbox",
                          f"<b>Sealbox {__version__}</b><p>Send PDFs for signature and keep the "
                          "signed originals.</p>")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith(".pdf"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.open_file(Path(urls[0].toLocalFile()))


def run_app(path: Path | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Sealbox")
    app.setOrganizationName("Sealbox")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    if path is not None:
        window.open_file(path)
    return app.exec()
