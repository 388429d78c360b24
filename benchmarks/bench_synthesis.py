"""Synthesis throughput per output pixel: format 1 (patches) against format 2 (seamless tiles) on
the same channels, at several tile widths, through ONNX Runtime on this machine, in one run.

    python benchmarks/bench_synthesis.py [--config small64] [--tiles 16 32 64 128] [--seconds 3]
                                         [--device cpu|cuda] [--pixels 262144] [--torch]

Each engine renders batches of about --pixels output pixels per call. Prints per-call FLOPs (the
convolutions, margins included), Mpx/s, achieved GFLOP/s, the margin overhead (FLOPs per output
pixel over format 1's) and each tile width's throughput relative to format 1 (a ratio, since
absolute numbers on a shared machine are noisy). The engines alternate over two rounds and each
keeps its best, so a burst of other load does not decide the comparison.
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np


def _rate(fn, seconds: float) -> float:
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="small64")
    ap.add_argument("--tiles", type=int, nargs="+", help="format-2 tile widths (default: every valid one "
                    "from the patch width to the anchor spacing)")
    ap.add_argument("--pixels", type=int, default=2 ** 18, help="output pixels per call (default 262144)")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--torch", action="store_true", help="also time PyTorch eager on format 2's widest tile")
    args = ap.parse_args()

    import torch

    from alis_studio.engine.bundle import load_bundle
    from alis_studio.trainer.export import export_bundle, random_generator
    from alis_studio.trainer.model import get_config

    cfg2 = get_config(args.config)
    cfg1 = dataclasses.replace(cfg2, name=cfg2.name + "-format1", format=1)
    G2, G1 = random_generator(cfg2, seed=0), random_generator(cfg1, seed=0)
    d, H = cfg2.interval_width, cfg2.height
    tiles = args.tiles or [t for t in range(G2.synthesis.align, d + 1, G2.synthesis.align)
                           if d % t == 0 and t >= cfg2.patch_width // 2]
    rng = np.random.default_rng(0)
    engines = []  # (label, bundle, batch, width, flops per call)
    with tempfile.TemporaryDirectory() as tmp:
        b1 = load_bundle(export_bundle(G1, Path(tmp) / "f1.alis"), device=args.device)
        engines.append(("format 1", b1, cfg2.patch_width, G1.synthesis.flops(cfg2.patch_width)))
        for T in tiles:
            b = load_bundle(export_bundle(G2, Path(tmp) / f"f2-{T}.alis", tile_width=T), device=args.device)
            engines.append((f"format 2, T={T}", b, T, G2.synthesis.flops(T)))
    print(f"config {cfg2.name}: {H} px tall, anchor spacing {d} px, format-2 margin {G2.synthesis.margin_px} px "
          f"(A = {G2.synthesis.anchor_window}), {sum(p.numel() for p in G2.synthesis.parameters()) / 1e6:.2f} M "
          f"synthesis parameters, provider {b1.provider}, ~{args.pixels / 1e6:.2f} Mpx per call")
    best = {}
    for _ in range(2):
        for label, b, width, _f in engines:
            batch = max(1, args.pixels // (H * width))
            feed = (rng.standard_normal((batch, b.anchor_window, cfg2.w_dim)).astype(np.float32),
                    (np.arange(batch) % b.tiles_per_interval).astype(np.int64))
            calls = _rate(lambda: b.synthesize(*feed), args.seconds)
            best[label] = max(best.get(label, 0.0), calls * batch)  # tiles per second
    ref_flops_px = engines[0][3] / (H * engines[0][2])
    ref_mpx = best["format 1"] * H * engines[0][2] / 1e6
    print(f"{'engine':>16} {'GFLOP/call':>11} {'FLOP/px':>9} {'overhead':>9} {'tiles/s':>9} {'Mpx/s':>7} "
          f"{'GFLOP/s':>8} {'vs f1':>6}")
    for label, b, width, flops in engines:
        mpx = best[label] * H * width / 1e6
        print(f"{label:>16} {flops / 1e9:>11.3f} {flops / (H * width):>9.0f} "
              f"{flops / (H * width) / ref_flops_px:>9.2f} {best[label]:>9.1f} {mpx:>7.3f} "
              f"{best[label] * flops / 1e9:>8.1f} {mpx / ref_mpx:>6.2f}")
    top = max(engines[1:], key=lambda e: best[e[0]] * e[2])
    print(f"fastest format-2 tile: {top[0]} ({best[top[0]] * H * top[2] / 1e6 / ref_mpx:.2f}x format 1 per "
          f"output pixel); a 1920 px view takes ~{1920 * H / (best[top[0]] * H * top[2]):.2f} s with it")
    if args.torch:
        S, T = G2.synthesis, tiles[-1]
        S.set_tile_width(T)
        w = torch.randn(4, S.anchor_window, cfg2.w_dim)
        with torch.inference_mode():
            rate = 4 * _rate(lambda: S(w, torch.zeros(4, dtype=torch.int64)), args.seconds)
        print(f"PyTorch eager, T={T}, batch 4: {rate * H * T / 1e6:.3f} Mpx/s "
              f"(ORT/torch {best[f'format 2, T={T}'] / rate:.2f}), torch threads {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
