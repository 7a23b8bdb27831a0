"""The editor's side panels: recipients, anchors, field properties, pre-send check, request form.

Every panel changes the document only through ``Editing.perform`` and follows it back, so these
tests drive the widgets the way a person does and then check the document, the undo stack and
what the widgets show after undo and redo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.editing import EditorDocument
from app.domain.geometry import PageGeometry
from app.domain.model import AnchorTag, Designation, Field, FieldType, Recipient
from app.services.checks import Problem, Target
from app.ui.commands import Editing
from app.ui.editor.anchor_model import (
    ANCHOR_ROLE,
    COUNT_ROLE,
    MATCHES,
    RECIPIENT,
    TEXT,
    TYPE,
    AnchorsModel,
)
from app.ui.editor.anchors import AnchorsPanel
from app.ui.editor.preflight import TARGET_ROLE, PreflightModel, PreflightPanel
from app.ui.editor.properties import MIXED, PropertiesPanel
from app.ui.editor.recipient_model import INDEX_ROLE, RECIPIENT_ROLE, RecipientsModel
from app.ui.editor.recipients import RecipientsPanel
from app.ui.editor.request_form import RequestForm
from app.ui.style import RECIPIENT_PALETTE, recipient_color

# A model that breaks Qt's rules makes Qt's own tester print a warning: that fails the test.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]

PAGES = [PageGeometry.plain(1, 612, 792), PageGeometry.plain(2, 612, 792)]
LEFT = Qt.MouseButton.LeftButton


def people() -> EditorDocument:
    doc = EditorDocument(pages=list(PAGES))
    doc.set_meta(name="Charter handover — BK-12345")
    doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    doc.add_recipient(Recipient("Carl", "Coe", "carl@example.com", Designation.CC))
    doc.add_recipient(Recipient("Bob", "Roe", "bob@example.com"))
    return doc


@pytest.fixture
def editing() -> Iterator[Editing]:
    editing = Editing(EditorDocument(pages=list(PAGES)))
    yield editing
    editing.stack.clear()


def qt_tester(model: QAbstractItemModel) -> QAbstractItemModelTester:
    """Qt's own model tester as well as pytest-qt's (it reports through warnings)."""
    return QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)


def on_box(check: QCheckBox) -> QPoint:
    """Where a person clicks a check box: on its box (the widget may be wider than its text)."""
    return QPoint(8, check.height() // 2)


def undo_all(editing: Editing) -> None:
    while editing.stack.canUndo():
        editing.stack.undo()


def redo_all(editing: Editing) -> None:
    while editing.stack.canRedo():
        editing.stack.redo()


# --- colours ---------------------------------------------------------------------------------


def _luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def _contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)))
    return (lb + 0.05) / (la + 0.05)


def test_twenty_recipient_colours_that_read_on_light_and_dark() -> None:
    colours = [recipient_color(i) for i in range(20)]
    assert len({c.name() for c in colours}) == 20 == len(RECIPIENT_PALETTE)
    assert recipient_color(20) == recipient_color(0)
    for colour in colours:
        assert _contrast(colour, QColor("white")) >= 2.7, colour.name()
        assert _contrast(colour, QColor("#202020")) >= 2.2, colour.name()


# --- models ----------------------------------------------------------------------------------


def test_recipients_model(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    doc = people()
    model = RecipientsModel(doc)
    keep = qt_tester(model)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3
    first = model.index(0)
    assert first.data() == "Jane Doe <jane@example.com>"
    assert first.data(INDEX_ROLE) == 0
    assert first.data(RECIPIENT_ROLE) == doc.recipients[0]
    assert not first.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index(1).data(Qt.ItemDataRole.ToolTipRole).startswith("CC · 2nd in the signing")
    assert model.index(2).data(Qt.ItemDataRole.ToolTipRole) == "Signer · 3rd in the signing order"

    # Every kind of change, with both testers watching.
    doc.add_recipient(Recipient("", "", ""))
    assert model.index(3).data() == "Recipient 4 (no name yet)"
    doc.update_recipient(3, Recipient("", "", "x@example.com"))
    assert model.index(3).data() == "Recipient 4 (no name yet) <x@example.com>"
    doc.move_recipient(3, 0)
    assert model.index(0).data() == "Recipient 1 (no name yet) <x@example.com>"
    doc.remove_recipient(1)
    assert [model.index(i).data() for i in range(model.rowCount())] == [
        "Recipient 1 (no name yet) <x@example.com>",
        "Carl Coe <carl@example.com>",
        "Bob Roe <bob@example.com>",
    ]
    doc.load(doc.to_spec())
    assert model.rowCount() == 3
    del keep


def test_recipients_model_moves_by_request(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    doc = people()
    model = RecipientsModel(doc)
    qtmodeltester.check(model, force_py=True)
    moves: list[tuple[int, int]] = []
    model.moveRequested.connect(lambda a, b: moves.append((a, b)))
    # Qt's destination counts rows before the move: row 0 to the end is "before row 3".
    assert model.moveRow(QModelIndex(), 0, QModelIndex(), 3)
    assert model.moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert not model.moveRow(QModelIndex(), 1, QModelIndex(), 2)  # onto itself
    assert moves == [(0, 2), (2, 0)]
    assert model.supportedDropActions() == Qt.DropAction.MoveAction
    assert model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled


def test_anchors_model(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    doc = people()
    doc.add_anchor(AnchorTag("{{sign_jane}}", FieldType.SIGNATURE, 0))
    doc.add_anchor(AnchorTag("{{bob}}", FieldType.INITIALS, 2, 80, 30))
    model = AnchorsModel(doc)
    keep = qt_tester(model)
    qtmodeltester.check(model, force_py=True)
    model.set_counts({"{{sign_jane}}": 2, "{{bob}}": 0})
    assert (model.rowCount(), model.columnCount()) == (2, 5)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == [
        "Text",
        "Type",
        "Recipient",
        "Size",
        "Matches",
    ]
    row = [model.index(1, c).data() for c in range(5)]
    assert row == ["{{bob}}", "Initials", "Bob", "80 × 30", "0"]
    assert model.index(0, 3).data() == "180 × 48"
    assert model.index(1, RECIPIENT).data(Qt.ItemDataRole.ToolTipRole) == "Bob Roe"
    assert model.index(1, 0).data(ANCHOR_ROLE) == doc.anchors[1]
    assert model.index(1, 0).data(COUNT_ROLE) == 0
    doc.add_anchor(AnchorTag("{{more}}", FieldType.DATE, 0))
    assert model.index(2, MATCHES).data() == "…"  # not counted yet
    doc.update_anchor(2, AnchorTag("{{later}}", FieldType.DATE, 0))
    doc.move_recipient(2, 0)
    assert model.index(1, RECIPIENT).data() == "Bob"
    doc.remove_anchor(0)
    doc.remove_recipient(0)
    assert model.rowCount() == 1
    del keep


def test_preflight_model(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = PreflightModel()
    keep = qt_tester(model)
    qtmodeltester.check(model, force_py=True)
    problems = [
        Problem(("name",), "Request name: must not be empty", Target("request")),
        Problem(
            ("fields", 0), "Field 1 (signature, page 1): lies outside page 1", Target("field", 7)
        ),
    ]
    model.set_problems(problems)
    assert model.rowCount() == 2
    index = model.index(1)
    assert index.data() == problems[1].message
    assert index.data(TARGET_ROLE) == Target("field", 7)
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()
    model.set_problems(problems[:1])
    model.set_problems([])
    assert model.rowCount() == 0
    del keep


# --- recipients panel ------------------------------------------------------------------------


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    """Replace the text by typing ``text``, then press Return (the way a typing run ends)."""
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def recipients_panel(
    qtbot: QtBot, editing: Editing, completions: list[tuple[str, str, str]] | None = None
) -> RecipientsPanel:
    panel = RecipientsPanel(editing, completions or [])
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_add_edit_reorder_and_remove_recipients(qtbot: QtBot, editing: Editing) -> None:
    doc = editing.doc
    panel = recipients_panel(qtbot, editing)
    start = doc.snapshot()
    assert panel.current() == -1 and not panel.remove_button.isEnabled()

    with qtbot.waitSignal(panel.currentRecipientChanged) as chosen:
        qtbot.mouseClick(panel.add_button, LEFT)
    assert chosen.args == [0]
    assert doc.recipients == [Recipient("", "", "", Designation.SIGNER, 1)]
    qtbot.keyClicks(panel.first_edit, "Jane")
    assert doc.recipients[0].first_name == ""  # nothing is committed key by key
    qtbot.keyClick(panel.first_edit, Qt.Key.Key_Return)
    type_into(qtbot, panel.last_edit, "Doe")
    type_into(qtbot, panel.email_edit, "jane@example.com")
    assert doc.recipients == [Recipient("Jane", "Doe", "jane@example.com")]
    assert editing.stack.count() == 4  # add, first name, last name, email
    assert panel.model.index(0).data() == "Jane Doe <jane@example.com>"

    qtbot.mouseClick(panel.add_button, LEFT)
    assert panel.current() == 1
    type_into(qtbot, panel.first_edit, "Bob")
    type_into(qtbot, panel.email_edit, "bob@example.com")
    qtbot.keyClick(panel.designation, Qt.Key.Key_Down)  # Signer → Approver
    assert doc.recipients[1] == Recipient("Bob", "", "bob@example.com", Designation.APPROVER, 2)
    editing.perform(
        "Add field", lambda d: d.add_fields([Field(0, FieldType.SIGNATURE, 1, 72, 650, 180, 48)])
    )
    before_move = doc.snapshot()

    # Bob signs first: the up arrow, and Jane's field follows her to index 1.
    with qtbot.waitSignal(panel.currentRecipientChanged) as chosen:
        qtbot.mouseClick(panel.up_button, LEFT)
    assert chosen.args == [0]
    assert [r.first_name for r in doc.recipients] == ["Bob", "Jane"]
    assert [r.order for r in doc.recipients] == [1, 2]
    assert [f.recipient_index for _, f in doc.fields()] == [1]
    assert not panel.up_button.isEnabled() and panel.down_button.isEnabled()
    after_move = doc.snapshot()
    editing.stack.undo()
    assert doc.snapshot() == before_move
    editing.stack.redo()
    assert doc.snapshot() == after_move

    # Remove Jane (now second) with her field.
    panel.set_current(1)
    assert panel.first_edit.text() == "Jane"
    qtbot.mouseClick(panel.remove_button, LEFT)
    assert [r.first_name for r in doc.recipients] == ["Bob"] and len(doc) == 0
    assert panel.current() == 0 and panel.first_edit.text() == "Bob"
    end = doc.snapshot()

    undo_all(editing)
    assert doc.snapshot() == start
    assert panel.model.rowCount() == 0 and panel.current() == -1
    assert not panel.details.isEnabled()
    redo_all(editing)
    assert doc.snapshot() == end
    assert panel.model.rowCount() == 1 and panel.first_edit.text() == "Bob"


def test_undo_updates_the_form(qtbot: QtBot, editing: Editing) -> None:
    editing.doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    panel = recipients_panel(qtbot, editing)
    assert panel.current() == 0 and panel.first_edit.text() == "Jane"
    type_into(qtbot, panel.first_edit, "Janet")
    assert editing.doc.recipients[0].first_name == "Janet"
    editing.stack.undo()
    assert panel.first_edit.text() == "Jane"
    assert panel.model.index(0).data() == "Jane Doe <jane@example.com>"
    editing.stack.redo()
    assert panel.first_edit.text() == "Janet"


def test_down_button_and_drag_reorder(qtbot: QtBot) -> None:
    editing = Editing(people())
    panel = recipients_panel(qtbot, editing)
    panel.set_current(0)
    qtbot.mouseClick(panel.down_button, LEFT)
    assert [r.first_name for r in editing.doc.recipients] == ["Carl", "Jane", "Bob"]
    assert panel.current() == 1
    # A drop in the list is Qt's moveRow: it becomes one undoable move.
    assert panel.model.moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert [r.first_name for r in editing.doc.recipients] == ["Bob", "Carl", "Jane"]
    assert panel.current() == 0 and panel.first_edit.text() == "Bob"
    editing.stack.undo()
    assert [r.first_name for r in editing.doc.recipients] == ["Carl", "Jane", "Bob"]


def test_a_completion_fills_in_the_person(qtbot: QtBot, editing: Editing) -> None:
    panel = recipients_panel(
        qtbot,
        editing,
        [("Jane", "Doe", "jane@example.com"), ("John", "Smith", "john@corp.example")],
    )
    qtbot.mouseClick(panel.add_button, LEFT)
    panel.email_edit.setFocus()
    qtbot.keyClicks(panel.email_edit, "jan")
    completer = panel.email_edit.completer()
    popup = completer.popup()
    assert popup is not None
    qtbot.waitUntil(popup.isVisible)
    assert completer.completionCount() == 1
    assert completer.completionModel().index(0, 0).data() == "Jane Doe <jane@example.com>"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert editing.doc.recipients == [Recipient("Jane", "Doe", "jane@example.com")]
    assert (panel.first_edit.text(), panel.last_edit.text()) == ("Jane", "Doe")
    assert editing.stack.count() == 2  # add, then the whole person in one step
    editing.stack.undo()
    assert editing.doc.recipients == [Recipient("", "", "")]
    assert panel.first_edit.text() == "" and panel.email_edit.text() == ""


def test_an_invalid_email_is_shown_under_the_email(qtbot: QtBot, editing: Editing) -> None:
    panel = recipients_panel(qtbot, editing)
    qtbot.mouseClick(panel.add_button, LEFT)
    # A recipient just added is blank, not wrong: no red yet.
    assert panel.first.error.isHidden() and panel.email.error.isHidden()
    type_into(qtbot, panel.email_edit, "jane@example")
    assert not panel.email.error.isHidden()
    assert panel.email.error.text() == "Not an email address ('jane@example')"
    assert panel.email.error.geometry().top() > panel.email_edit.geometry().bottom()
    # Now the first name is missing too, and says so under the first name.
    assert panel.first.error.text() == "Must not be empty"
    type_into(qtbot, panel.email_edit, "jane@example.com")
    assert panel.email.error.isHidden()
    type_into(qtbot, panel.first_edit, "Jane")
    assert panel.first.error.isHidden()


# --- anchors panel ---------------------------------------------------------------------------


class FakeCount:
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.calls: list[str] = []

    def __call__(self, text: str) -> int:
        self.calls.append(text)
        return self.counts.get(text, 0)


def anchors_panel(qtbot: QtBot, editing: Editing, count: Callable[[str], int]) -> AnchorsPanel:
    panel = AnchorsPanel(editing, count)
    qtbot.addWidget(panel)
    panel.resize(480, 600)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_adding_anchors_counts_matches(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    editing = Editing(people())
    doc = editing.doc
    count = FakeCount({"{{sign}}": 2})
    panel = anchors_panel(qtbot, editing, count)
    qtmodeltester.check(panel.model, force_py=True)
    # CCs sign nothing, so they cannot be given an anchor.
    combo = panel.recipient_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["Jane Doe", "Bob Roe"]
    assert not panel.add_button.isEnabled()

    with qtbot.waitSignal(panel.searchTextChanged) as search:
        qtbot.keyClicks(panel.text_edit, "{{sign}}")
    assert search.args == ["{{sign}}"]
    assert count.calls == ["{{sign}}"]  # once for the typing run, not once per key
    assert panel.count_label.text() == "2 matches"
    assert (panel.width_spin.value(), panel.height_spin.value()) == (180, 48)
    qtbot.mouseClick(panel.add_button, LEFT)
    assert doc.anchors == [AnchorTag("{{sign}}", FieldType.SIGNATURE, 0)]
    assert panel.text_edit.text() == ""
    assert panel.model.index(0, MATCHES).data() == "2"

    # A required anchor that is not in the document is flagged.
    qtbot.keyClicks(panel.text_edit, "{{bob}}")
    panel.type_combo.setCurrentIndex(panel.type_combo.findData(FieldType.INITIALS))
    assert (panel.width_spin.value(), panel.height_spin.value()) == (72, 36)
    panel.recipient_combo.setCurrentIndex(1)
    with qtbot.waitSignal(panel.searchTextChanged):
        pass
    assert panel.count_label.text() == "No matches"
    qtbot.mouseClick(panel.add_button, LEFT)
    assert doc.anchors[1] == AnchorTag("{{bob}}", FieldType.INITIALS, 2)
    missing = panel.model.index(1, MATCHES)
    assert missing.data() == "0"
    assert missing.data(Qt.ItemDataRole.ForegroundRole) == QColor("#d32f2f")
    assert not missing.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert missing.data(Qt.ItemDataRole.ToolTipRole) == "Not found in the document"
    assert panel.model.index(0, MATCHES).data(Qt.ItemDataRole.DecorationRole) is None

    # An optional one is not. (The form keeps the type and recipient for the next anchor.)
    qtbot.keyClicks(panel.text_edit, "{{maybe}}")
    qtbot.mouseClick(panel.required_check, LEFT, pos=on_box(panel.required_check))
    qtbot.mouseClick(panel.add_button, LEFT)
    assert doc.anchors[2] == AnchorTag(
        "{{maybe}}", FieldType.INITIALS, 2, required=False, ignore_if_not_present=True
    )
    assert panel.model.index(2, MATCHES).data(Qt.ItemDataRole.DecorationRole) is None
    assert panel.model.index(2, TEXT).data(Qt.ItemDataRole.CheckStateRole) == (
        Qt.CheckState.Unchecked
    )
    assert editing.stack.count() == 3


def test_editing_and_removing_anchor_rows(qtbot: QtBot) -> None:
    doc = people()
    doc.add_anchor(AnchorTag("{{sign}}", FieldType.SIGNATURE, 0))
    editing = Editing(doc)
    count = FakeCount({"{{sign}}": 1, "{{sign_here}}": 4})
    panel = anchors_panel(qtbot, editing, count)
    model = panel.model
    start = doc.snapshot()

    assert model.setData(model.index(0, TEXT), "{{sign_here}}")
    assert doc.anchors[0].anchor_string == "{{sign_here}}"
    assert model.index(0, MATCHES).data() == "4"
    assert model.setData(model.index(0, TYPE), "date")
    assert doc.anchors[0].type == FieldType.DATE
    assert not model.setData(model.index(0, TYPE), "dropdown")  # anchors cannot place those
    assert model.setData(model.index(0, RECIPIENT), 2)
    assert doc.anchors[0].recipient_index == 2
    assert model.setData(model.index(0, 3), "200 x 30")
    assert (doc.anchors[0].width, doc.anchors[0].height) == (200, 30)
    assert not model.setData(model.index(0, 3), "wide")
    assert model.setData(
        model.index(0, TEXT), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    assert (doc.anchors[0].required, doc.anchors[0].ignore_if_not_present) == (False, True)
    assert editing.stack.count() == 5
    edited = doc.snapshot()

    # The table's own editor for the type column is a combo of the anchor types.
    panel.table.edit(model.index(0, TYPE))
    combo = panel.table.findChild(QComboBox)
    assert combo is not None
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Signature",
        "Initials",
        "Text",
        "Date",
        "Checkbox",
    ]
    combo.setCurrentIndex(combo.findData("checkbox"))
    panel.table.commitData(combo)
    assert doc.anchors[0].type.value == "checkbox"
    assert editing.stack.count() == 6
    editing.stack.undo()
    assert doc.snapshot() == edited

    with qtbot.waitSignal(panel.searchTextChanged) as search:
        panel.select(0)  # the selected anchor's matches are highlighted on the page
    assert search.args == ["{{sign_here}}"]
    qtbot.mouseClick(panel.remove_button, LEFT)
    assert doc.anchors == [] and model.rowCount() == 0
    editing.stack.undo()
    assert doc.snapshot() == edited and model.rowCount() == 1
    undo_all(editing)
    assert doc.snapshot() == start
    assert model.index(0, 0).data() == "{{sign}}"

    count.counts["{{sign}}"] = 5
    calls = len(count.calls)
    panel.refresh_counts()
    assert count.calls[calls:] == ["{{sign}}"]
    assert model.index(0, MATCHES).data() == "5"


# --- properties panel ------------------------------------------------------------------------


def two_dropdowns() -> tuple[Editing, list[int]]:
    doc = people()
    ids = doc.add_fields(
        [
            Field(0, FieldType.DROPDOWN, 1, 72, 100, 120, 20, options=("Yes", "No")),
            Field(2, FieldType.DROPDOWN, 2, 72, 300, 120, 20, options=("Yes", "No")),
            Field(0, FieldType.SIGNATURE, 1, 72, 650, 180, 48),
        ]
    )
    return Editing(doc), ids


def properties_panel(qtbot: QtBot, editing: Editing) -> PropertiesPanel:
    panel = PropertiesPanel(editing)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_properties_of_one_field(qtbot: QtBot) -> None:
    editing, (a, _b, c) = two_dropdowns()
    panel = properties_panel(qtbot, editing)
    assert panel.pages.currentWidget() is panel.empty
    panel.set_selection([c])
    assert panel.field_box.title() == "Signature field"
    assert panel.recipient_combo.currentText() == "Jane Doe"
    assert panel.type_combo.currentData() == FieldType.SIGNATURE
    assert panel.required_check.isChecked()
    assert (panel.spins["x"].value(), panel.spins["height"].value()) == (72, 48)
    assert panel.page_spin.value() == 1
    assert panel.options_box.isHidden()

    panel.set_supported(frozenset({FieldType.SIGNATURE, FieldType.TEXT}), "ItaSign")
    texts = [panel.type_combo.itemText(i) for i in range(panel.type_combo.count())]
    assert texts[0] == "Signature" and "Dropdown (not supported by ItaSign)" in texts
    assert panel.type_combo.currentData() == FieldType.SIGNATURE

    # Stepping a spin box is one run: one undo step, and the field stays on its page.
    panel.spins["x"].stepUp()
    panel.spins["x"].stepUp()
    assert editing.doc.field(c).x == 74
    assert editing.stack.count() == 1
    panel.spins["y"].setValue(790)
    assert editing.doc.field(c).y == 792 - 48
    assert panel.spins["y"].value() == 744
    assert editing.stack.count() == 2
    editing.stack.undo()
    editing.stack.undo()
    assert panel.spins["x"].value() == 72 and editing.doc.field(c).x == 72

    # The type: a dropdown gets options to start from, and back to text drops them.
    panel.type_combo.setCurrentIndex(panel.type_combo.findData(FieldType.CHECKBOX))
    qtbot.keyClick(panel.type_combo, Qt.Key.Key_Down)  # Checkbox → Dropdown, one step
    assert editing.doc.field(c).type == FieldType.DROPDOWN
    assert editing.doc.field(c).options == ("Option 1", "Option 2")
    assert not panel.options_box.isHidden()
    panel.set_selection([a])
    assert panel.recipient_combo.currentText() == "Jane Doe"
    # A CC cannot be given a field: shown, but not choosable.
    assert panel.recipient_combo.itemText(1) == "Carl Coe (CC, signs nothing)"


def test_several_fields_change_in_one_step(qtbot: QtBot) -> None:
    editing, (a, b, _c) = two_dropdowns()
    doc = editing.doc
    panel = properties_panel(qtbot, editing)
    panel.set_selection([a, b])
    assert panel.field_box.title() == "2 dropdown fields"
    assert panel.recipient_combo.currentIndex() == -1
    assert panel.recipient_combo.placeholderText() == MIXED
    assert panel.page_spin.text() == MIXED
    assert panel.spins["x"].value() == 72  # shared
    assert panel.spins["y"].text() == MIXED
    start = doc.snapshot()

    qtbot.mouseClick(panel.required_check, LEFT, pos=on_box(panel.required_check))
    assert [doc.field(i).required for i in (a, b)] == [False, False]
    assert editing.stack.count() == 1

    qtbot.keyClicks(panel.label_edit, "Agree?")
    assert [doc.field(i).label for i in (a, b)] == ["Agree?", "Agree?"]
    assert editing.stack.count() == 2  # the typing run is one step

    qtbot.mouseClick(panel.add_option_button, LEFT)
    assert [doc.field(i).options for i in (a, b)] == [("Yes", "No", "Option 3")] * 2
    assert editing.stack.count() == 3
    panel.options_list.item(0).setText("Yes, I agree")
    assert [doc.field(i).options for i in (a, b)] == [("Yes, I agree", "No", "Option 3")] * 2
    assert editing.stack.count() == 4
    panel.options_list.setCurrentRow(1)
    qtbot.mouseClick(panel.remove_option_button, LEFT)
    assert doc.field(a).options == ("Yes, I agree", "Option 3")
    assert editing.stack.count() == 5

    # Undo shows in the panel, step by step.
    editing.stack.undo()
    assert panel.options_list.count() == 3
    editing.stack.undo()
    assert panel.options_list.item(0).text() == "Yes"
    editing.stack.undo()
    assert panel.options_list.count() == 2
    editing.stack.undo()
    assert panel.label_edit.text() == "" and doc.field(a).label is None
    editing.stack.undo()
    assert panel.required_check.isChecked()
    assert doc.snapshot() == start

    # After an undo, typing starts a new step rather than joining the undone one.
    qtbot.keyClicks(panel.label_edit, "A")
    editing.stack.undo()
    qtbot.keyClicks(panel.label_edit, "B")
    assert editing.stack.count() == 1 and doc.field(a).label == "B"


def test_mixed_required_becomes_required(qtbot: QtBot) -> None:
    editing, (a, b, _c) = two_dropdowns()
    editing.doc.update_fields(
        {
            a: Field(
                0, FieldType.DROPDOWN, 1, 72, 100, 120, 20, required=False, options=("Yes", "No")
            )
        }
    )
    panel = properties_panel(qtbot, editing)
    panel.set_selection([a, b])
    assert panel.required_check.checkState() == Qt.CheckState.PartiallyChecked
    qtbot.mouseClick(panel.required_check, LEFT, pos=on_box(panel.required_check))
    assert [editing.doc.field(i).required for i in (a, b)] == [True, True]
    assert panel.required_check.checkState() == Qt.CheckState.Checked


def test_a_deleted_field_leaves_the_selection(qtbot: QtBot) -> None:
    editing, (a, b, _c) = two_dropdowns()
    panel = properties_panel(qtbot, editing)
    panel.set_selection([a, b])
    editing.perform("Delete", lambda d: d.remove_fields([a]))
    assert panel.selection() == [b]
    assert panel.field_box.title() == "Dropdown field"
    editing.perform("Delete", lambda d: d.remove_fields([b]))
    assert panel.pages.currentWidget() is panel.empty


# --- preflight panel -------------------------------------------------------------------------


def test_preflight_panel(qtbot: QtBot) -> None:
    panel = PreflightPanel()
    qtbot.addWidget(panel)
    panel.resize(340, 400)
    panel.show()
    qtbot.waitExposed(panel)
    assert "Ready to send" in panel.summary.text() and panel.list.isHidden()

    problems = [
        Problem(
            ("recipients", 0, "email"),
            "Jane Doe's email: not an email address ('jane@')",
            Target("recipient", 0),
        ),
        Problem(
            ("fields", 1),
            "Field 2 (signature, page 1): lies outside page 1 (612 × 792 "
            "pt), and this sentence is long enough to need a second line in a narrow panel",
            Target("field", 9),
        ),
    ]
    panel.set_problems(problems)
    assert "2 problems to fix before sending" in panel.summary.text()
    assert not panel.list.isHidden() and panel.model.rowCount() == 2
    # The long message is wrapped, not cut off.
    short = panel.list.visualRect(panel.model.index(0))
    long = panel.list.visualRect(panel.model.index(1))
    assert long.height() > short.height()

    with qtbot.waitSignal(panel.problemActivated) as activated:
        qtbot.mouseClick(panel.list.viewport(), LEFT, pos=long.center())
    assert activated.args == [Target("field", 9)]
    panel.list.setCurrentIndex(panel.model.index(0))
    panel.list.setFocus()
    with qtbot.waitSignal(panel.problemActivated) as activated:
        qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert activated.args == [Target("recipient", 0)]

    panel.set_problems(problems[:1])
    assert "1 problem to fix before sending" in panel.summary.text()
    panel.set_problems([])
    assert "Ready to send" in panel.summary.text() and panel.list.isHidden()


# --- request form ----------------------------------------------------------------------------


def test_request_form_typing_runs(qtbot: QtBot, editing: Editing) -> None:
    doc = editing.doc
    doc.set_meta(name="Charter", message="", expiration_hours=168)
    form = RequestForm(editing)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    assert (form.name_edit.text(), form.days_spin.value()) == ("Charter", 7)
    assert form.name_edit.placeholderText() and form.message_edit.placeholderText()

    form.name_edit.end(False)
    qtbot.keyClicks(form.name_edit, " handover")
    assert doc.name == "Charter handover"
    assert editing.stack.count() == 1
    qtbot.keyClicks(form.message_edit, "Please sign by Friday.")
    assert doc.message == "Please sign by Friday."
    assert editing.stack.count() == 2
    form.days_spin.stepUp()
    form.days_spin.stepUp()
    assert doc.expiration_hours == 9 * 24
    assert editing.stack.count() == 3

    editing.stack.undo()
    assert form.days_spin.value() == 7 and doc.expiration_hours == 168
    editing.stack.undo()
    assert form.message_edit.toPlainText() == "" and doc.message == ""
    editing.stack.undo()
    assert form.name_edit.text() == "Charter" and doc.name == "Charter"
    editing.stack.redo()
    assert form.name_edit.text() == "Charter handover"

    # An empty name is said under the name.
    form.name_edit.selectAll()
    qtbot.keyClick(form.name_edit, Qt.Key.Key_Delete)
    assert not form.name_error.isHidden() and form.name_error.text() == "Must not be empty"
    qtbot.keyClicks(form.name_edit, "X")
    assert form.name_error.isHidden()


def test_request_form_shows_hours_that_are_not_whole_days(qtbot: QtBot, editing: Editing) -> None:
    editing.doc.set_meta(expiration_hours=36)
    form = RequestForm(editing)
    qtbot.addWidget(form)
    assert form.days_spin.value() == 2
    assert form.hours_note.text() == "currently 36 hours"
    assert editing.doc.expiration_hours == 36  # showing it changes nothing
    assert editing.stack.count() == 0
    form.days_spin.setValue(3)
    assert editing.doc.expiration_hours == 72 and form.hours_note.text() == ""
