"""`alis-studio eval`'s measurement of an `.alis` bundle: images through the torch-free engine
(single frames and frames of far-away panoramas), then every metric of `metrics.compare`."""
from __future__ import annotations

from typing import Callable

import numpy as np

from alis_studio.evaluation.metrics import compare, cut_frames, sample_reals


def bundle_samples(renderer, n: int, *, frames_per_panorama: int = 16, far_interval: int = 1_000_000,
                   psi: float = 1.0, seed: int = 0, progress: Callable[[int, int], None] | None = None):
    """Through the torch-free engine: n single frames (H, 2P), each from its own scene at a random
    patch offset in the span of two intervals, like training; and n frames cut from panoramas that
    start `far_interval` intervals from the origin. Returns (frames, pano_frames, strips, x0)."""
    from alis_studio.engine.panorama import render_strip
    from alis_studio.engine.scene import Scene

    b = renderer.bundle
    fw = b.frame_width
    P, K = fw // 2, b.interval_width // (fw // 2)  # frames move on the grid of half a frame
    rng = np.random.Generator(np.random.PCG64(seed))
    n_pano = -(-n // frames_per_panorama)
    total, done = n + n_pano, 0
    frames = []
    for s in rng.integers(0, 2 ** 32, n):
        offset = int(rng.integers(0, 2 * K - 1))
        frames.append(render_strip(renderer, Scene(seed=int(s), psi=psi), (offset - K) * P, fw, use_cache=False))
        done += 1
        if progress:
            progress(done, total)
    x0 = far_interval * b.interval_width
    strips = []
    for s in rng.integers(0, 2 ** 32, n_pano):
        strips.append(render_strip(renderer, Scene(seed=int(s), psi=psi), x0, frames_per_panorama * fw,
                                   use_cache=False))
        done += 1
        if progress:
            progress(done, total)
    pano = np.concatenate([cut_frames(s, fw) for s in strips])[:n]
    return np.stack(frames), pano, strips, x0


def shown_at(frames: np.ndarray, height: int) -> np.ndarray:
    """(N, H, W, 3) frames resized to `height` px tall as the real crops are (Lanczos)."""
    from PIL import Image

    from alis_studio.evaluation.datasets import crop_resize

    if frames.shape[1] == height:
        return frames
    width = frames.shape[2] * height // frames.shape[1]
    return np.stack([np.asarray(crop_resize(Image.fromarray(f), height, width)) for f in frames])


def evaluate_bundle(model_path, reals: np.ndarray, n: int = 1000, *, device: str = "auto",
                    inception: str | None = None, seed: int = 0, progress=None) -> dict:
    """Every metric of an `.alis` bundle against real (N, h, w, 3) uint8 crops, via the engine. Crops
    shorter than the model's frames (H, 2P) compare the frames shown at their size: models of
    different heights measured on one reference. Seams are measured at the model's own size."""
    from alis_studio.engine.bundle import load_bundle
    from alis_studio.engine.renderer import Renderer

    bundle = load_bundle(model_path, device=device)
    renderer = Renderer(bundle, workers=0, batch_size=16, cache_bytes=0)
    try:
        n = min(n, len(reals))
        frames, pano, strips, x0 = bundle_samples(renderer, n, seed=seed + 1, progress=progress)
    finally:
        renderer.close()
    height = reals.shape[1]
    out = compare(sample_reals(reals, n, seed), shown_at(frames, height), shown_at(pano, height), strips,
                  bundle.tile_width, bundle.interval_width, x0, inception, seed)
    return {"model": str(model_path), "provider": bundle.provider, "height": height, **out}
