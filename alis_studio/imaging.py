"""numpy image helpers that the engine and the exporters share (neither imports the other)."""
from __future__ import annotations

import numpy as np


def downsample2(image: np.ndarray) -> np.ndarray:
    """2x2 box filter with rounding: (2h, 2w, 3) uint8 -> (h, w, 3) uint8 (strided sums, no reshape copy).

    An odd last row or column is copied once before filtering (libvips' dzsave does the same), so
    (h, w, 3) gives (ceil(h / 2), ceil(w / 2), 3).
    """
    if image.shape[0] % 2:
        image = np.concatenate([image, image[-1:]], axis=0)
    if image.shape[1] % 2:
        image = np.concatenate([image, image[:, -1:]], axis=1)
    s = image[0::2, 0::2].astype(np.uint16)
    s += image[1::2, 0::2]
    s += image[0::2, 1::2]
    s += image[1::2, 1::2]
    s += 2
    s >>= 2
    return s.astype(np.uint8)
