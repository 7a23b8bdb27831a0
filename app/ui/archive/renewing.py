"""The archive place's renewal line: how many documents' timestamps must be renewed soon, and
Renew now, which renews them in the background with progress.

Which files are due is read from the files in the bridge's thread pool
(:func:`app.services.renew.due_among`); the renewal itself is
:func:`app.services.renew.renew_archive`, whose pyHanko work and network calls run off the
window's event loop, so the window never freezes.
"""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.archive.audit import renew_window
from app.errors import SealboxError
from app.services.renew import DueFile, due_among, renew_archive, renewal_candidates
from app.services.seal_levels import timestamp_authority
from app.services.upgrade import UpgradeResult
from app.ui.archive.parts import PagePart
from app.ui.bridge import describe_error
from app.ui.style import DANGER, text_style

log = logging.getLogger(__name__)


class RenewingPart(PagePart):
    """Renewal for :class:`~app.ui.archive.page.ArchivePage`."""

    _due_task: asyncio.Task[list[DueFile]] | None
    _renew_task: asyncio.Task[UpgradeResult] | None
    due_count: int

    def _build_renewal_bar(self) -> QWidget:
        self._due_task = None
        self._renew_task = None
        self.due_count = 0
        self.renewal_label = QLabel()
        self.renewal_label.setWordWrap(True)
        self.renew_button = QPushButton("Renew now")
        self.renew_button.setToolTip(
            "Add a fresh timestamp to these documents, so that they can still be proven later"
        )
        self.renew_button.clicked.connect(self.renew_now)
        self.renew_progress = QProgressBar()
        self.renew_progress.setFormat("Renewing %v of %m")
        self.renew_progress.setVisible(False)
        bar = self.renewal_bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.renewal_label, 1)
        layout.addWidget(self.renew_progress)
        layout.addWidget(self.renew_button)
        bar.setVisible(False)
        return bar

    @property
    def renewing(self) -> bool:
        return self._renew_task is not None and not self._renew_task.done()

    def check_renewals(self) -> None:
        """Count, in the background, the documents whose timestamps must be renewed soon."""
        if self._due_task is not None and not self._due_task.done():
            return
        if not self.model.all_rows:
            self._show_due([])
            return
        try:
            candidates = renewal_candidates(self.ctx)
            window = renew_window(self.ctx)
        except SealboxError as exc:
            log.warning("looking for timestamps to renew failed: %s", exc)
            return
        self._due_task = self.bridge.start(
            self.bridge.run_blocking(due_among, candidates, window),
            on_done=self._show_due,
            on_error=lambda exc: log.warning("looking for timestamps to renew failed: %s", exc),
            label="Looking for timestamps to renew",
        )

    def _show_due(self, due: list[DueFile]) -> None:
        if not shiboken6.isValid(self):
            return
        self.due_count = count = len({(d.request_id, d.kind) for d in due})
        self.renewal_bar.setVisible(bool(count) or self.renewing)
        if not count:
            return
        days = round(renew_window(self.ctx))
        many = count != 1
        text = (
            f"{count} document{'s' if many else ''} {'are' if many else 'is'} due for renewal: "
            f"the timestamp{'s' if many else ''} proving when {'they' if many else 'it'} "
            f"{'were' if many else 'was'} signed run{'' if many else 's'} out within {days} days."
        )
        try:
            authority = timestamp_authority(self.ctx.settings, self.ctx.secrets, self.ctx.environ)
        except SealboxError:
            authority = None
        if authority is None:
            text += " Set a timestamp authority in Settings › In person to renew them."
        self.renewal_label.setText(text)
        self.renewal_label.setStyleSheet(text_style(DANGER) if authority is None else "")
        self.renew_button.setEnabled(authority is not None and not self.renewing)

    def renew_now(self) -> asyncio.Task[UpgradeResult] | None:
        """Renew every due document in the background, with progress."""
        if self.renewing:
            return None
        self.renew_button.setEnabled(False)
        self.renew_progress.setRange(0, max(self.due_count, 1))
        self.renew_progress.setValue(0)
        self.renew_progress.setVisible(True)
        self.say("")
        task = self.bridge.start(
            renew_archive(self.ctx, progress=self._renew_progress),
            on_done=self._renewed,
            on_error=lambda exc: self.say(describe_error(exc), error=True),
            label="Renewing timestamps",
        )
        task.add_done_callback(self._renew_ended)
        self._renew_task = task
        return task

    def _renew_progress(self, done: int, total: int) -> None:
        if shiboken6.isValid(self):
            self.renew_progress.setRange(0, max(total, 1))
            self.renew_progress.setValue(done)

    def _renewed(self, result: UpgradeResult) -> None:
        done = result.count("upgraded")
        waiting = result.count("unreachable") + result.count("busy")
        failed = [f for f in result.files if f.outcome == "failed"]
        text = f"Renewed {done} document{'s' if done != 1 else ''}."
        if waiting:
            text += (
                f" {waiting} could not be renewed now (the timestamp authority could not be "
                "reached, or another Sealbox was using the folder): try again later."
            )
        if failed:
            text += f" {len(failed)} cannot be renewed: {failed[0].reason}."
        self.say(text, error=bool(waiting or failed))

    def _renew_ended(self, _task: asyncio.Task[UpgradeResult]) -> None:
        if not shiboken6.isValid(self):
            return
        self.renew_progress.setVisible(False)
        self.refresh()  # the files changed: their records did too; counts again

    def cancel_renewal(self) -> None:
        for task in (self._due_task, self._renew_task):
            if task is not None and not task.done():
                task.cancel()
