"""Deep Zoom exports: banded dzsave equals one dzsave, tiles equal the TIFF export's pixels, the
folder/zip layout and its overwrite rules, and the viewer opened in a real headless chromium."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from alis_studio.cli.main import main
from alis_studio.engine.scene import Scene, save_session
from alis_studio.exporters import deepzoom_tiles
from alis_studio.exporters.deepzoom import write_deepzoom


def tiles_of(files: Path, level: int) -> np.ndarray:
    """Reassemble one level from its 254 px tiles with 1 px overlap."""
    cols = {}
    for t in (files / str(level)).iterdir():
        c, r = map(int, t.stem.split("_"))
        cols[(c, r)] = np.asarray(Image.open(t).convert("RGB"))
    nc, nr = max(c for c, _ in cols) + 1, max(r for _, r in cols) + 1
    rows = [np.concatenate([cols[(c, r)][1 if r else 0:, 1 if c else 0:][:254, :254] for c in range(nc)], axis=1)
            for r in range(nr)]
    return np.concatenate(rows, axis=0)


@pytest.mark.parametrize("height,width,band_pixels,depth", [
    (300, 9001, 300_000, 0),  # 2 tile rows, odd sizes, bands of 1016 columns
    (37, 20_001, 200_000, 2),  # bands of 4064 columns, each exact for 3 levels; the rest from the top image
])
def test_banded_tiles_equal_one_dzsave(tmp_path, height, width, band_pixels, depth):
    import pyvips

    img = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert deepzoom_tiles.band_plan(width, height, 254, band_pixels)[0] == depth
    assert deepzoom_tiles.band_plan(width, height, 254, band_pixels)[1] < width / 4
    files, scratch = tmp_path / "mine", tmp_path / "scratch"
    scratch.mkdir()
    deepzoom_tiles.write_tiles(files, (img[:, x:x + 333] for x in range(0, width, 333)), width=width, height=height,
                    suffix=".png", band_pixels=band_pixels, scratch=scratch)
    pyvips.Image.new_from_memory(img.tobytes(), width, height, 3, "uchar").dzsave(
        str(tmp_path / "ref"), suffix=".png", tile_size=254, overlap=1)
    ref = tmp_path / "ref_files"
    levels = sorted(int(p.name) for p in ref.iterdir() if p.name.isdigit())
    assert levels == sorted(int(p.name) for p in files.iterdir()) == list(range(deepzoom_tiles.levels_of(width, height)))
    for lv in levels:
        names = sorted(p.name for p in (ref / str(lv)).iterdir())
        assert names == sorted(p.name for p in (files / str(lv)).iterdir()), lv
        for n in names:
            np.testing.assert_array_equal(np.asarray(Image.open(files / str(lv) / n)),
                                          np.asarray(Image.open(ref / str(lv) / n)), err_msg=f"{lv}/{n}")


def test_cli_dzi_tiles_match_the_tiff(tiny_model_path, tmp_path):
    common = ["export", "--model", str(tiny_model_path), "--seed", "4", "--intervals", "9", "--height-scale", "4",
              "--quiet"]
    assert main([*common, "--out", str(tmp_path / "p.tif")]) == 0
    assert main([*common, "--format", "dzi", "--tiles", "png", "--out", str(tmp_path / "view")]) == 0
    assert main([*common, "--out", str(tmp_path / "view.zip"), "--quality", "95"]) == 0
    ref = tifffile.imread(tmp_path / "p.tif")  # (128, 2304, 3)
    folder = tmp_path / "view"
    assert {p.name for p in folder.iterdir()} == {"index.html", "view.dzi", "view_files", "scene.json", "openseadragon"}
    top = deepzoom_tiles.levels_of(ref.shape[1], ref.shape[0]) - 1
    np.testing.assert_array_equal(tiles_of(folder / "view_files", top), ref)
    np.testing.assert_array_equal(tiles_of(folder / "view_files", top - 1), deepzoom_tiles.down2(ref))
    assert json.loads((folder / "scene.json").read_text())["scene"]["seed"] == 4
    assert 'Width="2304" Height="128"' in (folder / "view.dzi").read_text()
    assert (folder / "openseadragon" / "LICENSE.txt").is_file()
    assert "wrapHorizontal: false" in (folder / "index.html").read_text()
    with zipfile.ZipFile(tmp_path / "view.zip") as z:
        names = set(z.namelist())
        assert "view/index.html" in names and f"view/view_files/{top}/0_0.jpeg" in names
        z.extractall(tmp_path / "unzipped")
    jpeg = tiles_of(tmp_path / "unzipped" / "view" / "view_files", top).astype(int)
    assert np.abs(jpeg - ref).mean() < 6  # JPEG q95 of noisy random-weight pixels


def test_loop_wraps_and_overwrite_rules(tiny_model_path, tmp_path, capsys):
    session = save_session(tmp_path / "s.json", Scene(seed=1, loop_period=3))
    out = tmp_path / "loop"
    args = ["export", "--model", str(tiny_model_path), "--session", str(session), "--format", "dzi", "--quiet",
            "--out", str(out)]
    assert main(args) == 0
    assert "wrapHorizontal: true" in (out / "index.html").read_text()
    assert main(args) == 2 and "--overwrite" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0 and (out / "loop.dzi").is_file()
    other = tmp_path / "photos"
    other.mkdir()
    (other / "keep.jpg").write_bytes(b"x")
    assert main([*args[:-1], str(other), "--overwrite"]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a Deep Zoom export" in err and "\n" not in err
    assert (other / "keep.jpg").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop", "photos", "s.json"]  # no temporary left


def test_cancel_leaves_nothing(tmp_path):
    from alis_studio.errors import Cancelled

    img = np.zeros((32, 640, 3), np.uint8)
    with pytest.raises(Cancelled):
        write_deepzoom(tmp_path / "v", (img[:, x:x + 64] for x in range(0, 640, 64)), width=640, height=32,
                       progress=lambda d, n: None, cancel=lambda: True)
    assert list(tmp_path.iterdir()) == []


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_viewer_loads_tiles_in_headless_chromium(tiny_model_path, tmp_path):
    out = tmp_path / "web"
    assert main(["export", "--model", str(tiny_model_path), "--seed", "5", "--intervals", "24", "--height-scale",
                 "4", "--format", "dzi", "--quiet", "--out", str(out)]) == 0
    url = (out / "index.html").as_uri()  # file://, no flags for file access: as a double-click opens it
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=800,400",
             "--virtual-time-budget=10000", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert 'data-tiles-failed="0"' in dom and 'data-tiles-loaded="0"' not in dom, dom[-500:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))[60:340, 100:700].astype(int)  # inside the image
    assert pixels.std() > 10 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100
