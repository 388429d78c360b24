"""The "Export panorama…" dialog (pytest-qt): sizes and limits, a worker-thread export that keeps the
GUI responsive, cancel, overwrite questions, loop periods."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile

pytest.importorskip("PySide6")
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QPushButton  # noqa: E402

from alis_studio.engine.panorama import render_strip  # noqa: E402
from alis_studio.engine.scene import Scene  # noqa: E402
from alis_studio.gui import export_dialog  # noqa: E402
from alis_studio.gui.export_dialog import ExportDialog  # noqa: E402


@pytest.fixture
def dialog(qtbot, tiny_renderer, tmp_path):
    def make(scene=None, x0=100, width=1500):
        dlg = ExportDialog(None, tiny_renderer, scene or Scene(seed=2), x0, width)
        qtbot.addWidget(dlg)
        dlg.path.setText(str(tmp_path / "pano.tif"))
        qtbot.waitUntil(lambda: dlg.rate is not None, timeout=20_000)  # the speed probe came back
        return dlg
    yield make
    for run in list(export_dialog._RUNNING):  # a failed test must not leave a thread running
        run.cancel_and_wait()


def run_python(code: str):
    """`code` in a fresh interpreter, offscreen (a Qt abort there fails the test, not the suite)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def finish(qtbot, run, timeout=60_000) -> str:
    if run.outcome is None:
        with qtbot.waitSignal(run.finished, timeout=timeout):
            pass
    return run.outcome


def test_sizes_estimates_and_limits(dialog):
    dlg = dialog()
    assert "1,500 × 32 px" in dlg.size.text() and "2 reduced levels" in dlg.size.text()
    assert "Mpx/s" in dlg.estimate.text() and "file about" in dlg.estimate.text()
    assert not dlg.r_loop.isEnabled() and dlg.r_view.isChecked()
    dlg.scale.setValue(2.0)
    assert "3,000 × 64 px" in dlg.size.text()
    dlg.scale.setValue(1.0)
    dlg.r_intervals.setChecked(True)
    dlg.intervals.setValue(2000)
    assert "128,000 × 32 px" in dlg.size.text()
    dlg.format.setCurrentIndex(2)  # JPEG
    assert dlg.path.text().endswith("pano.jpg")
    assert "65535" in dlg.problem.text() and "TIFF" in dlg.problem.text()
    assert not dlg.export_button.isEnabled() and not dlg.compression.isEnabled()
    dlg.format.setCurrentIndex(0)
    assert dlg.export_button.isEnabled() and dlg.problem.text() == ""
    dlg.reject()


def test_export_on_a_worker_thread_keeps_the_gui_responsive(qtbot, dialog, tiny_renderer, tmp_path):
    scene = Scene(seed=4)
    dlg = dialog(scene)
    dlg.r_intervals.setChecked(True)
    dlg.intervals.setValue(100)  # 6,400 px around the view's centre
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    run = dlg.start()
    assert run is not None and not dlg.isVisible()
    scene.set_seed(99)  # editing on while it runs changes nothing in the file
    assert finish(qtbot, run) == "done", run.message
    timer.stop()
    centre = (100 + 750) // 64
    x0 = (centre - 50) * 64
    expected = render_strip(tiny_renderer, Scene(seed=4), x0, 100 * 64, use_cache=False)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "pano.tif"), expected)
    gaps = np.diff(ticks)
    print(f"timer: {len(ticks)} ticks, median gap {np.median(gaps) * 1000:.0f} ms, max {gaps.max() * 1000:.0f} ms")
    assert len(ticks) >= 10 and np.median(gaps) < 0.05  # the event loop kept running during the export


def test_cancel_leaves_nothing(qtbot, dialog, tmp_path):
    dlg = dialog()
    dlg.r_intervals.setChecked(True)
    dlg.intervals.setValue(200_000)  # 409 Mpx: minutes; we cancel at the first progress report
    run = dlg.start()
    with qtbot.waitSignal(run.worker.progress, timeout=20_000):
        pass
    qtbot.waitUntil(run.dialog.isVisible, timeout=5_000)  # a long export does show its progress box
    run.dialog.findChild(QPushButton).click()  # the Cancel button
    assert finish(qtbot, run) == "cancelled"
    assert list(tmp_path.iterdir()) == []


