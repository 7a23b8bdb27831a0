"""The editor's right-hand panel: everything about the request beside the pages.

Four tabs, each scrolling on its own so that every one is usable in a small window (1024×700):
**Recipients** (the request's name, message and expiry, then who signs, in order), **Fields**
(whom new fields are for, the palette, and the selected fields' properties), **Anchors** and
**Check**. Under the tabs, always in view whatever the window's height: the provider chooser,
the check's result (a click opens Check) and Send.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.editing import Change, EditorDocument
from app.domain.model import Designation
from app.providers import registry
from app.services.checks import Problem, recipient_label
from app.ui.editor.common import follow_document, swatch_icon
from app.ui.editor.preflight import ready_icon

RECIPIENTS_TAB, FIELDS_TAB, ANCHORS_TAB, CHECK_TAB = range(4)
SIDE_MIN_WIDTH = 330


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area that scrolls up and down only."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


def boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    inner = QVBoxLayout(box)
    inner.setContentsMargins(8, 6, 8, 8)
    inner.addWidget(widget)
    return box


def check_summary(problems: Sequence[Problem]) -> tuple[str, bool]:
    """The check's result in a few words, and whether the request can be sent."""
    errors = sum(1 for p in problems if not p.is_warning)
    warnings = len(problems) - errors
    text = f"{errors} problem{'s' if errors != 1 else ''} to fix" if errors else "Ready to send"
    if warnings:
        text += f" · {warnings} warning{'s' if warnings != 1 else ''}"
    return text, not errors


