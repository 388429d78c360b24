"""Real exports with the tiny model: pixels equal the renderer's, the description reproduces the
image, loops wrap seamlessly, the height scale resamples with Lanczos, PNG/JPEG within limits."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from PIL import Image

from alis_studio.engine.panorama import render_strip
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import ExportError
from alis_studio.jobs.export import ExportJob, probe_speed
from alis_studio.exporters.plan import ExportPlan, check_free_space, format_for, measure_ratio
from alis_studio.exporters.resample import margin_for


@pytest.fixture
def renderer(tiny_bundle):
    r = Renderer(tiny_bundle, workers=0, batch_size=8, cache_bytes=0)
    yield r
    r.close()


def scene_with_edits() -> Scene:
    s = Scene(seed=11, psi=0.6)
    s.set_anchor_seed(2, 777)
    return s


def test_tiff_export_equals_renderer_and_description_reproduces(renderer, tmp_path):
    scene, out = scene_with_edits(), tmp_path / "pano.tif"
    job = ExportJob(renderer, scene, out, x0=-100, width=4000, compression="deflate")
    stats = job.run()
    expected = render_strip(renderer, scene, -100, 4000, use_cache=False)
    with tifffile.TiffFile(out) as tf:
        np.testing.assert_array_equal(tf.series[0].levels[0].asarray(), expected)
        desc = json.loads(tf.pages[0].description)
        assert len(tf.series[0].levels) == 3  # 32 px: 16 and 8 px levels
    assert desc["model_sha256"] == renderer.bundle.sha256 and desc["x0"] == -100 and desc["width"] == 4000
    again = render_strip(renderer, Scene.from_dict(desc["scene"]), desc["x0"], desc["width"], use_cache=False)
    np.testing.assert_array_equal(again, expected)  # what the description records is enough
    assert 0 <= stats.writer_share < 0.5 and stats.source_seconds > 0


def test_export_reads_back_in_libvips(renderer, tmp_path):
    pyvips = pytest.importorskip("pyvips")
    out = tmp_path / "pano.tif"
    ExportJob(renderer, Scene(seed=4), out, width=3000, compression="jpeg", quality=95).run()
    img = pyvips.Image.new_from_file(str(out), fail_on="warning")
    assert (img.width, img.height, img.get("n-subifds")) == (3000, 32, 2)
    expected = render_strip(renderer, Scene(seed=4), 0, 3000, use_cache=False)
    assert np.abs(img.numpy().astype(int) - expected).mean() < 12  # JPEG 4:2:0 of a noisy random model
    assert json.loads(img.get("image-description"))["scene"]["seed"] == 4


def test_export_accounts_writer_and_source_time(renderer, tmp_path):
    """The split of wall time between generator and writer that bench_export.py reports."""
    stats = ExportJob(renderer, Scene(seed=1), tmp_path / "p.tif", width=16_384).run()
    assert stats.source_seconds > 0 and 0 < stats.writer_seconds < stats.seconds
    assert stats.writer_share == pytest.approx(stats.writer_seconds / stats.seconds)


def test_loop_exports_one_period_that_wraps_seamlessly(renderer, tmp_path):
    scene = Scene(seed=9, loop_period=3)
    d = renderer.bundle.interval_width
    out = tmp_path / "loop.tif"
    job = ExportJob(renderer, scene, out, x0=0, period=3 * d)
    assert job.width == 3 * d and not job.resampled
    job.run()
    img = tifffile.imread(out).astype(int)
    assert img.shape == (32, 3 * d, 3)
    # the columns across the wrap are the panorama's own neighbours...
    across = render_strip(renderer, scene, 3 * d - 8, 16, use_cache=False).astype(int)
    np.testing.assert_array_equal(np.concatenate([img[:, -8:], img[:, :8]], axis=1), across)
    # ...so the last and first columns join like neighbouring columns do: the wrap is a patch border,
    # and a random-weight model's patch borders are its largest steps, so compare with those
    P = renderer.bundle.tile_width
    steps = np.abs(np.diff(img, axis=1)).mean(axis=(0, 2))
    borders = steps[P - 1::P]
    assert np.abs(img[:, 0] - img[:, -1]).mean() <= 1.5 * borders.max()


def test_loop_with_height_scale_wraps(renderer, tmp_path):
    """A resampled period, tiled twice, equals resampling two periods of the panorama at once."""
    scene = Scene(seed=9, loop_period=2)
    d = renderer.bundle.interval_width
    job = ExportJob(renderer, scene, tmp_path / "loop.tif", period=2 * d, height_scale=1.5)
    assert (job.width, job.out_height, job.scale_x) == (192, 48, 1.5)
    job.run()
    two = ExportJob(renderer, scene, tmp_path / "two.tif", width=2 * 192, height_scale=1.5)
    two.run()
    once = tifffile.imread(job.out).astype(int)
    assert np.abs(np.concatenate([once, once], axis=1) - tifffile.imread(two.out)).max() <= 1


def test_height_scale_is_lanczos_of_the_strip(renderer, tmp_path):
    scene = Scene(seed=2)
    job = ExportJob(renderer, scene, tmp_path / "x2.tif", x0=50, width=1000, height_scale=2.0)
    assert (job.width, job.out_height, job.source_width) == (1000, 64, 500)
    job.run()
    got = tifffile.imread(job.out)
    m = margin_for(2.0)
    src = render_strip(renderer, scene, 50 - m, 500 + 2 * m, use_cache=False)
    ref = np.asarray(Image.fromarray(src).resize((1000, 64), Image.Resampling.LANCZOS, box=(m, 0, m + 500, 32)))
    assert np.abs(got.astype(int) - ref).max() <= 1


def test_png_and_jpeg_exports(renderer, tmp_path):
    scene = Scene(seed=6)
    expected = render_strip(renderer, scene, 0, 640, use_cache=False)
    ExportJob(renderer, scene, tmp_path / "p.png", width=640, fmt="png").run()
    img = Image.open(tmp_path / "p.png")
    np.testing.assert_array_equal(np.asarray(img.convert("RGB")), expected)
    assert json.loads(img.info["alis-studio"])["model_sha256"] == renderer.bundle.sha256
    ExportJob(renderer, scene, tmp_path / "p.jpg", width=640, fmt="jpeg", quality=97).run()
    assert np.abs(np.asarray(Image.open(tmp_path / "p.jpg")).astype(int) - expected).mean() < 4


def test_jpeg_limit_is_a_clear_error_that_suggests_tiff(renderer, tmp_path):
    job = ExportJob(renderer, Scene(), tmp_path / "wide.jpg", width=70_000, fmt="jpeg")
    with pytest.raises(ExportError, match="65535 px.*TIFF"):
        job.check()
    with pytest.raises(ExportError, match="TIFF"):
        ExportPlan(300_000_000, 32, "png")
    assert not list(tmp_path.iterdir())


def test_bad_height_scale(renderer, tmp_path):
    with pytest.raises(ExportError, match="height scale"):
        ExportJob(renderer, Scene(), tmp_path / "a.tif", width=10, height_scale=20)


def test_an_export_is_at_least_one_frame_wide(renderer, tmp_path):
    """Narrower than the model's frame (as wide as it is tall) is no panorama: refused before rendering."""
    frame = renderer.bundle.frame_width
    for width, scale in ((1, 1.0), (frame - 1, 1.0), (2 * frame - 1, 2.0), (frame // 2 - 1, 0.5)):
        with pytest.raises(ExportError, match=f"at least one frame of the model wide .*got {width} px"):
            ExportJob(renderer, Scene(), tmp_path / "a.tif", width=width, height_scale=scale)
    assert ExportJob(renderer, Scene(), tmp_path / "a.tif", width=frame).width == frame
    assert not list(tmp_path.iterdir())


def test_probe_speed_and_ratio(renderer):
    rate, sample = probe_speed(renderer, Scene(), 0)
    assert rate > 0 and sample.shape == (32, 8 * 16, 3)
    assert 0 < measure_ratio(sample, "jpeg", 90) < measure_ratio(sample, "deflate") <= 1.2
    assert measure_ratio(sample, "none") == 1.0


def test_plan_sizes_and_free_space(tmp_path, monkeypatch):
    plan = ExportPlan(100_000, 128, "tiff", "none")
    assert plan.megapixels == 12.8
    assert plan.raw_bytes() == (100_352 * 128 + 50_176 * 64 + 25_088 * 32 + 12_800 * 16 + 6_656 * 16) * 3
    assert plan.temp_bytes() == plan.raw_bytes() - 100_352 * 128 * 3
    assert plan.required_bytes() > plan.estimate_bytes() >= plan.raw_bytes()
    assert check_free_space(tmp_path / "a.tif", 1000) > 1000
    import alis_studio.exporters.plan as plan_mod

    monkeypatch.setattr(plan_mod, "free_bytes", lambda path: 5 * 10 ** 6)
    with pytest.raises(ExportError, match=r"needs about [\d.]+ MB of free disk space, only 5\.0 MB is free"):
        check_free_space(tmp_path / "a.tif", plan.required_bytes())
    assert format_for("a.TIFF") == "tiff" and format_for("x", "jpg") == "jpeg"
    with pytest.raises(ExportError, match="unknown image type"):
        format_for("a.bmp")
