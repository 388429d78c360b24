"""Metrics in numpy: multi-scale sliced Wasserstein distance, seam scores, and FID with a local
Inception (ONNX) file. No downloaded weights are needed for SWD and seams.

SWD is the ProGAN one (Karras et al. 2018, "Progressive growing of GANs", appendix D): for each
level of a Laplacian pyramid (full size down to 16 px), 128 random 7x7 neighbourhoods per image,
normalised per channel, then the sliced Wasserstein distance over 4 x 128 random directions.
Reported x 1e3, averaged over levels. numpy (and ONNX Runtime for FID) only: `evaluate.py` runs
an `.alis` model through the engine into these; the trainer's `metrics.py` feeds them from a
torch generator at training snapshots.
"""
from __future__ import annotations

import os

import numpy as np

NHOOD, NHOODS_PER_IMAGE = 7, 128
DIR_REPEATS, DIRS_PER_REPEAT = 4, 128
MIN_LEVEL = 16
_KERNEL = np.array([1, 4, 6, 4, 1], np.float32) / 16


# --------------------------------------------------------------------------- Laplacian pyramid


def _blur(x: np.ndarray) -> np.ndarray:
    """Separable 5-tap binomial blur of (N, C, H, W) with reflected borders."""
    p = np.pad(x, ((0, 0), (0, 0), (2, 2), (0, 0)), mode="reflect")
    x = sum(k * p[:, :, i:i + x.shape[2]] for i, k in enumerate(_KERNEL))
    p = np.pad(x, ((0, 0), (0, 0), (0, 0), (2, 2)), mode="reflect")
    return sum(k * p[:, :, :, i:i + x.shape[3]] for i, k in enumerate(_KERNEL))


def _down(x):
    return _blur(x)[:, :, ::2, ::2]


def _up(x):
    n, c, h, w = x.shape
    y = np.zeros((n, c, h * 2, w * 2), x.dtype)
    y[:, :, ::2, ::2] = x
    return _blur(y) * 4


def laplacian_pyramid(x: np.ndarray, min_size: int = MIN_LEVEL) -> list[np.ndarray]:
    """(N, C, H, W) float -> [band at H, band at H/2, ..., the Gaussian at min_size]."""
    levels = []
    while min(x.shape[2:]) > min_size:
        small = _down(x)
        levels.append(x - _up(small))
        x = small
    levels.append(x)
    return levels


# --------------------------------------------------------------------------- SWD


