"""The archive place: the list from the store alone, search inside signed PDFs, verification
badges off the UI thread, the preview, export and reindex.

Two requests are archived once per module through the real ``sealbox`` command with the
``local`` provider; each test works on its own copy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.archive.badge import Badge
from app.context import Context
from app.store.sqlite import SqliteStore
from app.ui import desktop
from app.ui.archive import exporting, verifying
from app.ui.archive.model import (
    BADGE,
    BADGE_ROLE,
    COLUMNS,
    ID_ROLE,
    ArchiveModel,
    badge_text,
)
from app.ui.archive.page import ArchivePage
from app.ui.bridge import AsyncBridge
from tests.gui.test_signature_panel import child, child_texts, top_texts
from tests.unit.test_archive_export import ArchiveTemplate, build_archive, files_of, flip_byte

_mu: Any = pymupdf
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory: pytest.TempPathFactory) -> ArchiveTemplate:
    """Two requests archived through the real command with the ``local`` provider."""
    return build_archive(tmp_path_factory.mktemp("archived"))


@pytest.fixture
def archived(home: Path, archive_template: ArchiveTemplate) -> ArchiveTemplate:
    """The two archived requests, copied into this test's ``home``."""
    archive_template.install(home)
    return archive_template


@pytest.fixture
def ctx(archived: ArchiveTemplate, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """The test's context; asking it for any provider fails the test (the archive must work
    with no provider configured and no network)."""
    context = Context.from_environment()

    def no_provider(_self: Context, provider_id: str | None = None) -> Any:
        raise AssertionError(f"the archive page asked for the provider {provider_id!r}")

    monkeypatch.setattr(Context, "provider", no_provider)
    yield context
    context.close()


@pytest.fixture
def page(qtbot: QtBot, ctx: Context, bridge: AsyncBridge) -> Iterator[ArchivePage]:
    widget = ArchivePage(ctx, bridge)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()
    assert not widget.view.renderer.running


def names(page: ArchivePage) -> list[str]:
    return sorted(r.name for r in page.model.rows)


def badges(page: ArchivePage) -> dict[str, str]:
    model = page.model
    return {
        str(model.data(model.index(r, 0))): str(model.data(model.index(r, BADGE)))
        for r in range(model.rowCount())
    }


def verify_all(qtbot: QtBot, page: ArchivePage) -> None:
    with qtbot.waitSignal(page.verifyFinished, timeout=WAIT_MS):
        page.verify_all_button.click()
    assert not page.progress.isVisible() and not page.cancel_button.isVisible()


# --- the model ------------------------------------------------------------------------------------


def test_the_model_passes_the_model_tester(
    qtmodeltester: Any, ctx: Context, archived: ArchiveTemplate
) -> None:
    model = ArchiveModel(ctx)
    model.refresh()
    assert model.rowCount() == 2 and model.columnCount() == len(COLUMNS)
    qtmodeltester.check(model, force_py=True)
    # The tester stays connected and checks every change from here on.
    model.set_badge(archived.crane.id, Badge("valid", None, "Every file is intact."))
    model.set_checking(archived.ledger.id, True)
    model.sort(BADGE, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, 0), ID_ROLE) == archived.ledger.id  # checking < valid
    model.set_filters(provider="local", year=None, matches={archived.crane.id})
    assert model.rowCount() == 1
    model.set_filters(provider=None, year=None, matches=None)
    model.clear_badges()
    model.refresh()
    assert model.rowCount() == 2


def test_rows_show_name_completed_provider_recipients_files_and_badge(
    ctx: Context, archived: ArchiveTemplate
) -> None:
    model = ArchiveModel(ctx)
    model.refresh()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    row = [model.data(model.index(0, c)) for c in range(len(COLUMNS))]
    completed = ctx.requests.get(archived.crane.id).completed_at
    assert completed is not None
    assert row == [
        "Crane lease",
        completed.astimezone().strftime("%Y-%m-%d %H:%M"),
        "In person",
        "Ann Lee",
        "PDF + certificate",
        "Not checked",
    ]
    assert model.data(model.index(0, 0), ID_ROLE) == archived.crane.id
    assert model.data(model.index(0, BADGE), BADGE_ROLE) == "unchecked"
    assert "ann@example.com" in str(model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole))
    assert model.headerData(BADGE, Qt.Orientation.Horizontal) == "Verification"
    assert model.data(model.index(7, 0)) is None


