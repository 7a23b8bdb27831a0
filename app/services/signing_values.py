"""What a recipient gives when signing in person, and the rules of what fills a field.

The command line and the signing screen hand :class:`~app.services.in_person.InPersonSigning`
the same typed values:

* a :class:`Signature`: a typed name, or a PNG of handwriting, drawn on the screen or an image
  file the signer brought (``uploaded``);
* per field index, a :data:`FieldInput` of the field's type: :class:`Mark` (the signature or
  initials put in a signature or initials field, or none: left empty), :class:`Checked`,
  :class:`Choice`, or :class:`TextValue`. The command line gives every ``--field N=VALUE`` as a
  :class:`TextValue`, which is read by the field's type (a checkbox takes yes or no, a dropdown
  one of its options).

:func:`stored_values` turns them into what the store keeps, or the list of problems (every one
at once); :func:`is_filled` is the same rule for one field, which the screen uses to tell the
signer what is still to do. A field a signer does not mark gets their signature: their typed
name (initials from it in initials fields) or their image. A date field is the signing date
unless a date is given.

Pure Python apart from reading an image file: no Qt, no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.domain.model import Designation, Field, FieldType, Recipient
from app.errors import UserError
from app.store.requests import FieldValue
from app.userfiles import display_name, read_user_file
from app.wording import Alt, Text

TYPED_SIGNATURE = "typed signature"
DRAWN_SIGNATURE = "drawn signature"
UPLOADED_SIGNATURE = "uploaded signature image"
MAX_SIGNATURE_IMAGE = 5 * 1024 * 1024
TRUTHY = frozenset({"1", "true", "yes", "y", "on", "x", "checked"})
FALSY = frozenset({"0", "false", "no", "n", "off", ""})
SIGNATURE_TYPES = (FieldType.SIGNATURE, FieldType.INITIALS)

#: How a Signer gives a signature, in each front end's words.
SIGN_WITH = Alt(
    "pass --typed-signature NAME or --signature-image PNG", "sign with a drawn or typed signature"
)


@dataclass(frozen=True)
class Signature:
    """How a recipient signs: a typed name, or a PNG image of their handwriting (drawn on the
    signing screen, or an image file they brought: ``uploaded``)."""

    typed: str | None = None
    image_png: bytes | None = None
    uploaded: bool = False

    @property
    def how(self) -> str:
        """The way of signing as the history and the certificate name it."""
        if self.typed is not None:
            return TYPED_SIGNATURE
        return UPLOADED_SIGNATURE if self.uploaded else DRAWN_SIGNATURE

    def __post_init__(self) -> None:
        if (self.typed is None) == (self.image_png is None):
            raise ValueError("a signature is either typed or an image")


@dataclass(frozen=True)
class Mark:
    """What goes in one signature or initials field: ``signature`` (typed initials stay as
    typed), or nothing (an optional field left empty)."""

    signature: Signature | None


@dataclass(frozen=True)
class Checked:
    """A checkbox, ticked or not."""

    ticked: bool


@dataclass(frozen=True)
class Choice:
    """The option chosen in a dropdown or radio field."""

    option: str


@dataclass(frozen=True)
class TextValue:
    """Text for a text, text area or date field; for any other field, the value as typed on the
    command line, read by the field's type."""

    text: str


FieldInput = Mark | Checked | Choice | TextValue


def read_signature_image(path: Path) -> bytes:
    """Read and check a PNG signature image; a clear error for each problem."""
    label = f"The signature image {display_name(path)}"
    data = read_user_file(path, label, "a PNG signature image", MAX_SIGNATURE_IMAGE)
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise UserError(f"{label} is not a PNG file: save the signature as PNG and try again.")
    return data


def initials_of(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p]
    return "".join(p[0].upper() for p in parts)[:4] or name[:2]


def is_filled(field: Field, value: FieldInput | None) -> bool:
    """Whether ``value`` fills ``field`` (what a required field needs): a signature in a
    signature or initials field, a ticked box, one of the options, some text; a date field is
    always filled (with the signing date unless a date is given)."""
    kind = field.type
    if kind in SIGNATURE_TYPES:
        return isinstance(value, Mark) and value.signature is not None
    if kind == FieldType.DATE:
        return True
    if kind == FieldType.CHECKBOX:
        return _flag(value) is True
    if kind.has_options:
        return _option(value) in field.options
    return bool(_text(value, kind))


