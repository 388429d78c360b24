"""The selected anchor: one evented model beside the scene and the camera (DESIGN.md 2). The
timeline writes it (click, keys); the seed browser, the directions panel, the anchor handlers and
the viewport's marker read it and follow its changes. Not a scene edit (never an undo step); the
session file saves it as "selected", and it survives a model load. No Qt."""
from __future__ import annotations

from alis_studio.engine.events import Observable


class Selection(Observable):
    """`anchor`: the selected anchor index, or None (nothing selected: no model shown yet)."""

    def __init__(self, anchor: int | None = None):
        super().__init__()
        self._anchor = None if anchor is None else int(anchor)

    @property
    def anchor(self) -> int | None:
        return self._anchor

    def select(self, anchor: int | None) -> bool:
        """Select `anchor` (None: nothing); notifies and returns True only if it changed."""
        anchor = None if anchor is None else int(anchor)
        if anchor == self._anchor:
            return False
        self._anchor = anchor
        self._emit()
        return True
