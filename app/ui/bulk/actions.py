"""A run's actions, in the Send to many dialog and in Requests when a run is shown: export its
results as CSV, and cancel it as a whole. The same services as ``sealbox runs export`` and
``sealbox runs cancel``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.context import Context
from app.fsutil import atomic_write_bytes
from app.services.bulk import run as bulk_run
from app.services.bulk.export import run_csv
from app.ui.bridge import AsyncBridge, describe_error


def write_export(ctx: Context, run_id: str, dest: Path) -> int:
    """Write the run's rows to ``dest`` (whole or not at all); how many rows."""
    outcomes = bulk_run.outcomes(ctx, run_id)
    atomic_write_bytes(dest, run_csv(outcomes).encode("utf-8-sig"))
    return len(outcomes)


def export_run(
    parent: QWidget, ctx: Context, bridge: AsyncBridge, run_id: str, said: Callable[[str], None]
) -> None:
    """Ask where, then export the run's results; ``said`` gets the sentence saying how it went."""
    run = ctx.store.runs.get(run_id)
    suggested = str(Path.home() / f"{run.name} — results.csv".replace("/", "-"))
    dest, _filter = QFileDialog.getSaveFileName(
        parent, "Export the run's results", suggested, "CSV files (*.csv)"
    )
    if not dest:
        return
    path = Path(dest) if dest.lower().endswith(".csv") else Path(dest + ".csv")
    bridge.start(
        bridge.run_blocking(write_export, ctx, run_id, path),
        on_done=lambda rows: said(f"Exported {rows} row(s) to {path.name}."),
        on_error=lambda exc: said(describe_error(exc)),
        label="Export the run",
    )


def confirm_cancel(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Cancel the run",
        f"Cancel the run {name!r}? The rows not yet sent will not be sent, and every request "
        "of the run still waiting for signatures is cancelled where its service can cancel it.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def cancel_sentence(result: bulk_run.CancelResult) -> str:
    """What a cancelled run says: how many requests were cancelled, rows not sent, and what
    could not be cancelled."""
    out = (
        f"The run is cancelled: {len(result.cancelled)} request(s) cancelled, "
        f"{result.rows} row(s) not yet sent will not be."
    )
    if result.left:
        out += (
            f" {len(result.left)} request(s) are left: "
            + "; ".join(sorted(set(result.left.values())))
            + "."
        )
    if result.errors:
        out += f" {len(result.errors)} could not be cancelled: " + "; ".join(
            sorted(set(result.errors.values()))
        )
    return out
