"""Send to many through the window, with real clicks on the real widgets: open a document,
open Send to many from beside Send, choose a sheet (the file dialog answers with its path), see
a bad row's cell marked and Send disabled, skip it, send with the built-in provider and with the
SayPDF fake, see each row's result, pause and cancel a run, export its results, and see exactly
the run's requests in Requests."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle
from pytestqt.qtbot import QtBot

from app.domain.lifecycle import Status
from app.domain.model import FieldType
from app.ui.bulk.dialog import SendToManyDialog
from app.ui.bulk.rows_model import PROBLEMS_HEADER
from app.ui.main import MainWindow
from app.ui.style import PROBLEM_CELL
from tests.fakes.saypdf import SayPdfFake
from tests.gui.prepare_support import click
from tests.gui.test_editor import contract_pdf, open_pdf, place

TIMEOUT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def window(sayfake_window: MainWindow) -> MainWindow:
    return sayfake_window


def write_sheet(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def prepare(qtbot: QtBot, win: MainWindow, tmp_path: Path, provider: str) -> None:
    """A document with a signature field and a text field labelled "Amount"."""
    editor = open_pdf(qtbot, win, contract_pdf(tmp_path, title=f"Renewal {provider}"))
    editor.provider_box.setCurrentIndex(editor.provider_box.findData(provider))
    editor.editing.perform("Name", lambda d: d.set_meta(name="Renewal"))
    place(editor, FieldType.SIGNATURE, 1, 100, 680)
    amount = place(editor, FieldType.TEXT, 1, 72, 200, 150, 20)
    editor.editing.perform(
        "Label", lambda d: d.update_fields({amount: replace(d.field(amount), label="Amount")})
    )


def open_dialog(
    qtbot: QtBot, win: MainWindow, sheet: Path, monkeypatch: pytest.MonkeyPatch
) -> SendToManyDialog:
    button = win.editor.side.bulk_button
    qtbot.waitUntil(button.isEnabled, timeout=TIMEOUT_MS)
    click(qtbot, button)
    dialog = win.bulk.dialog
    assert isinstance(dialog, SendToManyDialog) and dialog.isVisible()
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(sheet), "Sheets (*.csv)")
    )
    with qtbot.waitSignal(dialog.checked, timeout=TIMEOUT_MS):
        click(qtbot, dialog.choose_button)
    return dialog


def cell(
    dialog: SendToManyDialog,
    number: int,
    header: str,
    role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole,
) -> object:
    model = dialog.rows
    names = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return model.index(model.row_of(number), names.index(header)).data(role)


def result(dialog: SendToManyDialog, number: int) -> str:
    return str(cell(dialog, number, "Result") or "")


def test_a_bad_row_is_marked_skipped_and_the_others_sent_then_shown_in_requests(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(qtbot, window, tmp_path, "local")
    sheet = write_sheet(
        tmp_path / "people.csv",
        [
            ["Name", "Email", "Amount"],
            ["Zoë Ángel", "zoe@example.com", "1 200,00 €"],
            ["Bad Row", "bad@example", "5,00 €"],
            ["John Roe", "john@example.com", "300,00 €"],
        ],
    )
    dialog = open_dialog(qtbot, window, sheet, monkeypatch)

    # The mapping was guessed from the headers.
    assert dialog.mapping.combos["Email"].currentText() == "Jane Doe's email"
    assert dialog.mapping.combos["Amount"].currentText() == "Field 'Amount'"
    # Row 3's email cell is red, with the problem as its tooltip; Send cannot be clicked.
    assert cell(dialog, 3, "Email", Qt.ItemDataRole.BackgroundRole) == QColor(PROBLEM_CELL)
    assert "'bad@example' is not an email address" in str(
        cell(dialog, 3, "Email", Qt.ItemDataRole.ToolTipRole)
    )
    assert cell(dialog, 2, "Email", Qt.ItemDataRole.BackgroundRole) is None
    assert "not an email address" in str(cell(dialog, 3, PROBLEMS_HEADER))
    assert "1 with a problem" in dialog.summary_label.text()
    assert not dialog.send_button.isEnabled()

    box = dialog.skip_box  # its indicator, as a user clicks it
    click(
        qtbot,
        box,
        QPoint(
            box.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth) // 2 + 1,
            box.height() // 2,
        ),
    )
    assert box.isChecked()
    assert dialog.send_button.isEnabled()
    assert dialog.send_button.text() == "Send 2 copies"
    with qtbot.waitSignal(dialog.finished_run, timeout=TIMEOUT_MS) as done:
        click(qtbot, dialog.send_button)
    run_id = str(done.args[0])
    assert result(dialog, 2).startswith("Sent · ")
    assert result(dialog, 4).startswith("Sent · ")
    assert result(dialog, 3) == "Refused: 'bad@example' is not an email address"
    assert "2 sent, 1 refused, 0 queued of 3 rows." in dialog.status_label.text()
    assert dialog.progress.value() == dialog.progress.maximum() == 2

    # An ordinary request besides the run's, then the run shown in Requests: only its two.
    ctx = window.ctx
    made = ctx.store.runs.request_ids(run_id)
    assert len(made) == 2
    assert {ctx.requests.get(r).name for r in made} == {"Renewal — Zoë Ángel", "Renewal — John Roe"}
    click(qtbot, dialog.show_button)
    qtbot.waitUntil(lambda: window.bulk.dialog is None, timeout=TIMEOUT_MS)
    page = window.requests_page
    assert window.places.currentIndex() == 1
    assert page.run_filter.box.isVisible()
    assert page.run_filter.box.currentText().startswith("Run: Renewal")
    assert page.model.total == 2
    shown = {
        page.model.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(page.model.rowCount())
    }
    assert shown == set(made)
    assert "2 sent, 1 refused, 0 queued of 3 rows" in page.run_filter.label.text()


def test_a_saypdf_run_is_paused_cancelled_and_exported(
    qtbot: QtBot,
    window: MainWindow,
    saypdf: SayPdfFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare(qtbot, window, tmp_path, "saypdf")
    sheet = write_sheet(
        tmp_path / "people.csv",
        [["Name", "Email", "Amount"]]
        + [[f"Person {i}", f"person{i}@example.com", f"{i},00 €"] for i in range(1, 6)],
    )
    dialog = open_dialog(qtbot, window, sheet, monkeypatch)
    assert dialog.send_button.text() == "Send 5 copies"
    assert not dialog.skip_box.isVisible()

    # Pause as the second row's result comes in: nothing more is sent until Resume.
    def pause_at_two(value: int) -> None:
        if value == 2:
            qtbot.mouseClick(dialog.pause_button, LEFT)

    dialog.progress.valueChanged.connect(pause_at_two)
    click(qtbot, dialog.send_button)
    qtbot.waitUntil(lambda: dialog.pause_button.text() == "Resume", timeout=TIMEOUT_MS)
    assert dialog.status_label.text().startswith("Paused")
    assert not dialog.close_button.isEnabled()
    assert len(saypdf.envelope_ids()) == 2
    assert result(dialog, 2).startswith("Sent · ") and result(dialog, 3).startswith("Sent · ")
    assert result(dialog, 4) == ""

    # Cancel: the rows not sent never will be; the two sent are cancelled at SayPDF.
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.finished_run, timeout=TIMEOUT_MS) as done:
        click(qtbot, dialog.cancel_button)
    run_id = str(done.args[0])
    assert "2 request(s) cancelled, 3 row(s) not yet sent will not be" in (
        dialog.status_label.text()
    )
    for number in (4, 5, 6):
        assert result(dialog, number) == "Not sent: the run was cancelled"
    assert result(dialog, 2).startswith("Cancelled · ")
    assert len(saypdf.envelope_ids()) == 2
    ctx = window.ctx
    assert [ctx.requests.get(r).status for r in ctx.store.runs.request_ids(run_id)] == [
        Status.CANCELLED,
        Status.CANCELLED,
    ]
    assert not dialog.cancel_button.isEnabled()

    # Export the results as CSV.
    dest = tmp_path / "results.csv"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(dest), "CSV files (*.csv)")
    )
    click(qtbot, dialog.export_button)
    qtbot.waitUntil(lambda: dialog.status_label.text().startswith("Exported"), timeout=TIMEOUT_MS)
    rows = list(csv.reader(io.StringIO(dest.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["row", "request id", "status"]
    assert [(r[0], r[2]) for r in rows[1:]] == [
        ("2", "cancelled"),
        ("3", "cancelled"),
        ("4", "cancelled"),
        ("5", "cancelled"),
        ("6", "cancelled"),
    ]
    click(qtbot, dialog.close_button)
    qtbot.waitUntil(lambda: window.bulk.dialog is None, timeout=TIMEOUT_MS)
