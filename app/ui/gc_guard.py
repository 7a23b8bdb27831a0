"""Garbage collection on the GUI thread only.

Python's cyclic collector runs on whichever thread happens to allocate when a threshold is
crossed: a render thread, the executor, an HTTP server's handler. A Qt object caught in a
reference cycle (qasync's timers are) would then be destroyed on that thread, which Qt refuses
("Timers cannot be stopped from another thread") and which can crash the process. The guard
turns automatic collection off and collects from a GUI-thread timer instead, whenever the
collector's own thresholds say a collection is due (the approach pyqtgraph's GarbageCollector
takes).
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500

T = TypeVar("T")


async def old_objects_left_alone(work: Awaitable[T]) -> T:
    """Await ``work`` (a long run, such as send to many) with the objects that existed before it
    left out of collections (``gc.freeze``): a full collection then looks only at what the work
    made, not at the whole heap, which would hold the window for 100 ms and more. They are
    given back to the collector when it ends."""
    gc.freeze()
    try:
        return await work
    finally:
        gc.unfreeze()


class GcGuard(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> int:
        """Collect the generations that are due; returns how many objects were freed."""
        first, second, third = gc.get_count()
        if first > self.threshold[0]:
            generation = 0
            if second > self.threshold[1]:
                generation = 2 if third > self.threshold[2] else 1
            return gc.collect(generation)
        return 0

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()
