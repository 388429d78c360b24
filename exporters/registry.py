"""The export formats, each declared once: name, file suffixes, options, size estimate, writer.

The CLI's --format choices, the export dialog's list, `plan.format_for` / `ExportPlan` and
`jobs.export.ExportJob` read this table; none of them names a format in an if-chain. A new
format is a writer module (pieces in, `WriteStats` out) and one `Format` entry below.
Kept free of numpy and the codecs at import (the CLI builds its parser from it): each hook
imports its writer when called.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

TIFF_MAX_WIDTH = 2 ** 32 - 1  # BigTIFF through tifffile
TIFF_MAX_HEIGHT = 65_535  # one tile row: a tile this tall is already ~100 MB
DZI_PYRAMID = 1.35  # Deep Zoom tiles of all levels over the base: 4/3, plus 1 px overlaps
# Options a format takes (ExportJob's fields, the CLI's flags, the dialog's widgets):
# compression (TIFF codec), quality (JPEG), levels (TIFF pyramid), tiles (Deep Zoom tile format),
# pano360 (XMP GPano on a loop), video (frame size, fps, speed, zoom, ease, crf: jobs.video).


@dataclasses.dataclass(frozen=True)
class Format:
    """One export format. `plan` arguments are `plan.ExportPlan`s; hooks left None do nothing."""

    name: str
    label: str  # the export dialog's list
    suffixes: tuple[str, ...]  # lower case; the first is the one a new file gets ("" = a folder)
    options: frozenset[str]
    folder: str = ""  # written as a folder, so called ("Deep Zoom"); its suffixes then name archives of it
    check: Callable | None = None  # check(plan): ExportError for sizes or options it cannot write
    codec: Callable | None = None  # codec(plan) -> plan.measure_ratio's codec name
    pages: Callable | None = None  # pages(plan) -> [pyramid.Level], base first (None: the image alone)
    raw_bytes: Callable | None = None  # raw_bytes(plan): uncompressed bytes (None: sum over pages)
    temp_bytes: Callable | None = None  # temp_bytes(plan): scratch disk (None: pages after the base)
    check_target: Callable | None = None  # check_target(path, overwrite=) (None: atomic.check_target)
    write: Callable | None = None  # write(path, pieces, plan, *, xmp, wrap, **common) -> WriteStats
    no_360: str = ""  # why a 360-degree tag is refused, where a format has a better reason than "not an image"

    @property
    def image(self) -> bool:
        """Sized by ExportPlan and written by ExportJob (a video is jobs.video's)."""
        return self.write is not None

    @property
    def suffix(self) -> str:
        return self.suffixes[0] if not self.folder else ""


# ---------------------------------------------------------------------------- TIFF
def _tiff_check(plan) -> None:
    from alis_studio.errors import ExportError
    from alis_studio.exporters.tiff import COMPRESSIONS

    w, h = plan.width, plan.height
    if w > TIFF_MAX_WIDTH or h > TIFF_MAX_HEIGHT:
        raise ExportError(f"{w} x {h} px exceeds the TIFF export's limits ({TIFF_MAX_WIDTH} x {TIFF_MAX_HEIGHT} px)")
    if plan.compression not in COMPRESSIONS:
        raise ExportError(f"unknown TIFF compression {plan.compression!r}; choose one of {', '.join(COMPRESSIONS)}")
    try:
        plan.geometry()
    except ValueError as e:
        raise ExportError(str(e)) from None


def _tiff_pages(plan) -> list:
    from alis_studio.exporters.pyramid import plan_levels

    return plan_levels(plan.height, plan.width, levels=plan.levels, tile_width=plan.tile_width)


def _tiff_write(path, pieces, plan, *, xmp, wrap, **kw):
    from alis_studio.exporters.tiff import write_tiff

    return write_tiff(path, pieces, compression=plan.compression, levels=plan.levels, xmp=xmp, **kw)


# ---------------------------------------------------------------------------- PNG, JPEG
def _image_check(plan) -> None:
    from alis_studio.exporters.images import check_limits

    check_limits(None, plan.fmt.upper(), plan.width, plan.height)


def _image_write(path, pieces, plan, *, xmp, wrap, **kw):
    from alis_studio.exporters.images import write_image

    return write_image(path, pieces, fmt=plan.fmt, xmp=xmp, **kw)


# ---------------------------------------------------------------------------- Deep Zoom
def _dzi_check(plan) -> None:
    from alis_studio.errors import ExportError

    if plan.compression not in ("jpeg", "png"):
        raise ExportError(f"unknown Deep Zoom tile format {plan.compression!r}; choose jpeg or png")


def _dzi_target(path: Path, *, overwrite: bool) -> None:
    from alis_studio.exporters.deepzoom import check_deepzoom_target

    check_deepzoom_target(path, overwrite=overwrite)


def _dzi_write(path, pieces, plan, *, xmp, wrap, **kw):
    from alis_studio.exporters.deepzoom import write_deepzoom

    return write_deepzoom(path, pieces, tile_format=plan.compression, wrap=wrap, **kw)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("tiff", "TIFF (tiled, pyramid)", (".tif", ".tiff"),
           frozenset({"compression", "quality", "levels", "pano360"}),
           check=_tiff_check, codec=lambda plan: plan.compression, pages=_tiff_pages, write=_tiff_write),
    Format("png", "PNG", (".png",), frozenset({"pano360"}), check=_image_check, codec=lambda plan: "png",
           write=_image_write),
    Format("jpeg", "JPEG", (".jpg", ".jpeg"), frozenset({"quality", "pano360"}), check=_image_check,
           codec=lambda plan: "jpeg", write=_image_write),
    Format("dzi", "Deep Zoom web viewer (folder)", (".zip",), frozenset({"quality", "tiles"}), folder="Deep Zoom",
           check=_dzi_check, codec=lambda plan: plan.compression,
           raw_bytes=lambda plan: int(plan.pixels * 3 * DZI_PYRAMID),
           temp_bytes=lambda plan: plan.estimate_bytes() if plan.zip else 0,  # a .zip is made from a folder
           check_target=_dzi_target, write=_dzi_write,
           no_360="a 360° tag (XMP GPano) is for TIFF, PNG or JPEG; a Deep Zoom export of a loop "
                  "already pans around endlessly: leave out --360"),  # its tiles carry no XMP
    Format("mp4", "MP4 video (fly-through)", (".mp4",), frozenset({"video"})),
)}
ALIASES = {"tif": "tiff", "jpg": "jpeg"}  # what --format also accepts


def image_formats() -> tuple[str, ...]:
    return tuple(name for name, f in FORMATS.items() if f.image)


def by_suffix() -> dict[str, str]:
    """Format name of each known suffix."""
    return {s: f.name for f in FORMATS.values() for s in f.suffixes}


def suffix_help() -> str:
    """'.tif, .png, .jpg, .mp4 or .zip': each file format's own suffix, then the folders' archives."""
    names = [f.suffixes[0] for f in FORMATS.values() if not f.folder]
    names += [s for f in FORMATS.values() if f.folder for s in f.suffixes]
    return ", ".join(names[:-1]) + " or " + names[-1]
