"""Metrics: SWD on Laplacian pyramids, seam scores, FID with a local ONNX feature extractor, and
`alis-studio eval` on a bundle through the torch-free engine."""
from __future__ import annotations

import json

import numpy as np
import pytest

from alis_studio.cli.main import main
from alis_studio.evaluation.metrics import (column_detail, cut_frames, frechet_distance, inception_features, laplacian_pyramid,
                                            periodic_share, seam_scores, swd)
from alis_studio.trainer.procedural import landscape


@pytest.fixture(scope="module")
def landscapes32():
    return np.stack([landscape(s, 32) for s in range(64)])


def test_laplacian_pyramid_reconstructs():
    from alis_studio.evaluation.metrics import _up

    x = np.random.default_rng(0).random((2, 3, 32, 32)).astype(np.float32)
    levels = laplacian_pyramid(x)
    assert [lv.shape[2] for lv in levels] == [32, 16]
    np.testing.assert_allclose(levels[0] + _up(levels[1]), x, atol=1e-5)


def test_swd_orders_distributions(landscapes32):
    same = swd(landscapes32[:32], landscapes32[32:])
    noise = np.random.default_rng(0).integers(0, 256, landscapes32.shape, dtype=np.uint8)
    far = swd(landscapes32[:32], noise[:32])
    blurred = np.repeat(np.repeat(landscapes32[:, ::2, ::2], 2, 1), 2, 2)
    near = swd(landscapes32[:32], blurred[32:])
    assert {"swd", "swd_32", "swd_16"} <= set(same)
    assert same["swd"] < near["swd"] < far["swd"]
    assert near["swd_32"] > 1.25 * same["swd_32"]  # lost detail shows at the finest level
    assert swd(landscapes32[:32], landscapes32[32:], seed=1)["swd"] == pytest.approx(same["swd"], rel=0.3)


def test_seam_scores():
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.normal(0, 2, (8, 256, 3)), axis=1) + 128
    assert seam_scores([smooth], 16, 64)["seam_patch"] == pytest.approx(1.0, abs=0.3)
    steps = smooth.copy()
    for x in range(16, 256, 16):
        steps[:, x:] += 20.0  # a jump at every patch border
    s = seam_scores([steps], 16, 64)
    assert s["seam_patch"] > 3 and s["seam_anchor"] > 3
    assert cut_frames(np.zeros((8, 100, 3)), 32).shape == (3, 8, 32, 3)


def test_periodic_share_counts_only_what_every_interval_repeats():
    """Strips of independent scenes share nothing (0 on average, each strip's own contrast and its
    neighbouring intervals' likeness notwithstanding); a pattern drawn in every interval counts by
    its share of the variance; strips that start mid-interval are cut at interval starts."""
    rng = np.random.default_rng(0)
    d, x0 = 64, 3 * 64 + 40  # strips start 40 px into an interval
    scenes = lambda: [np.cumsum(rng.normal(0, 3, (8, 600, 3)), axis=1) for _ in range(24)]  # random walks
    independent = [periodic_share(scenes(), d, x0) for _ in range(10)]
    assert abs(np.mean(independent)) < 0.02
    x = np.arange(600) + x0
    pattern = 10 * np.sin(2 * np.pi * 4 * x / d)[None, :, None]  # 4 cycles per interval, Var_x 50
    share = np.mean([periodic_share([s + pattern for s in scenes()], d, x0) for _ in range(10)])
    own = np.mean([s[:, 24 + i * d:24 + (i + 1) * d].var(axis=1).mean() for s in scenes() for i in range(8)])
    assert share == pytest.approx(50 / (50 + own), rel=0.25)  # the pattern's share of an interval's variance
    assert periodic_share([pattern.repeat(8, 0).repeat(3, 2)] * 4, d, x0) == pytest.approx(1.0)
    assert np.isnan(periodic_share(scenes()[:1], d, x0))


def test_detail_share_sees_bumps_that_ride_on_a_ridge_of_any_height():
    """Bumps at the same place of every interval on ridges of random heights: the pixels repeat
    little, their column detail a lot; independent scenes repeat neither."""
    rng = np.random.default_rng(0)
    d, x0 = 64, 2 * 64
    x = np.arange(8 * d)
    bumps = 3 * (1 + np.cos(2 * np.pi * x / 8))
    y = np.arange(32)[:, None]
    strips = [np.repeat(np.tanh((y - (rng.uniform(4, 28) + rng.normal(0, 2, 8).repeat(d) - bumps)) * 2)[:, :, None],
                        3, axis=2) * 100 + 128 for _ in range(24)]
    pixels = periodic_share(strips, d, x0)
    detail = periodic_share([column_detail(s) for s in strips], d, x0)
    assert column_detail(strips[0]).shape == (1, 8 * d, 1)
    assert detail > 0.5 and detail > 2 * pixels, (pixels, detail)
    noise = [rng.normal(128, 30, (32, 8 * d, 3)) for _ in range(24)]
    assert abs(periodic_share([column_detail(s) for s in noise], d, x0)) < 0.05


