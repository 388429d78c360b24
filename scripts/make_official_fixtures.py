"""Parity fixtures and checks for `alis-studio import-official`, made with the official ALIS code itself.

    python scripts/make_official_fixtures.py --official ../alis [--out tests/data]   # the test fixtures
    python scripts/make_official_fixtures.py --official ../alis --check 20 [--seed 0]  # random variants

`--official` is a checkout of github:universome/alis kept outside this repository (its code is under
NVIDIA's source licence: it is run here, never copied). Run this in an environment with torch,
numpy, omegaconf, pyyaml and requests (the official code's imports; on the CPU it uses its reference
ops, nothing is compiled); `--check` also needs this package, onnx and onnxruntime
(`pip install --no-deps -e .`). Each config builds a random-init Generator of configs/alis.yml with
the official constructor and perturbs every parameter (so biases, noise strengths and the input
column all matter); the official notebook's protocol then renders a strip (notebooks/generate.ipynb:
noise off, frames of grid_size patches side by side, the anchor triple advancing every w_coord_dist
frames, no truncation). Fixtures:
- official-NAME.pkl: a StyleGAN2-ADA-style snapshot ({training_set_kwargs, G, D, G_ema, augment_pipe})
  pickled by the official persistence code (G is G_ema itself, to keep it small); the module source
  it embeds is replaced by a one-line note (the importer never reads it, and the licence keeps it
  out of this repository);
- official-NAME.npz: z, the mapping output w, and the strip, unclamped, with the protocol's parameters.
`--check N` imports N random variants (resolution, channels, fp16 blocks, clamp, latent sizes,
mapping depth, grid size, anchor distance, lerp multiplier, coordinate features) into bundles and
prints the largest difference of each, through ONNX Runtime, against the official strip.
"""
from __future__ import annotations

import argparse
import dataclasses
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NOTE = "# module source removed: github:universome/alis, NVIDIA Source Code License\n"


@dataclasses.dataclass
class Spec:
    resolution: int
    dim: int  # z_dim = w_dim
    channel_base: int
    channel_max: int
    num_fp16_res: int = 0
    conv_clamp: float | None = None
    mapping_layers: int = 2
    seed: int = 0
    intervals: int = 4  # anchor intervals in the strip
    cfg: dict = dataclasses.field(default_factory=dict)  # synthesis_cfg overrides, dotted keys
    with_d: bool = False


FIXTURES = {
    "fp32-r32": Spec(32, 32, 512, 64, seed=1, with_d=True),
    "fp16-r64": Spec(64, 48, 1024, 48, num_fp16_res=2, conv_clamp=256, seed=2),
}


def official(path: Path):
    sys.path.insert(0, str(path))
    if not hasattr(np, "float"):  # the official layers.py uses np.float, removed in numpy 1.24
        np.float = float
    import dnnlib
    import torch
    import yaml
    from omegaconf import OmegaConf
    from torch_utils import persistence
    from training import networks

    syn = OmegaConf.to_container(OmegaConf.create(yaml.safe_load(open(path / "configs" / "alis.yml"))).synthesis)
    return argparse.Namespace(dnnlib=dnnlib, torch=torch, persistence=persistence, networks=networks, syn=syn)


def _set(cfg: dict, dotted: str, value):
    *path, last = dotted.split(".")
    for part in path:
        cfg = cfg[part]
    cfg[last] = value


def build(off, spec: Spec):
    torch, E = off.torch, off.dnnlib.EasyDict
    syn = pickle.loads(pickle.dumps(off.syn))
    for k, v in spec.cfg.items():
        _set(syn, k, v)
    G_kwargs = E(z_dim=spec.dim, w_dim=spec.dim, c_dim=0, img_resolution=spec.resolution, img_channels=3,
                 mapping_kwargs=E(num_layers=spec.mapping_layers),
                 synthesis_kwargs=E(channel_base=spec.channel_base, channel_max=spec.channel_max,
                                    num_fp16_res=spec.num_fp16_res, conv_clamp=spec.conv_clamp),
                 synthesis_cfg=syn)
    torch.manual_seed(spec.seed)
    G = off.networks.Generator(**G_kwargs).eval().requires_grad_(False)
    with torch.no_grad():
        for pname, p in G.named_parameters():  # random init leaves biases and noise at 0
            p.add_(torch.randn_like(p) * (0.2 if pname.endswith("bias") or "noise" in pname else 0.05))
        G.mapping.w_avg.copy_(G.mapping(torch.randn(1000, spec.dim), None).mean(0)[0])
    G.progressive_growing_update(100000)  # as the notebook does: full shift strength
    # every toRGB times one factor (the image is linear in them): a strip std of 0.5, like a trained
    # model's output, so that the parity tolerance means what it means for real images
    std = float(render_strip(off, G, spec)[2].std())
    with torch.no_grad():
        for res in G.synthesis.block_resolutions:
            rgb = getattr(G.synthesis, f"b{res}").torgb
            rgb.weight.mul_(0.5 / std)
            rgb.bias.mul_(0.5 / std)
    return G


