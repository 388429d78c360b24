"""Tiled BigTIFF with reduced-resolution levels, streamed from column pieces in bounded memory.

A thin wrapper over `tifffile.TiffWriter.write`: the base image is one page written from an
iterator of tiles, with `subifds=N`; the N reduced levels follow as `subfiletype=1` pages, read
back from temporary spill files that the `pyramid.Cascade` filled while the base streamed past.

Limits, measured with tifffile 2026.3 / imagecodecs 2026.3 / libvips 8.18 (pyvips-binary):
- Tiles are as tall as the image rounded up to 16 px (TIFF tiles are row-major: with a single
  tile row the pieces are written in the order they arrive). Fine for panoramas up to a few
  thousand pixels tall; each tile holds about `tile_height * tile_width * 3` bytes.
- Width up to 2**32 - 1 px (BigTIFF; tifffile's limit). Memory is O(tile x levels + tifffile's
  16 MiB encode buffer), not O(width).
- Temporary disk beside the output: the reduced levels uncompressed (about 1/3 of the raw base,
  1 byte per base pixel), freed as each level is written.
- `zstd` is fast and small, but many readers lack it: the libvips wheels (pyvips-binary),
  Photoshop and macOS Preview cannot decode it. `deflate` (the default) opens everywhere
  (libtiff, libvips, GDAL, tifffile). `jpeg` is YCbCr 4:2:0, lossy, about 10x smaller.
"""
from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from alis_studio.errors import Cancelled, ExportError
from alis_studio.exporters.targets import atomic_path
from alis_studio.exporters.pyramid import Cascade, Spill, iter_tiles, plan_levels
from alis_studio.exporters.stream import TimedPieces, WriteStats
from alis_studio.exporters.xmp import XMP_TAG

COMPRESSIONS = ("none", "deflate", "zstd", "jpeg")
DEFAULT_COMPRESSION = "deflate"
DEFAULT_TILE_WIDTH = 512
BUFFER_BYTES = 16 * 2 ** 20  # tifffile's encode buffer; without it tifffile may hold ~0.5 GB of tiles


def tiff_options(compression: str, quality: int) -> dict:
    """tifffile keywords for one of COMPRESSIONS (horizontal predictor for the lossless codecs)."""
    if compression not in COMPRESSIONS:
        raise ExportError(f"unknown TIFF compression {compression!r}; choose one of {', '.join(COMPRESSIONS)}")
    if not 1 <= int(quality) <= 100:
        raise ExportError(f"JPEG quality must be in [1, 100], got {quality}")
    if compression == "none":
        return {"compression": None}
    if compression == "jpeg":
        return {"compression": "jpeg", "compressionargs": {"level": int(quality)}}
    return {"compression": "adobe_deflate" if compression == "deflate" else "zstd", "predictor": True}


def write_tiff(path: str | Path, pieces: Iterable[np.ndarray], *, width: int, height: int,
               compression: str = DEFAULT_COMPRESSION, quality: int = 90, levels: int | None = None,
               tile_width: int = DEFAULT_TILE_WIDTH, description: dict | None = None,
               xmp: bytes | None = None, overwrite: bool = False,
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> WriteStats:
    """Write a tiled, pyramidal RGB uint8 BigTIFF atomically from column pieces.

    pieces: (height, w, 3) uint8 arrays, left to right, `width` columns in all (any w >= 1).
    compression: one of COMPRESSIONS (default "deflate"); quality: JPEG quality 1..100 (default 90).
    levels: reduced-resolution levels (None: halve while at least 8 px tall; 0: none; at most 16).
    tile_width: multiple of 16 (default 512); tiles are as tall as the image, rounded up to 16.
    description: JSON-able dict stored in the ImageDescription tag (with "producer").
    xmp: an XMP packet for the base page's XMLPacket tag (700), e.g. alis_studio.exporters.xmp.gpano_xmp.
    progress(done_columns, width) after each piece; cancel() -> True stops with `Cancelled`.
    Raises ExportError (one line) for a bad target or option, an unwritable or full disk;
    ValueError when the pieces do not match width/height. Nothing is left under `path` on failure.
    """
    import tifffile

    path = Path(path)
    options = tiff_options(compression, quality)
    try:
        geometry = plan_levels(int(height), int(width), levels=levels, tile_width=int(tile_width))
    except ValueError as e:
        raise ExportError(f"{path}: {e}") from None
    text = json.dumps({"producer": "alis-studio", **(description or {})}, ensure_ascii=True)
    stats = WriteStats(int(width), int(height), [(lv.width, lv.height) for lv in geometry])
    t0 = time.perf_counter()
    with atomic_path(path, overwrite=overwrite) as tmp, contextlib.ExitStack() as stack:
        spills = [stack.enter_context(Spill(tmp.parent, (lv.tile_height, lv.tile_width, 3),
                                            prefix=f".{path.name}.level{i}."))
                  for i, lv in enumerate(geometry[1:], 1)]
        cascade = Cascade(geometry, [s.append for s in spills])
        source = TimedPieces(pieces, width, stats, progress, cancel)
        common = dict(dtype=np.uint8, photometric="rgb", planarconfig="contig", metadata=None,
                      buffersize=BUFFER_BYTES, **options)
        with tifffile.TiffWriter(tmp, bigtiff=True) as tw:
            base = geometry[0]
            tw.write(_fed(iter_tiles(source, base), cascade), shape=(base.height, base.width, 3),
                     tile=(base.tile_height, base.tile_width), subifds=len(spills), description=text,
                     software="alis-studio", extratags=[(XMP_TAG, "B", len(xmp), xmp, True)] if xmp else None,
                     **common)
            source.check_exhausted()
            cascade.finish()
            for lv, spill in zip(geometry[1:], spills):
                tw.write(_checked(iter(spill), cancel), shape=(lv.height, lv.width, 3),
                         tile=(lv.tile_height, lv.tile_width), subfiletype=1, **common)
                spill.close()  # free its disk space before the next level
        stats.bytes = tmp.stat().st_size
    stats.seconds = time.perf_counter() - t0
    return stats


def _fed(tiles: Iterator[np.ndarray], cascade: Cascade) -> Iterator[np.ndarray]:
    """Pass base tiles through, feeding each to the pyramid cascade on the way."""
    for tile in tiles:
        cascade.push(tile)
        yield tile


def _checked(tiles: Iterator[np.ndarray], cancel) -> Iterator[np.ndarray]:
    for tile in tiles:
        if cancel and cancel():
            raise Cancelled()
        yield tile
