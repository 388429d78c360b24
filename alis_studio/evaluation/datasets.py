"""Real image sets (training and `eval`): a folder (recursive) or a zip of photos, prepared once into
a uint8 cache.

Every image becomes RGB (any mode, EXIF rotation applied), is centre-cropped to the frame's aspect
(H x 2P) and resized with a Lanczos filter. The result is one `(N, H, W, 3)` uint8 `.npy` keyed by a
hash of the file list and the frame size, so 6000x4000 photographs are decoded once, not every
epoch; later runs memory-map it. Unreadable files are skipped, counted and listed, never a crash.
"""
from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import json
import os
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

from alis_studio.atomic import atomic_write, temp_prefix
from alis_studio.errors import DatasetError

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
CACHE_VERSION = 1
CACHE_GLOB = "dataset-*"  # the names of a cache folder's files (dataset-KEY-HxW.npy and .json)
MAX_ENLARGEMENT = 4  # a crop enlarged more than this is a blur, not a real image (a 1 x 1 px file)


class ImageTooSmall(ValueError):
    """An image whose crop would be enlarged more than MAX_ENLARGEMENT times: skipped, like a corrupt one."""


@dataclasses.dataclass
class Source:
    """Where the images are: a directory or a zip, and the members (relative names) to read."""

    root: Path
    names: list[str]
    stamps: list[str]  # size and mtime (folder) or size and CRC (zip): part of the cache key

    @property
    def is_zip(self) -> bool:
        return self.root.is_file()

    def key(self, shape: tuple[int, int]) -> str:
        h = hashlib.sha256(json.dumps([CACHE_VERSION, str(self.root.resolve()), list(shape),
                                       self.names, self.stamps]).encode())
        return h.hexdigest()[:16]


def scan(path: str | os.PathLike) -> Source:
    """List the images of a folder (recursive, sorted) or a zip. Raises DatasetError if there are none."""
    root = Path(path)
    if not root.exists():
        raise DatasetError(f"{root}: no such file or folder")
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
        names = [p.relative_to(root).as_posix() for p in files]
        stamps = [f"{s.st_size}:{s.st_mtime_ns}" for s in (p.stat() for p in files)]
    elif zipfile.is_zipfile(root):
        with zipfile.ZipFile(root) as zf:
            infos = sorted((i for i in zf.infolist() if not i.is_dir()
                            and Path(i.filename).suffix.lower() in EXTENSIONS), key=lambda i: i.filename)
        names = [i.filename for i in infos]
        stamps = [f"{i.file_size}:{i.CRC}" for i in infos]
    else:
        raise DatasetError(f"{root}: not a folder or a zip archive of images")
    if not names:
        raise DatasetError(f"{root}: no images found ({', '.join(e[1:] for e in EXTENSIONS)})")
    return Source(root, names, stamps)


