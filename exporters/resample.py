"""Lanczos resampling of a stream of column pieces (Pillow), in memory that does not grow with the width.

The source is a strip `margin` columns wider than the part to resample on each side, so the
filter sees real neighbours at both ends (a panorama has no edge). Output is produced in chunks
with `Image.resize(box=...)`, which uses the pixels around the box: the result matches resizing
the whole strip at once (to within 1 level where float rounding differs).
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator

import numpy as np

from alis_studio.exporters.columns import ColumnBuffer

LANCZOS_SUPPORT = 3.0  # Pillow's Lanczos kernel radius, in source pixels when enlarging
CHUNK = 512  # output columns per Pillow call


def filter_reach(scale: float) -> int:
    """Source columns the Lanczos kernel reaches from a sample, at a scale (output / source):
    its radius, widened by the reduction when shrinking."""
    return int(math.ceil(LANCZOS_SUPPORT * max(1.0, 1.0 / scale)))


def margin_for(scale: float) -> int:
    """Source columns the filter needs beyond each end, for a scale factor (output / source).
    The one margin of the resampler and the fly-through camera."""
    return filter_reach(scale) + 2


def resample_pieces(pieces: Iterable[np.ndarray], *, height: int, out_height: int, out_width: int,
                    scale_x: float, margin: int) -> Iterator[np.ndarray]:
    """Resample (height, w, 3) uint8 pieces to (out_height, <= CHUNK, 3) pieces, `out_width` in all.

    Output column u samples source column margin + (u + 0.5) / scale_x - 0.5, so the pieces must
    hold at least `margin` columns before and after the `out_width / scale_x` resampled ones.
    """
    from PIL import Image

    if scale_x <= 0 or out_width < 1 or out_height < 1:
        raise ValueError("scale and output size must be positive")
    support = filter_reach(scale_x) + 1
    buf = ColumnBuffer(pieces)
    u0 = 0
    while u0 < out_width:
        u1 = min(out_width, u0 + CHUNK)
        lo, hi = margin + u0 / scale_x, margin + u1 / scale_x  # source box of this chunk
        need = int(math.ceil(hi)) + support
        buf.fill(need)
        if buf.end < min(need, int(math.ceil(hi + 1))):
            raise ValueError(f"the pieces ended before output column {u1} of {out_width}")
        b0 = buf.start
        img = Image.fromarray(buf.data, "RGB")
        out = img.resize((u1 - u0, out_height), Image.Resampling.LANCZOS,
                         box=(lo - b0, 0, hi - b0, height))
        yield np.asarray(out)
        buf.drop(int(math.floor(hi)) - support)
        u0 = u1