def test_badge_texts() -> None:
    assert badge_text(None) == "Not checked"
    assert badge_text(None, checking=True) == "Checking…"
    assert badge_text(Badge("valid", None, "")) == "Signature valid"
    assert (
        badge_text(Badge("untrusted", "CN=Someone, O=Else", ""))
        == "Intact — signer not trusted (CN=Someone, O=Else)"
    )
    assert badge_text(Badge("modified", None, "")) == "Modified"
    assert badge_text(Badge("missing", None, "")) == "Missing"


# --- the page -------------------------------------------------------------------------------------


def test_the_list_needs_no_provider_and_filters_by_provider_and_year(page: ArchivePage) -> None:
    assert names(page) == ["Crane lease", "Ledger audit"]
    assert page.table.isVisible() and not page.empty.isVisible()
    providers = [page.provider_box.itemText(i) for i in range(page.provider_box.count())]
    assert providers == ["All providers", "In person"]
    year = f"{datetime.now():%Y}"
    years = [page.year_box.itemText(i) for i in range(page.year_box.count())]
    assert years[0] == "All years" and year in years
    page.year_box.setCurrentIndex(page.year_box.findData(year))
    assert names(page) == ["Crane lease", "Ledger audit"]
    page.provider_box.setCurrentIndex(1)
    assert names(page) == ["Crane lease", "Ledger audit"]


def test_search_finds_a_word_inside_a_signed_pdf(
    qtbot: QtBot, page: ArchivePage, archived: ArchiveTemplate
) -> None:
    qtbot.keyClicks(page.search, archived.ledger.word)
    assert names(page) == ["Crane lease", "Ledger audit"]  # debounced: not yet
    qtbot.waitUntil(lambda: names(page) == ["Ledger audit"], timeout=WAIT_MS)
    page.search.setText("nothing-like-this")
    qtbot.waitUntil(lambda: page.empty.isVisible(), timeout=WAIT_MS)
    assert "No archived request matches" in page.empty.text()
    page.search.clear()
    page.apply_filters()
    assert names(page) == ["Crane lease", "Ledger audit"]