class SidePanel(QWidget):
    """The tabs and the send footer. The editor owns the panels it is given."""

    #: The user picked whom new fields are for (a recipient index).
    recipientChosen = Signal(int)

    def __init__(
        self,
        doc: EditorDocument,
        request_form: QWidget,
        recipients: QWidget,
        palette: QWidget,
        properties: QWidget,
        anchors: QWidget,
        check: QWidget,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setMinimumWidth(SIDE_MIN_WIDTH)

        # Recipients tab: the request, then its recipients.
        people = QWidget()
        people_layout = QVBoxLayout(people)
        people_layout.setContentsMargins(6, 6, 6, 6)
        people_layout.setSpacing(8)
        people_layout.addWidget(boxed("Request", request_form))
        people_layout.addWidget(boxed("Recipients", recipients))
        people_layout.addStretch(1)

        fields = self._fields_tab(palette, properties)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(False)
        self.tabs.addTab(scrolled(people), "Recipients")
        self.tabs.addTab(scrolled(fields), "Fields")
        self.tabs.addTab(scrolled(anchors), "Anchors")
        self.tabs.addTab(scrolled(check), "Check")
        self._pages = {
            RECIPIENTS_TAB: people,
            FIELDS_TAB: fields,
            ANCHORS_TAB: anchors,
            CHECK_TAB: check,
        }

        footer = self._build_footer()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(footer)

        self.recipient_box.activated.connect(
            lambda i: self.recipientChosen.emit(int(self.recipient_box.itemData(i)))
        )
        follow_document(self, doc, self._document_changed)
        self._fill_recipients()
        self.set_problems([])

    def _fields_tab(self, palette: QWidget, properties: QWidget) -> QWidget:
        """The Fields tab: for whom, what, and the selected fields."""
        self.recipient_box = QComboBox()
        self.recipient_box.setObjectName("fieldsFor")
        self.recipient_box.setToolTip("New fields are for this recipient (their colour)")
        self.recipient_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.recipient_box.setMinimumContentsLength(12)
        self.recipient_box.setIconSize(QSize(14, 14))
        for_row = QHBoxLayout()
        for_row.setSpacing(6)
        for_row.addWidget(QLabel("New fields for"))
        for_row.addWidget(self.recipient_box, 1)
        placing = QWidget()
        placing_layout = QVBoxLayout(placing)
        placing_layout.setContentsMargins(0, 0, 0, 0)
        placing_layout.setSpacing(6)
        placing_layout.addLayout(for_row)
        placing_layout.addWidget(palette)
        fields = QWidget()
        fields_layout = QVBoxLayout(fields)
        fields_layout.setContentsMargins(6, 6, 6, 6)
        fields_layout.setSpacing(8)
        fields_layout.addWidget(boxed("Add fields", placing))
        fields_layout.addWidget(boxed("Selected fields", properties), 1)
        return fields

    def _build_footer(self) -> QFrame:
        """The footer, always in view: the service, the check's result and Send."""
        self.provider_box = QComboBox()
        self.provider_box.setObjectName("provider")
        for info in registry.providers():
            self.provider_box.addItem(info.name, info.id)
        self.provider_box.setToolTip("The signature service this request goes through")
        self.render_id = QLineEdit()
        self.render_id.setPlaceholderText("Craftkit render id")
        self.render_id.setClearButtonEnabled(True)
        self.check_status = QToolButton()
        self.check_status.setObjectName("checkStatus")
        self.check_status.setAutoRaise(True)
        self.check_status.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.check_status.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.check_status.setToolTip("Open Check: what stands between the request and Send")
        self.check_status.clicked.connect(lambda: self.show_tab(CHECK_TAB))
        self.send_button = QPushButton("Send for signature")
        self.send_button.setObjectName("send")
        self.send_button.setDefault(True)
        self.send_button.setShortcut(QKeySequence("Ctrl+Return"))
        provider_row = QHBoxLayout()
        provider_row.setSpacing(6)
        provider_row.addWidget(QLabel("Send with"))
        provider_row.addWidget(self.provider_box, 1)
        send_row = QHBoxLayout()
        send_row.setSpacing(6)
        send_row.addWidget(self.check_status, 1)
        send_row.addWidget(self.send_button)
        self.bulk_button = QPushButton("Send to many…")  # see app.ui.bulk.launcher
        self.bulk_button.setObjectName("sendToMany")
        provider_row.addWidget(self.bulk_button)
        footer = QFrame()
        footer.setObjectName("sendFooter")
        footer.setFrameShape(QFrame.Shape.StyledPanel)
        footer_layout = QVBoxLayout(footer)
        footer_layout.setContentsMargins(8, 6, 8, 8)
        footer_layout.setSpacing(6)
        footer_layout.addLayout(provider_row)
        footer_layout.addWidget(self.render_id)
        footer_layout.addLayout(send_row)
        return footer

    # --- tabs -----------------------------------------------------------------------------------

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def current_tab(self) -> int:
        return self.tabs.currentIndex()

    def page(self, index: int) -> QWidget:
        """The panel shown in tab ``index`` (inside its scroll area)."""
        return self._pages[index]

    # --- whom new fields are for ----------------------------------------------------------------

    def set_recipient(self, index: int) -> None:
        found = self.recipient_box.findData(index)
        if found >= 0 and found != self.recipient_box.currentIndex():
            self.recipient_box.setCurrentIndex(found)

    def _document_changed(self, change: Change) -> None:
        if change.recipients:
            self._fill_recipients()

    def _fill_recipients(self) -> None:
        current = self.recipient_box.currentData()
        self.recipient_box.blockSignals(True)
        self.recipient_box.clear()
        for i, r in enumerate(self.doc.recipients):
            if r.designation != Designation.CC:
                self.recipient_box.addItem(swatch_icon(i, 14), recipient_label(r, i), i)
        found = self.recipient_box.findData(current)
        self.recipient_box.setCurrentIndex(
            found if found >= 0 else (0 if self.recipient_box.count() else -1)
        )
        self.recipient_box.setEnabled(self.recipient_box.count() > 0)
        self.recipient_box.setPlaceholderText("Add a Signer first")
        self.recipient_box.blockSignals(False)

    # --- the check's result ---------------------------------------------------------------------

    def set_problems(self, problems: Sequence[Problem]) -> None:
        text, ready = check_summary(problems)
        errors = sum(1 for p in problems if not p.is_warning)
        self.tabs.setTabText(CHECK_TAB, f"Check ({errors})" if errors else "Check")
        self.check_status.setText(text)
        style = QApplication.style()
        if ready and len(problems) == 0:
            self.check_status.setIcon(QIcon(ready_icon(16)))
        elif ready:
            self.check_status.setIcon(
                style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            )
        else:
            self.check_status.setIcon(
                style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
            )
