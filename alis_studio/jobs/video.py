"""A fly-through video of the panorama: the camera, the strip it needs, the encoder. No Qt here.

The camera's frame is `width` x `height` px; `zoom` output px per model px (default: the model's
height fills the frame's). Speed counts frame pixels per second, i.e. what a viewer sees move.
Range: the frames show panorama columns [x0, x0 + span) (the first frame starts at x0, the last
ends at x0 + span), or, for a loop, the camera travels exactly one period from x0, so the frame
after the last would be the first again and the video repeats seamlessly.
Only the columns under the camera (plus the filter's margin) are held, rendered as it flies.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable

from alis_studio.engine.panorama import iter_strip
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import ExportError
from alis_studio.exporters.targets import check_target
from alis_studio.exporters.flythrough import camera_path, fly_frames, frame_count, source_ends
from alis_studio.exporters.resample import margin_for
from alis_studio.exporters.stream import WriteStats
from alis_studio.exporters.video import DEFAULT_CRF, check_video_options

MAX_ZOOM = 64.0  # a 32 px test model in a 1080p frame is 34x
MAX_FRAMES = 10_000_000  # about 4 days at 30 fps: a typo, not a video
DEFAULT_SPEED = 240.0  # frame px per second: the default of the job, the CLI's --speed and the export dialog


@dataclasses.dataclass
class VideoJob:
    """One video export. `x0`, `span` and `period` are model pixels; `speed` frame px per second."""

    renderer: Renderer
    scene: Scene
    out: Path
    x0: int = 0
    span: float = 0.0
    period: int | None = None
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    speed: float = DEFAULT_SPEED
    zoom: float | None = None
    ease: bool = False
    crf: int = DEFAULT_CRF
    overwrite: bool = False
    fmt: str = dataclasses.field(default="mp4", init=False)

    def __post_init__(self):
        self.out = Path(self.out)
        self.scene = Scene.from_dict(self.scene.to_dict())  # a snapshot: the GUI may edit on
        check_video_options(int(self.width), int(self.height), float(self.fps), self.crf)
        if self.zoom is None:
            self.zoom = self.height / self.model_height
        if not 1 / MAX_ZOOM <= self.zoom <= MAX_ZOOM:  # also refuses NaN
            raise ExportError(f"the video zoom must be in [{1 / MAX_ZOOM:g}, {MAX_ZOOM:g}], got {self.zoom}")
        if not 0 < self.speed < math.inf:
            raise ExportError(f"the camera speed must be positive (frame px per second), got {self.speed}")
        if self.period is None and self.travel <= 0:
            raise ExportError(f"the range ({self.span * self.zoom:.0f} px at this zoom) must be wider than "
                              f"the {self.width} px frame; give a longer range or a smaller frame")
        if self.count > MAX_FRAMES:
            raise ExportError(f"{self.count:,} frames is too long a video; raise the speed or shorten the range")

    # ------------------------------------------------------------------ geometry
    @property
    def model_height(self) -> int:
        return self.renderer.bundle.height

    @property
    def out_height(self) -> int:  # the frame's, for progress texts shared with image exports
        return int(self.height)

    @property
    def view_width(self) -> float:
        """Model columns the camera sees."""
        return self.width / self.zoom

    @property
    def travel(self) -> float:
        """Model columns the camera's left edge moves."""
        return float(self.period) if self.period is not None else self.span - self.view_width

    @property
    def count(self) -> int:
        return frame_count(self.travel, self.speed / self.fps / self.zoom, loop=self.period is not None)

    @property
    def seconds(self) -> float:
        return self.count / self.fps

    @property
    def source_x0(self) -> int:
        return math.floor(self.x0) - margin_for(self.zoom)

    @property
    def source_width(self) -> int:
        """Model columns rendered: the flight, the last view and the filter's margins (the last camera
        position is x0 + travel, or short of it in a loop)."""
        return int(source_ends([self.x0 + self.travel], self.view_width, self.zoom)[0]) - self.source_x0

    def description(self) -> dict:
        from alis_studio import __version__

        b = self.renderer.bundle
        return {"alis_studio": __version__, "model": b.path.name, "model_sha256": b.sha256,
                "scene": self.scene.to_dict(), "x0": self.x0, "travel_px": self.travel,
                "loop_period_px": self.period, "frame": [int(self.width), int(self.height)],
                "fps": float(self.fps), "frames": self.count, "speed_px_s": float(self.speed),
                "zoom": float(self.zoom), "ease": bool(self.ease), "resample": "lanczos3"}

    # ------------------------------------------------------------------ before, during
    def check(self) -> None:
        check_target(self.out, overwrite=self.overwrite)

    def frames(self):
        """The (height, width, 3) uint8 frames, rendered lazily as the camera moves."""
        positions = camera_path(self.x0, self.travel, self.count, loop=self.period is not None, ease=self.ease)
        pieces = (p for _, p in iter_strip(self.renderer, self.scene, self.source_x0, self.source_width,
                                           use_cache=False))
        return fly_frames(pieces, positions, source_x0=self.source_x0, source_height=self.model_height,
                          view_width=self.view_width, width=int(self.width), height=int(self.height))

    def run(self, *, progress: Callable[[int, int], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> WriteStats:
        """Render and encode. progress(done_frames, frames); cancel() -> True raises `Cancelled`."""
        from alis_studio.exporters.video import write_video

        return write_video(self.out, self.frames(), width=int(self.width), height=int(self.height),
                           count=self.count, fps=self.fps, crf=self.crf, description=self.description(),
                           overwrite=self.overwrite, progress=progress, cancel=cancel)


PROBE_FRAMES = 96  # frames of the probe: past the encoder's look-ahead, then chunks of PROBE_CHUNK
PROBE_SKIP, PROBE_CHUNK = 48, 8  # the encoder paces its input once its look-ahead (40 frames) is full


@dataclasses.dataclass(frozen=True)
class TimeProbe:
    """A video's time from a probe of its first frames: `fixed` seconds once (opening the encoder,
    its look-ahead), `per_frame` seconds a frame (the cut, the resample, the encoding), and its
    model pixels rendered at `mpx_per_s`."""

    fixed: float
    per_frame: float
    mpx_per_s: float
    frames: int

    def estimate(self, count: int, mpx: float) -> float:
        """Seconds for a video of `count` frames rendering `mpx` model megapixels, at the probed settings."""
        return self.fixed + count * self.per_frame + mpx / self.mpx_per_s


def _probe_run(job: VideoJob, frames: int, folder: Path, cancel: Callable[[], bool] | None):
    """The job's first `frames` frames rendered, cut and encoded into `folder`: (seconds besides
    rendering when each frame was asked for, and at the end; rendering seconds; model Mpx rendered)."""
    import time

    step = job.travel / max(1, job.count - (0 if job.period is not None else 1))  # model columns a frame
    probe = dataclasses.replace(job, out=folder / f"probe-{frames}.mp4", period=None, ease=False, overwrite=True,
                                span=job.view_width + step * (frames - 1))
    stats, marks = probe.renderer.stats, []
    r0, t0 = stats["seconds"], time.perf_counter()
    probe.run(progress=lambda _done, _count: marks.append(time.perf_counter() - t0 - (stats["seconds"] - r0)),
              cancel=cancel)
    rendering = stats["seconds"] - r0
    marks.append(time.perf_counter() - t0 - rendering)
    return marks, rendering, probe.source_width * probe.model_height / 1e6


def probe_time(job: VideoJob, frames: int = PROBE_FRAMES, cancel: Callable[[], bool] | None = None) -> TimeProbe:
    """Time `job` from a probe of its first frames, rendered, cut and encoded together into a
    temporary file as the export runs them. Rendering is timed apart (the renderer's own clock),
    as it comes in batches far apart; the rest costs the same each frame once the encoder's
    look-ahead is full: the median over chunks of frames from there on, so a moment of load on
    the machine does not count for the whole video. `job.renderer` renders the probe: give the job
    a private synchronous one (workers=0, no cache), as an export has. cancel() -> True raises
    `Cancelled`."""
    import shutil
    import tempfile

    import numpy as np

    n = max(2, min(int(frames), job.count))
    folder = Path(tempfile.mkdtemp(prefix="alis-video-probe-"))
    try:
        _probe_run(job, 2, folder, cancel)  # warm up: the first video of a process pays extra (codec, filters)
        marks, rendering, mpx = _probe_run(job, n, folder, cancel)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    paced = np.asarray(marks[min(PROBE_SKIP, n // 2):-1])  # (k,) when each frame was asked for, paced
    chunks = np.diff(paced[::PROBE_CHUNK]) / PROBE_CHUNK if len(paced) > PROBE_CHUNK else np.diff(marks)
    per_frame = float(np.median(chunks)) if len(chunks) else marks[-1] / n
    return TimeProbe(max(0.0, marks[-1] - n * per_frame), per_frame, mpx / max(rendering, 1e-9), n)
