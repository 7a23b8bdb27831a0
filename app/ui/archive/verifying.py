"""The archive place's verification runner: re-hash the files and validate the signatures of
one request at a time in the bridge's thread pool, each badge shown as soon as it is known."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import shiboken6

from app.archive.audit import trust_roots
from app.archive.badge import Badge, BadgeState, VerifyJob, prepare_verify, run_verify
from app.errors import SealboxError
from app.ui.archive.parts import PagePart
from app.ui.bridge import describe_error

log = logging.getLogger(__name__)


class VerifyingPart(PagePart):
    """Verification for :class:`~app.ui.archive.page.ArchivePage`."""

    @property
    def verifying(self) -> bool:
        return self._verify_task is not None and not self._verify_task.done()

    def verify_selected(self) -> None:
        self.verify(self.selected_ids())

    def verify_all(self) -> None:
        """Verify every archived request (also those the filters hide)."""
        self.verify([r.id for r in self.model.all_rows])

    def verify(self, ids: Sequence[str]) -> asyncio.Task[int] | None:
        """Verify ``ids`` off the UI thread, one at a time, each badge shown as it is known."""
        if self.verifying or not ids:
            return None
        try:
            roots = trust_roots(self.ctx)
        except OSError as exc:
            log.warning("reading the trust roots failed: %s", exc)
            self.say(
                "The certificates this installation trusts cannot be read "
                f"({exc.strerror or 'system error'}): check the permissions of Sealbox's "
                "data folder.",
                error=True,
            )
            return None
        except ValueError as exc:
            log.warning("reading the trust roots failed: %s", exc)
            self.say(
                "The certificates this installation trusts are damaged: restore Sealbox's "
                "data folder from a backup.",
                error=True,
            )
            return None
        jobs: list[VerifyJob] = []
        for rid in ids:
            try:
                jobs.append(prepare_verify(self.ctx, rid, roots))
            except SealboxError as exc:
                self.model.set_badge(rid, Badge("missing", None, exc.for_app()))
        self.progress.setRange(0, max(len(jobs), 1))
        self.progress.setValue(0)
        self.say("")
        self._verified = 0
        self._verify_total = len(jobs)
        task = self.bridge.start(
            self._run_verify(jobs), on_error=self._verify_failed, label="Verifying the archive"
        )
        task.add_done_callback(self._verify_ended)
        self._verify_task = task
        self._update_actions()
        return task

    async def _run_verify(self, jobs: list[VerifyJob]) -> int:
        for job in jobs:
            self._checking = job.request_id
            self.model.set_checking(job.request_id, True)
            badge = await self.bridge.run_blocking(run_verify, job)
            self.model.set_badge(job.request_id, badge)
            self._checking = None
            self._verified += 1
            self.progress.setValue(self._verified)
        return self._verified

    def _verify_ended(self, task: asyncio.Task[int]) -> None:
        """Runs however the verification ended (even cancelled before it started)."""
        if not shiboken6.isValid(self):
            return
        if self._checking is not None:
            self.model.set_checking(self._checking, False)
            self._checking = None
        self._verify_task = None
        if task.cancelled():
            total = self._verify_total
            self.say(
                f"Verification cancelled after {self._verified} of {total} request"
                f"{'s' if total != 1 else ''}."
            )
        elif task.exception() is None:
            self._report_verified(self._verified)
        self._update_actions()
        self.verifyFinished.emit(self._verified)

    def _report_verified(self, done: int) -> None:
        states: dict[BadgeState, int] = {}
        for rid in (r.id for r in self.model.all_rows):
            badge = self.model.badge(rid)
            if badge is not None:
                states[badge.state] = states.get(badge.state, 0) + 1
        bad = states.get("modified", 0) + states.get("missing", 0)
        head = f"Verified {done} request{'s' if done != 1 else ''}"
        if bad:
            self.say(
                f"{head}: {bad} with modified or missing files — hover over a badge for "
                "what is wrong.",
                error=True,
            )
        else:
            self.say(f"{head}.")

    def _verify_failed(self, exc: BaseException) -> None:
        self.say(describe_error(exc), error=True)

    def cancel_verify(self) -> None:
        if self._verify_task is not None and not self._verify_task.done():
            self._verify_task.cancel()
