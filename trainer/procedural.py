"""Procedural landscapes: a deterministic, numpy-only generator of landscape pictures.

Sky (gradient, sun glow, clouds), several mountain ridges from 1-D fractal noise with aerial
perspective, a lake with rippled reflections or a meadow, and tree lines in front. Nothing depends
on the absolute x position (noise is periodic over the image width, the sun and trees are placed
at random), so the pictures are horizontally stationary like real landscapes. Serves the tests,
the demo and users without data: `alis-studio dataset procedural --out DIR --count N`.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable

import numpy as np

# (sky top, sky at the horizon, sun, haze) in linear-ish RGB [0, 1]
PALETTES = {
    "day": ((0.22, 0.42, 0.78), (0.72, 0.83, 0.94), (1.0, 0.98, 0.90), (0.70, 0.80, 0.92)),
    "haze": ((0.40, 0.55, 0.75), (0.85, 0.88, 0.90), (1.0, 0.97, 0.90), (0.82, 0.85, 0.88)),
    "dusk": ((0.16, 0.20, 0.45), (0.98, 0.62, 0.38), (1.0, 0.85, 0.55), (0.85, 0.55, 0.45)),
    "dawn": ((0.35, 0.38, 0.62), (0.98, 0.80, 0.62), (1.0, 0.93, 0.75), (0.90, 0.75, 0.70)),
    "night": ((0.02, 0.03, 0.10), (0.15, 0.20, 0.35), (0.95, 0.95, 0.85), (0.18, 0.22, 0.33)),
}
PALETTE_WEIGHTS = {"day": 0.4, "haze": 0.15, "dusk": 0.2, "dawn": 0.15, "night": 0.1}
ROCK = np.array([(0.36, 0.33, 0.30), (0.30, 0.32, 0.28), (0.42, 0.36, 0.30), (0.25, 0.28, 0.30)], np.float32)
GREEN = np.array([(0.20, 0.33, 0.14), (0.28, 0.38, 0.16), (0.38, 0.40, 0.18), (0.14, 0.25, 0.14)], np.float32)


@functools.lru_cache(maxsize=256)
def _interp(samples: int, knots: int, periodic: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left knot, right knot and smoothstep weight of each sample: noise = k[i0] * (1 - f) + k[i1] * f."""
    u = np.arange(samples) / samples * knots
    i0 = np.floor(u).astype(np.intp)
    f = (u - i0).astype(np.float32)
    i1 = (i0 + 1) % knots if periodic else i0 + 1
    return i0, i1, f * f * (3 - 2 * f)


def _lerp_axis(k: np.ndarray, interp, axis: int) -> np.ndarray:
    i0, i1, f = interp
    a, b = np.take(k, i0, axis=axis), np.take(k, i1, axis=axis)
    f = f if axis == k.ndim - 1 else f[:, None]
    return a + (b - a) * f


def fbm_1d(rng: np.random.Generator, width: int, octaves: int = 6, base: int = 3, gain: float = 0.5) -> np.ndarray:
    """Periodic 1-D fractal value noise over `width` samples, about zero mean, amplitude ~1."""
    out = np.zeros(width, np.float32)
    amp = 1.0
    for o in range(octaves):
        n = min(base * 2 ** o, width)
        out += amp * _lerp_axis(rng.standard_normal(n, dtype=np.float32), _interp(width, n, True), 0)
        amp *= gain
    return out / 1.6


def fbm_2d(rng: np.random.Generator, h: int, w: int, octaves: int = 5, base: tuple = (2, 3),
           gain: float = 0.5) -> np.ndarray:
    """Fractal value noise on an (h, w) grid, periodic along x; about zero mean, amplitude ~1.
    Separable interpolation (gathers, no BLAS): cheap and the same on any machine."""
    out = np.zeros((h, w), np.float32)
    amp = 1.0
    for o in range(octaves):
        ny, nx = min(base[0] * 2 ** o, h), min(base[1] * 2 ** o, w)
        k = rng.standard_normal((ny + 1, nx), dtype=np.float32)
        k = _lerp_axis(k, _interp(h, ny, False), 0)  # (h, nx)
        out += amp * _lerp_axis(k, _interp(w, nx, True), 1)  # (h, w)
        amp *= gain
    return out / 1.6


def _over(img: np.ndarray, color: np.ndarray, alpha: np.ndarray) -> None:
    """Alpha-composite `color` ((h, w, 3) or (3,)) over img in place; alpha (h, w)."""
    img += alpha[..., None] * (color - img)


