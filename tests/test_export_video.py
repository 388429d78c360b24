"""Fly-through MP4 videos: decoded back with PyAV (count, size, codec, metadata), frames equal to the
panorama's pixels, seamless loops, cancel and one-line errors."""
from __future__ import annotations

import json

import av
import numpy as np
import pytest

from alis_studio.cli.main import main
from alis_studio.engine.panorama import iter_strip, render_strip
from alis_studio.engine.scene import Scene, save_session
from alis_studio.errors import ExportError
from alis_studio.jobs.video import VideoJob
from alis_studio.errors import Cancelled
from alis_studio.exporters.flythrough import camera_path, fly_frames


def decode(path):
    with av.open(str(path)) as box:
        s = box.streams.video[0]
        info = dict(codec=s.codec_context.name, width=s.width, height=s.height, pix_fmt=s.format.name,
                    rate=s.average_rate, meta=dict(box.metadata))
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(video=0)]
    return info, np.stack(frames).astype(np.int16)  # (N, H, W, 3)


def test_camera_path_loop_ease():
    assert camera_path(10, 100, 4, loop=True).tolist() == [10, 35, 60, 85]  # frame 4 would be 110: one period on
    assert camera_path(10, 100, 5, loop=False).tolist() == [10, 35, 60, 85, 110]
    eased = camera_path(0, 100, 9, loop=False, ease=True)
    assert eased[0] == 0 and eased[-1] == 100 and np.all(np.diff(eased) > 0)
    steps = np.diff(eased)
    assert steps[0] < steps[3] and steps[-1] < steps[4]  # slow at both ends, fast in the middle


def test_frames_are_the_panoramas_pixels_at_integer_steps(tiny_renderer):
    # zoom 1 (frame height = model height), 4 px a frame: every frame is an exact crop of the strip
    scene = Scene(seed=3)
    job = VideoJob(tiny_renderer, scene, "unused.mp4", x0=-40, span=64 + 40, width=64, height=32, fps=10, speed=40)
    assert job.zoom == 1 and job.count == 11
    frames = list(job.frames())
    strip = render_strip(tiny_renderer, scene, -40, 104)
    for i, f in enumerate(frames):
        np.testing.assert_array_equal(f, strip[:, 4 * i:4 * i + 64])


def test_zoom_letterbox_and_subpixel_glide(tiny_renderer):
    job = VideoJob(tiny_renderer, Scene(seed=1), "unused.mp4", span=400, width=96, height=80, zoom=2, fps=30, speed=50)
    frames = list(job.frames())
    assert frames[0].shape == (80, 96, 3)
    assert frames[0][:8].max() == 0 and frames[0][-8:].max() == 0  # 64 px of panorama between black bars
    assert frames[0][8:72].std() > 5
    moves = [np.abs(a.astype(int) - b).mean() for a, b in zip(frames, frames[1:])]
    assert max(moves) < 4 * np.median(moves)  # 0.83 px a frame glides: no frame jumps


def test_cli_loop_video_decodes_and_repeats_seamlessly(tiny_model_path, tiny_renderer, tmp_path, capsys):
    scene = Scene(seed=3, loop_period=4)
    session = save_session(tmp_path / "s.json", scene)
    out = tmp_path / "fly.mp4"
    assert main(["export", "--model", str(tiny_model_path), "--session", str(session), "--size", "96x64",
                 "--fps", "24", "--speed", "150", "--crf", "12", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "frames" in err and "seamless" in err and "wrote" in err and "encoder" in err
    info, frames = decode(out)
    job = VideoJob(tiny_renderer, scene, out, period=4 * 64, width=96, height=64, fps=24, speed=150)
    assert (info["codec"], info["width"], info["height"], info["pix_fmt"]) == ("h264", 96, 64, "yuv420p")
    assert len(frames) == job.count == 82 and info["rate"] == 24
    meta = json.loads(info["meta"]["comment"])
    assert meta["scene"]["loop_period"] == 4 and meta["frames"] == 82 and meta["model_sha256"]
    # the frame after the last one is the first: render it, and compare the encoded wrap-around
    pieces = (p for _, p in iter_strip(tiny_renderer, scene, job.source_x0 + 4 * 64, job.source_width))
    after = next(fly_frames(pieces, [job.x0 + 4 * 64], source_x0=job.source_x0 + 4 * 64, source_height=32,
                            view_width=job.view_width, width=96, height=64))
    first = next(iter(job.frames()))
    assert np.abs(after.astype(int) - first).max() <= 1
    steps = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))  # (N - 1,) consecutive differences
    wrap = np.abs(frames[0] - frames[-1]).mean()
    assert wrap < 1.5 * np.median(steps) + 1, (wrap, np.median(steps))


def test_cli_range_video_and_ease(tiny_model_path, tmp_path):
    out = tmp_path / "range.mp4"
    assert main(["export", "--model", str(tiny_model_path), "--seed", "2", "--intervals", "6", "--size", "64x32",
                 "--fps", "10", "--speed", "64", "--ease", "--quiet", "--out", str(out)]) == 0
    info, frames = decode(out)
    assert (info["width"], info["height"]) == (64, 32) and len(frames) == (6 * 64 - 64) // 64 * 10 + 1
    assert json.loads(info["meta"]["comment"])["ease"] is True


