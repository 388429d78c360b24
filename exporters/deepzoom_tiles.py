"""Deep Zoom (DZI) tiles of a very wide image, made by libvips `dzsave` in bounded memory.

`dzsave` walks its input in strips as wide as the image, so on a panorama its memory grows with
the width (measured: 180 MB at 100,000 x 128 px, 550 MB at 400,000 x 128). We feed it bands
instead: vertical slices of `band` columns, each padded on the left by one `unit` (a tile at the
band's coarsest level, so the band's tile grid is the global one) and on the right by the
overlap, and keep from each band's pyramid only the tiles of its own columns, renamed to their
global indices. A band's levels are exact down to its coarsest (2**depth smaller); the levels
above come from one more `dzsave` of that level's image, kept small (width / 2**depth) as the
bands stream past. The box filter (`imaging.downsample2`: 2x2 mean, +2 >> 2, odd edges copied) is
the one libvips uses, so the tiles equal a single `dzsave` of the whole image.

Memory: one band (about BAND_PIXELS pixels, 3 bytes each) and libvips' working set for it, plus
the small top image (measured: 40 and 160 Mpx at 128 px tall peak at 128 and 145 MB with 4 Mpx
bands, 284 and 324 MB with 16 Mpx; one dzsave of the whole took 550 MB at 51 Mpx). Disk: the
tiles, written straight into the final folder.
"""
from __future__ import annotations

import errno
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from alis_studio.exporters.columns import ColumnBuffer
from alis_studio.imaging import downsample2 as down2  # the filter dzsave uses (tests compare with it)

TILE_SIZE = 254  # Deep Zoom's usual: 254 + 2 x 1 overlap = 256 px files
OVERLAP = 1
BAND_PIXELS = 8 * 10 ** 6  # pixels per band handed to libvips (24 MB of RGB; its peak is ~8x that)
BANDS_PER_UNIT = 4  # a band is this many units wide: the left padding costs 1/4 more work


def band_plan(width: int, height: int, tile_size: int = TILE_SIZE, band_pixels: int = BAND_PIXELS) -> tuple[int, int]:
    """(depth, band width): levels each band makes exactly, and base columns per band."""
    depth = max(0, int(math.floor(math.log2(max(1.0, band_pixels / BANDS_PER_UNIT / (height * tile_size))))))
    return depth, BANDS_PER_UNIT * tile_size * 2 ** depth


def levels_of(width: int, height: int) -> int:
    """Deep Zoom levels: 0 is 1 x 1 px, the last the full image."""
    return math.ceil(math.log2(max(width, height))) + 1 if max(width, height) > 1 else 1


def write_tiles(files: Path, pieces: Iterable[np.ndarray], *, width: int, height: int, suffix: str,
                tile_size: int = TILE_SIZE, overlap: int = OVERLAP, band_pixels: int = BAND_PIXELS,
                scratch: Path) -> float:
    """Write the Deep Zoom tiles of (height, w, 3) uint8 column pieces (`width` in all) into `files`
    (`files/LEVEL/COL_ROW.ext`). suffix: libvips' tile format, e.g. ".jpeg[Q=90]" or ".png".
    scratch: a folder for each band's pyramid. Returns the seconds spent in libvips."""
    depth, band = band_plan(width, height, tile_size, band_pixels)
    if width <= band:  # one band: libvips does it all
        return _dzsave(_joined(pieces, width), files, scratch, suffix, tile_size, overlap, range(levels_of(width, height)),
                       shift=0, keep=None)
    unit, top, seconds = tile_size * 2 ** depth, [], 0.0
    last = levels_of(width, height) - 1
    for x0, x1, lo, img in _bands(pieces, width, band, unit, overlap * 2 ** depth):
        keep = (x0, x1)
        seconds += _dzsave(img, files, scratch, suffix, tile_size, overlap, range(depth + 1), shift=lo, keep=keep,
                           last=last)
        small = img[:, x0 - lo:x1 - lo]
        for _ in range(depth):
            small = down2(small)
        top.append(small)
    thumb = np.concatenate(top, axis=1)  # the level `depth` levels below the base, whole
    above = range(depth + 1, last + 1)
    return seconds + _dzsave(thumb, files, scratch, suffix, tile_size, overlap, above, shift=0, keep=None,
                             last=last, offset=depth)


