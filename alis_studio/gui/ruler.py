"""A ruler under the viewport: anchor ticks with their indices, patch ticks when zoomed in, where the
view is (column, zoom) and, in loop mode, which part of the 360-degree loop is on screen."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from alis_studio.engine.camera import Camera
from alis_studio.gui.layout import SlotLayout

BG, TICK, TEXT, ACCENT = QColor(32, 43, 54), QColor(110, 125, 140), QColor(190, 200, 210), QColor(38, 140, 220)


def shown_x(scene, x: float, interval: int) -> float:
    """Column x as the window names it (the ruler, the status bar): in a loop, its place in the
    one period [0, N * interval); take math.floor of it for the column's number."""
    if scene.loop_period:
        return x % (scene.loop_period * interval)
    return x


def label_step(spacing: float, min_gap: float = 44.0) -> int:
    """Label every n-th anchor (n in 1, 2, 5, 10, 20, ...) so labels are at least `min_gap` px apart."""
    n = 1
    while n * spacing < min_gap:
        n = n * 5 // 2 if str(n).startswith("2") else n * 2
    return n


class Ruler(QWidget):
    """Reads the camera and the scene (of a model with `bundle`'s geometry); writes nothing.
    `slots`: the layout of the anchor slots below it (the timeline's, the same width as the ruler),
    which may be spaced otherwise than the view; None: no slots to tie the ticks to."""

    def __init__(self, camera: Camera, scene, bundle, slots: SlotLayout | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.camera, self.scene, self.slots = camera, scene, slots
        self.interval, self.tile_width = bundle.interval_width, bundle.tile_width
        self.setFixedHeight(30)
        camera.subscribe(self._on_change)
        scene.subscribe(self._on_change)

    def _on_change(self, _model) -> None:
        self.update()

    def close_view(self) -> None:
        self.scene.unsubscribe(self._on_change)
        self.camera.unsubscribe(self._on_change)

    def text(self) -> str:
        v = self.camera
        x = shown_x(self.scene, v.center_x(), self.interval)  # a loop: where in its one period
        s = f"x {math.floor(x):,} px   anchor {x / self.interval:,.2f}   zoom {v.scale:.0%}"
        if self.scene.loop_period:
            s += f"   loop {x / (self.scene.loop_period * self.interval) * 360:.0f}°"
        return s

    def paintEvent(self, _event) -> None:
        qp = QPainter(self)
        qp.fillRect(self.rect(), BG)
        v, d, h = self.camera, self.interval, self.height()
        spacing = d * v.scale
        step = label_step(spacing)
        i0, i1 = math.floor(v.x0 / d), math.ceil(v.to_model_x(self.width()) / d)
        P = self.tile_width
        if P * v.scale >= 10:  # patch ticks
            qp.setPen(QPen(TICK.darker(130)))
            for p in range(math.floor(v.x0 / P), math.ceil(v.to_model_x(self.width()) / P) + 1):
                sx = v.to_screen_x(p * P)
                qp.drawLine(round(sx), 0, round(sx), 4)
        for i in range(i0, i1 + 1):
            sx = round(v.to_screen_x(i * d))
            labelled = i % step == 0
            qp.setPen(QPen(TICK))
            qp.drawLine(sx, 0, sx, 9 if labelled else 5)
            if labelled:
                qp.setPen(QPen(TEXT))
                qp.drawText(sx + 3, 14, f"#{self.scene.canonical(i)}")
        qp.setPen(QPen(TICK.darker(120)))
        for _i, top, bottom in self.connectors():
            qp.drawLine(QPointF(top, 17), QPointF(bottom, h))  # below the labels
        if self.scene.loop_period:
            self._paint_loop(qp)
        qp.setPen(QPen(TEXT))
        qp.drawText(QRectF(0, 0, self.width() - 6, h - 2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                    self.text())
        qp.end()

    def connectors(self) -> list[tuple[int, float, float]]:
        """(anchor, x in the view, x of its timeline slot) for each slot shown, where the timeline's
        spacing differs from the view's: lines that tie every thumbnail to its place above."""
        slots, v, w = self.slots, self.camera, self.width()
        if slots is None or abs(slots.spacing_scale(v.scale) / v.scale - 1) <= 0.01:
            return []
        i0, i1 = slots.anchor_range(v, w)
        return [(i, v.to_screen_x(i * self.interval), slots.anchor_x(i, v, w)) for i in range(i0, i1 + 1)]

    def _paint_loop(self, qp: QPainter) -> None:
        """A bar the width of the ruler standing for one loop period, the visible part highlighted."""
        v, w = self.camera, self.scene.loop_period * self.interval
        y, bar = self.height() - 4, self.width()
        qp.fillRect(QRectF(0, y, bar, 3), TICK.darker(150))
        a, span = v.x0 % w, self.width() / v.scale
        if span >= w:
            qp.fillRect(QRectF(0, y, bar, 3), ACCENT)
            return
        for start in (a, a - w):
            qp.fillRect(QRectF(start / w * bar, y, span / w * bar, 3), ACCENT)
