"""The screens of in-person signing, as widgets: opening the document, the handover ("pass the
computer to…"), signing (the pages and the side panel of fields), sealing, and the outcome
(everyone has signed, declined, or why it cannot go on).

They only show what the view tells them; :class:`~app.ui.signing.view.SigningView` decides
which one is shown and what happens on a click.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import Designation, Request
from app.ui.pdfview.view import PageView
from app.ui.signing.style import DONE_COLOR, avatar, badge, html, ordinal
from app.ui.style import DIM, SIGNING_EMAIL, recipient_color


def _label(
    text: str = "",
    name: str | None = None,
    *,
    centred: bool = True,
    rich: bool = False,
    wrap: bool = True,
) -> QLabel:
    label = QLabel(text)
    if name is not None:
        label.setObjectName(name)
    label.setWordWrap(wrap)
    if centred:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _card(page: QWidget, *widgets: QWidget, width: int = 520) -> None:
    """Lay ``widgets`` out on ``page`` in a card, centred (buttons and bars at their own
    width)."""
    outer = QVBoxLayout(page)
    outer.addStretch(2)
    row = QHBoxLayout()
    row.addStretch(1)
    card = QFrame()
    card.setObjectName("card")
    card.setMaximumWidth(width)
    card.setMinimumWidth(min(width, 420))
    inner = QVBoxLayout(card)
    inner.setContentsMargins(36, 32, 36, 28)
    inner.setSpacing(12)
    for widget in widgets:
        if isinstance(widget, (QPushButton, QProgressBar)):
            inner.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        else:
            inner.addWidget(widget)
    row.addWidget(card, 3)
    row.addStretch(1)
    outer.addLayout(row)
    outer.addStretch(3)


def _spacer(height: int) -> QWidget:
    spacer = QWidget()
    spacer.setFixedHeight(height)
    return spacer


class LoadingScreen(QWidget):
    def __init__(self) -> None:
        super().__init__()
        label = _label("Opening the document…", "muted", wrap=False)
        QVBoxLayout(self).addWidget(label)


class HandoverScreen(QWidget):
    """Pass the computer to the next recipient; only they press **Start**."""

    def __init__(self) -> None:
        super().__init__()
        self.avatar = QLabel()
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.handover_label = _label(name="heading", rich=True)
        self.handover_detail = _label(name="muted")
        self.order_label = _label(rich=True)
        # The sender's message reaches each recipient here, as a service's email would carry it.
        self.message_label = _label(name="message", rich=True)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumWidth(180)
        self.start_button.setDefault(True)
        note = _label("Only the person named above should continue past this screen.", "muted")
        #: What the screen says, as plain text.
        self.text = ""
        _card(
            self,
            self.avatar,
            self.handover_label,
            self.handover_detail,
            self.message_label,
            self.order_label,
            _spacer(4),
            self.start_button,
            note,
            width=620,
        )

    def show_recipient(self, request: Request, index: int) -> None:
        """Ask for recipient ``index`` of ``request``, with where they stand in the order and
        the sender's message."""
        recipient = request.spec.recipients[index]
        acting = request.spec.signers_in_order()
        verb = "approve" if recipient.designation == Designation.APPROVER else "sign"
        self.avatar.setPixmap(avatar(recipient.name, recipient_color(index), 72))
        self.text = f"Pass the computer to {recipient.name} ({recipient.email})"
        self.handover_label.setText(
            f"Pass the computer to {html(recipient.name)}<br><span style='font-size:15px; "
            f"font-weight:normal; color:{SIGNING_EMAIL}'>({html(recipient.email)})</span>"
        )
        self.handover_label.setAccessibleName(self.text)
        who = recipient.first_name or recipient.name
        self.handover_detail.setText(
            f"{who} is the {ordinal(acting.index(index) + 1)} of {len(acting)} to {verb} "
            f"“{request.name}”. When {who} is ready, press Start."
        )
        parts = []
        for i in acting:
            name = html(request.spec.recipients[i].name)
            if request.recipients[i].done:
                parts.append(f"<span style='color:{DONE_COLOR}'>✓ {name}</span>")
            elif i == index:
                parts.append(f"<b>→ {name}</b>")
            else:
                parts.append(f"<span style='color:{DIM}'>{name}</span>")
        self.order_label.setText("&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts))
        self.order_label.setVisible(len(acting) > 1)
        message = (request.spec.message or "").strip()
        self.message_label.setText(
            "Message from the sender:<br><i>“" + html(message).replace("\n", "<br>") + "”</i>"
            if message
            else ""
        )
        self.message_label.setVisible(bool(message))


class SigningScreen(QWidget):
    """The document with the recipient's fields, a bar with **Decline…** and **Finish**, and a
    side panel listing their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.page_view = PageView()
        self.page_view.fit_width()
        self.banner = _label(name="banner", centred=False)
        self.banner.hide()
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(12, 8, 12, 0)
        banner_row.addWidget(self.banner)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.page_view, 1)
        body.addWidget(self._side_panel())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._top_bar())
        layout.addLayout(banner_row)
        layout.addLayout(body, 1)

    def _top_bar(self) -> QFrame:
        top = QFrame()
        top.setObjectName("topBar")
        self.doc_title = QLabel()
        self.doc_title.setObjectName("title")
        self.signer_label = QLabel()
        self.signer_label.setObjectName("muted")
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.doc_title)
        titles.addWidget(self.signer_label)
        self.decline_button = QPushButton("Decline…")
        self.decline_button.setObjectName("quiet")
        self.finish_button = QPushButton("Finish")
        self.finish_button.setObjectName("primary")
        self.finish_button.setMinimumWidth(120)
        bar = QHBoxLayout(top)
        bar.setContentsMargins(16, 10, 16, 10)
        bar.addLayout(titles, 1)
        bar.addWidget(self.decline_button)
        bar.addSpacing(6)
        bar.addWidget(self.finish_button)
        return top

    def _side_panel(self) -> QFrame:
        side = QFrame()
        side.setObjectName("sidePanel")
        side.setFixedWidth(270)
        self.fields_title = QLabel("Your fields")
        self.fields_title.setObjectName("title")
        self.progress_label = QLabel()
        self.progress_label.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.field_list = QListWidget()
        self.field_list.setObjectName("fieldList")
        self.field_list.setIconSize(QSize(18, 18))
        self.field_list.setWordWrap(True)
        self.next_button = QPushButton("Next field")
        self.next_button.setObjectName("quiet")
        self.side_hint = _label(name="muted", centred=False)
        layout = QVBoxLayout(side)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(8)
        for widget in (self.fields_title, self.progress_label, self.progress):
            layout.addWidget(widget)
        layout.addWidget(self.field_list, 1)
        layout.addWidget(self.next_button)
        layout.addWidget(self.side_hint)
        return side

    def begin(self, request: Request, index: int) -> None:
        """Title the screen for recipient ``index`` of ``request``."""
        recipient = request.spec.recipients[index]
        approver = recipient.designation == Designation.APPROVER
        acting = request.spec.signers_in_order()
        self.doc_title.setText(request.name)
        self.signer_label.setText(
            f"{'Approving' if approver else 'Signing'} as {recipient.name} ({recipient.email})"
            f" · {acting.index(index) + 1} of {len(acting)}"
        )
        self.finish_button.setText("Approve" if approver else "Finish")
        self.banner.hide()

    def show_banner(self, message: str) -> None:
        self.banner.setText(message)
        self.banner.show()


class WorkingScreen(QWidget):
    """Sealing or archiving under way."""

    def __init__(self) -> None:
        super().__init__()
        self.working_label = _label("Sealing the signed document…", "heading", wrap=False)
        self.working_detail = _label(
            "Stamping every value into the PDF, sealing it and writing "
            "the completion certificate. This takes a few seconds.",
            "muted",
        )
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(320)
        _card(self, self.working_label, self.working_detail, self.busy_bar)


class OutcomeScreen(QWidget):
    """How it ended (everyone has signed, declined) or why it cannot go on, with **Try again**,
    **Show in folder** and **Done** (or **Close**)."""

    def __init__(self) -> None:
        super().__init__()
        self.outcome_icon = QLabel()
        self.outcome_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.outcome_title = _label(name="heading")
        self.message = _label()
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = _label(name="muted")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Try again")
        self.retry_button.setObjectName("primary")
        self.folder_button = QPushButton("Show in folder")
        self.folder_button.setObjectName("quiet")
        #: Ends the signing: closes its window ("Done" after an outcome, "Close" after an error).
        self.done_button = QPushButton("Done")
        _card(
            self,
            self.outcome_icon,
            self.outcome_title,
            self.message,
            self.detail,
            _spacer(2),
            self.retry_button,
            self.done_button,
            self.folder_button,
            width=600,
        )

    def show_outcome(
        self,
        kind: Literal["done", "declined", "error"],
        title: str,
        message: str,
        *,
        detail: str = "",
        retry: bool = False,
        folder: bool = False,
    ) -> None:
        self.outcome_icon.setPixmap(badge(kind, 56))
        self.outcome_title.setText(title)
        self.message.setText(message)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.retry_button.setVisible(retry)
        self.folder_button.setVisible(folder)
        # After an outcome Done is the main button; after an error Try again is, and Close ends.
        self.done_button.setText("Close" if kind == "error" else "Done")
        self.done_button.setObjectName("quiet" if retry else "primary")
        self.done_button.style().unpolish(self.done_button)
        self.done_button.style().polish(self.done_button)
        self.done_button.setDefault(not retry)
        self.retry_button.setDefault(retry)
