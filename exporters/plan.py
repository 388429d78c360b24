"""Sizes before writing: format limits, estimated file size and time, the free-space check.

Estimates are compressed bytes per raw byte. Without a sample we use conservative ratios measured
on random-weight models (noisy images compress worse than trained ones); with a sample of the
panorama we compress it with the codec the writer will use.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np

from alis_studio.errors import ExportError
from alis_studio.exporters.pyramid import Level
from alis_studio.exporters.registry import ALIASES, FORMATS, by_suffix, image_formats, suffix_help
from alis_studio.exporters.tiff import DEFAULT_TILE_WIDTH

# compressed / raw bytes, conservative (random-weight models, which look like coloured noise)
DEFAULT_RATIOS = {"none": 1.0, "deflate": 0.8, "zstd": 0.8, "jpeg": 0.2, "png": 0.8}
SPACE_MARGIN = 1.25  # ask for this much more than the estimate (and 16 MiB more)


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The output format: the one given (which a known extension must agree with), else from the
    file name's extension."""
    ext = Path(path).suffix.lower()
    suffixes = by_suffix()
    if fmt:
        fmt = ALIASES.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        if suffixes.get(ext, fmt) != fmt:  # the name would lie about the bytes in it
            raise ExportError(f"{path}: --format {fmt}, but a {ext} name says {suffixes[ext]}; "
                              "rename the output or leave out --format")
        return fmt
    if ext not in suffixes:
        folders = "; ".join(f"a {f.folder} folder: --format {f.name}" for f in FORMATS.values() if f.folder)
        raise ExportError(f"{path}: unknown image type {ext or '(none)'}; use {suffix_help()}, "
                          f"or pass --format ({folders})")
    return suffixes[ext]


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


@dataclasses.dataclass(frozen=True)
class ExportPlan:
    """An image to write: size, format, codec. Checks limits on creation (ExportError)."""

    width: int
    height: int
    fmt: str = "tiff"
    compression: str = "deflate"  # TIFF's codec; Deep Zoom's tile format (jpeg or png)
    quality: int = 90  # JPEG, and TIFF with jpeg compression
    levels: int | None = None  # TIFF reduced levels (None: automatic)
    tile_width: int = DEFAULT_TILE_WIDTH
    zip: bool = False  # a Deep Zoom export into a .zip (built as a folder first)

    def __post_init__(self):
        w, h = self.width, self.height
        if w < 1 or h < 1:
            raise ExportError(f"the image size must be positive, got {w} x {h} px")
        if self.fmt not in image_formats():
            raise ExportError(f"unknown format {self.fmt!r}; choose one of {', '.join(image_formats())}")
        if self.spec.check is not None:
            self.spec.check(self)
        if not 1 <= self.quality <= 100:
            raise ExportError(f"JPEG quality must be in [1, 100], got {self.quality}")

    @property
    def spec(self):
        """The format's registry entry (exporters.registry.FORMATS)."""
        return FORMATS[self.fmt]

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def megapixels(self) -> float:
        return self.pixels / 1e6

    def geometry(self) -> list[Level]:
        """TIFF pages, base first (PNG and JPEG: the image alone)."""
        if self.spec.pages is None:
            return [Level(self.height, self.width, self.height, self.width)]
        return self.spec.pages(self)

    @property
    def codec(self) -> str:
        return self.spec.codec(self)

    def raw_bytes(self) -> int:
        """Uncompressed pixel bytes of all pages (TIFF: including tile padding)."""
        if self.spec.raw_bytes is not None:
            return self.spec.raw_bytes(self)
        return sum(lv.tiles * lv.tile_height * lv.tile_width * 3 for lv in self.geometry())

    def temp_bytes(self) -> int:
        """Temporary disk beside the output besides the file itself (the TIFF's spilled levels;
        a Deep Zoom .zip: the folder it is made from)."""
        if self.spec.temp_bytes is not None:
            return self.spec.temp_bytes(self)
        return sum(lv.tiles * lv.tile_height * lv.tile_width * 3 for lv in self.geometry()[1:])

    def estimate_bytes(self, ratio: float | None = None) -> int:
        """Expected file size; `ratio` (compressed / raw) from `measure_ratio`, else a default."""
        ratio = DEFAULT_RATIOS[self.codec] if ratio is None else ratio
        return int(self.raw_bytes() * ratio) + 4096 + 16 * sum(lv.tiles for lv in self.geometry())

    def required_bytes(self, ratio: float | None = None) -> int:
        """Free disk the export needs, with a margin: the file, its temporary levels, 16 MiB."""
        est = self.estimate_bytes(ratio)
        est = est if self.codec == "none" else int(est * SPACE_MARGIN)
        return est + self.temp_bytes() + 16 * 2 ** 20


def measure_ratio(sample: np.ndarray, codec: str, quality: int = 90) -> float:
    """Compressed / raw bytes of `sample` with one of the writers' codecs (tiled as the writer does)."""
    import imagecodecs

    sample = np.ascontiguousarray(sample)
    if codec == "none" or sample.size == 0:
        return 1.0
    if codec == "jpeg":
        encode = lambda a: imagecodecs.jpeg8_encode(a, level=quality, subsampling=(2, 2))  # noqa: E731
    elif codec == "png":
        encode = lambda a: imagecodecs.zlib_encode(imagecodecs.delta_encode(a, axis=-2), level=6)  # noqa: E731
    elif codec == "deflate":
        encode = lambda a: imagecodecs.deflate_encode(imagecodecs.delta_encode(a, axis=-2))  # noqa: E731
    elif codec == "zstd":
        encode = lambda a: imagecodecs.zstd_encode(imagecodecs.delta_encode(a, axis=-2))  # noqa: E731
    else:
        raise ValueError(f"unknown codec {codec!r}")
    tw = DEFAULT_TILE_WIDTH
    size = sum(len(encode(np.ascontiguousarray(sample[:, x:x + tw]))) for x in range(0, sample.shape[1], tw))
    return size / sample.nbytes


def free_bytes(path: str | Path) -> int:
    """Free bytes on the disk that holds `path`'s folder."""
    folder = Path(path).parent if str(Path(path).parent) else Path(".")
    return shutil.disk_usage(folder).free


def check_free_space(path: str | Path, needed: int) -> int:
    """Raise ExportError when `path`'s disk has less than `needed` bytes free; returns the free bytes."""
    try:
        free = free_bytes(path)
    except OSError:
        return -1  # the target check reports a missing folder; an unknown free space is no reason to refuse
    if free < needed:
        raise ExportError(f"{path}: the export needs about {human_bytes(needed)} of free disk space, "
                          f"only {human_bytes(free)} is free there")
    return free
