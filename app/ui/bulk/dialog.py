"""The Send to many dialog: one prepared document to every row of a sheet.

The user chooses a CSV file or an Excel workbook (and the workbook's sheet); the mapping table
shows what each column fills, guessed from the column names, and can be corrected; every row is
checked at once (off the window's thread) and shown with its problems next to the cell at
fault. Nothing can be sent while a row has a problem, unless "Skip rows with problems" is
ticked. Send records the run and sends each row (:func:`app.services.bulk.run.proceed`, each
row's stamping and checks in the bridge's thread pool) with a progress bar, Pause/Resume and
Cancel; each row's result is shown as it comes. Then its results can be exported, the run
cancelled as a whole, or its requests shown in Requests.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.context import Context
from app.domain.model import RequestSpec
from app.fsutil import atomic_write_bytes
from app.services.bulk import checks, mapping, sheet
from app.services.bulk import run as bulk_run
from app.services.bulk.example import example_csv
from app.ui.bridge import AsyncBridge, describe_error
from app.ui.bulk.actions import cancel_sentence, confirm_cancel, export_run
from app.ui.bulk.mapping_table import MappingTable, column_map
from app.ui.bulk.rows_model import RowsModel
from app.ui.gc_guard import old_objects_left_alone
from app.ui.style import ERROR, MUTED_STYLE, text_style

SHEET_FILTER = "Sheets (*.csv *.xlsx *.xlsm);;CSV files (*.csv);;Excel workbooks (*.xlsx *.xlsm)"


class SendToManyDialog(QDialog):
    """One document to every row of a sheet; see the module's description."""

    #: The user asked to see the run's requests in Requests (the run's id).
    showRun = Signal(str)
    #: The sheet was read and every row checked (or the check failed: ``problems_label`` says).
    checked = Signal()
    #: The run has ended (sent through, stopped, or cancelled); the outcome is shown.
    finished_run = Signal(str)

    def __init__(
        self,
        ctx: Context,
        bridge: AsyncBridge,
        pdf: Path,
        spec: RequestSpec,
        provider_id: str,
        render_id: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sendToMany")
        self.setWindowTitle(f"Send to many — {spec.name or pdf.name}")
        self.ctx, self.bridge, self.pdf, self.spec = ctx, bridge, pdf, spec
        self.provider_id, self.render_id = provider_id, render_id
        self.path: Path | None = None
        self.table: sheet.Sheet | None = None
        self.plan: checks.Plan | None = None
        self.run_id: str | None = None
        self.control: bulk_run.RunControl | None = None
        self.running = False
        self._checking = 0
        self._cancel_after = False
        self._build()
        self._update()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        provider = self.ctx.provider(self.provider_id).capabilities.name
        intro = QLabel(
            f"Send a copy of {self.pdf.name!r} to every row of a sheet ({provider}). "
            "Each row is one person; values from the sheet are filled into their "
            "copy."
        )
        intro.setWordWrap(True)
        top = self._build_sheet_bar()
        self.splitter = self._build_tables()
        self._build_run_widgets()
        buttons = self._build_buttons()

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.problems_label)
        options = QHBoxLayout()
        options.addWidget(self.skip_box)
        options.addWidget(self.progress, 1)
        layout.addLayout(options)
        layout.addLayout(buttons)
        self.resize(960, 620)

    def _build_sheet_bar(self) -> QHBoxLayout:
        """The row above the tables: choose the sheet, the workbook's sheet, the example."""
        self.file_label = QLabel("No sheet chosen")
        self.file_label.setStyleSheet(MUTED_STYLE)
        self.choose_button = QPushButton("Choose sheet…")
        self.choose_button.setObjectName("chooseSheet")
        self.choose_button.clicked.connect(self.choose_sheet)
        self.sheet_label = QLabel("Sheet")
        self.sheet_box = QComboBox()
        self.sheet_box.setObjectName("workbookSheet")
        self.sheet_box.activated.connect(lambda _i: self._read())
        self.example_button = QPushButton("Save example sheet…")
        self.example_button.setObjectName("exampleSheet")
        self.example_button.setToolTip("A CSV file with the columns this document needs")
        self.example_button.clicked.connect(self.save_example)
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_box)
        top.addWidget(self.example_button)
        return top

    def _build_tables(self) -> QSplitter:
        """The mapping table and the rows table side by side."""
        self.mapping = MappingTable()
        self.mapping.changed.connect(self._check)
        self.rows = RowsModel(self)
        self.rows_view = QTableView()
        self.rows_view.setObjectName("bulkRows")
        self.rows_view.setModel(self.rows)
        self.rows_view.verticalHeader().setVisible(False)
        self.rows_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rows_view.setWordWrap(False)
        self.rows_view.horizontalHeader().setStretchLastSection(True)
        self.rows_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        mapping_box = QWidget()
        mapping_layout = QVBoxLayout(mapping_box)
        mapping_layout.setContentsMargins(0, 0, 0, 0)
        mapping_layout.addWidget(QLabel("What each column fills"))
        mapping_layout.addWidget(self.mapping, 1)
        rows_box = QWidget()
        rows_layout = QVBoxLayout(rows_box)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        self.summary_label = QLabel("")
        rows_layout.addWidget(self.summary_label)
        rows_layout.addWidget(self.rows_view, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(mapping_box)
        splitter.addWidget(rows_box)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([400, 560])
        return splitter

    def _build_run_widgets(self) -> None:
        """The rows' problems, the "Skip rows with problems" box and the progress bar."""
        self.problems_label = QLabel("")
        self.problems_label.setObjectName("bulkProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(text_style(ERROR))
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label.setVisible(False)
        self.skip_box = QCheckBox("Skip rows with problems")
        self.skip_box.setObjectName("skipFaulty")
        self.skip_box.setToolTip("Send the other rows; the rows at fault are not sent")
        self.skip_box.toggled.connect(lambda _on: self._update())
        self.progress = QProgressBar()
        self.progress.setObjectName("bulkProgress")
        self.progress.setFormat("%v of %m rows")
        self.progress.setVisible(False)

    def _build_buttons(self) -> QHBoxLayout:
        """The status line and the buttons (Pause, Cancel, Export, Show, Send, Close)."""
        self.status_label = QLabel("")
        self.status_label.setObjectName("bulkStatus")
        self.status_label.setWordWrap(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseRun")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QPushButton("Cancel run…")
        self.cancel_button.setObjectName("cancelRun")
        self.cancel_button.clicked.connect(self.cancel_run)
        self.export_button = QPushButton("Export results…")
        self.export_button.setObjectName("exportRun")
        self.export_button.clicked.connect(
            lambda: export_run(
                self, self.ctx, self.bridge, self.run_id or "", self.status_label.setText
            )
        )
        self.show_button = QPushButton("Show in Requests")
        self.show_button.setObjectName("showRun")
        self.show_button.clicked.connect(self._show_in_requests)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendMany")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        for button in (
            self.pause_button,
            self.cancel_button,
            self.export_button,
            self.show_button,
            self.send_button,
            self.close_button,
        ):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        self.send_button.setAutoDefault(True)
        return buttons

    # --- the sheet and its checks ---------------------------------------------------------------

    def choose_sheet(self) -> None:
        start = str(self.path.parent if self.path else self.pdf.parent)
        name, _filter = QFileDialog.getOpenFileName(
            self, "Choose the sheet of people", start, SHEET_FILTER
        )
        if name:
            self.open_sheet(Path(name))

    def open_sheet(self, path: Path) -> None:
        """Read ``path`` (the first sheet of a workbook) and check every row."""
        self.path = path
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.file_label.setStyleSheet("")
        self.sheet_box.clear()
        if sheet.is_workbook(path):
            self._busy("Reading the workbook…")
            self.bridge.start(
                self.bridge.run_blocking(sheet.sheet_names, path),
                on_done=self._sheets_listed,
                on_error=self._read_failed,
                label="Read the sheet",
            )
        else:
            self._read()

    def _sheets_listed(self, names: list[str]) -> None:
        self.sheet_box.clear()
        self.sheet_box.addItems(names)
        self._read()

    def _read(self) -> None:
        if self.path is None:
            return
        name = self.sheet_box.currentText() if sheet.is_workbook(self.path) else None
        self._busy("Reading the sheet…")
        self.bridge.start(
            self.bridge.run_blocking(sheet.read_sheet, self.path, name),
            on_done=self._sheet_read,
            on_error=self._read_failed,
            label="Read the sheet",
        )

    def _sheet_read(self, table: sheet.Sheet) -> None:
        self.table = table
        self.rows.set_sheet(table)
        self.mapping.show_sheet(self.spec, table, mapping.guess(self.spec, table))
        self._check()

    def _read_failed(self, exc: BaseException) -> None:
        self.table = self.plan = None
        self.rows.set_sheet(None)
        self.mapping.setRowCount(0)
        self.problems_label.setText(describe_error(exc))
        self.problems_label.setVisible(True)
        self._checking = 0
        self._update()
        self.checked.emit()

    def _check(self) -> None:
        """Check every row with the mapping as it now is (off the window's thread)."""
        if self.table is None:
            return
        table = self.table
        chosen = column_map(self.spec, self.mapping.chosen(), self.sheet_box.currentText() or None)
        self._checking += 1
        generation = self._checking
        self._busy("Checking every row…")

        def plan() -> checks.Plan:
            return checks.plan_run(
                self.ctx,
                self.pdf,
                self.spec,
                table,
                chosen,
                provider_id=self.provider_id,
                render_id=self.render_id,
            )

        self.bridge.start(
            self.bridge.run_blocking(plan),
            on_done=lambda p: self._checked(generation, p),
            on_error=lambda e: self._check_failed(generation, e),
            label="Check the rows",
        )

    def _check_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._checking:
            self._read_failed(exc)

    def _checked(self, generation: int, plan: checks.Plan) -> None:
        if generation != self._checking:
            return  # the mapping changed again meanwhile: that check's answer is the one
        self._checking = 0
        self.plan = plan
        self.rows.set_plan(plan)
        self.problems_label.setText("\n".join(p.sentence() for p in plan.problems[:6]))
        self.problems_label.setVisible(bool(plan.problems))
        self.rows_view.resizeColumnsToContents()
        self._update()
        self.checked.emit()

    def _busy(self, text: str) -> None:
        self.status_label.setText(text)
        self.send_button.setEnabled(False)

    # --- what can be done now -------------------------------------------------------------------

    def sendable(self) -> int:
        """How many rows Send would send now (0: it cannot)."""
        plan = self.plan
        if plan is None or plan.problems or self._checking or self.run_id is not None:
            return 0
        faulty = len(plan.faulty)
        if faulty and not self.skip_box.isChecked():
            return 0
        return len(plan.rows) - faulty

    def _update(self) -> None:
        started = self.run_id is not None
        plan = self.plan
        count = self.sendable()
        self.send_button.setEnabled(count > 0)
        self.send_button.setText(
            f"Send {count} cop{'y' if count == 1 else 'ies'}" if count else "Send"
        )
        for widget in (self.choose_button, self.sheet_box, self.mapping, self.skip_box):
            widget.setEnabled(not started)
        self.sheet_label.setVisible(self.sheet_box.count() > 0)
        self.sheet_box.setVisible(self.sheet_box.count() > 0)
        faulty = len(plan.faulty) if plan else 0
        self.skip_box.setVisible(faulty > 0 or self.skip_box.isChecked())
        if plan is not None and not started:
            ready = len(plan.rows) - faulty
            self.summary_label.setText(
                f"{len(plan.rows)} row(s): {ready} ready"
                + (
                    f", {faulty} with a problem (in red; point at a cell to see it)"
                    if faulty
                    else ""
                )
                + "."
            )
            self.summary_label.setStyleSheet(text_style(ERROR) if faulty else "")
            if not self._checking:
                self.status_label.setText(
                    ""
                    if count
                    else "Correct the rows in red, or skip them."
                    if faulty and not plan.problems
                    else ""
                )
        elif self.table is not None and not started:
            self.summary_label.setText(f"{len(self.table.rows)} row(s).")
        self.pause_button.setVisible(self.running)
        self.progress.setVisible(started)
        self.cancel_button.setVisible(started)
        self.export_button.setVisible(started and not self.running)
        self.show_button.setVisible(started and not self.running)
        self.close_button.setEnabled(not self.running)

    # --- sending --------------------------------------------------------------------------------

    def send(self) -> None:
        count = self.sendable()
        if not count or self.plan is None:
            return
        plan = self.plan
        skip = self.skip_box.isChecked()
        self.run_id = ""  # nothing can change from here on
        self.running = True
        self.control = bulk_run.RunControl()
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self.status_label.setText("Recording the run…")
        self._update()
        self.bridge.start(
            self.bridge.run_blocking(
                lambda: bulk_run.start(self.ctx, self.pdf, plan, skip_faulty=skip)
            ),
            on_done=self._started,
            on_error=self._start_failed,
            label="Send to many",
        )

    def _start_failed(self, exc: BaseException) -> None:
        self.run_id = None
        self.running = False
        self.problems_label.setText(describe_error(exc))
        self.problems_label.setVisible(True)
        self._update()

    def _started(self, run_id: str) -> None:
        self.run_id = run_id
        self.control = self.control or bulk_run.RunControl()
        for row in self.plan.faulty if self.plan else []:
            self.rows.set_outcome(
                bulk_run.RowOutcome(
                    row.number, "refused", None, "", "", "; ".join(p.message for p in row.problems)
                )
            )
        self.status_label.setText("Sending…")
        self.bridge.start(
            old_objects_left_alone(
                bulk_run.proceed(
                    self.ctx,
                    run_id,
                    control=self.control,
                    on_row=self._row_done,
                    offload=self.bridge.run_blocking,
                )
            ),
            on_done=lambda _o: self._proceeded(),
            on_error=self._stopped,
            label="Send to many",
        )

    def _row_done(self, outcome: bulk_run.RowOutcome) -> None:
        self.rows.set_outcome(outcome)
        self.progress.setValue(self.progress.value() + 1)
        row = self.rows.row_of(outcome.number)
        if row >= 0:
            self.rows_view.scrollTo(self.rows.index(row, 0))

    def toggle_pause(self) -> None:
        if self.control is None:
            return
        if self.control.resumed.is_set():
            self.control.pause()
            self.pause_button.setText("Resume")
            self.status_label.setText(
                "Paused: the row being sent finishes, then nothing more is sent until you resume."
            )
        else:
            self.control.resume()
            self.pause_button.setText("Pause")
            self.status_label.setText("Sending…")

    def cancel_run(self) -> None:
        if self.run_id is None or not confirm_cancel(self, self.spec.name):
            return
        if self.running:
            self._cancel_after = True  # stop sending first; the run is cancelled after
            if self.control is not None:
                self.control.cancel()
            self.status_label.setText("Stopping…")
            return
        self._cancel_now()

    def _cancel_now(self) -> None:
        run_id = self.run_id or ""
        self.cancel_button.setEnabled(False)
        self.status_label.setText("Cancelling the run…")
        self.bridge.start(
            bulk_run.cancel_run(self.ctx, run_id),
            on_done=lambda result: self._show_outcomes(cancel_sentence(result)),
            on_error=self._stopped,
            label="Cancel the run",
        )

    def _stopped(self, exc: BaseException) -> None:
        self._show_outcomes(describe_error(exc))

    def _proceeded(self) -> None:
        if self._cancel_after:
            self._cancel_after = False
            self.running = False
            self._cancel_now()
            return
        self._show_outcomes(None)

    def _show_outcomes(self, said: str | None) -> None:
        """Read every row's outcome again (off the window's thread) and show the summary."""
        run_id = self.run_id or ""
        self.running = False
        self._update()

        def shown(outcomes: list[bulk_run.RowOutcome]) -> None:
            for outcome in outcomes:
                self.rows.set_outcome(outcome)
            counts = bulk_run.summary(outcomes)
            text = (
                f"{counts['sent']} sent, {counts['refused']} refused, {counts['queued']} "
                f"queued of {counts['rows']} rows."
            )
            if counts["cancelled"]:
                text += f" {counts['cancelled']} not sent (cancelled)."
            if counts["queued"]:
                text += " The queued ones are sent by the next sync."
            self.status_label.setText(f"{said} {text}" if said else text)
            self.cancel_button.setEnabled(self.ctx.store.runs.state(run_id) != "cancelled")
            self.finished_run.emit(run_id)

        self.bridge.start(
            self.bridge.run_blocking(bulk_run.outcomes, self.ctx, run_id),
            on_done=shown,
            label="Send to many",
        )

    def _show_in_requests(self) -> None:
        if self.run_id:
            self.showRun.emit(self.run_id)
            self.accept()

    # --- the example sheet ----------------------------------------------------------------------

    def save_example(self) -> None:
        suggested = str(self.pdf.with_name(f"{self.pdf.stem} — people.csv"))
        dest, _filter = QFileDialog.getSaveFileName(
            self, "Save an example sheet", suggested, "CSV files (*.csv)"
        )
        if not dest:
            return
        path = Path(dest) if dest.lower().endswith(".csv") else Path(dest + ".csv")
        try:
            atomic_write_bytes(path, example_csv(self.spec).encode("utf-8-sig"))
        except OSError as exc:
            self.status_label.setText(describe_error(exc))
            return
        self.status_label.setText(
            f"Saved {path.name}: fill in one row per person, then choose it here."
        )

    # --- closing --------------------------------------------------------------------------------

    def reject(self) -> None:
        if not self.running:  # a run being sent is paused or cancelled first
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.running:
            return
        super().keyPressEvent(event)
