"""Synthesis throughput: ONNX Runtime (CPU) against PyTorch eager on the same weights, same run.

    python benchmarks/bench_synthesis.py [--config small] [--batch 1 4] [--seconds 5]

Prints patches/s and Mpx/s for each engine and batch, and their ratio (ORT / PyTorch), since
absolute numbers on a shared machine are noisy.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def _rate(fn, seconds: float) -> float:
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="small")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()

    from alis_studio.engine.bundle import load_bundle
    from trainer.export import export_bundle, random_generator

    G = random_generator(args.config, seed=0)
    cfg = G.cfg
    with tempfile.TemporaryDirectory() as d:
        bundle = load_bundle(export_bundle(G, Path(d) / "m.alis"), device="cpu")
    px = cfg.height * cfg.patch_width
    print(f"config {cfg.name}: {cfg.height} x {cfg.patch_width} px patches, "
          f"{sum(p.numel() for p in G.synthesis.parameters()) / 1e6:.2f} M synthesis parameters, "
          f"torch threads {torch.get_num_threads()}, ORT provider {bundle.provider}")
    print(f"{'batch':>5} {'ORT patch/s':>12} {'ORT Mpx/s':>10} {'torch patch/s':>14} {'torch Mpx/s':>12} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for b in args.batch:
        w_pair = rng.standard_normal((b, 2, cfg.w_dim)).astype(np.float32)
        patch = (np.arange(b) % cfg.patches_per_interval).astype(np.int64)
        feed = {"w_pair": w_pair, "patch": patch}
        ort_rate = b * _rate(lambda: bundle.synthesis.run(["image"], feed), args.seconds)
        tw, tp = torch.from_numpy(w_pair), torch.from_numpy(patch)
        with torch.inference_mode():
            torch_rate = b * _rate(lambda: G.synthesis(tw, tp), args.seconds)
        print(f"{b:>5} {ort_rate:>12.1f} {ort_rate * px / 1e6:>10.3f} {torch_rate:>14.1f} "
              f"{torch_rate * px / 1e6:>12.3f} {ort_rate / torch_rate:>6.2f}")
    view = 1920 * cfg.height / px
    print(f"a 1920 px wide view is {view:.0f} patches: ~{view / ort_rate:.2f} s with ORT at batch {args.batch[-1]}")


if __name__ == "__main__":
    main()
