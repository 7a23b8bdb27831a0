"""The request being prepared in the editor: a spec under construction, pure Python.

The editor's graphics scene and panels mirror this document and never hold the truth. Fields
carry stable ids (the position of a field in the spec changes as others are removed, its id does
not), every mutation tells the subscribers exactly what changed, and :meth:`snapshot` /
:meth:`restore` let one undo command type restore any edit exactly: the command keeps the
snapshots taken before and after, and restoring one reports only the difference.

Recipients are kept in signing order: the list position is the order (``order`` = position + 1),
so moving a recipient renumbers every field and anchor that points at recipients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from app.domain.geometry import PageGeometry
from app.domain.model import (
    DEFAULT_ANCHOR_SIZE,
    DEFAULT_EXPIRATION_HOURS,
    AnchorTag,
    Designation,
    Field,
    FieldType,
    Recipient,
    RequestSpec,
)

FieldId = int

#: The size, in points, a field gets when it is dropped on a page without being drawn.
DEFAULT_FIELD_SIZE: dict[FieldType, tuple[float, float]] = {
    **DEFAULT_ANCHOR_SIZE,
    FieldType.DROPDOWN: (140.0, 24.0),
    FieldType.RADIO_BUTTONS: (120.0, 54.0),
    FieldType.TEXT_AREA: (220.0, 72.0),
}

#: How each field type is named on screen.
TYPE_LABELS: dict[FieldType, str] = {
    FieldType.SIGNATURE: "Signature",
    FieldType.INITIALS: "Initials",
    FieldType.TEXT: "Text",
    FieldType.DATE: "Date",
    FieldType.CHECKBOX: "Checkbox",
    FieldType.DROPDOWN: "Dropdown",
    FieldType.RADIO_BUTTONS: "Radio buttons",
    FieldType.TEXT_AREA: "Text area",
}


def parse_page_range(text: str, page_count: int) -> list[int]:
    """Pages named by ``text`` such as ``"2-5, 8"`` or ``"all"``, in order, each once.

    Raises ``ValueError`` with a sentence for the user when the text names no valid page.
    """
    cleaned = text.strip().lower()
    if cleaned in ("all", "*"):
        return list(range(1, page_count + 1))
    pages: list[int] = []
    for part in filter(None, (p.strip() for p in cleaned.replace(";", ",").split(","))):
        first, sep, last = part.partition("-")
        try:
            start = int(first) if first.strip() else 1
            end = (int(last) if last.strip() else page_count) if sep else start
        except ValueError:
            raise ValueError(
                f'{part!r} is not a page or a range: write pages like "2-5, 8"'
            ) from None
        if start > end:
            start, end = end, start
        if start < 1 or end > page_count:
            raise ValueError(f"{part!r} is outside the document: pages go from 1 to {page_count}")
        pages.extend(n for n in range(start, end + 1) if n not in pages)
    if not pages:
        raise ValueError('No pages given: write pages like "2-5, 8" or "all"')
    return pages


@dataclass(frozen=True)
class Snapshot:
    """Everything an edit can change, as immutable values (cheap to take and compare)."""

    name: str
    message: str
    expiration_hours: int
    recipients: tuple[Recipient, ...]
    fields: tuple[tuple[FieldId, Field], ...]
    anchors: tuple[AnchorTag, ...]
    ocr_anchors: bool = False


@dataclass(frozen=True)
class Change:
    """What one mutation changed: field ids added, removed or changed, and which lists."""

    added: frozenset[FieldId] = frozenset()
    removed: frozenset[FieldId] = frozenset()
    changed: frozenset[FieldId] = frozenset()
    recipients: bool = False
    anchors: bool = False
    meta: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.changed
            or self.recipients
            or self.anchors
            or self.meta
        )


Listener = Callable[[Change], None]


@dataclass
class EditorDocument:
    """The recipients, fields, anchors and message of the request being prepared."""

    pages: list[PageGeometry] = field(default_factory=list)
    name: str = ""
    message: str = ""
    expiration_hours: int = DEFAULT_EXPIRATION_HOURS
    recipients: list[Recipient] = field(default_factory=list)
    anchors: list[AnchorTag] = field(default_factory=list)
    #: Anchor texts are also looked for in scanned pages, by OCR.
    ocr_anchors: bool = False
    _fields: dict[FieldId, Field] = field(default_factory=dict)
    _next_id: int = 1
    _listeners: list[Listener] = field(default_factory=list)

    # --- observing ------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, change: Change) -> None:
        """Tell every listener, even when one of them fails, then raise the first failure: the
        caller (an undoable edit) puts the document back and every mirror hears of that too."""
        if not change:
            return
        failure: BaseException | None = None
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception as exc:  # noqa: BLE001 - raised again below, once all have heard
                if failure is None:
                    failure = exc
        if failure is not None:
            raise failure

    # --- reading --------------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> PageGeometry:
        return self.pages[number - 1]

    def field(self, fid: FieldId) -> Field:
        return self._fields[fid]

    def has_field(self, fid: FieldId) -> bool:
        return fid in self._fields

    def field_ids(self) -> list[FieldId]:
        """Every field id, in spec order (the order they were added)."""
        return list(self._fields)

    def fields(self) -> list[tuple[FieldId, Field]]:
        return list(self._fields.items())

    def fields_on_page(self, page: int) -> list[tuple[FieldId, Field]]:
        return [(fid, f) for fid, f in self._fields.items() if f.page == page]

    def field_at_index(self, index: int) -> FieldId | None:
        """The id of ``spec.fields[index]`` of :meth:`to_spec` (for problems that name it)."""
        ids = list(self._fields)
        return ids[index] if 0 <= index < len(ids) else None

    def __len__(self) -> int:
        return len(self._fields)

    def to_spec(self) -> RequestSpec:
        return RequestSpec(
            name=self.name.strip(),
            message=self.message or None,
            expiration_hours=self.expiration_hours,
            recipients=tuple(self.recipients),
            fields=tuple(self._fields.values()),
            anchor_tags=tuple(self.anchors),
            ocr_anchors=self.ocr_anchors,
        )

    # --- snapshots (undo) -----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return Snapshot(
            self.name,
            self.message,
            self.expiration_hours,
            tuple(self.recipients),
            tuple(self._fields.items()),
            tuple(self.anchors),
            self.ocr_anchors,
        )

    def restore(self, snap: Snapshot) -> None:
        """Make the document equal ``snap``, reporting only what differs."""
        target = dict(snap.fields)
        added = frozenset(target.keys() - self._fields.keys())
        removed = frozenset(self._fields.keys() - target.keys())
        changed = frozenset(
            fid for fid in target.keys() & self._fields.keys() if target[fid] != self._fields[fid]
        )
        recipients = tuple(self.recipients) != snap.recipients
        anchors = (tuple(self.anchors), self.ocr_anchors) != (snap.anchors, snap.ocr_anchors)
        meta = (self.name, self.message, self.expiration_hours) != (
            snap.name,
            snap.message,
            snap.expiration_hours,
        )
        self.name, self.message, self.expiration_hours = (
            snap.name,
            snap.message,
            snap.expiration_hours,
        )
        self.recipients = list(snap.recipients)
        self.anchors = list(snap.anchors)
        self.ocr_anchors = snap.ocr_anchors
        self._fields = target
        if target:
            self._next_id = max(self._next_id, max(target) + 1)
        self._emit(Change(added, removed, changed, recipients, anchors, meta))

    def load(self, spec: RequestSpec, pages: Sequence[PageGeometry] | None = None) -> None:
        """Replace everything with ``spec`` (a template or a saved spec), fields get new ids."""
        if pages is not None:
            self.pages = list(pages)
        fields = {self._next_id + i: f for i, f in enumerate(spec.fields)}
        self._next_id += len(fields)
        recipients = tuple(
            replace(r, order=i + 1)
            for i, r in enumerate(sorted(spec.recipients, key=lambda r: r.order))
        )
        # Sorting by order moves recipients: point fields and anchors at their new positions.
        position = {id(r): i for i, r in enumerate(sorted(spec.recipients, key=lambda r: r.order))}
        remap = {old: position[id(r)] for old, r in enumerate(spec.recipients)}
        fields = {
            fid: replace(f, recipient_index=remap.get(f.recipient_index, f.recipient_index))
            for fid, f in fields.items()
        }
        anchors = tuple(
            replace(a, recipient_index=remap.get(a.recipient_index, a.recipient_index))
            for a in spec.anchor_tags
        )
        self.restore(
            Snapshot(
                spec.name,
                spec.message or "",
                spec.expiration_hours,
                recipients,
                tuple(fields.items()),
                anchors,
                spec.ocr_anchors,
            )
        )

    # --- fields ---------------------------------------------------------------------------------

    def new_ids(self, count: int) -> list[FieldId]:
        ids = list(range(self._next_id, self._next_id + count))
        self._next_id += count
        return ids

    def add_fields(self, fields: Iterable[Field]) -> list[FieldId]:
        items = list(fields)
        ids = self.new_ids(len(items))
        for fid, f in zip(ids, items, strict=True):
            self._fields[fid] = f
        self._emit(Change(added=frozenset(ids)))
        return ids

    def remove_fields(self, ids: Iterable[FieldId]) -> dict[FieldId, Field]:
        gone = {fid: self._fields.pop(fid) for fid in list(ids) if fid in self._fields}
        self._emit(Change(removed=frozenset(gone)))
        return gone

    def update_fields(self, changes: Mapping[FieldId, Field]) -> None:
        real = {
            fid: f for fid, f in changes.items() if fid in self._fields and self._fields[fid] != f
        }
        self._fields.update(real)
        self._emit(Change(changed=frozenset(real)))

    def move_fields(self, ids: Iterable[FieldId], dx: float, dy: float) -> None:
        """Move fields by (dx, dy) points, each kept inside its page."""
        out = {}
        for fid in ids:
            f = self._fields[fid]
            out[fid] = self.clamped(replace(f, x=f.x + dx, y=f.y + dy))
        self.update_fields(out)

    def resize_fields(
        self, ids: Iterable[FieldId], dw: float, dh: float, minimum: float = 4.0
    ) -> None:
        out = {}
        for fid in ids:
            f = self._fields[fid]
            out[fid] = self.clamped(
                replace(f, width=max(minimum, f.width + dw), height=max(minimum, f.height + dh))
            )
        self.update_fields(out)

    def clamped(self, f: Field) -> Field:
        """``f`` moved (and if need be shrunk) so it lies inside its page."""
        if not 1 <= f.page <= len(self.pages):
            return f
        geom = self.pages[f.page - 1]
        width = min(f.width, geom.width)
        height = min(f.height, geom.height)
        x = min(max(f.x, 0.0), geom.width - width)
        y = min(max(f.y, 0.0), geom.height - height)
        return replace(f, x=x, y=y, width=width, height=height)

    def copy_to_pages(self, ids: Iterable[FieldId], pages: Iterable[int]) -> list[FieldId]:
        """Copy each field to the same place on each of ``pages`` (skipping its own page and
        pages where it would not fit); returns the new ids."""
        copies: list[Field] = []
        sources = [self._fields[fid] for fid in ids]
        for page in pages:
            if not 1 <= page <= len(self.pages):
                continue
            geom = self.pages[page - 1]
            for f in sources:
                if f.page == page:
                    continue
                copy = replace(f, page=page, anchor=None)
                if copy.x + copy.width <= geom.width + 0.01 and (
                    copy.y + copy.height <= geom.height + 0.01
                ):
                    copies.append(copy)
                else:
                    copies.append(self.clamped(copy))
        return self.add_fields(copies)

    # --- recipients -----------------------------------------------------------------------------

    def add_recipient(self, recipient: Recipient) -> int:
        self.recipients.append(replace(recipient, order=len(self.recipients) + 1))
        self._emit(Change(recipients=True))
        return len(self.recipients) - 1

    def update_recipient(self, index: int, recipient: Recipient) -> None:
        new = replace(recipient, order=index + 1)
        if self.recipients[index] != new:
            self.recipients[index] = new
            self._emit(Change(recipients=True))

    def remove_recipient(self, index: int) -> None:
        """Remove recipient ``index`` with their fields and anchors; later recipients move up."""
        del self.recipients[index]
        self._renumber_recipients(lambda i: None if i == index else (i - 1 if i > index else i))

    def move_recipient(self, index: int, to: int) -> None:
        """Move recipient ``index`` to position ``to`` in the signing order."""
        if index == to or not (0 <= to < len(self.recipients)):
            return
        order = list(range(len(self.recipients)))
        order.insert(to, order.pop(index))
        self.recipients = [self.recipients[i] for i in order]
        new_of_old = {old: new for new, old in enumerate(order)}
        self._renumber_recipients(new_of_old.get)

    def _renumber_recipients(self, new_index: Callable[[int], int | None]) -> None:
        self.recipients = [replace(r, order=i + 1) for i, r in enumerate(self.recipients)]
        removed: set[FieldId] = set()
        changed: set[FieldId] = set()
        for fid, f in list(self._fields.items()):
            target = new_index(f.recipient_index)
            if target is None:
                del self._fields[fid]
                removed.add(fid)
            elif target != f.recipient_index:
                self._fields[fid] = replace(f, recipient_index=target)
                changed.add(fid)
        anchors = []
        for a in self.anchors:
            target = new_index(a.recipient_index)
            if target is not None:
                anchors.append(replace(a, recipient_index=target))
        self.anchors = anchors
        self._emit(
            Change(
                removed=frozenset(removed),
                changed=frozenset(changed),
                recipients=True,
                anchors=True,
            )
        )

    def acting_recipients(self) -> list[int]:
        return [i for i, r in enumerate(self.recipients) if r.designation != Designation.CC]

    # --- anchors and the rest -------------------------------------------------------------------

    def add_anchor(self, anchor: AnchorTag) -> int:
        self.anchors.append(anchor)
        self._emit(Change(anchors=True))
        return len(self.anchors) - 1

    def update_anchor(self, index: int, anchor: AnchorTag) -> None:
        if self.anchors[index] != anchor:
            self.anchors[index] = anchor
            self._emit(Change(anchors=True))

    def remove_anchor(self, index: int) -> None:
        del self.anchors[index]
        self._emit(Change(anchors=True))

    def set_ocr_anchors(self, on: bool) -> None:
        """Whether anchor texts are also looked for in scanned pages (OCR)."""
        if self.ocr_anchors != on:
            self.ocr_anchors = on
            self._emit(Change(anchors=True))

    def set_meta(
        self,
        *,
        name: str | None = None,
        message: str | None = None,
        expiration_hours: int | None = None,
    ) -> None:
        before = (self.name, self.message, self.expiration_hours)
        if name is not None:
            self.name = name
        if message is not None:
            self.message = message
        if expiration_hours is not None:
            self.expiration_hours = expiration_hours
        self._emit(Change(meta=before != (self.name, self.message, self.expiration_hours)))
