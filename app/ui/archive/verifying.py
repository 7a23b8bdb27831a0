"""The archive place's verification runner: re-hash the files and validate the signatures of
one request at a time, each badge shown as soon as it is known.

The work runs in a **process of its own** (started with the first verification, ended with the
page), not in a thread: validating signatures is pure Python (pyHanko, asn1crypto) for tens of
milliseconds a file, and a thread running it would share the GIL with the window, which then
stalls 30-50 ms at a time while the archive is verified. The process is made as the page views'
render processes are (:func:`app.pdf.render.start_method`: a fork server, never a plain fork of
the app)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import shiboken6

from app.archive.audit import trust_roots
from app.archive.badge import (
    Badge,
    BadgeState,
    VerifyJob,
    lower_priority,
    prepare_verify,
    run_verify,
)
from app.errors import SealboxError
from app.pdf.render import start_method
from app.ui.archive.parts import PagePart
from app.ui.bridge import describe_error

log = logging.getLogger(__name__)

#: How often the badges found are written to the store while verifying (one transaction each
#: time: a write per badge syncs the disk each time, 10-20 ms of the window's time).
KEEP_EVERY_S = 1.0
#: How much lower the verification process's priority is than the app's (POSIX ``nice``).
VERIFY_NICENESS = 10


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
        self.progress.setRange(0, max(len(ids), 1))
        self.progress.setValue(0)
        self.say("")
        self._verified = 0
        self._verify_total = len(ids)
        task = self.bridge.start(
            self._run_verify(list(ids), roots),
            on_error=self._verify_failed,
            label="Verifying the archive",
        )
        task.add_done_callback(self._verify_ended)
        self._verify_task = task
        self._update_actions()
        return task

    async def _run_verify(self, ids: list[str], roots: Sequence[bytes]) -> int:
        """Check each request in the verification process; what a request needs from the store
        is read just before (reading it for a thousand at once would stall the window)."""
        self._verify_broken = 0
        kept_at = time.monotonic()
        for done, rid in enumerate(ids, start=1):
            try:
                job = prepare_verify(self.ctx, rid, roots)
            except SealboxError as exc:
                self.model.set_badge(rid, Badge("missing", None, exc.for_app()), keep_later=True)
            else:
                await self._check(job)
                self._verified += 1
            self.progress.setValue(done)
            if time.monotonic() - kept_at > KEEP_EVERY_S:
                # One write (and one disk sync) for the badges of the last second.
                self.model.keep_badges()
                kept_at = time.monotonic()
        return self._verified

    async def _check(self, job: VerifyJob) -> None:
        self._checking = job.request_id
        self.model.set_checking(job.request_id, True)
        try:
            badge = await asyncio.wrap_future(self._pool().submit(run_verify, job))
        except BrokenProcessPool:
            # The process died on this request (a file that crashes a parser): no badge, said
            # when the run ends; the next request gets a new process.
            log.warning("verifying %s stopped the verification process", job.request_id)
            self.close_verify_pool()
            self.model.set_checking(job.request_id, False)
            self._verify_broken += 1
        else:
            self.model.set_badge(job.request_id, badge, keep_later=True)
        self._checking = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._verify_pool is None:
            context = multiprocessing.get_context(start_method())
            self._verify_pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=lower_priority,
                initargs=(VERIFY_NICENESS,),
            )
        return self._verify_pool

    def close_verify_pool(self) -> None:
        """End the verification process (a request being checked is finished first)."""
        pool, self._verify_pool = self._verify_pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _verify_ended(self, task: asyncio.Task[int]) -> None:
        """Runs however the verification ended (even cancelled before it started)."""
        if not shiboken6.isValid(self):
            return
        try:
            self.model.keep_badges()
        except SealboxError as exc:
            self.say(exc.for_app(), error=True)
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
        if self._verify_broken:
            broken = self._verify_broken
            self.say(
                f"{head}: {broken} could not be checked (checking "
                f"{'it' if broken == 1 else 'them'} stopped unexpectedly; the files may be "
                "damaged) — select it and click Verify to try again.",
                error=True,
            )
        elif bad:
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