def test_existing_file_asks_before_replacing(qtbot, dialog, tmp_path, monkeypatch):
    target = tmp_path / "pano.tif"
    target.write_bytes(b"keep")
    dlg = dialog()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert dlg.start() is None and target.read_bytes() == b"keep"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    run = dlg.start()
    assert finish(qtbot, run) == "done"
    assert tifffile.imread(target).shape == (32, 1500, 3)


def test_loop_period_is_the_default_range(qtbot, dialog, tmp_path):
    dlg = dialog(Scene(seed=1, loop_period=3))
    assert dlg.r_loop.isEnabled() and dlg.r_loop.isChecked()
    assert "192 × 32 px" in dlg.size.text()
    run = dlg.start()
    assert finish(qtbot, run) == "done"
    assert tifffile.imread(tmp_path / "pano.tif").shape == (32, 192, 3)


def test_errors_reach_the_user_as_a_message(qtbot, dialog, tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    dlg = dialog()
    dlg.path.setText(str(tmp_path / "missing" / "pano.tif"))
    assert dlg.start() is None
    assert len(warnings) == 1 and "does not exist" in warnings[0]
    dlg.reject()


def test_show_export_dialog_is_the_menu_entry(qtbot, tiny_renderer, tmp_path, monkeypatch):
    runs = []

    def fake_exec(self):
        qtbot.waitUntil(lambda: self.rate is not None, timeout=20_000)
        self.path.setText(str(tmp_path / "menu.tif"))
        runs.append(self.start())
        return 1

    monkeypatch.setattr(ExportDialog, "exec", fake_exec)
    export_dialog.show_export_dialog(None, tiny_renderer, Scene(seed=3), 0, 640)
    assert finish(qtbot, runs[0]) == "done"
    assert tifffile.imread(tmp_path / "menu.tif").shape == (32, 640, 3)


def test_the_dialog_remembers_the_last_exports_folder_and_settings(qtbot, tiny_renderer, tmp_path):
    """It reset to the home folder and the defaults every time."""
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    folder = tmp_path / "exports"
    folder.mkdir()
    first = ExportDialog(None, tiny_renderer, Scene(seed=2), 100, 1500, settings=settings)
    qtbot.addWidget(first)
    first.path.setText(str(folder / "mine.tif"))
    first.r_intervals.setChecked(True)
    first.intervals.setValue(3)
    first.format.setCurrentText("PNG")
    first.scale.setValue(0.5)
    run = first.start()
    assert run is not None and finish(qtbot, run) == "done"
    second = ExportDialog(None, tiny_renderer, Scene(seed=5), 0, 800, settings=settings)
    qtbot.addWidget(second)
    assert Path(second.path.text()).parent == folder and second.path.text().endswith(".png")
    assert second.r_intervals.isChecked() and second.intervals.value() == 3 and second.scale.value() == 0.5
    assert second.format.currentText() == "PNG" and (folder / "mine.png").is_file()
    second.reject()


def test_small_ranges_and_the_current_view_are_described_truly(qtbot, tiny_renderer, tmp_path):
    """The dialog said "Current view (142 px)" while the screen showed 1920 px, and "0.0 Mpx" /
    "about 0:00" for small ranges."""
    dlg = ExportDialog(None, tiny_renderer, Scene(seed=2), 0, 142, screen_width=1920)
    qtbot.addWidget(dlg)
    dlg.path.setText(str(tmp_path / "v.tif"))
    assert dlg.r_view.text() == "The current view (142 px at the model's scale; 1,920 px on screen)"
    qtbot.waitUntil(lambda: dlg.rate is not None, timeout=20_000)
    assert "0.0045 Mpx" in dlg.size.text()  # 142 x 32 px
    assert ", under a second at" in dlg.estimate.text() and "0:00" not in dlg.estimate.text()
    dlg.reject()


def test_a_short_export_shows_no_progress_box(qtbot, dialog):
    """Short exports flashed an unpainted black progress box: it appears only after 0.5 s."""
    dlg = dialog()
    dlg.r_intervals.setChecked(True)
    dlg.intervals.setValue(1)
    run = dlg.start()
    assert run is not None and not run.dialog.isVisible() and run.dialog.minimumDuration() == 500
    assert finish(qtbot, run) == "done", run.message


def test_video_fields_and_a_seamless_loop_video(qtbot, dialog, tmp_path):
    import av

    dlg = dialog(Scene(seed=1, loop_period=3))
    assert not dlg.video_box.isVisibleTo(dlg)
    dlg.format.setCurrentText("MP4 video (fly-through)")
    assert dlg.path.text().endswith("pano.mp4") and dlg.video_box.isVisibleTo(dlg)
    assert not dlg.scale.isEnabled() and not dlg.pano360.isEnabled()
    dlg.frame_w.setValue(96)
    dlg.frame_h.setValue(64)
    dlg.fps.setValue(20)
    dlg.speed.setValue(160)
    assert "96 × 64 px, 48 frames, 0:02 at 20 fps (one loop period" in dlg.size.text()  # 192 px x 2 zoom / 8 px
    assert "rendering" in dlg.estimate.text()
    dlg.frame_w.setValue(97)
    assert "even" in dlg.problem.text() and not dlg.export_button.isEnabled()
    dlg.frame_w.setValue(96)
    run = dlg.start()
    assert finish(qtbot, run) == "done", run.message
    with av.open(str(tmp_path / "pano.mp4")) as box:
        assert box.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in box.decode(video=0)) == 48


