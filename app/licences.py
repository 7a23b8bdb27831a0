"""The licences of Sealbox's dependencies, read from the installed packages' metadata.

Starts at Sealbox's own runtime requirements and follows each package's requirements (those of
the extras asked for, such as pyHanko's ``pkcs11``; markers that do not apply are skipped), so
the About dialog lists everything that ships in the app. The bundle carries the packages'
metadata for this (``packaging/sealbox.spec``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata

OWN = "sealbox"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRAS = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class Licence:
    name: str
    version: str
    licence: str
    homepage: str | None = None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _field(meta: metadata.PackageMetadata, key: str) -> str | None:
    return str(meta[key]) if key in meta else None


def _licence_of(meta: metadata.PackageMetadata) -> str:
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression)
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License ::")
    ]
    if classifiers:
        return ", ".join(dict.fromkeys(classifiers))
    text = (_field(meta, "License") or "").strip()
    if text and len(text) <= 100 and "\n" not in text:
        return text
    return "see the package's licence file" if text else "not stated"


def _requirements(
    dist: metadata.Distribution, extras: frozenset[str] = frozenset()
) -> list[tuple[str, frozenset[str]]]:
    """The packages ``dist`` needs here (with the extras asked of each), its ``extras`` too."""
    out = []
    for requirement in dist.requires or []:
        spec, _, marker = requirement.partition(";")
        if marker.strip() and not _applies(marker.strip(), extras):
            continue
        match = _NAME.match(spec)
        if match:
            asked = _EXTRAS.search(spec)
            wanted = frozenset(e.strip() for e in asked.group(1).split(",")) if asked else None
            out.append((match.group(1), wanted or frozenset()))
    return out


def _applies(marker: str, extras: frozenset[str]) -> bool:
    """Whether a requirement's marker holds on this platform, for one of the ``extras``."""
    try:
        from packaging.markers import Marker
    except ImportError:  # no packaging: keep it (harmless in a list of licences)
        return "extra" not in marker or any(f'"{e}"' in marker for e in extras)
    if "extra" not in marker:
        return bool(Marker(marker).evaluate())
    return any(Marker(marker).evaluate({"extra": e}) for e in extras)


def dependency_licences(root: str = OWN) -> list[Licence]:
    """Every package ``root`` needs at run time, with its version and licence, by name."""
    seen: dict[str, Licence] = {}
    extras_seen: dict[str, frozenset[str]] = {}
    try:
        todo = _requirements(metadata.distribution(root))
    except metadata.PackageNotFoundError:
        return []
    while todo:
        name, extras = todo.pop()
        key = _normal(name)
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        todo.extend(_requirements(dist, extras))
        if key in seen:
            continue
        meta = dist.metadata
        home = _field(meta, "Home-page") or next(
            (
                url.split(",", 1)[1].strip()
                for url in meta.get_all("Project-URL") or []
                if "," in url
            ),
            None,
        )
        seen[key] = Licence(_field(meta, "Name") or name, dist.version, _licence_of(meta), home)
    return sorted(seen.values(), key=lambda item: item.name.lower())
