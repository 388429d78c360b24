"""A zoomable web viewer of a panorama: a folder (or .zip) that opens by double-click, offline.

    NAME/                      (or NAME.zip holding NAME/)
      index.html               OpenSeadragon viewer, the tile source inline (file:// pages cannot XHR)
      NAME.dzi                 the Deep Zoom descriptor, for other viewers and servers
      NAME_files/LEVEL/C_R.jpeg  tiles (exporters/deepzoom_tiles.py), 254 px + 1 px overlap
      scene.json               the description: model sha256, scene, range
      openseadragon/           the vendored viewer (BSD-3-Clause, its LICENSE.txt inside)

Atomic like every export: built in a hidden folder beside the target, then renamed (a zip is
written from it and renamed). --overwrite replaces a folder only if it holds a previous export
(an index.html and a .dzi), never an arbitrary folder.
"""
from __future__ import annotations

import json
import os
import shutil
import string
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from alis_studio.errors import Cancelled, ExportError
from alis_studio.exporters.targets import atomic_path, check_target, os_error_message
from alis_studio.exporters.deepzoom_tiles import OVERLAP, TILE_SIZE, write_tiles
from alis_studio.exporters.stream import TimedPieces, WriteStats

WEB = Path(__file__).with_name("web")
TILE_FORMATS = ("jpeg", "png")
DZI_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" '
           'Format="{fmt}" Overlap="{overlap}" TileSize="{tile}"><Size Width="{w}" Height="{h}"/></Image>\n')


def check_deepzoom_target(path: Path, *, overwrite: bool) -> None:
    """One-line errors for a target folder or zip we cannot or must not write."""
    path = Path(path)
    if path.suffix.lower() == ".zip":
        return check_target(path, overwrite=overwrite)
    if path.exists() and not path.is_dir():
        raise ExportError(f"{path}: is a file; a Deep Zoom export is a folder (or give a .zip)")
    if path.is_dir() and not overwrite:
        raise ExportError(f"{path}: already exists (pass --overwrite to replace it)")
    if path.is_dir() and not _is_export(path):
        raise ExportError(f"{path}: is a folder that is not a Deep Zoom export; not replaced")
    check_target(path.with_name(path.name + ".probe"), overwrite=True)  # the folder is writable


def _is_export(folder: Path) -> bool:
    return (folder / "index.html").is_file() and any(folder.glob("*.dzi"))


def write_deepzoom(path: str | Path, pieces: Iterable[np.ndarray], *, width: int, height: int,
                   tile_format: str = "jpeg", quality: int = 90, wrap: bool = False,
                   description: dict | None = None, overwrite: bool = False,
                   progress: Callable[[int, int], None] | None = None,
                   cancel: Callable[[], bool] | None = None) -> WriteStats:
    """Write (height, w, 3) uint8 column pieces (`width` in all) as a Deep Zoom viewer folder or .zip.

    tile_format: "jpeg" (default, `quality` 1..100, default 90) or "png" (lossless, about 4x larger).
    wrap: the image is one loop period; the viewer pans around it endlessly (wrapHorizontal).
    progress(done_columns, width) per piece; cancel() -> True stops with `Cancelled`, leaving nothing.
    The stats' writer time is libvips' (tiling, pyramid, encoding).
    """
    path = Path(path)
    if tile_format not in TILE_FORMATS:
        raise ExportError(f"unknown tile format {tile_format!r}; choose one of {', '.join(TILE_FORMATS)}")
    if not 1 <= int(quality) <= 100:
        raise ExportError(f"JPEG quality must be in [1, 100], got {quality}")
    check_deepzoom_target(path, overwrite=overwrite)
    name = path.stem if path.suffix.lower() == ".zip" else path.name
    stats = WriteStats(int(width), int(height), [(int(width), int(height))])
    t0 = time.perf_counter()
    source = TimedPieces(pieces, width, stats, progress, cancel)
    suffix = f".jpeg[Q={int(quality)}]" if tile_format == "jpeg" else ".png"
    try:
        with tempfile.TemporaryDirectory(prefix=f".{name}.", suffix=".part", dir=path.parent) as tmp:
            folder = Path(tmp) / name
            scratch = Path(tmp) / "scratch"
            scratch.mkdir()
            vips_seconds = write_tiles(folder / f"{name}_files", source, width=width, height=height,
                                       suffix=suffix, scratch=scratch)
            source.check_exhausted()
            shutil.rmtree(scratch)
            _write_viewer(folder, name, width, height, tile_format, wrap, description or {})
            if cancel and cancel():
                raise Cancelled()
            stats.bytes = _place(folder, path, overwrite=overwrite)
    except OSError as e:
        raise ExportError(os_error_message(path, e)) from None
    stats.seconds = time.perf_counter() - t0
    stats.source_seconds = max(0.0, stats.seconds - vips_seconds)  # the writer's share: libvips alone
    return stats


def _write_viewer(folder: Path, name: str, width: int, height: int, fmt: str, wrap: bool, description: dict) -> None:
    fmt = "jpeg" if fmt == "jpeg" else "png"
    (folder / f"{name}.dzi").write_text(DZI_XML.format(fmt=fmt, overlap=OVERLAP, tile=TILE_SIZE, w=width, h=height))
    (folder / "scene.json").write_text(json.dumps({"producer": "alis-studio", **description}, indent=1))
    info = f"{name} — {width:,} × {height:,} px{' — a loop: pan around' if wrap else ''} — made with ALIS Studio"
    html = string.Template((WEB / "index.html").read_text(encoding="utf-8")).substitute(
        title=_escape(name), info=_escape(info), name=_js_path(name), format=fmt, overlap=OVERLAP,
        tile_size=TILE_SIZE, width=width, height=height, wrap="true" if wrap else "false")
    (folder / "index.html").write_text(html, encoding="utf-8")
    _copy_tree(WEB / "openseadragon", folder / "openseadragon")


def _copy_tree(src: Path, dst: Path) -> None:
    """shutil.copytree, but an OSError keeps its errno (copytree gathers them into a list of strings)."""
    for f in sorted(src.rglob("*")):
        if f.is_file():
            (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst / f.relative_to(src))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _js_path(name: str) -> str:
    """A folder name inside a JS string literal and a relative URL."""
    from urllib.parse import quote

    return quote(name).replace('"', "%22")


def _place(folder: Path, path: Path, *, overwrite: bool) -> int:
    """Move the finished folder to `path` (or zip it there); returns the bytes written."""
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    if path.suffix.lower() == ".zip":
        with atomic_path(path, overwrite=overwrite) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
            for f in sorted(folder.rglob("*")):  # tiles are JPEG/PNG already: deflating gains nothing
                z.write(f, f.relative_to(folder.parent).as_posix())
        return path.stat().st_size
    old = None
    if path.exists():  # checked to be a previous export: move it aside, put the new one, delete it
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, old / path.name)
    os.replace(folder, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return size
