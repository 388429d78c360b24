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

import numpy as np

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
        if level not in self.levels:
            raise ValueError(f"no level {level} (the model has {self.levels})")
        inputs = dict(feeds)
        for lvl, sess in self.stages:
            if lvl == level:
                return sess.run(["image"], inputs, run_options)
            image, x, rgb = sess.run(["image", "x_out", "rgb_out"], inputs, run_options)
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
