"""The open document's text and where the anchors are in it.

:class:`Matches` reads the document's text index in the background (by OCR too, where the request
asks), counts an anchor's matches for the anchors panel and the pre-send check, highlights the
matches on the pages with the field each anchor will become there, and goes through them with
Next and Previous.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.domain.editing import EditorDocument
from app.domain.geometry import Rect, field_at_anchor
from app.pdf.textindex import TextIndex
from app.ui.bridge import AsyncBridge
from app.ui.editor.previews import AnchorField
from app.ui.editor.view import EditorView


class Matches(QObject):
    """The text index of the document shown in ``view`` and the anchors' matches in it.

    ``ready(path, index)`` is called when a text index has been read (only the latest reading's);
    the owner checks the document is still open and sets :attr:`text_index`."""

    #: Where Next/Previous stand ("Match 2 of 5 (page 3)", "5 matches", ""), and whether there
    #: is anything to go through.
    positionChanged = Signal(str, bool)

    def __init__(
        self,
        bridge: AsyncBridge,
        doc: EditorDocument,
        view: EditorView,
        ready: Callable[[Path, TextIndex], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.doc = doc
        self.view = view
        self._ready = ready
        self.text_index: TextIndex | None = None
        #: Whether the current (or pending) text index read scanned pages by OCR.
        self.ocr = False
        #: Counts text index builds, so only the latest one's result is used.
        self._generation = 0
        self._search_text = ""
        self._jump_index = -1

    def read(self, path: Path, ocr: bool) -> None:
        """Build the document's text index in the background (by OCR too, where asked)."""
        self._generation += 1
        generation = self._generation
        self.ocr = ocr

        def ready(index: TextIndex) -> None:
            if generation == self._generation:
                self._ready(path, index)

        self.bridge.start(
            self.bridge.run_blocking(lambda: TextIndex.build(path, ocr=ocr)),
            on_done=ready,
            label=("Reading scanned pages (OCR)" if ocr else "Reading the document's text"),
        )

    def forget(self) -> None:
        """The document was closed or another opened: no text index until it is read."""
        self.text_index = None

    def counts(self) -> dict[str, int]:
        """How many times each anchor's text is in the document."""
        return {a.anchor_string: self.count(a.anchor_string) for a in self.doc.anchors}

    def count(self, text: str) -> int:
        if self.text_index is None or not text:
            return 0
        return len(self.text_index.find(text))

    def set_search(self, text: str) -> None:
        """Highlight ``text`` too (typed in the Anchors tab), "" for none."""
        self._search_text = text
        self.update()

    def update(self) -> None:
        """Highlight the anchors' matches and show at each the field it will become."""
        self._jump_index = -1
        if self.text_index is None:
            self.view.show_highlights([])
            self.view.show_anchor_fields([])
            self._show_position()
            return
        matches: list[tuple[int, Rect, int]] = []
        previews: list[AnchorField] = []
        for anchor in self.doc.anchors:
            if not anchor.anchor_string:
                continue
            width, height = anchor.size
            who = (
                self.doc.recipients[anchor.recipient_index].name
                if 0 <= anchor.recipient_index < len(self.doc.recipients)
                else ""
            )
            for page, rect in self.text_index.find(anchor.anchor_string):
                matches.append((page, rect, anchor.recipient_index))
                previews.append(
                    AnchorField(
                        page,
                        field_at_anchor(rect.x, rect.y, width, height, self.doc.page(page)),
                        anchor.type,
                        anchor.recipient_index,
                        anchor.anchor_string,
                        anchor.required,
                        who,
                    )
                )
        if self._search_text:
            matches += [(page, rect, -1) for page, rect in self.text_index.find(self._search_text)]
        self.view.show_highlights(matches)
        self.view.show_anchor_fields(previews)
        self._show_position()

    def _targets(self) -> list[tuple[int, Rect]]:
        """The matches Next/Previous go through: the text typed or the anchor selected in the
        Anchors tab, else every anchor's, in page and reading order."""
        if self.text_index is None:
            return []
        texts = (
            [self._search_text]
            if self._search_text
            else list(dict.fromkeys(a.anchor_string for a in self.doc.anchors if a.anchor_string))
        )
        found = {
            (page, rect.x, rect.y, rect.width, rect.height): (page, rect)
            for text in texts
            for page, rect in self.text_index.find(text)
        }
        return [found[key] for key in sorted(found, key=lambda k: (k[0], k[2], k[1]))]

    def jump(self, step: int) -> None:
        """Scroll to the next (1) or previous (-1) match, round and round."""
        targets = self._targets()
        if not targets:
            self._show_position()
            return
        if self._jump_index < 0:
            self._jump_index = 0 if step > 0 else len(targets) - 1
        else:
            self._jump_index = (self._jump_index + step) % len(targets)
        page, rect = targets[self._jump_index]
        self.view.reveal_match(page, rect)
        self._show_position(targets)

    def _show_position(self, targets: list[tuple[int, Rect]] | None = None) -> None:
        targets = self._targets() if targets is None else targets
        if not targets:
            self.positionChanged.emit("", False)
        elif 0 <= self._jump_index < len(targets):
            page = targets[self._jump_index][0]
            self.positionChanged.emit(
                f"Match {self._jump_index + 1} of {len(targets)} (page {page})", True
            )
        else:
            count = len(targets)
            self.positionChanged.emit(f"{count} match{'es' if count != 1 else ''}", True)
