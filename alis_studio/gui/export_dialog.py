"""File > Export panorama…: range, size, format and compression, estimates, then a cancellable export.

Formats: TIFF, PNG, JPEG, a Deep Zoom web viewer (a folder with index.html) and an MP4 fly-through
(its camera fields appear when it is chosen; the range is what the frames show, a loop period
travelled once repeats seamlessly). "360°" tags a loop period for panorama viewers (XMP GPano).

The export runs on a QThread with a private synchronous Renderer (workers=0), so the GUI stays
responsive; progress arrives through Qt signals, at most 20 times a second. The scene is
snapshotted when the export starts, so editing on while it runs changes nothing in the file.
"""
from __future__ import annotations

import atexit
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import (QApplication, QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QMessageBox, QProgressDialog, QPushButton, QRadioButton, QSpinBox,
                               QVBoxLayout, QWidget)

from alis_studio.engine.renderer import Renderer
from alis_studio.engine.scene import Scene
from alis_studio.errors import Cancelled, UserError
from alis_studio.exporters.plan import human_bytes
from alis_studio.exporters.registry import FORMATS as EXPORT_FORMATS
from alis_studio.jobs.export import ExportJob, probe_speed, scaled_width
from alis_studio.jobs.video import VideoJob, probe_time
from alis_studio.progress import fmt_time

FORMATS = {f.label: (f.name, f.suffix) for f in EXPORT_FORMATS.values()}  # label: (format, new file's suffix)
COMPRESSIONS = {"deflate (opens everywhere)": "deflate", "zstd (faster; some viewers lack it)": "zstd",
                "JPEG (lossy, smallest)": "jpeg", "none": "none"}
VIDEO_PROBE_DELAY_MS = 300  # the video's time is probed once its settings rest this long
_RUNNING: set = set()  # exports in flight, kept alive until they end (the dialog is gone by then)
# Probes in flight. Qt aborts the process when a running QThread is destroyed, and a dialog may go
# without done() (its parent closed, the garbage collector): so the module, not the dialog, holds them.
_PROBES: set = set()


def _start_probe(probe: QThread) -> None:
    """Start `probe`, held in _PROBES until it has ended (finished ones are dropped at the next start)."""
    _PROBES.difference_update([p for p in _PROBES if p.isFinished()])
    _PROBES.add(probe)
    probe.start()


@atexit.register
def _stop_threads() -> None:
    """At exit, before the module's objects go (an app that quits has cancelled its exports already):
    each probe stops at its next patch or frame, each export is cancelled (its temporary removed)."""
    for probe in list(_PROBES):
        probe.cancel_event.set()
        probe.wait()
    _PROBES.clear()
    for run in list(_RUNNING):
        run.cancel_and_wait()


def show_export_dialog(parent: QWidget | None, renderer: Renderer, scene: Scene, view_x0: int,
                       view_width: int, settings=None, screen_width: int | None = None) -> None:
    """Ask for the export settings; on Export, start it with a progress dialog and return."""
    dlg = ExportDialog(parent, renderer, scene, view_x0, view_width, settings=settings, screen_width=screen_width)
    dlg.exec()


def _fmt_mpx(mp: float) -> str:
    """Megapixels with the digits that matter: 409 Mpx, 2.5 Mpx, 0.041 Mpx."""
    return f"{mp:,.0f} Mpx" if mp >= 100 else f"{mp:.1f} Mpx" if mp >= 1 else f"{mp:.2g} Mpx"


def _fmt_estimate(s: float) -> str:
    return "under a second" if s < 1 else f"about {fmt_time(s)}"


class _Probe(QThread):
    """One batch rendered off the GUI thread: the speed and a pixel sample for the estimates."""

    measured = Signal(float, object)  # model Mpx/s, (H, w, 3) uint8 sample

    def __init__(self, renderer: Renderer, scene: Scene, x0: int):
        super().__init__()
        self._renderer = Renderer(renderer.bundle, workers=0, batch_size=renderer.batch_size, cache_bytes=0)
        self._scene, self._x0 = Scene.from_dict(scene.to_dict()), x0
        self.cancel_event = threading.Event()

    def run(self) -> None:
        try:
            rate, sample = probe_speed(self._renderer, self._scene, self._x0, cancel=self.cancel_event.is_set)
        except Exception:  # cancelled, or an estimate failed (a nicety): the dialog says "unknown"
            return
        self.measured.emit(rate, sample)


