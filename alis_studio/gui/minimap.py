"""The overview strip under the viewport: a long stretch of the panorama at small scale (about
VIEWS times what the view shows), with the view's window marked, both where the camera says. Click
or drag to move the camera there, so the view's frame is always about a quarter of the strip. The
panorama is drawn between MIN_H px and the strip's full height, never a line of a few pixels: it
keeps its aspect down to MIN_H, and further out (toward 1/8) it is squeezed along x instead. Its
patches are background requests, so they never delay the view's own."""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from alis_studio.gui.images import PatchBridge, PatchStrip, detach, mip_level
from alis_studio.gui.viewport import centre_out, fill_strip, memo_key, place_patch

BG, PLACEHOLDER = QColor(25, 35, 45), (40, 50, 62)
WINDOW, SHADE = QColor(38, 140, 220), QColor(0, 0, 0, 90)
HEIGHT, MIN_H = 48, 24  # px: the strip's height on screen; the panorama's least height in it
VIEWS = 4  # the strip spans about this many views


class Minimap(QWidget):
    """Shows `scene` as `renderer` draws it around the centre of `camera`; navigates by moving the
    camera. `grabbed` fires when the user takes hold of the strip (the window stops the view's glide)."""

    grabbed = Signal()

    def __init__(self, scene, renderer, camera, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene, self.renderer, self.camera = scene, renderer, camera
        b = renderer.bundle
        self._H, self._P = b.height, b.tile_width
        self._mips = renderer.mip_levels
        self._keys: dict[int, object] = {}
        self._strip: PatchStrip | None = None
        self._positions: dict[object, list[int]] = {}
        self._epoch, self._requested, self._lod = 0, None, 0
        self._drag_x0: float | None = None  # the strip stays put while the mouse drags the window
        self._bridge = PatchBridge(self)
        self._bridge.patch_ready.connect(self._on_patch)
        # requests wait for a pause (30 ms) in panning and edits: they are background work, and
        # the view's own response to a gesture stays as cheap as without the strip
        self._later = QTimer(self, singleShot=True, interval=30)
        self._later.timeout.connect(self._request)
        camera.subscribe(self._on_camera)
        scene.subscribe(self._on_scene)
        self.setFixedHeight(HEIGHT)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")

    def close_view(self) -> None:
        detach(self._bridge, self.scene, self._on_scene)
        self.camera.unsubscribe(self._on_camera)

    # ------------------------------------------------------------------ geometry
    @property
    def scale(self) -> float:
        """Screen px per model column: VIEWS views across (at most HEIGHT px for the model's height)."""
        return min(HEIGHT / self._H, self.camera.scale / VIEWS)

    @property
    def row_scale(self) -> float:
        """Screen px per model row: the column scale, kept between MIN_H and HEIGHT px for the height."""
        return min(HEIGHT, max(MIN_H, self._H * self.scale)) / self._H

    @property
    def level(self) -> int:
        """The mip level of the rows' scale (squeezed along x, rows stay sharp)."""
        return mip_level(self.row_scale, self._mips)

    def strip_rect(self) -> QRectF:
        h = self._H * self.row_scale
        return QRectF(0, (self.height() - h) / 2, self.width(), h)

    def span(self) -> float:
        """Model columns across the strip."""
        return self.width() / self.scale

    @property
    def x0(self) -> float:
        """The panorama column at the strip's left edge: the view's centre is the strip's centre."""
        return self._drag_x0 if self._drag_x0 is not None else self.camera.center_x() - self.span() / 2

    def to_model_x(self, sx: float) -> float:
        return self.x0 + sx / self.scale

    def patch_range(self) -> tuple[int, int]:
        return math.floor(self.x0 / self._P), math.ceil((self.x0 + self.span()) / self._P)

    # ------------------------------------------------------------------ requests
    @property
    def lod(self) -> int:
        """The level of detail of the strip's rows (the coarsest as dense as them)."""
        lod = self.renderer.lod_for(self.level)
        if lod != self._lod:  # other keys; the strip's pixels stay as stand-ins
            self._lod, self._requested = lod, None
            self._keys.clear()
        return lod

    def _key(self, p: int):
        return memo_key(self.renderer, self.scene, self._keys, p, self.lod)

    def _on_scene(self, _scene) -> None:
        self._keys.clear()
        self._epoch += 1
        self._requested = None
        self._on_view()

    def _on_camera(self, _camera) -> None:
        self._on_view()

    def _on_view(self) -> None:
        self._later.start()
        self.update()

    def _request(self) -> None:
        self.update()  # now the strip may be rebuilt for the new scene
        self.lod  # noqa: B018 (a change of level forgets the old keys and request)
        p0, p1 = self.patch_range()
        if self.isVisible() and self._requested != (p0, p1):
            self._requested = (p0, p1)
            keys = [self._key(p) for p in centre_out(self._keys, p0, p1, keep=4 * (p1 - p0) + 256)]
            self.renderer.submit([k for k in keys if not self.renderer.has(k)], on_patch=self._bridge.on_patch,
                                 tag="overview", background=True)

    def _on_patch(self, key) -> None:
        if place_patch(self.renderer, self._strip, self._epoch, self._positions, key):
            self.update()

    def showEvent(self, event) -> None:
        self._requested = None
        self._request()
        super().showEvent(event)

    def resizeEvent(self, event) -> None:
        self._on_view()
        super().resizeEvent(event)

    # ------------------------------------------------------------------ painting
    def _ensure_strip(self) -> PatchStrip:
        p0, p1 = self.patch_range()
        old = self._strip
        if old is not None and old.covers(p0, p1, self.level, old.epoch if self._later.isActive() else self._epoch):
            return old  # (right after an edit the old scene's strip stays up until the pause)
        m = max(4, (p1 - p0) // 4)
        strip = PatchStrip(p0 - m, p1 + m, self.level, self._P, self._H, self._epoch, PLACEHOLDER)
        if old is not None:
            strip.inherit(old)
        self._positions = {}
        fill_strip(self.renderer, strip, self._key, self._positions)
        self._strip = strip
        return strip

    def view_window(self) -> QRectF:
        """Where the view's window lies on the strip (screen coordinates)."""
        c = self.camera
        a = (c.x0 - self.x0) * self.scale
        return QRectF(a, 0, c.span() * self.scale, self.height())

    def paintEvent(self, _event) -> None:
        qp = QPainter(self)
        qp.fillRect(self.rect(), BG)
        strip = self._ensure_strip()
        sub = 2 ** strip.level
        source = QRectF((self.x0 - strip.p0 * self._P) / sub, 0, self.span() / sub, strip.ph)
        qp.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        qp.drawImage(self.strip_rect(), strip.image, source)
        win = self.view_window()
        qp.fillRect(QRectF(0, 0, max(0.0, win.left()), self.height()), SHADE)
        qp.fillRect(QRectF(win.right(), 0, max(0.0, self.width() - win.right()), self.height()), SHADE)
        qp.setPen(QPen(WINDOW, 2))
        qp.drawRect(win.adjusted(1, 1, -1, -1))
        qp.end()

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_x0 = self.x0
            self.grabbed.emit()
            self.camera.center_on(self.to_model_x(event.position().x()))

    def mouseMoveEvent(self, event) -> None:
        if self._drag_x0 is not None:
            self.camera.center_on(self.to_model_x(event.position().x()))

    def mouseReleaseEvent(self, event) -> None:
        if self._drag_x0 is not None:
            self._drag_x0 = None
            self._on_view()

    def wheelEvent(self, event) -> None:
        """The wheel pans the view by a tenth of the strip per notch."""
        delta = event.angleDelta()
        steps = (delta.y() or delta.x()) / 120
        self.camera.set(x0=self.camera.x0 - steps * self.span() / 10)
        event.accept()

    def closeEvent(self, event) -> None:
        self.close_view()
        super().closeEvent(event)
