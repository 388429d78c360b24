"""A synthesis network exported as stages, one per level of detail (alis_studio/engine/levels.py).

Both generators (trainer/model.py format 2, trainer/official.py) have `forward_blocks(window, index,
lo, hi, x, rgb)`, `level_image(rgb, block)`, `blocks` and `flops`, and an RGB skip that sums an image
at every block resolution: stage j runs the blocks up to its level's and hands its features and RGB
(with the margins the later blocks read) to stage j + 1.
"""
from __future__ import annotations

import torch
from torch import nn

MAX_LEVEL = 3  # 1/8 of the full size: the app's most zoomed-out view


def level_blocks(resolutions: list[int], height: int, tile_width: int) -> list[tuple[int, int]]:
    """[(level, index of its last block)], coarsest first, ending with (0, the last block): levels
    1..MAX_LEVEL whose block exists and whose tile is a whole number of pixels."""
    out = []
    for level in range(MAX_LEVEL, 0, -1):
        r = height >> level
        if r in resolutions and tile_width % 2 ** level == 0:
            out.append((level, resolutions.index(r)))
    return out + [(0, len(resolutions) - 1)]


class Stage(nn.Module):
    """Blocks [lo, hi) of `synthesis`: (window, index[, x, rgb]) -> image[, x_out, rgb_out]."""

    def __init__(self, synthesis: nn.Module, lo: int, hi: int, last: bool):
        super().__init__()
        self.synthesis, self.lo, self.hi, self.last = synthesis, lo, hi, last

    def forward(self, window, index, x=None, rgb=None):
        x, rgb = self.synthesis.forward_blocks(window, index, self.lo, self.hi, x, rgb)
        image = self.synthesis.level_image(rgb, self.hi - 1)  # (B, 3, H >> level, T >> level)
        return image if self.last else (image, x, rgb)


def stages_meta(plan: list[tuple[int, int]], height: int, tile_width: int, flops) -> list[dict]:
    """model.json's "stages": member, level, its image size and the FLOPs of a render stopping there."""
    return [{"member": f"synthesis_{j}.onnx", "level": level, "height": height >> level,
             "tile_width": tile_width >> level, "flops": int(flops(block + 1))}
            for j, (level, block) in enumerate(plan)]


def export_stages(synthesis: nn.Module, plan: list[tuple[int, int]], names: tuple[str, str],
                  example: tuple[torch.Tensor, torch.Tensor], meta_text: str, onnx_graph,
                  on_stage=None) -> dict[str, bytes]:
    """{member: ONNX bytes} of each stage; `example` (window, index) traces them; on_stage(j, n)
    after each."""
    members, lo, carried = {}, 0, ()
    with torch.no_grad():
        for j, (level, block) in enumerate(plan):
            last = level == 0
            stage = Stage(synthesis, lo, block + 1, last).eval()
            args = (*example, *carried)
            ins = [*names, *(["x", "rgb"] if carried else [])]
            outs = ["image"] if last else ["image", "x_out", "rgb_out"]
            members[f"synthesis_{j}.onnx"] = onnx_graph(stage, args, ins, outs, meta_text)
            if not last:
                carried = stage(*args)[1:]
            lo = block + 1
            if on_stage:
                on_stage(j + 1, len(plan))
    return members
