"""Checks of an archive folder beyond its recorded hashes.

Hashes recorded in ``request.json`` (and the store) prove a file unchanged only against a record
that may itself have been rewritten. These checks look at what the record cannot vouch for:

- **the certificate's own word**: a sealed completion certificate names the SHA-256 of the signed
  document and of the original, and the request's id. A signed PDF swapped for another one (its
  hashes fixed in ``request.json`` and reindexed) no longer matches what the certificate, whose
  seal still holds, says was signed;
- **files nobody archived**: anything in a request folder that ``request.json`` does not list
  (operating-system litter such as ``.DS_Store`` or ``Thumbs.db`` aside) is reported, and left
  out of exports;
- **where folders are**: a folder renamed or moved is found by the id in its ``request.json``;
- **the trust root**: without this installation's ``ca.pem`` every seal made here reads
  "untrusted", which must be said, not passed over.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.archive.staging import REPLACED_PREFIX, TARGET_FILE
from app.config import Paths

#: Files an operating system drops into folders people browse: not reported.
OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "Desktop.ini", ".directory"})
_HASH = r"([0-9a-f]{64})"
_SIGNED = re.compile(r"Signed document\s+" + _HASH)
_ORIGINAL = re.compile(r"Original document\s+" + _HASH)
_REQUEST = re.compile(r"Signature request ([0-9a-f-]{36})")


@dataclass(frozen=True)
class CertificateFacts:
    """What a Sealbox completion certificate says about the request it completes."""

    request_id: str | None
    original_sha256: str | None
    signed_sha256: str | None


def certificate_facts(path: Path) -> CertificateFacts | None:
    """The facts a certificate states, or None when it is not one Sealbox can read (another
    provider's, or not a readable PDF)."""
    from app.errors import UserError
    from app.pdf.document import extract_text, open_pdf_bytes

    try:
        doc = open_pdf_bytes(path.read_bytes(), path.name)
    except (UserError, OSError):
        return None
    try:
        meta: dict[str, str] = doc.metadata or {}
        text = extract_text(doc)
    except (UserError, RuntimeError, ValueError):
        return None
    finally:
        doc.close()
    subject = _REQUEST.search(meta.get("subject") or "")
    signed = _SIGNED.search(text)
    original = _ORIGINAL.search(text)
    if not (subject or signed or original):
        return None
    return CertificateFacts(
        subject.group(1) if subject else None,
        original.group(1) if original else None,
        signed.group(1) if signed else None,
    )


def certificate_problems(
    manifest: dict[str, Any], facts: CertificateFacts, signed_sha256: str | None
) -> dict[str, list[str]]:
    """Where the certificate and the folder disagree, one sentence each, by the kind of file
    (``signed``, ``certificate``) that is not what the other says."""
    problems: dict[str, list[str]] = {}
    rid = manifest.get("id")
    if facts.request_id and rid and facts.request_id != rid:
        problems.setdefault("certificate", []).append(
            f"the certificate is for another request ({facts.request_id}), not {rid}"
        )
    original = (manifest.get("document") or {}).get("sha256")
    if facts.original_sha256 and original and facts.original_sha256 != original:
        problems.setdefault("certificate", []).append(
            f"the certificate names the original document {facts.original_sha256[:16]}… "
            f"(SHA-256), request.json {original[:16]}…"
        )
    if facts.signed_sha256 and signed_sha256 and facts.signed_sha256 != signed_sha256:
        problems.setdefault("signed", []).append(
            f"its sealed certificate names the signed document {facts.signed_sha256[:16]}… "
            f"(SHA-256), but this file is {signed_sha256[:16]}…: it is not the document that "
            "was signed"
        )
    return problems


def archived_names(manifest: dict[str, Any]) -> set[str]:
    """The names of the files Sealbox archived in a folder (``request.json`` included)."""
    names = {"request.json"}
    for entry in manifest.get("files", {}).values():
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            names.add(entry["name"])
    return names


def extra_entries(folder: Path, manifest: dict[str, Any]) -> list[Path]:
    """Files and folders in ``folder`` that Sealbox did not archive there."""
    known = archived_names(manifest)
    out = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name in known or name in OS_LITTER or name.startswith("._"):
            continue
        if (name.startswith(REPLACED_PREFIX) and path.is_dir()) or name == TARGET_FILE:
            continue  # earlier copies kept by `download --again`, and its note
        out.append(path)
    return out


def folders_by_id(root: Path) -> dict[str, list[Path]]:
    """Every request folder under ``root`` by the id in its ``request.json``."""
    found: dict[str, list[Path]] = {}
    for folder in _manifests(root):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads((folder / "request.json").read_text(encoding="utf-8"))
            found.setdefault(str(data["id"]), []).append(folder)
    return found


def _manifests(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    # Folders moved out of their YYYY/MM place are looked for a few levels deep.
    for pattern in (
        "*/request.json",
        "*/*/request.json",
        "*/*/*/request.json",
        "*/*/*/*/request.json",
    ):
        for manifest in sorted(root.glob(pattern)):
            if not any(part.startswith(".") for part in manifest.relative_to(root).parts):
                yield manifest.parent


def trust_root_problem(paths: Paths, local_archived: bool) -> str | None:
    """Why this installation cannot vouch for its own seals, if it cannot: its root
    (``ca.pem``) is missing while a seal was made here or sealed files are archived."""
    from app.providers.local.pki import CA_FILE, RETIRED_DIR

    seal_dir = paths.seal_dir
    if (seal_dir / CA_FILE).is_file():
        return None
    made_here = any((seal_dir / name).exists() for name in ("seal.pem", "seal-key.pem"))
    retired = any((seal_dir / RETIRED_DIR).glob(f"*/{CA_FILE}"))
    if not made_here and not local_archived:
        return None
    kept = " (only retired roots remain)" if retired else ""
    return (
        f"This installation's trust root {seal_dir / CA_FILE} is missing{kept}, so the "
        "seals made on this computer cannot be checked and read as untrusted: restore "
        f"{CA_FILE} from a backup of {seal_dir} (it is not secret), then verify again."
    )
