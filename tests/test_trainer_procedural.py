"""The procedural landscape generator and `alis-studio dataset procedural`."""
from __future__ import annotations


import numpy as np
from PIL import Image

from alis_studio.cli.main import main
from alis_studio.trainer.procedural import fbm_1d, landscape, write_dataset


def test_landscape_is_deterministic_rgb_uint8():
    a, b, c = landscape(3, 64), landscape(3, 64), landscape(4, 64)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 5


def test_landscapes_vary_and_use_the_range():
    imgs = np.stack([landscape(s, 32) for s in range(40)])
    assert imgs.std(axis=0).mean() > 15  # not one picture
    assert imgs.min() < 40 and imgs.max() > 200


def test_horizontally_stationary():
    """Column statistics do not depend on x: left and right halves look alike on average, and
    the mean image varies much more along y (sky -> ground) than along x."""
    imgs = np.stack([landscape(s, 64) for s in range(120)]).astype(np.float64)
    mean = imgs.mean(axis=(0, 3))  # (H, W)
    along_x = np.abs(mean - mean.mean(axis=1, keepdims=True)).mean()
    along_y = np.abs(mean.mean(axis=1) - mean.mean()).mean()
    assert along_x < 0.2 * along_y
    assert abs(mean[:, :32].mean() - mean[:, 32:].mean()) < 3


def test_noise_is_periodic_in_x():
    n = fbm_1d(np.random.default_rng(0), 256)
    assert abs(n[0] - n[-1]) < 0.2 and n.std() > 0.2


def test_cli_writes_pngs(tmp_path):
    assert main(["dataset", "procedural", "--out", str(tmp_path / "d"), "--count", "5", "--resolution", "48",
                 "--seed", "1", "--quiet"]) == 0
    files = sorted((tmp_path / "d").glob("*.png"))
    assert len(files) == 5
    im = Image.open(files[0])
    assert im.size == (48, 48) and im.mode == "RGB"
    write_dataset(tmp_path / "e", 2, 48, seed=1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "e" / files[0].name)), np.asarray(im))


def test_cli_rejects_bad_counts(tmp_path, capsys):
    assert main(["dataset", "procedural", "--out", str(tmp_path), "--count", "0"]) == 2
    assert "--count" in capsys.readouterr().err