def mp4_dialog(dialog, intervals: int, width: int, height: int):
    """The dialog set to an MP4 fly-through over `intervals` anchor intervals, frames width x height."""
    dlg = dialog()
    dlg.format.setCurrentText("MP4 video (fly-through)")
    dlg.r_intervals.setChecked(True)
    dlg.intervals.setValue(intervals)
    dlg.frame_w.setValue(width)
    dlg.frame_h.setValue(height)
    return dlg

def test_video_cancel_leaves_nothing(qtbot, dialog, tmp_path):
    dlg = mp4_dialog(dialog, 20_000, 64, 32)
    dlg.speed.setValue(10)
    run = dlg.start()
    with qtbot.waitSignal(run.worker.progress, timeout=20_000):
        pass
    run.cancel()
    assert finish(qtbot, run) == "cancelled"
    assert list(tmp_path.iterdir()) == []


def test_deep_zoom_and_360_from_the_dialog(qtbot, dialog, tmp_path):
    dlg = dialog(Scene(seed=1, loop_period=3))
    dlg.format.setCurrentText("Deep Zoom web viewer (folder)")
    assert dlg.path.text().endswith("pano") and dlg.quality.isEnabled() and not dlg.pano360.isEnabled()
    run = dlg.start()
    assert finish(qtbot, run) == "done", run.message
    assert "wrapHorizontal: true" in (tmp_path / "pano" / "index.html").read_text()
    dlg2 = dialog(Scene(seed=1, loop_period=3))
    dlg2.format.setCurrentText("JPEG")
    assert dlg2.pano360.isEnabled()
    dlg2.pano360.setChecked(True)
    run = dlg2.start()
    assert finish(qtbot, run) == "done", run.message
    from PIL import Image

    with Image.open(tmp_path / "pano.jpg") as img:
        assert b"FullPanoWidthPixels>192<" in img.info["xmp"]
    dlg2.r_view.setChecked(True)
    assert not dlg2.pano360.isEnabled()  # one loop period only


def test_the_video_estimate_holds_within_a_quarter(qtbot, dialog):
    """The MP4 estimate counted the rendering alone ("about 0:01 ... plus encoding" for a video that
    took 1:11, "about 0:58" for one of 64 minutes): it now times the first frames rendered, cut and
    encoded together, and the whole video takes that long, within 25%. Timings on a machine shared
    with other work vary (the same video took 3.9 to 6.7 s): up to three tries, each a new probe."""
    tries = []
    for _ in range(3):
        dlg = mp4_dialog(dialog, 30, 320, 180)
        qtbot.waitUntil(lambda: dlg.video_estimate() is not None, timeout=60_000)
        estimate, frames = dlg.video_estimate(), dlg.job().count
        assert frames > 1000 and "to render and encode" in dlg.estimate.text()
        t0 = time.perf_counter()
        run = dlg.start()
        assert finish(qtbot, run, timeout=120_000) == "done", run.message
        tries.append((estimate, time.perf_counter() - t0))
        if 0.75 < tries[-1][0] / tries[-1][1] < 1.25:
            break
    assert 0.75 < tries[-1][0] / tries[-1][1] < 1.25, tries


