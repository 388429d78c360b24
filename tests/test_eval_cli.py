"""`alis-studio eval` on bad input: one line (exit 2) before any rendering, never a traceback."""
from __future__ import annotations

import os
import subprocess
import zipfile

import pytest
from PIL import Image

from alis_studio.cli.main import main


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from alis_studio.trainer.procedural import write_dataset

    return write_dataset(tmp_path_factory.mktemp("data") / "photos", 6, 32, workers=1)


def evaluate(model, dataset, tmp_path, *args) -> int:
    return main(["eval", "--model", str(model), "--dataset", str(dataset), "--images", "4", "--device", "cpu",
                 "--cache-dir", str(tmp_path / "cache"), "--quiet", *map(str, args)])


def one_line(capsys, *needles) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("alis-studio: error: ") and "\n" not in err, err
    assert all(n in err for n in needles), err
    return err


def _pngs(folder, count, size):
    folder.mkdir()
    for i in range(count):
        Image.new("RGB", size, (40 * i, 90, 200)).save(folder / f"{i}.png")
    return folder


@pytest.mark.parametrize("count", [1, 5])
def test_a_folder_of_1x1_pngs(tiny_model_path, tmp_path, capsys, count):
    data = _pngs(tmp_path / "ones", count, (1, 1))
    assert evaluate(tiny_model_path, data, tmp_path) == 2
    one_line(capsys, str(data), "1 x 1 px")


def test_one_usable_image_is_too_few(tiny_model_path, tmp_path, capsys):
    data = _pngs(tmp_path / "one", 1, (64, 32))
    assert evaluate(tiny_model_path, data, tmp_path) == 2
    one_line(capsys, str(data), "at least 2")


def test_an_onnx_file_that_is_not_inception(tiny_model_path, photos, tmp_path, capsys):
    """A real ONNX graph (the bundle's mapping network) that takes no images: refused up front."""
    with zipfile.ZipFile(tiny_model_path) as z:
        (tmp_path / "mapping.onnx").write_bytes(z.read("mapping.onnx"))
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    for bad in ("mapping.onnx", "junk.onnx"):
        assert evaluate(tiny_model_path, photos, tmp_path, "--inception", tmp_path / bad) == 2
        one_line(capsys, str(tmp_path / bad), "Inception")
    assert not (tmp_path / "cache").exists()  # refused before the real images were prepared


def test_a_small_feature_extractor_is_accepted_and_gives_fid(tiny_model_path, photos, tmp_path, capsys):
    """The up-front check lets a real feature extractor through (any S x S input, (N, F) output)."""
    import json
    import warnings

    import torch

    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.rand(2, 3, 32, 32),), str(tmp_path / "feat.onnx"), input_names=["x"],
                          output_names=["f"], dynamic_axes={"x": {0: "b"}, "f": {0: "b"}}, dynamo=False)
    assert evaluate(tiny_model_path, photos, tmp_path, "--inception", tmp_path / "feat.onnx", "--json") == 0
    res = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert res["fid_frames"] >= 0 and res["fid_infinite"] >= 0


def test_cache_dir_that_is_a_file(tiny_model_path, photos, tmp_path, capsys):
    (tmp_path / "cache").write_bytes(b"")
    assert evaluate(tiny_model_path, photos, tmp_path) == 2
    one_line(capsys, str(tmp_path / "cache"), "cache")


def test_cache_dir_in_a_folder_not_writable(tiny_model_path, photos, tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into any folder (the read-only disk test covers root)")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    assert main(["eval", "--model", str(tiny_model_path), "--dataset", str(photos), "--images", "4",
                 "--device", "cpu", "--cache-dir", str(folder / "cache"), "--quiet"]) == 2
    one_line(capsys, str(folder / "cache"), "cache", "Permission denied")


def test_cache_dir_on_a_read_only_disk(tiny_model_path, photos, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], capture_output=True,
                           timeout=30)
    except (OSError, subprocess.SubprocessError):
        r = None
    if r is None or r.returncode:
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        assert main(["eval", "--model", str(tiny_model_path), "--dataset", str(photos), "--images", "4",
                     "--device", "cpu", "--cache-dir", str(ro / "cache"), "--quiet"]) == 2
        one_line(capsys, str(ro / "cache"), "cache", "Read-only")
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True, timeout=30)


@pytest.mark.parametrize("bad", ["0", "-5", "x"])
def test_height_that_is_no_height_is_refused_by_argparse(tiny_model_path, tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as e:
        evaluate(tiny_model_path, tmp_path, tmp_path, f"--height={bad}")
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("alis-studio eval: error: argument --height: ") and bad in err[-1], err
