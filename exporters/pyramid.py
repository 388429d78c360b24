"""Tiles and reduced-resolution levels of a short, very wide image, streamed in bounded memory.

A panorama arrives as column pieces, left to right. TIFF stores tiles row-major, so every tile is
as tall as the (padded) image: the only tile row is then written in the order the pieces arrive.
Each level halves the one above with a 2x2 box filter; a `Cascade` builds all levels at once from
the base tiles, holding one partial tile per level, and hands each finished tile to a sink (a
`Spill` file), because a TIFF writer stores the levels one after another, after the base.
Tiles are padded by repeating the last row and column, so the filter needs no special edge case.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from alis_studio.exporters.columns import ColumnBuffer
from alis_studio.imaging import downsample2

TILE_ALIGN = 16  # TIFF tile sides are multiples of 16
MIN_LEVEL_HEIGHT = 8  # automatic pyramids stop before a level gets shorter than this
MAX_LEVELS = 16  # beyond this a level of even a 2**32 px wide image is a few pixels


def round_up(n: int, m: int = TILE_ALIGN) -> int:
    return -(-int(n) // m) * m


@dataclasses.dataclass(frozen=True)
class Level:
    """Geometry of one pyramid level: image size and tile size in pixels."""

    height: int
    width: int
    tile_height: int
    tile_width: int

    @property
    def tiles(self) -> int:
        return -(-self.width // self.tile_width)


def auto_levels(height: int, width: int) -> int:
    """Reduced levels to add by default: halve while the level stays at least MIN_LEVEL_HEIGHT tall."""
    n = 0
    while -(-height // 2 ** (n + 1)) >= MIN_LEVEL_HEIGHT and -(-width // 2 ** (n + 1)) >= 1:
        n += 1
    return n


def plan_levels(height: int, width: int, *, levels: int | None, tile_width: int) -> list[Level]:
    """The base level and `levels` reduced ones (None: `auto_levels`). Raises ValueError on bad sizes."""
    if height < 1 or width < 1:
        raise ValueError(f"image size must be positive, got {width} x {height}")
    if tile_width < TILE_ALIGN or tile_width % TILE_ALIGN:
        raise ValueError(f"tile_width must be a positive multiple of {TILE_ALIGN}, got {tile_width}")
    n = auto_levels(height, width) if levels is None else int(levels)
    if not 0 <= n <= MAX_LEVELS:
        raise ValueError(f"reduced levels must be in [0, {MAX_LEVELS}], got {n}")
    out, h, w = [], height, width
    for _ in range(n + 1):
        out.append(Level(h, w, round_up(h), tile_width))
        h, w = -(-h // 2), -(-w // 2)
    return out


def iter_tiles(pieces: Iterable[np.ndarray], level: Level) -> Iterator[np.ndarray]:
    """Assemble (height, w, 3) uint8 column pieces (left to right, `level.width` columns in all) into
    fresh (tile_height, tile_width, 3) tiles, padded by edge repetition. Raises ValueError when the
    pieces have the wrong shape or end early; it does not look past the last column it needs."""
    H, W, TH, TW = level.height, level.width, level.tile_height, level.tile_width
    buf = ColumnBuffer(_checked(pieces, H, W))
    for x0 in range(0, W, TW):
        x1 = min(W, x0 + TW)
        if not buf.fill(x1):
            raise ValueError(f"the pieces ended at column {buf.end} of {W}")
        tile = _new_tile(TH, TW)
        tile[:H, :x1 - x0] = buf.window(x0, x1)
        yield _pad(tile, H, x1 - x0)
        buf.drop(x1)


def _checked(pieces: Iterable[np.ndarray], H: int, W: int) -> Iterator[np.ndarray]:
    """The pieces, each checked as it is read: (H, w, 3) uint8, `W` columns in all at most."""
    x = 0
    for piece in pieces:
        if piece.ndim != 3 or piece.shape[0] != H or piece.shape[2] != 3 or piece.dtype != np.uint8:
            raise ValueError(f"expected ({H}, w, 3) uint8 pieces, got {piece.shape} {piece.dtype}")
        if x + piece.shape[1] > W:
            raise ValueError(f"the pieces run past the image width {W}")
        x += piece.shape[1]
        yield piece


def _new_tile(th: int, tw: int) -> np.ndarray:
    return np.empty((th, tw, 3), np.uint8)  # a fresh array per tile: tifffile may keep references


def _pad(tile: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Fill the tile beyond `rows` x `cols` by repeating the last valid row and column (in place)."""
    if cols < tile.shape[1]:
        tile[:rows, cols:] = tile[:rows, cols - 1:cols]
    if rows < tile.shape[0]:
        tile[rows:] = tile[rows - 1:rows]
    return tile