def test_verify_all_gives_valid_badges_then_modified_and_missing(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    assert badges(page) == {"Crane lease": "Not checked", "Ledger audit": "Not checked"}
    verify_all(qtbot, page)
    assert badges(page) == {"Crane lease": "Signature valid", "Ledger audit": "Signature valid"}
    assert page.message.text() == "Verified 2 requests."

    flip_byte(files_of(ctx, archived.crane.id)["signed"])
    files_of(ctx, archived.ledger.id)["certificate"].unlink()
    verify_all(qtbot, page)
    assert badges(page) == {"Crane lease": "Modified", "Ledger audit": "Missing"}
    assert page.model.badge(archived.crane.id) is not None
    row = page.model.row_of(archived.ledger.id)
    tooltip = page.model.data(page.model.index(row, BADGE), Qt.ItemDataRole.ToolTipRole)
    assert "certificate.pdf is missing" in str(tooltip)
    assert "modified or missing" in page.message.text()


def test_verify_the_selection_only(
    qtbot: QtBot, page: ArchivePage, archived: ArchiveTemplate
) -> None:
    assert page.show_request(archived.crane.id)
    assert page.selected_ids() == [archived.crane.id]
    with qtbot.waitSignal(page.verifyFinished, timeout=WAIT_MS) as finished:
        page.verify_button.click()
    assert finished.args == [1]
    assert badges(page) == {"Crane lease": "Signature valid", "Ledger audit": "Not checked"}


def test_verify_all_can_be_cancelled(qtbot: QtBot, page: ArchivePage) -> None:
    def cancel_after_the_first_badge(*_args: Any) -> None:
        if any(page.model.badge(r.id) for r in page.model.all_rows):
            page.cancel_verify()

    page.model.dataChanged.connect(cancel_after_the_first_badge)
    with qtbot.waitSignal(page.verifyFinished, timeout=WAIT_MS) as finished:
        page.verify_all()
        assert page.progress.isVisible() and page.cancel_button.isVisible()
    assert finished.args == [1]
    assert sorted(badges(page).values()) == ["Not checked", "Signature valid"]
    assert page.message.text() == "Verification cancelled after 1 of 2 requests."
    assert not page.progress.isVisible() and page.verify_all_button.isEnabled()


def test_the_preview_shows_the_signed_pdf_then_the_certificate(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    files = files_of(ctx, archived.ledger.id)
    with qtbot.waitSignal(
        page.previewChanged, timeout=WAIT_MS, check_params_cb=lambda p: p == str(files["signed"])
    ):
        page.show_request(archived.ledger.id)
    assert page.view.path == files["signed"]
    assert len(page.view.doc_scene.page_items) == archived.ledger.pages == 2
    assert page.preview_stack.currentWidget() is page.view
    assert page.preview_title.text() == "Signed document — Ledger audit"
    qtbot.waitUntil(
        lambda: (
            bool(page.view.pages_visible()) and page.view.doc_scene.page_item(1).image is not None
        ),
        timeout=WAIT_MS,
    )

    with qtbot.waitSignal(
        page.previewChanged,
        timeout=WAIT_MS,
        check_params_cb=lambda p: p == str(files["certificate"]),
    ):
        page.certificate_button.click()
    assert page.view.path == files["certificate"]
    certificate = _mu.open(files["certificate"])
    assert len(page.view.doc_scene.page_items) == certificate.page_count
    certificate.close()
    assert page.preview_title.text() == "Completion certificate — Ledger audit"
    assert page.certificate_button.text() == "Show signed document"
    with qtbot.waitSignal(page.previewChanged, timeout=WAIT_MS):
        page.certificate_button.click()
    assert page.view.path == files["signed"]
    assert page.certificate_button.text() == "Open certificate"


def test_a_missing_signed_pdf_is_said_in_the_preview(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    files_of(ctx, archived.crane.id)["signed"].unlink()
    page.show_request(archived.crane.id)
    assert page.preview_stack.currentWidget() is page.preview_note
    assert "Crane lease-signed.pdf is missing" in page.preview_note.text()


def test_show_in_folder_opens_the_request_folder(
    page: ArchivePage, ctx: Context, archived: ArchiveTemplate, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []

    def fake_open(path: Path) -> bool:
        opened.append(path)
        return True

    monkeypatch.setattr(desktop, "open_folder", fake_open)
    assert not page.folder_button.isEnabled()
    page.show_request(archived.crane.id)
    page.folder_button.click()
    assert opened == [files_of(ctx, archived.crane.id)["signed"].parent]


def test_export_of_the_selection_writes_a_zip_with_a_matching_index(
    qtbot: QtBot,
    page: ArchivePage,
    archived: ArchiveTemplate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dest = tmp_path / "chosen.zip"
    asked: list[Path] = []

    def ask(_parent: Any, suggested: Path) -> Path:
        asked.append(suggested)
        return dest

    monkeypatch.setattr(exporting, "ask_export_path", ask)
    page.select_ids([archived.crane.id, archived.ledger.id])
    assert set(page.selected_ids()) == {archived.crane.id, archived.ledger.id}
    with qtbot.waitSignal(
        page.messageChanged,
        timeout=WAIT_MS,
        check_params_cb=lambda text: text.startswith("Exported"),
    ):
        page.export_button.click()
    assert asked and asked[0].suffix == ".zip"
    assert page.message.text() == f"Exported 2 requests to {dest}."
    with zipfile.ZipFile(dest) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("index.csv").decode("utf-8"))))
        assert {r["id"] for r in rows} == {archived.crane.id, archived.ledger.id}
        for row in rows:
            for kind in ("signed", "certificate"):
                data = zf.read(row[f"{kind}_file"])
                assert hashlib.sha256(data).hexdigest() == row[f"{kind}_sha256"]
            assert json.loads(zf.read(f"{row['folder']}/request.json"))["id"] == row["id"]


def test_a_failing_export_says_why_and_leaves_no_file(
    qtbot: QtBot,
    page: ArchivePage,
    archived: ArchiveTemplate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page.show_request(archived.crane.id)
    missing = tmp_path / "gone" / "export.zip"
    with qtbot.waitSignal(
        page.messageChanged, timeout=WAIT_MS, check_params_cb=lambda text: bool(text)
    ):
        page.export_selected(missing)
    assert "does not exist" in page.message.text()
    assert "color: #c62828" in page.message.styleSheet()
    assert not missing.parent.exists()

    import tempfile

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    locked = tmp_path / "locked"
    locked.mkdir()
    with qtbot.waitSignal(
        page.messageChanged, timeout=WAIT_MS, check_params_cb=lambda text: bool(text)
    ):
        page.export_selected(locked / "export.zip")
    assert "permission denied" in page.message.text()
    assert list(locked.iterdir()) == []
    assert page.export_button.isEnabled()


def test_reindex_after_losing_the_database_rebuilds_the_list_from_the_folder(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    # A third request restored from an old backup: another provider, another year.
    source = files_of(ctx, archived.crane.id)["signed"].parent
    old = ctx.paths.archive_dir / "2023" / "05" / "2023-05-02 Old charter 0ddc0ffe"
    old.parent.mkdir(parents=True)
    shutil.copytree(source, old)
    manifest = json.loads((old / "request.json").read_text("utf-8"))
    manifest.update(
        id="0ddc0ffe-0000-4000-8000-000000000001",
        name="Old charter",
        provider="craftkit",
        completedAt="2023-05-02T10:00:00.000Z",
    )
    manifest["spec"]["name"] = "Old charter"
    # Without the copied certificate, which names the other request (verify would say so).
    (old / manifest["files"].pop("certificate")["name"]).unlink()
    (old / "request.json").write_text(json.dumps(manifest), encoding="utf-8")

    ctx.close()
    for suffix in ("", "-wal", "-shm"):
        (ctx.paths.database.parent / f"sealbox.db{suffix}").unlink(missing_ok=True)
    page.refresh()
    assert page.model.rowCount() == 0 and page.empty.isVisible()
    assert str(ctx.paths.archive_dir) in page.empty.text()
    assert "Nothing archived yet" in page.empty.text()

    with qtbot.waitSignal(
        page.messageChanged,
        timeout=WAIT_MS,
        check_params_cb=lambda text: text.startswith("Reindexed"),
    ):
        page.reindex_button.click()
    assert page.message.text() == f"Reindexed 3 archived requests from {ctx.paths.archive_dir}."
    assert names(page) == ["Crane lease", "Ledger audit", "Old charter"]
    assert page.table.isVisible()

    page.provider_box.setCurrentIndex(page.provider_box.findData("craftkit"))
    assert names(page) == ["Old charter"]
    page.provider_box.setCurrentIndex(0)
    page.year_box.setCurrentIndex(page.year_box.findData("2023"))
    assert names(page) == ["Old charter"]
    page.year_box.setCurrentIndex(0)
    page.search.setText(archived.crane.word)
    page.apply_filters()
    assert names(page) == ["Crane lease", "Old charter"]  # the same signed PDF
    verify_all(qtbot, page)
    assert set(badges(page).values()) == {"Signature valid"}


def test_show_request_clears_filters_that_hide_it(
    page: ArchivePage, archived: ArchiveTemplate
) -> None:
    page.search.setText(archived.crane.word)
    page.apply_filters()
    assert names(page) == ["Crane lease"]
    assert page.show_request(archived.ledger.id)
    assert page.search.text() == "" and page.selected_ids() == [archived.ledger.id]
    assert names(page) == ["Crane lease", "Ledger audit"]
    assert not page.show_request("0000dead-not-archived")


def test_an_empty_archive_says_where_the_folder_is(
    qtbot: QtBot, home: Path, bridge: AsyncBridge
) -> None:
    context = Context.from_environment()
    widget = ArchivePage(context, bridge)
    qtbot.addWidget(widget)
    widget.show()
    try:
        assert widget.empty.isVisible() and not widget.table.isVisible()
        assert str(context.paths.archive_dir) in widget.empty.text()
        assert not widget.verify_all_button.isEnabled() and not widget.export_button.isEnabled()
    finally:
        widget.shutdown()
        context.close()


# --- the signature panel ----------------------------------------------------------------------


def click_row(qtbot: QtBot, page: ArchivePage, request_id: str) -> None:
    """Click the request's row in the table, as a user selects it."""
    index = page.model.index(page.model.row_of(request_id), 0)
    page.table.scrollTo(index)
    rect = page.table.visualRect(index)
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _click_row(panel: Any, number: int) -> None:
    item = panel.signature_item(number)
    assert item is not None
    rect = panel.tree.visualItemRect(item)
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_signature_panel_shows_the_seal_of_the_selected_request(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    panel = page.signature_panel
    with qtbot.waitSignal(panel.loaded, timeout=WAIT_MS) as loaded:
        click_row(qtbot, page, archived.ledger.id)
    assert loaded.args == [1]
    assert panel.isVisible()
    [title] = top_texts(panel)
    assert title.startswith("Signature 1: valid and trusted (Sealbox seal")
    seal = panel.signature_item(1)
    lines = child_texts(seal)
    assert lines[0].startswith("Signed by: CN=Sealbox seal")
    assert [line.rsplit(" — ", 1)[1] for line in child_texts(child(seal, 2))] == [
        f"trusted (until {d})" for d in _not_after(panel)
    ]
    assert "Covers: the whole file" in lines
    assert "On page 1 (not shown on the page)" in lines  # the seal has no visible field
    assert panel.status.text() == "1 signature: all valid and trusted."
    # What other readers show follows where the root is trusted from: this installation's.
    assert panel.other_readers.isVisible()
    assert "until they import this installation's root" in panel.other_readers.text()

    # A click goes to the seal's page.
    page.view.go_to_page(2)
    qtbot.waitUntil(lambda: page.view.current_page() == 2, timeout=WAIT_MS)
    _click_row(panel, 1)
    qtbot.waitUntil(lambda: page.view.current_page() == 1, timeout=WAIT_MS)

    # The signed version is the whole file here (nothing came after the seal).
    QTest.mouseClick(panel.signed_button, Qt.MouseButton.LeftButton)
    [window] = panel.signed_windows
    with qtbot.waitSignal(window.ready, timeout=WAIT_MS) as ready:
        pass
    assert ready.args == [archived.ledger.pages]
    assert window.path is not None
    assert window.path.read_bytes() == files_of(ctx, archived.ledger.id)["signed"].read_bytes()
    window.close()


def test_the_signature_panel_says_a_document_was_modified_after_signing(
    qtbot: QtBot, page: ArchivePage, ctx: Context, archived: ArchiveTemplate
) -> None:
    signed = files_of(ctx, archived.crane.id)["signed"]
    doc = _mu.open(signed)
    doc[0].add_text_annot((100, 100), "Changed afterwards")
    doc.saveIncr()
    doc.close()
    panel = page.signature_panel
    with qtbot.waitSignal(panel.loaded, timeout=WAIT_MS):
        click_row(qtbot, page, archived.crane.id)
    assert top_texts(panel) == ["Signature 1: the document was modified after signing"]
    lines = child_texts(panel.signature_item(1))
    assert "Covers: later revisions added: annotations" in lines
    assert panel.status.text() == "1 signature: at least one no longer matches the document."


def _not_after(panel: Any) -> list[str]:
    assert panel.details is not None
    return [f"{c.not_after:%d %B %Y}" for c in panel.details.signatures[0].chain]


def test_verify_all_checks_in_a_process_of_its_own_and_writes_the_store_once(
    qtbot: QtBot,
    page: ArchivePage,
    ctx: Context,
    archived: ArchiveTemplate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The window must not stall while the archive is verified: the signatures are validated
    in another process (in a thread they hold the interpreter's lock for tens of ms at a time)
    and the badges are kept in one transaction (a write each synced the disk each time)."""
    monkeypatch.setattr(verifying, "KEEP_EVERY_S", 3600.0)  # one write, at the end
    commits: list[str] = []
    store = ctx.store
    assert isinstance(store, SqliteStore)  # the test's store is this desk's SQLite file
    store.database.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql.strip().upper().startswith("COMMIT") else None
    )
    before = len(multiprocessing.active_children())
    try:
        verify_all(qtbot, page)
    finally:
        store.database.conn.set_trace_callback(None)
    assert set(badges(page).values()) == {"Signature valid"}
    assert len(commits) == 1, commits
    assert len(multiprocessing.active_children()) == before + 1  # the verification process
    page.close_verify_pool()
    assert len(multiprocessing.active_children()) == before
    # Kept: a new model reads the badges back from the store.
    model = ArchiveModel(ctx)
    model.refresh()
    assert {b.state for b in model.badges.values()} == {"valid"}
