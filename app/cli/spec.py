"""Reading a request spec file given to ``sealbox send``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import UserError

if TYPE_CHECKING:
    from app.domain.model import RequestSpec

#: The largest request spec read (one with 200 fields and 200 anchors is far below it).
MAX_SPEC_BYTES = 5 * 1024 * 1024


def load_spec(path: Path) -> RequestSpec:
    from app.domain.model import RequestSpec
    from app.userfiles import display_name, read_user_file

    label = f"The spec file {display_name(path)}"
    content = read_user_file(path, label, "a request spec (JSON)", MAX_SPEC_BYTES)
    try:
        raw = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{label} is not UTF-8 text: save it as UTF-8 JSON.") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{label} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}): fix it and try again."
        ) from exc
    except RecursionError as exc:
        raise UserError(
            f"{label} is nested too deeply to be a request spec: check that it is the right file."
        ) from exc
    return RequestSpec.from_json(data)