class _VideoProbe(QThread):
    """A video's first frames rendered, cut and encoded off the GUI thread (jobs.video.probe_time)."""

    measured = Signal(object, object)  # the settings' key, TimeProbe

    def __init__(self, job: VideoJob, key):
        super().__init__()
        self._job, self._key, self.cancel_event = job, key, threading.Event()

    def run(self) -> None:
        try:
            probe = probe_time(self._job, cancel=self.cancel_event.is_set)
        except Exception:  # cancelled, or no encoder: the time stays unknown (None), not retried
            probe = None
        self.measured.emit(self._key, probe)


def _video_key(job: VideoJob) -> tuple:
    """What a video's time per frame depends on: the frame, the zoom and the columns per frame."""
    return int(job.width), int(job.height), round(job.zoom, 6), round(job.travel / job.count, 6)


class ExportDialog(QDialog):
    """The settings dialog. `start()` (Export) checks, asks about an existing file, starts an ExportRun."""

    def __init__(self, parent, renderer: Renderer, scene: Scene, view_x0: int, view_width: int, settings=None,
                 screen_width: int | None = None):
        super().__init__(parent, windowTitle="Export panorama")
        self.renderer, self.scene, self.settings, self.screen_width = renderer, scene, settings, screen_width
        self.view_x0, self.view_width = int(view_x0), max(1, int(view_width))
        self.rate, self.ratios, self.sample, self.run_ = None, {}, None, None
        self.video_probes: dict[tuple, object] = {}  # _video_key -> TimeProbe
        self._video_probe: _VideoProbe | None = None
        self._video_later = QTimer(self, singleShot=True, interval=VIDEO_PROBE_DELAY_MS)  # after a pause in typing
        self._video_later.timeout.connect(self._probe_video)
        self._build()
        self._restore_settings()
        self._update()
        self._probe = _Probe(renderer, scene, self.view_x0)
        self._probe.measured.connect(self._on_measured)
        _start_probe(self._probe)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        b = self.renderer.bundle
        self.range_group = QButtonGroup(self)
        on_screen = (f"; {self.screen_width:,} px on screen" if self.screen_width
                     and self.screen_width != self.view_width else "")
        self.r_view = QRadioButton(f"The current view ({self.view_width:,} px at the model's scale{on_screen})")
        if on_screen:
            self.r_view.setToolTip("Exports are at the model's resolution; Scale enlarges them (Lanczos)")
        self.r_intervals = QRadioButton("Anchor intervals around the view:")
        self.r_loop = QRadioButton(f"One loop period ({self.scene.loop_period} anchors, wraps around)"
                                   if self.scene.loop_period else "One loop period (the scene has no loop)")
        self.r_loop.setEnabled(bool(self.scene.loop_period))
        for i, r in enumerate((self.r_view, self.r_intervals, self.r_loop)):
            self.range_group.addButton(r, i)
        (self.r_loop if self.scene.loop_period else self.r_view).setChecked(True)
        self.intervals = QSpinBox(minimum=1, maximum=10_000_000, value=16, suffix=f" × {b.interval_width} px")
        self.scale = QDoubleSpinBox(minimum=0.125, maximum=8.0, value=1.0, singleStep=0.5, decimals=3)
        self.scale.setToolTip("Resample the panorama by this factor in both directions (Lanczos)")
        self.size = QLabel()
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.compression = QComboBox()
        self.compression.addItems(list(COMPRESSIONS))
        self.quality = QSpinBox(minimum=1, maximum=100, value=90)
        self.pano360 = QCheckBox("Tag as a 360° panorama (XMP GPano, for panorama viewers)")
        self.pano360.setToolTip("A loop period only: viewers wrap it around you; a strip, not a full sphere")
        self._build_video()
        self.path = QLineEdit(str(Path.home() / "panorama.tif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.estimate, self.problem = QLabel(), QLabel()
        self.problem.setStyleSheet("color: #d9534f")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self._lay_out(browse)
        for sig in (self.range_group.idToggled, self.intervals.valueChanged, self.scale.valueChanged,
                    self.format.currentIndexChanged, self.compression.currentIndexChanged,
                    self.quality.valueChanged, self.path.textChanged, self.pano360.toggled,
                    self.frame_w.valueChanged, self.frame_h.valueChanged, self.fps.valueChanged,
                    self.speed.valueChanged, self.zoom.valueChanged, self.ease.toggled):
            sig.connect(self._update)
        self.format.currentIndexChanged.connect(self._fix_extension)

    def _lay_out(self, browse: QPushButton) -> None:
        form = QFormLayout()
        intervals_row = QHBoxLayout()
        intervals_row.addWidget(self.r_intervals)
        intervals_row.addWidget(self.intervals)
        ranges = QVBoxLayout()
        ranges.addWidget(self.r_view)
        ranges.addLayout(intervals_row)
        ranges.addWidget(self.r_loop)
        form.addRow("Range", ranges)
        form.addRow("Height scale", self.scale)
        form.addRow("Size", self.size)
        form.addRow("Format", self.format)
        form.addRow("Compression", self.compression)
        form.addRow("JPEG quality", self.quality)
        form.addRow("", self.pano360)
        form.addRow("Video", self.video_box)
        self._form = form
        path_row = QHBoxLayout()
        path_row.addWidget(self.path)
        path_row.addWidget(browse)
        form.addRow("File", path_row)
        form.addRow("Estimate", self.estimate)
        outer = QVBoxLayout(self)
        outer.addLayout(form)
        outer.addWidget(self.problem)
        outer.addWidget(self.buttons)

    def _build_video(self) -> None:
        """The camera's fields, shown for MP4 only."""
        self.video_box = QWidget()
        self.frame_w = QSpinBox(minimum=16, maximum=8192, value=1280, singleStep=2, suffix=" px")
        self.frame_h = QSpinBox(minimum=16, maximum=8192, value=720, singleStep=2, suffix=" px")
        self.fps = QDoubleSpinBox(minimum=1, maximum=240, value=30, decimals=3)
        self.speed = QDoubleSpinBox(minimum=1, maximum=100_000, value=240, decimals=0, suffix=" px/s")
        self.speed.setToolTip("How fast the panorama moves across the frame, in frame pixels per second")
        self.zoom = QDoubleSpinBox(minimum=0, maximum=64, value=0, decimals=2, singleStep=0.5)
        self.zoom.setSpecialValueText("fill the height")  # 0: the panorama fills the frame's height
        self.ease = QCheckBox("Ease in and out (start and stop gently)")
        size = QHBoxLayout()
        size.addWidget(self.frame_w)
        size.addWidget(QLabel("×"))
        size.addWidget(self.frame_h)
        form = QFormLayout(self.video_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Frame", size)
        form.addRow("Frames/s", self.fps)
        form.addRow("Speed", self.speed)
        form.addRow("Zoom", self.zoom)
        form.addRow("", self.ease)

    # ------------------------------------------------------------------ state
    def job(self, renderer: Renderer | None = None, overwrite: bool = False) -> "ExportJob | VideoJob":
        """The export the dialog describes (raises UserError for impossible settings)."""
        b = self.renderer.bundle
        fmt = FORMATS[self.format.currentText()][0]
        if fmt == "mp4":
            return self._video_job(renderer or self.renderer, overwrite)
        kw = dict(fmt=fmt, height_scale=self.scale.value(), quality=self.quality.value(), overwrite=overwrite,
                  compression=COMPRESSIONS[self.compression.currentText()] if fmt == "tiff" else "none",
                  pano360=self.pano360.isChecked() and self.pano360.isEnabled())
        r = renderer or self.renderer
        x0, period, width = self._range_px()
        if period is not None:
            return ExportJob(r, self.scene, Path(self.path.text()), x0=x0, period=period, **kw)
        return ExportJob(r, self.scene, Path(self.path.text()), x0=x0,
                         width=scaled_width(width, b.height, self.scale.value()), **kw)

    def _range_px(self) -> tuple[int, int | None, int]:
        """(x0, loop period or None, width) in model pixels of the chosen range."""
        b = self.renderer.bundle
        if self.r_loop.isChecked() and self.scene.loop_period:  # any whole period wraps: start at an anchor
            return self.view_x0 // b.interval_width * b.interval_width, self.scene.loop_period * b.interval_width, 0
        if self.r_intervals.isChecked():
            n = self.intervals.value()
            centre = (self.view_x0 + self.view_width // 2) // b.interval_width
            return (centre - n // 2) * b.interval_width, None, n * b.interval_width
        return self.view_x0, None, self.view_width

    def _video_job(self, renderer: Renderer, overwrite: bool) -> VideoJob:
        x0, period, span = self._range_px()
        return VideoJob(renderer, self.scene, Path(self.path.text()), x0=x0, span=span, period=period,
                        width=self.frame_w.value(), height=self.frame_h.value(), fps=self.fps.value(),
                        speed=self.speed.value(), zoom=self.zoom.value() or None, ease=self.ease.isChecked(),
                        overwrite=overwrite)

    def _update(self, *_) -> None:
        fmt = FORMATS[self.format.currentText()][0]
        self.compression.setEnabled(fmt == "tiff")
        self.quality.setEnabled(fmt in ("jpeg", "dzi") or (fmt == "tiff" and COMPRESSIONS[self.compression.currentText()] == "jpeg"))
        self.scale.setEnabled(fmt != "mp4")
        if self._form.isRowVisible(self.video_box) != (fmt == "mp4"):
            self._form.setRowVisible(self.video_box, fmt == "mp4")  # the field and its label
            QTimer.singleShot(0, self._fit_height)  # once the layout knows: shorter again without them
        self.pano360.setEnabled(fmt in ("tiff", "png", "jpeg") and self.r_loop.isChecked())
        try:
            job = self.job()
            if isinstance(job, VideoJob):
                return self._update_video(job)
            plan = job.plan()
        except UserError as e:
            self.size.setText("—")
            self.estimate.setText("—")
            self.problem.setText(str(e))
            self.export_button.setEnabled(False)
            return
        self.problem.setText("")
        self.export_button.setEnabled(bool(self.path.text().strip()))
        self.size.setText(f"{plan.width:,} × {plan.height:,} px, {_fmt_mpx(plan.megapixels)}"
                          + (f", {len(plan.geometry()) - 1} reduced levels" if fmt == "tiff" else ""))
        ratio = self._ratio(plan.codec, plan.quality)
        text = f"file about {human_bytes(plan.estimate_bytes(ratio))}"
        if self.rate:
            seconds = job.source_width * job.model_height / 1e6 / self.rate
            text += f", {_fmt_estimate(seconds)} at {self.rate:.2f} Mpx/s"
        else:
            text += ", time: measuring the generator…"
        self.estimate.setText(text)

    def _update_video(self, job: VideoJob) -> None:
        self.problem.setText("")
        self.export_button.setEnabled(bool(self.path.text().strip()))
        self.size.setText(f"{job.width:,} × {job.height:,} px, {job.count:,} frames, {fmt_time(job.seconds)} at "
                          f"{job.fps:g} fps" + (" (one loop period: repeats seamlessly)" if job.period else ""))
        key = _video_key(job)
        probe = self.video_probes.get(key)
        if probe is not None:
            self.estimate.setText(f"{_fmt_estimate(self.video_estimate())} to render and encode "
                                  f"(measured on {probe.frames:,} frames)")
        elif key in self.video_probes:
            self.estimate.setText("time: unknown (the first frames could not be encoded)")
        else:
            self.estimate.setText("time: rendering and encoding the first frames…")
            self._video_later.start()

    def video_estimate(self) -> float | None:
        """Seconds the MP4 the dialog describes should take, once its probe is in (else None)."""
        job = self.job()
        probe = self.video_probes.get(_video_key(job)) if isinstance(job, VideoJob) else None
        return None if probe is None else probe.estimate(job.count, job.source_width * job.model_height / 1e6)

    def _probe_video(self) -> None:
        """Time the current video settings' first frames on a thread (one probe at a time)."""
        if self._video_probe is not None and self._video_probe.isRunning():
            return  # its end looks again
        try:
            job = self.job(Renderer(self.renderer.bundle, workers=0, batch_size=self.renderer.batch_size,
                                    cache_bytes=0))
        except UserError:
            return
        if not isinstance(job, VideoJob) or _video_key(job) in self.video_probes:
            return
        self._video_probe = _VideoProbe(job, _video_key(job))
        self._video_probe.measured.connect(self._on_video_measured)
        self._video_probe.finished.connect(self._update)
        _start_probe(self._video_probe)

    @Slot(object, object)
    def _on_video_measured(self, key, probe) -> None:
        self.video_probes[key] = probe

    def _fit_height(self) -> None:
        """The height the fields need (the video's come and go), keeping the user's width."""
        self.layout().activate()
        self.resize(self.width(), self.sizeHint().height())

    def _ratio(self, codec: str, quality: int) -> float | None:
        if self.sample is None:
            return None
        key = (codec, quality if codec == "jpeg" else 0)
        if key not in self.ratios:
            from alis_studio.exporters.plan import measure_ratio

            self.ratios[key] = measure_ratio(self.sample, codec, quality)
        return self.ratios[key]

    @Slot(float, object)
    def _on_measured(self, rate: float, sample) -> None:
        self.rate, self.sample = rate, sample
        self._update()

    def _fix_extension(self, *_) -> None:
        ext = FORMATS[self.format.currentText()][1]
        p = Path(self.path.text())
        if p.suffix.lower() != ext and p.name:
            self.path.setText(str(p.with_suffix(ext)))

    def _browse(self) -> None:
        name = self.format.currentText()
        ext = FORMATS[name][1]
        path, _ = QFileDialog.getSaveFileName(self, "Export panorama", self.path.text(), f"{name} (*{ext})",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path.setText(path if Path(path).suffix else path + ext)

    # ------------------------------------------------------------------ go
    def start(self) -> "ExportRun | None":
        """Check the settings and the target; ask before replacing a file; start the export."""
        overwrite = False
        target = Path(self.path.text())
        if target.is_file() or (target.is_dir() and FORMATS[self.format.currentText()][0] == "dzi"):
            answer = QMessageBox.question(self, "Export panorama", f"{target} already exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return None
            overwrite = True
        renderer = Renderer(self.renderer.bundle, workers=0, batch_size=self.renderer.batch_size, cache_bytes=0)
        try:
            job = self.job(renderer, overwrite=overwrite)
            job.check() if isinstance(job, VideoJob) else job.check(self._ratio(job.plan().codec, job.quality))
        except UserError as e:
            QMessageBox.warning(self, "Export panorama", str(e))
            return None
        self._save_settings()
        self.run_ = ExportRun(job, self.parentWidget())
        self.run_.start()
        self.accept()
        return self.run_

    # ------------------------------------------------------------------ remembered between exports
    def _save_settings(self) -> None:
        if self.settings is None:
            return
        s = self.settings
        s.setValue("export/folder", str(Path(self.path.text()).parent))
        s.setValue("export/range", self.range_group.checkedId())
        for key, value in (("intervals", self.intervals.value()), ("scale", self.scale.value()),
                           ("format", self.format.currentText()), ("compression", self.compression.currentText()),
                           ("quality", self.quality.value()), ("frame_w", self.frame_w.value()),
                           ("frame_h", self.frame_h.value()), ("fps", self.fps.value()), ("speed", self.speed.value())):
            s.setValue(f"export/{key}", value)

    def _restore_settings(self) -> None:
        """The last export's folder and settings (the range only where this scene allows it)."""
        s = self.settings
        if s is None or s.value("export/folder") is None:
            return
        folder = Path(str(s.value("export/folder")))
        if folder.is_dir():
            self.path.setText(str(folder / Path(self.path.text()).name))
        self.intervals.setValue(s.value("export/intervals", self.intervals.value(), type=int))
        self.scale.setValue(s.value("export/scale", self.scale.value(), type=float))
        for box, key in ((self.format, "format"), (self.compression, "compression")):
            i = box.findText(str(s.value(f"export/{key}", box.currentText())))
            if i >= 0:
                box.setCurrentIndex(i)
        self.quality.setValue(s.value("export/quality", self.quality.value(), type=int))
        for box, key, kind in ((self.frame_w, "frame_w", int), (self.frame_h, "frame_h", int),
                               (self.fps, "fps", float), (self.speed, "speed", float)):
            box.setValue(s.value(f"export/{key}", box.value(), type=kind))
        button = self.range_group.button(s.value("export/range", -1, type=int))
        if button is not None and button.isEnabled() and not self.scene.loop_period:
            button.setChecked(True)

    def done(self, result: int) -> None:
        self._video_later.stop()
        for probe in (self._probe, self._video_probe):  # stop at their next patch or frame; never waited
            if probe is not None:  # for here (a big model's patch takes seconds): _PROBES holds them
                probe.cancel_event.set()
        super().done(result)


class _Worker(QThread):
    progress = Signal(object, object)  # done columns, width (may exceed 2**31)
    succeeded = Signal(object)  # WriteStats
    failed = Signal(str)
    was_cancelled = Signal()

    def __init__(self, job: ExportJob):
        super().__init__()
        self.job, self.cancel_event = job, threading.Event()
        self._last = 0.0

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= 0.05:  # at most 20 updates a second
            self._last = now
            self.progress.emit(done, total)

    def run(self) -> None:
        try:
            stats = self.job.run(progress=self._progress, cancel=self.cancel_event.is_set)
        except Cancelled:
            self.was_cancelled.emit()
        except UserError as e:
            self.failed.emit(str(e))
        except Exception as e:  # a bug must reach the user as a message, not kill the thread silently
            self.failed.emit(f"{type(e).__name__}: {e}")
        else:
            self.succeeded.emit(stats)
        finally:
            self.job.renderer.close()


class ExportRun(QObject):
    """A running export: the worker thread and its progress dialog. Signals `finished(str)` with
    "done", "cancelled" or "failed" once the thread has ended and the file is in place (or gone)."""

    finished = Signal(str)

    def __init__(self, job: ExportJob, parent: QWidget | None):
        super().__init__()
        self.job, self.parent_widget, self.outcome, self.message = job, parent, None, ""
        self.worker = _Worker(job)
        self.dialog = QProgressDialog(f"Exporting {job.out.name}…", "Cancel", 0, 1000, parent)
        self.dialog.setWindowTitle("Export panorama")
        self.dialog.setMinimumDuration(500)  # a short export finishes before a box would flash up
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        # bound methods of this QObject (not lambdas), so Qt queues them to the GUI thread
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.was_cancelled.connect(self._on_cancelled)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel_and_wait)
        self._t0 = time.monotonic()

    def start(self) -> None:
        _RUNNING.add(self)  # the progress box shows itself after its minimum duration, if still running
        self.worker.start()

    def cancel(self) -> None:
        self.worker.cancel_event.set()
        self.dialog.setLabelText("Cancelling…")

    def cancel_and_wait(self) -> None:
        self.worker.cancel_event.set()
        self.worker.wait()

    @Slot(object, object)
    def _on_progress(self, done: int, total: int) -> None:
        if self.outcome is not None:
            return
        self.dialog.setValue(int(1000 * done / max(1, total)))
        if self.job.fmt == "mp4":
            return self._on_video_progress(done, total)
        h = self.job.out_height
        el = time.monotonic() - self._t0
        rate = done * h / 1e6 / el if el > 0 else 0.0
        eta = el * (total - done) / done if done else 0.0
        finishing = ""
        if done >= total:
            finishing = " (writing the reduced levels)" if self.job.fmt == "tiff" else f" (encoding {self.job.fmt.upper()})"
        if not self.worker.cancel_event.is_set():
            self.dialog.setLabelText(f"Exporting {self.job.out.name}{finishing}\n{done * h / 1e6:,.1f} of "
                                     f"{total * h / 1e6:,.1f} Mpx, {rate:.2f} Mpx/s, ETA {fmt_time(eta)}")

    def _on_video_progress(self, done: int, total: int) -> None:
        el = time.monotonic() - self._t0
        eta = el * (total - done) / done if done else 0.0
        if not self.worker.cancel_event.is_set():
            self.dialog.setLabelText(f"Exporting {self.job.out.name}\nframe {done:,} of {total:,}, "
                                     f"{done / el if el > 0 else 0:.1f} frames/s, ETA {fmt_time(eta)}")

    @Slot(object)
    def _on_succeeded(self, stats) -> None:
        self._end("done", f"Wrote {self.job.out} ({stats.width:,} × {stats.height:,} px, "
                          f"{human_bytes(stats.bytes)}) in {fmt_time(stats.seconds)}.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end("failed", message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._end("cancelled", "Export cancelled; nothing was written.")

    def _end(self, outcome: str, message: str) -> None:
        self.worker.wait()
        self.outcome, self.message = outcome, message
        self.dialog.close()
        self.dialog.deleteLater()
        if outcome == "failed":
            box = QMessageBox(QMessageBox.Icon.Warning, "Export panorama", message, parent=self.parent_widget)
            box.open()
        elif self.parent_widget is not None and hasattr(self.parent_widget, "statusBar"):
            self.parent_widget.statusBar().showMessage(message, 8000)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.disconnect(self.cancel_and_wait)
        _RUNNING.discard(self)
        self.finished.emit(outcome)
