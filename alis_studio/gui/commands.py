"""Undoable scene edits: every change the GUI makes to the scene goes through `SceneEditor` (a new
scene, from a session or after a model change, through `reset`, which starts a fresh history).

Each command holds two snapshots of `Scene.to_dict()` (the scene alone: the camera is not part of it,
so undo never moves the camera) and restores them, which makes undo exact whatever the edit did (random seeds included).
Consecutive moves of the psi slider within one gesture merge into a single command.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
from PySide6.QtGui import QUndoCommand, QUndoStack

from alis_studio.engine.scene import AnchorSpec, Scene

PSI_ID, DIRECTION_ID = 1, 2  # QUndoCommand.id() of psi and direction slider changes, for merging


def psi_text(old: float, new: float) -> str:
    return f"Truncation ψ {old:.2f} → {new:.2f}"


class SnapshotCommand(QUndoCommand):
    """Undo/redo by restoring whole-scene snapshots taken before and after the edit."""

    def __init__(self, scene: Scene, text: str, before: dict, after: dict, merge_id: int = -1, gesture=None):
        super().__init__(text)
        self.scene, self.before, self.after = scene, before, after
        self._id, self.gesture = merge_id, gesture

    def _apply(self, state: dict) -> None:
        self.scene.restore(state)

    def redo(self) -> None:
        self._apply(self.after)  # a no-op right after the push: the edit is already done

    def undo(self) -> None:
        self._apply(self.before)

    def id(self) -> int:
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if other.id() != self._id or self._id < 0 or other.gesture != self.gesture:
            return False
        self.after = other.after
        if self._id == PSI_ID:
            self.setText(psi_text(self.before["psi"], self.after["psi"]))
        else:
            self.setText(other.text())  # the slider's latest value
        self.setObsolete(self.after == self.before)
        return True


class SceneEditor:
    """The GUI's only way to change a scene: each method is one named, undoable edit.

    Returns True if the scene changed. Invalid edits (e.g. deleting from a 2-anchor loop) call
    `on_error(message)` and change nothing.
    """

    def __init__(self, scene: Scene, stack: QUndoStack, on_error: Callable[[str], None] | None = None):
        self.scene, self.stack, self.on_error = scene, stack, on_error
        self.rng = np.random.default_rng()

    def edit(self, text: str, fn: Callable[[], object], merge_id: int = -1, gesture=None) -> bool:
        before = self.scene.to_dict()
        try:
            fn()
        except ValueError as e:
            self.scene.restore(before)
            if self.on_error:
                self.on_error(str(e))
            return False
        after = self.scene.to_dict()
        if after == before:
            return False
        self.stack.push(SnapshotCommand(self.scene, text, before, after, merge_id, gesture))
        return True

    def reset(self, state: dict) -> None:
        """Replace the whole scene with `state` (Scene.to_dict()) and forget the undo history: a
        loaded session, or a scene whose latents no longer fit the model."""
        self.scene.restore(state)
        self.stack.clear()

    # ---------------------------------------------------------------- anchors
    def pin(self, i: int, pinned: bool) -> bool:
        return self.edit(f"{'Pin' if pinned else 'Unpin'} anchor {i}", lambda: self.scene.pin(i, pinned))

    def toggle_pin(self, i: int) -> bool:
        return self.pin(i, not self.scene.anchor(i).pinned)

    def resample(self, i: int) -> bool:
        return self.edit(f"Resample anchor {i}", lambda: self.scene.resample(i, self.rng))

    def set_anchor_seed(self, i: int, seed: int) -> bool:
        return self.edit(f"Set seed of anchor {i} to {seed}", lambda: self.scene.set_anchor_seed(i, seed))

    def insert(self, i: int, after: bool = False) -> bool:
        p = i + 1 if after else i
        return self.edit(f"Insert anchor {'after' if after else 'before'} {i}",
                         lambda: self.scene.insert(p, rng=self.rng))

    def delete(self, i: int) -> bool:
        return self.edit(f"Delete anchor {i}", lambda: self.scene.delete(i))

    def move(self, src: int, dst: int) -> bool:
        return self.edit(f"Move anchor {src} to {dst}", lambda: self.scene.move(src, dst))

    def paste(self, i: int, spec: AnchorSpec) -> bool:
        spec = dataclasses.replace(spec, pinned=self.scene.anchor(i).pinned)
        return self.edit(f"Paste latent onto anchor {i}", lambda: self.scene.set_anchor(i, spec))

    def connect(self, i: int, seed_a: int, seed_b: int, n: int) -> bool:
        """Connect two scenes: seed A pinned at anchor i, seed B pinned n intervals to its right."""
        if n < 1:
            raise ValueError("the scenes must be at least 1 interval apart")
        if self.scene.loop_period and n % self.scene.loop_period == 0:
            raise ValueError(f"in a loop of {self.scene.loop_period} anchors, {n} intervals on is the same anchor")

        def apply():
            self.scene.set_anchor(i, AnchorSpec(seed=seed_a, pinned=True))
            self.scene.set_anchor(i + n, AnchorSpec(seed=seed_b, pinned=True))
        return self.edit(f"Connect seeds {seed_a} and {seed_b} over {n} intervals", apply)

    # ---------------------------------------------------------------- scene
    def resample_unpinned(self) -> bool:
        return self.edit("Resample unpinned anchors", lambda: self.scene.resample_unpinned(self.rng))

    def set_seed(self, seed: int) -> bool:
        return self.edit(f"Scene seed {seed}", lambda: self.scene.set_seed(seed))

    def set_psi(self, psi: float, gesture=None) -> bool:
        """Consecutive calls with the same `gesture` (one slider drag) merge into one undo step."""
        return self.edit(psi_text(self.scene.psi, psi), lambda: self.scene.set_psi(round(psi, 4)),
                         PSI_ID, gesture)

    def set_direction(self, k: int, amount: float, anchor: int | None = None, gesture=None) -> bool:
        """Move along latent direction k at `anchor` (None: the whole scene); one slider drag
        (the same `gesture`) is one undo step."""
        where = "the scene" if anchor is None else f"anchor {anchor}"
        return self.edit(f"{self.scene.direction_name(k)} of {where} → {amount:+.2f}",
                         lambda: self.scene.set_direction(k, round(amount, 4), anchor), DIRECTION_ID, gesture)

    def clear_directions(self, anchor: int | None = None) -> bool:
        where = "the scene" if anchor is None else f"anchor {anchor}"
        return self.edit(f"Reset the directions of {where}", lambda: self.scene.clear_directions(anchor))

    def rename_direction(self, k: int, name: str) -> bool:
        return self.edit(f"Rename component {k} to {name!r}", lambda: self.scene.rename_direction(k, name))

    def set_loop(self, period: int | None) -> bool:
        text = f"Loop period {period}" if period else "Loop off"
        return self.edit(text, lambda: self.scene.set_loop_period(period))
