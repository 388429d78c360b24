"""A least-recently-used cache bounded in bytes (cachetools.LRUCache weighing each entry), shared by
the renderer's patch cache and the GUI's image cache."""
from __future__ import annotations

import cachetools


class ByteLRU(cachetools.LRUCache):
    """`getsizeof(value)` bytes per entry, at most `max_bytes` in all; an entry larger than the whole
    bound is not kept (so a bound of 0 caches nothing). Not thread-safe by itself."""

    def __init__(self, max_bytes: int, getsizeof):
        super().__init__(maxsize=max(0, int(max_bytes)), getsizeof=getsizeof)

    @property
    def max_bytes(self) -> int:
        return int(self.maxsize)

    @property
    def bytes(self) -> int:
        return int(self.currsize)

    def put(self, key, value) -> None:
        """Keep `value` unless it is there already or larger than the bound (evicting the least
        recently used until it fits)."""
        if key not in self and self.getsizeof(value) <= self.maxsize:
            self[key] = value