def _sky(rng, h, w, horizon, palette):
    top, bottom, sun_c, _ = (np.array(c, np.float32) for c in palette)
    y = np.arange(h, dtype=np.float32)[:, None, None] / max(horizon, 1)
    t = np.clip(y, 0, 1) ** 0.8
    img = np.broadcast_to(top * (1 - t) + bottom * t, (h, w, 3)).copy()
    sx, sy = rng.uniform(0, w), rng.uniform(0.25, 0.85) * horizon
    dx = np.minimum(np.abs(np.arange(w) - sx), w - np.abs(np.arange(w) - sx))[None, :]
    r = (np.hypot(dx, np.arange(h)[:, None] - sy) / h).astype(np.float32)
    glow = 0.45 * np.exp(-r * 6) + np.clip(1.2 - r / (0.035 + rng.uniform(0, 0.02)), 0, 1)
    _over(img, sun_c, np.clip(glow * rng.uniform(0.6, 1.0), 0, 1))
    cover = rng.uniform(-0.3, 0.7)
    n = fbm_2d(rng, h, w, base=(int(rng.integers(4, 8)), int(rng.integers(2, 4))), gain=0.55)
    clouds = np.clip((n - 0.45 + cover * 0.6) * 2.0, 0, 1) * np.clip(1.2 - y[..., 0], 0, 1) ** 0.5
    lit = np.clip(1.0 - 0.35 * clouds - 0.15 * fbm_2d(rng, h, w, octaves=3, base=(6, 6)), 0.5, 1)[..., None]
    cloud_c = (0.35 * bottom + 0.35 * np.array(palette[2]) + 0.3) * lit
    img += (clouds[..., None] * 0.9) * (cloud_c - img)
    return img


def _ridge_profile(rng, w, y0, amp, rough):
    """A mountain ridge line (pixels from the top) over the image width."""
    p = fbm_1d(rng, w, octaves=7, base=int(rng.integers(2, 5)), gain=rough)
    sharp = np.abs(fbm_1d(rng, w, octaves=5, base=int(rng.integers(3, 7))))  # ridged noise: crests
    return y0 - amp * (p + 0.6 * (0.7 - sharp))


def _mountains(rng, img, h, w, horizon, palette):
    haze = np.array(palette[3], np.float32)
    n = int(rng.integers(2, 5))
    ys = np.arange(h, dtype=np.float32)[:, None]
    for j in range(n):
        depth = (n - j) / n  # 1 far .. 1/n near
        y0 = horizon - h * (0.06 + 0.16 * depth) * rng.uniform(0.6, 1.2)
        prof = _ridge_profile(rng, w, y0, h * rng.uniform(0.05, 0.16) * (0.5 + depth), rng.uniform(0.45, 0.62))
        alpha = np.clip(ys - prof[None, :] + 0.5, 0, 1)
        base_c = ROCK[rng.integers(len(ROCK))] * rng.uniform(0.7, 1.1)
        tex = fbm_2d(rng, h, w, octaves=4, base=(4, 8))[..., None]
        below = np.clip((ys - prof[None, :]) / (h * 0.25), 0, 1)[..., None]
        col = base_c * (1 + 0.25 * tex) * (1.1 - 0.4 * below)
        if rng.random() < 0.45 and depth > 0.5:  # snow caps on far ridges
            snow = np.clip((prof.min() + h * 0.05 - ys) / (h * 0.02) + tex[..., 0] * 2, 0, 1)[..., None]
            col = col * (1 - snow) + np.array([0.92, 0.93, 0.96], np.float32) * snow
        mist = 0.15 + 0.7 * depth ** 1.3  # aerial perspective
        col = col * (1 - mist) + haze * mist
        _over(img, col, alpha)