def test_the_dialog_shrinks_back_after_mp4(qtbot, dialog):
    """The video fields made the dialog taller, and it stayed tall after switching away from MP4."""
    dlg = dialog()
    dlg.show()
    qtbot.waitExposed(dlg)
    height = dlg.height()
    dlg.format.setCurrentText("MP4 video (fly-through)")
    qtbot.waitUntil(lambda: dlg.height() > height + 50)
    width = dlg.width() + 40
    dlg.resize(width, dlg.height())  # the user's width is kept
    dlg.format.setCurrentText("PNG")
    qtbot.waitUntil(lambda: dlg.height() == height)
    assert dlg.width() == width
    dlg.reject()


def test_a_dialog_dropped_while_its_probes_run_does_not_abort(tiny_model_path):
    """Qt aborts the process when a QThread is destroyed while it runs. A dialog that is deleted
    without done() (its parent closed, or the garbage collector, which may run on any thread) must
    leave its speed and video probes alive until they end (CI died of this once: exit 134)."""
    code = f"""
import gc
from PySide6.QtWidgets import QApplication
from alis_studio.engine.bundle import load_bundle
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.gui import export_dialog
from alis_studio.gui.export_dialog import ExportDialog
app = QApplication([])
renderer = Renderer(load_bundle({str(tiny_model_path)!r}, device="cpu"), workers=1, batch_size=4)
for i in range(3):
    dlg = ExportDialog(None, renderer, Scene(seed=i), 0, 600)
    dlg.format.setCurrentText("MP4 video (fly-through)")
    dlg._probe_video()
    del dlg
    gc.collect()
print(sorted({{type(p).__name__ for p in export_dialog._PROBES}}))
app.processEvents()
renderer.close()
print("survived")
"""
    proc = run_python(code)
    assert proc.returncode == 0 and "survived" in proc.stdout, proc.stderr[-2000:]
    assert "['_Probe', '_VideoProbe']" in proc.stdout  # both kinds were in flight when their dialogs went


def test_closing_the_dialog_never_waits_for_its_speed_probe(qtbot, tiny_bundle):
    """With a big model the probe's batch takes many seconds: Cancel must close the dialog at once
    (the GUI thread never waits on the generator) and the probe stops at its next patch."""
    import threading

    from alis_studio.engine.renderer import Renderer

    entered, gate = threading.Event(), threading.Event()

    class SlowBundle:  # the tiny model, whose synthesis holds until the test lets it go
        def __getattr__(self, name):
            return getattr(tiny_bundle, name)

        def synthesize(self, *args, **kw):
            entered.set()
            gate.wait(30)
            return tiny_bundle.synthesize(*args, **kw)

    renderer = Renderer(SlowBundle(), workers=0, batch_size=4, cache_bytes=0)
    dlg = ExportDialog(None, renderer, Scene(seed=2), 0, 600)
    qtbot.addWidget(dlg)
    probe = dlg._probe
    assert entered.wait(20)  # the probe is inside the generator
    dlg.reject()  # returns although the generator has not
    assert probe.isRunning() and probe in export_dialog._PROBES
    gate.set()
    qtbot.waitUntil(probe.isFinished, timeout=20_000)
    assert dlg.rate is None  # cancelled after its first patch: no estimate from a closed dialog


def test_an_export_running_when_the_interpreter_exits_is_cancelled_and_leaves_nothing(tiny_model_path, tmp_path):
    """Without the app's aboutToQuit (a script, a test), exiting while an export runs must neither
    abort (a running QThread destroyed) nor leave a file or a temporary behind."""
    out = tmp_path / "out"
    out.mkdir()
    code = f"""
from PySide6.QtWidgets import QApplication
from alis_studio.engine.bundle import load_bundle
from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.gui.export_dialog import ExportDialog
app = QApplication([])
renderer = Renderer(load_bundle({str(tiny_model_path)!r}, device="cpu"), workers=1, batch_size=4)
dlg = ExportDialog(None, renderer, Scene(seed=2), 0, 600)
dlg.path.setText({str(out / "pano.tif")!r})
dlg.r_intervals.setChecked(True)
dlg.intervals.setValue(200_000)  # minutes of work
run = dlg.start()
assert run is not None and run.worker.isRunning()
print("started")
"""
    proc = run_python(code)
    assert proc.returncode == 0 and "started" in proc.stdout, proc.stderr[-2000:]
    assert list(out.iterdir()) == []
