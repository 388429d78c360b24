"""PNG and JPEG through Pillow, for panoramas within those formats' limits.

Limits: JPEG stores each side in 16 bits (at most 65,535 px); PNG allows 2**31 - 1 px a side, but
its rows span the whole width, so the image is assembled in memory (Pillow: 4 bytes a pixel) and
we stop at PNG_MAX_PIXELS (about 1 GiB). Larger panoramas go to the streaming TIFF writer.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from alis_studio.errors import ExportError
from alis_studio.exporters.targets import atomic_path, check_target
from alis_studio.exporters.stream import TimedPieces, WriteStats

JPEG_MAX = 65_535  # JPEG stores sizes in 16 bits
PNG_MAX_PIXELS = 2 ** 28  # 268 Mpx: Pillow holds 4 bytes a pixel, so about 1 GiB


def image_format(path: Path) -> str:
    ext = Path(path).suffix.lower()
    if ext == ".png":
        return "PNG"
    if ext in (".jpg", ".jpeg"):
        return "JPEG"
    raise ExportError(f"{path}: unknown image type {ext or '(none)'}; use .png or .jpg (or .tif with `export`)")


def check_limits(path: Path | None, fmt: str, width: int, height: int) -> None:
    """One-line errors for sizes beyond a format's limits ("PNG" or "JPEG"), suggesting TIFF."""
    where = f"{path}: " if path else ""
    if fmt == "JPEG" and max(width, height) > JPEG_MAX:
        raise ExportError(f"{where}{width} x {height} px exceeds JPEG's limit of {JPEG_MAX} px per side; "
                          "export as TIFF (.tif) instead")
    if width * height > PNG_MAX_PIXELS:
        raise ExportError(f"{where}{width * height / 1e6:.0f} Mpx is more than a {fmt} export holds in memory "
                          f"({PNG_MAX_PIXELS / 1e6:.0f} Mpx); export as TIFF (.tif) instead")


def check_quality(quality: int) -> None:
    """JPEG quality 1..100 (PNG ignores it, but a value outside is a typo either way)."""
    if not 1 <= int(quality) <= 100:
        raise ExportError(f"JPEG quality must be in [1, 100], got {quality}")


def check_small_image_target(path: Path, width: int, height: int, *, overwrite: bool, quality: int = 92) -> None:
    """Check the quality, the format limits and the target before rendering anything."""
    check_quality(quality)
    check_limits(Path(path), image_format(path), width, height)
    check_target(Path(path), overwrite=overwrite)


def write_small_image(path: Path, pixels: np.ndarray, *, quality: int = 92, overwrite: bool = False,
                      description: dict | None = None, fmt: str | None = None) -> Path:
    """Write an (H, W, 3) uint8 array as PNG or JPEG, atomically. The description (model sha256,
    scene) goes into a PNG text chunk or the JPEG comment, so the image can be reproduced."""
    write_image(path, [pixels], width=pixels.shape[1], height=pixels.shape[0], quality=quality,
                overwrite=overwrite, description=description, fmt=fmt)
    return Path(path)


def write_image(path: str | Path, pieces: Iterable[np.ndarray], *, width: int, height: int,
                fmt: str | None = None, quality: int = 92, overwrite: bool = False,
                description: dict | None = None, xmp: bytes | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> WriteStats:
    """Write (height, w, 3) uint8 column pieces (left to right, `width` in all) as PNG or JPEG, atomically.

    fmt: "PNG" or "JPEG" (default: from the extension); quality: JPEG quality 1..100 (default 92,
    4:4:4). progress(done_columns, width) after each piece; cancel() -> True stops with `Cancelled`.
    xmp: an XMP packet (e.g. alis_studio.exporters.xmp.gpano_xmp) for the JPEG's APP1 or PNG's iTXt chunk.
    Memory: the whole image (4 bytes a pixel). Raises ExportError for a target or size it cannot write.
    """
    from PIL import Image, PngImagePlugin

    path = Path(path)
    fmt = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG"}.get((fmt or "").lower()) or image_format(path)
    check_quality(quality)
    check_limits(path, fmt, width, height)
    check_target(path, overwrite=overwrite)
    stats = WriteStats(int(width), int(height), [(int(width), int(height))])
    t0 = time.perf_counter()
    source = TimedPieces(pieces, width, stats, progress, cancel)
    canvas = Image.new("RGB", (int(width), int(height)))
    x = 0
    for piece in source:
        if piece.ndim != 3 or piece.shape[0] != height or piece.shape[2] != 3 or piece.dtype != np.uint8:
            raise ValueError(f"expected ({height}, w, 3) uint8 pieces, got {piece.shape} {piece.dtype}")
        if x + piece.shape[1] > width:
            raise ValueError(f"the pieces run past the image width {width}")
        canvas.paste(Image.fromarray(np.ascontiguousarray(piece), "RGB"), (x, 0))
        x += piece.shape[1]
    source.check_exhausted()
    text = json.dumps({"producer": "alis-studio", **(description or {})})
    with atomic_path(path, overwrite=overwrite) as tmp:
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_text("alis-studio", text)
            if xmp:
                info.add_itxt("XML:com.adobe.xmp", xmp.decode())
            canvas.save(tmp, format="PNG", pnginfo=info, compress_level=6)
        else:
            canvas.save(tmp, format="JPEG", quality=int(quality), comment=text.encode(), subsampling=0,
                        **({"xmp": xmp} if xmp else {}))
        stats.bytes = tmp.stat().st_size
    stats.seconds = time.perf_counter() - t0
    return stats
