"""Sample panoramas from a torch generator: the PNG of every snapshot, and the frames of the
infinite metrics during training."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from alis_studio.atomic import atomic_write
from alis_studio.trainer.model import Generator


@torch.no_grad()
def render_panorama(G: Generator, seeds: list[int], psi: float = 1.0, device="cpu") -> np.ndarray:
    """The panorama of anchors z_from_seed(seeds[0]), ..., tile by tile like the app, from anchor
    `context` to anchor len(seeds) - 1 - context (format 2's margins need those neighbours; see
    `panorama_seeds`): (H, (len(seeds) - 1 - 2 context) * d, 3) uint8."""
    from alis_studio.engine.scene import z_from_seed

    S = G.synthesis
    A, K = S.anchor_window, S.tiles_per_interval
    z = torch.from_numpy(np.stack([z_from_seed(s, G.cfg.z_dim) for s in seeds])).to(device)
    w = G.map(z, psi=psi)  # (N, w_dim)
    n = len(seeds) - A + 1  # intervals rendered
    windows = torch.stack([w[i:i + A] for i in range(n)]).repeat_interleave(K, dim=0)  # (n K, A, w_dim)
    tile = torch.arange(K, device=device).repeat(n)  # (n K,)
    img = torch.cat([S(windows[i:i + 16], tile[i:i + 16]) for i in range(0, n * K, 16)])
    img = img.permute(0, 2, 3, 1).float().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)  # (nK, H, T, 3)
    return torch.cat(list(img), dim=1).cpu().numpy()


def panorama_seeds(G: Generator, seed_of, first: int, intervals: int) -> list[int]:
    """Seeds for `render_panorama` of intervals first .. first + intervals - 1, anchor i's seed
    being seed_of(i)."""
    c = G.synthesis.context
    return [int(seed_of(i)) for i in range(first - c, first + intervals + 1 + c)]


def save_sample(G: Generator, path: Path, intervals: int = 6, rows: int = 4, device="cpu") -> Path:
    """A PNG of `rows` panoramas of `intervals` anchor intervals each, the anchors of the app's
    scenes with seeds 0 .. rows-1 (so the same views open in the app), psi = 1."""
    from PIL import Image

    from alis_studio.engine.scene import default_seed

    strips = [render_panorama(G, panorama_seeds(G, lambda i: default_seed(r, i), 0, intervals), device=device)
              for r in range(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, suffix=".tmp") as tmp:
        Image.fromarray(np.concatenate(strips, axis=0)).save(tmp, format="PNG")
    return path
