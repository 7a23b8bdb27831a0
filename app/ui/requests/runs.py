"""The requests place's run filter: a "Run" choice in the filter bar (shown once there is a run
of send to many) and, while one run is shown, a bar saying what became of its rows with Export
results… and Cancel run…"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from app.context import Context
from app.services.bulk import run as bulk_run
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.bulk.actions import cancel_sentence, confirm_cancel, export_run
from app.ui.live import store_unread
from app.wording import when

ALL_RUNS = "All requests"


def counts_text(counts: dict[str, int]) -> str:
    """ "3 sent, 1 refused, 0 queued of 4 rows" from the rows by state (one query, however many
    rows: :meth:`app.store.runs.Runs.counts`)."""
    refused = counts.get("skipped", 0) + counts.get("failed", 0)
    queued = sum(counts.get(k, 0) for k in ("waiting", "queued", "reconciling"))
    rows = sum(counts.values())
    sent = rows - refused - queued - counts.get("cancelled", 0)
    out = f"{sent} sent, {refused} refused, {queued} queued of {rows} rows"
    return out + (f", {counts['cancelled']} not sent" if counts.get("cancelled") else "")


class RunFilter(QObject):
    """``box`` goes in the filter bar, ``bar`` under it; ``changed`` when the run chosen
    changes, ``runChanged`` when a run was cancelled (its requests are read again)."""

    changed = Signal()
    runChanged = Signal()

    def __init__(self, ctx: Context, bridge: AsyncBridge, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.bridge, self.page = ctx, bridge, parent
        self.box = QComboBox()
        self.box.setObjectName("runFilter")
        self.box.setToolTip("Show the requests of one run of Send to many")
        self.box.setMaximumWidth(260)
        self.box.currentIndexChanged.connect(lambda _i: self._chosen())
        self.bar = QWidget()
        self.bar.setObjectName("runBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.export_button = QPushButton("Export results…")
        self.export_button.setObjectName("exportRun")
        self.export_button.clicked.connect(
            lambda: export_run(self.page, ctx, bridge, self.run_id() or "", self.label.setText)
        )
        self.cancel_button = QPushButton("Cancel run…")
        self.cancel_button.setObjectName("cancelRun")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.export_button)
        row.addWidget(self.cancel_button)
        self.bar.setVisible(False)
        if store_unread(ctx, "the runs") is None:
            self.reload()
        else:  # read once the shared store is reached
            self.box.setVisible(False)

    def run_id(self) -> str | None:
        data = self.box.currentData()
        return data if isinstance(data, str) else None

    def reload(self) -> None:
        """Read the list of runs again, keeping the one chosen."""
        keep = self.run_id()
        self.box.blockSignals(True)
        self.box.clear()
        self.box.addItem(ALL_RUNS, None)
        for run in self.ctx.store.runs.all():
            self.box.addItem(f"Run: {run.name} · {when(run.created_at)}", run.id)
            self.box.setItemData(
                self.box.count() - 1, f"{run.name} ({run.sheet})", Qt.ItemDataRole.ToolTipRole
            )
        self.box.setCurrentIndex(max(0, self.box.findData(keep)))
        self.box.blockSignals(False)
        self.box.setVisible(self.box.count() > 1)
        self._show_bar()

    def choose(self, run_id: str | None) -> None:
        if run_id is not None and self.box.findData(run_id) < 0:
            self.reload()
        self.box.setCurrentIndex(max(0, self.box.findData(run_id)))

    def _chosen(self) -> None:
        self._show_bar()
        self.changed.emit()

    def _show_bar(self) -> None:
        run_id = self.run_id()
        self.bar.setVisible(run_id is not None)
        if run_id is None:
            return
        run = self.ctx.store.runs.get(run_id)
        self.label.setText(
            f"{run.name} — {run.sheet}, {run.state}: "
            f"{counts_text(self.ctx.store.runs.counts(run_id))}."
        )
        self.cancel_button.setEnabled(run.state != "cancelled")

    def cancel(self) -> None:
        run_id = self.run_id()
        if run_id is None:
            return
        run = self.ctx.store.runs.get(run_id)
        if not confirm_cancel(self.page, run.name):
            return
        self.cancel_button.setEnabled(False)

        def done(result: bulk_run.CancelResult) -> None:
            self._show_bar()
            self.label.setText(cancel_sentence(result))
            self.runChanged.emit()

        def failed(exc: BaseException) -> None:
            self._show_bar()
            self.label.setText(describe_error(exc))
            self.runChanged.emit()

        self.bridge.start(
            bulk_run.cancel_run(self.ctx, run_id),
            on_done=done,
            on_error=failed,
            label="Cancel the run",
        )
