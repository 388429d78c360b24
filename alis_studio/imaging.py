"""numpy image helpers that the engine and the exporters share (neither imports the other)."""
from __future__ import annotations

import numpy as np


def downsample2(image: np.ndarray) -> np.ndarray:
    """2x2 box filter with rounding: (2h, 2w, 3) uint8 -> (h, w, 3) uint8 (strided sums, no reshape copy)."""
    s = image[0::2, 0::2].astype(np.uint16)
    s += image[1::2, 0::2]
    s += image[0::2, 1::2]
    s += image[1::2, 1::2]
    s += 2
    s >>= 2
    return s.astype(np.uint8)