def test_cancel_leaves_nothing(tiny_renderer, tmp_path):
    job = VideoJob(tiny_renderer, Scene(seed=1), tmp_path / "c.mp4", span=5000, width=64, height=32, speed=30)
    seen = []
    with pytest.raises(Cancelled):
        job.run(progress=lambda d, n: seen.append(d), cancel=lambda: len(seen) >= 3)
    assert list(tmp_path.iterdir()) == []


def _one_line_error(capsys, needle):
    err = capsys.readouterr().err.strip()
    assert err.startswith("alis-studio: error: ") and needle in err and "\n" not in err, err


@pytest.mark.parametrize("args,needle", [
    (["--fps", "0"], "fps must be in"),
    (["--fps", "1000"], "fps must be in"),
    (["--size", "65x32"], "even"),
    (["--size", "big"], "WIDTHxHEIGHT"),
    (["--speed", "-3"], "speed must be positive"),
    (["--size", "1024x32", "--zoom", "1"], "wider than"),
    (["--360"], "not videos"),
    (["--crf", "70"], "CRF"),
])
def test_bad_video_options_are_one_line(tiny_model_path, tmp_path, capsys, args, needle):
    out = tmp_path / "v.mp4"
    assert main(["export", "--model", str(tiny_model_path), "--intervals", "8", "--size", "64x32", *args,
                 "--out", str(out)]) == 2
    _one_line_error(capsys, needle)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_target_is_one_line(tiny_model_path, tmp_path, capsys):
    (tmp_path / "v.mp4").write_bytes(b"keep")
    assert main(["export", "--model", str(tiny_model_path), "--intervals", "4", "--size", "64x32",
                 "--out", str(tmp_path / "v.mp4")]) == 2
    _one_line_error(capsys, "--overwrite")
    assert main(["export", "--model", str(tiny_model_path), "--intervals", "4", "--size", "64x32",
                 "--out", str(tmp_path / "no" / "v.mp4")]) == 2
    _one_line_error(capsys, "does not exist")
    assert (tmp_path / "v.mp4").read_bytes() == b"keep"


def test_video_job_checks(tiny_renderer):
    with pytest.raises(ExportError, match="even"):
        VideoJob(tiny_renderer, Scene(), "x.mp4", span=1000, width=63, height=32)
    with pytest.raises(ExportError, match="zoom"):
        VideoJob(tiny_renderer, Scene(), "x.mp4", span=1000, width=64, height=32, zoom=1000)


def _flight(intervals, width, height, speed, *, loop=False, ease=False, model_height=128, interval=256):
    """A VideoJob's geometry alone: a stand-in renderer that only knows the model's size."""
    from types import SimpleNamespace

    renderer = SimpleNamespace(bundle=SimpleNamespace(height=model_height, interval_width=interval))
    rng = {"period": intervals * interval} if loop else {"span": intervals * interval}
    return VideoJob(renderer, Scene(), "unused.mp4", width=width, height=height, fps=30, speed=speed, ease=ease, **rng)


@pytest.mark.parametrize("loop,ease", [(False, False), (False, True), (True, False)])
def test_the_source_reaches_past_every_frame_to_the_end_of_the_path(loop, ease):
    """The README's example (40 intervals, 1920x1080, 240 px/s) asked for a column past the source at
    its last frames: the frames' needs and the job's source come from one rounding."""
    from alis_studio.exporters.flythrough import source_ends

    for intervals in (2, 3, 6, 33, 40, 100, 257, 1000):
        for width, height in ((1280, 720), (1920, 1080), (640, 480), (3840, 2160), (1000, 1000), (480, 854)):
            for speed in (37.0, 60.0, 240.0, 1000.0, 5000.0):
                try:
                    job = _flight(intervals, width, height, speed, loop=loop, ease=ease)
                except ExportError:  # a range narrower than the frame
                    continue
                positions = camera_path(job.x0, job.travel, job.count, loop=loop, ease=ease)
                ends = source_ends(positions, job.view_width, job.zoom)
                assert ends.max() <= job.source_x0 + job.source_width, (intervals, width, height, speed)
                assert positions.min() - job.source_x0 >= 3  # the filter's margin on the left too
                if not loop:
                    assert positions[-1] == job.x0 + job.travel  # the last frame ends at the range's end
                    assert ends[-1] == job.source_x0 + job.source_width


@pytest.mark.parametrize("intervals,speed", [(40, 5000.0), (2, 300.0), (33, 2000.0)])
def test_fly_frames_reaches_the_end_of_the_path(intervals, speed):
    """The frames themselves, at 32 x 18 px: the same source columns per frame as 1920 x 1080."""
    job = _flight(intervals, 32, 18, speed * 18 / 1080)
    assert job.view_width == _flight(intervals, 1920, 1080, speed).view_width
    total = job.source_width

    def pieces():
        for x in range(0, total, 256):
            yield np.full((128, min(256, total - x), 3), 100, np.uint8)

    positions = camera_path(job.x0, job.travel, job.count, loop=False)
    frames = fly_frames(pieces(), positions, source_x0=job.source_x0, source_height=128,
                        view_width=job.view_width, width=32, height=18)
    count = 0
    for frame in frames:
        count += 1
        assert frame.shape == (18, 32, 3) and frame.min() == 100
    assert count == job.count