def _trees(rng, w, base_line, h):
    """Silhouette line of conifers standing on `base_line` (pixels from the top)."""
    n = int(rng.integers(w // 12, w // 3))
    xs = rng.uniform(0, w, n)
    hs = h * rng.uniform(0.02, 0.09, n) * rng.uniform(0.5, 1.5)
    slope = rng.uniform(2.5, 4.0, n)
    x = np.arange(w)[None, :]
    dx = np.abs(x - xs[:, None])
    dx = np.minimum(dx, w - dx)
    tops = base_line[None, :] - hs[:, None] + dx * slope[:, None]  # (n, w)
    return np.minimum(base_line, tops.min(axis=0))


def _foreground(rng, img, h, w, horizon, palette):
    ys = np.arange(h, dtype=np.float32)[:, None]
    haze = np.array(palette[3], np.float32)
    water = rng.random() < 0.5
    if water:
        src = img[:horizon][::-1]  # reflection of everything above the horizon
        k = min(h - horizon, horizon)
        ripple = fbm_2d(rng, h, w, octaves=3, base=(16, 3)) * 2.0 * (ys / h)
        cols = (np.arange(w)[None, :] + np.round(ripple).astype(int)) % w
        rows = np.clip(np.arange(h)[:, None] - horizon, 0, k - 1)
        refl = src[rows, cols]
        tint = np.array([0.10, 0.18, 0.25], np.float32)
        wat = refl * 0.7 + tint * 0.3
        alpha = (ys >= horizon) * np.ones((1, w))
        _over(img, wat, alpha.astype(float))
        shore_y = horizon + 0.5 + np.abs(fbm_1d(rng, w, 4, 4)) * 1.5
        shore = np.clip(shore_y[None, :] - ys + 1, 0, 1) * (ys >= horizon)
        _over(img, haze * 0.5 + ROCK[0] * 0.5, shore * 0.8)
    else:
        prof = horizon + h * 0.01 * fbm_1d(rng, w, 5, 3)
        alpha = np.clip(ys - prof[None, :] + 0.5, 0, 1)
        g = GREEN[rng.integers(len(GREEN))] * rng.uniform(0.8, 1.2)
        tex = fbm_2d(rng, h, w, octaves=5, base=(8, 6))[..., None]
        t = np.clip((ys - horizon) / max(h - horizon, 1), 0, 1)[..., None]
        col = g * (0.8 + 0.3 * tex) * (0.75 + 0.45 * t)
        col = col * (0.55 + 0.45 * t) + haze * (0.45 - 0.45 * t) * 0.6
        _over(img, col, alpha)
    if rng.random() < 0.8:  # a tree line on a near hill just above the horizon (or the shore)
        hill = horizon - h * rng.uniform(0.0, 0.06) * (1 + fbm_1d(rng, w, 5, 2))
        line = _trees(rng, w, hill, h)
        alpha = np.clip(ys - line[None, :] + 0.5, 0, 1) * (ys <= horizon + 0.5)
        c = GREEN[rng.integers(len(GREEN))] * 0.55 * (0.85 + 0.3 * fbm_2d(rng, h, w, 3, (8, 16))[..., None])
        c = c * 0.8 + haze * 0.2
        _over(img, c, alpha)
        if water:  # the trees' reflection
            mirror = np.clip(2 * horizon - line[None, :] - ys + 0.5, 0, 1) * (ys > horizon)
            _over(img, c * 0.7 + np.array([0.10, 0.18, 0.25], np.float32) * 0.3, mirror * 0.85)


def _grade(img, rng, palette_name):
    if palette_name == "night":
        img *= 0.6
    img = np.clip(img, 0, 1) ** rng.uniform(0.9, 1.1)
    return (img * 255 + rng.uniform(0, 1, img.shape[:2])[..., None]).clip(0, 255).astype(np.uint8)


def landscape(seed: int, height: int = 128, width: int | None = None) -> np.ndarray:
    """One landscape picture, (height, width, 3) uint8; the same seed always gives the same picture."""
    width = width or height
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    names = list(PALETTES)
    name = names[rng.choice(len(names), p=[PALETTE_WEIGHTS[k] for k in names])]
    palette = PALETTES[name]
    horizon = int(height * rng.uniform(0.55, 0.78))
    img = _sky(rng, height, width, horizon, palette)
    _mountains(rng, img, height, width, horizon, palette)
    _foreground(rng, img, height, width, horizon, palette)
    return _grade(img, rng, name)


def image_seed(seed: int, index: int) -> int:
    """The landscape seed of picture `index` of a dataset written with `seed`."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, np.uint32)[0])


def _write_chunk(args) -> int:
    from PIL import Image

    out, seed, resolution, indices = args
    for i in indices:
        img = landscape(image_seed(seed, i), resolution)
        Image.fromarray(img).save(Path(out) / f"landscape_{i:06d}.png", compress_level=1)
    return len(indices)


def write_dataset(out_dir: str | os.PathLike, count: int, resolution: int = 128, seed: int = 0, *,
                  workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write `count` PNGs `landscape_000000.png` ... into out_dir; picture i is
    `landscape(image_seed(seed, i))`, whatever the number of worker processes (default: CPUs)."""
    from concurrent.futures import ProcessPoolExecutor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workers = min(os.cpu_count() or 1, 8) if workers is None else max(1, workers)
    jobs = [(str(out), seed, resolution, range(i, min(i + 32, count))) for i in range(0, count, 32)]
    pool = ProcessPoolExecutor(workers) if workers > 1 and count > 64 else None
    done = 0
    try:
        for n in (pool.map(_write_chunk, jobs) if pool else map(_write_chunk, jobs)):
            done += n
            if progress:
                progress(done, count)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return out
