"""Parity fixtures for `alis-studio import-official`, made with the official ALIS code itself.

    python scripts/make_official_fixtures.py --official ../alis [--out tests/data] [--config NAME ...]

`--official` is a checkout of github:universome/alis kept outside this repository (its code is under
NVIDIA's source licence: it is run here, never copied). Run it in an environment with torch,
numpy, omegaconf and pyyaml (the official code's own imports; no compiled ops: on the CPU it uses
its reference ops). For each config it builds a random-init Generator of configs/alis.yml with the
official constructor, perturbs every parameter (so biases, noise strengths and the input column all
matter), and writes
- official-NAME.pkl: a StyleGAN2-ADA-style snapshot ({training_set_kwargs, G, D, G_ema, augment_pipe})
  pickled by the official persistence code (G is G_ema itself, to keep it small); the module source
  it embeds is replaced by a one-line note (the importer never reads it, and the licence keeps it
  out of this repository);
- official-NAME.npz: z, the mapping output w for it, and a strip rendered by the protocol of the
  official notebooks/generate.ipynb (noise off, frames side by side, anchor pairs advancing every
  w_coord_dist/2 frames, no truncation), unclamped, with the protocol's parameters.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

# name: (img_resolution, z/w dim, channel_base, channel_max, num_fp16_res, conv_clamp, frames, seed)
CONFIGS = {
    "fp32-r32": (32, 32, 512, 64, 0, None, 8, 1),
    "fp16-r64": (64, 48, 1024, 48, 2, 256, 8, 2),
}
NOTE = "# module source removed: github:universome/alis, NVIDIA Source Code License\n"


def _official(path: Path):
    sys.path.insert(0, str(path))
    if not hasattr(np, "float"):  # the official layers.py uses np.float, removed in numpy 1.24
        np.float = float
    import dnnlib
    import torch
    import yaml
    from omegaconf import OmegaConf
    from torch_utils import persistence
    from training.networks import Discriminator, Generator

    syn = OmegaConf.to_container(OmegaConf.create(yaml.safe_load(open(path / "configs" / "alis.yml"))).synthesis)
    return dnnlib, torch, persistence, Generator, Discriminator, syn


def build(off, name: str):
    dnnlib, torch, _, Generator, Discriminator, syn = off
    res, dim, base, cmax, fp16, clamp, _, seed = CONFIGS[name]
    G_kwargs = dnnlib.EasyDict(
        z_dim=dim, w_dim=dim, c_dim=0, img_resolution=res, img_channels=3,
        mapping_kwargs=dnnlib.EasyDict(num_layers=2),
        synthesis_kwargs=dnnlib.EasyDict(channel_base=base, channel_max=cmax, num_fp16_res=fp16, conv_clamp=clamp),
        synthesis_cfg=syn)
    torch.manual_seed(seed)
    G = Generator(**G_kwargs).eval().requires_grad_(False)
    with torch.no_grad():
        for pname, p in G.named_parameters():  # random init leaves biases and noise at 0
            p.add_(torch.randn_like(p) * (0.2 if pname.endswith("bias") or "noise" in pname else 0.05))
        G.mapping.w_avg.copy_(G.mapping(torch.randn(1000, dim), None).mean(0)[0])
    G.progressive_growing_update(100000)  # as the notebook does: full shift strength
    return G


def scale_to_unit(off, G, name: str):
    """Scale every toRGB (the image is linear in them) so the strip has a std of 0.5, like a trained
    model's output: the parity tolerance then means what it means for real images."""
    _, torch, *_ = off
    std = float(render_strip(off, G, name)[2].std())
    with torch.no_grad():
        for res in G.synthesis.block_resolutions:
            rgb = getattr(G.synthesis, f"b{res}").torgb
            rgb.weight.mul_(0.5 / std)
            rgb.bias.mul_(0.5 / std)


def discriminator(off, name: str):
    dnnlib, torch, _, Generator, Discriminator, syn = off
    res = CONFIGS[name][0]
    return Discriminator(c_dim=0, img_resolution=res, img_channels=3, channel_base=256, channel_max=16,
                         num_fp16_res=0, conv_clamp=None).eval() if name == CONFIGS_WITH_D else None


CONFIGS_WITH_D = "fp32-r32"


def render_strip(off, G, name: str):
    """notebooks/generate.ipynb's loop: frames of grid_size patches, noise off, truncation 1."""
    _, torch, *_ = off
    frames_n, seed = CONFIGS[name][6], CONFIGS[name][7]
    for res in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f"b{res}")
        if hasattr(block, "conv0"):
            block.conv0.use_noise = False
        block.conv1.use_noise = False
    pw = G.synthesis_cfg.patchwise
    per_w = pw.w_coord_dist // 2
    n_ws = frames_n // per_w + 1
    shifts = torch.arange(frames_n) * pw.grid_size
    w_range = 2 * per_w * pw.grid_size
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n_ws, G.z_dim, generator=g)
    with torch.no_grad():
        ws = G.mapping(z, c=None, modes_idx=torch.zeros(n_ws, dtype=torch.long))
        imgs, idx = [], 1
        for shift in shifts:
            if shift > 0 and shift % w_range == 0:
                idx += 2
            cur, ctx = ws[idx][None], torch.stack([ws[idx - 1][None], ws[idx + 1][None]], dim=1)
            lb = torch.zeros(1, dtype=torch.long) + (shift % w_range)
            imgs.append(G.synthesis(cur, ws_context=ctx, left_borders_idx=lb, noise="const")[0].float())
        strip = torch.cat(imgs, dim=2)
    return z.numpy(), ws[:, 0].numpy(), strip.numpy(), int(pw.grid_size), int(pw.w_coord_dist)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official", required=True, type=Path, help="a checkout of github:universome/alis")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tests" / "data")
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS), help="default: all")
    args = ap.parse_args(argv)
    if Path(__file__).resolve().parents[1] in args.official.resolve().parents:
        ap.error("keep the official checkout outside this repository")
    off = _official(args.official.resolve())
    dnnlib, torch, persistence, *_ = off
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.config or sorted(CONFIGS):
        G, D = build(off, name), discriminator(off, name)
        scale_to_unit(off, G, name)
        z, w, strip, grid, dist = render_strip(off, G, name)
        for cls in persistence._decorators:  # keep the licensed source out of the fixture
            cls._orig_module_src = NOTE
        snapshot = dict(training_set_kwargs=dict(class_name="training.dataset.ImageFolderDataset",
                                                 path=f"/data/{name}.zip", resolution=CONFIGS[name][0]),
                        G=G, D=D, G_ema=G, augment_pipe=None)
        pkl = args.out / f"official-{name}.pkl"
        with open(pkl, "wb") as f:
            pickle.dump(snapshot, f)
        np.savez_compressed(args.out / f"official-{name}.npz", z=z, w=w, strip=strip.astype(np.float32),
                            grid_size=grid, w_coord_dist=dist, frames=CONFIGS[name][6], psi=1.0)
        print(f"{name}: {pkl.stat().st_size / 1e6:.2f} MB pickle, strip {strip.shape}, "
              f"range [{strip.min():.2f}, {strip.max():.2f}]")


if __name__ == "__main__":
    main()