class Cascade:
    """Build reduced levels from base tiles as they stream past; `sinks[i]` receives level i+1's tiles."""

    def __init__(self, levels: list[Level], sinks: list[Callable[[np.ndarray], None]]):
        if len(sinks) != len(levels) - 1:
            raise ValueError("one sink per reduced level")
        self.levels, self.sinks = levels, sinks
        self._tiles = [None] * len(levels)  # partial tile per level (index 0 unused)
        self._fill = [0] * len(levels)
        self.emitted = [0] * len(levels)

    def push(self, tile: np.ndarray, level: int = 0) -> None:
        """Feed a finished tile of `level` (0: the base)."""
        if level + 1 >= len(self.levels):
            return
        lv = self.levels[level + 1]
        half = downsample2(tile)[:lv.height]  # (<= tile_height / 2, tile_width / 2, 3)
        if self._tiles[level + 1] is None:
            self._tiles[level + 1] = _new_tile(lv.tile_height, lv.tile_width)
        buf, fill = self._tiles[level + 1], self._fill[level + 1]
        buf[:lv.height, fill:fill + half.shape[1]] = half
        self._fill[level + 1] = fill + half.shape[1]
        if self._fill[level + 1] == lv.tile_width:
            self._emit(level + 1, lv.tile_width)

    def finish(self) -> None:
        """Flush partial tiles, top level down; afterwards every level has emitted all its tiles."""
        for i in range(1, len(self.levels)):
            if self._fill[i]:
                self._emit(i, self._fill[i])
            if self.emitted[i] != self.levels[i].tiles:
                raise RuntimeError(f"level {i} got {self.emitted[i]} of {self.levels[i].tiles} tiles")

    def _emit(self, i: int, cols: int) -> None:
        lv = self.levels[i]
        valid = min(cols, lv.width - self.emitted[i] * lv.tile_width)  # columns past the width are padding
        tile = _pad(self._tiles[i], lv.height, valid)
        self._tiles[i], self._fill[i] = None, 0
        self.emitted[i] += 1
        self.sinks[i - 1](tile)
        self.push(tile, i)


class Spill:
    """Raw tiles of one shape appended to a hidden temporary file, read back once, then deleted.

    Lives beside the output (same disk as the free-space check). Use as a context manager: the
    file is removed on exit whatever happens.
    """

    def __init__(self, folder: Path, shape: tuple[int, ...], prefix: str = ".alis-spill-"):
        self.shape, self.count = tuple(shape), 0
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        self.path = Path(name)
        self._f = os.fdopen(fd, "w+b")

    def append(self, tile: np.ndarray) -> None:
        assert tile.shape == self.shape and tile.dtype == np.uint8, (tile.shape, self.shape)
        self._f.write(memoryview(np.ascontiguousarray(tile)).cast("B"))
        self.count += 1

    def __iter__(self) -> Iterator[np.ndarray]:
        self._f.flush()
        self._f.seek(0)
        for _ in range(self.count):
            tile = np.empty(self.shape, np.uint8)  # fresh per tile, as tifffile wants
            if self._f.readinto(memoryview(tile).cast("B")) != tile.nbytes:
                raise OSError(f"{self.path}: temporary file is truncated")
            yield tile

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> "Spill":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
