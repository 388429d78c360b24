"""Every writer on a full disk: one line ("the disk is full ..."), and nothing left of what it wrote.

A real full disk is a small tmpfs (needs root with CAP_SYS_ADMIN: skipped cleanly elsewhere); the
library errors are also raised by hand (monkeypatched), so the mapping is checked everywhere.
"""
from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from alis_studio.errors import ExportError
from alis_studio.exporters import deepzoom_tiles
from alis_studio.exporters.deepzoom import write_deepzoom
from alis_studio.exporters.images import write_image
from alis_studio.exporters.tiff import write_tiff
from alis_studio.exporters.video import write_video

HEIGHT = 128


def noise(width: int, seed: int = 0):
    """(HEIGHT, w, 3) pieces of noise, `width` columns in all: it compresses to about its raw size."""
    rng = np.random.default_rng(seed)
    for x in range(0, width, 500):
        yield rng.integers(0, 256, (HEIGHT, min(500, width - x), 3), dtype=np.uint8)


def frames(count: int):
    rng = np.random.default_rng(0)
    for _ in range(count):
        yield rng.integers(0, 256, (HEIGHT, 256, 3), dtype=np.uint8)


def _mount(folder: Path, size: int) -> None:
    folder.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot mount a tmpfs here ({e})")
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode})")


@pytest.fixture
def small_disk(tmp_path):
    """mount(size) -> a folder on a tmpfs of `size` bytes, unmounted after the test."""
    mounted = []

    def mount(size: int) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        _mount(folder, size)
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def _one_line_full(e: pytest.ExceptionInfo, path: Path) -> None:
    text = str(e.value)
    assert "disk is full" in text and "\n" not in text and str(path) in text, text


WRITERS = {
    "deepzoom folder": ("pano", lambda p, w: write_deepzoom(p, noise(w), width=w, height=HEIGHT)),
    "deepzoom zip": ("pano.zip", lambda p, w: write_deepzoom(p, noise(w), width=w, height=HEIGHT)),
    "deepzoom png tiles": ("pano", lambda p, w: write_deepzoom(p, noise(w), width=w, height=HEIGHT,
                                                               tile_format="png")),
    "png": ("pano.png", lambda p, w: write_image(p, noise(w), width=w, height=HEIGHT)),
    "jpeg": ("pano.jpg", lambda p, w: write_image(p, noise(w), width=w, height=HEIGHT)),
    "tiff": ("pano.tif", lambda p, w: write_tiff(p, noise(w), width=w, height=HEIGHT, compression="none")),
    "mp4": ("fly.mp4", lambda p, w: write_video(p, frames(w // 250), width=256, height=HEIGHT, count=w // 250,
                                                crf=0)),  # lossless: noise stays its raw size
}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_writer_on_a_full_tmpfs(small_disk, kind):
    disk = small_disk(2 * 2 ** 20)
    name, write = WRITERS[kind]
    with pytest.raises(ExportError) as e:
        write(disk / name, 20_000)  # 7.7 MB of noise on a 2 MB disk
    _one_line_full(e, disk / name)
    assert list(disk.iterdir()) == []


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


@pytest.mark.parametrize("name,fits", [("pano", "tiles"), ("pano.zip", "tiles"), ("pano.zip", "folder")])
def test_deepzoom_whose_tiles_fit_but_not_the_rest(tmp_path, small_disk, name, fits):
    """The tiles are written, then the viewer (about 550 kB) or the zip made of the folder runs out of space."""
    write_deepzoom(tmp_path / "measure", noise(3000), width=3000, height=HEIGHT)
    room = _size(tmp_path / "measure" / "measure_files") if fits == "tiles" else _size(tmp_path / "measure")
    disk = small_disk(room + 200 * 2 ** 10)
    with pytest.raises(ExportError) as e:
        write_deepzoom(disk / name, noise(3000), width=3000, height=HEIGHT)
    _one_line_full(e, disk / name)
    assert list(disk.iterdir()) == []


def _vips_error(detail: str):
    import pyvips

    def dzsave(self, *args, **kwargs):
        raise pyvips.Error("unable to call dzsave", detail)

    return dzsave


@pytest.mark.parametrize("detail,needle", [
    ("vips__file_write: write error (0 out of 61874 blocks written)\nsystem error: No space left on device\n"
     "wbuffer_write: write failed\nsystem error: Unknown error -1\n", "disk is full"),
    ("vips__file_write: write error\nsystem error: Input/output error\n", "cannot write (Input/output error)"),
    ("wbuffer_write: write failed\n", "cannot write (libvips: wbuffer_write: write failed)"),
])
@pytest.mark.parametrize("name", ["pano", "pano.zip"])
def test_libvips_errors_are_one_line(tmp_path, monkeypatch, detail, needle, name):
    import pyvips

    monkeypatch.setattr(pyvips.Image, "dzsave", _vips_error(detail))
    with pytest.raises(ExportError) as e:
        write_deepzoom(tmp_path / name, noise(600), width=600, height=HEIGHT)
    assert needle in str(e.value) and "\n" not in str(e.value) and str(tmp_path / name) in str(e.value), e.value
    assert list(tmp_path.iterdir()) == []


def test_viewer_copy_on_a_full_disk_is_one_line(tmp_path, monkeypatch):
    """The vendored viewer is copied file by file: an out-of-space copy keeps its errno (shutil.copytree
    would gather it into a list of strings)."""
    real = shutil.copyfile

    def copyfile(src, dst, *args, **kwargs):
        if "openseadragon" in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    with pytest.raises(ExportError) as e:
        write_deepzoom(tmp_path / "pano", noise(600), width=600, height=HEIGHT)
    _one_line_full(e, tmp_path / "pano")
    assert list(tmp_path.iterdir()) == []


def test_dzi_maps_library_errors_to_oserror(monkeypatch, tmp_path):
    """deepzoom_tiles.write_tiles is the only caller of libvips: its errors leave it as OSError with an errno."""
    import pyvips

    monkeypatch.setattr(pyvips.Image, "dzsave", _vips_error("system error: No space left on device\n"))
    scratch = tmp_path / "s"
    scratch.mkdir()
    with pytest.raises(OSError) as e:
        deepzoom_tiles.write_tiles(tmp_path / "t", noise(600), width=600, height=HEIGHT, suffix=".png", scratch=scratch)
    assert e.value.errno == errno.ENOSPC
