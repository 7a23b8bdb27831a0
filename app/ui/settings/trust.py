"""The "Trust" group of the Settings dialog (on the In person page), and the note under the
seal certificate saying what other PDF readers will show for the seals made with it.

The group's one choice, "also trust the authorities this computer trusts", is ``[trust] system``
of the settings file (off by default); under it, where this computer keeps them and how many
there are. The note under the seal certificate follows what is chosen there and whether a
timestamp authority is set (:func:`app.archive.readers.seal_sentence`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.archive.readers import SealKind, seal_sentence
from app.archive.trust_sources import system_trust_chosen, system_trust_store
from app.context import Context
from app.providers.local.choice import INSTALLATION
from app.ui.settings.fields import NOTE_STYLE
from app.ui.settings.seal_identity import SealIdentityGroup

TITLE = "Trust"
SYSTEM_LABEL = "Also trust the certificate authorities this computer trusts"
ABOUT = (
    "When checking signatures, Sealbox trusts this installation's own root and the "
    "certificate authorities imported into the archive. Tick this to trust those of this "
    "computer's own list too, such as the public authorities behind signature services."
)


def store_note() -> str:
    """Where this computer keeps its trusted authorities, in a sentence."""
    store = system_trust_store()
    count = store.count()
    if not store.where or not count:
        return "No list of trusted authorities was found on this computer."
    plural = "y" if count == 1 else "ies"
    return f"This computer's list holds {count} authorit{plural} ({store.where})."


class TrustGroup(QGroupBox):
    """Whether to trust the system's certificate authorities too."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        layout = QVBoxLayout(self)
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setStyleSheet(NOTE_STYLE)
        layout.addWidget(about)
        self.system_check = QCheckBox(SYSTEM_LABEL)
        self.system_check.setChecked(system_trust_chosen(ctx.settings.trust))
        layout.addWidget(self.system_check)
        self.store_label = QLabel(store_note())
        self.store_label.setWordWrap(True)
        self.store_label.setStyleSheet(NOTE_STYLE)
        layout.addWidget(self.store_label)

    def section(self, old: dict[str, Any]) -> dict[str, Any]:
        """``[trust]`` as the group shows it; the file's other keys are kept."""
        table = dict(old)
        if self.system_check.isChecked():
            table["system"] = True
        else:
            table.pop("system", None)
        return table


class ReadersNote(QLabel):
    """Under the seal certificate: what other PDF readers will show for the seals made with
    the certificate chosen, with or without the timestamp authority's time."""

    def __init__(self, seal: SealIdentityGroup, tsa_url: QLineEdit) -> None:
        super().__init__()
        self.seal = seal
        self.tsa_url = tsa_url
        self.setWordWrap(True)
        self.setStyleSheet(NOTE_STYLE)
        self.setAccessibleName("What other PDF readers show")
        seal.buttons.buttonToggled.connect(lambda _b, _on: self.refresh())
        tsa_url.textChanged.connect(lambda _t: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        # A certificate file or a token: the office's own certificate, from its CA.
        kind: SealKind = "installation" if self.seal.source() == INSTALLATION else "office"
        timestamped = bool(self.tsa_url.text().strip())
        self.setText(seal_sentence(kind, timestamped))  # it names the readers itself
