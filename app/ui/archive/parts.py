"""What the parts of the archive page (preview, verification, export) take from the page.

:class:`~app.ui.archive.page.ArchivePage` is one widget built from :class:`PagePart` classes,
each in a module of its own; this base names, for the type checker, the widgets and state they
share. At run time it is a plain class: the page itself is the ``QWidget``.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QLabel, QProgressBar, QStackedWidget, QWidget

    from app.context import Context
    from app.ui.archive.model import ArchiveModel, PreviewKind
    from app.ui.bridge import AsyncBridge
    from app.ui.columns import ElidedLabel
    from app.ui.desktop import NoFileManagerDialog
    from app.ui.pdfview.view import PageView
    from app.ui.signatures.panel import SignaturePanel

    _Widget = QWidget
else:
    _Widget = object


class PagePart(_Widget):
    """The shared state of the archive page, as its parts see it."""

    ctx: Context
    bridge: AsyncBridge
    model: ArchiveModel
    progress: QProgressBar
    view: PageView
    signature_panel: SignaturePanel
    preview_title: ElidedLabel
    preview_note: QLabel
    preview_stack: QStackedWidget
    preview_kind: PreviewKind
    preview_id: str | None
    folder_dialog: NoFileManagerDialog | None
    _verify_task: asyncio.Task[int] | None
    _verify_pool: ProcessPoolExecutor | None
    _verify_broken: int
    _checking: str | None
    _verified: int
    _verify_total: int
    _busy_task: asyncio.Task[Any] | None
    _preview_generation: int

    if TYPE_CHECKING:
        verifyFinished: Signal
        previewChanged: Signal

        def say(self, text: str, *, error: bool = False) -> None: ...

        def refresh(self) -> None: ...

        def selected_ids(self) -> list[str]: ...

        def _update_actions(self) -> None: ...
