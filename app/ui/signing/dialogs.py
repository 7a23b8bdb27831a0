"""The signing dialogs: adopting a signature or initials, declining with a reason, and the
password or PIN that seals."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.model import FieldType
from app.services.signing_values import Signature, initials_of
from app.ui.signing.ink import SignaturePad


def _lay_out_dialog(
    dialog: QDialog,
    widgets: list[QWidget],
    stretch: QWidget,
    action: str,
    style: str,
    slot: Callable[[], None],
) -> tuple[QPushButton, QPushButton]:
    """The signing dialogs' layout: ``widgets`` in a column (``stretch`` takes the space) over a
    right-aligned Cancel and ``action`` button; returns (cancel, action)."""
    cancel = QPushButton("Cancel")
    cancel.setObjectName("quiet")
    act = QPushButton(action)
    act.setObjectName(style)
    cancel.clicked.connect(dialog.reject)
    act.clicked.connect(slot)
    buttons = QHBoxLayout()
    buttons.addStretch(1)
    buttons.addWidget(cancel)
    buttons.addWidget(act)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(20, 18, 20, 16)
    layout.setSpacing(10)
    for widget in widgets:
        layout.addWidget(widget, 1 if widget is stretch else 0)
    layout.addLayout(buttons)
    return cancel, act


class SignatureDialog(QDialog):
    """Adopt a signature or initials: draw them on a :class:`SignaturePad` or type them.

    Initials start typed, pre-filled with the recipient's initials; typing a signature starts
    from the recipient's name. After ``accepted``, :meth:`signature` is what was adopted."""

    def __init__(
        self, kind: FieldType, name: str, image_size: tuple[int, int], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.name = name
        self.image_size = image_size
        self._adopted: Signature | None = None
        initials = kind == FieldType.INITIALS
        self.setWindowTitle("Your initials" if initials else "Your signature")
        self.setModal(True)

        title = QLabel(f"Initials of {name}" if initials else f"Signature of {name}")
        title.setObjectName("title")
        intro = QLabel(
            "Draw your initials below, or type them."
            if initials
            else "Draw your signature below with the mouse, a pen or your finger — or type it."
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.pad = SignaturePad(
            self,
            hint="Draw your initials here" if initials else "Draw your signature here",
            name=initials_of(name) if initials else name,
            compact=initials,
        )
        if initials:
            self.pad.set_typed_text(initials_of(name))
        consent = QLabel(
            "By selecting Sign, you agree that this electronic signature is as "
            "binding as your handwritten signature on this document."
        )
        consent.setObjectName("muted")
        consent.setWordWrap(True)
        small = consent.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9))
        consent.setFont(small)

        self.cancel_button, self.sign_button = _lay_out_dialog(
            self, [title, intro, self.pad, consent], self.pad, "Sign", "primary", self._sign
        )
        self.sign_button.setDefault(True)
        self.pad.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.sign_button.setEnabled(not self.pad.is_empty())

    def _sign(self) -> None:
        if self.pad.is_empty():
            return
        if self.pad.mode == "type":
            self._adopted = Signature(typed=self.pad.typed_text())
        else:
            self._adopted = Signature(image_png=self.pad.to_png(*self.image_size))
        self.accept()

    def signature(self) -> Signature | None:
        """What the recipient adopted with **Sign** (None before)."""
        return self._adopted


class DeclineDialog(QDialog):
    """Ask why the recipient declines; **Decline** is enabled once a reason is given."""

    def __init__(self, request_name: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Decline to sign")
        self.setModal(True)
        title = QLabel(f"Decline “{request_name}”?")
        title.setObjectName("title")
        title.setWordWrap(True)
        intro = QLabel(
            f"{name}, tell the sender why you decline. The request ends here: "
            "nobody after you is asked to sign."
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setPlaceholderText("Reason (required)")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setMinimumSize(420, 110)
        self.cancel_button, self.decline_button = _lay_out_dialog(
            self,
            [title, intro, self.reason_edit],
            self.reason_edit,
            "Decline",
            "danger",
            self._decline,
        )
        self.reason_edit.textChanged.connect(self._update)
        self._update()

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _update(self) -> None:
        self.decline_button.setEnabled(bool(self.reason()))

    def _decline(self) -> None:
        if self.reason():
            self.accept()


class SealPasswordDialog(QDialog):
    """Ask for the password of the certificate file, or the PIN of the smartcard, that seals
    (Settings › In person keeps neither unless told to). "Remember in the keyring" keeps it for
    the next time; otherwise it is used for this seal only."""

    def __init__(self, asking: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pin = "PIN" in asking
        self.setWindowTitle("Seal the document")
        self.setModal(True)
        title = QLabel(f"Enter the {'PIN' if pin else 'password'} to seal the document")
        title.setObjectName("title")
        title.setWordWrap(True)
        self.intro = intro = QLabel(
            f"{asking} is needed to seal the signed document. Every signature is kept."
        )
        intro.setObjectName("muted")
        intro.setWordWrap(True)
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName(asking)
        self.remember = QCheckBox("Remember in the keyring")
        self.cancel_button, self.seal_button = _lay_out_dialog(
            self,
            [title, intro, self.secret_edit, self.remember],
            intro,
            "Seal",
            "primary",
            self._seal,
        )
        self.seal_button.setDefault(True)
        self.secret_edit.textChanged.connect(lambda text: self.seal_button.setEnabled(bool(text)))
        self.seal_button.setEnabled(False)

    def secret(self) -> str:
        return self.secret_edit.text()

    def _seal(self) -> None:
        if self.secret():
            self.accept()
