"""`alis-studio export`: headless export with one-line errors, atomic under failure, full disk and Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile

from alis_studio.cli.main import main
from alis_studio.engine.panorama import render_strip
from alis_studio.engine.scene import Scene, save_session


def export(model, *args) -> int:
    return main(["export", "--model", str(model), *map(str, args)])


def test_export_tiff_with_progress_and_summary(tiny_model_path, tiny_renderer, tmp_path, capsys):
    out = tmp_path / "pano.tif"
    assert export(tiny_model_path, "--seed", 5, "--intervals", 20, "--start", -3, "--psi", 0.6,
                  "--compression", "zstd", "--out", out) == 0
    err = capsys.readouterr().err
    assert "1280 x 32 px" in err and "Mpx/s" in err and "wrote" in err and "free" in err
    expected = render_strip(tiny_renderer, Scene(seed=5, psi=0.6), -3 * 64, 20 * 64)
    with tifffile.TiffFile(out) as tf:
        np.testing.assert_array_equal(tf.series[0].levels[0].asarray(), expected)
        assert tf.pages[0].compression.name == "ZSTD"
        assert json.loads(tf.pages[0].description)["scene"]["psi"] == 0.6


def test_export_session_loop_one_period(tiny_model_path, tiny_renderer, tmp_path):
    scene = Scene(seed=3, loop_period=4)
    scene.set_anchor_seed(1, 99)
    session = save_session(tmp_path / "s.json", scene)
    out = tmp_path / "loop.tif"
    assert export(tiny_model_path, "--session", session, "--out", out, "--quiet") == 0
    img = tifffile.imread(out)
    assert img.shape == (32, 4 * 64, 3)
    across = render_strip(tiny_renderer, scene, 4 * 64 - 4, 8)
    np.testing.assert_array_equal(np.concatenate([img[:, -4:], img[:, :4]], axis=1), across)


def test_export_loop_flag_and_height_scale(tiny_model_path, tmp_path):
    out = tmp_path / "loop2.tif"
    assert export(tiny_model_path, "--seed", 1, "--loop", 3, "--height-scale", 2, "--out", out, "--quiet") == 0
    assert tifffile.imread(out).shape == (64, 3 * 64 * 2, 3)


def test_export_png_width(tiny_model_path, tmp_path):
    out = tmp_path / "p.png"
    assert export(tiny_model_path, "--width", 300, "--out", out, "--quiet") == 0
    from PIL import Image

    with Image.open(out) as img:
        assert img.size == (300, 32)


def test_help_documents_height_scale_and_range(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    out = capsys.readouterr().out
    assert "--height-scale" in out and "Lanczos" in out and "one period" in out and "zstd" in out


def _one_line_error(capsys, needle: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("alis-studio: error: ") and needle in err and "\n" not in err, err
    return err


@pytest.mark.parametrize("args,needle", [
    (["--width", 70_000, "--out", "{tmp}/wide.jpg"], "export as TIFF"),
    (["--out", "{tmp}/x.tif"], "give the range"),
    (["--width", 100, "--out", "{tmp}/x.bmp"], "unknown image type"),
    (["--width", 100, "--out", "{tmp}/nofolder/x.tif"], "does not exist"),
    (["--width", 100, "--height-scale", 100, "--out", "{tmp}/x.tif"], "height scale"),
    (["--loop", 1, "--out", "{tmp}/x.tif"], "loop period must be 2 to"),
    (["--width", 100, "--levels", 40, "--out", "{tmp}/x.tif"], "levels"),
    (["--intervals", 2, "--height-scale", "nan", "--out", "{tmp}/x.tif"], "height scale"),
    (["--intervals", 2, "--height-scale", "inf", "--out", "{tmp}/x.tif"], "height scale"),
    (["--width", 100, "--height-scale", "nan", "--out", "{tmp}/x.png"], "height scale"),
    (["--loop", 3, "--height-scale=-inf", "--out", "{tmp}/x.tif"], "height scale"),
    (["--width", 1, "--out", "{tmp}/x.tif"], "at least one frame of the model wide (32 px"),
    (["--width", 31, "--out", "{tmp}/x.png"], "at least one frame of the model wide (32 px"),
    (["--width", 63, "--height-scale", 2, "--out", "{tmp}/x.tif"], "(64 px at this height), got 63"),
])
def test_bad_input_is_one_line(tiny_model_path, tmp_path, capsys, args, needle):
    args = [a.format(tmp=tmp_path) if isinstance(a, str) else a for a in args]
    assert export(tiny_model_path, *args) == 2
    _one_line_error(capsys, needle)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_existing_file_needs_overwrite(tiny_model_path, tmp_path, capsys):
    out = tmp_path / "p.tif"
    out.write_bytes(b"keep")
    assert export(tiny_model_path, "--width", 64, "--out", out) == 2
    _one_line_error(capsys, "--overwrite")
    assert out.read_bytes() == b"keep"
    assert export(tiny_model_path, "--width", 64, "--out", out, "--overwrite", "--quiet") == 0
    assert tifffile.imread(out).shape == (32, 64, 3)


def test_not_enough_free_space(tiny_model_path, tmp_path, capsys, monkeypatch):
    import alis_studio.exporters.plan

    monkeypatch.setattr(alis_studio.exporters.plan, "free_bytes", lambda path: 10 ** 6)
    assert export(tiny_model_path, "--width", 100_000, "--out", tmp_path / "p.tif") == 2
    _one_line_error(capsys, "needs about")
    assert not list(tmp_path.iterdir())


def test_unwritable_folder(tiny_model_path, tmp_path, capsys, monkeypatch):
    import alis_studio.exporters.plan

    monkeypatch.setattr(alis_studio.exporters.plan, "free_bytes", lambda path: 10 ** 12)  # sysfs says 0 B free
    if os.geteuid() == 0:  # root writes anywhere it has permissions for; sysfs refuses new files
        folder = Path("/sys")
        try:
            tempfile.mkstemp(dir=folder)
            pytest.skip("cannot find an unwritable folder as root here")
        except OSError:
            pass
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
    assert export(tiny_model_path, "--width", 64, "--out", folder / "p.tif") == 2
    _one_line_error(capsys, "not writable")  # before any work: no summary line


def _run_cli(args, *, preexec=None, **kw):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.Popen([sys.executable, "-m", "alis_studio.cli", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec, **kw)


def _limit_file_size():
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))


def test_full_disk_is_one_line_and_leaves_nothing(tiny_model_path, tmp_path):
    """A full disk simulated with RLIMIT_FSIZE: files cannot grow past 200 kB."""
    out = tmp_path / "p.tif"
    p = _run_cli(["export", "--model", tiny_model_path, "--width", 20_000, "--compression", "none",
                  "--out", out, "--quiet"], preexec=_limit_file_size)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 2, stderr
    assert stderr.strip().count("\n") == 0 and "disk is full or the file is too large" in stderr, stderr
    assert not list(tmp_path.iterdir())


def test_an_error_under_the_progress_bar_starts_on_its_own_line(tiny_model_path, tmp_path):
    """The full disk again, with the bar on screen: the error is a line of its own, not the bar's tail."""
    p = _run_cli(["export", "--model", tiny_model_path, "--width", 20_000, "--compression", "none",
                  "--out", tmp_path / "p.tif"], preexec=_limit_file_size)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 2, stderr
    assert "export p.tif [" in stderr  # the bar was drawn (text mode reads its \r as a line end)
    assert stderr.split("\n")[-2].startswith("alis-studio: error: "), repr(stderr[-300:])
    assert not list(tmp_path.iterdir())


