"""H.264 MP4 from a stream of frames, through PyAV (libx264, yuv420p), written atomically.

Limits: frame sides must be even (yuv420p halves the chroma) and at most 8192 px; fps in
(0, 240]. Memory: one frame plus the encoder's look-ahead (libx264 keeps a few dozen frames,
about 40 MB at 1920 x 1080), whatever the length. The `comment` tag of the container holds the
description as JSON (ffprobe shows it; PyAV reads it back as `container.metadata["comment"]`).
`+faststart` moves the index to the front so the file plays while it downloads.
"""
from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from alis_studio.errors import ExportError
from alis_studio.exporters.targets import atomic_path
from alis_studio.exporters.stream import TimedPieces, WriteStats

MAX_SIDE = 8192  # libx264 level 6.2 tops out near this
MAX_FPS = 240.0
DEFAULT_CRF = 20  # visually near-transparent for natural scenes; 0 is lossless, 51 the worst


def check_video_options(width: int, height: int, fps: float, crf: int) -> Fraction:
    """One-line errors for sizes and rates the encoder refuses; returns fps as a fraction."""
    if width < 2 or height < 2 or width > MAX_SIDE or height > MAX_SIDE:
        raise ExportError(f"the video frame must be 2 to {MAX_SIDE} px a side, got {width} x {height}")
    if width % 2 or height % 2:
        raise ExportError(f"the video frame size must be even (H.264 yuv420p), got {width} x {height}")
    if not 0 < fps <= MAX_FPS:  # also refuses NaN
        raise ExportError(f"fps must be in (0, {MAX_FPS:g}], got {fps}")
    if not 0 <= int(crf) <= 51:
        raise ExportError(f"the video quality (CRF) must be in [0, 51], got {crf}")
    return Fraction(fps).limit_denominator(1001)  # 29.97 -> 30000/1001


def write_video(path: str | Path, frames: Iterable[np.ndarray], *, width: int, height: int, count: int,
                fps: float = 30.0, crf: int = DEFAULT_CRF, description: dict | None = None,
                overwrite: bool = False, progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> WriteStats:
    """Encode `count` (height, width, 3) uint8 RGB frames as an H.264 MP4, atomically.

    fps: frames per second (default 30; fractional rates such as 29.97 are kept exact to 1/1001);
    crf: libx264's constant rate factor 0..51 (default 20). progress(done_frames, count) after each
    frame; cancel() -> True stops with `Cancelled`, leaving nothing under `path`. The stats' source
    time is the wait for frames (rendering and resampling), the rest is the encoder's.
    """
    import av

    path = Path(path)
    rate = check_video_options(int(width), int(height), float(fps), crf)
    text = json.dumps({"producer": "alis-studio", **(description or {})}, ensure_ascii=True)
    stats = WriteStats(int(width), int(height), [(int(width), int(height))])
    t0 = time.perf_counter()
    source = TimedPieces(frames, count, stats, progress, cancel, measure=lambda frame: 1)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as box:
            box.metadata["comment"] = text
            box.metadata["title"] = path.stem
            stream = box.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = int(width), int(height), "yuv420p"
            # bt709 tags: without them players guess, and some shift the colours
            stream.options = {"crf": str(int(crf)), "preset": "medium", "colorprim": "bt709",
                              "transfer": "bt709", "colormatrix": "bt709"}
            for frame in source:
                if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                    raise ValueError(f"expected ({height}, {width}, 3) uint8 frames, got {frame.shape} {frame.dtype}")
                box.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
            source.check_exhausted()
            box.mux(stream.encode(None))  # flush the encoder's look-ahead
        stats.bytes = tmp.stat().st_size
    stats.seconds = time.perf_counter() - t0
    return stats
