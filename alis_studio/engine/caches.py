"""A least-recently-used cache bounded in bytes (cachetools.LRUCache weighing each entry), shared by
the renderer's patch cache (here), its continuations (levels.py) and the GUI's image cache."""
from __future__ import annotations

import threading

import cachetools
import numpy as np


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


class PatchCache:
    """Thread-safe LRU of rendered patches (with their mip levels), bounded in bytes (a
    cachetools.LRUCache weighing each entry by its arrays' bytes). A patch larger than the whole
    bound is not kept: `cache_bytes=0` (the command line's renderers) caches nothing."""

    def __init__(self, max_bytes: int):
        self._items = ByteLRU(max_bytes, _nbytes)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def max_bytes(self) -> int:
        return self._items.max_bytes

    @property
    def bytes(self) -> int:
        return self._items.bytes

    def get(self, key, level: int = 0) -> np.ndarray | None:
        with self._lock:
            levels = self._items.get(key)  # a hit moves the key to the young end
            if levels is None:
                self.misses += 1
                return None
            self.hits += 1
            return levels[min(level, len(levels) - 1)]

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key, levels: list[np.ndarray]) -> None:
        with self._lock:
            self._items.put(key, levels)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _nbytes(levels: list[np.ndarray]) -> int:
    return sum(a.nbytes for a in levels)
