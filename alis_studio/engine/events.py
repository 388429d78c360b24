"""The one observer for the engine's plain models (Scene, Camera, Selection): callbacks that fire
once per real change (never for a no-op), so views redraw only when something they show moved. No Qt."""
from __future__ import annotations

from typing import Callable


class Observable:
    """The shared semantics, the same for every model:

    - `subscribe(fn)`: call `fn(model)` after each real change, in subscription order.
    - `unsubscribe(fn)`: stop calling `fn`; an unknown or already removed `fn` is harmless (a view
      may disconnect on close and again on destruction).
    - A callback may unsubscribe itself or others: the round under way still calls everyone who was
      subscribed when it began.
    - A subclass either calls `_emit()` after a change it has checked is real, or runs the change
      through `_apply(fn)`, which compares `_state()` before and after and notifies only if it
      differs. `_apply` nests: a compound change (a move made of a delete and an insert, a zoom that
      sets scale and x0) notifies once, at the end of the outermost one, with the final state; if
      `fn` raises, nothing is notified.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable] = []
        self._quiet = 0  # > 0 inside an _apply: its outermost end notifies once

    def subscribe(self, fn: Callable) -> None:
        self._callbacks.append(fn)

    def unsubscribe(self, fn: Callable) -> None:
        try:
            self._callbacks.remove(fn)
        except ValueError:
            pass

    def _emit(self) -> None:
        if self._quiet:
            return
        for fn in list(self._callbacks):  # a callback may unsubscribe itself
            fn(self)

    def _state(self) -> object:
        """What `_apply` compares to tell a real change from a no-op (the subclass says)."""
        raise NotImplementedError

    def _apply(self, fn: Callable[[], object]) -> bool:
        """Run `fn` (which may change several things, or call `_apply` again); return True and
        notify once if the state changed and this is the outermost call."""
        before = self._state()
        self._quiet += 1
        try:
            fn()
        finally:
            self._quiet -= 1
        if self._quiet or self._state() == before:
            return False
        self._emit()
        return True