def stored_values(
    recipient: Recipient,
    index: int,
    own: Mapping[int, Field],
    signature: Signature | None,
    values: Mapping[int, FieldInput],
    today: str,
) -> tuple[dict[int, FieldValue], list[str]]:
    """What the store keeps for recipient ``index`` (fields ``own``, by index) signing with
    ``signature`` and ``values``: the values to store and the problems (empty when they may
    sign). ``today`` is the signing date (ISO)."""
    foreign = sorted(set(values) - set(own))
    if foreign:
        raise UserError(
            f"Field {foreign[0]} does not belong to {recipient.name}: give only "
            f"the fields of recipient {index} "
            f"({', '.join(map(str, sorted(own))) or 'none'})."
        )
    stored: dict[int, FieldValue] = {}
    problems: list[str] = []
    for idx, f in own.items():
        given = values.get(idx)
        if f.type in SIGNATURE_TYPES:
            value, problem = _signature_value(idx, f, given, signature)
        else:
            value, problem = _field_value(idx, f, given, today)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            stored[idx] = value
    if recipient.designation == Designation.SIGNER and signature is None:
        problems.append(Text(f"{recipient.name} is a Signer: ", SIGN_WITH))
    return stored, problems


Outcome = tuple[FieldValue | None, str | None]


def _signature_value(
    idx: int, f: Field, given: FieldInput | None, signature: Signature | None
) -> Outcome:
    """A signature or initials field: its own mark, else the recipient's signature (typed
    initials from the typed name). Text given for it on the command line is not used."""
    marked = isinstance(given, Mark)
    mark = given.signature if isinstance(given, Mark) else signature
    if mark is None:
        if f.required:
            return None, Text(f"field {idx} ({f.type.value}) needs a signature: ", SIGN_WITH)
        return None, None
    if mark.image_png is not None:
        return FieldValue(None, mark.image_png), None
    assert mark.typed is not None
    text = mark.typed if marked or f.type == FieldType.SIGNATURE else initials_of(mark.typed)
    return FieldValue(text, None), None


def _field_value(idx: int, f: Field, given: FieldInput | None, today: str) -> Outcome:
    if isinstance(given, Mark):
        raise TypeError(f"field {idx} ({f.type.value}) takes no signature")
    if f.type == FieldType.DATE:
        return FieldValue(_text(given, f.type) or today, None), None
    if f.type == FieldType.CHECKBOX:
        return _checkbox_value(idx, f, given)
    if f.type.has_options:
        option = _option(given)
        if option is None:
            if f.required:
                return None, Text(
                    f"field {idx} ({f.type.value}) is required: ",
                    Alt(f"pass --field {idx}=VALUE with", "choose"),
                    f" one of: {', '.join(f.options)}",
                )
            return None, None
        if option not in f.options:
            return None, (
                f"field {idx} ({f.type.value}): {option!r} is not one of {', '.join(f.options)}"
            )
        return FieldValue(option, None), None
    text = _text(given, f.type)
    if not text:
        if f.required:
            label = f" {f.label!r}" if f.label else ""
            return None, Text(
                f"field {idx} ({f.type.value}{label}) is required: ",
                Alt(f"pass --field {idx}=TEXT", "fill it in"),
            )
        return None, None
    return FieldValue(text, None), None


def _checkbox_value(idx: int, f: Field, given: FieldInput | None) -> Outcome:
    flag = _flag(given)
    if flag is None:
        assert isinstance(given, TextValue)
        return None, f"field {idx} (checkbox) takes yes or no, not {given.text!r}"
    if f.required and not flag:
        return None, Text(
            f"field {idx} (checkbox) is required: ", Alt(f"pass --field {idx}=yes", "tick it")
        )
    return FieldValue("true" if flag else "false", None), None


def _flag(value: FieldInput | None) -> bool | None:
    """A checkbox's state: ticked, not, or None for text that is neither yes nor no."""
    if isinstance(value, Checked):
        return value.ticked
    if value is None:
        return False
    if not isinstance(value, TextValue):
        raise TypeError(f"a checkbox takes a tick, not {type(value).__name__}")
    word = value.text.strip().lower()
    if word in TRUTHY:
        return True
    return False if word in FALSY else None


def _option(value: FieldInput | None) -> str | None:
    if isinstance(value, Choice):
        return value.option
    if isinstance(value, TextValue):
        return value.text
    if value is None:
        return None
    raise TypeError(f"a dropdown or radio field takes a choice, not {type(value).__name__}")


def _text(value: FieldInput | None, kind: FieldType) -> str:
    if isinstance(value, TextValue):
        return value.text
    if value is None:
        return ""
    raise TypeError(f"a {kind.value} field takes text, not {type(value).__name__}")
