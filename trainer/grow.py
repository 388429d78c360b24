"""Start a run from another checkpoint's weights (`alis-studio train --init-from`): the same
config (a fine-tune), or a taller one grown from it, ProGAN-style but without the fade-in.

Layers are matched by the resolution they work at, so a 128 px config takes a 64 px checkpoint's
mapping, its synthesis blocks 4..64 and its discriminator blocks 64..4; what has no counterpart
(the new top block, D's new input layers) keeps its fresh initialisation, except the new toRGB
layers, which start at zero: the grown generator begins as the old one's image, bilinearly
upsampled, and learns the detail from there. A config with fewer x coordinate frequencies
(`x_freqs`) takes the layers that read the coordinates without the dropped ones' channels.
"""
from __future__ import annotations

import math

import torch

from alis_studio.trainer.model import Discriminator, Generator, ModelConfig


def _block_shift(src: ModelConfig, dst: ModelConfig) -> int:
    return int(math.log2(dst.height // src.height))


def _copy(dst: dict, src: dict, rename, adapt=None) -> tuple[int, int]:
    """Copy each src tensor whose renamed key exists in dst with the same shape (after `adapt`,
    which may reshape one); (copied, of dst)."""
    copied = 0
    for key, value in src.items():
        target = rename(key)
        if target is not None and target in dst and adapt is not None:
            value = adapt(target, value, dst[target].shape)
        if target is not None and target in dst and dst[target].shape == value.shape:
            dst[target] = value.to(dst[target].dtype)
            copied += 1
    return copied, len(dst)


def _coordinate_adapter(src_cfg: ModelConfig, cfg: ModelConfig, G: Generator):
    """Drop the channels of x frequencies the new config lacks from the convs that read the
    coordinates (their weights' inputs, their affine maps' outputs). Inputs are the features, then
    sin and cos of each x frequency, then the y ones (model.coordinate_features)."""
    nx_src, nx, F = src_cfg.n_x_freqs, cfg.n_x_freqs, cfg.fourier_freqs
    if nx == nx_src or F != src_cfg.fourier_freqs or nx > nx_src:
        return None
    convs = {f"synthesis.blocks.{i}.{'conv1' if b.first else 'conv0'}": (b.conv1 if b.first else b.conv0)
             for i, b in enumerate(G.synthesis.blocks)}

    def adapt(key: str, value: torch.Tensor, shape) -> torch.Tensor:
        name, _, param = key.rpartition(".")
        conv = convs.get(name.removesuffix(".affine"))
        if conv is None or value.shape == shape:
            return value
        dim = 1 if param == "weight" and not name.endswith(".affine") else 0
        c = value.shape[dim] - 2 * (nx_src + F)  # feature channels before the coordinates
        keep = [*range(c), *(c + k for k in range(nx)), *(c + nx_src + k for k in range(nx)),
                *range(c + 2 * nx_src, c + 2 * nx_src + 2 * F)]
        value = value.index_select(dim, torch.tensor(keep))
        if dim == 1:  # equalized learning rate scales by 1/sqrt(fan-in): keep the effective weights
            value = value * math.sqrt(len(keep) / (c + 2 * (nx_src + F)))
        return value
    return adapt


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
    # synthesis blocks are indexed from 4 px up: same names
    g_n, g_of = _copy(g_sd, g_src, lambda k: k, _coordinate_adapter(src_cfg, cfg, G))
    d_sd = D.state_dict()
    d_n, d_of = _copy(d_sd, state["D"], _d_rename(_block_shift(src_cfg, cfg)))
    for block in G.synthesis.blocks:
        if block.res > src_cfg.height:
            g_sd[f"synthesis.blocks.{cfg.resolutions.index(block.res)}.torgb.weight"] = torch.zeros_like(block.torgb.weight)
    G.load_state_dict(g_sd)
    D.load_state_dict(d_sd)
    return (f"{src_cfg.name} ({src_cfg.height} px, {state['nimg'] / 1000:.1f} kimg): copied {g_n} of {g_of} G "
            f"and {d_n} of {d_of} D tensors")
