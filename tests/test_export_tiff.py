"""The streaming TIFF writer and its pyramid, fed by prepared patches (no model): round trips through
tifffile and libvips, exact levels, atomicity, cancel, bad input, and a 50 Mpx export."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tifffile

from alis_studio.errors import ExportError
from alis_studio.errors import Cancelled
from alis_studio.exporters.pyramid import Cascade, Level, auto_levels, iter_tiles, plan_levels
from alis_studio.imaging import downsample2
from alis_studio.exporters.tiff import write_tiff

P = 64  # prepared patch width


def smooth_patches(height: int, n: int = 16, seed: int = 0) -> list[np.ndarray]:
    """n distinct (height, P, 3) uint8 patches, smooth enough for JPEG to keep them close."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:P].astype(np.float32)
    out = []
    for _ in range(n):
        f = rng.uniform(0.02, 0.2, (3, 2))
        ph = rng.uniform(0, 6.3, 3)
        img = np.stack([127 + 100 * np.sin(f[c, 0] * x + f[c, 1] * y + ph[c]) for c in range(3)], -1)
        out.append(img.astype(np.uint8))
    return out


def null_source(patches: list[np.ndarray], width: int, piece_widths=None):
    """Yield `width` columns of the prepared patches (column x shows patches[x // P % n][:, x % P])."""
    x, rng = 0, np.random.default_rng(1)
    while x < width:
        w = P - x % P if piece_widths is None else int(rng.integers(*piece_widths))
        w = min(w, width - x, P - x % P)
        yield patches[x // P % len(patches)][:, x % P:x % P + w]
        x += w


def full_image(patches, width):
    return np.concatenate(list(null_source(patches, width)), axis=1)


def reference_levels(img: np.ndarray, n: int) -> list[np.ndarray]:
    """Levels by the definition: halve with a 2x2 box, odd sides padded by repeating the edge."""
    out = [img]
    for _ in range(n):
        a = out[-1]
        a = np.pad(a, ((0, a.shape[0] % 2), (0, a.shape[1] % 2), (0, 0)), mode="edge")
        out.append(downsample2(a))
    return out


# ---------------------------------------------------------------------- pyramid pieces
def test_plan_levels_and_auto():
    assert auto_levels(128, 10_000) == 4  # 64, 32, 16, 8
    assert auto_levels(32, 10_000) == 2
    assert auto_levels(7, 100) == 0
    lv = plan_levels(33, 1001, levels=2, tile_width=512)
    assert [(x.height, x.width, x.tile_height, x.tiles) for x in lv] == [
        (33, 1001, 48, 2), (17, 501, 32, 1), (9, 251, 16, 1)]
    with pytest.raises(ValueError):
        plan_levels(32, 100, levels=None, tile_width=100)
    with pytest.raises(ValueError):
        plan_levels(32, 100, levels=-1, tile_width=512)


def test_iter_tiles_pads_by_repeating_edges():
    img = np.arange(20 * 40 * 3, dtype=np.uint8).reshape(20, 40, 3)
    tiles = list(iter_tiles([img[:, :7], img[:, 7:]], Level(20, 40, 32, 32)))
    assert len(tiles) == 2 and all(t.shape == (32, 32, 3) for t in tiles)
    np.testing.assert_array_equal(tiles[0][:20], img[:, :32])
    np.testing.assert_array_equal(tiles[1][:20, :8], img[:, 32:])
    np.testing.assert_array_equal(tiles[1][:20, 8:], np.repeat(img[:, 39:40], 24, axis=1))
    np.testing.assert_array_equal(tiles[1][20:], np.repeat(tiles[1][19:20], 12, axis=0))
    assert tiles[0] is not tiles[1]


@pytest.mark.parametrize("bad", [np.zeros((19, 5, 3), np.uint8), np.zeros((20, 5, 4), np.uint8),
                                 np.zeros((20, 5, 3), np.float32)])
def test_iter_tiles_rejects_wrong_pieces(bad):
    with pytest.raises(ValueError, match="pieces"):
        list(iter_tiles([bad], Level(20, 40, 32, 32)))


def test_iter_tiles_rejects_short_and_long_sources():
    with pytest.raises(ValueError, match="ended at column 30"):
        list(iter_tiles([np.zeros((20, 30, 3), np.uint8)], Level(20, 40, 32, 32)))
    with pytest.raises(ValueError, match="past the image width"):
        list(iter_tiles([np.zeros((20, 50, 3), np.uint8)], Level(20, 40, 32, 32)))


@pytest.mark.parametrize("height,width", [(32, 3000), (33, 1537), (30, 511)])
def test_cascade_matches_whole_image_downsampling(height, width):
    rng = np.random.default_rng(height)
    img = rng.integers(0, 256, (height, width, 3), np.uint8)
    geometry = plan_levels(height, width, levels=3, tile_width=128)
    got = [[] for _ in geometry[1:]]
    cascade = Cascade(geometry, [g.append for g in got])
    for t in iter_tiles([img], geometry[0]):
        cascade.push(t)
    cascade.finish()
    for lv, tiles, ref in zip(geometry[1:], got, reference_levels(img, 3)[1:]):
        assert len(tiles) == lv.tiles
        np.testing.assert_array_equal(np.concatenate(tiles, axis=1)[:lv.height, :lv.width], ref)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("compression", ["none", "deflate", "zstd", "jpeg"])
def test_round_trip_tifffile(tmp_path, compression):
    H, W = 48, 2000
    patches = smooth_patches(H)
    img = full_image(patches, W)
    out = tmp_path / "p.tif"
    stats = write_tiff(out, null_source(patches, W, piece_widths=(1, 90)), width=W, height=H,
                       compression=compression, quality=95, description={"model_sha256": "ab" * 32, "x0": 5})
    assert stats.levels == [(2000, 48), (1000, 24), (500, 12)]
    assert stats.bytes == out.stat().st_size
    with tifffile.TiffFile(out) as tf:
        assert tf.is_bigtiff
        page = tf.pages[0]
        assert page.tilelength == 48 and page.tilewidth == 512 and page.photometric.name in ("RGB", "YCBCR")
        desc = json.loads(page.description)
        assert desc == {"producer": "alis-studio", "model_sha256": "ab" * 32, "x0": 5}
        levels = tf.series[0].levels
        assert [lv.shape for lv in levels] == [(48, 2000, 3), (24, 1000, 3), (12, 500, 3)]
        for got, ref in zip(levels, reference_levels(img, 2)):
            got = got.asarray()
            if compression == "jpeg":  # lossy, 4:2:0: close at full size (reduced levels are busier)
                assert np.abs(got.astype(int) - ref).mean() < (3 if ref is img else 20)
            else:
                np.testing.assert_array_equal(got, ref)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.tif"]  # no temporary file left


@pytest.mark.parametrize("compression", ["none", "deflate", "jpeg"])
def test_round_trip_libvips(tmp_path, compression):
    pyvips = pytest.importorskip("pyvips")
    H, W = 64, 3000
    patches = smooth_patches(H)
    levels = reference_levels(full_image(patches, W), 3)
    out = tmp_path / "p.tif"
    write_tiff(out, null_source(patches, W), width=W, height=H, compression=compression, levels=3)
    base = pyvips.Image.new_from_file(str(out), fail_on="warning")
    assert (base.width, base.height, base.bands, base.get("n-subifds")) == (W, H, 3, 3)
    for k, ref in enumerate(levels):
        img = base if k == 0 else pyvips.Image.new_from_file(str(out), subifd=k - 1, fail_on="warning")
        assert (img.height, img.width) == ref.shape[:2]
        x = ref.shape[1] // 3
        crop = img.crop(x, 0, min(200, ref.shape[1] - x), img.height).numpy()
        if compression == "jpeg":
            assert np.abs(crop.astype(int) - ref[:, x:x + crop.shape[1]]).mean() < (3 if k == 0 else 40)
        else:
            np.testing.assert_array_equal(crop, ref[:, x:x + crop.shape[1]])


def test_zstd_is_what_the_libvips_wheel_cannot_read(tmp_path):
    """Documented limit: pyvips-binary's libtiff has no ZSTD; tifffile reads it (so do GDAL and libtiff builds with zstd)."""
    pyvips = pytest.importorskip("pyvips")
    out = tmp_path / "z.tif"
    write_tiff(out, null_source(smooth_patches(32), 600), width=600, height=32, compression="zstd")
    assert tifffile.imread(out).shape == (32, 600, 3)
    try:
        pyvips.Image.new_from_file(str(out), fail_on="warning").numpy()
    except pyvips.Error:
        pass  # expected with the wheels; a libvips built with zstd reads it, which is fine too


def test_levels_zero_and_options(tmp_path):
    out = tmp_path / "p.tif"
    stats = write_tiff(out, null_source(smooth_patches(32), 700), width=700, height=32, levels=0, tile_width=256)
    assert stats.levels == [(700, 32)]
    with tifffile.TiffFile(out) as tf:
        assert len(tf.series[0].levels) == 1 and tf.pages[0].tilewidth == 256
    for kw in ({"compression": "lzw"}, {"quality": 0}, {"tile_width": 100}, {"levels": 99}):
        with pytest.raises(ExportError):
            write_tiff(tmp_path / "q.tif", iter([]), width=10, height=32, **kw)
    assert not (tmp_path / "q.tif").exists()


# ---------------------------------------------------------------------- atomic and safe
def test_existing_file_needs_overwrite(tmp_path):
    out = tmp_path / "p.tif"
    out.write_bytes(b"keep")
    with pytest.raises(ExportError, match="already exists"):
        write_tiff(out, null_source(smooth_patches(32), 100), width=100, height=32)
    assert out.read_bytes() == b"keep"
    write_tiff(out, null_source(smooth_patches(32), 100), width=100, height=32, overwrite=True)
    assert tifffile.imread(out).shape == (32, 100, 3)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_cancel_leaves_nothing(tmp_path):
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 20

    with pytest.raises(Cancelled):
        write_tiff(tmp_path / "p.tif", null_source(smooth_patches(32), 100_000), width=100_000, height=32,
                   cancel=cancel)
    assert _leftovers(tmp_path) == []


def test_failing_source_leaves_nothing(tmp_path):
    def source():
        yield from null_source(smooth_patches(32), 5000)
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        write_tiff(tmp_path / "p.tif", source(), width=6000, height=32, compression="deflate")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("width,src", [(6000, 5000), (5000, 6000)])
def test_wrong_number_of_columns(tmp_path, width, src):
    with pytest.raises(ValueError):
        write_tiff(tmp_path / "p.tif", null_source(smooth_patches(32), src), width=width, height=32)
    assert _leftovers(tmp_path) == []


def test_progress_reports_columns(tmp_path):
    seen = []
    write_tiff(tmp_path / "p.tif", null_source(smooth_patches(32), 1000), width=1000, height=32,
               progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (1000, 1000) and all(n == 1000 for _, n in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# ---------------------------------------------------------------------- 50 Mpx
def read_tile(tf: tifffile.TiffFile, level: int, index: int) -> np.ndarray:
    """One decoded tile of a level, read alone (tiled files are not memory-mappable)."""
    page = tf.series[0].levels[level].keyframe
    tf.filehandle.seek(page.dataoffsets[index])
    tile, _, _ = page.decode(tf.filehandle.read(page.databytecounts[index]), index)
    return tile[0]


@pytest.mark.slow
def test_50_mpx_export_reads_back_in_tifffile_and_libvips(tmp_path):
    """50 Mpx (128 x 390,625) from prepared patches; sampled tiles of every level checked."""
    pyvips = pytest.importorskip("pyvips")
    H, W, n = 128, 390_625, 7
    patches = smooth_patches(H, n=n)
    out = tmp_path / "big.tif"
    stats = write_tiff(out, null_source(patches, W), width=W, height=H, compression="none")
    assert stats.width * stats.height == 50_000_000
    assert stats.levels[1:] == [(195_313, 64), (97_657, 32), (48_829, 16), (24_415, 8)]
    # the prepared patches repeat every n * P columns, so any tile's reference is cheap to build
    period = n * P * 16  # a multiple of the tile width (512) and of 2**4 for the levels
    refs = reference_levels(full_image(patches, period), 4)
    with tifffile.TiffFile(out) as tf:
        for level, ref in enumerate(refs):
            h, w = stats.levels[level][1], stats.levels[level][0]
            tiles = -(-w // 512)
            for index in (0, tiles // 2, tiles - 1):
                x = index * 512
                got = read_tile(tf, level, index)[:h, :min(512, w - x)]
                if x + got.shape[1] <= w - 1:  # the last tile's last column is edge-padded at level > 0
                    xs = np.arange(x, x + got.shape[1]) % ref.shape[1]
                    np.testing.assert_array_equal(got, ref[:, xs], err_msg=f"level {level} tile {index}")
    for level, ref in enumerate(refs[:3]):
        img = pyvips.Image.new_from_file(str(out), fail_on="warning", **({"subifd": level - 1} if level else {}))
        assert (img.width, img.height) == stats.levels[level]
        x = img.width // 2
        crop = img.crop(x, 0, 300, img.height).numpy()
        np.testing.assert_array_equal(crop, ref[:, np.arange(x, x + 300) % ref.shape[1]])


PEAK_RSS_SCRIPT = textwrap.dedent("""
    import resource, sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_export_tiff import null_source, smooth_patches
    from alis_studio.exporters.tiff import write_tiff
    width = int(sys.argv[1])
    write_tiff(sys.argv[2], null_source(smooth_patches(128, n=7), width), width=width, height=128,
               compression="jpeg")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_width(tmp_path):
    """Peak RSS of a 5 Mpx and a 50 Mpx export (fresh processes) within 10% of each other."""
    import pathlib

    script = PEAK_RSS_SCRIPT.format(tests=str(pathlib.Path(__file__).parent))
    rss = {}
    for width in (39_063, 390_625):
        out = tmp_path / f"{width}.tif"
        res = subprocess.run([sys.executable, "-c", script, str(width), str(out)], capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stderr
        rss[width] = int(res.stdout.split()[-1]) / 1024  # MiB
    assert rss[390_625] < 1024
    assert rss[390_625] <= rss[39_063] * 1.10, rss
