"""Trainer benchmark: training steps/s per config, and the data loader's images/s against what a
step consumes.

    python benchmarks/bench_train.py [--configs small128 tiny] [--steps 6] [--batch B] [--device auto]
                                     [--variants base pool-after] [--precision fp32 bf16] [--rounds R]
                                     [--big 6] [--threads N] [--json OUT]

`--variants base stationarity --steps 16` measures the cost of `--stationarity` (its lazy pass runs
every 4th step, so take a multiple of 4 steps). `--variants base before --rounds 2 --init-from CKPT` measures today's trainer against the one
before this round of speed-ups (D's second conv before the 2x pooling, denormals not flushed)
alternately in one run, from trained weights (random ones make no denormals); `--precision fp32 bf16` the
autocast precision (bf16 pays only on CPUs with native bf16: avx512_bf16 / AMX).

- steps/s: `Trainer.train_step` (D phase with lazy R1 every 16th step, G phase, EMA) on procedural
  data, after 2 warm-up steps; on CUDA with the run's autocast precision.
- loader: (1) preparing the cache once: decode + crop + Lanczos resize of `--big` 6000x4000 JPEG
  photographs (the worst case), images/s with the default worker processes; (2) batches from the
  prepared cache (memory map, shuffling, x-flips), images/s, against the demand batch x steps/s.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def variant(config: str, what: str) -> str:
    """Register `config` with one speed-up undone and return its name: "base" (as shipped),
    "pool-after" (D's second conv before the pooling, as before), "unfused" (Adam one tensor at a
    time), "before" (all three and denormals), "stationarity" (as shipped, trained with --stationarity)."""
    import dataclasses

    from alis_studio.trainer.model import CONFIGS

    if what in ("base", "denormals", "stationarity", "unfused"):
        return config if what == "base" else f"{config}@{what}"
    name = f"{config}-{what}"
    CONFIGS[name] = dataclasses.replace(CONFIGS[config], name=name, d_pool_first=False)
    return name + ("@denormals@unfused" if what == "before" else "")


def bench_steps(config: str, data: Path, tmp: Path, steps: int, batch: int | None, device: str,
                precision: str = "auto", init_from: str | None = None) -> dict:
    import torch

    from alis_studio.trainer.loop import Trainer
    from alis_studio.trainer.options import TrainOptions

    label = config
    config, *undone = config.split("@")
    stationarity = 1.0 if "stationarity" in undone else 0.0  # the next default model's weight (stage 2)
    opts = TrainOptions(dataset=str(data), out=str(tmp / f"run-{label}-{precision}"), config=config, batch=batch,
                        kimg=1000, device=device, metric_images=0, precision=precision, init_from=init_from,
                        stationarity=stationarity)
    tr = Trainer(opts)
    if "denormals" in undone:
        torch.set_flush_denormal(False)  # as before the trainer flushed them
    if "unfused" in undone:  # as before: Adam's for-loop over tensors
        for name in ("opt_G", "opt_D"):
            opt = getattr(tr, name)
            setattr(tr, name, torch.optim.Adam(opt.param_groups[0]["params"], **{
                k: opt.defaults[k] for k in ("lr", "betas", "eps")}, fused=False))
    sync = torch.cuda.synchronize if tr.device.type == "cuda" else (lambda: None)
    for _ in range(2):
        tr.train_step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        tr.train_step()
    sync()
    dt = (time.perf_counter() - t0) / steps
    tr._teardown()
    g_params = sum(p.numel() for p in tr.G.parameters()) / 1e6
    torch.set_flush_denormal(True)
    return {"config": label, "device": str(tr.device), "precision": tr.precision, "batch": tr.opts.batch,
            "height": tr.cfg.height, "G_Mparams": round(g_params, 2), "steps_per_s": 1 / dt,
            "images_per_s": tr.opts.batch / dt, "kimg_per_hour": tr.opts.batch / dt * 3.6}


def big_photos(folder: Path, n: int) -> Path:
    """n 6000x4000 JPEGs (q90): procedural landscapes upscaled, plus grain so they do not compress away."""
    from PIL import Image

    from alis_studio.trainer.procedural import landscape

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    grain = rng.integers(-12, 13, (4000, 6000, 1), dtype=np.int16)
    for i in range(n):
        img = np.asarray(Image.fromarray(landscape(i, 256, 384)).resize((6000, 4000), Image.Resampling.BILINEAR))
        img = np.clip(img + grain, 0, 255).astype(np.uint8)
        Image.fromarray(img).save(folder / f"photo_{i:03d}.jpg", quality=90)
    return folder


def bench_loader(tmp: Path, n_big: int, height: int, batch: int) -> dict:
    from alis_studio.evaluation.datasets import prepare
    from alis_studio.trainer.data import Sampler

    photos = big_photos(tmp / "photos", n_big)
    t0 = time.perf_counter()
    ds = prepare(photos, height, height, tmp / "cache")
    decode = n_big / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    again = prepare(photos, height, height, tmp / "cache")
    reuse_s = time.perf_counter() - t0
    assert again.reused
    images = np.ascontiguousarray(np.resize(np.asarray(ds.images), (2048,) + ds.images.shape[1:]))
    np.save(tmp / "many.npy", images)
    sampler = Sampler(np.load(tmp / "many.npy", mmap_mode="r"), batch)
    t0 = time.perf_counter()
    for _ in range(200):
        sampler.next()
    cached = 200 * batch / (time.perf_counter() - t0)
    return {"big_photo_decode_images_per_s": decode, "cache_reuse_s": reuse_s, "cached_batches_images_per_s": cached,
            "loader_height": height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["small128", "tiny"])
    ap.add_argument("--variants", nargs="+", default=["base"], choices=["base", "pool-after", "denormals", "unfused", "before", "stationarity"],
                    help="pool-after: D's second conv before the pooling; denormals: not flushed; unfused: Adam one "
                         "tensor at a time; before: all three "
                         "(the trainer before these speed-ups); stationarity: with --stationarity 1")
    ap.add_argument("--init-from", help="start from this checkpoint's weights (trained weights make denormals)")
    ap.add_argument("--precision", nargs="+", default=["auto"], choices=["auto", "fp32", "bf16"])
    ap.add_argument("--rounds", type=int, default=1, help="alternate the variants this many times (noisy machines)")
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--batch", type=int, default=None, help="default: 8 on CPU, 32 on CUDA")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--big", type=int, default=6, help="6000x4000 JPEGs for the loader test (0: skip)")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    import torch

    from alis_studio.trainer.model import get_config
    from alis_studio.trainer.procedural import write_dataset

    if args.threads:
        torch.set_num_threads(args.threads)
    results = {"torch": torch.__version__, "threads": torch.get_num_threads(), "steps": []}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name in args.configs:
            data = write_dataset(tmp / f"data-{name}", 64, get_config(name).height, workers=1)
            for _ in range(args.rounds):
                for what in args.variants:
                    for precision in args.precision:
                        r = bench_steps(variant(name, what), data, tmp, args.steps, args.batch, args.device, precision,
                                        args.init_from)
                        results["steps"].append(r)
                        print(f"{r['config']:>20} on {r['device']} ({r['precision']}, batch {r['batch']}, "
                              f"{r['height']} px, G {r['G_Mparams']} M): {r['steps_per_s']:.3f} steps/s, "
                              f"{r['images_per_s']:.1f} img/s, {r['kimg_per_hour']:.1f} kimg/h", flush=True)
        if args.big:
            s = results["steps"][0]
            r = bench_loader(tmp, args.big, s["height"], s["batch"])
            results["loader"] = r
            print(f"   loader: 6000x4000 JPEG -> {s['height']} px cache {r['big_photo_decode_images_per_s']:.1f} img/s "
                  f"(once; reuse {r['cache_reuse_s'] * 1000:.0f} ms), batches from the cache "
                  f"{r['cached_batches_images_per_s']:.0f} img/s vs the {s['config']} step's demand "
                  f"{s['images_per_s']:.1f} img/s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
