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

LANCZOS_SUPPORT = 3.0  # Pillow's Lanczos kernel radius, in source pixels when upscaling
CHUNK = 512  # output columns per Pillow call


def margin_for(scale: float) -> int:
    """Source columns the filter needs beyond each end, for a scale factor (output / source)."""
    return int(math.ceil(LANCZOS_SUPPORT * max(1.0, 1.0 / scale))) + 2


def resample_pieces(pieces: Iterable[np.ndarray], *, height: int, out_height: int, out_width: int,
                    scale_x: float, margin: int) -> Iterator[np.ndarray]:
    """Resample (height, w, 3) uint8 pieces to (out_height, <= CHUNK, 3) pieces, `out_width` in all.

    Output column u samples source column margin + (u + 0.5) / scale_x - 0.5, so the pieces must
    hold at least `margin` columns before and after the `out_width / scale_x` resampled ones.
    """
    from PIL import Image

    if scale_x <= 0 or out_width < 1 or out_height < 1:
        raise ValueError("scale and output size must be positive")
    support = int(math.ceil(LANCZOS_SUPPORT * max(1.0, 1.0 / scale_x))) + 1
    buf = np.empty((height, 0, 3), np.uint8)
    b0 = 0  # source column of buf[:, 0]
    u0, it, ended = 0, iter(pieces), False
    while u0 < out_width:
        u1 = min(out_width, u0 + CHUNK)
        lo, hi = margin + u0 / scale_x, margin + u1 / scale_x  # source box of this chunk
        need = int(math.ceil(hi)) + support
        parts = [buf]
        have = b0 + buf.shape[1]
        while have < need and not ended:
            try:
                piece = next(it)
            except StopIteration:
                ended = True
                break
            parts.append(piece)
            have += piece.shape[1]
        if len(parts) > 1:
            buf = np.concatenate(parts, axis=1)
        if b0 + buf.shape[1] < min(need, int(math.ceil(hi + 1))):
            raise ValueError(f"the pieces ended before output column {u1} of {out_width}")
        img = Image.fromarray(buf, "RGB")
        out = img.resize((u1 - u0, out_height), Image.Resampling.LANCZOS,
                         box=(lo - b0, 0, hi - b0, height))
        yield np.asarray(out)
        drop = max(0, int(math.floor(hi)) - support - b0)
        buf, b0 = buf[:, drop:], b0 + drop
        u0 = u1
