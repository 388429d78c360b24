"""Panorama coordinates (DESIGN.md 3.2) and strips of pixels assembled from patches."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene


def patch_span(x0: int, width: int, patch_width: int) -> tuple[int, int]:
    """Patches [p0, p1) covering columns [x0, x0 + width)."""
    return x0 // patch_width, -(-(x0 + width) // patch_width)


def iter_strip(renderer: Renderer, scene: Scene, x0: int, width: int, *, use_cache: bool = True,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (x, pixels) pieces covering columns [x0, x0 + width) left to right, each (H, w, 3) uint8
    and at most one patch wide. Memory stays O(batch) whatever the width."""
    P = renderer.bundle.tile_width
    p0, p1 = patch_span(x0, width, P)
    keys = (renderer.key(scene, p) for p in range(p0, p1))
    total = p1 - p0

    def report(done, _n):
        if progress:
            progress(done, total)

    # the generator first in zip, so it runs to its end (and reports 100%) before zip stops
    for img, p in zip(_lazy(renderer, keys, total, use_cache, report, cancel), range(p0, p1)):
        a, b = max(x0, p * P), min(x0 + width, (p + 1) * P)
        yield a, img[:, a - p * P:b - p * P]


def _lazy(renderer, keys, total, use_cache, progress, cancel):
    """iter_render over a generator of keys, a batch at a time, so keys need not be materialised."""
    done = 0
    while done < total:
        chunk = [next(keys) for _ in range(min(renderer.batch_size * 4, total - done))]
        base = done
        yield from renderer.iter_render(chunk, use_cache=use_cache, cancel=cancel,
                                        progress=lambda d, n: progress(base + d, total))
        done += len(chunk)


def render_strip(renderer: Renderer, scene: Scene, x0: int, width: int, **kw) -> np.ndarray:
    """Columns [x0, x0 + width) of the panorama as one (H, width, 3) uint8 array."""
    out = np.empty((renderer.bundle.height, width, 3), np.uint8)
    for x, piece in iter_strip(renderer, scene, x0, width, **kw):
        out[:, x - x0:x - x0 + piece.shape[1]] = piece
    return out
