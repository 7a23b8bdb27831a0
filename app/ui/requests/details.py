"""The requests place's details pane: the selected request's status, times, recipients (with
their progress and signing links), history and the buttons of its actions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.clock import now
from app.domain.lifecycle import Status
from app.domain.model import Designation, Request
from app.store.records import APP_DETAIL, Event
from app.ui.requests.model import STATUS_HINTS, STATUS_LABELS, progress_text, provider_label
from app.ui.style import MUTED_STYLE, STATUS_COLOURS, badge_font, paint_status_pill, text_style
from app.ui.widgets import FlowLayout
from app.wording import when


class StatusBadge(QWidget):
    """The status pill of the table, as a widget (the details pane's header)."""

    PAD_X = 12
    PAD_Y = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = Status.QUEUED
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_status(self, status: Status) -> None:
        self.status = status
        self.setToolTip(STATUS_HINTS[status])
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        return STATUS_LABELS[self.status]

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(badge_font(self.font()))
        return QSize(
            metrics.horizontalAdvance(self.text()) + 2 * self.PAD_X + 2,
            metrics.height() + 2 * self.PAD_Y,
        )

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        paint_status_pill(
            painter,
            QRectF(self.rect()),
            self.text(),
            self.status,
            self.font(),
            self.PAD_X,
            self.PAD_Y,
        )
        painter.end()


def recipient_state_lines(request: Request, index: int) -> list[str]:
    """What happened to recipient ``index``, one line each: viewed, signed or approved,
    declined (with the reason); or where they stand."""
    recipient = request.spec.recipients[index]
    state = request.recipients[index]
    if recipient.designation == Designation.CC:
        return ["Receives a copy when everyone has signed"]
    lines: list[str] = []
    if state.viewed_at:
        lines.append(f"Viewed {when(state.viewed_at)}")
    if state.signed_at:
        verb = "Approved" if recipient.designation == Designation.APPROVER else "Signed"
        lines.append(f"{verb} {when(state.signed_at)}")
    if state.declined_at:
        reason = f": “{state.decline_reason}”" if state.decline_reason else ""
        lines.append(f"Declined {when(state.declined_at)}{reason}")
    if not lines or not (state.signed_at or state.declined_at):
        if request.status.terminal:
            lines.append("Did not sign")
        elif request.next_recipient() == index:
            lines.append(
                "Next to sign" if recipient.designation == Designation.SIGNER else "Next to approve"
            )
        else:
            lines.append("Waiting for their turn")
    return lines


EVENT_LABELS = {
    "queued": "Queued",
    "requeued": "Queued again",
    "sent": "Sent",
    "viewed": "Viewed",
    "signed": "Signed",
    "approved": "Approved",
    "declined": "Declined",
    "completed": "Completed",
    "expired": "Expired",
    "cancelled": "Cancelled",
    "failed": "Failed",
    "refresh": "Status changed",
    "archived": "Downloaded into the archive",
    "send-error": "Could not send (will retry)",
    "reconciling": "Send unconfirmed",
}


def newest_first(events: Sequence[Event]) -> list[Event]:
    """The history newest first: by the time each event happened (a provider may report a
    signature some time after it), and of events at the same time the one recorded last."""
    order = sorted(enumerate(events), key=lambda item: (item[1].at, item[0]), reverse=True)
    return [event for _, event in order]


#: A status change's detail that only repeats the change ("sent → viewed").
_TRANSITION = re.compile(r"^\w+ → \w+$")
#: Statuses a recipient's own act brings about (its line says it, by whom).
_BY_RECIPIENT = {Status.VIEWED.value: "viewed", Status.DECLINED.value: "declined"}


def history(request: Request, events: Sequence[Event]) -> list[tuple[datetime, str, str | None]]:
    """The history as the details pane lists it, newest first: each thing that happened once.
    A status change brought about by a recipient ("Viewed", "Declined") is said by that
    recipient's own line ("Viewed by Jane Doe"), not a second time in other words."""
    acted = {e.kind for e in events if e.recipient_index is not None}
    shown = [
        e
        for e in events
        if not (
            e.recipient_index is None
            and e.status in _BY_RECIPIENT
            and _BY_RECIPIENT[e.status] in acted
        )
    ]
    return [(e.at, describe_event(request, e), e.doer) for e in newest_first(shown)]


def describe_event(request: Request, event: Event) -> str:
    """One line of the history: what happened, by whom, and the detail (in the app's words)."""
    if event.kind == "queued":
        return f"Queued to send through {provider_label(request.provider)}"
    text = EVENT_LABELS.get(event.kind, event.kind.replace("-", " ").capitalize())
    status_change = event.status is not None and event.recipient_index is None
    if (
        event.status is not None
        and status_change
        and (event.kind == "refresh" or event.kind.startswith("webhook"))
    ):
        text = STATUS_LABELS.get(Status(event.status), text)
    index = event.recipient_index
    if index is not None and 0 <= index < len(request.spec.recipients):
        text += f" by {request.spec.recipients[index].name}"
    payload = event.payload or {}
    detail = payload.get(APP_DETAIL) if isinstance(payload.get(APP_DETAIL), str) else event.detail
    if status_change and detail and _TRANSITION.match(detail):
        detail = None  # the label says it
    if (
        event.status == Status.CANCELLED.value
        and request.status == Status.CANCELLED
        and request.error_message
        and not detail
    ):
        detail = f"“{request.error_message}”"
    if (
        event.kind == "declined"
        and index is not None
        and not detail
        and 0 <= index < len(request.recipients)
    ):
        detail = request.recipients[index].decline_reason
    if detail:
        text += f" — {detail}"
    return text


def _note(request: Request, events: Sequence[Event]) -> str:
    """Why the request failed or was declined, in the app's words where the event that
    recorded it keeps them."""
    note = request.error_message or request.archive_error or ""
    if request.status == Status.FAILED:
        for event in newest_first(events):
            said = (event.payload or {}).get(APP_DETAIL)
            if event.status == Status.FAILED.value and isinstance(said, str):
                return said
    return note


class RecipientView(QFrame):
    """One recipient in the details pane: who, where they stand, their signing link."""

    def __init__(self, request: Request, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recipient")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        recipient = request.spec.recipients[index]
        state = request.recipients[index]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        self.name_label = QLabel(
            f"<b>{_escape(recipient.name)}</b> &lt;{_escape(recipient.email)}&gt;"
        )
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setWordWrap(True)
        role = QLabel(f"{recipient.designation.value}, order {recipient.order}")
        role.setStyleSheet(MUTED_STYLE)
        self.state_label = QLabel("\n".join(recipient_state_lines(request, index)))
        self.state_label.setWordWrap(True)
        if state.declined_at:
            self.state_label.setStyleSheet(text_style(STATUS_COLOURS[Status.DECLINED]))
        elif state.signed_at:
            self.state_label.setStyleSheet(text_style(STATUS_COLOURS[Status.COMPLETED]))
        layout.addWidget(self.name_label)
        layout.addWidget(role)
        layout.addWidget(self.state_label)
        self.link_edit: QLineEdit | None = None
        self.copy_button: QPushButton | None = None
        if state.signing_url:
            row = QHBoxLayout()
            row.setSpacing(4)
            self.link_edit = QLineEdit(state.signing_url)
            self.link_edit.setReadOnly(True)
            self.link_edit.setCursorPosition(0)
            self.link_edit.setToolTip(
                "Signing link: send it to this recipient if they cannot find the provider's email."
            )
            self.copy_button = QPushButton("Copy")
            self.copy_button.setToolTip("Copy the signing link")
            url = state.signing_url
            self.copy_button.clicked.connect(lambda: self._copy(url))
            row.addWidget(self.link_edit, 1)
            row.addWidget(self.copy_button)
            layout.addLayout(row)

    def _copy(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        if self.copy_button is not None:
            self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _discard(widget: QWidget) -> None:
    """Take ``widget`` off the screen now and delete it once control returns to the loop."""
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    label.setContentsMargins(0, 10, 0, 2)
    return label


class RequestDetails(QWidget):
    """The selected request: its name and status, times, recipients, history and actions.
    The page connects the action buttons."""

    FACTS = (
        "Provider",
        "Document",
        "Message",
        "Created",
        "Sent",
        "Finished",
        "Expires",
        "Note",
        "ID",
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        # Long: the pane is built top to bottom as it reads (title, pill, actions, facts,
        # recipients, history); cut into parts the order would be harder to follow.
        super().__init__(parent)
        self.request: Request | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)

        self.placeholder = QLabel(
            "Select a request to see its recipients, signing links and history."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(text_style(None, "padding: 24px;"))
        self.stack.addWidget(self.placeholder)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(6)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        layout.addWidget(self.title)

        badge_row = QHBoxLayout()
        self.badge = StatusBadge()
        self.progress = QLabel()
        badge_row.addWidget(self.badge)
        badge_row.addWidget(self.progress)
        badge_row.addStretch(1)
        layout.addLayout(badge_row)

        actions = FlowLayout()
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Ask the provider for news of this request (F5)")
        self.cancel_button = QPushButton("Cancel…")
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip(
            "Download the signed PDF and the completion certificate into the archive"
        )
        self.archive_button = QPushButton("Open in Archive")
        self.sign_button = QPushButton("Sign now")
        self.sign_button.setToolTip("Let the next recipient sign on this computer")
        for button in (
            self.sign_button,
            self.refresh_button,
            self.cancel_button,
            self.download_button,
            self.archive_button,
        ):
            actions.addWidget(button)
        layout.addLayout(actions)

        self.facts_form = QFormLayout()
        self.facts_form.setHorizontalSpacing(12)
        self.facts_form.setVerticalSpacing(3)
        self.facts: dict[str, QLabel] = {}
        for name in self.FACTS:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[name] = value
            self.facts_form.addRow(f"{name}:", value)
        layout.addLayout(self.facts_form)

        layout.addWidget(_section_title("Recipients"))
        self.recipients_box = QVBoxLayout()
        self.recipients_box.setSpacing(4)
        layout.addLayout(self.recipients_box)
        self.recipient_views: list[RecipientView] = []

        layout.addWidget(_section_title("History"))
        self.history_grid = QGridLayout()
        self.history_grid.setHorizontalSpacing(10)
        self.history_grid.setVerticalSpacing(2)
        self.history_grid.setColumnStretch(1, 1)
        layout.addLayout(self.history_grid)
        self.history_labels: list[QLabel] = []
        self.history_doers: list[QLabel] = []
        layout.addStretch(1)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        self.stack.addWidget(self.scroll_area)

    def action_buttons(self) -> list[QPushButton]:
        return [
            self.sign_button,
            self.refresh_button,
            self.cancel_button,
            self.download_button,
            self.archive_button,
        ]

    def clear(self) -> None:
        self.request = None
        self.stack.setCurrentWidget(self.placeholder)

    def show_request(self, request: Request, events: Sequence[Event]) -> None:
        """Show ``request`` with its ``events`` in the order they were recorded."""
        self.request = request
        self.stack.setCurrentWidget(self.scroll_area)
        self.title.setText(request.name)
        self.badge.set_status(request.status)
        self.progress.setText(progress_text(request))
        finished = request.completed_at if request.status.terminal else None
        expires = request.expires_at if not request.status.terminal else None
        overdue = expires is not None and request.is_overdue(now())
        values = {
            "Provider": provider_label(request.provider),
            "Document": f"{request.document_name}"
            + (f" ({request.page_count} pages)" if request.page_count else ""),
            "Created": when(request.created_at),
            "Sent": when(request.sent_at),
            "Finished": (f"{STATUS_LABELS[request.status]} {when(finished)}" if finished else ""),
            "Expires": (
                when(expires) + (" (overdue: the next refresh expires it)" if overdue else "")
            )
            if expires
            else "",
            "Message": request.spec.message or "",
            "Note": _note(request, events),
            "ID": request.id,
        }
        for name, text in values.items():
            self.facts[name].setText(text)
            self.facts_form.setRowVisible(self.facts[name], bool(text))

        for view in self.recipient_views:
            self.recipients_box.removeWidget(view)
            _discard(view)
        self.recipient_views = [
            RecipientView(request, i) for i in range(len(request.spec.recipients))
        ]
        for view in self.recipient_views:
            self.recipients_box.addWidget(view)

        self._show_history(history(request, events))

    def _show_history(self, lines: Sequence[tuple[datetime, str, str | None]]) -> None:
        """Each event: when (muted), what happened, and under it who did it (muted: the desk
        and the person, where the event says)."""
        for label in [*self.history_labels, *self.history_doers]:
            self.history_grid.removeWidget(label)
            _discard(label)
        self.history_labels = []
        self.history_doers = []
        row = 0
        for moment, line, doer in lines:
            at = QLabel(when(moment))
            at.setStyleSheet(MUTED_STYLE)
            at.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            what = QLabel(line)
            what.setWordWrap(True)
            what.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.history_grid.addWidget(at, row, 0)
            self.history_grid.addWidget(what, row, 1)
            self.history_labels += [at, what]
            row += 1
            if doer:
                who = QLabel(f"by {doer}")
                who.setStyleSheet(MUTED_STYLE)
                who.setWordWrap(True)
                who.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.history_grid.addWidget(who, row, 1)
                self.history_doers.append(who)
                row += 1

    def history_texts(self) -> list[str]:
        """The history as shown, newest first (the description of each event)."""
        return [label.text() for label in self.history_labels[1::2]]

    def history_doer_texts(self) -> list[str]:
        """Who did each thing of the history, as shown ("by Jane Doe (jane on DESK-4)")."""
        return [label.text() for label in self.history_doers]
