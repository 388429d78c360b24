"""Training-snapshot metrics: the same measurements as `alis-studio eval` (alis_studio.evaluation),
fed from a torch generator (faster than exporting a bundle first)."""
from __future__ import annotations

import numpy as np

from alis_studio.evaluation.metrics import compare, cut_frames, sample_reals


def generator_metrics(G, reals: np.ndarray, n: int, device="cpu", seed: int = 0,
                      frames_per_panorama: int = 16) -> dict:
    """The same metrics from a torch generator (training snapshots; faster than exporting first)."""
    import torch

    from alis_studio.trainer.sample import render_panorama

    cfg, S = G.cfg, G.synthesis
    gen = torch.Generator().manual_seed(seed + 1)
    frames = []
    with torch.no_grad():
        for i in range(0, n, 32):
            b = min(32, n - i)
            w = G.map(torch.randn(S.train_anchors * b, cfg.z_dim, generator=gen).to(device))
            start = S.frame_starts(b, 1.0, device, generator=gen)
            img = S.frame(w.reshape(b, S.train_anchors, -1), start)  # (b, 3, H, 2P)
            frames.append(img.permute(0, 2, 3, 1).float().clamp(-1, 1).add(1).mul(127.5).round()
                          .to(torch.uint8).cpu().numpy())
    rng = np.random.Generator(np.random.PCG64(seed + 2))
    n_int = -(-2 * frames_per_panorama * cfg.patch_width // cfg.interval_width)  # intervals that hold the frames
    n_seeds = n_int + S.anchor_window - 1
    strips = [render_panorama(G, [int(s) for s in rng.integers(0, 2 ** 32, n_seeds)], device=device)
              for _ in range(-(-n // frames_per_panorama))]
    pano = np.concatenate([cut_frames(s, 2 * cfg.patch_width) for s in strips])[:n]
    return compare(sample_reals(reals, n, seed), np.concatenate(frames), pano, strips, S.tile_width,
                   cfg.interval_width, 0, None, seed)