def _release_memory() -> None:
    """Hand libvips' freed buffers back to the system between bands: glibc keeps them in per-thread
    arenas, and the peak then creeps up band after band (191 -> 352 MB over 10 bands, measured)."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl and others: no malloc_trim, nothing to do
            pass


def _joined(pieces: Iterable[np.ndarray], width: int) -> np.ndarray:
    img = np.concatenate(list(pieces), axis=1)
    if img.shape[1] != width:
        raise ValueError(f"the pieces gave {img.shape[1]} columns, expected {width}")
    return img


def _bands(pieces: Iterable[np.ndarray], width: int, band: int, unit: int, pad: int) -> Iterator[tuple]:
    """(x0, x1, lo, image): band [x0, x1) and its padded image of columns [lo, lo + image width)."""
    buf = ColumnBuffer(pieces)
    for x0 in range(0, width, band):
        x1 = min(width, x0 + band)
        lo, hi = max(0, x0 - unit), min(width, x1 + pad)
        if not buf.fill(hi):
            raise ValueError(f"the pieces ended at column {buf.end}, expected {width}")
        yield x0, x1, lo, np.ascontiguousarray(buf.window(lo, hi))
        buf.drop(x1 - unit)  # the next band's left padding
    if buf.end != width or not buf.exhausted():
        raise ValueError(f"the pieces do not add up to {width} columns")


_ERRNO = {os.strerror(n): n for n in errno.errorcode}  # libvips words system errors with g_strerror


def vips_os_error(e) -> OSError:
    """A libvips error as the OSError it reports ("system error: No space left on device"), so the
    writers' one mapping of OSErrors to one line (exporters.targets.os_error_message) applies."""
    lines = [ln.strip() for ln in f"{e.message}\n{e.detail or ''}".splitlines() if ln.strip()]
    for ln in lines:
        code = _ERRNO.get(ln.removeprefix("system error: ")) if ln.startswith("system error: ") else None
        if code is not None:
            return OSError(code, os.strerror(code))
    return OSError(f"libvips: {lines[-1] if lines else 'error'}")


def _dzsave(img: np.ndarray, files: Path, scratch: Path, suffix: str, tile_size: int, overlap: int,
            ks: range, *, shift: int, keep: tuple[int, int] | None, last: int | None = None, offset: int = 0) -> float:
    """dzsave `img` (columns from global `shift`); move the tiles of levels k in `ks` (2**k below the
    base) into `files`, renamed to global columns, only those of base columns `keep` if given."""
    import time

    import pyvips

    pyvips.cache_set_max(0)  # libvips' operation cache would keep each band's image alive (process-wide)
    t = time.perf_counter()
    vimg = pyvips.Image.new_from_memory(np.ascontiguousarray(img).data, img.shape[1], img.shape[0], 3, "uchar")
    out = Path(tempfile.mkdtemp(prefix="band-", dir=scratch))
    try:
        vimg.dzsave(str(out / "b"), suffix=suffix, tile_size=tile_size, overlap=overlap, depth="onepixel",
                    keep="none")  # no metadata in the tiles
    except pyvips.Error as e:
        raise vips_os_error(e) from None
    del vimg
    _release_memory()
    seconds = time.perf_counter() - t
    here = out / "b_files"
    top = max(int(d.name) for d in here.iterdir() if d.name.isdigit())
    last = top + offset if last is None else last
    for k in ks:
        src, dst = here / str(top - (k - offset)), files / str(last - k)
        dst.mkdir(parents=True, exist_ok=True)
        span = tile_size * 2 ** k  # base columns per tile at level k
        for tile in src.iterdir():
            col, row = tile.stem.split("_")
            c = int(col) + shift // span
            if keep is None or keep[0] <= c * span < keep[1]:
                os.replace(tile, dst / f"{c}_{row}{tile.suffix}")
    shutil.rmtree(out)
    return seconds
