"""In-person signing on screen (the built-in provider): the view and its parts.

- :mod:`~app.ui.signing.view`: :class:`SigningView`, which walks a request through its signing
  order (a :class:`SigningState` per screen) with :mod:`app.services.in_person`;
- :mod:`~app.ui.signing.screens`: the screens (opening, handover, signing, sealing, outcome);
- :mod:`~app.ui.signing.fields`: the current recipient's fields and the side panel;
- :mod:`~app.ui.signing.field_item`: a field on the page;
- :mod:`~app.ui.signing.dialogs`: adopting a signature or initials, declining;
- :mod:`~app.ui.signing.ink`: the signature pad;
- :mod:`~app.ui.signing.style`: colours, style sheet, the handwriting font, small drawings.
"""

from app.ui.signing.dialogs import DeclineDialog, SignatureDialog
from app.ui.signing.field_item import FieldEntry, SigningFieldItem
from app.ui.signing.ink import InkPoint, SignaturePad, paint_strokes
from app.ui.signing.style import handwriting_family
from app.ui.signing.view import SigningState, SigningView

__all__ = [
    "DeclineDialog",
    "FieldEntry",
    "InkPoint",
    "SignatureDialog",
    "SignaturePad",
    "SigningFieldItem",
    "SigningState",
    "SigningView",
    "handwriting_family",
    "paint_strokes",
]