def render_strip(off, G, spec: Spec):
    """notebooks/generate.ipynb's loop, for `spec.intervals` anchor intervals (an even number)."""
    torch = off.torch
    for res in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f"b{res}")
        if hasattr(block, "conv0"):
            block.conv0.use_noise = False
        block.conv1.use_noise = False
    pw = G.synthesis_cfg.patchwise
    per_w = pw.w_coord_dist // 2  # frames per anchor interval
    frames = spec.intervals * per_w
    n_ws = frames // per_w + 1
    w_range = 2 * per_w * pw.grid_size
    z = torch.randn(n_ws, G.z_dim, generator=torch.Generator().manual_seed(spec.seed))
    with torch.no_grad():
        ws = G.mapping(z, c=None, modes_idx=torch.zeros(n_ws, dtype=torch.long))
        imgs, idx = [], 1
        for shift in torch.arange(frames) * pw.grid_size:
            if shift > 0 and shift % w_range == 0:
                idx += 2
            cur, ctx = ws[idx][None], torch.stack([ws[idx - 1][None], ws[idx + 1][None]], dim=1)
            lb = torch.zeros(1, dtype=torch.long) + (shift % w_range)
            imgs.append(G.synthesis(cur, ws_context=ctx, left_borders_idx=lb, noise="const")[0].float())
    return z.numpy(), ws[:, 0].numpy(), torch.cat(imgs, dim=2).numpy()


def snapshot(off, G, spec: Spec, name: str) -> dict:
    D = None
    if spec.with_d:
        D = off.networks.Discriminator(c_dim=0, img_resolution=spec.resolution, img_channels=3, channel_base=256,
                                       channel_max=16, num_fp16_res=0, conv_clamp=None).eval()
    return dict(training_set_kwargs=dict(class_name="training.dataset.ImageFolderDataset",
                                         path=f"/data/{name}.zip", resolution=spec.resolution),
                G=G, D=D, G_ema=G, augment_pipe=None)


def write_fixtures(off, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for cls in off.persistence._decorators:  # keep the licensed source out of the fixtures
        cls._orig_module_src = NOTE
    for name, spec in FIXTURES.items():
        G = build(off, spec)
        z, w, strip = render_strip(off, G, spec)
        pkl = out / f"official-{name}.pkl"
        with open(pkl, "wb") as f:
            pickle.dump(snapshot(off, G, spec, name), f)
        pw = G.synthesis_cfg.patchwise
        np.savez_compressed(out / f"official-{name}.npz", z=z, w=w, strip=strip.astype(np.float32),
                            grid_size=pw.grid_size, w_coord_dist=pw.w_coord_dist, psi=1.0)
        print(f"{name}: {pkl.stat().st_size / 1e6:.2f} MB pickle, strip {strip.shape}, std {strip.std():.2f}")


def random_spec(rng: random.Random, i: int) -> Spec:
    res = rng.choice([8, 16, 32, 64, 128])
    grid, dist = rng.choice([(2, 4), (1, 4), (4, 4), (2, 8)])
    cfg = {"patchwise.grid_size": grid, "patchwise.w_coord_dist": dist,
           "patchwise.w_lerp_multiplier": rng.choice([1.0, 1.0, 0.8]), "coords.remove_lowest_freq": dist % 8 != 0
           or rng.random() < 0.5}
    for k in range(3, 11):  # at least the two axis directions must fit (the official code asserts it)
        cfg[f"coords.channels_dict.{2 ** k}"] = {"dim": rng.choice([2 * k, 4 * k, 64]),
                                                 "use_diagonal": rng.random() < 0.8, "use_cosine": rng.random() < 0.8}
    return Spec(res, rng.choice([16, 32, 64]), rng.choice([256, 512, 1024, 2048]), rng.choice([16, 32, 64]),
                num_fp16_res=rng.choice([0, 0, 1, 2, 4]), conv_clamp=rng.choice([None, 256, 4.0]),
                mapping_layers=rng.choice([1, 2, 4, 8]), seed=1000 + i, intervals=rng.choice([2, 4]), cfg=cfg)


def check(off, n: int, seed: int) -> float:
    """Import n random variants and compare each with the official strip through ONNX Runtime."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.trainer.official_import import import_official

    rng, worst = random.Random(seed), 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            spec = random_spec(rng, i)
            G = build(off, spec)
            z, w, strip = render_strip(off, G, spec)
            pkl = Path(tmp) / f"v{i}.pkl"
            pkl.write_bytes(pickle.dumps(snapshot(off, G, spec, f"v{i}")))
            t0 = time.perf_counter()
            b = load_bundle(import_official(pkl, Path(tmp) / f"v{i}.alis"), device="cpu")
            K = b.tiles_per_interval
            ours = np.concatenate([np.concatenate(list(b.synthesize(
                np.repeat(np.stack([w[j], w[j + 1]])[None], K, 0), np.arange(K))), axis=2) for j in range(len(w) - 1)],
                axis=2)
            dw = np.abs(b.mapping.run(["w"], {"z": z})[0] - w).max()
            d = float(np.abs(ours - strip).max())
            worst = max(worst, d, float(dw))
            pw = spec.cfg
            print(f"{i:3d} res {spec.resolution:4d} fp16 {spec.num_fp16_res} clamp {spec.conv_clamp} map "
                  f"{spec.mapping_layers} grid {pw['patchwise.grid_size']} dist {pw['patchwise.w_coord_dist']} "
                  f"lerp {pw['patchwise.w_lerp_multiplier']}: mapping {dw:.1e}, strip {d:.1e} "
                  f"(std {strip.std():.2f}, {time.perf_counter() - t0:.1f} s)")
    print(f"largest difference over {n} variants: {worst:.2e}")
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official", required=True, type=Path, help="a checkout of github:universome/alis")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data", help="where the fixtures go")
    ap.add_argument("--check", type=int, metavar="N", help="instead: import N random variants and compare")
    ap.add_argument("--seed", type=int, default=0, help="of --check's variants")
    args = ap.parse_args(argv)
    if ROOT in args.official.resolve().parents:
        ap.error("keep the official checkout outside this repository")
    off = official(args.official.resolve())
    if args.check:
        return 0 if check(off, args.check, args.seed) < 1e-3 else 1
    write_fixtures(off, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