def test_ctrl_c_cancels_cleanly(tiny_model_path, tmp_path):
    out = tmp_path / "p.tif"
    # A shell's background job inherits SIGINT ignored (Python then installs no handler): restore it.
    p = _run_cli(["export", "--model", tiny_model_path, "--width", 3_000_000, "--out", out],
                 preexec=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _interrupt_when_under_way(p, tmp_path, ".p.tif.*.part", signal.SIGINT)


def _interrupt_when_under_way(p, tmp_path, pattern: str, sig) -> None:
    """Once the export's temporary files exist, send `sig`: it must end as cancelled, leaving nothing."""
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(pattern)) and time.monotonic() < deadline:  # the export is under way
        time.sleep(0.05)
    time.sleep(0.5)
    assert p.poll() is None, p.communicate()
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr
    assert stderr.rstrip().endswith("alis-studio: cancelled") and "Traceback" not in stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("out,args", [
    ("p.tif", ["--width", 3_000_000]),
    ("v.mp4", ["--intervals", 100_000, "--size", "64x32"]),
    ("view.zip", ["--width", 3_000_000]),
])
def test_sigterm_cleans_up_like_ctrl_c(tiny_model_path, tmp_path, out, args):
    """`kill PID` (a service manager, a timeout) stops an export as Ctrl-C does: no hidden .part/.tmp left."""
    p = _run_cli(["export", "--model", tiny_model_path, *args, "--out", tmp_path / out])
    _interrupt_when_under_way(p, tmp_path, f".{Path(out).stem}*", signal.SIGTERM)


