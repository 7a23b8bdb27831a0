"""The banner over a PDF that is already signed: by whom, and what sending it does to the
signature."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.pdf.document import PdfInfo
from app.pdf.signatures import describe
from app.providers.base import KEEPS_SIGNATURES
from app.ui.style import SIGNED_BANNER_STYLE


class SignedBanner(QLabel):
    """Hidden until :meth:`show_signatures` is given a signed PDF."""

    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("signedBanner")
        self.setWordWrap(True)
        self.setStyleSheet(SIGNED_BANNER_STYLE)
        self.hide()

    def show_signatures(self, info: PdfInfo) -> None:
        """Say the PDF is already signed, and by whom (hidden when it is not)."""
        signatures = info.signatures
        if not signatures:
            self.hide()
            return
        count = len(signatures)
        what = "a digital signature" if count == 1 else f"{count} digital signatures"
        self.setText(
            f"This PDF is already signed by {describe(signatures)} ({what}). Sending it "
            f"{KEEPS_SIGNATURES} keeps the signature valid; Check says if the service you chose "
            "would break it."
        )
        self.setToolTip(
            "\n".join(
                f"{s.field_name}: {s.signer}" + (f", {s.signed_at:%d %B %Y}" if s.signed_at else "")
                for s in signatures
            )
        )
        self.show()
