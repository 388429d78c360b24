"""Latent directions (GANSpace, Härkönen et al. 2020): the principal components of w.

Many z ~ N(0, I) (fixed seeds, so every machine gets the same basis) pass the bundle's mapping
network; the top eigenvectors of the covariance of the resulting w are directions that change the
scene in broad, often nameable ways. An edit moves an anchor's truncated w by `amount` standard
deviations of a component: w' = w + sum_k amount_k * std_k * v_k.

Computed once per model and cached as `directions-v1-<sha256>.npz` in a cache folder the caller
passes in (default: the user's cache folder, see `default_cache_dir`). numpy only, no torch, no Qt.
"""
from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import numpy as np
import platformdirs

from alis_studio.atomic import atomic_write
from alis_studio.errors import SessionError

N_SAMPLES = 20_000
MAX_COMPONENTS = 32  # stored; the GUI shows the first few
SAMPLE_SEED = 0  # z of the samples: PCG64(SAMPLE_SEED), so the basis is a function of the model alone
BATCH = 2000
CACHE_TAG = "directions-v1"


@dataclasses.dataclass(frozen=True)
class Directions:
    """components (n, w_dim) unit vectors, largest variance first; stds (n,) their standard deviations
    in w; explained (n,) their share of the total variance."""

    components: np.ndarray
    stds: np.ndarray
    explained: np.ndarray
    samples: int

    def __len__(self) -> int:
        return len(self.components)

    def offset(self, edits) -> np.ndarray:
        """The w offset of ((component, amount), ...); components count from 1."""
        out = np.zeros(self.components.shape[1], np.float32)
        for k, amount in edits:
            if not 1 <= k <= len(self):
                raise SessionError(f"the scene uses latent direction {k}; this model has {len(self)}")
            out += np.float32(amount * self.stds[k - 1]) * self.components[k - 1]
        return out


def n_components(bundle) -> int:
    return min(MAX_COMPONENTS, bundle.w_dim)


# appauthor=False: no vendor folder on Windows (%LOCALAPPDATA%/alis-studio/Cache), the paths of before
CACHE_DIR_ARGS = {"appname": "alis-studio", "appauthor": False}


def default_cache_dir() -> Path:
    """The user's cache folder for alis-studio ($ALIS_STUDIO_CACHE overrides it): platformdirs'
    user cache dir, ~/.cache/alis-studio (or $XDG_CACHE_HOME) on Linux, ~/Library/Caches on macOS."""
    if os.environ.get("ALIS_STUDIO_CACHE"):
        return Path(os.environ["ALIS_STUDIO_CACHE"])
    return Path(platformdirs.user_cache_dir(**CACHE_DIR_ARGS))


def compute(bundle, samples: int = N_SAMPLES) -> Directions:
    """PCA of `samples` mapped latents (float64 covariance, eigh); signs fixed so that each
    component's largest entry is positive (a recomputation gives the same directions)."""
    rng = np.random.Generator(np.random.PCG64(SAMPLE_SEED))
    total = np.zeros(bundle.w_dim)
    outer = np.zeros((bundle.w_dim, bundle.w_dim))
    for start in range(0, samples, BATCH):  # sums in float64, batch by batch: memory O(w_dim^2)
        z = rng.standard_normal((min(BATCH, samples - start), bundle.z_dim)).astype(np.float32)
        w = bundle.mapping.run(["w"], {"z": z})[0].astype(np.float64)  # (B, w_dim)
        total += w.sum(axis=0)
        outer += w.T @ w
    mean = total / samples
    scatter = (outer - samples * np.outer(mean, mean)) / max(1, samples - 1)  # covariance (w_dim, w_dim)
    values, vectors = np.linalg.eigh(scatter)
    order = np.argsort(values)[::-1][:n_components(bundle)]
    values, vectors = np.clip(values[order], 0, None), vectors[:, order].T  # (n,), (n, w_dim)
    signs = np.sign(vectors[np.arange(len(vectors)), np.abs(vectors).argmax(axis=1)])
    vectors *= np.where(signs == 0, 1, signs)[:, None]
    variance = float(np.trace(scatter)) or 1.0
    return Directions(vectors.astype(np.float32), np.sqrt(values).astype(np.float32),
                      (values / variance).astype(np.float32), samples)


def cache_path(bundle, cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / f"{CACHE_TAG}-{bundle.sha256}.npz"


def load_or_compute(bundle, cache_dir: str | os.PathLike | None = None) -> Directions:
    """The model's directions from the cache, else computed and cached (a damaged or unwritable cache
    only costs the computation)."""
    path = cache_path(bundle, cache_dir or default_cache_dir())
    try:
        with np.load(path) as f:
            d = Directions(f["components"], f["stds"], f["explained"], int(f["samples"]))
        if d.components.shape == (n_components(bundle), bundle.w_dim):
            return d
    except (OSError, KeyError, ValueError):
        pass
    d = compute(bundle)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, suffix=".npz") as tmp:
            np.savez(tmp, components=d.components, stds=d.stds, explained=d.explained, samples=d.samples)
    except OSError:
        pass
    return d


class LazyDirections:
    """The directions of one bundle, loaded or computed on first use by whichever thread asks first
    (a renderer worker, or the GUI's warm-up thread); the others wait for it on the lock."""

    def __init__(self, bundle, cache_dir: str | os.PathLike | None = None):
        self.bundle, self.cache_dir = bundle, cache_dir
        self._value: Directions | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._value is not None

    def get(self) -> Directions:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = load_or_compute(self.bundle, self.cache_dir)
        return self._value
