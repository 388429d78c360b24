"""Levels of detail (DESIGN.md 3.1, version 3): a bundle's synthesis as a chain of stages.

The generators' skip architecture sums an RGB image at every block resolution, and the image after
block H/2^L is an exact prefix of the full computation: level L, 1/2^L of the full size. A version-3
bundle stores the synthesis as stages (`model.json` "stages", coarsest level first): stage 0 runs the
blocks up to its level, each later stage the next block(s), continuing from the previous stage's
features `x` and RGB `rgb` (with their margins); every stage outputs its level's `image`, cropped to
the tile. The full render runs all of them, no weight is stored twice; a level-L render stops early.
"""
from __future__ import annotations

import re
import threading

import numpy as np

from alis_studio.engine.caches import ByteLRU
from alis_studio.errors import ModelError

MEMBER = re.compile(r"synthesis_\d+\.onnx")


def parse_stages(path, meta: dict) -> list[dict]:
    """model.json's "stages", checked: [{"member", "level"}], levels strictly decreasing to 0, each
    level's tile a whole number of pixels."""
    stages = meta.get("stages")
    if not isinstance(stages, list) or not stages:
        raise ModelError(f"{path}: model.json (version 3) has no stages")
    levels = []
    for s in stages:
        if not (isinstance(s, dict) and isinstance(s.get("member"), str) and MEMBER.fullmatch(s["member"])
                and isinstance(s.get("level"), int) and 0 <= s["level"] <= 8):
            raise ModelError(f"{path}: model.json has an invalid stage {s!r}")
        levels.append(s["level"])
    if levels != sorted(set(levels), reverse=True) or levels[-1] != 0:
        raise ModelError(f"{path}: model.json's stages must go from the coarsest level down to 0, got {levels}")
    tile = meta["tile_width"] if meta.get("tiling") == 2 else meta["patch_width"]
    for lvl in levels:
        if meta["height"] % 2 ** lvl or tile % 2 ** lvl:
            raise ModelError(f"{path}: model.json's level {lvl} does not divide the tile")
    return stages


class StagedSession:
    """The stages behind one ORT-session-like `run`: the full render, or `level`'s with `level=`."""

    def __init__(self, stages: list[tuple[int, object]], window: str, tile: str):
        self.stages, self.names = stages, (window, tile)
        self.levels = [lvl for lvl, _ in stages]

    def run(self, output_names, feeds: dict, run_options=None, level: int = 0):
        """feeds: {window, tile}. Runs the stages from the coarsest down to `level`; returns [image]."""
        return [self.run_from(feeds, level, run_options=run_options)[0]]

    def run_from(self, feeds: dict, level: int, start: tuple | None = None, run_options=None,
                 carry: bool = False) -> tuple[np.ndarray, tuple | None]:
        """The stages down to `level`, from the beginning or from `start`, the (level, x, rgb) an
        earlier call carried out for the same feeds (its stages are not run again: the result is
        the same image). Returns (image, carried): with `carry`, the last stage's (level, x, rgb) to
        continue from later (None at level 0)."""
        if level not in self.levels:
            raise ValueError(f"no level {level} (the model has {self.levels})")
        stages, inputs = self.stages, dict(feeds)
        if start is not None:
            if start[0] not in self.levels or start[0] <= level:
                raise ValueError(f"cannot continue from level {start[0]} to level {level} ({self.levels})")
            stages = stages[self.levels.index(start[0]) + 1:]
            inputs = {**feeds, "x": start[1], "rgb": start[2]}
        for lvl, sess in stages:
            if lvl == level and not (carry and lvl):
                return sess.run(["image"], inputs, run_options)[0], None
            image, x, rgb = sess.run(["image", "x_out", "rgb_out"], inputs, run_options)
            if lvl == level:
                return image, (lvl, x, rgb)
            inputs = {**feeds, "x": x, "rgb": rgb}
        raise AssertionError("unreachable: the last stage is level 0")

    # what load_bundle's checks read of a session: the first stage's inputs, the last's outputs
    def get_inputs(self):
        return self.stages[0][1].get_inputs()

    def get_outputs(self):
        return self.stages[-1][1].get_outputs()


def check_stage_shapes(bundle, image: np.ndarray, level: int) -> None:
    want = (1, 3, bundle.height >> level, bundle.tile_width >> level)
    if image.shape != want:
        raise ModelError(f"{bundle.path}: level {level} produced {image.shape}, expected {want}")


class Continuations:
    """Stage outputs kept from coarse renders (the view's previews, DESIGN.md 3.3) so that the full
    render of the same patch goes on from them instead of running those stages again. Thread-safe,
    bounded in bytes; an entry is taken (removed) by its use."""

    def __init__(self, max_bytes: int):
        self._items = ByteLRU(max_bytes, lambda v: v[1].nbytes + v[2].nbytes)
        self._lock = threading.Lock()

    def put(self, patch, level: int, x: np.ndarray, rgb: np.ndarray) -> None:
        with self._lock:
            self._items.put(patch, (level, x, rgb))

    def take(self, patch) -> tuple | None:
        """The (level, x, rgb) kept for `patch`, removed; None if there is none."""
        with self._lock:
            return self._items.pop(patch, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