def _feature_onnx(path):
    import torch

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten())
    torch.manual_seed(0)
    torch.onnx.export(net, (torch.rand(2, 3, 32, 32),), str(path), input_names=["x"], output_names=["f"],
                      dynamic_axes={"x": {0: "b"}, "f": {0: "b"}}, dynamo=False)
    return path


def test_fid_with_a_local_feature_model(tmp_path, landscapes32):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _feature_onnx(tmp_path / "feat.onnx")
    f = inception_features(model, landscapes32)
    assert f.shape == (64, 8)
    assert frechet_distance(f, f) == pytest.approx(0.0, abs=1e-6)
    noise = np.random.default_rng(0).integers(0, 256, landscapes32.shape, dtype=np.uint8)
    assert frechet_distance(f[:32], inception_features(model, noise[:32])) > 10 * frechet_distance(f[:32], f[32:])


def test_fid_of_a_set_with_itself_is_zero_when_features_outnumber_samples():
    """Real FID is singular (500 images, 2048 features): rounding noise in the zero eigenvalues
    must not add up (it gave 0.67 for rank-3 features of scale 1000 before)."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(64, 3)) * 1000
    f = np.concatenate([base, base @ rng.normal(size=(3, 5))], axis=1).astype(np.float32)  # rank 3 in 8 dims
    assert frechet_distance(f, f) == pytest.approx(0.0, abs=1e-6)
    g, h = rng.normal(size=(64, 8)), rng.normal(size=(64, 8)) + 0.3
    assert frechet_distance(g, h) > 0.5  # a real difference still shows


def test_eval_cli_prints_table_and_json(tiny_model_path, tmp_path, capsys, monkeypatch):
    """eval needs no torch: it runs the bundle through the engine (torch is hidden here)."""
    import sys

    from alis_studio.trainer.procedural import write_dataset

    data = write_dataset(tmp_path / "data", 20, 32, workers=1)
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["eval", "--model", str(tiny_model_path), "--dataset", str(data), "--images", "16",
                 "--device", "cpu", "--cache-dir", str(tmp_path / "cache"), "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any("SWD x1e3, single frames" in line for line in out)
    assert any("seam score, anchors / inside" in line for line in out)
    assert any("repeats every interval" in line for line in out)
    res = json.loads(out[-1])
    assert res["images"] == 16 and res["swd_frames"] > 0 and res["swd_infinite"] > 0
    assert res["swd_ratio"] == pytest.approx(res["swd_infinite"] / res["swd_frames"])
    assert "fid_frames" not in res
    assert main(["eval", "--model", str(tiny_model_path), "--dataset", str(data), "--inception",
                 str(tmp_path / "missing.onnx")]) == 2
    assert "no such Inception model" in capsys.readouterr().err


def test_eval_runs_without_the_trainer_like_the_binary(tiny_model_path, tmp_path):
    """The binary ships neither torch nor the trainer: `eval` is still a command there, and works."""
    import subprocess
    import sys

    from alis_studio.trainer.procedural import write_dataset

    data = write_dataset(tmp_path / "data", 8, 32, workers=1)
    code = ("import sys; sys.modules['torch'] = None; sys.modules['alis_studio.trainer'] = None\n"
            "from alis_studio.cli.main import build_parser, main\n"
            "print(sorted(build_parser()._subparsers._group_actions[0].choices))\n"
            f"sys.exit(main(['eval', '--model', {str(tiny_model_path)!r}, '--dataset', {str(data)!r}, '--images', '4',"
            f" '--device', 'cpu', '--cache-dir', {str(tmp_path / 'cache')!r}, '--json']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == str(["eval", "export", "gui", "info", "render"])
    res = json.loads(lines[-1])
    assert res["images"] == 4 and res["swd_frames"] > 0


def test_eval_at_another_height_measures_the_frames_shown_at_it(tiny_model_path, tmp_path, capsys):
    """--height compares models of different heights on one reference: real crops and frames both
    resized to it (Lanczos, down or up), so the pyramid starts at that height; a height the frames
    cannot take is a one-line error."""
    from alis_studio.trainer.procedural import write_dataset

    data = write_dataset(tmp_path / "data", 20, 32, workers=1)
    args = ["eval", "--model", str(tiny_model_path), "--dataset", str(data), "--images", "16", "--device", "cpu",
            "--cache-dir", str(tmp_path / "cache"), "--json"]
    assert main(args) == 0
    native = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert main(args + ["--height", "16"]) == 0
    small = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert native["height"] == 32 and "swd_32_frames" in native and "swd_16_frames" in native
    assert small["height"] == 16 and "swd_32_frames" not in small and small["swd_16_frames"] > 0
    assert small["seam_anchor"] == pytest.approx(native["seam_anchor"])  # seams: at the model's own size
    assert main(args + ["--height", "64"]) == 0  # shown taller: a 64 px model's pyramid
    tall = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert tall["height"] == 64 and tall["swd_64_frames"] > 0 and "swd_32_frames" in tall
    for bad in ("12", "256"):
        assert main(args + ["--height", bad]) == 2
        err = capsys.readouterr().err
        assert f"--height {bad}" in err and len(err.strip().splitlines()) == 1
