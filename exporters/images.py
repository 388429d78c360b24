"""PNG and JPEG through Pillow, for panoramas within those formats' limits."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from alis_studio.errors import ExportError
from exporters.atomic import atomic_path, check_target

JPEG_MAX = 65_535  # JPEG stores sizes in 16 bits
PNG_MAX_PIXELS = 2 ** 31 - 1  # PNG allows more, but a larger single array is impractical in memory


def image_format(path: Path) -> str:
    ext = Path(path).suffix.lower()
    if ext == ".png":
        return "PNG"
    if ext in (".jpg", ".jpeg"):
        return "JPEG"
    raise ExportError(f"{path}: unknown image type {ext or '(none)'}; use .png or .jpg (or .tif with `export`)")


def check_small_image_target(path: Path, width: int, height: int, *, overwrite: bool) -> None:
    """Check format limits and the target before rendering anything."""
    fmt = image_format(path)
    if fmt == "JPEG" and max(width, height) > JPEG_MAX:
        raise ExportError(f"{path}: {width} x {height} px exceeds JPEG's limit of {JPEG_MAX} px; "
                          "export as TIFF (.tif) instead")
    if width * height > PNG_MAX_PIXELS:
        raise ExportError(f"{path}: {width * height / 1e9:.1f} Gpx is too large for PNG; export as TIFF instead")
    check_target(Path(path), overwrite=overwrite)


def write_small_image(path: Path, pixels: np.ndarray, *, quality: int = 92, overwrite: bool = False,
                      description: dict | None = None) -> Path:
    """Write an (H, W, 3) uint8 array as PNG or JPEG, atomically. The description (model sha256,
    scene) goes into a PNG text chunk or the JPEG comment, so the image can be reproduced."""
    from PIL import Image, PngImagePlugin

    path = Path(path)
    fmt = image_format(path)
    check_small_image_target(path, pixels.shape[1], pixels.shape[0], overwrite=overwrite)
    text = json.dumps({"producer": "alis-studio", **(description or {})})
    img = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    with atomic_path(path, overwrite=overwrite) as tmp:
        if fmt == "PNG":
            info = PngImagePlugin.PngInfo()
            info.add_text("alis-studio", text)
            img.save(tmp, format="PNG", pnginfo=info, compress_level=6)
        else:
            img.save(tmp, format="JPEG", quality=int(quality), comment=text.encode(), subsampling=0)
    return path
