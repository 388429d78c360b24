"""A small observer for the engine's plain models: callbacks that fire once per real change (never
for a no-op), so views redraw only when something they show moved. No Qt."""
from __future__ import annotations

from typing import Callable


class Observable:
    """`subscribe(fn)`: call `fn(self)` after each real change; the subclass calls `_emit()` then."""

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []

    def subscribe(self, fn: Callable) -> None:
        self._callbacks.append(fn)

    def unsubscribe(self, fn: Callable) -> None:
        """Stop calling `fn` (twice is harmless: a view may disconnect on close and on destruction)."""
        try:
            self._callbacks.remove(fn)
        except ValueError:
            pass

    def _emit(self) -> None:
        for fn in list(self._callbacks):  # a callback may unsubscribe itself
            fn(self)
