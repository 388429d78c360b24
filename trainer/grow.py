"""Start a run from another checkpoint's weights (`alis-studio train --init-from`): the same
config (a fine-tune), or a taller one grown from it, ProGAN-style but without the fade-in.

Layers are matched by the resolution they work at, so a 128 px config takes a 64 px checkpoint's
mapping, its synthesis blocks 4..64 and its discriminator blocks 64..4; what has no counterpart
(the new top block, D's new input layers) keeps its fresh initialisation, except the new toRGB
layers, which start at zero: the grown generator begins as the old one's image, bilinearly
upsampled, and learns the detail from there.
"""
from __future__ import annotations

import math

import torch

from alis_studio.trainer.model import Discriminator, Generator, ModelConfig


def _block_shift(src: ModelConfig, dst: ModelConfig) -> int:
    return int(math.log2(dst.height // src.height))


def _copy(dst: dict, src: dict, rename) -> tuple[int, int]:
    """Copy each src tensor whose renamed key exists in dst with the same shape; (copied, of dst)."""
    copied = 0
    for key, value in src.items():
        target = rename(key)
        if target is not None and target in dst and dst[target].shape == value.shape:
            dst[target] = value.to(dst[target].dtype)
            copied += 1
    return copied, len(dst)


def _d_rename(shift: int):
    def rename(key: str) -> str | None:  # D.blocks are ordered from the top resolution down
        if key.startswith("blocks."):
            i, rest = key.split(".", 2)[1:]
            return f"blocks.{int(i) + shift}.{rest}"
        return None if shift and key.startswith("fromrgb.") else key  # fromrgb belongs to the top resolution
    return rename


def grow(state: dict, src_cfg: ModelConfig, G: Generator, D: Discriminator) -> str:
    """Load checkpoint `state` (of `src_cfg`) into G and D; returns a one-line account."""
    cfg = G.cfg
    if cfg.height < src_cfg.height or cfg.w_dim != src_cfg.w_dim or cfg.z_dim != src_cfg.z_dim:
        raise ValueError(f"cannot grow {cfg.name} ({cfg.height} px) from {src_cfg.name} ({src_cfg.height} px): "
                         "it must be at least as tall, with the same latent sizes")
    if cfg.interval_width * src_cfg.height != src_cfg.interval_width * cfg.height:
        raise ValueError(f"cannot grow {cfg.name} from {src_cfg.name}: the anchor spacing must scale with the height")
    g_src = state["G"] if state.get("G") is not None else state["G_ema"]
    g_sd = G.state_dict()
    g_n, g_of = _copy(g_sd, g_src, lambda k: k)  # synthesis blocks are indexed from 4 px up: same names
    d_sd = D.state_dict()
    d_n, d_of = _copy(d_sd, state["D"], _d_rename(_block_shift(src_cfg, cfg)))
    for block in G.synthesis.blocks:
        if block.res > src_cfg.height:
            g_sd[f"synthesis.blocks.{cfg.resolutions.index(block.res)}.torgb.weight"] = torch.zeros_like(block.torgb.weight)
    G.load_state_dict(g_sd)
    D.load_state_dict(d_sd)
    return (f"{src_cfg.name} ({src_cfg.height} px, {state['nimg'] / 1000:.1f} kimg): copied {g_n} of {g_of} G "
            f"and {d_n} of {d_of} D tensors")
