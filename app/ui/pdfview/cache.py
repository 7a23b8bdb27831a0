"""Rendered page images kept for the PDF view: an LRU cache bounded by bytes."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtGui import QImage

DEFAULT_CACHE_BYTES = 160 * 1024 * 1024


class ImageCache:
    """Rendered page images keyed by (page, scale), least recently used evicted first once
    their total size passes ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._images: OrderedDict[tuple[int, float], QImage] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._max_bytes = value
        self._evict()

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._images)

    def __contains__(self, key: tuple[int, float]) -> bool:
        return key in self._images

    def keys(self) -> list[tuple[int, float]]:
        """Keys from least to most recently used."""
        return list(self._images)

    def get(self, page: int, scale: float) -> QImage | None:
        image = self._images.get((page, scale))
        if image is not None:
            self._images.move_to_end((page, scale))
        return image

    def put(self, page: int, scale: float, image: QImage) -> None:
        old = self._images.pop((page, scale), None)
        if old is not None:
            self._bytes -= old.sizeInBytes()
        self._images[(page, scale)] = image
        self._bytes += image.sizeInBytes()
        self._evict()

    def best(self, page: int, scale: float) -> tuple[float, QImage] | None:
        """The cached image of ``page`` closest to ``scale`` (a larger one preferred)."""
        found: tuple[float, QImage] | None = None
        for (number, have), image in self._images.items():
            if number != page:
                continue
            if found is None or _closer(have, found[0], scale):
                found = (have, image)
        return found

    def clear(self) -> None:
        self._images.clear()
        self._bytes = 0

    def _evict(self) -> None:
        while self._bytes > self._max_bytes and len(self._images) > 1:
            _, image = self._images.popitem(last=False)
            self._bytes -= image.sizeInBytes()
        if self._bytes > self._max_bytes and self._images:  # one image bigger than the budget
            _, image = self._images.popitem(last=False)
            self._bytes -= image.sizeInBytes()


def _closer(candidate: float, current: float, wanted: float) -> bool:
    """Whether scale ``candidate`` is a better stand-in for ``wanted`` than ``current``."""
    if (candidate >= wanted) != (current >= wanted):
        return candidate >= wanted
    return abs(candidate - wanted) < abs(current - wanted)
