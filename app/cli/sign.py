"""``sealbox sign``: signing in person on this computer (the built-in provider), through the
in-person signing service the signing screen uses too."""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.cli.output import emit, request_json, say
from app.domain.lifecycle import Status
from app.domain.text import shown
from app.errors import SealboxError, UserError

if TYPE_CHECKING:
    from app.context import Context
    from app.domain.model import Request
    from app.services.signing_values import Signature

log = logging.getLogger("sealbox.cli")


def parse_field_values(items: Sequence[str]) -> dict[int, str]:
    values: dict[int, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[0-9]{1,9}", key.strip()):
            raise UserError(
                f"--field {shown(item)} is not N=VALUE: give the field's number (from "
                '`sealbox show`) and its value, like --field 2="ACME Ltd".'
            )
        values[int(key)] = value
    return values


def cmd_sign(ctx: Context, args: argparse.Namespace) -> int:
    from app.services.in_person import InPersonSigning, recipient_index
    from app.services.signing_values import FieldInput, TextValue

    signing = InPersonSigning(ctx)
    request = signing.load(args.id)
    index = recipient_index(request, args.recipient)
    # Each value as typed; the service reads it by its field's type (yes/no, an option, text).
    values: dict[int, FieldInput] = {
        idx: TextValue(text) for idx, text in parse_field_values(args.field).items()
    }
    if args.decline is not None:
        updated = signing.decline(request.id, index, args.decline).request
    else:
        step = signing.sign(request.id, index, _signature(args), values)
        updated = step.request
        if step.needs_completing or updated.status == Status.COMPLETED:
            # The signature is stored: what follows (sealing, archiving) is finished by
            # `sealbox sync` if it cannot be done now.
            stopped = signing.complete_and_archive(updated.id)
            if stopped is not None:
                return sign_stopped(updated, index, stopped.step, stopped.problem)
            updated = ctx.requests.get(updated.id)
    name = updated.spec.recipients[index].name

    def text() -> None:
        if args.decline is not None:
            say(f"{name} declined {updated.name!r}.")
        elif updated.status == Status.COMPLETED:
            say(f"{name} signed. {updated.name!r} is complete and archived:")
            for f in ctx.store.archive.files(updated.id):
                say(f"  {ctx.paths.archive_dir / f.path}")
        else:
            nxt = updated.next_recipient()
            who = updated.spec.recipients[nxt].name if nxt is not None else "nobody"
            say(f"{name} signed. Next: {who} (recipient {nxt}).")

    emit(args, request_json(ctx, updated), text)
    return 0


def _signature(args: argparse.Namespace) -> Signature | None:
    """The signature ``sealbox sign`` was given: a typed name or a PNG image (None: approve)."""
    from app.services.signing_values import Signature, read_signature_image

    if args.typed_signature is not None:
        if not args.typed_signature.strip():
            raise UserError("--typed-signature needs the signer's name.")
        return Signature(typed=args.typed_signature.strip())
    if args.signature_image is not None:
        return Signature(image_png=read_signature_image(args.signature_image), uploaded=True)
    return None


def sign_stopped(request: Request, index: int, step: str, problem: SealboxError) -> int:
    """Say that the signature is kept but ``step`` (sealing, archiving) stopped, and why."""
    from app.storage import DiskFullError

    who = request.spec.recipients[index].name
    log.warning("sign of %s: %s stopped: %s", request.id, step, problem.message)
    if isinstance(problem, DiskFullError):
        why = DiskFullError(problem.path, "run `sealbox sync` to finish it").message
    else:
        why = f"{problem.message} Then run `sealbox sync` to finish it."
    say(f"sealbox: {who} signed {request.name!r}, but {step} stopped. {why}", err=True)
    return problem.exit_code
