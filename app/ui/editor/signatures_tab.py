"""Prepare's **Signatures** tab: for a PDF that arrives already signed, the signature panel
(:mod:`app.ui.signatures.panel`) beside the pages, as in the Archive place. The tab is there
only while such a PDF is open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget

from app.pdf.document import PdfInfo
from app.ui.bridge import AsyncBridge
from app.ui.pdfview.view import PageView
from app.ui.signatures.panel import FieldHighlight, SignaturePanel

TAB_TITLE = "Signatures"


class SignaturesTab:
    """The panel in a tab of ``tabs``, its clicks shown in ``view``."""

    def __init__(
        self,
        tabs: QTabWidget,
        view: PageView,
        bridge: AsyncBridge,
        roots: Callable[[], Sequence[bytes]],
    ) -> None:
        self.tabs = tabs
        self.panel = SignaturePanel(bridge, roots)
        self.highlight = FieldHighlight(view)
        self.panel.placeRequested.connect(self.highlight.show)
        self.index = tabs.addTab(self.panel, TAB_TITLE)
        tabs.setTabVisible(self.index, False)
        # Five tabs in a narrow window: each gives up a few letters rather than one going out
        # of sight.
        tabs.setElideMode(Qt.TextElideMode.ElideRight)

    def show_for(self, path: Path, info: PdfInfo) -> None:
        """Show the tab and read the signatures of a signed PDF; hide it for another."""
        signed = bool(info.signatures) or info.signatures_flagged
        self.tabs.setTabVisible(self.index, signed)
        if signed:
            self.panel.load(path)
        else:
            self.panel.clear()

    def clear(self) -> None:
        self.tabs.setTabVisible(self.index, False)
        self.panel.clear()

    def shutdown(self) -> None:
        self.panel.shutdown()