def _descriptors(level: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random 7x7 neighbourhoods of each image: (N * 128, C * 49) float32."""
    n, c, h, w = level.shape
    r = NHOOD // 2
    ys = rng.integers(r, h - r, (n, NHOODS_PER_IMAGE))
    xs = rng.integers(r, w - r, (n, NHOODS_PER_IMAGE))
    off = np.arange(-r, r + 1)
    yy = ys[:, :, None, None] + off[None, None, :, None]  # (N, M, 7, 1)
    xx = xs[:, :, None, None] + off[None, None, None, :]  # (N, M, 1, 7)
    ni = np.arange(n)[:, None, None, None]
    patches = level.transpose(0, 2, 3, 1)[ni, yy, xx]  # (N, M, 7, 7, C)
    return patches.transpose(0, 1, 4, 2, 3).reshape(n * NHOODS_PER_IMAGE, -1).astype(np.float32)


def _normalise(desc: np.ndarray, channels: int = 3) -> np.ndarray:
    d = desc.reshape(len(desc), channels, -1)
    d = d - d.mean(axis=(0, 2), keepdims=True)
    d = d / (d.std(axis=(0, 2), keepdims=True) + 1e-8)
    return d.reshape(len(desc), -1)


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> float:
    """SWD between two equal-sized sets of descriptors (M, D)."""
    assert a.shape == b.shape, (a.shape, b.shape)
    out = []
    for _ in range(DIR_REPEATS):
        dirs = rng.standard_normal((a.shape[1], DIRS_PER_REPEAT)).astype(np.float32)
        dirs /= np.sqrt(np.square(dirs).sum(axis=0, keepdims=True))
        pa, pb = np.sort(a @ dirs, axis=0), np.sort(b @ dirs, axis=0)  # (M, dirs)
        out.append(np.abs(pa - pb).mean())
    return float(np.mean(out))


def _to_float(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float32 in [0, 255]."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)


def swd(real: np.ndarray, fake: np.ndarray, seed: int = 0, chunk: int = 256) -> dict:
    """Multi-scale SWD x 1e3 between (N, H, W, 3) uint8 sets of the same size.

    Returns {"swd": mean over levels, "swd_<size>": per level} (size = the level's height).
    """
    n = min(len(real), len(fake))
    if n < 2:
        raise ValueError("SWD needs at least 2 images per set")
    rng = np.random.Generator(np.random.PCG64(seed))
    sets = []
    for images in (real[:n], fake[:n]):
        per_level = None
        for i in range(0, n, chunk):  # bounded memory: pyramids a chunk at a time
            levels = laplacian_pyramid(_to_float(np.asarray(images[i:i + chunk])))
            desc = [_descriptors(lv, rng) for lv in levels]
            per_level = desc if per_level is None else [np.concatenate(p) for p in zip(per_level, desc)]
        sets.append([_normalise(d) for d in per_level])
    sizes = [real.shape[1] >> i for i in range(len(sets[0]))]
    dist = [sliced_wasserstein(a, b, rng) * 1e3 for a, b in zip(*sets)]
    return {"swd": float(np.mean(dist)), **{f"swd_{s}": d for s, d in zip(sizes, dist)}}


# --------------------------------------------------------------------------- seams


def column_differences(strip: np.ndarray) -> np.ndarray:
    """Mean absolute difference between each column and the next: (W - 1,) for an (H, W, 3) strip."""
    s = strip.astype(np.float32)
    return np.abs(s[:, 1:] - s[:, :-1]).mean(axis=(0, 2))


def seam_scores(strips: list[np.ndarray], patch_width: int, interval_width: int, x0: int = 0, align: int = 1) -> dict:
    """Column differences across tile (patch) borders and across anchors, each over the same
    reference (1.0 = invisible seams). Strips start at panorama column x0 (a multiple of the tile
    width `patch_width`).

    The reference is the columns inside tiles at the same phase modulo `align` (the generator's
    coarsest column, height / 4 px) as the borders: upsampling gives even a seamless image a
    pattern of that period, which a reference over all columns would count as a seam."""
    diffs = np.concatenate([column_differences(s) for s in strips])
    x = np.concatenate([np.arange(s.shape[1] - 1) + x0 + 1 for s in strips])  # the right column of each pair
    anchor = x % interval_width == 0
    border = (x % patch_width == 0) & ~anchor
    inside = (x % patch_width != 0) & (x % align == 0)
    if not inside.any():  # tiles of one coarse column: no reference at the same phase
        inside = x % patch_width != 0
    ref = diffs[inside].mean()
    out = {"seam_patch": float(diffs[border].mean() / ref) if border.any() else float("nan")}
    out["seam_anchor"] = float(diffs[anchor].mean() / ref) if anchor.any() else float("nan")
    return out


def periodic_share(strips: list[np.ndarray], interval_width: int, x0: int = 0) -> float:
    """How much of a panorama repeats every anchor interval: Var_x of the mean interval over scenes
    (all cut at the same place of the interval), over the mean Var_x of an interval (0 = nothing
    repeats, 1 = every interval is the same picture). Unbiased: the mean's variance comes from
    pairs of intervals of different strips only (different scenes; neighbours in one strip share
    an anchor). Strips start at panorama column x0, each from its own scene."""
    d, first = interval_width, (-x0) % interval_width  # where each strip's first whole interval starts
    per_strip = []  # (n, H, d, C): each strip's whole intervals, as deviations along x
    for s in strips:
        n = (s.shape[1] - first) // d
        if n:
            iv = s[:, first:first + n * d].astype(np.float64).reshape(s.shape[0], n, d, -1).transpose(1, 0, 2, 3)
            per_strip.append(iv - iv.mean(axis=2, keepdims=True))
    if len(per_strip) < 2:
        return float("nan")
    sums, counts = [iv.sum(axis=0) for iv in per_strip], [len(iv) for iv in per_strip]
    cross = np.square(sum(sums)).mean() - sum(np.square(t).mean() for t in sums)  # pairs across strips
    pairs = sum(counts) ** 2 - sum(c * c for c in counts)
    own = sum(np.square(iv).mean(axis=(1, 2, 3)).sum() for iv in per_strip) / sum(counts)
    return float(cross / pairs / own)


def column_detail(strip: np.ndarray) -> np.ndarray:
    """(H, W, C) -> (1, W, 1): each column's mean |difference| to the previous one (the first column
    repeats the second's). Bumps drawn at the same place of every interval repeat here even on a
    ridge whose height varies from scene to scene, where pixel for pixel little repeats."""
    d = np.abs(np.diff(strip.astype(np.float64), axis=1)).mean(axis=(0, 2))
    return np.concatenate([d[:1], d])[None, :, None]


def cut_frames(strip: np.ndarray, frame_width: int) -> np.ndarray:
    """Consecutive non-overlapping frames of a strip: (n, H, frame_width, 3)."""
    n = strip.shape[1] // frame_width
    return np.stack([strip[:, i * frame_width:(i + 1) * frame_width] for i in range(n)])


# --------------------------------------------------------------------------- FID (local weights)


def inception_session(model_path: str | os.PathLike):
    """An ONNX Runtime session of an Inception-like feature extractor, checked by running one image:
    (session, input name, image size). A file that is not one is a one-line UserError, before any work."""
    import onnxruntime as ort

    from alis_studio.errors import UserError

    def refuse(why: str):
        first = why.splitlines()[0][:120] if why else "?"
        return UserError(f"{model_path}: not a usable ONNX Inception model ({first})")

    try:
        sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    except Exception as e:
        raise refuse(str(e)) from None
    inp = sess.get_inputs()[0]
    shape = list(inp.shape)
    if len(sess.get_inputs()) != 1 or len(shape) != 4 or isinstance(shape[1], int) and shape[1] != 3:
        raise refuse(f"it takes {', '.join(f'{i.name} {i.shape}' for i in sess.get_inputs())}, not images "
                     "float32 (N, 3, S, S)")
    size = shape[-1] if isinstance(shape[-1], int) else 299
    try:
        out = sess.run(None, {inp.name: np.zeros((1, 3, size, size), np.float32)})[0]
    except Exception as e:
        raise refuse(str(e)) from None
    if out.ndim < 2 or out.shape[0] != 1 or out.size < 2:
        raise refuse(f"its output {list(out.shape)} is not (N, features)")
    return sess, inp.name, size


def inception_features(model_path: str | os.PathLike, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """Pool features of an ONNX Inception-v3 feature extractor (input float32 (N, 3, S, S) in
    [0, 255], output (N, F)); images are resized to S (299 if the input size is dynamic)."""
    from PIL import Image

    sess, name, size = inception_session(model_path)
    feats = []
    for i in range(0, len(images), batch):
        x = np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BICUBIC))
                      for im in images[i:i + batch]]).transpose(0, 3, 1, 2).astype(np.float32)
        feats.append(sess.run(None, {name: x})[0].reshape(len(x), -1))
    return np.concatenate(feats).astype(np.float64)


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    """S^(1/2) of a covariance by its symmetric eigendecomposition; eigenvalues at rounding-noise
    level count as 0 (with fewer samples than features, e.g. 500 images and 2048 Inception
    features, most of them are)."""
    vals, vecs = np.linalg.eigh(s)
    tol = max(float(vals.max(initial=0.0)), 0.0) * len(vals) * np.finfo(np.float64).eps * 16
    return (vecs * np.sqrt(np.where(vals > tol, vals, 0.0))) @ vecs.T


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """FID between two feature sets. tr(sqrt(S1 S2)) is the sum of the singular values of
    S2^(1/2) S1^(1/2): unlike the eigenvalues of S1^(1/2) S2 S1^(1/2), they do not square the
    condition number, so small but real variances are not lost in rounding noise."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    tr_covmean = np.linalg.svd(_psd_sqrt(s2) @ _psd_sqrt(s1), compute_uv=False).sum()
    return float(np.square(mu1 - mu2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


# --------------------------------------------------------------------------- the report


def compare(reals: np.ndarray, frames: np.ndarray, pano_frames: np.ndarray, strips: list[np.ndarray],
            patch_width: int, interval_width: int, x0: int = 0, inception: str | None = None,
            seed: int = 0) -> dict:
    """All metrics from uint8 image sets: SWD of single frames and of frames cut from long
    panoramas (and their ratio), seam scores of the panoramas, how much of them repeats every
    interval, FID when `inception` is given."""
    out = {"images": int(min(len(reals), len(frames), len(pano_frames)))}
    n = out["images"]
    a = swd(reals[:n], frames[:n], seed)
    b = swd(reals[:n], pano_frames[:n], seed)
    out.update({f"{k}_frames": v for k, v in a.items()})
    out.update({f"{k}_infinite": v for k, v in b.items()})
    out["swd_ratio"] = out["swd_infinite"] / out["swd_frames"] if out["swd_frames"] else float("nan")
    out.update(seam_scores(strips, patch_width, interval_width, x0))
    out["periodic_share"] = periodic_share(strips, interval_width, x0)
    out["detail_periodic_share"] = periodic_share([column_detail(s) for s in strips], interval_width, x0)
    if inception:
        fr = inception_features(inception, reals[:n])
        out["fid_frames"] = frechet_distance(fr, inception_features(inception, frames[:n]))
        out["fid_infinite"] = frechet_distance(fr, inception_features(inception, pano_frames[:n]))
    return out


def sample_reals(images: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(seed))
    idx = np.sort(rng.choice(len(images), size=min(n, len(images)), replace=False))
    return np.asarray(images[idx])
