"""The performance panel (a dock): the view's paint times as a graph, tiles per second, the cache,
and the runtime settings: provider (CPU or CUDA), ONNX Runtime threads, batch size. Polls the
renderer's counters on a timer while it is visible; rates are over the last poll interval."""
from __future__ import annotations

import collections
import statistics
import time

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
                               QWidget)

from alis_studio.engine.bundle import available_providers

POLL_MS = 250
BUDGET_MS = 16.0  # one frame at 60 Hz: the line on the graph


def hit_rate(stats: dict, since: dict | None = None) -> float | None:
    """The view's cache hits: the share of visible tiles already rendered when the view asked for
    them (`PanoramaView.stats`), overall or `since` an earlier copy of the stats; None before any."""
    asked = stats["requested"] - (since["requested"] if since else 0)
    ready = stats["cached"] - (since["cached"] if since else 0)
    return ready / asked if asked else None


def fmt_rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


class FrameGraph(QWidget):
    """The last paints' durations as a line, with the 16 ms budget marked."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.samples: list[float] = []
        self.setMinimumSize(200, 70)

    def set_samples(self, samples) -> None:
        self.samples = list(samples)
        self.update()

    def paintEvent(self, _event) -> None:
        qp = QPainter(self)
        qp.fillRect(self.rect(), QColor(25, 35, 45))
        w, h = self.width(), self.height()
        top = max(2 * BUDGET_MS, max(self.samples, default=0.0))  # ms at the top edge
        y = lambda ms: h - 2 - (h - 4) * min(ms, top) / top  # noqa: E731
        qp.setPen(QPen(QColor(220, 120, 60), 1, Qt.PenStyle.DashLine))
        qp.drawLine(QPointF(0, y(BUDGET_MS)), QPointF(w, y(BUDGET_MS)))
        qp.drawText(QRectF(4, y(BUDGET_MS) - 14, 80, 14), "16 ms")
        if len(self.samples) > 1:
            step = w / (len(self.samples) - 1)
            qp.setPen(QPen(QColor(80, 180, 240), 1.5))
            qp.drawPolyline(QPolygonF([QPointF(j * step, y(ms)) for j, ms in enumerate(self.samples)]))
        qp.end()


def lod_text(lod: int, bundle) -> str:
    """What the view shows: the model's own image at 1/2^lod of its size, or the full render."""
    levels = ", ".join("full" if lv == 0 else f"1/{2 ** lv}" for lv in reversed(bundle.levels))
    shown = "full size" if lod == 0 else f"1/{2 ** lod} ({bundle.height >> lod} px tall, the model's own)"
    return f"{shown} · the model has {levels}"


class PerformancePanel(QWidget):
    """Live figures of `renderer` and `view`; `reload_requested(device, threads)` asks the window
    to reopen the model on another provider or thread count."""

    reload_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.renderer = self.view = self.bundle = None
        self._last: tuple | None = None  # (time, patches, the view's stats) at the previous poll
        self.rates = collections.deque(maxlen=240)
        self.graph = FrameGraph()
        self.labels = {name: QLabel("–", wordWrap=True)  # wrapped in a narrow dock, never cut off
                       for name in ("frame", "tiles", "batch", "queue", "cache", "hits", "lod", "provider")}
        form = QFormLayout()
        for name, text in (("frame", "Paint"), ("tiles", "Tiles/s"), ("batch", "Last batch"), ("queue", "Queued"),
                           ("cache", "Cache"), ("hits", "Hit rate"), ("lod", "Level of detail"), ("provider", "Provider")):
            form.addRow(text, self.labels[name])
        self.labels["hits"].setToolTip("Visible tiles already rendered when the view asked for them "
                                       "(the status bar's cache hits are the overall figure)")
        self.device = QComboBox()
        self.device.addItem("CPU", "cpu")
        self.device.addItem("CUDA", "cuda")
        if "CUDAExecutionProvider" not in available_providers():
            self.device.model().item(1).setEnabled(False)  # no CUDA build of ONNX Runtime here
            self.device.setItemData(1, "This ONNX Runtime has no CUDA provider", Qt.ItemDataRole.ToolTipRole)
        self.threads = QSpinBox(minimum=0, maximum=256, specialValueText="auto")
        self.threads.setToolTip("ONNX Runtime intra-op threads (auto: one per core)")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Reopen the model on this provider with these threads")
        self.apply_button.clicked.connect(
            lambda: self.reload_requested.emit(self.device.currentData(), self.threads.value()))
        runtime = QHBoxLayout()
        for w in (self.device, self.threads, self.apply_button):
            runtime.addWidget(w)
        form.addRow("Run on", runtime)
        self.batch = QSpinBox(minimum=1, maximum=256)
        self.batch.setToolTip("Tiles per generator call (takes effect at the next batch)")
        self.batch.valueChanged.connect(self._set_batch)
        form.addRow("Batch size", self.batch)
        box = QVBoxLayout(self)
        box.addWidget(self.graph)
        box.addLayout(form)
        box.addStretch(1)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def set_sources(self, renderer, view, bundle, threads: int) -> None:
        self.renderer, self.view, self.bundle, self._last = renderer, view, bundle, None
        self.device.setCurrentIndex(1 if bundle.device_name == "CUDA" else 0)
        self.threads.setValue(threads)
        self.batch.blockSignals(True)
        self.batch.setValue(renderer.batch_size)
        self.batch.blockSignals(False)
        self.poll()

    def _set_batch(self, value: int) -> None:
        if self.renderer is not None:
            self.renderer.batch_size = int(value)  # the workers read it for each batch

    def poll(self) -> None:
        if self.renderer is None or not self.isVisible():
            return
        p, now = self.renderer.perf(), time.monotonic()
        paints = list(self.view.paint_ms)
        self.graph.set_samples(paints)
        if paints:
            self.labels["frame"].setText(f"{statistics.median(paints):.1f} ms median, {max(paints):.1f} ms max "
                                         f"(last {len(paints)})")
        stats = dict(self.view.stats)
        last, self._last = self._last, (now, p["patches"], stats)
        if last is not None and now > last[0]:
            rate = (p["patches"] - last[1]) / (now - last[0])
            self.labels["tiles"].setText(f"{rate:.0f} now · {p['patches_per_s']:.0f} while busy")
        # the status bar's figure (hit_rate of the same stats) is the "overall" one
        now_rate = hit_rate(stats, last[2]) if last is not None else None
        self.labels["hits"].setText(f"{fmt_rate(now_rate)} now · {fmt_rate(hit_rate(stats))} overall")
        self.labels["batch"].setText(f"{p['last_batch_ms']:.0f} ms ({p['last_batch_size']} tiles)")
        self.labels["queue"].setText(f"{p['queued']} tiles")
        self.labels["cache"].setText(f"{p['cache_mb']:.0f} of {p['cache_limit_mb']:.0f} MB, "
                                     f"{p['cache_patches']} tiles")
        self.labels["lod"].setText(lod_text(self.view.lod, self.bundle))
        self.labels["provider"].setText(f"{self.bundle.provider}")
