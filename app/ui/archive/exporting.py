"""The archive place's export (the selected requests into a zip) and reindex (the store's
archive rows rebuilt from the folder alone), both off the UI thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import (
    QFileDialog,
    QWidget,
)

from app.archive.export import export_selection
from app.archive.folder import Archived
from app.archive.reindex import reindex
from app.ui.archive.parts import PagePart
from app.ui.bridge import describe_error

T = TypeVar("T")


def ask_export_path(parent: QWidget, suggested: Path) -> Path | None:
    """Ask where to save an export; ``None`` when the user cancels."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export archived requests", str(suggested), "Zip archives (*.zip)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".zip" else path.with_name(f"{path.name}.zip")


class ExportPart(PagePart):
    """Export and reindex for :class:`~app.ui.archive.page.ArchivePage`."""

    def export_selected(self, dest: Path | None = None) -> asyncio.Task[Path] | None:
        """Export the selected requests to a zip (asked for with a save dialog without
        ``dest``); the outcome shows in the message line."""
        ids = self.selected_ids()
        if not ids:
            self.say("Select one or more archived requests to export.", error=True)
            return None
        if dest is None:
            suggested = Path.home() / f"Sealbox export {datetime.now():%Y-%m-%d}.zip"
            dest = ask_export_path(self, suggested)
            if dest is None:
                return None
        target = dest

        def done(result: Path) -> None:
            self.say(f"Exported {len(ids)} request{'s' if len(ids) != 1 else ''} to {result}.")

        return self._run_busy(
            self.bridge.run_blocking(export_selection, self.ctx, ids, target),
            done,
            "Exporting from the archive",
        )

    def reindex(self) -> asyncio.Task[list[Archived]] | None:
        """Rebuild the store's archive rows from the folder alone (off the UI thread), then
        show the list again."""
        self.ctx.requests  # noqa: B018  # open (or re-create) the store on this thread

        def done(result: list[Archived]) -> None:
            count = len(result)
            self.model.clear_badges()
            self.refresh()
            self.say(
                f"Reindexed {count} archived request{'s' if count != 1 else ''} from "
                f"{self.ctx.paths.archive_dir}."
            )

        return self._run_busy(
            self.bridge.run_blocking(reindex, self.ctx), done, "Reindexing the archive"
        )

    def _run_busy(
        self, work: asyncio.Future[T], on_done: Callable[[T], None], label: str
    ) -> asyncio.Task[T] | None:
        if self._busy_task is not None and not self._busy_task.done():
            work.cancel()
            return None

        def finished(result: T) -> None:
            self._busy_task = None
            self._update_actions()
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._busy_task = None
            self._update_actions()
            self.say(describe_error(exc), error=True)

        self.say("")
        task = self.bridge.start(work, on_done=finished, on_error=failed, label=label)
        self._busy_task = task
        self._update_actions()
        return task
