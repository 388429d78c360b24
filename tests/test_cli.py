"""`alis-studio info / render / export-onnx`, headless, with one-line errors."""
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import onnx
import pytest
from PIL import Image

from alis_studio.cli.main import main
from alis_studio.engine.panorama import render_strip
from alis_studio.engine.scene import Scene, save_session


def test_info_prints_metadata_and_provider(tiny_model_path, capsys):
    assert main(["info", str(tiny_model_path)]) == 0
    out = capsys.readouterr().out
    assert "32 px tall" in out and "CPUExecutionProvider" in out and "tiny" in out


def test_render_png_equals_engine_pixels(tiny_model_path, tiny_renderer, tmp_path):
    out = tmp_path / "pano.png"
    assert main(["render", "--model", str(tiny_model_path), "--seed", "5", "--intervals", "3",
                 "--psi", "0.6", "--out", str(out), "--quiet"]) == 0
    img = Image.open(out)
    meta = json.loads(img.info["alis-studio"])
    pixels = np.asarray(img.convert("RGB"))
    expected = render_strip(tiny_renderer, Scene(seed=5, psi=0.6), 0, 3 * 64)
    np.testing.assert_array_equal(pixels, expected)
    assert meta["scene"]["seed"] == 5 and len(meta["model_sha256"]) == 64


def test_render_session_and_jpeg(tiny_model_path, tmp_path):
    scene = Scene(seed=3, psi=0.5)
    scene.set_anchor_seed(1, 1234)
    session = save_session(tmp_path / "s.json", scene)
    out = tmp_path / "pano.jpg"
    assert main(["render", "--model", str(tiny_model_path), "--session", str(session), "--intervals", "2",
                 "--out", str(out), "--quiet"]) == 0
    with Image.open(out) as img:
        assert img.size == (128, 32)


@pytest.mark.parametrize("args,problem", [
    (["--intervals", "0"], "--intervals must be at least 1"),
    (["--psi", "5"], "--psi must be in [0, 2]"),
    (["--session", "/nonexistent/s.json"], "no such file"),
])
def test_render_bad_arguments(tiny_model_path, tmp_path, capsys, args, problem):
    rc = main(["render", "--model", str(tiny_model_path), "--out", str(tmp_path / "x.png"), "--quiet", *args])
    err = capsys.readouterr().err
    assert rc == 2 and problem in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()


def test_render_refuses_to_overwrite(tiny_model_path, tmp_path, capsys):
    out = tmp_path / "x.png"
    out.write_bytes(b"keep me")
    assert main(["render", "--model", str(tiny_model_path), "--out", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"keep me"


def test_export_onnx_random_init(tmp_path):
    out = tmp_path / "r.alis"
    assert main(["export-onnx", "--random-init", "--config", "tiny", str(out)]) == 0
    from alis_studio.engine.bundle import load_bundle
    b = load_bundle(out, device="cpu")
    assert b.meta["arch"]["name"] == "tiny"
    # format 2 by default (version 3: levels of detail), tiles of a whole interval; the graphs carry
    # model.json's text
    assert (b.version, b.tiling, b.tile_width, b.anchor_window, b.synthesis_inputs) == (3, 2, 64, 4, ("w_window", "tile"))
    assert b.meta["tile_flops"] > 0 and b.levels == [3, 2, 1, 0]
    last = b.meta["stages"][-1]["member"]
    assert json.loads({p.key: p.value for p in onnx.load(io.BytesIO(zipfile.ZipFile(out).read(last)))
                       .metadata_props}["alis"]) == b.meta
    assert main(["export-onnx", "--random-init", "--config", "tiny", "--tile-width", "32", str(out)]) == 0
    assert load_bundle(out, device="cpu").tile_width == 32


@pytest.mark.parametrize("width", ["12", "48", "128"])
def test_export_onnx_refuses_a_bad_tile_width(tmp_path, capsys, width):
    out = tmp_path / "r.alis"
    assert main(["export-onnx", "--random-init", "--config", "tiny", "--tile-width", width, str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"alis-studio: error: --tile-width: tile width {width} is not valid for tiny: it must be a "
                   "multiple of 8 that divides the anchor spacing 64") and not out.exists()


def test_console_entry_exits_2_on_bad_model(tmp_path):
    bad = tmp_path / "bad.alis"
    bad.write_text("nope")
    r = subprocess.run([sys.executable, "-m", "alis_studio", "info", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == f"alis-studio: error: {bad}: not an .alis model bundle (not a zip archive)"


@pytest.mark.parametrize("command", ["render", "export"])
@pytest.mark.parametrize("bad,why", [(["--batch", "0"], "--batch must be at least 1, got 0"),
                                     (["--batch", "-2"], "--batch must be at least 1, got -2"),
                                     (["--psi", "5"], "--psi must be in [0, 2], got 5.0"),
                                     (["--psi", "nan"], "--psi must be in [0, 2], got nan")])
@pytest.mark.parametrize("with_session", [False, True])
def test_render_and_export_refuse_bad_generator_options(tiny_model_path, tmp_path, capsys, command, bad, why,
                                                         with_session):
    """One line, exit 2, nothing written: `render --batch 0` raised, `--batch -2` hung, and a
    session with `--psi 5` let the scene's ValueError escape as a traceback."""
    out = tmp_path / ("p.png" if command == "render" else "p.tif")
    extra = ["--session", str(save_session(tmp_path / "s.json", Scene(seed=2)))] if with_session else []
    size = ["--intervals", "1"] if command == "render" else ["--width", "64"]
    code = main([command, "--model", str(tiny_model_path), *size, *extra, *bad, "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == f"alis-studio: error: {why}" and not out.exists()


def test_info_into_a_closed_pipe_is_quiet(tiny_model_path):
    """`alis-studio info --json | head -1` must not end in a BrokenPipeError traceback."""
    r = subprocess.run(f"{sys.executable} -m alis_studio info --json {tiny_model_path} | head -c 1",
                       shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert r.stdout == "{" and r.stderr == ""


@pytest.mark.parametrize("quality", ["0", "101", "-5"])
def test_render_refuses_a_bad_quality_before_rendering(tiny_model_path, tmp_path, capsys, monkeypatch, quality):
    """--quality 0 was refused by the writer, after the whole render."""
    import alis_studio.engine.panorama

    rendered = []
    monkeypatch.setattr(alis_studio.engine.panorama, "render_strip", lambda *a, **k: rendered.append(1))
    rc = main(["render", "--model", str(tiny_model_path), "--out", str(tmp_path / "x.jpg"), f"--quality={quality}"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("alis-studio: error: ") and "\n" not in err and "quality" in err, err
    assert not rendered and not list(tmp_path.iterdir())
