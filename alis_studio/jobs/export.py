"""Glue between the engine and the writers, shared by `alis-studio export` and the export dialog.

An `ExportJob` is a range of the panorama (first column, width, an optional loop period), an
output scale and a target. It streams the renderer's patches through an optional Lanczos
resampler into the TIFF or PNG/JPEG writer; nothing here imports Qt.

Height scale: the panorama is resampled by `height_scale` in both directions (Lanczos), so a
128 px model exported at 2 gives a 256 px tall image with the same aspect ratio. Output widths
count output pixels. A loop exports exactly one period, resampled to a whole number of columns.
Formats: tiled BigTIFF, PNG, JPEG, or a Deep Zoom viewer folder/.zip ("dzi"); `pano360` adds
GPano XMP to a loop's TIFF/PNG/JPEG so panorama viewers show it as a 360-degree strip (Deep Zoom
has no place for it: refused). Videos
are `alis_studio.jobs.video`'s.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from alis_studio.engine.panorama import iter_strip
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import ExportError
from alis_studio.exporters.targets import check_target
from alis_studio.exporters.plan import ExportPlan, check_free_space
from alis_studio.exporters.registry import FORMATS
from alis_studio.exporters.stream import WriteStats

__all__ = ["ExportJob", "check_height_scale", "probe_speed", "scaled_height", "scaled_width"]

MAX_HEIGHT_SCALE = 8.0
MIN_HEIGHT_SCALE = 0.125


def check_height_scale(height_scale: float) -> float:
    """The height scale as a float in [MIN_HEIGHT_SCALE, MAX_HEIGHT_SCALE], else a one-line ExportError."""
    s = float(height_scale)
    if not MIN_HEIGHT_SCALE <= s <= MAX_HEIGHT_SCALE:  # also refuses nan
        raise ExportError(f"the height scale must be in [{MIN_HEIGHT_SCALE}, {MAX_HEIGHT_SCALE}], got {s}")
    return s


def scaled_height(model_height: int, height_scale: float) -> int:
    """Output rows of a panorama resampled by `height_scale`."""
    return max(1, round(model_height * float(height_scale)))


def scaled_width(model_width: int, model_height: int, height_scale: float) -> int:
    """Output columns of `model_width` model columns resampled by `height_scale`: the same factor as
    the rounded height, so the aspect ratio holds (the CLI's --intervals, the dialog's ranges)."""
    return max(1, round(model_width * scaled_height(model_height, height_scale) / model_height))


@dataclasses.dataclass
class ExportJob:
    """One export. `x0` is the first panorama column (model pixels); `width` counts output pixels.

    period: a loop's width in model pixels; when given, the export is exactly that period
    (`width` is then derived) so the image wraps around seamlessly.
    """

    renderer: Renderer
    scene: Scene
    out: Path
    x0: int = 0
    width: int = 0
    height_scale: float = 1.0
    period: int | None = None
    fmt: str = "tiff"
    compression: str = "deflate"
    quality: int = 90
    levels: int | None = None
    overwrite: bool = False
    tile_format: str = "jpeg"  # Deep Zoom tiles: jpeg or png
    pano360: bool = False  # a loop period tagged as a 360-degree panorama (XMP GPano)

    def __post_init__(self):
        self.out = Path(self.out)
        self.scene = Scene.from_dict(self.scene.to_dict())  # a snapshot: the GUI may edit on
        check_height_scale(self.height_scale)
        if self.period is not None:
            self.width = max(1, round(self.period * self.out_height / self.model_height))
        if self.width < self.min_width:  # narrower than what the model was trained on: no panorama
            raise ExportError(f"the export must be at least one frame of the model wide ({self.min_width} px at "
                              f"this height), got {self.width} px")
        if self.pano360:
            if self.period is None:
                raise ExportError("a 360° export needs a loop: a looping session or --loop N (one period)")
            spec = FORMATS.get(self.fmt)
            if spec is not None and spec.no_360:
                raise ExportError(spec.no_360)
            if spec is None or "pano360" not in spec.options:
                raise ExportError(f"a 360° export is a {_names_with('pano360')} image, not {self.fmt}")
            self.xmp()  # too tall for a 360-degree strip: say so before rendering

    # ------------------------------------------------------------------ geometry
    @property
    def model_height(self) -> int:
        return self.renderer.bundle.height

    @property
    def out_height(self) -> int:
        return scaled_height(self.model_height, self.height_scale)

    @property
    def min_width(self) -> int:
        """One training frame of the model (as wide as it is tall), at the output scale."""
        return scaled_width(self.renderer.bundle.frame_width, self.model_height, self.height_scale)

    @property
    def resampled(self) -> bool:
        return self.out_height != self.model_height or (
            self.period is not None and self.width != self.period)

    @property
    def scale_x(self) -> float:
        """Output columns per model column (a loop: exactly width / period, so it wraps)."""
        if self.period is not None:
            return self.width / self.period
        return self.out_height / self.model_height

    @property
    def source_width(self) -> float:
        """Model columns the output covers."""
        return self.width / self.scale_x

    def plan(self) -> ExportPlan:
        spec = FORMATS.get(self.fmt)
        tiled = spec is not None and "tiles" in spec.options  # its codec is the tiles' format
        codec = self.tile_format if tiled else self.compression
        return ExportPlan(self.width, self.out_height, self.fmt, codec, self.quality, self.levels,
                          zip=spec is not None and bool(spec.folder) and self.out.suffix.lower() in spec.suffixes)

    def xmp(self) -> bytes | None:
        """GPano XMP for a 360-degree export, else None."""
        from alis_studio.exporters.xmp import gpano_xmp

        return gpano_xmp(self.width, self.out_height) if self.pano360 else None

    def description(self) -> dict:
        """What the image description records, so the export can be reproduced."""
        from alis_studio import __version__

        b = self.renderer.bundle
        return {"alis_studio": __version__, "model": b.path.name, "model_sha256": b.sha256,
                "scene": self.scene.to_dict(), "x0": self.x0,
                "source_width": self.source_width if self.resampled else self.width,
                "width": self.width, "height": self.out_height, "height_scale": float(self.height_scale),
                "loop_period_px": self.period, "resample": "lanczos3" if self.resampled else None,
                "pano360": self.pano360}

    # ------------------------------------------------------------------ before
    def check(self, ratio: float | None = None) -> tuple[ExportPlan, int, int]:
        """Check the target, the format limits and the free space. Returns (plan, needed, free bytes)."""
        plan = self.plan()
        (plan.spec.check_target or check_target)(self.out, overwrite=self.overwrite)
        needed = plan.required_bytes(ratio)
        return plan, needed, check_free_space(self.out, needed)

    # ------------------------------------------------------------------ during
    def pieces(self) -> Iterator[np.ndarray]:
        """Output pieces (out_height, w, 3) uint8, left to right, `width` columns in all."""
        if not self.resampled:
            return (piece for _, piece in iter_strip(self.renderer, self.scene, self.x0, self.width, use_cache=False))
        from alis_studio.exporters.resample import margin_for, resample_pieces

        m = margin_for(self.scale_x)
        n = math.ceil(self.source_width)
        src = (piece for _, piece in iter_strip(self.renderer, self.scene, self.x0 - m, n + 2 * m, use_cache=False))
        return resample_pieces(src, height=self.model_height, out_height=self.out_height, out_width=self.width,
                               scale_x=self.scale_x, margin=m)

    def run(self, *, progress: Callable[[int, int], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> WriteStats:
        """Render and write. progress(done_columns, width); cancel() -> True raises `alis_studio.errors.Cancelled`."""
        plan = self.plan()
        kw = dict(width=plan.width, height=plan.height, quality=plan.quality, overwrite=self.overwrite,
                  description=self.description(), progress=progress, cancel=cancel)
        return plan.spec.write(self.out, self.pieces(), plan, xmp=self.xmp(), wrap=self.period is not None, **kw)


def _names_with(option: str) -> str:
    """'TIFF, PNG or JPEG': the formats that take an option, for messages."""
    names = [f.name.upper() for f in FORMATS.values() if option in f.options]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def probe_speed(renderer: Renderer, scene: Scene, x0: int = 0, patches: int | None = None,
                cancel: Callable[[], bool] | None = None) -> tuple[float, np.ndarray]:
    """Render one batch of patches at x0; returns (model Mpx/s, the (H, w, 3) pixels as a sample).
    cancel() -> True raises Cancelled between patches (a big model's batch takes many seconds)."""
    n = patches or renderer.batch_size
    P = renderer.bundle.tile_width
    p0 = x0 // P
    t = time.perf_counter()
    imgs = renderer.render(renderer.keys(scene, p0, p0 + n), use_cache=False, cancel=cancel)
    dt = time.perf_counter() - t
    sample = np.concatenate(imgs, axis=1)
    return sample.shape[0] * sample.shape[1] / 1e6 / max(dt, 1e-9), sample