def to_rgb(img):
    """Any PIL image (RGBA, LA, P, CMYK, I;16, I, F, EXIF-rotated ...) as an upright RGB image."""
    from PIL import Image, ImageOps

    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        img = Image.fromarray(np.clip(a / hi * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    return img.convert("RGB")


def crop_box(size: tuple[int, int], height: int, width: int) -> tuple[int, int, int, int]:
    """The centre crop (left, top, right, bottom) of an image of `size` (w, h) at the aspect width:height."""
    w, h = size
    if w * height > h * width:  # too wide
        cw, ch = max(1, round(h * width / height)), h
    else:
        cw, ch = w, max(1, round(w * height / width))
    left, top = (w - cw) // 2, (h - ch) // 2
    return left, top, left + cw, top + ch


def crop_resize(img, height: int, width: int):
    """Centre crop to the aspect width:height, then resize (Lanczos) to (height, width)."""
    from PIL import Image

    left, top, right, bottom = crop_box(img.size, height, width)
    return img.resize((width, height), Image.Resampling.LANCZOS, box=(left, top, right, bottom),
                      reducing_gap=3.0)


def load_image(data: bytes | str | os.PathLike, height: int, width: int) -> np.ndarray:
    """Decode one image file (a path or its bytes) to a (height, width, 3) uint8 array.

    Raises whatever PIL raises for a corrupt file, ImageTooSmall for one whose crop would be enlarged
    more than MAX_ENLARGEMENT times; `prepare` turns either into a skipped file.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:
        _, top, _, bottom = crop_box(img.size, height, width)
        if (bottom - top) * MAX_ENLARGEMENT < height:
            raise ImageTooSmall(f"{img.size[0]} x {img.size[1]} px is too small for {height} x {width} px crops "
                                f"(enlarged more than {MAX_ENLARGEMENT}x)")
        if img.format == "JPEG":  # decode big JPEGs at a reduced scale: much faster, same result
            img.draft("RGB", (width * 2, height * 2))
        img.load()
        img = to_rgb(img)
        return np.asarray(crop_resize(img, height, width), dtype=np.uint8)


def _load_chunk(args) -> list:
    """Worker: decode a chunk of (index, name) from the source; returns (index, array or error)."""
    root, is_zip, items, height, width = args
    out = []
    zf = zipfile.ZipFile(root) if is_zip else None
    try:
        for i, name in items:
            try:
                data = zf.read(name) if zf else os.path.join(root, name)
                out.append((i, load_image(data, height, width)))
            except ImageTooSmall as e:
                out.append((i, str(e)))
            except Exception as e:  # corrupt, truncated, unsupported: skipped and listed
                out.append((i, f"{type(e).__name__}: {e}".splitlines()[0][:200]))
    finally:
        if zf:
            zf.close()
    return out


@dataclasses.dataclass
class PreparedDataset:
    """The cached images, memory-mapped: `images` is (N, H, W, 3) uint8."""

    images: np.ndarray
    cache_path: Path
    reused: bool
    skipped: list[tuple[str, str]]  # (file, why)
    source: Path

    def __len__(self) -> int:
        return len(self.images)


def prepare(path: str | os.PathLike, height: int, width: int, cache_dir: str | os.PathLike, *,
            workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> PreparedDataset:
    """Decode, crop and resize the dataset at `path` once into `cache_dir/dataset-<key>.npy`, or
    reuse that file when the file list and frame size are unchanged. Raises DatasetError when no
    image is usable, or when the cache folder cannot be made or written (a file, read-only, full)."""
    src = scan(path)
    cache_dir = Path(cache_dir)
    stem = cache_dir / f"dataset-{src.key((height, width))}-{height}x{width}"
    npy, meta = stem.with_suffix(".npy"), stem.with_suffix(".json")
    if npy.exists() and meta.exists():
        info = json.loads(meta.read_text())
        images = np.load(npy, mmap_mode="r")
        return PreparedDataset(images, npy, True, [tuple(s) for s in info["skipped"]], src.root)
    try:
        if cache_dir.exists() and not cache_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder")
        cache_dir.mkdir(parents=True, exist_ok=True)
        good, skipped = _build(src, height, width, npy, workers, progress)
        if good:
            _atomic_text(meta, json.dumps({"source": str(src.root), "count": good, "size": [height, width],
                                           "skipped": skipped}, indent=1))
    except OSError as e:
        raise DatasetError(f"{cache_dir}: cannot keep the dataset cache there ({e.strerror or e})") from None
    if good == 0:
        raise DatasetError(f"{src.root}: none of the {len(src.names)} image files could be read and used "
                           f"(first: {skipped[0][0]}: {skipped[0][1]})")
    return PreparedDataset(np.load(npy, mmap_mode="r"), npy, False, skipped, src.root)


def _build(src: Source, height: int, width: int, npy: Path, workers, progress) -> tuple[int, list]:
    """Decode every file into a temporary .npy, then rename it to `npy`. Returns (good, skipped)."""
    n = len(src.names)
    workers = min(os.cpu_count() or 1, 8) if workers is None else max(1, workers)
    chunk = 16
    jobs = [(str(src.root), src.is_zip, list(enumerate(src.names))[i:i + chunk], height, width)
            for i in range(0, n, chunk)]
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(npy.name), suffix=".npy", dir=npy.parent)  # atomic_write's naming
    os.close(fd)
    good, skipped = 0, []
    try:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, height, width, 3))
        pool = ProcessPoolExecutor(workers) if workers > 1 and n > 4 * chunk else None
        results = pool.map(_load_chunk, jobs) if pool else map(_load_chunk, jobs)
        try:
            for part in results:
                for i, res in part:
                    if isinstance(res, str):
                        skipped.append((src.names[i], res))
                    else:
                        arr[good] = res
                        good += 1
                if progress:
                    progress(good + len(skipped), n)
        finally:
            if pool:
                pool.shutdown(cancel_futures=True)
        arr.flush()
        del arr
        if 0 < good < n:  # drop the unused rows
            full = np.load(tmp, mmap_mode="r")
            _save_npy_atomic(npy, full[:good])
            del full
        elif good:
            os.replace(tmp, npy)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return good, skipped


def _save_npy_atomic(path: Path, array: np.ndarray) -> None:
    with atomic_write(path, suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=array.dtype, shape=array.shape)
        for i in range(0, len(array), 256):
            out[i:i + 256] = array[i:i + 256]
        out.flush()
        del out


def _atomic_text(path: Path, text: str) -> None:
    with atomic_write(path, suffix=".tmp") as tmp:
        tmp.write_text(text)
