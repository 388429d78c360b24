"""A camera flying along a panorama: its path, and its frames cut from a stream of column pieces.

The camera sees `view_width` x `view_height` source pixels (the panorama's columns at the model's
scale) and shows them as a `width` x `height` frame, so `zoom = width / view_width`. Each frame is
one Lanczos resample of the source (Pillow's `resize(box=...)` with a fractional box), so a camera
moving 2.4 px a frame glides instead of stepping 2, 2, 3 px. When the zoomed panorama is shorter
than the frame, it is centred between black bars; when taller, the camera looks at its middle.

Memory: the source columns between the camera's left edge and its right edge plus the filter's
margin, whatever the length of the flight (the path only moves right).
"""
from __future__ import annotations

import math
from typing import Iterable, Iterator

import numpy as np

from alis_studio.exporters.columns import ColumnBuffer
from alis_studio.exporters.resample import margin_for


def camera_path(start: float, travel: float, count: int, *, loop: bool, ease: bool = False) -> np.ndarray:
    """Left edges (source columns, float64) of `count` frames travelling `travel` columns from `start`.

    loop: the flight is one period; frame `count` would be frame 0 again, so it is left out and
    the video repeats seamlessly. Otherwise the last frame ends exactly at start + travel.
    ease: accelerate from rest and slow down to rest (a half cosine) instead of a constant speed.
    """
    if count < 2:
        raise ValueError(f"a flight needs at least 2 frames, got {count}")
    u = np.arange(count, dtype=np.float64) / (count if loop else count - 1)  # (count,) in [0, 1]
    if ease:
        u = (1.0 - np.cos(np.pi * u)) / 2.0
    return start + travel * u


def frame_count(travel: float, step: float, *, loop: bool) -> int:
    """Frames of a flight of `travel` columns at about `step` columns a frame."""
    n = max(1, round(travel / step))
    return max(2, n if loop else n + 1)


def source_ends(positions, view_width: float, zoom: float) -> np.ndarray:
    """(count,) int64: the source column past the last one each frame at left edges `positions`
    reads (its right edge plus the filter's margin). The one rounding of the frames' needs: the
    source planned from it and the frames cut with it agree to the last column (rounding x + w
    in buffer coordinates instead asked for one column more than the source at long flights)."""
    right = np.asarray(positions, np.float64) + view_width  # (count,) absolute right edges
    return np.ceil(right).astype(np.int64) + margin_for(zoom)  # the filter reaches past the camera


def fly_frames(pieces: Iterable[np.ndarray], positions: Iterable[float], *, source_x0: int, source_height: int,
               view_width: float, width: int, height: int) -> Iterator[np.ndarray]:
    """(height, width, 3) uint8 frames for camera left edges `positions` (non-decreasing).

    pieces: (source_height, w, 3) uint8 columns of the panorama from column `source_x0` on, reaching
    at least to `source_ends(positions, ...)` of the last frame.
    """
    from PIL import Image

    zoom = width / view_width
    view_height = min(float(source_height), height / zoom)  # source rows the camera sees
    shown = min(height, max(1, round(source_height * zoom)))  # frame rows with the panorama in them
    top, y0 = (height - shown) // 2, (source_height - view_height) / 2
    margin = margin_for(zoom)
    buf = ColumnBuffer(pieces, start=int(source_x0))
    positions = np.asarray(positions, np.float64)
    for x, end in zip(positions, source_ends(positions, view_width, zoom)):
        if not buf.fill(end):
            raise ValueError(f"the source ended before column {end}")
        lo, hi = x - buf.start, x - buf.start + view_width  # the box in buffer coordinates
        img = Image.fromarray(buf.data, "RGB").resize((width, shown), Image.Resampling.LANCZOS,
                                                      box=(lo, y0, hi, y0 + view_height))
        frame = np.zeros((height, width, 3), np.uint8)  # fresh per frame: the encoder may hold it
        frame[top:top + shown] = np.asarray(img)
        yield frame
        buf.drop(int(math.floor(x)) - margin)