class _Tty:
    def __init__(self, answer: str = ""):
        self.answer, self.text = answer, ""

    def isatty(self):
        return True

    def readline(self):
        return self.answer

    def write(self, s):
        self.text += s

    def flush(self):
        pass


@pytest.mark.parametrize("answer,rc", [("y\n", 0), ("\n", 2)])
def test_existing_file_asks_on_a_terminal(tiny_model_path, tmp_path, monkeypatch, answer, rc):
    out = tmp_path / "p.tif"
    out.write_bytes(b"keep")
    monkeypatch.setattr(sys, "stdin", _Tty(answer))
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert export(tiny_model_path, "--width", 64, "--out", out, "--quiet") == rc
    assert "Replace it? [y/N]" in tty.text
    assert (out.read_bytes() == b"keep") == (rc == 2)


@pytest.mark.parametrize("compression", ["deflate", "jpeg"])
def test_the_size_estimate_comes_from_a_measured_probe(tiny_model_path, tmp_path, capsys, compression):
    """The CLI's estimate used a fixed compression ratio (45% high for a real export): it now
    compresses a rendered probe batch as the writer will, so the estimate is near the file's size."""
    import re

    out = tmp_path / "p.tif"
    assert main(["export", "--model", str(tiny_model_path), "--seed", "3", "--width", "8192",
                 "--compression", compression, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    m = re.search(r"about ([\d.]+) (KB|MB)", err)
    estimate = float(m.group(1)) * {"KB": 1e3, "MB": 1e6}[m.group(2)]
    assert 0.75 < estimate / out.stat().st_size < 1.25, (estimate, out.stat().st_size)
    assert re.search(r"about \d+:\d\d on CPU", err)  # and a time from the probe's speed


@pytest.mark.parametrize("fmt,out", [("png", "x.tif"), ("tiff", "x.png"), ("jpeg", "x.png"), ("mp4", "x.tif"),
                                     ("dzi", "x.jpg"), ("png", "x.zip"), ("tiff", "x.mp4")])
def test_a_format_that_contradicts_the_file_name_is_refused(tiny_model_path, tmp_path, capsys, fmt, out):
    """--format png --out x.tif wrote PNG bytes into a .tif: the name would lie about its contents."""
    assert export(tiny_model_path, "--width", 100, "--format", fmt, "--out", tmp_path / out) == 2
    err = _one_line_error(capsys, f"--format {fmt}")
    assert out in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt,out,check", [("tiff", "x.tiff", "tif"), ("jpeg", "x.JPG", "jpg"),
                                           ("tiff", "x.TIF", "tif"), ("png", "noext", "png"), ("dzi", "x.zip", "zip")])
def test_a_format_that_agrees_with_the_file_name_or_names_one(tiny_model_path, tmp_path, fmt, out, check):
    assert export(tiny_model_path, "--width", 100, "--format", fmt, "--out", tmp_path / out, "--quiet") == 0
    data = (tmp_path / out).read_bytes()
    magic = {"tif": (b"II+\x00", b"MM\x00+"), "jpg": (b"\xff\xd8",), "png": (b"\x89PNG",), "zip": (b"PK",)}[check]
    assert data.startswith(magic)
